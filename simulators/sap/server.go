package sap

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/millwright-dev/millwright/simulators/fault"
)

// Config configures a simulated SAP S/4HANA system; the zero Config is
// DefaultConfig. The same Config gives the same records and credentials.
type Config struct {
	Seed int64
	// Sizes of the seeded plant: zero takes the default, a negative size
	// means none (there is at least one plant and one supplier).
	Plants            int // at most 6
	Areas             int // functional locations per plant below its site
	Equipment         int
	Products          int
	Suppliers         int
	MaintenanceOrders int
	PurchaseOrders    int
	// PageSize is the server-side page size: a listing without $top, or
	// with a larger one, answers this many records and a __next link.
	PageSize int
	// Credentials; empty ones are derived from Seed.
	Username     string
	Password     string
	ClientID     string
	ClientSecret string
	// Epoch ends the two years the seeded records span; zero derives it
	// from Seed (a day in the first half of 2026).
	Epoch time.Time
	// Now stamps changes made through the API; nil is time.Now.
	Now func() time.Time
	// Latency is added to every request (see the fault package).
	Latency time.Duration
}

// DefaultConfig is a small system: 3 plants with 4 areas each, 200 pieces
// of equipment, 120 spare parts, 20 suppliers, 500 maintenance orders and
// 60 purchase orders.
func DefaultConfig() Config {
	return Config{Plants: 3, Areas: 4, Equipment: 200, Products: 120, Suppliers: 20, MaintenanceOrders: 500, PurchaseOrders: 60, PageSize: 1000}
}

func (cfg Config) withDefaults() Config {
	d := DefaultConfig()
	for _, s := range []struct {
		v   *int
		def int
	}{
		{&cfg.Plants, d.Plants}, {&cfg.Areas, d.Areas}, {&cfg.Equipment, d.Equipment}, {&cfg.Products, d.Products},
		{&cfg.Suppliers, d.Suppliers}, {&cfg.MaintenanceOrders, d.MaintenanceOrders}, {&cfg.PurchaseOrders, d.PurchaseOrders},
		{&cfg.PageSize, d.PageSize},
	} {
		switch {
		case *s.v == 0:
			*s.v = s.def
		case *s.v < 0:
			*s.v = 0
		}
	}
	cfg.Plants = min(max(cfg.Plants, 1), len(plantTable))
	cfg.Suppliers = max(cfg.Suppliers, 1)
	cfg.PageSize = max(cfg.PageSize, 1)
	if cfg.Epoch.IsZero() {
		cfg.Epoch = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -int(uint64(cfg.Seed)%90))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	for _, c := range []struct {
		v    *string
		what string
		n    int
	}{{&cfg.Username, "username", 0}, {&cfg.Password, "password", 24}, {&cfg.ClientID, "client_id", 0}, {&cfg.ClientSecret, "client_secret", 32}} {
		if *c.v != "" {
			continue
		}
		switch c.what {
		case "username":
			*c.v = "MW_INTEGRATION"
		case "client_id":
			*c.v = "sb-millwright-" + strings.ToLower(derive(cfg.Seed, c.what, 8))
		default:
			*c.v = derive(cfg.Seed, c.what, c.n)
		}
	}
	return cfg
}

// Server is a simulated SAP S/4HANA system: an http.Handler serving the
// OData services under /sap/opu/odata/sap/, the OAuth token endpoint
// /sap/bc/sec/oauth2/token, and the fault and stats endpoints under /_sim/.
type Server struct {
	cfg     Config
	p       *plant
	faults  *fault.Injector
	handler http.Handler

	mu       sync.Mutex
	tables   map[*entitySet]*table
	sessions map[string]string    // session id -> CSRF token
	tokens   map[string]time.Time // OAuth access token -> expiry
	nextPO   int
	nextMO   int
	nextDoc  int
}

