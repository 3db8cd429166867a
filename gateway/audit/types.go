package audit

import "github.com/tracegate/tracegate/gateway/reason"

// Kind tells what a record is about.
type Kind string

// Record kinds.
const (
	KindCall       Kind = "call"       // a tools/call (intent or outcome phase)
	KindMethod     Kind = "method"     // another MCP method, at level metadata
	KindGap        Kind = "gap"        // batch mode dropped Dropped records here
	KindTruncation Kind = "truncation" // a crash or write error left uncommitted bytes
	KindRecovery   Kind = "recovery"   // a restarted writer adopted the tail a crash left
	KindPolicy     Kind = "policy"     // the decision policy changed (Fields.Method MethodPolicyChange)
)

// Phase distinguishes the pre-dispatch intent entry of strict mode from the
// outcome record. The outcome record is the one record per tools/call.
type Phase string

// Record phases.
const (
	PhaseIntent  Phase = "intent"
	PhaseOutcome Phase = "outcome"
)

// Decision is the authorization decision.
type Decision string

// Decisions.
const (
	Allow Decision = "allow"
	Deny  Decision = "deny"
)

// Reason explains a decision; the vocabulary is declared once in
// gateway/reason and shared with the decision events and JSON-RPC errors.
type Reason = reason.Reason

// Outcome is how an allowed call ended.
type Outcome string

// Outcomes.
const (
	OutcomeOK        Outcome = "ok"
	OutcomeToolError Outcome = "tool_error" // the tool answered with isError
	OutcomeError     Outcome = "error"      // dispatch or protocol failure
)

// Mode is a durability mode; see the package documentation.
type Mode string

// Durability modes.
const (
	ModeStrict   Mode = "strict"
	ModeBlocking Mode = "blocking"
	ModeBatch    Mode = "batch"
)

// Level is how much is recorded for MCP methods other than tools/call.
type Level string

// Levels.
const (
	LevelNone     Level = "none"
	LevelMetadata Level = "metadata"
)

// MethodToolsCall is the MCP method that produces call records.
const MethodToolsCall = "tools/call"

// MethodPolicyChange marks the Fields of a policy change (kind policy): who
// (Subject, Client), what (Change), and the policy hash before
// (PolicyBefore) and after (PolicyHash). It is recorded at every level.
const MethodPolicyChange = "tracegate/policy.change"

// MaxChange caps Fields.Change (bytes, cut on a rune boundary).
const MaxChange = 4096
