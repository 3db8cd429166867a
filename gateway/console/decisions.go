package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/tracegate/tracegate/gateway/reason"
)

// Live stream timing: how often a stream checks the tool list (so the
// Tools page follows the registry) and sends a keep-alive comment.
const (
	toolsCheck = time.Second
	keepAlive  = 15 * time.Second
	backlogMax = 200
)

// filterOf reads a Filter from the query.
func filterOf(r *http.Request) Filter {
	q := r.URL.Query()
	return Filter{Subject: q.Get("subject"), Client: q.Get("client"), Tool: q.Get("tool"),
		Decision: q.Get("decision"), Reason: q.Get("reason"), Intent: q.Get("intent"),
		Trace: q.Get("trace"), Kind: q.Get("kind")}
}

// decisionsView is the Decisions page.
type decisionsView struct {
	Filter  Filter
	Entries []Entry
	Reasons []reason.Reason
	Query   string // the filter as a query string, for the live stream
}

func (c *Console) serveDecisions(w http.ResponseWriter, r *http.Request) {
	f := filterOf(r)
	c.render(w, r, http.StatusOK, "decisions", view{Title: "Decisions", Data: decisionsView{
		Filter: f, Entries: c.feed.Recent(f, backlogMax), Reasons: reason.All(), Query: r.URL.RawQuery,
	}})
}

func (c *Console) apiDecisions(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	if n <= 0 || n > backlogMax {
		n = backlogMax
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": c.feed.Recent(filterOf(r), n)})
}

// apiStream is the live feed as server-sent events: "record" events (an
// Entry as JSON, the record id as event id) for new records matching the
// query's filter, preceded by those the ring holds after the record named
// by ?after= (so a page rendered a moment ago misses nothing), and "tools"
// events (the tool list's version) whenever the tools or the policy
// change. It ends when the client goes away or the console closes.
func (c *Console) apiStream(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	f := filterOf(r)
	sub, cancel := c.feed.subscribe()
	defer cancel()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	sent := map[string]bool{}
	after := r.URL.Query().Get("after")
	if last := r.Header.Get("Last-Event-ID"); last != "" { // an EventSource reconnecting
		after = last
	}
	if after != "" {
		recent := c.feed.Recent(f, backlogMax)
		if i := slices.IndexFunc(recent, func(e Entry) bool { return e.ID == after }); i >= 0 {
			recent = recent[:i]
		}
		for i := len(recent) - 1; i >= 0; i-- {
			c.sendEntry(w, recent[i])
			sent[recent[i].ID] = true
		}
	}
	version := toolsVersion(c.backend.Tools())
	fmt.Fprintf(w, "event: tools\ndata: %s\n\n", version)
	fl.Flush()

	tick, ping := time.NewTicker(toolsCheck), time.NewTicker(keepAlive)
	defer tick.Stop()
	defer ping.Stop()
	var missed uint64
	for {
		select {
		case <-r.Context().Done():
			return
		case <-c.life.Done():
			return
		case e := <-sub.ch:
			if !sent[e.ID] && f.Match(e) {
				c.sendEntry(w, e)
			}
			if m := sub.missed.Load(); m != missed {
				missed = m
				fmt.Fprintf(w, "event: missed\ndata: %d\n\n", m)
			}
		case <-tick.C:
			if v := toolsVersion(c.backend.Tools()); v != version {
				version = v
				fmt.Fprintf(w, "event: tools\ndata: %s\n\n", v)
			}
		case <-ping.C:
			fmt.Fprint(w, ": keep-alive\n\n")
		}
		fl.Flush()
	}
}

func (c *Console) sendEntry(w http.ResponseWriter, e Entry) {
	b, _ := json.Marshal(e)
	fmt.Fprintf(w, "event: record\nid: %s\ndata: %s\n\n", e.ID, b)
}
