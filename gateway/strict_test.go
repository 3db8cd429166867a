package gateway_test

import (
	"bytes"
	"io"
	"io/fs"
	"log"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tracegate/tracegate/gateway"
	"github.com/tracegate/tracegate/gateway/audit"
)

// diskFS is the operating system's file system with a switch that makes
// every write fail with ENOSPC, as a full disk does (mounting a small file
// system is not possible in tests).
type diskFS struct {
	audit.OSFileSystem
	full atomic.Bool
}

func (d *diskFS) OpenFile(name string, flag int, perm fs.FileMode) (audit.File, error) {
	if d.full.Load() {
		return nil, &fs.PathError{Op: "open", Path: name, Err: syscall.ENOSPC}
	}
	f, err := d.OSFileSystem.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &diskFile{File: f, d: d}, nil
}

type diskFile struct {
	audit.File
	d *diskFS
}

func (f *diskFile) Write(p []byte) (int, error) {
	if f.d.full.Load() {
		return 0, &fs.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	return f.File.Write(p)
}

func (f *diskFile) Sync() error {
	if f.d.full.Load() {
		return &fs.PathError{Op: "sync", Path: f.Name(), Err: syscall.ENOSPC}
	}
	return f.File.Sync()
}

// syncBuffer is a log destination safe for concurrent use.
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

// TestStrictAuditFullDisk: in strict mode a full disk refuses calls at once
// (nothing dispatched) with a log line and /readyz not ready, while
// /healthz stays ok; the gateway recovers by itself when space returns; and
// a call whose outcome could not be recorded after it ran is answered with
// its real result and a warning in _meta, never as a refusal or isError.
func TestStrictAuditFullDisk(t *testing.T) {
	disk := &diskFS{}
	logs := &syncBuffer{}
	pe := newProbeEnv(t, func(o *gateway.Options) {
		o.Logger = log.New(logs, "", 0)
		o.Config.Audit.Mode = audit.ModeStrict
		o.Config.Audit.File.Path = filepath.Join(t.TempDir(), "audit.jsonl")
		o.AuditOptions = append(o.AuditOptions, audit.WithFileOptions(audit.WithFileSystem(disk)),
			audit.WithRetryBackoff(20*time.Millisecond, 100*time.Millisecond))
	})
	e := era{modern: true}
	callRead := func() (int, rawAnswer) {
		body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"probe.Probe.Read","arguments":{"limit":2},` + e.meta() + `}}`
		status, _, ans := pe.post(t, e, []byte(body), "tools/call", "probe.Probe.Read")
		return status, ans
	}
	probe := func(path string) int {
		resp, err := http.Get(pe.url + path)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if status, ans := callRead(); status != 200 || ans.Error != nil {
		t.Fatalf("healthy call: %d %s", status, ans.Raw)
	}
	pe.probe.take()
	if probe(gateway.ReadyPath) != 200 {
		t.Fatal("not ready while healthy")
	}

	disk.full.Store(true)
	status, ans := callRead()
	if status != http.StatusServiceUnavailable || ans.reason() != "audit_unavailable" {
		t.Fatalf("call on a full disk: %d %s", status, ans.Raw)
	}
	if got := pe.probe.take(); len(got) != 0 {
		t.Fatalf("dispatched with no audit intent: %+v", got)
	}
	if !strings.Contains(logs.String(), "audit") {
		t.Fatalf("no log line for the failing audit log: %q", logs.String())
	}
	if probe(gateway.ReadyPath) != http.StatusServiceUnavailable || probe(gateway.HealthPath) != 200 {
		t.Fatal("want /readyz 503 and /healthz 200 on a full disk")
	}

	disk.full.Store(false)
	deadline := time.Now().Add(30 * time.Second)
	for probe(gateway.ReadyPath) != 200 {
		if time.Now().After(deadline) {
			t.Fatalf("no recovery after space returned; log: %s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if status, ans := callRead(); status != 200 || ans.Error != nil || ans.Result.IsError {
		t.Fatalf("call after recovery: %d %s", status, ans.Raw)
	}
	pe.probe.take()

	// The disk fills while the service runs the call: the intent is on
	// disk, the outcome cannot be.
	pe.probe.onCall = func() { disk.full.Store(true) }
	status, ans = callRead()
	pe.probe.onCall = nil
	if status != 200 || ans.Error != nil || ans.Result == nil || ans.Result.IsError ||
		!strings.Contains(ans.Raw, `"ok":true`) || ans.Result.Meta["io.tracegate/warning"] == nil {
		t.Fatalf("executed-but-unrecorded call: %d %s", status, ans.Raw)
	}
	if got := pe.probe.take(); len(got) != 1 {
		t.Fatalf("dispatched %d times", len(got))
	}
	disk.full.Store(false)
	for probe(gateway.ReadyPath) != 200 { // the held outcome record is written on recovery
		if time.Now().After(deadline.Add(30 * time.Second)) {
			t.Fatal("no recovery at the end")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
