package gateway

import "github.com/tracegate/tracegate/gateway/audit"

// AuditRecord and AuditFunc keep go-micro gateway/mcp's names: the callback
// gets its own copy of each record.
type (
	AuditRecord = audit.AuditRecord
	AuditFunc   = audit.AuditFunc
)
