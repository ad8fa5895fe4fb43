package server

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	syncv1 "github.com/millwright-dev/millwright/gen/go/millwright/sync/v1"
	"github.com/millwright-dev/millwright/services/sync/internal/store"
)

func settingsProto(st store.Settings) *syncv1.SyncSettings {
	return &syncv1.SyncSettings{
		Connection:    st.ConnectionID,
		Interval:      durationProto(st.Interval),
		Collections:   st.Collections,
		HistoryWindow: durationProto(st.HistoryWindow),
	}
}

func runProto(r store.Run) *syncv1.SyncRun {
	mode := syncv1.SyncRun_INCREMENTAL
	if r.Mode == store.ModeFull {
		mode = syncv1.SyncRun_FULL
	}
	state := syncv1.SyncRun_State(syncv1.SyncRun_State_value[r.State])
	if r.State == "" {
		state = syncv1.SyncRun_QUEUED
	}
	return &syncv1.SyncRun{
		Id:          r.ID,
		Connection:  r.ConnectionID,
		Mode:        mode,
		Collections: r.Collections,
		State:       state,
		Manual:      r.Manual,
		Counts: &syncv1.SyncCounts{
			Seen:    r.Counts.Seen,
			Created: r.Counts.Created,
			Updated: r.Counts.Updated,
			Deleted: r.Counts.Deleted,
		},
		Error:       r.Error,
		ErrorReason: r.ErrorReason,
		CreateTime:  timestamp(r.CreateTime),
		StartTime:   timestamp(r.StartTime),
		EndTime:     timestamp(r.EndTime),
	}
}

func timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}
