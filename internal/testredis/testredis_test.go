package testredis

import (
	"context"
	"os"
	"testing"
	"time"
)

func TestStartStop(t *testing.T) {
	s := Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ping(ctx, s.Addr); err != nil {
		t.Fatalf("PING: %v", err)
	}
	if _, err := os.Stat(s.Dir); err != nil {
		t.Fatalf("working directory: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	select {
	case <-s.done:
	default:
		t.Fatal("the process still runs after Stop")
	}
	if err := ping(ctx, s.Addr); err == nil {
		t.Fatal("the server still answers after Stop")
	}
	if _, err := os.Stat(s.Dir); !os.IsNotExist(err) {
		t.Fatalf("working directory left behind: %v", err)
	}
}

func TestTwoServers(t *testing.T) {
	a, b := Require(t), Require(t)
	if a.Addr == b.Addr {
		t.Fatalf("two servers on one address %s", a.Addr)
	}
}
