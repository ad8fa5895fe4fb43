package engine

import (
	"context"
	"encoding/json"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	"github.com/millwright-dev/millwright/services/sync/internal/store"
)

// Event types of finished runs.
const (
	EventCompleted = "sync.completed"
	EventFailed    = "sync.failed"
)

// DedupeKey is the dedupe key of a run's event: a run's event is recorded
// once however often it is delivered.
func DedupeKey(r store.Run) string { return "sync|" + r.ID + "|" + r.State }

// deliver reports a finished run's connectivity outcome to the connection
// service and records its event, then marks it delivered. Until then the
// run stays in the outbox, and another replica delivers it after its
// notify_after (retry is true then: a report that a later run superseded
// is skipped, so that an old outcome never overwrites a newer one).
func (e *Engine) deliver(ctx context.Context, r store.Run, retry bool) {
	if r.Report != "" {
		send := true
		if retry {
			last, err := e.store.LastReportingRun(ctx, r.ConnectionID)
			if err != nil {
				e.log.Warn("sync: deliver a run's report", "run", r.ID, "error", err)
				return
			}
			send = last == r.ID
		}
		if send {
			req := &connectionv1.ReportConnectivityRequest{
				Connection: r.ConnectionID,
				Outcome:    connectionv1.ReportConnectivityRequest_Outcome(connectionv1.ReportConnectivityRequest_Outcome_value[r.Report]),
			}
			if r.Report != reachable {
				req.Reason = r.ErrorReason + ": " + r.Error
			}
			if _, err := e.cfg.Connections.ReportConnectivity(ctx, req); err != nil {
				e.log.Warn("sync: report connectivity", "run", r.ID, "connection", r.ConnectionID, "error", err)
				return
			}
		}
	}
	if ev := event(r); ev != nil {
		if _, err := e.cfg.Connections.RecordEvents(ctx, &connectionv1.RecordEventsRequest{
			Events:    []*connectionv1.NewEvent{ev},
			RequestId: ev.GetDedupeKey(),
		}); err != nil {
			e.log.Warn("sync: record a run's event", "run", r.ID, "connection", r.ConnectionID, "error", err)
			return
		}
	}
	if err := e.store.Notified(ctx, r.ID); err != nil {
		e.log.Warn("sync: mark a run's notification delivered", "run", r.ID, "error", err)
	}
}

// event is a finished run's event; nil for a cancelled run.
func event(r store.Run) *connectionv1.NewEvent {
	typ := EventCompleted
	switch r.State {
	case store.StateSucceeded:
	case store.StateFailed:
		typ = EventFailed
	default:
		return nil
	}
	data := map[string]any{
		"run":         r.ID,
		"mode":        r.Mode,
		"manual":      r.Manual,
		"collections": append([]string{}, r.Collections...),
		"counts": map[string]any{
			"seen":    r.Counts.Seen,
			"created": r.Counts.Created,
			"updated": r.Counts.Updated,
			"deleted": r.Counts.Deleted,
		},
	}
	if r.State == store.StateFailed {
		data["error"] = r.Error
		data["reason"] = r.ErrorReason
		if r.ErrorCollection != "" {
			data["collection"] = r.ErrorCollection
		}
	}
	b, err := json.Marshal(data)
	if err != nil {
		return nil
	}
	return &connectionv1.NewEvent{Type: typ, Connection: r.ConnectionID, DataJson: b, DedupeKey: DedupeKey(r)}
}

// sweepNotifications delivers the notifications whose worker did not
// confirm them in time (it died, or the connection service was down).
func (e *Engine) sweepNotifications(ctx context.Context) {
	now := e.Now()
	runs, err := e.store.PendingNotifications(ctx, now, 20)
	if err != nil {
		if ctx.Err() == nil {
			e.log.Error("sync: pending notifications", "error", err)
		}
		return
	}
	for _, r := range runs {
		ok, err := e.store.ClaimNotification(ctx, r, now.Add(e.cfg.Lease))
		if err != nil || !ok {
			continue
		}
		e.deliver(ctx, r, true)
	}
}
