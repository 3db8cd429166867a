package gateway

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/gateway/policy"
)

// Policy change sources: who asked for it.
const (
	SourceConsole = "console" // an operator, in the console or its API
	SourceSIGHUP  = "sighup"  // the process got SIGHUP
	SourceFile    = "file"    // the configuration file changed on disk
)

// EventPolicyChange is the OTel event of a policy change, emitted on the
// span tracegate.policy.change with the audit record of kind policy.
const EventPolicyChange = "tracegate.policy.change"

// Attributes of EventPolicyChange (and of the span); KeyPolicyHash is also
// on every decision event.
const (
	KeyPolicyHash   = attribute.Key("tracegate.policy.hash")
	KeyPolicyBefore = attribute.Key("tracegate.policy.hash.before")
	KeyPolicySource = attribute.Key("tracegate.policy.source")
	KeyPolicyDiff   = attribute.Key("tracegate.policy.diff")
)

// Policy change errors.
var (
	// ErrPolicyReadOnly: policy cannot be changed on this gateway (the
	// error says why: no or a read-only config file, several replicas).
	ErrPolicyReadOnly = errors.New("gateway: policy is read-only here")
	// ErrPolicyConflict: the policy changed since the caller read it (its
	// base hash is stale), or the file changed on disk and was reloaded.
	ErrPolicyConflict = errors.New("gateway: the policy changed since it was read")
	// ErrPolicyInvalid: the new policy does not validate.
	ErrPolicyInvalid = errors.New("gateway: invalid policy")
	// ErrNoConfigFile: there is no configuration file to reload.
	ErrNoConfigFile = errors.New("gateway: no configuration file (Options.ConfigFile)")
)

// PolicyChange says who changes the policy, for its audit record and event.
type PolicyChange struct {
	Subject string // the operator's subject, or the source for reloads
	Client  string // the operator's OAuth client
	Source  string // SourceConsole, SourceSIGHUP or SourceFile
}

// policyFile tracks the configuration file the policy is read from and
// written to. mu serialises every change of the policy.
type policyFile struct {
	mu      sync.Mutex
	path    string
	hash    string // content the policy in force was read from or written as
	badHash string // content last refused (a watcher does not report it twice)
	rest    Config // the file's configuration without policy, as last read
}

// newPolicyFile notes the file's current content: the one the policy in
// force was loaded from.
func newPolicyFile(path string) *policyFile {
	f := &policyFile{path: path}
	if data, err := os.ReadFile(path); err == nil {
		f.hash = fileHash(data)
		if c, err := parseConfig(data); err == nil {
			f.rest = withoutPolicy(c)
		}
	}
	return f
}

func withoutPolicy(c Config) Config {
	c.Policy = policy.Config{}
	return c
}

// PolicyReadOnly says why the policy cannot be changed on this gateway
// (console or API), "" when it can: the gateway is one of several replicas
// (Config.Replicas: policy is then distributed as configuration), it runs
// without a configuration file, or the file is read-only. Reloads (SIGHUP,
// the file changing) work in every case.
func (g *Gateway) PolicyReadOnly() string {
	if n := g.opts.Config.Replicas; n > 1 {
		return fmt.Sprintf("this gateway is one of %d replicas: policy is distributed as configuration; change the configuration file every replica reads", n)
	}
	if g.opts.ConfigFile == "" {
		return "the gateway runs without a configuration file (--config): a change would have nowhere to be kept"
	}
	return fileReadOnly(g.opts.ConfigFile)
}

// CurrentPolicy returns the policy in force and its hash.
func (g *Gateway) CurrentPolicy() (policy.Config, string) {
	p := g.policies.load()
	return p.cfg, p.hash
}

