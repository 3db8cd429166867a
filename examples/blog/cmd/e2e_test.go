// Package cmd_test runs the three blog binaries as separate processes on a
// loopback NATS registry.
package cmd_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go-micro.dev/v5/registry"

	"github.com/tracegate/tracegate/examples/blog/comments"
	"github.com/tracegate/tracegate/examples/blog/posts"
	"github.com/tracegate/tracegate/examples/blog/users"
	"github.com/tracegate/tracegate/internal/microkit"
	"github.com/tracegate/tracegate/internal/microkit/microkittest"
)

func TestMain(m *testing.M) {
	microkittest.VerifyTestMain(m)
}

// lockedBuffer collects a process's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type proc struct {
	name           string
	cmd            *exec.Cmd
	stdout, stderr *lockedBuffer
	done           chan error
}

func build(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "./users", "./posts", "./comments")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

func start(t *testing.T, bin, name, natsURL string) *proc {
	t.Helper()
	p := &proc{name: name, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, done: make(chan error, 1)}
	p.cmd = exec.Command(filepath.Join(bin, name), "--registry", "nats", "--registry_address", natsURL)
	p.cmd.Env = append(os.Environ(),
		"OTEL_TRACES_EXPORTER=console", "OTEL_LOGS_EXPORTER=none", "OTEL_METRICS_EXPORTER=none",
		"MICRO_REGISTRY=", "MICRO_REGISTRY_ADDRESS=", "MICRO_SERVER_ADDRESS=")
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// stop sends SIGTERM and expects a clean exit.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("signal %s: %v", p.name, err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("%s exited with %v; stderr:\n%s", p.name, err, p.stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not stop", p.name)
	}
}

func waitRegistered(t *testing.T, reg registry.Registry, names ...string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for _, name := range names {
		for {
			svcs, err := reg.GetService(name)
			if err == nil && len(svcs) > 0 && len(svcs[0].Nodes) > 0 {
				if addr := svcs[0].Nodes[0].Address; !strings.HasPrefix(addr, "127.0.0.1:") {
					t.Fatalf("%s advertises %s, want loopback", name, addr)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s never registered", name)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

func TestBinariesOverNATS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binaries")
	}
	bin := build(t)
	url, reg := microkittest.NATSRegistry(t)
	procs := []*proc{start(t, bin, "users", url), start(t, bin, "posts", url), start(t, bin, "comments", url)}
	waitRegistered(t, reg, "users", "posts", "comments")

	cli, err := microkit.NewClient(microkit.WithRegistry(reg), microkit.WithLogger(microkittest.QuietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx := context.Background()
	u, err := users.NewClient(cli).Create(ctx, &users.CreateRequest{Name: "Ada", Email: "ada@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := posts.NewClient(cli).Create(ctx, &posts.CreateRequest{Title: "T", Body: "B", AuthorID: u.User.ID, Tags: []string{"x"}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := comments.NewClient(cli).Create(ctx, &comments.CreateRequest{PostID: p.Post.ID, AuthorID: u.User.ID, Body: "Hi"})
	if err != nil || c.Comment.PostID != p.Post.ID {
		t.Fatalf("Comments.Create = %+v, %v", c, err)
	}

	for i := len(procs) - 1; i >= 0; i-- {
		procs[i].stop(t)
		if !strings.Contains(procs[i].stderr.String(), procs[i].name+": stopping") {
			t.Errorf("%s stderr:\n%s", procs[i].name, procs[i].stderr.String())
		}
	}
	// Spans were flushed on SIGTERM (console exporter, on stderr).
	if out := procs[1].stderr.String(); !strings.Contains(out, "posts/Posts.Read") || !strings.Contains(out, "users/Users.Read") {
		t.Errorf("posts did not flush its spans; stderr:\n%.2000s", out)
	}
	if svcs, _ := reg.GetService("users"); len(svcs) != 0 {
		t.Errorf("users still registered after SIGTERM: %+v", svcs)
	}
}
