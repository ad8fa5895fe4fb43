package limble

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"testing"

	"github.com/millwright-dev/millwright/services/entity/connector"
	sim "github.com/millwright-dev/millwright/simulators/limble"
)

func TestMain(m *testing.M) {
	// The simulator listens on the loopback address.
	connector.AllowPrivateNetworks(true)
	os.Exit(m.Run())
}

// simulator is a running simulated Limble and a client of its own API, for
// checking what the connector did and changing records behind its back.
type simulator struct {
	tb     testing.TB
	server *sim.Server
	url    string
	cfg    connector.Config
}

func startSim(tb testing.TB, cfg sim.Config) *simulator {
	tb.Helper()
	s := sim.New(cfg)
	srv := httptest.NewServer(s)
	tb.Cleanup(srv.Close)
	settings, creds := s.Connection(srv.URL)
	return &simulator{tb: tb, server: s, url: srv.URL, cfg: connector.Config{Connection: "conn-test", Settings: settings, Credentials: creds}}
}

// do calls the simulator's API with the connection's credentials.
func (s *simulator) do(method, target string, body any) (int, []byte, http.Header) {
	s.tb.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.url+target, rd)
	if err != nil {
		s.tb.Fatal(err)
	}
	req.Header.Set("Authorization", basicAuth(s.cfg.Credentials["client_id"], s.cfg.Credentials["client_secret"]))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.tb.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data, resp.Header
}

// list returns every record of a listing (cursor paging).
func (s *simulator) list(path string, q url.Values, idField string) []map[string]any {
	s.tb.Helper()
	var out []map[string]any
	if q == nil {
		q = url.Values{}
	}
	q.Set("limit", "1000")
	for {
		status, data, _ := s.do(http.MethodGet, path+"?"+q.Encode(), nil)
		if status != http.StatusOK {
			s.tb.Fatalf("GET %s: %d %s", path, status, data)
		}
		var page []map[string]any
		if err := json.Unmarshal(data, &page); err != nil {
			s.tb.Fatal(err)
		}
		out = append(out, page...)
		if len(page) < 1000 {
			return out
		}
		q.Set("cursor", strconv.Itoa(int(page[len(page)-1][idField].(float64))))
	}
}

func (s *simulator) first(path string, q url.Values, idField string) map[string]any {
	s.tb.Helper()
	l := s.list(path, q, idField)
	if len(l) == 0 {
		s.tb.Fatalf("no record in %s %v", path, q)
	}
	return l[0]
}

func idOf(m map[string]any, field string) string { return strconv.Itoa(int(m[field].(float64))) }
