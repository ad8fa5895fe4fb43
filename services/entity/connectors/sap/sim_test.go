package sap

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/millwright-dev/millwright/services/entity/connector"
	sim "github.com/millwright-dev/millwright/simulators/sap"
)

func TestMain(m *testing.M) {
	// The simulator listens on the loopback address.
	connector.AllowPrivateNetworks(true)
	os.Exit(m.Run())
}

// simulator is a running simulated SAP system and a client of its own API,
// for checking what the connector did and changing records behind its back.
type simulator struct {
	tb     testing.TB
	server *sim.Server
	url    string
	cfg    connector.Config
	client *http.Client
	csrf   string
}

func startSim(tb testing.TB, cfg sim.Config) *simulator {
	tb.Helper()
	s := sim.New(cfg)
	srv := httptest.NewServer(s)
	tb.Cleanup(srv.Close)
	settings, creds := s.Connection(srv.URL)
	settings["material_group"] = "SERVICES"
	jar, _ := cookiejar.New(nil)
	return &simulator{tb: tb, server: s, url: srv.URL, client: &http.Client{Jar: jar},
		cfg: connector.Config{Connection: "conn-test", Settings: settings, Credentials: creds}}
}

// do calls the simulator's API with the connection's credentials (and a
// CSRF token for writes); it returns the status, body and headers.
func (s *simulator) do(method, path string, body any, header map[string]string) (int, []byte, http.Header) {
	s.tb.Helper()
	if method != http.MethodGet && s.csrf == "" {
		_, _, h := s.do(http.MethodGet, odataRoot+"API_PLANT_SRV/", nil, map[string]string{"X-CSRF-Token": "Fetch"})
		s.csrf = h.Get("X-CSRF-Token")
	}
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		s.tb.Fatal(err)
	}
	req.SetBasicAuth(s.cfg.Credentials["username"], s.cfg.Credentials["password"])
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if method != http.MethodGet {
		req.Header.Set("X-CSRF-Token", s.csrf)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		s.tb.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data, resp.Header
}

// list returns the records of a listing of the system's own API.
func (s *simulator) list(service, set string, q url.Values) []map[string]any {
	s.tb.Helper()
	status, data, _ := s.do(http.MethodGet, odataRoot+service+"/"+set+"?"+strings.ReplaceAll(q.Encode(), "%24", "$"), nil, nil)
	if status != http.StatusOK {
		s.tb.Fatalf("list %s: %d %s", set, status, data)
	}
	var a listAnswer
	if err := json.Unmarshal(data, &a); err != nil {
		s.tb.Fatal(err)
	}
	return a.D.Results
}

// count asks the system's own API how many records a listing holds.
func (s *simulator) count(service, set, filter string) int {
	s.tb.Helper()
	q := url.Values{}
	if filter != "" {
		q.Set("$filter", filter)
	}
	status, data, _ := s.do(http.MethodGet, odataRoot+service+"/"+set+"/$count?"+q.Encode(), nil, nil)
	n, err := strconv.Atoi(string(data))
	if status != http.StatusOK || err != nil {
		s.tb.Fatalf("count %s: %d %s", set, status, data)
	}
	return n
}

// patch changes a record through the system's own API, with its ETag.
func (s *simulator) patch(service, path string, body map[string]any) {
	s.tb.Helper()
	_, _, h := s.do(http.MethodGet, odataRoot+service+"/"+path, nil, nil)
	if status, data, _ := s.do(http.MethodPatch, odataRoot+service+"/"+path, body, map[string]string{"If-Match": h.Get("ETag")}); status != http.StatusNoContent {
		s.tb.Fatalf("patch %s: %d %s", path, status, data)
	}
}
