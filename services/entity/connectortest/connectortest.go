// Package connectortest is the acceptance kit every connector must pass
// against its system's simulator: capabilities are honest, listings return
// every record exactly once, incremental listings return the changes after
// a cursor, writes round-trip, and every failure of the system is classified
// right.
//
//	func TestAcceptance(t *testing.T) {
//		sim := httptest.NewServer(maximo.New(maximo.Config{}))
//		connectortest.Run(t, connectortest.Harness{Connector: New(), ...})
//	}
package connectortest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	connectorv1 "github.com/millwright-dev/millwright/gen/go/millwright/connector/v1"
	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/platform/apierr"
)

// Harness is what the kit needs to test one connector against its simulator.
type Harness struct {
	// Connector is the connector under test. The kit calls it through the
	// connector protocol, as the entity service does.
	Connector connector.Connector
	// Config is a working connection to the simulator.
	Config connector.Config
	// BadCredentials is the same connection with credentials the system rejects.
	BadCredentials connector.Config
	// FaultsURL is the simulator's fault admin endpoint (…/_sim/faults).
	FaultsURL string
	// Count returns how many live records of a collection the system holds.
	Count func(t *testing.T, collection string) int
	// Touch changes one record of a collection through the system's own API
	// and returns its key.
	Touch func(t *testing.T, collection string) string
	// NewRecord returns a record the system accepts, for each collection the
	// connector can create; links hold the system's keys.
	NewRecord func(t *testing.T, collection string) *connectorv1.Record
	// Invalid returns a record the system rejects and a fragment of the
	// system's own message for it.
	Invalid func(t *testing.T, collection string) (*connectorv1.Record, string)
	// Change returns, for each collection the connector can update, the
	// unified fields to change and a record holding their new values.
	Change func(t *testing.T, collection string) ([]string, *connectorv1.Record)
	// Statuses names, per collection with SET_STATUS, a unified status the
	// kit may set on a record created by NewRecord.
	Statuses map[string]string
	// Overlap is how far before its cursor an incremental listing may start
	// again (records changed in that window may come back); 0 means 10 minutes.
	Overlap time.Duration
}

// reason returns an error's Millwright reason and RetryInfo delay.
func reason(err error) (apierr.Reason, time.Duration) {
	st := status.Convert(err)
	r, _ := apierr.FromStatus(st)
	return r, apierr.RetryAfter(st)
}

// Run runs the acceptance kit.
func Run(t *testing.T, h Harness) {
	t.Helper()
	ctx := context.Background()
	c, stop, err := connector.InProcess(ctx, h.Connector)
	if err != nil {
		t.Fatalf("serve the connector through the protocol: %v", err)
	}
	t.Cleanup(stop)
	if h.Overlap == 0 {
		h.Overlap = 10 * time.Minute
	}
	k := &kit{h: h, c: c}
	t.Run("describe", k.describe)
	t.Run("check", k.check)
	t.Run("unclaimed operations are refused", k.unclaimed)
	t.Run("full listing returns every record once", k.fullListing)
	t.Run("incremental listing returns the changes", k.incremental)
	t.Run("writes round-trip", k.writes)
	t.Run("faults are classified", k.faults)
}

type kit struct {
	h Harness
	c connector.Connector
}

// setFault sets the simulator's fault state; an empty mode clears it.
func (k *kit) setFault(t *testing.T, state map[string]any) {
	t.Helper()
	method, body := http.MethodPut, []byte(nil)
	if state == nil {
		method = http.MethodDelete
	} else {
		body, _ = json.Marshal(state)
	}
	req, err := http.NewRequest(method, k.h.FaultsURL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("set fault %v: %v", state, err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("set fault %v: %s", state, resp.Status)
	}
}

// equalOn reports the fields of want (set in its unified message) whose
// values differ in got.
func equalOn(want, got proto.Message) []string {
	var diff []string
	w, g := want.ProtoReflect(), got.ProtoReflect()
	for i := 0; i < w.Descriptor().Fields().Len(); i++ {
		f := w.Descriptor().Fields().Get(i)
		if !w.Has(f) {
			continue
		}
		if !w.Get(f).Equal(g.Get(f)) {
			diff = append(diff, string(f.Name()))
		}
	}
	return diff
}
