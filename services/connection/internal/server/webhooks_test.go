package server_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	"github.com/millwright-dev/millwright/services/connection/internal/server"
	"github.com/millwright-dev/millwright/services/connection/internal/store"
	"github.com/millwright-dev/millwright/services/connection/internal/webhook"
	"github.com/millwright-dev/millwright/services/platform/apierr"
	"github.com/millwright-dev/millwright/services/platform/auth"
	"github.com/millwright-dev/millwright/services/platform/db"
	"github.com/millwright-dev/millwright/services/platform/db/dbtest"
	"github.com/millwright-dev/millwright/services/platform/ids"
	"github.com/millwright-dev/millwright/services/platform/secret"
)

type webhookEnv struct {
	srv        *server.Server
	st         *store.Store
	key        secret.Key
	acct1      context.Context
	acct2      context.Context
	token      context.Context // a connection token of acct_1
	allowLocal *server.Server
	worker     *webhook.Worker
}

func newWebhookEnv(t *testing.T) *webhookEnv {
	t.Helper()
	d := dbtest.SQLite(t, store.Migrations)
	st := store.New(d)
	key, err := secret.ParseKey(secret.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"acct_1", "acct_2"} {
		if err := st.CreateAccount(context.Background(), store.Account{ID: id, DisplayName: id, CreditLimit: 10, CreateTime: db.Now()}, secret.Hash(secret.NewToken(secret.AccountKeyPrefix))); err != nil {
			t.Fatal(err)
		}
	}
	log := slog.New(slog.DiscardHandler)
	return &webhookEnv{
		srv:        server.New(server.Deps{Store: st, Key: key, Log: log}),
		st:         st,
		key:        key,
		acct1:      auth.With(context.Background(), auth.Principal{Account: "acct_1"}),
		acct2:      auth.With(context.Background(), auth.Principal{Account: "acct_2"}),
		token:      auth.With(context.Background(), auth.Principal{Account: "acct_1", TokenConnection: "conn_1"}),
		allowLocal: server.New(server.Deps{Store: st, Key: key, Log: log, AllowPrivateNetworks: true}),
		worker:     webhook.NewWorker(st, key, log, webhook.Options{AllowPrivateNetworks: true}),
	}
}

func (e *webhookEnv) create(t *testing.T, url string, types ...string) *connectionv1.WebhookEndpoint {
	t.Helper()
	resp, err := e.srv.CreateWebhookEndpoint(e.acct1, &connectionv1.CreateWebhookEndpointRequest{WebhookEndpoint: &connectionv1.WebhookEndpoint{Url: url, EventTypes: types}})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetWebhookEndpoint()
}

// wantErr checks an error's reason and, if given, the field it names.
func wantErr(t *testing.T, err error, reason apierr.Reason, field string) {
	t.Helper()
	var e *apierr.Error
	if !errors.As(err, &e) || e.Reason != reason {
		t.Fatalf("error = %v, want %s", err, reason)
	}
	if field != "" && !slices.ContainsFunc(e.Fields, func(f apierr.FieldViolation) bool { return f.Field == field }) {
		t.Fatalf("error %v names %+v, want %s", err, e.Fields, field)
	}
}