// UpdatePolicy makes next the policy: validated and compiled, written back
// to the configuration file (only the policy members that changed, comments
// and layout kept, temp file + rename), then recorded (an audit record of
// kind policy and the event tracegate.policy.change, with who, what and the
// hash before and after) and swapped in atomically: every request is
// decided under the old policy or the new one, never a mix. base, when not
// empty, is the hash the caller's edit started from; a stale base is
// ErrPolicyConflict. It returns the hashes before and after (equal when
// next changes nothing). Errors: ErrPolicyReadOnly, ErrPolicyConflict, a
// validation error, or a write error (nothing applied).
func (g *Gateway) UpdatePolicy(ctx context.Context, base string, next policy.Config, who PolicyChange) (before, after string, err error) {
	f := g.cfgFile
	if why := g.PolicyReadOnly(); why != "" || f == nil {
		return "", "", fmt.Errorf("%w: %s", ErrPolicyReadOnly, why)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	cur := g.policies.load()
	if base != "" && base != cur.hash {
		return cur.hash, cur.hash, fmt.Errorf("%w: edit of %s, policy in force is %s", ErrPolicyConflict, base, cur.hash)
	}
	data, err := os.ReadFile(f.path)
	if err != nil {
		return cur.hash, cur.hash, fmt.Errorf("gateway: config: %w", err)
	}
	if fileHash(data) != f.hash {
		if _, rerr := g.reloadLocked(ctx, data, PolicyChange{Subject: SourceFile, Source: SourceFile}); rerr != nil {
			return cur.hash, cur.hash, fmt.Errorf("%w: the configuration file changed on disk and does not load: %w", ErrPolicyConflict, rerr)
		}
		return cur.hash, g.policies.load().hash, fmt.Errorf("%w: the configuration file changed on disk and was reloaded; review and retry", ErrPolicyConflict)
	}
	snap, err := g.policies.build(next)
	if err != nil {
		if !errors.Is(err, ErrLimitsExternal) {
			err = fmt.Errorf("%w: %w", ErrPolicyInvalid, err)
		}
		return cur.hash, cur.hash, err
	}
	if snap.hash == cur.hash {
		return cur.hash, cur.hash, nil
	}
	out, err := rewritePolicy(data, cur.cfg, snap.cfg)
	if err != nil {
		return cur.hash, cur.hash, err
	}
	if c, err := parseConfig(out); err != nil || hashPolicy(c.Policy) != snap.hash {
		return cur.hash, cur.hash, fmt.Errorf("gateway: the rewritten configuration does not read back as the new policy (nothing written): %v", err)
	}
	if err := writeFileAtomic(f.path, out); err != nil {
		return cur.hash, cur.hash, err
	}
	f.hash, f.badHash = fileHash(out), ""
	return cur.hash, snap.hash, g.applyPolicy(ctx, cur, snap, who)
}

// ReloadPolicy re-reads the configuration file (Options.ConfigFile) and
// applies its policy as UpdatePolicy does, but without writing: on SIGHUP
// and when the file changes on disk. A file whose content hash is the one
// in force (e.g. the console's own write) does nothing; a file that does
// not load or validate leaves the policy in force and returns the error.
// Changes outside the policy section are logged: they need a restart.
func (g *Gateway) ReloadPolicy(ctx context.Context, source string) (changed bool, err error) {
	f := g.cfgFile
	if f == nil {
		return false, ErrNoConfigFile
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	data, err := os.ReadFile(f.path)
	if err != nil {
		return false, fmt.Errorf("gateway: reload: %w", err)
	}
	return g.reloadLocked(ctx, data, PolicyChange{Subject: source, Source: source})
}

func (g *Gateway) reloadLocked(ctx context.Context, data []byte, who PolicyChange) (bool, error) {
	f := g.cfgFile
	h := fileHash(data)
	if h == f.hash || h == f.badHash {
		return false, nil
	}
	fail := func(err error) (bool, error) {
		f.badHash = h
		return false, fmt.Errorf("gateway: reload %s: %w (the policy in force is unchanged)", f.path, err)
	}
	c, err := parseConfig(data)
	if err != nil {
		return fail(err)
	}
	cur := g.policies.load()
	snap, err := g.policies.build(c.Policy)
	if err != nil {
		return fail(err)
	}
	f.hash, f.badHash = h, ""
	if rest := withoutPolicy(c); !reflect.DeepEqual(rest, f.rest) {
		f.rest = rest
		g.opts.Logger.Printf("config %s: settings outside policy changed; they take effect at the next restart", f.path)
	}
	if snap.hash == cur.hash {
		return false, nil
	}
	return true, g.applyPolicy(ctx, cur, snap, who)
}

// applyPolicy records the change from cur to next (audit record, event,
// span, log line) and then swaps next in, so every decision under the new
// hash comes after the record that introduces it. A record that cannot be
// written does not stop the change (the file already holds it); the error
// says so.
func (g *Gateway) applyPolicy(ctx context.Context, cur, next *policySnapshot, who PolicyChange) error {
	change := describeChange(cur.cfg, next.cfg)
	attrs := []attribute.KeyValue{KeySubject.String(who.Subject), KeyPolicySource.String(who.Source),
		KeyPolicyBefore.String(cur.hash), KeyPolicyHash.String(next.hash), KeyPolicyDiff.String(change)}
	if who.Client != "" {
		attrs = append(attrs, KeyClient.String(who.Client))
	}
	ctx, span := g.tracing.tracer.Start(context.WithoutCancel(ctx), EventPolicyChange,
		trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(attrs...))
	defer span.End()
	g.emitter.Emit(ctx, EventPolicyChange, attrs...)
	sc := span.SpanContext()
	_, err := g.recorder.Record(ctx, audit.Fields{
		Method: audit.MethodPolicyChange, TraceID: sc.TraceID().String(), SpanID: sc.SpanID().String(),
		Subject: who.Subject, Client: who.Client, Transport: who.Source,
		PolicyBefore: cur.hash, PolicyHash: next.hash, Change: change,
	})
	g.policies.swap(next)
	g.opts.Logger.Printf("policy %s -> %s by %s (%s): %s", cur.hash, next.hash, who.Subject, who.Source, change)
	if err != nil {
		return fmt.Errorf("gateway: policy %s applied but its audit record failed: %w", next.hash, err)
	}
	return nil
}
