package maintainx

import (
	"crypto/subtle"
	"encoding/json"
	"hash/fnv"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/millwright-dev/millwright/simulators/fault"
)

// Config configures a simulated MaintainX; the zero Config is DefaultConfig.
// The same Config gives the same key and the same seeded records.
type Config struct {
	Seed int64
	// Sizes of the seeded organisation: zero takes the default, a negative
	// size means none (at least one location and one user are kept).
	Locations      int
	Assets         int
	Parts          int
	WorkOrders     int
	PurchaseOrders int
	Vendors        int
	Users          int
	// APIKey is the bearer token; empty derives it from Seed.
	APIKey string
	// OrganizationID is the organisation the key belongs to; 0 is 48213.
	OrganizationID int64
	// MultiOrganization makes the key a multi-organisation key: every API
	// request must then name the organisation in x-organization-id.
	MultiOrganization bool
	// RateLimit is the number of API requests a key may make per RateWindow
	// (0 = 10,000; negative = no limit); beyond it requests get 429.
	RateLimit  int
	RateWindow time.Duration // 0 = one minute
	// Epoch ends the two years the seeded changes span; zero derives it from Seed.
	Epoch time.Time
	// Now stamps changes made through the API; nil is time.Now. It should not
	// run behind Epoch, or new changes sort before seeded ones.
	Now func() time.Time
	// Latency is added to every request (see package fault).
	Latency time.Duration
}

// DefaultConfig is a small organisation: 20 locations (2 sites), 100
// assets, 50 parts each stocked at two locations, 500 work orders, 30
// purchase orders, 12 vendors and 25 users.
func DefaultConfig() Config {
	return Config{Locations: 20, Assets: 100, Parts: 50, WorkOrders: 500, PurchaseOrders: 30, Vendors: 12, Users: 25}
}

func (cfg Config) withDefaults() Config {
	d := DefaultConfig()
	for _, s := range []struct {
		v   *int
		def int
	}{
		{&cfg.Locations, d.Locations}, {&cfg.Assets, d.Assets}, {&cfg.Parts, d.Parts}, {&cfg.WorkOrders, d.WorkOrders},
		{&cfg.PurchaseOrders, d.PurchaseOrders}, {&cfg.Vendors, d.Vendors}, {&cfg.Users, d.Users},
	} {
		if *s.v == 0 {
			*s.v = s.def
		}
		*s.v = max(*s.v, 0)
	}
	cfg.Locations, cfg.Users = max(cfg.Locations, 1), max(cfg.Users, 1)
	if cfg.OrganizationID == 0 {
		cfg.OrganizationID = 48213
	}
	if cfg.RateLimit == 0 {
		cfg.RateLimit = 10000
	}
	if cfg.RateWindow <= 0 {
		cfg.RateWindow = time.Minute
	}
	if cfg.Epoch.IsZero() {
		cfg.Epoch = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -int(uint64(cfg.Seed)%90))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.APIKey == "" {
		h := fnv.New32a()
		h.Write([]byte("apikey"))
		r := newRNG(cfg.Seed, streamCredentials, int(h.Sum32()))
		const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
		b := make([]byte, 40)
		for i := range b {
			b[i] = alphabet[r.intn(len(alphabet))]
		}
		cfg.APIKey = "mx_" + string(b)
	}
	return cfg
}

// Server is a simulated MaintainX. It is an http.Handler serving the REST
// API under /v1/ and the fault and stats endpoints under /_sim/.
type Server struct {
	cfg     Config
	plant   *plant
	faults  *fault.Injector
	handler http.Handler
	res     map[string]*resource // by path segment

	mu     sync.Mutex
	window time.Time // start of the current rate-limit window
	used   int
}

