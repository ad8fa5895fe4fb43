package maximo

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/platform/apierr"
	sim "github.com/millwright-dev/millwright/simulators/maximo"
)

func TestMain(m *testing.M) {
	// The simulator listens on the loopback address.
	connector.AllowPrivateNetworks(true)
	os.Exit(m.Run())
}

// simulator is a running simulated Maximo and a client of its own API, for
// checking what the connector did and for changing records behind its back.
type simulator struct {
	tb     testing.TB
	server *sim.Server
	url    string
	cfg    connector.Config
}

// startSim starts a simulator whose seeded changes end an hour ago, so that
// changes made now sort after them.
func startSim(tb testing.TB, cfg sim.Config) *simulator {
	tb.Helper()
	if cfg.Epoch.IsZero() {
		cfg.Epoch = time.Now().UTC().Truncate(time.Second).Add(-time.Hour)
	}
	s := sim.New(cfg)
	srv := httptest.NewServer(s)
	tb.Cleanup(srv.Close)
	settings, creds := s.Connection(srv.URL)
	return &simulator{tb: tb, server: s, url: srv.URL, cfg: connector.Config{Connection: "conn-test", Settings: settings, Credentials: creds}}
}

// do calls the simulator's API with its API key; headers are name, value pairs.
func (s *simulator) do(method, target string, body any, headers ...string) (int, []byte) {
	s.tb.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			s.tb.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	if !strings.HasPrefix(target, "http") {
		target = s.url + target
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		s.tb.Fatal(err)
	}
	req.Header.Set("apikey", s.server.Config().APIKey)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.tb.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

// list returns one page of an object structure's query.
func (s *simulator) list(os, where, sel string, pageSize int, extra ...string) map[string]any {
	s.tb.Helper()
	q := url.Values{"lean": {"1"}, "oslc.select": {sel}, "oslc.pageSize": {itoa(pageSize)}}
	if where != "" {
		q.Set("oslc.where", where)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	status, body := s.do(http.MethodGet, "/maximo/api/os/"+os+"?"+q.Encode(), nil)
	if status != http.StatusOK {
		s.tb.Fatalf("list %s where %s: %d %s", os, where, status, body)
	}
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		s.tb.Fatal(err)
	}
	return out
}

// first returns the first record of a query, in changedate order.
func (s *simulator) first(os, where, sel string) map[string]any {
	s.tb.Helper()
	members, _ := s.list(os, where, sel, 1)["member"].([]any)
	if len(members) == 0 {
		s.tb.Fatalf("no %s where %s", os, where)
	}
	return members[0].(map[string]any)
}

// count returns how many records a query matches.
func (s *simulator) count(os, where string) int {
	s.tb.Helper()
	info := s.list(os, where, "changedate", 1, "collectioncount", "1")["responseInfo"].(map[string]any)
	return int(info["totalCount"].(float64))
}

// patch updates a member through the simulator's API.
func (s *simulator) patch(href string, body map[string]any) {
	s.tb.Helper()
	if status, resp := s.do(http.MethodPost, href, body, "x-method-override", "PATCH"); status != http.StatusNoContent {
		s.tb.Fatalf("patch %s: %d %s", href, status, resp)
	}
}

// setFault sets a fault of the simulator ("" clears it).
func (s *simulator) setFault(state string) {
	s.tb.Helper()
	method := http.MethodPut
	if state == "" {
		method = http.MethodDelete
	}
	req, _ := http.NewRequest(method, s.url+"/_sim/faults", strings.NewReader(state))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.tb.Fatal(err)
	}
	resp.Body.Close()
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func str(m map[string]any, k string) string {
	v, _ := m[k].(string)
	return v
}

// reasonOf is the Millwright reason of an error the connector returned.
func reasonOf(err error) apierr.Reason {
	var e *apierr.Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Reason
	}
	return apierr.Reason("not an apierr: " + err.Error())
}

func asAPIErr(err error) *apierr.Error {
	var e *apierr.Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}