func TestCreateWebhookEndpoint(t *testing.T) {
	e := newWebhookEnv(t)
	ep := e.create(t, "https://8.8.8.8/hooks", "record.created", "sync.failed", "record.created")
	if !strings.HasPrefix(ep.GetId(), "whe_") || !ep.GetEnabled() || ep.GetCreateTime() == nil || ep.GetUrl() != "https://8.8.8.8/hooks" {
		t.Fatalf("created %v", ep)
	}
	if got := strings.Join(ep.GetEventTypes(), ","); got != "record.created,sync.failed" {
		t.Fatalf("event types = %s, want duplicates dropped", got)
	}
	whsec := ep.GetSecret()
	if !secret.WellFormed(whsec, secret.WebhookSecretPrefix) || len(whsec) != len("whsec_")+52 {
		t.Fatalf("secret = %q, want whsec_ and 32 random bytes", whsec)
	}

	// Shown once: not by Get or List.
	got, err := e.srv.GetWebhookEndpoint(e.acct1, &connectionv1.GetWebhookEndpointRequest{WebhookEndpoint: ep.GetId()})
	if err != nil || got.GetWebhookEndpoint().GetSecret() != "" || got.GetWebhookEndpoint().GetUrl() != ep.GetUrl() {
		t.Fatalf("Get = %v, %v", got, err)
	}
	list, err := e.srv.ListWebhookEndpoints(e.acct1, &connectionv1.ListWebhookEndpointsRequest{})
	if err != nil || len(list.GetWebhookEndpoints()) != 1 || list.GetWebhookEndpoints()[0].GetSecret() != "" {
		t.Fatalf("List = %v, %v", list, err)
	}

	// Stored sealed, bound to the endpoint.
	row, err := e.st.GetWebhookEndpoint(context.Background(), "acct_1", ep.GetId())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(row.SealedSecret), whsec) {
		t.Fatal("the secret is stored in clear")
	}
	if opened, err := webhook.OpenSecret(e.key, ep.GetId(), row.SealedSecret); err != nil || opened != whsec {
		t.Fatalf("OpenSecret = %q, %v", opened, err)
	}
	if _, err := webhook.OpenSecret(e.key, "whe_other", row.SealedSecret); err == nil {
		t.Fatal("the sealed secret opens for another endpoint")
	}
}

func TestCreateWebhookEndpointValidation(t *testing.T) {
	e := newWebhookEnv(t)
	tests := []struct {
		name  string
		ep    *connectionv1.WebhookEndpoint
		field string
	}{
		{"no URL", &connectionv1.WebhookEndpoint{}, "webhook_endpoint.url"},
		{"not http", &connectionv1.WebhookEndpoint{Url: "ftp://8.8.8.8/x"}, "webhook_endpoint.url"},
		{"loopback", &connectionv1.WebhookEndpoint{Url: "http://127.0.0.1:9000/hooks"}, "webhook_endpoint.url"},
		{"localhost", &connectionv1.WebhookEndpoint{Url: "http://localhost:9000/hooks"}, "webhook_endpoint.url"},
		{"cloud metadata", &connectionv1.WebhookEndpoint{Url: "http://169.254.169.254/latest"}, "webhook_endpoint.url"},
		{"private", &connectionv1.WebhookEndpoint{Url: "https://192.168.1.20/hooks"}, "webhook_endpoint.url"},
		{"bad event type", &connectionv1.WebhookEndpoint{Url: "https://8.8.8.8/", EventTypes: []string{"record.created", "Record Created"}}, "webhook_endpoint.event_types[1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.srv.CreateWebhookEndpoint(e.acct1, &connectionv1.CreateWebhookEndpointRequest{WebhookEndpoint: tt.ep})
			wantErr(t, err, apierr.InvalidArgument, tt.field)
		})
	}
	list, _ := e.srv.ListWebhookEndpoints(e.acct1, &connectionv1.ListWebhookEndpointsRequest{})
	if len(list.GetWebhookEndpoints()) != 0 {
		t.Fatal("a refused endpoint was stored")
	}

	// With private networks allowed (development), loopback is fine.
	e.srv = e.allowLocal
	if _, err := e.srv.CreateWebhookEndpoint(e.acct1, &connectionv1.CreateWebhookEndpointRequest{WebhookEndpoint: &connectionv1.WebhookEndpoint{Url: "http://127.0.0.1:9000/hooks"}}); err != nil {
		t.Fatalf("with private networks allowed: %v", err)
	}
}

