package connectortest

import (
	"context"
	"encoding/json"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	connectorv1 "github.com/millwright-dev/millwright/gen/go/millwright/connector/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/entity/internal/model"
	"github.com/millwright-dev/millwright/services/platform/apierr"
)

type op = entityv1.CollectionCapability_Operation

func (k *kit) claims(collection string, o op) bool {
	for _, c := range k.c.Describe().GetCapabilities() {
		if c.GetCollection() == collection {
			return slices.Contains(c.GetOperations(), o)
		}
	}
	return false
}

func (k *kit) describe(t *testing.T) {
	sys := k.c.Describe()
	credits := map[int32]int32{1: 1, 2: 2, 3: 4}
	if sys.GetId() == "" || sys.GetDisplayName() == "" {
		t.Errorf("system id %q name %q", sys.GetId(), sys.GetDisplayName())
	}
	if want, ok := credits[sys.GetCreditTier()]; !ok || sys.GetCredits() != want {
		t.Errorf("tier %d with %d credits; tiers are 1, 2, 3 with 1, 2, 4 credits", sys.GetCreditTier(), sys.GetCredits())
	}
	if len(sys.GetCredentialFields()) == 0 {
		t.Error("no credential fields")
	}
	for _, c := range sys.GetCapabilities() {
		if _, ok := model.ByName(c.GetCollection()); !ok {
			t.Errorf("capability for unknown collection %q", c.GetCollection())
		}
		if slices.Contains(c.GetOperations(), entityv1.CollectionCapability_LIST_CHANGES) && !slices.Contains(c.GetOperations(), entityv1.CollectionCapability_LIST) {
			t.Errorf("%s claims LIST_CHANGES without LIST", c.GetCollection())
		}
	}
}

func (k *kit) check(t *testing.T) {
	ctx := context.Background()
	if err := k.c.Check(ctx, k.h.Config); err != nil {
		t.Fatalf("Check with working credentials: %v", err)
	}
	err := k.c.Check(ctx, k.h.BadCredentials)
	if r, _ := reason(err); r != apierr.ConnectedSystemAuthFailed {
		t.Errorf("Check with rejected credentials: %v, want CONNECTED_SYSTEM_AUTH_FAILED", err)
	}
}

// unclaimed calls every operation the matrix does not claim and expects
// OPERATION_NOT_SUPPORTED; the claimed ones are exercised below.
func (k *kit) unclaimed(t *testing.T) {
	ctx := context.Background()
	cfg := k.h.Config
	for _, col := range model.All() {
		name := col.Name
		empty := col.ToRecord(col.New())
		empty.RemoteId = "nonexistent"
		calls := map[op]func() error{
			entityv1.CollectionCapability_LIST: func() error {
				_, err := k.c.ListChanges(ctx, cfg, connector.ListRequest{Collection: name})
				return err
			},
			entityv1.CollectionCapability_GET: func() error { _, err := k.c.Get(ctx, cfg, name, "nonexistent"); return err },
			entityv1.CollectionCapability_CREATE: func() error {
				_, err := k.c.Create(ctx, cfg, empty, "")
				return err
			},
			entityv1.CollectionCapability_UPDATE: func() error {
				_, err := k.c.Update(ctx, cfg, empty, []string{"id"}, "")
				return err
			},
			entityv1.CollectionCapability_DELETE: func() error { return k.c.Delete(ctx, cfg, name, "nonexistent") },
			entityv1.CollectionCapability_SET_STATUS: func() error {
				_, err := k.c.SetStatus(ctx, cfg, name, "nonexistent", "COMPLETED", "", "")
				return err
			},
		}
		if name == model.InventoryLevels {
			calls[entityv1.CollectionCapability_ADJUST] = func() error {
				_, err := k.c.AdjustInventory(ctx, cfg, "nonexistent", "1", "test", "")
				return err
			}
		}
		for o, call := range calls {
			if k.claims(name, o) {
				continue
			}
			if r, _ := reason(call()); r != apierr.OperationNotSupported {
				t.Errorf("%s %s is not claimed but answers %s, want OPERATION_NOT_SUPPORTED", o, name, r)
			}
		}
	}
}

