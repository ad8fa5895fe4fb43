package netsuite

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/millwright-dev/millwright/simulators/fault"
)

// Config configures a simulated NetSuite account; the zero Config is
// DefaultConfig. The same Config gives the same account, credentials and
// records.
type Config struct {
	Seed int64
	// Sizes of the seeded account: zero takes the default, a negative size
	// means none (there is at least one plant).
	Plants         int // each with two storerooms (sub-locations)
	Employees      int
	Vendors        int
	Items          int // inventory items, stocked at every storeroom
	PurchaseOrders int
	// AccountID is the account (and OAuth realm), such as "1234567" or
	// "1234567_SB1"; credentials are derived from Seed when empty.
	AccountID      string
	ConsumerKey    string
	ConsumerSecret string
	TokenID        string
	TokenSecret    string
	// Concurrency is how many requests the account serves at once; beyond
	// it NetSuite answers 429. Zero takes 5 (a small account), negative
	// lifts the limit.
	Concurrency int
	// Epoch ends the two years the seeded records span; zero derives it from
	// Seed (a day in the first half of 2026).
	Epoch time.Time
	// Now stamps changes made through the API; nil is time.Now.
	Now func() time.Time
	// Latency is added to every request (see the fault package).
	Latency time.Duration
}

// DefaultConfig is a small account: 3 plants (9 locations), 30 employees,
// 20 vendors, 120 inventory items and 60 purchase orders.
func DefaultConfig() Config {
	return Config{Plants: 3, Employees: 30, Vendors: 20, Items: 120, PurchaseOrders: 60}
}

func (cfg Config) withDefaults() Config {
	d := DefaultConfig()
	for _, s := range []struct {
		v   *int
		def int
	}{
		{&cfg.Plants, d.Plants}, {&cfg.Employees, d.Employees}, {&cfg.Vendors, d.Vendors},
		{&cfg.Items, d.Items}, {&cfg.PurchaseOrders, d.PurchaseOrders},
	} {
		switch {
		case *s.v == 0:
			*s.v = s.def
		case *s.v < 0:
			*s.v = 0
		}
	}
	cfg.Plants = max(cfg.Plants, 1)
	cfg.Employees = min(cfg.Employees, maxEntities)
	cfg.Vendors = min(cfg.Vendors, maxEntities)
	if cfg.Vendors == 0 {
		cfg.PurchaseOrders = 0
	}
	if cfg.Epoch.IsZero() {
		cfg.Epoch = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -int(uint64(cfg.Seed)%90))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.AccountID == "" {
		cfg.AccountID = strconv.Itoa(1000000 + int(uint64(cfg.Seed)%8999999))
	}
	for _, c := range []struct {
		v    *string
		what string
	}{{&cfg.ConsumerKey, "consumer_key"}, {&cfg.ConsumerSecret, "consumer_secret"}, {&cfg.TokenID, "token_id"}, {&cfg.TokenSecret, "token_secret"}} {
		if *c.v == "" {
			*c.v = derive(cfg.Seed, c.what)
		}
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 5
	}
	return cfg
}

// derive makes a 64-hex-digit credential, as NetSuite's are.
func derive(seed int64, what string) string {
	sum := sha256.Sum256([]byte(strconv.FormatInt(seed, 10) + "/" + what))
	return hex.EncodeToString(sum[:])
}

// Server is a simulated NetSuite account: an http.Handler serving the REST
// record API under /services/rest/record/v1/ and the fault and stats
// endpoints under /_sim/.
type Server struct {
	cfg      Config
	faults   *fault.Injector
	handler  http.Handler
	inFlight atomic.Int64
	nonces   nonces

	mu     sync.Mutex
	tables map[string]*table
	// nextTxn is the internal id of the next transaction created.
	nextTxn int
}

// New returns a simulated NetSuite account seeded from cfg.
func New(cfg Config) *Server {
	cfg = cfg.withDefaults()
	s := &Server{cfg: cfg, tables: seedTables(cfg)}
	s.nextTxn = basePO + cfg.PurchaseOrders + 1
	s.faults = fault.New(fault.Options{WriteError: s.writeFault, Route: statsRoute, Latency: cfg.Latency})
	s.handler = s.limit(s.faults.Wrap(http.HandlerFunc(s.serve)))
	return s
}

// Config returns the configuration in use, with its derived credentials.
func (s *Server) Config() Config { return s.cfg }

// Faults returns the simulator's fault injector.
func (s *Server) Faults() *fault.Injector { return s.faults }

// Connection returns what a user passes to Millwright's POST /v1/connections
// for this simulator listening at baseURL: settings (account_id, base_url,
// and the account's adjustment account and free-text item) and the four
// token-based authentication credentials.
func (s *Server) Connection(baseURL string) (settings, credentials map[string]string) {
	return map[string]string{
			"account_id": s.cfg.AccountID, "base_url": baseURL,
			"adjustment_account": strconv.Itoa(AdjustmentAccountID), "free_text_item": strconv.Itoa(FreeTextItemID),
		}, map[string]string{
			"consumer_key": s.cfg.ConsumerKey, "consumer_secret": s.cfg.ConsumerSecret,
			"token_id": s.cfg.TokenID, "token_secret": s.cfg.TokenSecret,
		}
}

// ServeHTTP serves the API and the /_sim/ endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

const recordPrefix = "/services/rest/record/v1/"

