// Package crash kills a real gateway process (strict audit mode, signed and
// MAC-keyed chain) with SIGKILL under concurrent load and checks what an
// incident responder needs: every call that got a successful answer has its
// audit record; the chain verifies (the records after the last checkpoint
// by their MACs, an incomplete last line as a crash, not tampering); a
// restarted gateway refuses a tail rewritten without the MAC key, and
// otherwise adopts the tail, signs a recovery record and stops cleanly.
package crash
