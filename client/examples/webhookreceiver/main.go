// Command webhookreceiver receives Millwright's webhook deliveries: it
// checks each one's signature, skips the ones already seen, and logs the
// event.
//
//	MILLWRIGHT_WEBHOOK_SECRET=whsec_... go run ./examples/webhookreceiver
package main

import (
	"io"
	"log"
	"net/http"
	"os"
	"sync"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/millwright-dev/millwright/client/webhook"
	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
)

func main() {
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8081"
	}
	h := handler(os.Getenv("MILLWRIGHT_WEBHOOK_SECRET"), func(ev *connectionv1.Event) {
		log.Printf("event %s %s connection=%s data=%v", ev.GetId(), ev.GetType(), ev.GetConnection(), ev.GetData().AsMap())
	})
	log.Printf("listening on %s", addr)
	log.Fatal(http.ListenAndServe(addr, h))
}

// handler verifies each delivery and hands each event to handle once.
// It answers 2xx only for deliveries it accepted (or had already seen), so
// Millwright retries the others.
func handler(secret string, handle func(*connectionv1.Event)) http.Handler {
	var mu sync.Mutex
	seen := map[string]bool{} // a real receiver keeps this in its database
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		if err := webhook.Verify(secret, r.Header.Get(webhook.SignatureHeader), body, webhook.DefaultTolerance); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ev := &connectionv1.Event{}
		if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(body, ev); err != nil {
			http.Error(w, "not an event", http.StatusBadRequest)
			return
		}
		id := r.Header.Get(webhook.EventIDHeader)
		if id == "" {
			id = ev.GetId()
		}
		mu.Lock()
		dup := seen[id]
		seen[id] = true
		mu.Unlock()
		if !dup {
			handle(ev)
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