// listAll pages through a listing and returns its records and the cursor.
func (k *kit) listAll(t *testing.T, collection, cursor string, pageSize int) ([]*connectorv1.Record, string) {
	t.Helper()
	var out []*connectorv1.Record
	req := connector.ListRequest{Collection: collection, Cursor: cursor, PageSize: pageSize}
	for pages := 0; ; pages++ {
		if pages > 100000 {
			t.Fatalf("%s: listing never ends", collection)
		}
		p, err := k.c.ListChanges(context.Background(), k.h.Config, req)
		if err != nil {
			t.Fatalf("list %s: %v", collection, err)
		}
		out = append(out, p.Records...)
		if p.NextPageToken == "" {
			if p.Cursor == "" && k.claims(collection, entityv1.CollectionCapability_LIST_CHANGES) {
				t.Errorf("%s: the last page gives no cursor", collection)
			}
			return out, p.Cursor
		}
		req.PageToken = p.NextPageToken
	}
}

func (k *kit) fullListing(t *testing.T) {
	for _, col := range model.All() {
		if !k.claims(col.Name, entityv1.CollectionCapability_LIST) {
			continue
		}
		t.Run(col.Name, func(t *testing.T) {
			recs, _ := k.listAll(t, col.Name, "", 37)
			seen := map[string]bool{}
			for _, r := range recs {
				if r.GetRemoteId() == "" || col.FromRecord(r) == nil {
					t.Fatalf("record without key or of the wrong collection: %v", r)
				}
				var raw map[string]any
				if err := json.Unmarshal(r.GetRemoteJson(), &raw); err != nil || raw == nil {
					t.Fatalf("%s: remote data %q is not the system's record as a JSON object (%v)", r.GetRemoteId(), r.GetRemoteJson(), err)
				}
				if seen[r.GetRemoteId()] {
					t.Errorf("%s listed twice", r.GetRemoteId())
				}
				seen[r.GetRemoteId()] = true
			}
			if want := k.h.Count(t, col.Name); len(seen) != want {
				t.Errorf("listed %d records, the system holds %d", len(seen), want)
			}
		})
	}
}

