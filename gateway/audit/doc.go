// Package audit is tracegate's audit trail: one immutable [Record] per
// tools/call (and per denial), sealed into a SHA-256 hash chain, written to
// an append-only JSON Lines file with Ed25519-signed checkpoints, emitted as
// the OTel event [EventName] and handed to go-micro style [AuditFunc]
// callbacks. [Verify] and [RunVerify] check a file set; the search
// subpackage finds records in Jaeger.
//
// # Records
//
// A pipeline fills a plain [Fields] value; [NewRecord] (or a [Recorder])
// copies it into a [Record], whose fields are unexported and whose getters
// return copies. Arguments are never stored as given: the record keeps the
// hex HMAC-SHA256 of their compact JSON ([Digester], key from
// [Config].HMACKey) and, only for tools listed in PlaintextArgsTools, the
// plaintext cut at PlaintextArgsMax bytes on a rune boundary.
//
// Each allowed tools/call yields exactly one outcome record
// ([PhaseOutcome], [KindCall]). In strict mode [Recorder.Begin] first writes
// an intent entry ([PhaseIntent]) before dispatch; [Call.End] writes the
// outcome record with IntentRef set to the intent's ID. Intent entries go to
// the file and [WithSink] sinks only, never to the OTel and callback sinks,
// so consumers still see one record per call; an intent without an outcome
// in the file means the process died during the call. Denials are written
// in one step with [Recorder.Record]. Batch-mode drops are chained as
// [KindGap] records carrying the drop count, and bytes left by a crash or a
// failed write are declared by a [KindTruncation] record.
//
// # Canonical encoding and chain
//
// A record's line is its JSON encoding with snake_case members in the fixed
// order of the wire struct, no HTML escaping, times in RFC 3339 UTC,
// duration in nanoseconds. Its hash is the hex SHA-256 of that line with
// "hash" set to "" and "prev_hash" set to the previous record's hash; seq
// counts records from 1. The verifier re-encodes each line and requires the
// same bytes, so edits to whitespace, member order, duplicate or unknown
// members are detected too.
//
// # Files, rotation, checkpoints, crashes
//
// The first file is Config.File.Path (audit.jsonl); rotation at RotateBytes
// creates audit-000001.jsonl, audit-000002.jsonl, … beside it, never
// renaming ([Segments] lists them). Every file starts with a segment line
// holding the chain state where it starts (count, head hash, last
// checkpoint hash, previous file name), so the chain continues across files.
// With a signing key (PEM PKCS#8 Ed25519, [LoadSigningKey]) a checkpoint
// line is written every CheckpointEvery records, every CheckpointInterval
// when records were added, and on Close; it signs the record count, the
// head hash and the previous checkpoint's hash ([KeyID] names the key).
// Without a key there are no checkpoints and only the chain protects the
// file: whoever can write the file can then rewrite its end undetected.
// Records after the last checkpoint can be cut off undetectably; [Verify]
// reports how many are unsigned.
//
// Every line is written with a single write(2); strict mode fsyncs each
// one, so a killed process leaves at most one incomplete last line. On
// start, [OpenFile] scans the newest file: if it ends in a complete line
// the chain resumes there; if not, the file is left byte-for-byte as it
// is, writing moves to the next segment and its first record is a
// truncation record naming the file, offset, length and SHA-256 of the
// incomplete bytes. A write or fsync error at run time is handled the same
// way on the next append. [Verify] accepts such declared bytes (reported in
// Report.Recovered) and reports an undeclared incomplete last line as
// [Truncated], a crash rather than tampering ([ExitTruncated]).
//
// # Durability modes
//
// Set per [Recorder] by [Config].Mode and per tool by ToolModes:
//
//   - [ModeStrict]: Begin writes and fsyncs the intent entry before the call
//     is dispatched, End writes and fsyncs the outcome record before the
//     answer. If either fails they return an error wrapping
//     [ErrAuditUnavailable]; the pipeline must refuse the call (fail
//     closed). Denials are fsynced before the denial is answered. Appends are
//     serialized, so each strict record costs one fsync on the call path.
//   - [ModeBlocking] (default): the outcome record is written (write(2) into
//     the page cache) before the answer, without fsync; it survives a process
//     crash but not a power loss. A write error is returned wrapping
//     [ErrAuditUnavailable] and counted in tracegate.audit.write_errors.
//   - [ModeBatch]: the record goes to a bounded queue (QueueSize) drained by
//     one writer goroutine; a call never blocks on it. When the queue is
//     full the record is dropped from the file, counted in the metric
//     tracegate.audit.dropped, and a gap record with the drop count is
//     chained as soon as the writer catches up (queue empty, or every 256
//     records) and at Close. The OTel and callback sinks still see every
//     record, synchronously, but without seq and hash.
//
// In strict and blocking modes the OTel and callback sinks get the sealed
// record (with seq and hash) after it is written, outside the chain lock.
package audit
