package maximo

import (
	"crypto/subtle"
	"encoding/base64"
	"hash/fnv"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/millwright-dev/millwright/simulators/fault"
)

// Config configures a simulated Maximo; the zero Config is DefaultConfig.
// The same Config gives the same credentials and the same seeded records.
type Config struct {
	Seed int64
	// Sizes of the seeded plant: zero takes the default, a negative size
	// means none. There is at least one site, each with at least 5
	// locations; purchase orders need at least one vendor.
	Sites          int
	Locations      int
	Assets         int
	WorkOrders     int
	PurchaseOrders int
	Items          int
	Vendors        int
	Persons        int
	// Credentials; empty ones are derived from Seed (Username: MXINTADM).
	APIKey   string
	Username string
	Password string
	// Epoch ends the two years the seeded records span; zero derives it from Seed.
	Epoch time.Time
	// Now stamps changes made through the API; nil is time.Now. It should not
	// run behind Epoch, or new changes sort before seeded ones.
	Now func() time.Time
	// Latency is added to every request (see the fault package).
	Latency time.Duration
}

// DefaultConfig is a small plant: 2 sites, 50 locations, 200 assets, 500 work
// orders, 50 purchase orders, 100 items stocked in every storeroom, 20
// companies and 30 persons.
func DefaultConfig() Config {
	return Config{
		Sites: 2, Locations: 50, Assets: 200, WorkOrders: 500,
		PurchaseOrders: 50, Items: 100, Vendors: 20, Persons: 30,
	}
}

func (cfg Config) withDefaults() Config {
	d := DefaultConfig()
	for _, s := range []struct {
		v   *int
		def int
	}{
		{&cfg.Sites, d.Sites}, {&cfg.Locations, d.Locations}, {&cfg.Assets, d.Assets},
		{&cfg.WorkOrders, d.WorkOrders}, {&cfg.PurchaseOrders, d.PurchaseOrders},
		{&cfg.Items, d.Items}, {&cfg.Vendors, d.Vendors}, {&cfg.Persons, d.Persons},
	} {
		if *s.v == 0 {
			*s.v = s.def
		}
	}
	if cfg.Epoch.IsZero() {
		cfg.Epoch = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -int(uint64(cfg.Seed)%90))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Username == "" {
		cfg.Username = "MXINTADM"
	}
	if cfg.Password == "" {
		cfg.Password = derive(cfg.Seed, "password", 16)
	}
	if cfg.APIKey == "" {
		cfg.APIKey = derive(cfg.Seed, "apikey", 26)
	}
	return cfg
}

func derive(seed int64, what string, n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	h := fnv.New32a()
	h.Write([]byte(what))
	r := newRNG(seed, streamCredentials, int(h.Sum32()))
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.intn(len(alphabet))]
	}
	return string(b)
}

// Server is a simulated Maximo. It is an http.Handler serving the JSON API
// under /maximo/api/ and /maximo/oslc/, and the fault and stats endpoints
// under /_sim/.
type Server struct {
	cfg     Config
	plant   *plant
	faults  *fault.Injector
	handler http.Handler
	cols    map[string]*collection // by object structure name and alias

	mu       sync.RWMutex
	rowstamp int64
	txns     txnLog
}

func structures() []*objectStructure {
	return []*objectStructure{
		workOrderStructure(), assetStructure(), locationStructure(), itemStructure(),
		inventoryStructure(), purchaseOrderStructure(), companyStructure(), personStructure(),
	}
}

// New returns a simulated Maximo seeded from cfg.
func New(cfg Config) *Server {
	cfg = cfg.withDefaults()
	s := &Server{cfg: cfg, plant: newPlant(cfg), cols: map[string]*collection{}}
	rowstamp := int64(100000)
	for k, os := range structures() {
		seed := os.seed(s.plant)
		tl := newTimeline(cfg.Epoch, seed.n, cfg.Seed, uint64(k))
		c := newCollection(os, seed, tl, 1, rowstamp, s.plant.autoBase(os.autokey))
		rowstamp += int64(seed.n) + 1000
		s.cols[os.name] = c
		if os.alias != "" {
			s.cols[os.alias] = c
		}
	}
	s.rowstamp = rowstamp
	s.faults = fault.New(fault.Options{WriteError: s.writeFault, Route: statsRoute, Latency: cfg.Latency})
	s.handler = s.faults.Wrap(http.HandlerFunc(s.serve))
	return s
}

// autoBase is the first seeded number of an autokey attribute.
func (p *plant) autoBase(attr string) int {
	switch attr {
	case "wonum":
		return p.woBase
	case "ponum":
		return p.poBase
	case "assetnum":
		return p.assetBase
	}
	return 0
}

// Config returns the configuration in use, with its derived credentials and epoch.
func (s *Server) Config() Config { return s.cfg }