// New returns a simulated MaintainX seeded from cfg.
func New(cfg Config) *Server {
	cfg = cfg.withDefaults()
	p := &plant{cfg: cfg, sites: min(2, cfg.Locations)}
	s := &Server{cfg: cfg, plant: p, res: map[string]*resource{}}
	e := cfg.Epoch
	mk := func(name string, base int64, n int, offset time.Duration, gen func(int, time.Time) obj) *table {
		st := stamper(e, n, offset)
		return newTable(name, base, n, st, func(i int) obj { return gen(i, st(i)) })
	}
	for _, r := range []*resource{
		{path: "workorders", one: "workOrder", many: "workOrders", deltas: true,
			t: mk("workorders", baseWorkOrders, cfg.WorkOrders, 0, func(i int, at time.Time) obj { return p.workOrder(i, at, e) })},
		{path: "assets", one: "asset", many: "assets", deltas: true, t: mk("assets", baseAssets, cfg.Assets, time.Minute, p.asset),
			patchable: []string{"name", "description", "serialNumber", "model", "manufacturer", "barcode"}},
		{path: "locations", one: "location", many: "locations", t: mk("locations", baseLocations, cfg.Locations, 2*time.Minute, p.location),
			patchable: []string{"name", "description", "address", "barcode"}},
		{path: "parts", one: "part", many: "parts", deltas: true, t: mk("parts", baseParts, cfg.Parts, 3*time.Minute, p.part),
			patchable: []string{"name", "description", "barcode"}},
		{path: "purchaseorders", one: "purchaseOrder", many: "purchaseOrders", deltas: true,
			t: mk("purchaseorders", basePurchaseOrders, cfg.PurchaseOrders, 4*time.Minute, p.purchaseOrder), patchable: []string{"title", "note"}},
		{path: "vendors", one: "vendor", many: "vendors", t: mk("vendors", baseVendors, cfg.Vendors, 5*time.Minute, p.vendor),
			patchable: []string{"name", "description"}},
		{path: "users", one: "user", many: "users", t: mk("users", baseUsers, cfg.Users, 6*time.Minute, p.user),
			patchable: []string{"firstName", "lastName", "phoneNumber"}},
	} {
		s.res[r.path] = r
	}
	s.faults = fault.New(fault.Options{WriteError: s.writeFault, Route: statsRoute, Latency: cfg.Latency})
	s.handler = s.faults.Wrap(http.HandlerFunc(s.serve))
	return s
}

// Config returns the configuration in use, with its derived key and epoch.
func (s *Server) Config() Config { return s.cfg }

// Faults returns the fault injector of the simulator.
func (s *Server) Faults() *fault.Injector { return s.faults }

// Connection returns what a user passes to Millwright's POST /v1/connections
// for this simulator listening at baseURL (its root URL): settings
// {"base_url": baseURL + "/v1"} and credentials {"api_key": ...}, with
// {"organization_id": ...} when the key is a multi-organisation key.
func (s *Server) Connection(baseURL string) (settings, credentials map[string]string) {
	settings = map[string]string{"base_url": strings.TrimRight(baseURL, "/") + "/v1"}
	credentials = map[string]string{"api_key": s.cfg.APIKey}
	if s.cfg.MultiOrganization {
		credentials["organization_id"] = strconv.FormatInt(s.cfg.OrganizationID, 10)
	}
	return settings, credentials
}

// Count returns how many live records a resource (its path segment, such as
// "workorders") holds.
func (s *Server) Count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.res[path]; r != nil {
		return r.t.count()
	}
	return 0
}

// ServeHTTP serves the API and the /_sim/ endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Server) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Millisecond) }

// apiError is an error answer: {"error": message}, or {"errors": [...]}
// with fieldPath when fields name what is wrong.
type apiError struct {
	status  int
	message string
	fields  []fieldError
}

type fieldError struct {
	Error      string `json:"error"`
	FieldPath  string `json:"fieldPath,omitempty"`
	FieldValue any    `json:"fieldValue,omitempty"`
}

func errorf(status int, message string) *apiError { return &apiError{status: status, message: message} }

func invalid(path, message string, value any) *apiError {
	return &apiError{status: http.StatusBadRequest, message: message, fields: []fieldError{{Error: message, FieldPath: path, FieldValue: value}}}
}

