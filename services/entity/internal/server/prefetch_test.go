package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/millwright-dev/millwright/services/entity/connector"
)

// TestPrefetch checks the pages come in order, at most n of them, and that
// the listing stops after the last page, after an error, and once its time
// is up.
func TestPrefetch(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name     string
		pages    int // the system's pages
		failAt   int // the page whose fetch fails (1-based); 0 for none
		n        int
		budget   time.Duration // from the call's start
		want     []string      // the tokens fetched
		wantErrs int
	}{
		{"stops at n", 10, 0, 3, time.Hour, []string{"", "p1", "p2"}, 0},
		{"stops after the last page", 2, 0, 8, time.Hour, []string{"", "p1"}, 0},
		{"stops after an error", 10, 2, 8, time.Hour, []string{"", "p1"}, 1},
		{"fetches one page past its time", 10, 0, 8, -time.Second, []string{""}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tokens []string
			list := func(lr connector.ListRequest) fetched {
				tokens = append(tokens, lr.PageToken)
				if len(tokens) == tc.failAt {
					return fetched{err: boom}
				}
				next := ""
				if len(tokens) < tc.pages {
					next = fmt.Sprintf("p%d", len(tokens))
				}
				return fetched{page: connector.Page{NextPageToken: next}}
			}
			errs := 0
			got := 0
			for f := range prefetch(context.Background(), tc.n, time.Now().Add(tc.budget), connector.ListRequest{}, list) {
				got++
				if f.err != nil {
					errs++
				}
			}
			if !slices.Equal(tokens, tc.want) || got != len(tc.want) || errs != tc.wantErrs {
				t.Errorf("fetched %q, delivered %d with %d errors; want %q, %d errors", tokens, got, errs, tc.want, tc.wantErrs)
			}
		})
	}
}

// TestPrefetchStopsWhenCancelled checks a reader that gives up does not
// leave the listing running.
func TestPrefetchStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	pages := prefetch(ctx, 100, time.Now().Add(time.Hour), connector.ListRequest{}, func(connector.ListRequest) fetched {
		calls++
		return fetched{page: connector.Page{NextPageToken: "more"}}
	})
	<-pages
	cancel()
	for range pages {
	}
	if calls > 3 {
		t.Errorf("%d pages fetched after the reader stopped at the first", calls)
	}
}
