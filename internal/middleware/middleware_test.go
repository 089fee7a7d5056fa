package middleware

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

func TestRequestIDOnEveryLogLine(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	var buf bytes.Buffer
	log := slog.New(LogHandler(slog.NewTextHandler(&buf, nil)))
	r := gin.New()
	r.Use(RequestID(), AccessLog(log), Recovery(log))
	r.GET("/", func(c *gin.Context) {
		// A handler's own line, logged through a derived logger.
		log.With("part", "handler").InfoContext(c.Request.Context(), "working")
		c.String(http.StatusOK, "ok")
	})
	r.GET("/panic", func(c *gin.Context) { panic("boom") })

	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/?code=secret", nil))
	id := rec.Header().Get("X-Request-Id")
	if len(id) < 16 {
		t.Fatalf("X-Request-Id %q", id)
	}
	rec = httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/panic", nil))
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "boom") {
		t.Fatalf("a panic answered %d %q", rec.Code, rec.Body.String())
	}
	panicID := rec.Header().Get("X-Request-Id")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("want 4 log lines (handler, access, panic, access of the 500), got:\n%s", buf.String())
	}
	for i, l := range lines {
		want := id
		if i >= 2 {
			want = panicID
		}
		if !strings.Contains(l, "request_id="+want) {
			t.Errorf("line %q lacks request_id=%s", l, want)
		}
	}
	if strings.Contains(buf.String(), "secret") {
		t.Error("the access log wrote the query string")
	}
}

func TestRequestIDKeptWhenSet(t *testing.T) {
	r := gin.New()
	var seen []string
	r.Use(RequestID(), RequestID())
	r.GET("/", func(c *gin.Context) { seen = append(seen, RequestIDFrom(c.Request.Context())) })
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if len(seen) != 1 || seen[0] == "" || rec.Header().Get("X-Request-Id") != seen[0] {
		t.Fatalf("IDs %q, header %q", seen, rec.Header().Get("X-Request-Id"))
	}
}

func TestLogHandlerWrapsOnce(t *testing.T) {
	h := LogHandler(slog.DiscardHandler)
	if LogHandler(h) != h {
		t.Fatal("wrapping twice would log the request ID twice")
	}
}