// New returns a simulated system seeded from cfg.
func New(cfg Config) *Server {
	cfg = cfg.withDefaults()
	p := &plant{cfg: cfg, start: cfg.Epoch.Add(-span)}
	s := &Server{cfg: cfg, p: p, sessions: map[string]string{}, tokens: map[string]time.Time{}}
	s.tables = map[*entitySet]*table{
		setPlant:              materialized(setPlant, p.plants()),
		setStorageLocation:    materialized(setStorageLocation, p.storageLocations()),
		setFunctionalLocation: materialized(setFunctionalLocation, p.functionalLocations()),
		setSupplier:           materialized(setSupplier, p.suppliers()),
		setStock:              materialized(setStock, p.stock()),
		setEquipment: newTable(setEquipment, cfg.Equipment, func(i int) string { return p.equipmentKey(i) + "\x00" + "99991231" },
			p.equipment, func(i int) time.Time { return p.changed(i, cfg.Equipment) }),
		setProduct: newTable(setProduct, cfg.Products, p.productKey, p.product,
			func(i int) time.Time { return p.changed(i, cfg.Products) }),
		setMaintenanceOrder: newTable(setMaintenanceOrder, cfg.MaintenanceOrders, p.orderKey, p.order,
			func(i int) time.Time { return p.changed(i, cfg.MaintenanceOrders) }),
		setPurchaseOrder: newTable(setPurchaseOrder, cfg.PurchaseOrders, p.purchaseOrderKey, p.purchaseOrder,
			func(i int) time.Time { return p.changed(i, cfg.PurchaseOrders) }),
		setMaterialDocument: newTable(setMaterialDocument, 0, nil, nil, nil),
	}
	s.nextPO, s.nextMO, s.nextDoc = cfg.PurchaseOrders+1, cfg.MaintenanceOrders+1, 1
	s.faults = fault.New(fault.Options{WriteError: s.writeFault, Route: statsRoute, Latency: cfg.Latency})
	s.handler = s.faults.Wrap(http.HandlerFunc(s.serve))
	return s
}

// Config returns the configuration in use, with its derived credentials.
func (s *Server) Config() Config { return s.cfg }

// Faults returns the simulator's fault injector.
func (s *Server) Faults() *fault.Injector { return s.faults }

// Connection returns what a user passes to Millwright's POST /v1/connections
// for this simulator listening at baseURL: settings {"base_url": baseURL}
// and Basic credentials {"username", "password"}. OAuthConnection gives the
// client-credentials form.
func (s *Server) Connection(baseURL string) (settings, credentials map[string]string) {
	return map[string]string{"base_url": baseURL, "plant": plantTable[0].code}, map[string]string{"username": s.cfg.Username, "password": s.cfg.Password}
}

// OAuthConnection is Connection with OAuth 2.0 client credentials.
func (s *Server) OAuthConnection(baseURL string) (settings, credentials map[string]string) {
	return map[string]string{"base_url": baseURL}, map[string]string{"client_id": s.cfg.ClientID, "client_secret": s.cfg.ClientSecret}
}

// ExpireSessions ends every session, as a restart or a session timeout
// does: the next write with an old CSRF token gets 403.
func (s *Server) ExpireSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.sessions)
}

// Record returns a record as the system holds it, in SAP's JSON shape
// (with expanded child records), by entity set and key values in key order,
// dates as YYYYMMDD: Record("A_PurchaseOrder", "4500000061"),
// Record("Equipment", "10000001", "99991231").
func (s *Server) Record(set string, key ...string) (map[string]any, bool) {
	e := findSet(set)
	if e == nil || s.tables[e] == nil {
		return nil, false
	}
	s.mu.Lock()
	r, ok := s.tables[e].get(strings.Join(key, "\x00"))
	s.mu.Unlock()
	if !ok {
		return nil, false
	}
	var out map[string]any
	raw := s.encodeEntity(e, r, "", all(e))
	_ = json.Unmarshal(raw, &out)
	return out, true
}