func (k *kit) incremental(t *testing.T) {
	for _, col := range model.All() {
		if !k.claims(col.Name, entityv1.CollectionCapability_LIST_CHANGES) || k.h.Touch == nil {
			continue
		}
		t.Run(col.Name, func(t *testing.T) {
			before, cursor := k.listAll(t, col.Name, "", 500)
			var newest time.Time
			for _, r := range before {
				newest = maxTime(newest, r.GetRemoteUpdateTime().AsTime())
			}
			touched := k.h.Touch(t, col.Name)
			after, next := k.listAll(t, col.Name, cursor, 500)
			if next == "" {
				t.Error("the incremental listing gives no new cursor")
			}
			old := map[string]bool{}
			for _, r := range before {
				if r.GetRemoteUpdateTime().AsTime().Before(newest.Add(-k.h.Overlap)) {
					old[r.GetRemoteId()] = true
				}
			}
			found := false
			for _, r := range after {
				found = found || r.GetRemoteId() == touched
				if old[r.GetRemoteId()] && r.GetRemoteId() != touched {
					t.Errorf("%s did not change but came back after the cursor", r.GetRemoteId())
				}
			}
			if !found {
				t.Errorf("the changed record %s is not in the incremental listing (%d records)", touched, len(after))
			}
		})
	}
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func (k *kit) writes(t *testing.T) {
	ctx := context.Background()
	for _, col := range model.All() {
		if !k.claims(col.Name, entityv1.CollectionCapability_CREATE) {
			continue
		}
		t.Run(col.Name, func(t *testing.T) {
			in := k.h.NewRecord(t, col.Name)
			before := k.h.Count(t, col.Name)
			key := "kit-" + col.Name + "-" + time.Now().Format("150405.000000")
			out, err := k.c.Create(ctx, k.h.Config, in, key)
			if err != nil {
				t.Fatalf("create: %v", err)
			}
			if out.GetRemoteId() == "" {
				t.Fatal("create returned no key")
			}
			again, err := k.c.Create(ctx, k.h.Config, in, key)
			if err != nil || again.GetRemoteId() != out.GetRemoteId() {
				t.Errorf("create retried with the same idempotency key: %v, %v; want the first record %s", again.GetRemoteId(), err, out.GetRemoteId())
			}
			if got := k.h.Count(t, col.Name); got != before+1 {
				t.Errorf("the system holds %d records after one create (twice with one key), want %d", got, before+1)
			}
			if k.claims(col.Name, entityv1.CollectionCapability_GET) {
				got, err := k.c.Get(ctx, k.h.Config, col.Name, out.GetRemoteId())
				if err != nil {
					t.Fatalf("get the created record: %v", err)
				}
				if diff := equalOn(col.FromRecord(in), col.FromRecord(got)); len(diff) > 0 {
					t.Errorf("created record differs on %v:\nsent %v\ngot  %v", diff, col.FromRecord(in), col.FromRecord(got))
				}
			}
			if k.claims(col.Name, entityv1.CollectionCapability_UPDATE) && k.h.Change != nil {
				fields, change := k.h.Change(t, col.Name)
				change.RemoteId = out.GetRemoteId()
				got, err := k.c.Update(ctx, k.h.Config, change, fields, "")
				if err != nil {
					t.Fatalf("update %v: %v", fields, err)
				}
				want := proto.Clone(col.FromRecord(change))
				if diff := equalOn(want, col.FromRecord(got)); len(diff) > 0 {
					t.Errorf("updated record differs on %v", diff)
				}
			}
			if st := k.h.Statuses[col.Name]; st != "" && k.claims(col.Name, entityv1.CollectionCapability_SET_STATUS) {
				got, err := k.c.SetStatus(ctx, k.h.Config, col.Name, out.GetRemoteId(), st, "set by the acceptance kit", "")
				if err != nil {
					t.Fatalf("set status %s: %v", st, err)
				}
				if s := col.Status(col.FromRecord(got)); s != st {
					t.Errorf("status after SetStatus(%s) is %s", st, s)
				}
			}
			if k.h.Invalid != nil {
				bad, fragment := k.h.Invalid(t, col.Name)
				_, err := k.c.Create(ctx, k.h.Config, bad, "")
				if r, _ := reason(err); r != apierr.ConnectedSystemRejected || !strings.Contains(err.Error(), fragment) {
					t.Errorf("create of rejected data: %v; want CONNECTED_SYSTEM_REJECTED keeping %q", err, fragment)
				}
			}
		})
	}
	if k.claims(model.InventoryLevels, entityv1.CollectionCapability_ADJUST) {
		t.Run("adjust inventory", func(t *testing.T) {
			recs, _ := k.listAll(t, model.InventoryLevels, "", 50)
			if len(recs) == 0 {
				t.Fatal("no inventory level to adjust")
			}
			level := recs[0].GetInventoryLevel()
			got, err := k.c.AdjustInventory(ctx, k.h.Config, recs[0].GetRemoteId(), "2.5", "acceptance kit", "")
			if err != nil {
				t.Fatalf("adjust: %v", err)
			}
			before, _ := new(big.Rat).SetString(level.GetQuantityOnHand())
			after, ok := new(big.Rat).SetString(got.GetInventoryLevel().GetQuantityOnHand())
			if before == nil || !ok || new(big.Rat).Sub(after, before).Cmp(big.NewRat(5, 2)) != 0 {
				t.Errorf("quantity on hand %s -> %s after adjusting by 2.5", level.GetQuantityOnHand(), got.GetInventoryLevel().GetQuantityOnHand())
			}
		})
	}
}

func (k *kit) faults(t *testing.T) {
	defer k.setFault(t, nil)
	list := func(ctx context.Context) error {
		for _, col := range model.All() {
			if k.claims(col.Name, entityv1.CollectionCapability_LIST) {
				_, err := k.c.ListChanges(ctx, k.h.Config, connector.ListRequest{Collection: col.Name, PageSize: 5})
				return err
			}
		}
		return k.c.Check(ctx, k.h.Config)
	}
	cases := []struct {
		name    string
		fault   map[string]any
		timeout time.Duration
		want    apierr.Reason
		retry   time.Duration
	}{
		{"unreachable", map[string]any{"mode": "down"}, 10 * time.Second, apierr.ConnectedSystemUnavailable, 0},
		{"slow past the deadline", map[string]any{"mode": "slow", "delay": "3s"}, 300 * time.Millisecond, apierr.ConnectedSystemUnavailable, 0},
		{"5xx", map[string]any{"mode": "error5xx", "status": 500}, 10 * time.Second, apierr.ConnectedSystemError, 0},
		{"429 with Retry-After", map[string]any{"mode": "ratelimit", "retry_after": 7}, 10 * time.Second, apierr.ConnectedSystemRateLimited, 7 * time.Second},
		{"rejected credentials", map[string]any{"mode": "badcredentials"}, 10 * time.Second, apierr.ConnectedSystemAuthFailed, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k.setFault(t, c.fault)
			defer k.setFault(t, nil)
			ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
			defer cancel()
			err := list(ctx)
			r, retry := reason(err)
			if r != c.want {
				t.Errorf("%v: reason %s, want %s", err, r, c.want)
			}
			if c.retry > 0 && retry != c.retry {
				t.Errorf("retry after %v, want %v", retry, c.retry)
			}
		})
	}
}