func TestCreateWebhookEndpointRequestID(t *testing.T) {
	e := newWebhookEnv(t)
	req := &connectionv1.CreateWebhookEndpointRequest{WebhookEndpoint: &connectionv1.WebhookEndpoint{Url: "https://8.8.8.8/a"}, RequestId: "req-1"}
	first, err := e.srv.CreateWebhookEndpoint(e.acct1, req)
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.srv.CreateWebhookEndpoint(e.acct1, req)
	if err != nil || again.GetWebhookEndpoint().GetId() != first.GetWebhookEndpoint().GetId() || again.GetWebhookEndpoint().GetSecret() != "" {
		t.Fatalf("retried create = %v, %v; want the same endpoint without its secret", again, err)
	}
	_, err = e.srv.CreateWebhookEndpoint(e.acct1, &connectionv1.CreateWebhookEndpointRequest{WebhookEndpoint: &connectionv1.WebhookEndpoint{Url: "https://8.8.8.8/b"}, RequestId: "req-1"})
	wantErr(t, err, apierr.RequestIDReused, "")
	// Request ids are per account.
	other, err := e.srv.CreateWebhookEndpoint(e.acct2, req)
	if err != nil || other.GetWebhookEndpoint().GetId() == first.GetWebhookEndpoint().GetId() {
		t.Fatalf("another account's create = %v, %v", other, err)
	}
}

func TestWebhookEndpointsAreAccountScoped(t *testing.T) {
	e := newWebhookEnv(t)
	ep := e.create(t, "https://8.8.8.8/hooks")
	for _, id := range []string{ep.GetId(), "whe_missing"} {
		t.Run(id, func(t *testing.T) {
			_, err := e.srv.GetWebhookEndpoint(e.acct2, &connectionv1.GetWebhookEndpointRequest{WebhookEndpoint: id})
			wantErr(t, err, apierr.PermissionDenied, "")
			_, err = e.srv.UpdateWebhookEndpoint(e.acct2, &connectionv1.UpdateWebhookEndpointRequest{WebhookEndpoint: &connectionv1.WebhookEndpoint{Id: id, Enabled: false}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"enabled"}}})
			wantErr(t, err, apierr.PermissionDenied, "")
			_, err = e.srv.DeleteWebhookEndpoint(e.acct2, &connectionv1.DeleteWebhookEndpointRequest{WebhookEndpoint: id})
			wantErr(t, err, apierr.PermissionDenied, "")
			_, err = e.srv.ListWebhookDeliveries(e.acct2, &connectionv1.ListWebhookDeliveriesRequest{WebhookEndpoint: id})
			wantErr(t, err, apierr.PermissionDenied, "")
			_, err = e.srv.RetryWebhookDelivery(e.acct2, &connectionv1.RetryWebhookDeliveryRequest{WebhookEndpoint: id, Delivery: "whd_x"})
			wantErr(t, err, apierr.PermissionDenied, "")
		})
	}
	if list, _ := e.srv.ListWebhookEndpoints(e.acct2, &connectionv1.ListWebhookEndpointsRequest{}); len(list.GetWebhookEndpoints()) != 0 {
		t.Fatal("acct_2 lists acct_1's endpoints")
	}
	if got, err := e.srv.GetWebhookEndpoint(e.acct1, &connectionv1.GetWebhookEndpointRequest{WebhookEndpoint: ep.GetId()}); err != nil || !got.GetWebhookEndpoint().GetEnabled() {
		t.Fatalf("the owner's endpoint changed: %v, %v", got, err)
	}

	// Connection tokens may not use webhooks; nor may a call without a credential.
	_, err := e.srv.CreateWebhookEndpoint(e.token, &connectionv1.CreateWebhookEndpointRequest{WebhookEndpoint: &connectionv1.WebhookEndpoint{Url: "https://8.8.8.8/"}})
	wantErr(t, err, apierr.PermissionDenied, "")
	_, err = e.srv.ListWebhookEndpoints(e.token, &connectionv1.ListWebhookEndpointsRequest{})
	wantErr(t, err, apierr.PermissionDenied, "")
	_, err = e.srv.GetWebhookEndpoint(e.token, &connectionv1.GetWebhookEndpointRequest{WebhookEndpoint: ep.GetId()})
	wantErr(t, err, apierr.PermissionDenied, "")
	_, err = e.srv.ListWebhookEndpoints(context.Background(), &connectionv1.ListWebhookEndpointsRequest{})
	wantErr(t, err, apierr.InvalidToken, "")
}