// Faults returns the fault injector of the simulator.
func (s *Server) Faults() *fault.Injector { return s.faults }

// Connection returns what a user passes to Millwright's POST /v1/connections
// for this simulator listening at baseURL (its root URL): settings
// {"base_url": baseURL} and credentials {"api_key": ...}. Credentials
// {"username": ..., "password": ...}, sent by clients as maxauth, work too.
func (s *Server) Connection(baseURL string) (settings, credentials map[string]string) {
	return map[string]string{"base_url": baseURL}, map[string]string{"api_key": s.cfg.APIKey}
}

// ServeHTTP serves the API and the /_sim/ endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// now is the time a change is stamped with, in whole seconds.
func (s *Server) now() int64 { return s.cfg.Now().Unix() }

// serve routes /maximo/{api|oslc}/os/{os}[/{id}] and /maximo/{api|oslc}/whoami.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) < 3 || parts[0] != "maximo" || parts[1] != "api" && parts[1] != "oslc" {
		http.NotFound(w, r)
		return
	}
	user, err := s.authenticate(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if len(parts) == 3 && parts[2] == "whoami" && r.Method == http.MethodGet {
		s.whoami(w, user)
		return
	}
	if parts[2] != "os" || len(parts) < 4 || len(parts) > 5 {
		http.NotFound(w, r)
		return
	}
	name := strings.ToLower(parts[3])
	c := s.cols[name]
	if c == nil {
		writeError(w, errorf(http.StatusNotFound, codeNoStructure, "The object structure %s does not exist.", strings.ToUpper(name)))
		return
	}
	req := &request{w: w, r: r, c: c, user: user, base: baseURL(r) + "/maximo/" + parts[1] + "/os/" + name}
	if len(parts) == 4 {
		switch o := r.Header.Get("x-method-override"); {
		case r.Method == http.MethodGet:
			s.list(req)
		case r.Method == http.MethodPost && o == "":
			s.create(req)
		case r.Method == http.MethodPost:
			writeError(w, notAllowed(http.StatusBadRequest, strings.ToUpper(o), c.os.object))
		default:
			writeError(w, notAllowed(http.StatusMethodNotAllowed, r.Method, c.os.object))
		}
		return
	}
	req.id = parts[4]
	method := r.Method
	if o := r.Header.Get("x-method-override"); method == http.MethodPost && o != "" {
		method = strings.ToUpper(o)
	}
	switch {
	case method == http.MethodGet:
		s.get(req)
	case method == http.MethodDelete:
		s.delete(req)
	case r.URL.Query().Get("action") != "":
		s.action(req, r.URL.Query().Get("action"))
	case method == http.MethodPatch:
		s.update(req)
	default:
		writeError(w, notAllowed(http.StatusMethodNotAllowed, method, c.os.object))
	}
}

// request is one API call on a collection.
type request struct {
	w    http.ResponseWriter
	r    *http.Request
	c    *collection
	user string
	base string // collection URI
	id   string // member id, for member requests
}

func (q *request) href(rec record) string { return string(appendHref(nil, q.c.os, q.base, rec)) }

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// authenticate accepts an apikey header (or query parameter), or maxauth
// with base64(user:password), and returns the user.
func (s *Server) authenticate(r *http.Request) (string, *apiError) {
	key := r.Header.Get("apikey")
	if key == "" {
		key = param(r.URL.Query(), "apikey")
	}
	if key != "" {
		if subtle.ConstantTimeCompare([]byte(key), []byte(s.cfg.APIKey)) == 1 {
			return strings.ToUpper(s.cfg.Username), nil
		}
		return "", errBadAPIKey
	}
	if raw, err := base64.StdEncoding.DecodeString(r.Header.Get("maxauth")); err == nil {
		user, pass, ok := strings.Cut(string(raw), ":")
		if ok && strings.EqualFold(user, s.cfg.Username) && subtle.ConstantTimeCompare([]byte(pass), []byte(s.cfg.Password)) == 1 {
			return strings.ToUpper(user), nil
		}
	}
	return "", errBadLogin
}

func (s *Server) writeFault(w http.ResponseWriter, r *http.Request, status int) {
	if status == http.StatusUnauthorized && (r.Header.Get("apikey") != "" || param(r.URL.Query(), "apikey") != "") {
		writeError(w, errBadAPIKey)
		return
	}
	writeError(w, faultError(status))
}

// statsRoute counts API requests by object structure.
func statsRoute(r *http.Request) string {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) >= 4 && parts[0] == "maximo" && parts[2] == "os" {
		return "/maximo/api/os/" + strings.ToLower(parts[3])
	}
	return r.URL.Path
}

// param returns a query parameter, matching its name without regard to case.
func param(q url.Values, name string) string {
	if v, ok := q[name]; ok {
		return v[0]
	}
	for k, v := range q {
		if strings.EqualFold(k, name) {
			return v[0]
		}
	}
	return ""
}
