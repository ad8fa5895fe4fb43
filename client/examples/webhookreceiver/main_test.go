package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/millwright-dev/millwright/client/webhook"
	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
)

const secret = "whsec_example"

func deliver(h http.Handler, body, signature string) int {
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	req.Header.Set(webhook.SignatureHeader, signature)
	req.Header.Set(webhook.EventIDHeader, "evt_1")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

func TestHandler(t *testing.T) {
	var got []*connectionv1.Event
	h := handler(secret, func(ev *connectionv1.Event) { got = append(got, ev) })
	body := `{"id":"evt_1","type":"connection.status_changed","connection":"conn_1","data":{"old_status":"ACTIVE","new_status":"UNREACHABLE"}}`
	now := time.Now()

	if code := deliver(h, body, webhook.Sign(secret, now, []byte(body))); code != http.StatusNoContent {
		t.Fatalf("signed delivery: %d", code)
	}
	if len(got) != 1 || got[0].GetType() != "connection.status_changed" || got[0].GetData().AsMap()["new_status"] != "UNREACHABLE" {
		t.Fatalf("events = %v", got)
	}
	if code := deliver(h, body, webhook.Sign(secret, now, []byte(body))); code != http.StatusNoContent || len(got) != 1 {
		t.Fatalf("redelivery: %d, %d events; want 204 and no second event", code, len(got))
	}
	for name, sig := range map[string]string{
		"wrong secret": webhook.Sign("whsec_other", now, []byte(body)),
		"stale":        webhook.Sign(secret, now.Add(-10*time.Minute), []byte(body)),
		"tampered":     webhook.Sign(secret, now, []byte(body+" ")),
		"missing":      "",
	} {
		if code := deliver(h, body, sig); code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", name, code)
		}
	}
	if len(got) != 1 {
		t.Fatalf("rejected deliveries reached the handler: %v", got)
	}
}
