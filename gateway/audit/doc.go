// Package audit is tracegate's audit trail: one immutable [Record] per
// tools/call (and per denial), sealed into a hash chain keyed with
// HMAC-SHA256, written to an append-only JSON Lines file with
// Ed25519-signed checkpoints that are also published as spans, emitted as
// the OTel event [EventName] and handed to go-micro style [AuditFunc]
// callbacks. [VerifyFiles] and [RunVerify] check a file set; the search
// subpackage finds records in Jaeger and is the Jaeger [Witness].
// docs/audit.md says what the trail proves and what it needs.
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
// # Canonical encoding, chain and MAC
//
// A record's line is its JSON encoding with snake_case members in the fixed
// order of the wire struct, no HTML escaping, times in RFC 3339 UTC,
// duration in nanoseconds; seq counts records from 1 and prev_hash is the
// previous record's hash. With a MAC key (Config.MACKeyFile, [WithMACKey];
// an operator secret of at least 32 bytes, kept apart from the signing
// key) the "mac" member is the hex HMAC-SHA256 (RFC 2104) of the encoding
// with "mac" and "hash" empty; "hash" is the hex SHA-256 of the encoding
// with "hash" empty, so it covers the MAC, and each MAC covers, through
// prev_hash, every record before it. Anyone can check the hashes; only
// the key holder can make or check MACs, so records after the last signed
// checkpoint cannot be rewritten without the key. Without a key the chain
// is unkeyed (development): the writer logs so and verify reports it. The
// verifier re-encodes each line and requires the same bytes, so edits to
// whitespace, member order, duplicate or unknown members are detected too.
//
// # Files, rotation, checkpoints, witness
//
// The first file is Config.File.Path (audit.jsonl); rotation at RotateBytes
// creates audit-000001.jsonl, audit-000002.jsonl, … beside it, never
// renaming ([Segments] lists them). Every file starts with a segment line
// holding the chain state where it starts (count, head hash, last
// checkpoint hash, previous file name), the log's random id and the id of
// the MAC key that keys the file ([MACKeyID]); a file is keyed one way.
// With a signing key (PEM PKCS#8 Ed25519, [LoadSigningKey]) a checkpoint
// line is written every CheckpointEvery records, every CheckpointInterval
// when records were added, before each rotation and on Close; it signs the
// record count, the head hash, the previous checkpoint's hash, the log id,
// the MAC key id and the hash of its file's segment line ([KeyID] names the
// key). Records after the last checkpoint are thus always in the newest
// file. With [WithTracerProvider] every checkpoint is also published as a
// root span [CheckpointSpanName] whose attributes carry it whole, so the
// trace backend is an independent [Witness]: a file cut before checkpoints
// the witness holds is reported as [Truncated]. Build that provider with
// [CheckpointSampler] so ratio sampling never drops a checkpoint.
//
// # Crashes and recovery
//
// Every line is written with a single write(2); strict mode fsyncs each
// one, so a killed process leaves at most one incomplete last line. On
// start, [OpenFile] refuses a path that is not a regular file
// ([ErrNotRegularFile]) and reads only the newest file's first line and
// its end (memory does not depend on the file's size): it finds the last
// checkpoint by scanning backward, checks its signature and replays the
// records after it, checking hashes, links and MACs. A tail that does not
// verify is not adopted: the writer refuses to start ([ErrTailRejected],
// [ErrCorruptLog]) rather than sign a record it cannot vouch for, and
// rather than bridge it in a new file, which would keep the gateway up but
// put the decision about evidence in a line nobody reads; the operator
// keeps the files as evidence, runs verify and starts a new log. A keyed
// log is not continued without its key ([ErrMACKeyRequired],
// [ErrMACKeyMismatch]). An incomplete last line is left byte-for-byte as it
// is: writing moves to the next segment, where a truncation record names
// the file, offset, length and SHA-256 of the bytes. After a crash (a torn
// line, or records after the last checkpoint) a writer with a signing key
// writes a recovery record naming the tail it adopted (crash_seq,
// tail_records, tail_head, whether every MAC verified) and a checkpoint
// signing it. A legacy or differently keyed newest file is continued in a
// new, keyed file.
//
// # Verifying
//
// [VerifyFiles] reports every problem it finds ([Report].Findings), goes on
// past a torn line at the end of a file, and classifies the result:
//
//	exit  status                    meaning
//	0     intact                    every record signed (or MAC-verified), nothing wrong
//	0     intact_mac_verified_tail  "intact, N records after the last checkpoint (MAC-verified)"
//	0     recovered                 "recovered after a crash at record N" (recovery records)
//	1     tampered                  modified, deleted, inserted, reordered, bad signature or MAC
//	1     truncated                 a witness, --expect-head or --min-records knows more records
//	2     -                         usage or I/O error, a witness that cannot be asked
//	3     torn                      only an undeclared incomplete last line (a crash)
//	4     tail_not_verifiable       records neither signed nor MAC-verified (no MAC key
//	                                given, or an unkeyed log), unless --allow-unsigned-tail
//
// Files written before the chain was keyed verify as unkeyed.
//
// # Strict mode when the disk fails
//
// The Recorder writes through a [FileSystem] (tests inject one that fails
// with ENOSPC). When a write fails it says so at once: one log line per
// outage ([WithLogger]), the tracegate.audit.write_errors counter, and
// [Recorder.Ready] returns an error (serve it as /readyz). While the file
// is not writable, calls fail at once without touching it; a retry loop
// with backoff ([WithRetryBackoff]) moves writing to a new file (declaring
// any bytes the failed write left) when space returns, writes the records
// kept meanwhile (up to QueueSize; more become a gap record), logs that it
// recovered and reports ready again. A refused strict Begin records the
// refusal itself (deny, audit_unavailable). A call whose outcome could not
// be written after dispatch gets [ErrOutcomeNotRecorded] from [Call.End]:
// the gateway answers its real result with a warning.
//
// # Durability modes
//
// Set per [Recorder] by [Config].Mode and per tool by ToolModes:
//
//   - [ModeStrict]: Begin writes and fsyncs the intent entry before the call
//     is dispatched, End writes and fsyncs the outcome record before the
//     answer. If Begin fails (an error wrapping [ErrAuditUnavailable]) the
//     pipeline must refuse the call (fail closed); if End fails the call was
//     already made ([ErrOutcomeNotRecorded]): answer its result with a
//     warning. Denials are fsynced before the denial is answered. Appends are
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