// Count returns how many live records an entity set holds.
func (s *Server) Count(set string) int {
	e := findSet(set)
	if e == nil {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	s.each(e, bounds{}, func(rec) bool { n++; return true })
	return n
}

func findSet(name string) *entitySet {
	for _, svc := range services {
		if e := svc.set(name); e != nil {
			return e
		}
	}
	return nil
}

// ServeHTTP serves the API and the /_sim/ endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Server) now() time.Time { return s.cfg.Now().UTC() }

const odataPrefix = "/sap/opu/odata/sap/"

// statsRoute counts requests by service and entity set.
func statsRoute(r *http.Request) string {
	rest, ok := strings.CutPrefix(r.URL.Path, odataPrefix)
	if !ok {
		return r.URL.Path
	}
	parts := strings.SplitN(rest, "/", 3)
	if len(parts) >= 2 {
		set, _, _ := strings.Cut(parts[1], "(")
		return odataPrefix + parts[0] + "/" + set
	}
	return odataPrefix + parts[0]
}

// odataError is SAP's error: {"error": {"code", "message": {"lang",
// "value"}, "innererror"}}.
type odataError struct {
	status  int
	code    string
	message string
}

func errorf(status int, code, msg string) *odataError {
	return &odataError{status: status, code: code, message: msg}
}

func writeError(w http.ResponseWriter, e *odataError) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	txn := newID(16)
	body := map[string]any{"error": map[string]any{
		"code":    e.code,
		"message": map[string]string{"lang": "en", "value": e.message},
		"innererror": map[string]any{
			"application":   map[string]string{"component_id": "", "service_namespace": "/SAP/", "service_id": "", "service_version": "0001"},
			"transactionid": strings.ToUpper(txn),
			"timestamp":     time.Now().UTC().Format("20060102150405.0000000"),
			"errordetails":  []map[string]string{{"code": e.code, "message": e.message, "propertyref": "", "severity": "error", "target": ""}},
		},
	}}
	_ = json.NewEncoder(w).Encode(body)
}