func TestUpdateAndDeleteWebhookEndpoint(t *testing.T) {
	e := newWebhookEnv(t)
	ep := e.create(t, "https://8.8.8.8/hooks", "record.created")
	update := func(in *connectionv1.WebhookEndpoint, paths ...string) (*connectionv1.WebhookEndpoint, error) {
		in.Id = ep.GetId()
		resp, err := e.srv.UpdateWebhookEndpoint(e.acct1, &connectionv1.UpdateWebhookEndpointRequest{WebhookEndpoint: in, UpdateMask: &fieldmaskpb.FieldMask{Paths: paths}})
		return resp.GetWebhookEndpoint(), err
	}
	_, err := update(&connectionv1.WebhookEndpoint{Url: "https://8.8.4.4/"})
	wantErr(t, err, apierr.InvalidArgument, "update_mask")
	_, err = update(&connectionv1.WebhookEndpoint{Secret: "whsec_mine"}, "secret")
	wantErr(t, err, apierr.InvalidArgument, "update_mask")
	_, err = update(&connectionv1.WebhookEndpoint{Url: "http://10.0.0.1/"}, "url")
	wantErr(t, err, apierr.InvalidArgument, "webhook_endpoint.url")
	_, err = update(&connectionv1.WebhookEndpoint{EventTypes: []string{"nope"}}, "event_types")
	wantErr(t, err, apierr.InvalidArgument, "webhook_endpoint.event_types[0]")

	// Only the masked fields change.
	got, err := update(&connectionv1.WebhookEndpoint{Url: "https://8.8.4.4/new", EventTypes: []string{"sync.failed"}, Enabled: false}, "url")
	if err != nil || got.GetUrl() != "https://8.8.4.4/new" || !got.GetEnabled() || strings.Join(got.GetEventTypes(), ",") != "record.created" {
		t.Fatalf("update url = %v, %v", got, err)
	}
	got, err = update(&connectionv1.WebhookEndpoint{Enabled: false, EventTypes: nil}, "enabled", "event_types")
	if err != nil || got.GetEnabled() || len(got.GetEventTypes()) != 0 || got.GetUrl() != "https://8.8.4.4/new" || got.GetSecret() != "" {
		t.Fatalf("update enabled and event_types = %v, %v", got, err)
	}
	if got.GetUpdateTime().AsTime().Before(ep.GetCreateTime().AsTime()) {
		t.Fatalf("update_time %v before create_time %v", got.GetUpdateTime(), ep.GetCreateTime())
	}
	stored, _ := e.srv.GetWebhookEndpoint(e.acct1, &connectionv1.GetWebhookEndpointRequest{WebhookEndpoint: ep.GetId()})
	if stored.GetWebhookEndpoint().GetEnabled() {
		t.Fatal("the update was not stored")
	}

	if _, err := e.srv.DeleteWebhookEndpoint(e.acct1, &connectionv1.DeleteWebhookEndpointRequest{WebhookEndpoint: ep.GetId()}); err != nil {
		t.Fatal(err)
	}
	_, err = e.srv.GetWebhookEndpoint(e.acct1, &connectionv1.GetWebhookEndpointRequest{WebhookEndpoint: ep.GetId()})
	wantErr(t, err, apierr.PermissionDenied, "")
}

