package cli

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc/codes"

	millwright "github.com/millwright-dev/millwright/client"
	syncv1 "github.com/millwright-dev/millwright/gen/go/millwright/sync/v1"
)

func init() {
	registerAPI("sync", "run syncs and see their runs and status", map[string]func() apiCommand{
		"run":    syncRun,
		"status": syncStatus,
		"runs":   syncRuns,
	})
}

var syncRunColumns = []string{"id", "mode", "state", "manual", "counts.seen", "counts.created", "counts.updated", "counts.deleted", "create_time", "end_time", "error_reason"}

func syncRun() apiCommand {
	var full, wait bool
	var cols, requestID string
	return apiCommand{
		help: "start a sync now and follow it until done (progress on stderr)",
		args: []string{"<connection>"},
		flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&full, "full", false, "a full sync (every record again, deletions reconciled) instead of an incremental one")
			fs.StringVar(&cols, "collections", "", "comma-separated collections to sync (default: the connection's sync settings)")
			fs.BoolVar(&wait, "wait", true, "follow the run until it ends")
			fs.StringVar(&requestID, "request-id", "", "makes a retried run return the first run")
		},
		run: func(ctx context.Context, s *session, args []string) error {
			req := &syncv1.RunSyncRequest{Connection: args[0], Mode: syncv1.SyncRun_INCREMENTAL, RequestId: requestID}
			if full {
				req.Mode = syncv1.SyncRun_FULL
			}
			if cols != "" {
				req.Collections = strings.Split(cols, ",")
			}
			resp, err := s.Sync.RunSync(ctx, req)
			if err != nil {
				return err
			}
			run := resp.GetSyncRun()
			p := newProgress(s.progress)
			for wait && !ended(run.GetState()) {
				c := run.GetCounts()
				p.show("sync %s %s: %d seen, %d created, %d updated, %d deleted", run.GetId(), run.GetState(), c.GetSeen(), c.GetCreated(), c.GetUpdated(), c.GetDeleted())
				if err := sleep(ctx, 500*time.Millisecond); err != nil {
					return err
				}
				got, err := s.Sync.GetSyncRun(ctx, &syncv1.GetSyncRunRequest{Connection: args[0], Run: run.GetId()})
				if err != nil {
					return err
				}
				run = got.GetSyncRun()
			}
			p.done()
			if err := s.out.one(&syncv1.GetSyncRunResponse{SyncRun: run}, "sync_run"); err != nil {
				return err
			}
			if run.GetState() == syncv1.SyncRun_FAILED {
				return &millwright.Error{Code: codes.Unknown, Domain: millwright.Domain, Reason: cmp.Or(run.GetErrorReason(), "SYNC_FAILED"), Message: fmt.Sprintf("sync %s failed: %s", run.GetId(), run.GetError())}
			}
			return nil
		},
	}
}

func ended(s syncv1.SyncRun_State) bool {
	return s == syncv1.SyncRun_SUCCEEDED || s == syncv1.SyncRun_FAILED || s == syncv1.SyncRun_CANCELLED
}

func syncStatus() apiCommand {
	return apiCommand{
		help: "show each collection's last sync, next run and backoff",
		args: []string{"<connection>"},
		run: func(ctx context.Context, s *session, args []string) error {
			resp, err := s.Sync.GetSyncStatus(ctx, &syncv1.GetSyncStatusRequest{Connection: args[0]})
			if err != nil {
				return err
			}
			return s.out.list(resp, "collections", "collection", "record_count", "last_success_time", "next_run_time", "consecutive_failures", "backoff_until", "last_error")
		},
	}
}

func syncRuns() apiCommand {
	var page pageFlags
	return apiCommand{
		help:  "list a connection's sync runs",
		args:  []string{"<connection>"},
		flags: func(fs *flag.FlagSet) { page.define(fs) },
		run: func(ctx context.Context, s *session, args []string) error {
			resp, err := page.list(ctx, method(s.Sync.ListSyncRuns), &syncv1.ListSyncRunsRequest{Connection: args[0]})
			if err != nil {
				return err
			}
			return s.out.list(resp, "sync_runs", syncRunColumns...)
		},
	}
}