// statsRoute counts requests by record type: /record/v1/purchaseOrder ...
func statsRoute(r *http.Request) string {
	rest, ok := strings.CutPrefix(r.URL.Path, recordPrefix)
	if !ok {
		return r.URL.Path
	}
	typ, _, _ := strings.Cut(rest, "/")
	return "/record/v1/" + typ
}

// Media types of NetSuite's answers.
const (
	mediaCollection = "application/vnd.oracle.resource+json; type=collection"
	mediaSingular   = "application/vnd.oracle.resource+json; type=singular"
	mediaError      = "application/vnd.oracle.resource+json; type=error"
)

// apiError is one NetSuite error: {"type", "title", "status",
// "o:errorDetails": [{"detail", "o:errorCode", ...}]}.
type apiError struct {
	status int
	code   string
	detail string
	// where the problem is: a JSON path in the body, a query parameter or
	// the URL.
	path, param, url string
}

func errorf(status int, code, detail string) *apiError {
	return &apiError{status: status, code: code, detail: detail}
}

// problemTypes are the RFC 9110 sections NetSuite's "type" points to.
var problemTypes = map[int]string{
	400: "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1",
	401: "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.2",
	403: "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.4",
	404: "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.5",
	405: "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.6",
	429: "https://www.rfc-editor.org/rfc/rfc6585.html#section-4",
	500: "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.6.1",
}

func writeJSON(w http.ResponseWriter, status int, media string, v any) {
	w.Header().Set("Content-Type", media)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeRaw answers 200 with a rendered body.
func writeRaw(w http.ResponseWriter, media string, body []byte) {
	w.Header().Set("Content-Type", media)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)+1))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append(body, '\n'))
}

func writeError(w http.ResponseWriter, e *apiError) {
	detail := map[string]any{"detail": e.detail, "o:errorCode": e.code}
	if e.path != "" {
		detail["o:errorPath"] = e.path
	}
	if e.param != "" {
		detail["o:errorQueryParam"] = e.param
	}
	if e.url != "" {
		detail["o:errorUrl"] = e.url
	}
	typ := problemTypes[e.status]
	if typ == "" {
		typ = problemTypes[e.status/100*100]
	}
	writeJSON(w, e.status, mediaError, map[string]any{
		"type": typ, "title": http.StatusText(e.status), "status": e.status, "o:errorDetails": []any{detail},
	})
}

const invalidLogin = "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at Setup > Users/Roles > User Management > View Login Audit Trail."

func (s *Server) writeFault(w http.ResponseWriter, _ *http.Request, status int) {
	switch status {
	case http.StatusUnauthorized:
		writeError(w, errorf(status, "INVALID_LOGIN", invalidLogin))
	case http.StatusTooManyRequests:
		writeError(w, errorf(status, "CONCURRENCY_LIMIT_EXCEEDED", "Concurrent request limit exceeded. Request blocked."))
	default:
		writeError(w, errorf(status, "UNEXPECTED_ERROR", "An unexpected error occurred. Error ID: sim"+strconv.Itoa(status)))
	}
}

// limit applies the account's concurrency limit to the API (not to /_sim/):
// a request is in flight from its arrival to its answer, latency included.
func (s *Server) limit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Concurrency > 0 && !strings.HasPrefix(r.URL.Path, "/_sim/") {
			n := s.inFlight.Add(1)
			defer s.inFlight.Add(-1)
			if n > int64(s.cfg.Concurrency) {
				s.writeFault(w, r, http.StatusTooManyRequests)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// serve authenticates and routes.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if e := s.authenticate(r, time.Now()); e != nil {
		writeError(w, e)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, recordPrefix)
	if !ok {
		writeError(w, &apiError{status: http.StatusNotFound, code: "NONEXISTENT_ID", detail: "The requested resource does not exist.", url: r.URL.Path})
		return
	}
	parts := strings.Split(strings.Trim(rest, "/"), "/")
	if e := s.route(w, r, parts); e != nil {
		writeError(w, e)
	}
}

// route serves a request. Reads hold the lock only to find the records
// (stored records are never changed in place: a change stores a new map),
// writes hold it throughout.
func (s *Server) route(w http.ResponseWriter, r *http.Request, parts []string) *apiError {
	t := s.tables[parts[0]]
	if t == nil {
		return &apiError{status: http.StatusNotFound, code: "INVALID_RECORD_TYPE",
			detail: "Record type '" + parts[0] + "' does not exist.", url: r.URL.Path}
	}
	switch {
	case len(parts) == 1 && r.Method == http.MethodGet:
		return s.list(w, r, t)
	case len(parts) == 1 && r.Method == http.MethodPost:
		return s.create(w, r, t)
	case len(parts) == 3 && r.Method == http.MethodGet:
		return s.getField(w, r, t, parts[1], parts[2])
	case len(parts) == 2:
		switch r.Method {
		case http.MethodGet:
			return s.get(w, r, t, parts[1])
		case http.MethodPut:
			return s.upsert(w, r, t, parts[1])
		case http.MethodPatch:
			return s.patch(w, r, t, parts[1])
		case http.MethodDelete:
			return s.delete(w, r, t, parts[1])
		}
	}
	return &apiError{status: http.StatusMethodNotAllowed, code: "METHOD_NOT_ALLOWED",
		detail: "The " + r.Method + " method is not allowed on this resource.", url: r.URL.Path}
}
