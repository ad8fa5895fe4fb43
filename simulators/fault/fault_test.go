package fault_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/millwright-dev/millwright/simulators/fault"
)

func newServer(t *testing.T) (*fault.Injector, *httptest.Server) {
	t.Helper()
	inj := fault.New(fault.Options{
		WriteError: func(w http.ResponseWriter, _ *http.Request, status int) {
			w.WriteHeader(status)
			fmt.Fprintf(w, "native %d", status)
		},
	})
	srv := httptest.NewServer(inj.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok "+r.URL.Path)
	})))
	t.Cleanup(srv.Close)
	return inj, srv
}

func do(t *testing.T, method, url, body string) (*http.Response, string, error) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b), nil
}

func put(t *testing.T, srv *httptest.Server, state string) fault.State {
	t.Helper()
	resp, body, err := do(t, http.MethodPut, srv.URL+"/_sim/faults", state)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT /_sim/faults %s: %d %s", state, resp.StatusCode, body)
	}
	var s fault.State
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestModes(t *testing.T) {
	tests := []struct {
		name       string
		state      string
		wantErr    bool
		wantStatus int
		wantBody   string
		wantHeader map[string]string
		minElapsed time.Duration
	}{
		{name: "none", state: `{"mode":"none"}`, wantStatus: 200, wantBody: "ok /x"},
		{name: "empty mode is none", state: `{}`, wantStatus: 200, wantBody: "ok /x"},
		{name: "down", state: `{"mode":"down"}`, wantErr: true},
		{name: "slow", state: `{"mode":"slow","delay":"150ms"}`, wantStatus: 200, wantBody: "ok /x", minElapsed: 150 * time.Millisecond},
		{name: "latency", state: `{"latency":"100ms"}`, wantStatus: 200, wantBody: "ok /x", minElapsed: 100 * time.Millisecond},
		{name: "error5xx default", state: `{"mode":"error5xx"}`, wantStatus: 500, wantBody: "native 500"},
		{name: "error5xx 503", state: `{"mode":"error5xx","status":503}`, wantStatus: 503, wantBody: "native 503"},
		{name: "ratelimit", state: `{"mode":"ratelimit","retry_after":7}`, wantStatus: 429, wantBody: "native 429", wantHeader: map[string]string{"Retry-After": "7"}},
		{name: "ratelimit default retry", state: `{"mode":"ratelimit"}`, wantStatus: 429, wantHeader: map[string]string{"Retry-After": "1"}},
		{name: "badcredentials", state: `{"mode":"badcredentials"}`, wantStatus: 401, wantBody: "native 401"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := newServer(t)
			put(t, srv, tt.state)
			start := time.Now()
			resp, body, err := do(t, http.MethodGet, srv.URL+"/x", "")
			elapsed := time.Since(start)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("got %d %q, want a connection error", resp.StatusCode, body)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.wantBody != "" && body != tt.wantBody {
				t.Errorf("body %q, want %q", body, tt.wantBody)
			}
			for k, v := range tt.wantHeader {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if elapsed < tt.minElapsed {
				t.Errorf("answered after %v, want at least %v", elapsed, tt.minElapsed)
			}
			// The admin endpoint is never affected.
			resp, _, err = do(t, http.MethodGet, srv.URL+"/_sim/faults", "")
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /_sim/faults under fault: %v %v", resp, err)
			}
		})
	}
}

func TestInvalidStates(t *testing.T) {
	tests := []struct{ name, body string }{
		{"unknown mode", `{"mode":"melt"}`},
		{"status not 5xx", `{"mode":"error5xx","status":404}`},
		{"negative count", `{"mode":"down","count":-1}`},
		{"numeric duration", `{"mode":"slow","delay":2}`},
		{"bad duration", `{"latency":"soon"}`},
		{"unknown field", `{"mode":"down","colour":"red"}`},
		{"not json", `down`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := newServer(t)
			resp, body, err := do(t, http.MethodPut, srv.URL+"/_sim/faults", tt.body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `"error"`) {
				t.Errorf("got %d %s, want 400 with an error", resp.StatusCode, body)
			}
		})
	}
}