func newID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Server) writeFault(w http.ResponseWriter, _ *http.Request, status int) {
	switch status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Basic realm="SAP NetWeaver Application Server [MWS/100]"`)
		writeError(w, errorf(status, "/IWFND/CM_CONSUMER/101", "Logon failed: user or password is incorrect"))
	case http.StatusTooManyRequests:
		writeError(w, errorf(status, "/IWFND/CM_BEC/026", "Too many requests; try again later"))
	default:
		writeError(w, errorf(status, "/IWFND/CM_BEC/026", "SAP Gateway: the back end is not available ("+strconv.Itoa(status)+")"))
	}
}

const sessionCookie = "SAP_SESSIONID_MWS_100"

// serve authenticates, handles the CSRF protocol and routes.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/sap/bc/sec/oauth2/token" {
		s.token(w, r)
		return
	}
	if e := s.authenticate(r); e != nil {
		w.Header().Set("WWW-Authenticate", `Basic realm="SAP NetWeaver Application Server [MWS/100]"`)
		writeError(w, e)
		return
	}
	method := r.Method
	if o := r.Header.Get("X-HTTP-Method"); method == http.MethodPost && o != "" {
		method = strings.ToUpper(o)
	}
	if strings.EqualFold(r.Header.Get("X-CSRF-Token"), "Fetch") && method == http.MethodGet {
		s.issueCSRF(w, r)
	}
	switch method {
	case http.MethodGet, http.MethodHead:
	case http.MethodPost, http.MethodPut, http.MethodPatch, "MERGE", http.MethodDelete:
		if !s.checkCSRF(r) {
			w.Header().Set("X-CSRF-Token", "Required")
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte("CSRF token validation failed"))
			return
		}
	default:
		writeError(w, errorf(http.StatusMethodNotAllowed, "/IWFND/MED/170", "Method "+method+" is not allowed"))
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, odataPrefix)
	if !ok {
		writeError(w, errorf(http.StatusNotFound, "/IWFND/MED/170", "No service found for namespace '', name '"+r.URL.Path+"', version '0001'"))
		return
	}
	svcName, resource, _ := strings.Cut(rest, "/")
	svc := serviceNamed(strings.ToUpper(strings.TrimSuffix(svcName, ";v=0002")))
	if svc == nil {
		writeError(w, errorf(http.StatusNotFound, "/IWFND/MED/170", "No service found for namespace '/SAP/', name '"+svcName+"', version '0001'"))
		return
	}
	q := &request{w: w, r: r, method: method, svc: svc, resource: resource}
	if e := s.route(q); e != nil {
		writeError(w, e)
	}
}

// request is one OData request.
type request struct {
	w        http.ResponseWriter
	r        *http.Request
	method   string
	svc      *service
	resource string // the path after the service: A_PurchaseOrder('4500000001')
}

// user is the request's user name, for CreatedByUser.
func (q *request) user() string {
	if u, _, ok := q.r.BasicAuth(); ok {
		return strings.ToUpper(u)
	}
	return "MW_OAUTH_CLIENT"
}

func (s *Server) authenticate(r *http.Request) *odataError {
	h := r.Header.Get("Authorization")
	scheme, cred, _ := strings.Cut(h, " ")
	switch {
	case strings.EqualFold(scheme, "Basic"):
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
		u, p, ok := strings.Cut(string(raw), ":")
		if err == nil && ok && subtle.ConstantTimeCompare([]byte(strings.ToUpper(u)), []byte(strings.ToUpper(s.cfg.Username))) == 1 &&
			subtle.ConstantTimeCompare([]byte(p), []byte(s.cfg.Password)) == 1 {
			return nil
		}
	case strings.EqualFold(scheme, "Bearer"):
		s.mu.Lock()
		exp, ok := s.tokens[strings.TrimSpace(cred)]
		s.mu.Unlock()
		if ok && time.Now().Before(exp) {
			return nil
		}
	}
	return errorf(http.StatusUnauthorized, "/IWFND/CM_CONSUMER/101", "Logon failed: user or password is incorrect")
}

// token is the OAuth 2.0 token endpoint (client credentials grant; the
// client authenticates with Basic or client_id and client_secret in the
// form).
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	oauthError := func(status int, code, desc string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
	}
	if r.Method != http.MethodPost {
		oauthError(http.StatusMethodNotAllowed, "invalid_request", "use POST")
		return
	}
	_ = r.ParseForm()
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if r.PostForm.Get("grant_type") != "client_credentials" {
		oauthError(http.StatusBadRequest, "unsupported_grant_type", "only client_credentials is supported")
		return
	}
	if subtle.ConstantTimeCompare([]byte(id), []byte(s.cfg.ClientID)) != 1 || subtle.ConstantTimeCompare([]byte(secret), []byte(s.cfg.ClientSecret)) != 1 {
		oauthError(http.StatusUnauthorized, "invalid_client", "Bad credentials")
		return
	}
	tok := newID(24)
	s.mu.Lock()
	for t, exp := range s.tokens {
		if time.Now().After(exp) {
			delete(s.tokens, t)
		}
	}
	s.tokens[tok] = time.Now().Add(time.Hour)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "bearer", "expires_in": 3599, "scope": "API_MAINTENANCEORDER_0001"})
}

// issueCSRF answers X-CSRF-Token: Fetch with a token bound to a session
// (the session cookie is set when the request has none).
func (s *Server) issueCSRF(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sid := ""
	if c, err := r.Cookie(sessionCookie); err == nil && s.sessions[c.Value] != "" {
		sid = c.Value
	}
	if sid == "" {
		sid = newID(20)
		s.sessions[sid] = base64.StdEncoding.EncodeToString([]byte(newID(12)))
		http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sid, Path: "/", HttpOnly: true})
		http.SetCookie(w, &http.Cookie{Name: "sap-usercontext", Value: url.QueryEscape("sap-client=100"), Path: "/"})
	}
	w.Header().Set("X-CSRF-Token", s.sessions[sid])
}

func (s *Server) checkCSRF(r *http.Request) bool {
	tok := r.Header.Get("X-CSRF-Token")
	c, err := r.Cookie(sessionCookie)
	if tok == "" || err != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	want, ok := s.sessions[c.Value]
	return ok && subtle.ConstantTimeCompare([]byte(tok), []byte(want)) == 1
}
