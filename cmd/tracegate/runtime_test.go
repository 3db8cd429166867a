package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeHost is a hostRuntime over a temporary cgroup tree and environment
// that records what would be set instead of changing this test process.
type fakeHost struct {
	hostRuntime
	gcPercent, memLimit int64 // -1: not set
}

func newFakeHost(t *testing.T, env map[string]string, procCgroup string, files map[string]string) *fakeHost {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Join(dir, "cgroup")
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	proc := filepath.Join(dir, "proc-self-cgroup")
	if procCgroup != "" {
		if err := os.WriteFile(proc, []byte(procCgroup), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f := &fakeHost{gcPercent: -1, memLimit: -1}
	f.hostRuntime = hostRuntime{
		lookupEnv:      func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		cgroupRoot:     root,
		procCgroup:     proc,
		setGCPercent:   func(p int) int { f.gcPercent = int64(p); return 100 },
		setMemoryLimit: func(n int64) int64 { f.memLimit = n; return 0 },
	}
	return f
}

const (
	gib = int64(1) << 30
	mb  = int64(1) << 20
)

func TestTuneRuntime(t *testing.T) {
	tests := []struct {
		name       string
		env        map[string]string
		procCgroup string
		files      map[string]string
		gcPercent  int64 // -1: left alone
		memLimit   int64 // -1: left alone
		logHas     string
	}{
		{"cgroup v2 limit on the process's cgroup", nil, "0::/app.slice/gw.service\n",
			map[string]string{"app.slice/gw.service/memory.max": "1073741824\n"},
			400, gib * 9 / 10, "memory.max"},
		{"cgroup v2: a parent's limit is tighter", nil, "0::/app.slice/gw.service\n",
			map[string]string{"app.slice/gw.service/memory.max": "max\n", "app.slice/memory.max": "536870912\n"},
			400, 512 * mb * 9 / 10, "app.slice/memory.max"},
		{"cgroup v2 in a namespace: the mount root", nil, "0::/\n",
			map[string]string{"memory.max": "2147483648\n"},
			400, 2 * gib * 9 / 10, "90% of the cgroup limit 2048MiB"},
		{"cgroup v1, path not mounted: the mount root", nil, "5:cpu,cpuacct:/docker/abc\n4:memory:/docker/abc\n0::/\n",
			map[string]string{"memory/memory.limit_in_bytes": "268435456\n"},
			400, 256 * mb * 9 / 10, "memory.limit_in_bytes"},
		{"cgroup v1 unlimited: the default", nil, "4:memory:/x\n",
			map[string]string{"memory/x/memory.limit_in_bytes": "9223372036854771712\n", "memory/memory.limit_in_bytes": "9223372036854771712\n"},
			400, gib, "no cgroup memory limit"},
		{"no cgroup files at all: the default", nil, "", nil, 400, gib, "default"},
		{"hostile contents are no limit", nil, "0::/../../etc\n",
			map[string]string{"memory.max": "-5\n", "memory/memory.limit_in_bytes": "12abc"},
			400, gib, "default"},
		{"GOGC and GOMEMLIMIT from the environment win", map[string]string{"GOGC": "off", "GOMEMLIMIT": "300MiB"}, "0::/\n",
			map[string]string{"memory.max": "1073741824\n"},
			-1, -1, "GOGC=off (from the environment), GOMEMLIMIT=300MiB (from the environment)"},
		{"GOGC from the environment still gets a memory limit", map[string]string{"GOGC": "200"}, "0::/\n",
			map[string]string{"memory.max": "1073741824\n"},
			-1, gib * 9 / 10, "GOGC=200 (from the environment)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newFakeHost(t, tt.env, tt.procCgroup, tt.files)
			got := tuneRuntime(h.hostRuntime).String()
			if h.gcPercent != tt.gcPercent || h.memLimit != tt.memLimit {
				t.Fatalf("set GOGC %d, memory limit %d; want %d, %d (%s)", h.gcPercent, h.memLimit, tt.gcPercent, tt.memLimit, got)
			}
			if !strings.Contains(got, tt.logHas) {
				t.Fatalf("log %q lacks %q", got, tt.logHas)
			}
		})
	}
}
