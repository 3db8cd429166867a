package main

import (
	"bufio"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
)

// GC settings `tracegate serve` applies when the environment leaves them
// unset (issue 13.2).
//
// A gateway is a request/response proxy: almost everything it allocates
// dies with the call, and its live heap is small (buckets, sessions,
// catalog). Go's default GOGC=100 then collects very often for little gain;
// GOGC=400 cut CPU per call by ~30% in the measurements. A higher
// GOGC lets the heap grow to 5× the live heap, so it always comes with a
// memory limit (GOMEMLIMIT, a soft limit: the collector works harder as
// the heap nears it): 90% of the cgroup's memory limit when the process has
// one (the rest is left for stacks, buffers outside the Go heap and the
// kernel), else defaultMemLimit.
const (
	proxyGOGC        = 400
	cgroupLimitShare = 0.9
	defaultMemLimit  = 1 << 30 // 1 GiB when no cgroup limit is found
	// cgroupUnlimited: cgroup v1 reports "no limit" as a huge number
	// (9223372036854771712 on 4 KiB pages); anything above this is none.
	cgroupUnlimited = int64(1) << 60
)

// hostRuntime is where serve reads its environment and cgroup limits and
// what it changes: this process.
type hostRuntime struct {
	lookupEnv      func(string) (string, bool)
	cgroupRoot     string // the cgroup filesystem, /sys/fs/cgroup
	procCgroup     string // this process's cgroup membership, /proc/self/cgroup
	setGCPercent   func(int) int
	setMemoryLimit func(int64) int64
}

func thisProcess() hostRuntime {
	return hostRuntime{
		lookupEnv:      os.LookupEnv,
		cgroupRoot:     "/sys/fs/cgroup",
		procCgroup:     "/proc/self/cgroup",
		setGCPercent:   debug.SetGCPercent,
		setMemoryLimit: debug.SetMemoryLimit,
	}
}

// runtimeChoice is what tuneRuntime decided, for the start-up log.
type runtimeChoice struct {
	gogc, memLimit    string // the values in effect, as GOGC/GOMEMLIMIT spell them
	gogcWhy, limitWhy string
}

func (c runtimeChoice) String() string {
	return fmt.Sprintf("runtime: GOGC=%s (%s), GOMEMLIMIT=%s (%s)", c.gogc, c.gogcWhy, c.memLimit, c.limitWhy)
}

// tuneRuntime sets GOGC to proxyGOGC unless the environment sets GOGC, and
// a memory limit unless it sets GOMEMLIMIT (the runtime has already applied
// any value the environment gives).
func tuneRuntime(h hostRuntime) runtimeChoice {
	var c runtimeChoice
	if v, ok := h.lookupEnv("GOGC"); ok {
		c.gogc, c.gogcWhy = v, "from the environment"
	} else {
		h.setGCPercent(proxyGOGC)
		c.gogc, c.gogcWhy = strconv.Itoa(proxyGOGC), "tracegate's default for a proxy; GOGC unset"
	}
	if v, ok := h.lookupEnv("GOMEMLIMIT"); ok {
		c.memLimit, c.limitWhy = v, "from the environment"
		return c
	}
	limit, why := int64(defaultMemLimit), "default, no cgroup memory limit found; GOMEMLIMIT unset"
	if cg, src, ok := cgroupMemoryLimit(h.cgroupRoot, h.procCgroup); ok {
		limit = int64(float64(cg) * cgroupLimitShare)
		why = fmt.Sprintf("90%% of the cgroup limit %s in %s; GOMEMLIMIT unset", mib(cg), src)
	}
	h.setMemoryLimit(limit)
	c.memLimit, c.limitWhy = mib(limit), why
	return c
}

func mib(n int64) string { return strconv.FormatInt(n>>20, 10) + "MiB" }

// cgroupMemoryLimit returns the tightest memory limit on this process's
// cgroup and its ancestors, and the file it came from: cgroup v2
// (memory.max, "max" = none) at <root>/<path>, then cgroup v1
// (memory.limit_in_bytes) at <root>/memory/<path>. The path comes from
// procCgroup ("0::/path" for v2, "N:...memory...:/path" for v1); when the
// process sits in a cgroup namespace, or the path is not mounted, the root
// of the mount is read instead.
func cgroupMemoryLimit(root, procCgroup string) (int64, string, bool) {
	v2, v1 := "/", "/"
	if f, err := os.Open(procCgroup); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			id, rest, _ := strings.Cut(sc.Text(), ":")
			ctrls, p, ok := strings.Cut(rest, ":")
			switch {
			case !ok:
			case id == "0" && ctrls == "":
				v2 = p
			case hasController(ctrls, "memory"):
				v1 = p
			}
		}
		_ = f.Close()
	}
	if n, src, ok := tightest(root, v2, "memory.max"); ok {
		return n, src, true
	}
	return tightest(filepath.Join(root, "memory"), v1, "memory.limit_in_bytes")
}

func hasController(list, name string) bool {
	for c := range strings.SplitSeq(list, ",") {
		if c == name {
			return true
		}
	}
	return false
}

// tightest reads file in dir/p and each ancestor of p up to dir, and
// returns the smallest limit set.
func tightest(dir, p, file string) (int64, string, bool) {
	best, src, found := int64(0), "", false
	for p = path.Clean("/" + p); ; p = path.Dir(p) {
		f := filepath.Join(dir, filepath.FromSlash(p), file)
		if n, ok := readLimit(f); ok && (!found || n < best) {
			best, src, found = n, f, true
		}
		if p == "/" {
			return best, src, found
		}
	}
}

// readLimit parses a memory.max or memory.limit_in_bytes file; "max", an
// unreadable file and v1's "unlimited" number are no limit.
func readLimit(file string) (int64, bool) {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || n <= 0 || n >= cgroupUnlimited {
		return 0, false
	}
	return n, true
}