func TestCount(t *testing.T) {
	_, srv := newServer(t)
	got := put(t, srv, `{"mode":"error5xx","status":503,"count":2,"latency":"1ms"}`)
	if got.Count != 2 || got.Status != 503 {
		t.Fatalf("state %+v", got)
	}
	var statuses []int
	for range 4 {
		resp, _, err := do(t, http.MethodGet, srv.URL+"/x", "")
		if err != nil {
			t.Fatal(err)
		}
		statuses = append(statuses, resp.StatusCode)
	}
	if fmt.Sprint(statuses) != "[503 503 200 200]" {
		t.Errorf("statuses %v, want [503 503 200 200]", statuses)
	}
	_, body, _ := do(t, http.MethodGet, srv.URL+"/_sim/faults", "")
	var s fault.State
	json.Unmarshal([]byte(body), &s)
	if s.Mode != fault.None || s.Count != 0 || s.Latency != fault.Duration(time.Millisecond) {
		t.Errorf("after count ran out: %+v, want mode none keeping the latency", s)
	}
}

func TestGetAndClear(t *testing.T) {
	_, srv := newServer(t)
	put(t, srv, `{"mode":"slow","latency":"5ms"}`)
	_, body, _ := do(t, http.MethodGet, srv.URL+"/_sim/faults", "")
	if want := `{"mode":"slow","delay":"2s","latency":"5ms"}`; strings.TrimSpace(body) != want {
		t.Errorf("GET %s, want %s", body, want)
	}
	resp, body, _ := do(t, http.MethodDelete, srv.URL+"/_sim/faults", "")
	if resp.StatusCode != 200 || strings.TrimSpace(body) != `{"mode":"none"}` {
		t.Errorf("DELETE: %d %s", resp.StatusCode, body)
	}
	resp, _, _ = do(t, http.MethodPost, srv.URL+"/_sim/faults", "")
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d, want 405", resp.StatusCode)
	}
}

func TestStats(t *testing.T) {
	inj, srv := newServer(t)
	do(t, http.MethodGet, srv.URL+"/api/os/a/1", "")
	do(t, http.MethodPost, srv.URL+"/api/os/b", "")
	do(t, http.MethodGet, srv.URL+"/other", "")
	put(t, srv, `{"mode":"error5xx","count":1}`)
	do(t, http.MethodGet, srv.URL+"/other", "")
	do(t, http.MethodGet, srv.URL+"/_sim/stats", "")
	do(t, http.MethodGet, srv.URL+"/_sim/anything", "")

	_, body, _ := do(t, http.MethodGet, srv.URL+"/_sim/stats", "")
	var s fault.Stats
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatal(err)
	}
	if s.Total != 4 || s.Faulted != 1 || s.ByRoute["/api/os"] != 2 || s.ByRoute["/other"] != 2 ||
		s.ByMethod["GET"] != 3 || s.ByMethod["POST"] != 1 {
		t.Errorf("stats %s", body)
	}
	do(t, http.MethodDelete, srv.URL+"/_sim/stats", "")
	if got := inj.Stats(); got.Total != 0 || len(got.ByRoute) != 0 || got.BusyMicros != 0 {
		t.Errorf("after reset: %+v", got)
	}

	// Time spent serving counts toward busy_us, added latency included.
	put(t, srv, `{"latency":"30ms"}`)
	do(t, http.MethodGet, srv.URL+"/other", "")
	if got := inj.Stats(); got.BusyMicros < 30000 {
		t.Errorf("busy %dµs after a request delayed 30ms", got.BusyMicros)
	}
}

func TestConcurrentCount(t *testing.T) {
	inj := fault.New(fault.Options{})
	h := inj.Wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	if _, err := inj.Set(fault.State{Mode: fault.BadCredentials, Count: 50}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	refused := 0
	for range 200 {
		wg.Go(func() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/x", nil))
			if rec.Code == http.StatusUnauthorized {
				mu.Lock()
				refused++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if refused != 50 {
		t.Errorf("%d requests refused, want exactly 50", refused)
	}
	if got := inj.Stats().Total; got != 200 {
		t.Errorf("total %d, want 200", got)
	}
}
