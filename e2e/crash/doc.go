// Package crash kills a real gateway process (strict audit mode) with
// SIGKILL under concurrent load and checks what an incident responder needs:
// every call that got a successful answer has its audit record, and the
// chain verifies (an incomplete last line is truncation, not tampering).
package crash
