package testcaddy

import (
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/mwlogin/mwlogin/internal/testproc"
)

func TestStartStop(t *testing.T) {
	port, err := testproc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	s := Require(t, port, "http://127.0.0.1:"+strconv.Itoa(port)+" {\n\trespond \"hello from caddy\"\n}\n")
	resp, err := http.Get("http://" + s.Addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hello from caddy" || resp.Header.Get("Server") != "Caddy" {
		t.Fatalf("%d %q %v", resp.StatusCode, body, resp.Header)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if _, err := http.Get("http://" + s.Addr + "/"); err == nil {
		t.Fatal("caddy still answers after Stop")
	}
	if _, err := os.Stat(s.Dir); !os.IsNotExist(err) {
		t.Fatalf("directory left behind: %v", err)
	}
}

func TestBadConfigurationFails(t *testing.T) {
	RequireInstalled(t)
	port, err := testproc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	_, err = Start(t.Context(), port, "http://127.0.0.1:"+strconv.Itoa(port)+" {\n\tno_such_directive\n}\n")
	if err == nil || !strings.Contains(err.Error(), "no_such_directive") {
		t.Fatalf("a bad configuration: %v", err)
	}
}
