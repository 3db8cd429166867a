// Package wire is the gateway's one parse of a JSON-RPC 2.0 message: strict
// (case-sensitive member names, no duplicate or case-variant protocol
// members, no trailing data, valid UTF-8, bounded nesting, no batches), in a
// single pass, into a [Message] whose raw members are sub-slices of the body.
// Every later step reads the Message; none parses the body again.
package wire