func TestListWebhookEndpointsPages(t *testing.T) {
	e := newWebhookEnv(t)
	var want []string
	for range 5 {
		want = append([]string{e.create(t, "https://8.8.8.8/hooks").GetId()}, want...) // newest first
	}
	var got []string
	token := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("too many pages")
		}
		resp, err := e.srv.ListWebhookEndpoints(e.acct1, &connectionv1.ListWebhookEndpointsRequest{PageSize: 2, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, ep := range resp.GetWebhookEndpoints() {
			got = append(got, ep.GetId())
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
		// A token is bound to its list: not another account's.
		_, err = e.srv.ListWebhookEndpoints(e.acct2, &connectionv1.ListWebhookEndpointsRequest{PageSize: 2, PageToken: token})
		wantErr(t, err, apierr.InvalidArgument, "page_token")
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("listed %v, want %v", got, want)
	}
	_, err := e.srv.ListWebhookEndpoints(e.acct1, &connectionv1.ListWebhookEndpointsRequest{PageToken: "AAAA"})
	wantErr(t, err, apierr.InvalidArgument, "page_token")
}

func TestWebhookDeliveriesAndRetry(t *testing.T) {
	e := newWebhookEnv(t)
	e.srv = e.allowLocal
	var fail atomic.Bool
	fail.Store(true)
	rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer rec.Close()
	ep := e.create(t, rec.URL+"/hooks")
	now := db.Now()
	var events []store.Event
	for i := range 3 {
		events = append(events, store.Event{ID: ids.New("evt"), AccountID: "acct_1", ConnectionID: "conn_" + string(rune('a'+i)), Type: "record.created", Data: "{}", CreateTime: now})
	}
	if _, err := e.st.AppendEvents(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	if n, err := e.worker.Work(context.Background()); err != nil || n != 3 {
		t.Fatalf("Work = %d, %v", n, err)
	}

	var got []*connectionv1.WebhookDelivery
	token := ""
	for {
		resp, err := e.srv.ListWebhookDeliveries(e.acct1, &connectionv1.ListWebhookDeliveriesRequest{WebhookEndpoint: ep.GetId(), PageSize: 2, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, resp.GetWebhookDeliveries()...)
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	if len(got) != 3 || got[0].GetEvent() != events[2].ID || got[2].GetEvent() != events[0].ID {
		t.Fatalf("deliveries = %v, want 3, newest first", got)
	}
	d := got[0]
	a := d.GetAttempts()
	if d.GetState() != connectionv1.WebhookDelivery_PENDING || d.GetWebhookEndpoint() != ep.GetId() || d.GetEventType() != "record.created" ||
		d.GetNextAttemptTime() == nil || d.GetCreateTime() == nil || len(a) != 1 || a[0].GetStatusCode() != 503 || a[0].GetError() == "" || a[0].GetTime() == nil || a[0].GetLatency() == nil {
		t.Fatalf("delivery = %v", d)
	}

	fail.Store(false)
	resp, err := e.srv.RetryWebhookDelivery(e.acct1, &connectionv1.RetryWebhookDeliveryRequest{WebhookEndpoint: ep.GetId(), Delivery: d.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	r := resp.GetWebhookDelivery()
	if r.GetState() != connectionv1.WebhookDelivery_SUCCEEDED || len(r.GetAttempts()) != 2 || r.GetAttempts()[1].GetStatusCode() != 200 || r.GetNextAttemptTime() != nil {
		t.Fatalf("retried delivery = %v", r)
	}
	_, err = e.srv.RetryWebhookDelivery(e.acct1, &connectionv1.RetryWebhookDeliveryRequest{WebhookEndpoint: ep.GetId(), Delivery: "whd_missing"})
	wantErr(t, err, apierr.NotFound, "")

	// A delivery being attempted right now is not sent twice.
	if _, err := e.st.ClaimWebhookDeliveries(context.Background(), "busy", time.Now().Add(time.Hour), time.Now().Add(2*time.Hour), 10); err != nil {
		t.Fatal(err)
	}
	_, err = e.srv.RetryWebhookDelivery(e.acct1, &connectionv1.RetryWebhookDeliveryRequest{WebhookEndpoint: ep.GetId(), Delivery: got[1].GetId()})
	wantErr(t, err, apierr.Conflict, "")
}
