package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/goleak"

	"github.com/tracegate/tracegate/internal/microkit/microkittest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m, microkittest.IgnoreGoMicro()...) }

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServesNATSOnLoopbackUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--addr", "127.0.0.1:0"}, func(string) string { return "" }, &out, &out)
	}()
	var url string
	for deadline := time.Now().Add(10 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if rest, ok := strings.CutPrefix(out.String(), "devregistry: ready "); ok {
			url = strings.TrimSpace(strings.SplitN(rest, "\n", 2)[0])
		}
	}
	if !strings.HasPrefix(url, "nats://127.0.0.1:") {
		t.Fatalf("not ready: %q", out.String())
	}
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d", code)
	}
}

func TestRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:4222", ":4222", "example.com:4222", "127.0.0.1"} {
		if code := run(context.Background(), []string{"--addr", addr}, func(string) string { return "" }, &bytes.Buffer{}, &bytes.Buffer{}); code != 2 {
			t.Errorf("--addr %s: exit %d, want 2", addr, code)
		}
	}
}

func TestHelpExitsZero(t *testing.T) {
	noenv := func(string) string { return "" }
	for _, h := range []string{"-h", "--help"} {
		var errb bytes.Buffer
		if code := run(context.Background(), []string{h}, noenv, &bytes.Buffer{}, &errb); code != 0 || !strings.Contains(errb.String(), "-addr") {
			t.Errorf("%s: exit %d, want 0 with the usage; stderr %q", h, code, errb.String())
		}
	}
	if code := run(context.Background(), []string{"--nope"}, noenv, &bytes.Buffer{}, &bytes.Buffer{}); code != 2 {
		t.Errorf("--nope: exit %d, want 2", code)
	}
}
