package jaegertest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// LogRecord is one OTLP log record as the debug exporter (verbosity
// detailed) printed it. Values are stripped of their type wrapper:
// Str(post-1) is "post-1", Int(2) is "2", Bool(true) is "true".
type LogRecord struct {
	TraceID      string // 32 hex digits; empty without a span context
	SpanID       string // 16 hex digits; empty without a span context
	EventName    string
	Body         string
	SeverityText string
	Timestamp    string // as printed, e.g. 2026-11-25 18:29:30.514982893 +0000 UTC
	Attributes   map[string]string
	// Resource holds the resource attributes (service.name, …) of the
	// ResourceLog the record was printed in.
	Resource map[string]string
	// Scope is the instrumentation scope name.
	Scope string
}

// maxLine bounds one line of Jaeger's output (a 64 KiB attribute prints on
// one line).
const maxLine = 4 << 20

// Line shapes of the debug exporter's detailed output. The first line of a
// dump carries the collector's log prefix ("<time>\tinfo\tResourceLog #0"),
// and the dump ends with a line starting with a tab and the JSON context.
var (
	attrLine  = regexp.MustCompile(`^ {5}-> ([^:]+): (.*)$`)
	typedVal  = regexp.MustCompile(`(?s)^([A-Za-z]+)\((.*)\)$`)
	zapPrefix = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\S+\t[a-z]+\t`)
)

// section is where the parser is inside a dump.
type section int

const (
	outside section = iota
	resourceAttrs
	scope
	record
	recordAttrs
)

// logParser turns lines into records; value continuation lines (a string
// value with a newline) are appended to the last attribute or body.
type logParser struct {
	sec      section
	resource map[string]string
	scope    string
	cur      *LogRecord
	appendTo func(string) // continuation target, nil if none
	out      []LogRecord
}

// ParseLogRecords reads Jaeger's output and returns the log records the
// debug exporter printed, in order. Other output (Jaeger's own logs) is
// skipped; a record still being written at the end is dropped.
func ParseLogRecords(r io.Reader) ([]LogRecord, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	p := &logParser{}
	for sc.Scan() {
		p.line(sc.Text())
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("jaegertest: parse debug exporter output: %w", err)
	}
	return p.out, nil
}

func (p *logParser) line(l string) {
	if loc := zapPrefix.FindStringIndex(l); loc != nil {
		p.finish() // a collector log line ends any dump
		p.sec = outside
		l = l[loc[1]:]
	}
	switch {
	case strings.HasPrefix(l, "\t"): // the dump's trailing JSON context
		p.finish()
		p.sec = outside
	case strings.HasPrefix(l, "ResourceLog #"):
		p.finish()
		p.resource, p.scope, p.sec = map[string]string{}, "", outside
	case l == "Resource attributes:":
		p.sec = resourceAttrs
	case strings.HasPrefix(l, "ScopeLogs #"):
		p.finish()
		p.scope, p.sec = "", scope
	case strings.HasPrefix(l, "InstrumentationScope ") && p.sec == scope:
		p.scope = strings.Fields(l)[1]
	case strings.HasPrefix(l, "LogRecord #"):
		p.finish()
		p.cur = &LogRecord{Attributes: map[string]string{}, Resource: p.resource, Scope: p.scope}
		p.sec = record
	case p.sec == resourceAttrs && p.resource != nil:
		if !p.attribute(p.resource, l) {
			p.continueValue(l)
		}
	case p.sec == recordAttrs:
		if !p.attribute(p.cur.Attributes, l) && !p.field(l) {
			p.continueValue(l)
		}
	case p.sec == record:
		if !p.field(l) {
			p.continueValue(l)
		}
	}
}

// attribute reads an "     -> key: Type(value)" line into attrs.
func (p *logParser) attribute(attrs map[string]string, l string) bool {
	m := attrLine.FindStringSubmatch(l)
	if m == nil {
		return false
	}
	key, raw := m[1], m[2]
	attrs[key] = untype(raw)
	p.appendTo = func(more string) { raw += more; attrs[key] = untype(raw) }
	return true
}

// continueValue appends a line of a multi-line string value.
func (p *logParser) continueValue(l string) {
	if p.appendTo != nil {
		p.appendTo("\n" + l)
	}
}

// recordFields are the field names of a detailed LogRecord.
var recordFields = map[string]bool{
	"ObservedTimestamp": true, "Timestamp": true, "SeverityText": true, "SeverityNumber": true,
	"EventName": true, "Body": true, "Attributes": true, "Trace ID": true, "Span ID": true,
	"Flags": true, "DroppedAttributesCount": true,
}

// field reads a "Name: value" line of the current record and reports
// whether it was one.
func (p *logParser) field(l string) bool {
	key, val, _ := strings.Cut(l, ":")
	if !recordFields[key] {
		return false
	}
	val = strings.TrimPrefix(val, " ")
	r := p.cur
	p.appendTo = nil
	switch key {
	case "Trace ID":
		r.TraceID = strings.TrimSpace(val)
	case "Span ID":
		r.SpanID = strings.TrimSpace(val)
	case "EventName":
		r.EventName = val
	case "SeverityText":
		r.SeverityText = val
	case "Timestamp":
		r.Timestamp = val
	case "Body":
		raw := val
		r.Body = untype(raw)
		p.appendTo = func(more string) { raw += more; r.Body = untype(raw) }
	case "Attributes":
		p.sec = recordAttrs
	case "Flags":
		p.finish()
	}
	return true
}

// finish emits the current record, if any.
func (p *logParser) finish() {
	if p.cur != nil {
		p.out = append(p.out, *p.cur)
		p.cur = nil
	}
	p.appendTo = nil
	if p.sec == record || p.sec == recordAttrs {
		p.sec = scope
	}
}

// untype strips the debug exporter's type wrapper: Str(x) is x.
func untype(v string) string {
	if m := typedVal.FindStringSubmatch(v); m != nil {
		return m[2]
	}
	return v
}

// LogRecords parses the Jaeger output file at path; it fails the test when
// the file cannot be read.
func LogRecords(t testing.TB, path string) []LogRecord {
	t.Helper()
	if path == "" {
		t.Fatalf("jaegertest: no Jaeger log file (%s is not set)", EnvLog)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("jaegertest: %v", err)
	}
	defer f.Close()
	recs, err := ParseLogRecords(f)
	if err != nil {
		t.Fatalf("jaegertest: %s: %v", path, err)
	}
	return recs
}

// WaitLogRecord polls Jaeger's output until a log record satisfies pred and
// returns it; it fails the test after timeout.
func (j *Jaeger) WaitLogRecord(t testing.TB, pred func(LogRecord) bool, timeout time.Duration) LogRecord {
	t.Helper()
	var (
		got  LogRecord
		seen int
	)
	ok := poll(timeout, func() bool {
		recs := LogRecords(t, j.LogPath)
		seen = len(recs)
		for _, r := range recs {
			if pred(r) {
				got = r
				return true
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("jaegertest: no matching log record in %s within %s (%d records printed)", j.LogPath, timeout, seen)
	}
	return got
}