func writeError(w http.ResponseWriter, e *apiError) {
	if e.fields != nil {
		writeJSON(w, e.status, map[string]any{"errors": e.fields})
		return
	}
	writeJSON(w, e.status, map[string]any{"error": e.message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) writeFault(w http.ResponseWriter, _ *http.Request, status int) {
	switch status {
	case http.StatusUnauthorized:
		writeError(w, errorf(status, "Invalid token"))
	case http.StatusTooManyRequests:
		writeError(w, errorf(status, "Too many requests, please retry later"))
	default:
		writeError(w, errorf(status, "Internal server error"))
	}
}

// statsRoute counts API requests by resource.
func statsRoute(r *http.Request) string {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) >= 2 && parts[0] == "v1" {
		return "/v1/" + parts[1]
	}
	return r.URL.Path
}

// authenticate checks the bearer token and the organisation header.
func (s *Server) authenticate(r *http.Request) *apiError {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), []byte(s.cfg.APIKey)) != 1 {
		return errorf(http.StatusUnauthorized, "Invalid token")
	}
	org := r.Header.Get("x-organization-id")
	switch {
	case org == "" && s.cfg.MultiOrganization:
		return errorf(http.StatusBadRequest, "This API key belongs to several organizations: set the x-organization-id header")
	case org != "" && org != strconv.FormatInt(s.cfg.OrganizationID, 10):
		return errorf(http.StatusForbidden, "The API key has no access to organization "+org)
	}
	return nil
}

// rateLimit counts a request against the key's budget, sets the
// X-Rate-Limit-* headers and reports whether the request may go on.
// X-Rate-Limit-Reset is the Unix time (seconds) at which the window resets.
func (s *Server) rateLimit(w http.ResponseWriter) bool {
	if s.cfg.RateLimit < 0 {
		return true
	}
	now := s.cfg.Now()
	if now.Sub(s.window) >= s.cfg.RateWindow || now.Before(s.window) {
		s.window, s.used = now, 0
	}
	reset := s.window.Add(s.cfg.RateWindow)
	h := w.Header()
	h.Set("X-Rate-Limit-Limit", strconv.Itoa(s.cfg.RateLimit))
	h.Set("X-Rate-Limit-Reset", strconv.FormatInt((reset.UnixNano()+int64(time.Second)-1)/int64(time.Second), 10))
	if s.used >= s.cfg.RateLimit {
		h.Set("X-Rate-Limit-Remaining", "0")
		h.Set("Retry-After", strconv.Itoa(max(1, int((reset.Sub(now)+time.Second-1)/time.Second))))
		return false
	}
	s.used++
	h.Set("X-Rate-Limit-Remaining", strconv.Itoa(s.cfg.RateLimit-s.used))
	return true
}

// serve routes /v1/{resource}[/{id}[/status]].
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) < 2 || parts[0] != "v1" {
		writeError(w, errorf(http.StatusNotFound, "Not found"))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.authenticate(r); e != nil {
		writeError(w, e)
		return
	}
	if !s.rateLimit(w) {
		writeError(w, errorf(http.StatusTooManyRequests, "Too many requests, please retry later"))
		return
	}
	res := s.res[parts[1]]
	if res == nil || len(parts) > 4 {
		writeError(w, errorf(http.StatusNotFound, "Not found"))
		return
	}
	if len(parts) == 2 {
		switch r.Method {
		case http.MethodGet:
			s.list(w, r, res)
		case http.MethodPost:
			s.create(w, r, res)
		default:
			writeError(w, errorf(http.StatusMethodNotAllowed, "Method not allowed"))
		}
		return
	}
	id, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || id <= 0 {
		writeError(w, invalid("id", "id must be a positive integer", parts[2]))
		return
	}
	o := res.t.get(id)
	if o == nil {
		writeError(w, errorf(http.StatusNotFound, capital(res.one)+" "+parts[2]+" not found"))
		return
	}
	switch {
	case len(parts) == 4 && parts[3] == "status" && (r.Method == http.MethodPatch || r.Method == http.MethodPost):
		s.setStatus(w, r, res, id, o)
	case len(parts) == 4:
		writeError(w, errorf(http.StatusNotFound, "Not found"))
	case r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{res.one: s.full(res, o)})
	case r.Method == http.MethodPatch:
		s.update(w, r, res, id, o)
	case r.Method == http.MethodDelete && res.path == "workorders":
		res.t.remove(id)
		w.WriteHeader(http.StatusNoContent)
	default:
		writeError(w, errorf(http.StatusMethodNotAllowed, "Method not allowed"))
	}
}

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
