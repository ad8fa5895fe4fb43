package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
)

func init() {
	registerAPI("events", "list the account's events, or follow new ones as they happen", map[string]func() apiCommand{
		"list": eventsList,
		"tail": eventsTail,
	})
}

var eventColumns = []string{"create_time", "type", "connection", "id", "data"}

// eventFilter selects events.
type eventFilter struct{ typ, connection string }

func (f *eventFilter) define(fs *flag.FlagSet) {
	fs.StringVar(&f.typ, "type", "", "only events of this type (connection.status_changed, sync.failed ...)")
	fs.StringVar(&f.connection, "connection", "", "only events of this connection")
}

func (f eventFilter) request() *connectionv1.ListEventsRequest {
	return &connectionv1.ListEventsRequest{Type: f.typ, Connection: f.connection}
}

func eventsList() apiCommand {
	var page pageFlags
	var filter eventFilter
	return apiCommand{
		help: "list events, oldest first",
		flags: func(fs *flag.FlagSet) {
			page.define(fs)
			filter.define(fs)
		},
		run: func(ctx context.Context, s *session, _ []string) error {
			resp, err := page.list(ctx, method(s.Connections.ListEvents), filter.request())
			if err != nil {
				return err
			}
			return s.out.list(resp, "events", eventColumns...)
		},
	}
}

func eventsTail() apiCommand {
	var filter eventFilter
	var every time.Duration
	return apiCommand{
		help: "follow new events as they happen (one JSON document per line with --output json); Ctrl-C stops",
		flags: func(fs *flag.FlagSet) {
			filter.define(fs)
			fs.DurationVar(&every, "interval", time.Second, "how often to ask for new events")
		},
		run: func(ctx context.Context, s *session, _ []string) error {
			t := tailer{s: s, req: filter.request()}
			if err := t.poll(ctx, false); err != nil { // skip what happened before
				return err
			}
			fmt.Fprintln(s.progress, "following new events (Ctrl-C stops)")
			for {
				if err := sleep(ctx, every); err != nil {
					return nil // stopped
				}
				if err := t.poll(ctx, true); err != nil {
					if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
						return nil
					}
					return err
				}
			}
		},
	}
}

// tailer reads the events after the last one it has seen. Events list
// oldest first and a page token is a cursor, so it re-reads from the
// token of the last page it reached, skipping the events it has seen
// there: each poll costs about a page, however long the history.
type tailer struct {
	s     *session
	req   *connectionv1.ListEventsRequest
	token string          // the token of the last page reached
	seen  map[string]bool // the events seen on that page
}

func (t *tailer) poll(ctx context.Context, show bool) error {
	t.req.PageSize = 1000
	for {
		t.req.PageToken = t.token
		resp, err := t.s.Connections.ListEvents(ctx, t.req)
		if err != nil {
			return err
		}
		for _, e := range resp.GetEvents() {
			if t.seen[e.GetId()] {
				continue
			}
			if t.seen == nil {
				t.seen = map[string]bool{}
			}
			t.seen[e.GetId()] = true
			if show {
				if err := t.s.out.follow(e, eventColumns...); err != nil {
					return err
				}
			}
		}
		if resp.GetNextPageToken() == "" {
			return nil
		}
		t.token, t.seen = resp.GetNextPageToken(), nil
	}
}
