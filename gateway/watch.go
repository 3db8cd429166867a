package gateway

import (
	"context"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Watching the configuration file: fsnotify on its directory (editors and
// the console replace the file by a rename), debounced, and a slow poll of
// the file's hash as a backstop (symlinked files, e.g. a Kubernetes
// ConfigMap, change behind a link the watch does not name).
const (
	watchDebounce = 100 * time.Millisecond
	watchPoll     = 5 * time.Second
)

// watchConfig reloads the policy whenever the configuration file changes,
// until ctx ends. A reload that fails leaves the policy in force and is
// logged once per file content.
func (g *Gateway) watchConfig(ctx context.Context) {
	path := filepath.Clean(g.opts.ConfigFile)
	var events <-chan fsnotify.Event
	var errs <-chan error
	if w, err := fsnotify.NewWatcher(); err != nil {
		g.opts.Logger.Printf("config %s: no file watch (%v); polling every %s", path, err, watchPoll)
	} else {
		defer w.Close()
		if err := w.Add(filepath.Dir(path)); err != nil {
			g.opts.Logger.Printf("config %s: no file watch (%v); polling every %s", path, err, watchPoll)
		} else {
			events, errs = w.Events, w.Errors
		}
	}
	poll := time.NewTicker(watchPoll)
	defer poll.Stop()
	debounce := time.NewTimer(time.Hour)
	debounce.Stop()
	reload := func() {
		if _, err := g.ReloadPolicy(ctx, SourceFile); err != nil {
			g.opts.Logger.Print(err)
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			if filepath.Clean(ev.Name) == path {
				debounce.Reset(watchDebounce)
			}
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			g.opts.Logger.Printf("config %s: watch: %v", path, err)
		case <-debounce.C:
			reload()
		case <-poll.C:
			reload()
		}
	}
}
