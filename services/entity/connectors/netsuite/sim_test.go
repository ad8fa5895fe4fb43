package netsuite

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"

	"github.com/millwright-dev/millwright/services/entity/connector"
	sim "github.com/millwright-dev/millwright/simulators/netsuite"
)

func TestMain(m *testing.M) {
	// The simulator listens on the loopback address.
	connector.AllowPrivateNetworks(true)
	os.Exit(m.Run())
}

// simulator is a running simulated NetSuite account, a session of its own
// API for changing records behind the connector's back, and the number of
// 429s it answered.
type simulator struct {
	tb      testing.TB
	server  *sim.Server
	url     string
	cfg     connector.Config
	refused atomic.Int64
}

func startSim(tb testing.TB, cfg sim.Config) *simulator {
	tb.Helper()
	s := &simulator{tb: tb, server: sim.New(cfg)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		s.server.ServeHTTP(rec, r)
		if rec.status == http.StatusTooManyRequests {
			s.refused.Add(1)
		}
	}))
	tb.Cleanup(srv.Close)
	s.url = srv.URL
	settings, creds := s.server.Connection(srv.URL)
	s.cfg = connector.Config{Connection: "conn-test", Settings: settings, Credentials: creds}
	return s
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets the fault injector hijack the connection.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// call calls the simulator's API with the connection's credentials.
func (s *simulator) call(method, path string, body any) {
	s.tb.Helper()
	ss, err := newConnector().session(s.cfg)
	if err != nil {
		s.tb.Fatal(err)
	}
	if _, data, err := ss.call(context.Background(), method, path, nil, body); err != nil {
		s.tb.Fatalf("%s %s: %v %s", method, path, err, data)
	}
}

// record is a record as the simulated NetSuite holds it.
func (s *simulator) record(typ, key string) map[string]any {
	s.tb.Helper()
	m, ok := s.server.Record(typ, key)
	if !ok {
		s.tb.Fatalf("NetSuite holds no %s %s", typ, key)
	}
	return m
}
