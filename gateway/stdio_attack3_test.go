package gateway_test

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// TestStdioCancelledBeforeHandlerAuditedAttack3: regression test (attack round 3) for "every
// line is accounted exactly once, whatever the MCP SDK does with it": a call
// cancelled (notifications/cancelled) while it waits in the SDK's handler
// queue (behind a call whose large _meta the SDK is still decoding) is
// answered by the SDK with context.Canceled, which is not a *jsonrpc.Error,
// so lineConn.Write neither refuses nor audits it: the call has no record.
func TestStdioCancelledBeforeHandlerAuditedAttack3(t *testing.T) {
	pe := newProbeEnv(t)
	c := newStdioClient(t, pe)
	time.Sleep(200 * time.Millisecond)
	pe.sink.take()
	junk := strings.TrimSuffix(strings.Repeat("[[[[[[[[]]]]]]]],", 50_000), ",")
	slow := fmt.Sprintf(`{"jsonrpc":"2.0","id":"slow","method":"tools/call","params":{"name":"probe.Probe.Read","arguments":{"limit":1},"_meta":{"x":[%s]}}}`, junk)
	var lost []int
	for try := 0; try < 5; try++ {
		limit := 10 + try
		id := fmt.Sprintf(`%d`, 100+try)
		c.write(t, slow, probeCall(id, "Read", limit),
			fmt.Sprintf(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":%s,"reason":"gone"}}`, id))
		a, _ := c.until(t, id)
		if _, rest := c.until(t, `"slow"`); len(rest) != 0 {
			t.Logf("other answers: %v", rest)
		}
		time.Sleep(300 * time.Millisecond)
		recs := pe.sink.take()
		rs := recordsOf(recs, limit)
		t.Logf("try %d: id %s answered %.200s; its records %v", try, id, a.Raw, describe(rs))
		if len(rs) != 1 {
			lost = append(lost, try)
		}
	}
	if len(lost) > 0 {
		t.Fatalf("cancelled calls of tries %v have no audit record (want exactly one each)", lost)
	}
}

// TestStdioCallBeforeInitializeAuditedAttack3: regression test (attack round 3) for "every line
// is accounted exactly once, whatever the MCP SDK does with it": a call sent
// before initialize is refused by the SDK (ServerSession.handle, before any
// middleware) with a plain fmt error, not a *jsonrpc.Error, so
// lineConn.Write neither refuses nor audits it: no record.
func TestStdioCallBeforeInitializeAuditedAttack3(t *testing.T) {
	pe := newProbeEnv(t)
	toServer, in := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- pe.gw.ServeStdio(t.Context(), toServer, outW) }()
	t.Cleanup(func() {
		_ = in.Close()
		_ = outR.Close()
		<-done
	})
	sc := bufio.NewScanner(outR)
	sc.Buffer(make([]byte, 0, 1<<16), 8<<20)
	time.Sleep(100 * time.Millisecond)
	pe.sink.take()
	if _, err := io.WriteString(in, probeCall(`1`, "Read", 1)+"\n"); err != nil {
		t.Fatal(err)
	}
	if !sc.Scan() {
		t.Fatal("no answer")
	}
	answer := sc.Text()
	time.Sleep(300 * time.Millisecond)
	recs := pe.sink.take()
	t.Logf("answer %s; records %v; dispatched %d", answer, describe(recs), len(pe.probe.take()))
	if rs := recordsOf(recs, 1); len(rs) != 1 {
		t.Fatalf("the call before initialize was answered %s and has records %v, want exactly one", answer, describe(rs))
	}
}
