package audit_test

import (
	"context"
	"fmt"
	"github.com/tracegate/tracegate/gateway/reason"

	"github.com/tracegate/tracegate/gateway/audit"
)

// A denial is one record; an allowed call is Begin before dispatch and End
// before the answer. Callbacks get go-micro style copies.
func Example() {
	ctx := context.Background()
	rec, err := audit.New(audit.DefaultConfig(), audit.WithAuditFunc(func(a audit.AuditRecord) {
		fmt.Printf("%s %s allowed=%v reason=%s outcome=%s\n", a.AccountID, a.Tool, a.Allowed, a.Reason, a.Outcome)
	}))
	if err != nil {
		panic(err)
	}
	defer rec.Close(ctx)

	_, _ = rec.Record(ctx, audit.Fields{Tool: "posts.Posts.Delete", Subject: "alice",
		Decision: audit.Deny, Reason: reason.InsufficientScope, RequiredScopes: []string{"posts:admin"}})

	call, err := rec.Begin(ctx, audit.Fields{Tool: "posts.Posts.Read", Subject: "alice",
		Decision: audit.Allow, Reason: reason.Granted, Arguments: []byte(`{"id":1}`)})
	if err != nil {
		return // strict mode: refuse the call
	}
	r, _ := call.End(ctx, audit.Completion{Outcome: audit.OutcomeOK})
	fmt.Println("seq", r.Seq(), "digest", len(r.ArgsDigest()), "hex chars")
	// Output:
	// alice posts.Posts.Delete allowed=false reason=insufficient_scope outcome=
	// alice posts.Posts.Read allowed=true reason=granted outcome=ok
	// seq 2 digest 64 hex chars
}
