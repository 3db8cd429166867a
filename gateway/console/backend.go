package console

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/gateway/policy"
)

// Backend is the gateway as the console sees it. The gateway implements it;
// tests use a fake.
type Backend interface {
	// Tools returns the current tools with their effective requirements,
	// all resolved under one policy.
	Tools() ToolSet
	// Policy returns the policy in force and whether it can be changed.
	Policy() PolicyState
	// UpdatePolicy validates next, keeps it (the configuration file),
	// records it and applies it atomically. base is the hash the edit
	// started from. Errors wrap ErrReadOnly, ErrConflict or ErrInvalid.
	UpdatePolicy(ctx context.Context, base string, next policy.Config, op Operator) (before, after string, err error)
	// Limits returns the configured limits and the callers closest to them.
	Limits() LimitState
	// Audit returns the audit trail's state; verify also verifies the
	// files (it reads them all).
	Audit(ctx context.Context, verify bool) AuditState
}

// Errors a Backend's UpdatePolicy wraps.
var (
	ErrReadOnly = errors.New("console: policy is read-only")
	ErrConflict = errors.New("console: the policy changed since it was read")
	ErrInvalid  = errors.New("console: invalid policy")
)

// Operator is who uses the console: the principal of a console token.
type Operator struct {
	Subject string   `json:"subject"`
	Client  string   `json:"client,omitempty"`
	Scopes  []string `json:"scopes,omitempty"`
}

// Tool is one tool as the console shows it.
type Tool struct {
	Name        string               `json:"name"`
	Canonical   string               `json:"canonical"`
	Service     string               `json:"service"`
	Endpoint    string               `json:"endpoint"`
	Description string               `json:"description,omitempty"`
	InputSchema json.RawMessage      `json:"input_schema,omitempty"`
	Declared    []string             `json:"declared_scopes,omitempty"` // by the service
	Requirement policy.Requirement   `json:"requirement"`               // effective: scopes, mode, source
	Limits      []policy.BucketLimit `json:"limits,omitempty"`
	Clients     []string             `json:"clients,omitempty"` // configured clients that may call it
}

// ToolSet is the tools under one policy.
type ToolSet struct {
	PolicyHash string        `json:"policy_hash"`
	Policy     policy.Config `json:"-"`
	Tools      []Tool        `json:"tools"`
}

// PolicyState is the policy in force.
type PolicyState struct {
	Config policy.Config `json:"policy"`
	Hash   string        `json:"hash"`
	// ReadOnly says why the policy cannot be changed here ("" when it can);
	// LimitsReadOnly why the rate limits cannot.
	ReadOnly       string `json:"read_only,omitempty"`
	LimitsReadOnly string `json:"limits_read_only,omitempty"`
	File           string `json:"file,omitempty"`
}

// LimitState is the configured limits and the callers closest to them.
type LimitState struct {
	Config  policy.RateLimitConfig `json:"config"`
	Nearest []policy.BucketState   `json:"nearest"`
	// Note says why Nearest is empty when it cannot be known (a shared
	// limiter).
	Note string `json:"note,omitempty"`
}

// AuditState is the state of the audit trail.
type AuditState struct {
	Head  audit.Head `json:"head"`
	Mode  audit.Mode `json:"mode"`
	File  string     `json:"file,omitempty"`
	Ready string     `json:"not_ready,omitempty"` // why records cannot be written now
	// Report is the last verification (nil before one ran).
	Report      *audit.Report `json:"report,omitempty"`
	VerifyError string        `json:"verify_error,omitempty"`
	VerifiedAt  time.Time     `json:"verified_at,omitzero"`
	// Gaps and Dropped count the gap records the console has seen since
	// the gateway started and the records they stand for.
	Gaps    uint64 `json:"gaps"`
	Dropped uint64 `json:"dropped"`
}
