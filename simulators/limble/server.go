package limble

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"hash/fnv"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/millwright-dev/millwright/simulators/fault"
)

// Config configures a simulated Limble account; the zero Config is
// DefaultConfig. The same Config gives the same credentials and records.
type Config struct {
	Seed int64
	// Sizes of the seeded plant: zero takes the default, a negative size
	// means none (there is at least one location).
	Locations      int
	Assets         int
	Tasks          int
	Parts          int
	PurchaseOrders int
	Vendors        int
	Users          int
	// Credentials; empty ones are derived from Seed.
	ClientID     string
	ClientSecret string
	// Epoch ends the two years the seeded records span; zero derives it
	// from Seed (a day in the first half of 2026).
	Epoch time.Time
	// Now stamps changes made through the API; nil is time.Now.
	Now func() time.Time
	// Latency is added to every request (see the fault package).
	Latency time.Duration
	// GetPerMinute and GetPerHour are the rate limits of GET per client id:
	// zero takes Limble's 360 a minute and 4000 an hour, negative lifts the
	// limit. Writes have Limble's own limits (PATCH 240/2000, POST and PUT
	// 240/1000, DELETE 60/100), lifted when GetPerHour is negative.
	GetPerMinute int
	GetPerHour   int
}

// DefaultConfig is a small account: 4 locations, 200 assets, 500 tasks, 120
// parts, 50 purchase orders, 20 vendors and 30 users.
func DefaultConfig() Config {
	return Config{Locations: 4, Assets: 200, Tasks: 500, Parts: 120, PurchaseOrders: 50, Vendors: 20, Users: 30}
}

func (cfg Config) withDefaults() Config {
	d := DefaultConfig()
	for _, s := range []struct {
		v   *int
		def int
	}{
		{&cfg.Locations, d.Locations}, {&cfg.Assets, d.Assets}, {&cfg.Tasks, d.Tasks}, {&cfg.Parts, d.Parts},
		{&cfg.PurchaseOrders, d.PurchaseOrders}, {&cfg.Vendors, d.Vendors}, {&cfg.Users, d.Users},
	} {
		switch {
		case *s.v == 0:
			*s.v = s.def
		case *s.v < 0:
			*s.v = 0
		}
	}
	cfg.Locations = max(cfg.Locations, 1)
	if cfg.Vendors == 0 {
		cfg.PurchaseOrders = 0
	}
	if cfg.Epoch.IsZero() {
		cfg.Epoch = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -int(uint64(cfg.Seed)%90))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ClientID == "" {
		cfg.ClientID = derive(cfg.Seed, "client_id", 24)
	}
	if cfg.ClientSecret == "" {
		cfg.ClientSecret = derive(cfg.Seed, "client_secret", 40)
	}
	if cfg.GetPerMinute == 0 {
		cfg.GetPerMinute = 360
	}
	if cfg.GetPerHour == 0 {
		cfg.GetPerHour = 4000
	}
	return cfg
}

func derive(seed int64, what string, n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	h := fnv.New32a()
	h.Write([]byte(what))
	r := newRNG(seed, streamCredentials, int(h.Sum32()))
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.intn(len(alphabet))]
	}
	return string(b)
}

// Server is a simulated Limble account: an http.Handler serving API v2
// under /v2/ and the fault and stats endpoints under /_sim/.
type Server struct {
	cfg     Config
	p       *plant
	faults  *fault.Injector
	handler http.Handler
	limits  *limiter

	mu        sync.Mutex
	locations *table[Location]
	users     *table[User]
	vendors   *table[Vendor]
	assets    *table[Asset]
	parts     *table[Part]
	tasks     *table[Task]
	pos       *table[PurchaseOrder]
	// addedItems are the purchase order lines added through the API, by
	// poID; lastItem is the id of the last one.
	addedItems map[int][]POItem
	lastItem   int
}

// New returns a simulated Limble account seeded from cfg.
func New(cfg Config) *Server {
	cfg = cfg.withDefaults()
	p := &plant{cfg: cfg, start: cfg.Epoch.Add(-span).Unix()}
	s := &Server{cfg: cfg, p: p, limits: newLimiter(cfg), addedItems: map[int][]POItem{}}
	s.locations = newTable(baseLocation, cfg.Locations, p.location, nil, nil)
	s.users = newTable(baseUser, cfg.Users, p.user, nil, nil)
	s.vendors = newTable(baseVendor, cfg.Vendors, p.vendor, func(i int) int64 { return p.edited(i, cfg.Vendors) }, func(v *Vendor) int64 { return v.LastEdited })
	s.assets = newTable(baseAsset, cfg.Assets, p.asset, func(i int) int64 { return p.edited(i, cfg.Assets) }, func(a *Asset) int64 { return a.LastEdited })
	s.parts = newTable(basePart, cfg.Parts, p.part, func(i int) int64 { return p.edited(i, cfg.Parts) }, func(x *Part) int64 { return x.LastEdited })
	s.tasks = newTable(baseTask, cfg.Tasks, p.task, func(i int) int64 { return p.edited(i, cfg.Tasks) }, func(t *Task) int64 { return t.LastEdited })
	s.pos = newTable(basePO, cfg.PurchaseOrders, p.purchaseOrder, func(i int) int64 { return p.edited(i, cfg.PurchaseOrders) }, func(x *PurchaseOrder) int64 { return x.LastEdited })
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
// and credentials {"client_id", "client_secret"}.
func (s *Server) Connection(baseURL string) (settings, credentials map[string]string) {
	return map[string]string{"base_url": baseURL}, map[string]string{"client_id": s.cfg.ClientID, "client_secret": s.cfg.ClientSecret}
}

// ServeHTTP serves the API and the /_sim/ endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Server) now() int64 { return s.cfg.Now().Unix() }

// statsRoute counts requests by resource: /v2/tasks, /v2/po/items ...
func statsRoute(r *http.Request) string {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) >= 2 && parts[0] == "v2" {
		if len(parts) >= 3 && parts[1] == "po" && parts[2] == "items" {
			return "/v2/po/items"
		}
		return "/v2/" + parts[1]
	}
	return r.URL.Path
}

// Errors. Limble answers {"message": ...} from its error handler, and the
// legacy {"error": status, "success": false, "msg": ...} from its auth
// middleware (both shapes of the description's ErrorResponse).
type apiError struct {
	status  int
	message string
	legacy  bool
}

func errorf(status int, msg string) *apiError { return &apiError{status: status, message: msg} }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, e *apiError) {
	if e.legacy {
		writeJSON(w, e.status, map[string]any{"error": e.status, "success": false, "msg": e.message})
		return
	}
	writeJSON(w, e.status, map[string]any{"message": e.message, "success": false})
}

func (s *Server) writeFault(w http.ResponseWriter, _ *http.Request, status int) {
	switch status {
	case http.StatusUnauthorized:
		writeError(w, &apiError{status: status, message: "Invalid client id or secret", legacy: true})
	case http.StatusTooManyRequests:
		writeError(w, errorf(status, "Too many requests. Please wait and try again later."))
	case http.StatusInternalServerError:
		writeError(w, errorf(status, "System unavailable. Please try again later."))
	default:
		writeError(w, errorf(status, http.StatusText(status)))
	}
}

// authenticate checks the Basic credentials: none gets 401, wrong ones 403
// (as the description's Unauthorized and Forbidden responses say).
func (s *Server) authenticate(r *http.Request) *apiError {
	h := r.Header.Get("Authorization")
	if h == "" {
		return &apiError{status: http.StatusUnauthorized, message: "No authorization header was provided", legacy: true}
	}
	scheme, enc, _ := strings.Cut(h, " ")
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
	id, secret, ok := strings.Cut(string(raw), ":")
	if !strings.EqualFold(scheme, "Basic") || err != nil || !ok ||
		subtle.ConstantTimeCompare([]byte(id), []byte(s.cfg.ClientID)) != 1 ||
		subtle.ConstantTimeCompare([]byte(secret), []byte(s.cfg.ClientSecret)) != 1 {
		return &apiError{status: http.StatusForbidden, message: "Invalid client id or secret", legacy: true}
	}
	return nil
}

// serve authenticates, applies the rate limits and routes.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	method := r.Method
	if o := r.Header.Get("X-HTTP-Method-Override"); method == http.MethodPost && o != "" {
		method = strings.ToUpper(o)
		if method != http.MethodPatch && method != http.MethodPut {
			writeError(w, errorf(http.StatusBadRequest, "X-HTTP-Method-Override must be PATCH or PUT"))
			return
		}
	}
	switch method {
	case http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
	default:
		writeError(w, errorf(http.StatusNotImplemented, "Method not supported"))
		return
	}
	if e := s.authenticate(r); e != nil {
		writeError(w, e)
		return
	}
	if e := s.limits.take(w.Header(), s.cfg.ClientID, method, time.Now()); e != nil {
		writeError(w, e)
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) < 2 || parts[0] != "v2" {
		writeError(w, errorf(http.StatusNotFound, "Route not found"))
		return
	}
	req := &request{w: w, r: r, method: method, parts: parts[1:]}
	if e := s.route(req); e != nil {
		writeError(w, e)
	}
}

type request struct {
	w      http.ResponseWriter
	r      *http.Request
	method string
	parts  []string // the path after /v2
}

func (s *Server) route(q *request) *apiError {
	p, m := q.parts, q.method
	id := 0
	if len(p) == 2 {
		n, err := strconv.Atoi(p[1])
		if err != nil && !(p[0] == "po" && p[1] == "items") {
			return errorf(http.StatusNotFound, "Route not found")
		}
		id = n
	}
	switch {
	case len(p) == 1 && p[0] == "me" && m == http.MethodGet:
		writeJSON(q.w, http.StatusOK, map[string]any{"customerName": "Millwright Simulated Plant", "customerPlan": "enterprise"})
		return nil
	case len(p) == 1 && m == http.MethodGet:
		return s.list(q, p[0])
	case len(p) == 2 && p[0] == "po" && p[1] == "items" && m == http.MethodGet:
		return s.list(q, "po/items")
	case len(p) == 1 && p[0] == "tasks" && m == http.MethodPost:
		return s.createTask(q)
	case len(p) == 2 && m == http.MethodPatch:
		return s.patch(q, p[0], id)
	case len(p) == 2 && p[0] == "tasks" && m == http.MethodDelete:
		return s.deleteTask(q, id)
	case len(p) == 1 && p[0] == "po" && m == http.MethodPost:
		return s.createPO(q)
	case len(p) == 2 && p[0] == "po" && m == http.MethodDelete:
		return s.deletePO(q, id)
	case len(p) >= 3 && p[0] == "po":
		poID, err := strconv.Atoi(p[1])
		switch {
		case err != nil:
		case len(p) == 3 && p[2] == "items" && m == http.MethodPost:
			return s.createPOItem(q, poID)
		case len(p) == 3 && p[2] == "state" && m == http.MethodPatch:
			return s.setPOState(q, poID)
		case len(p) == 4 && p[2] == "state" && p[3] == "transitions" && m == http.MethodGet:
			return s.poTransitions(q, poID)
		}
	}
	return errorf(http.StatusNotFound, "Route not found")
}

// limiter keeps, per client id and method, the times of the calls of the
// last hour: a call leaves the minute window a minute after it was made and
// the hour window an hour after (Limble's sliding windows).
type limiter struct {
	mu     sync.Mutex
	limits map[string][2]int // method -> per minute, per hour
	calls  map[string][]time.Time
}

func newLimiter(cfg Config) *limiter {
	l := &limiter{calls: map[string][]time.Time{}, limits: map[string][2]int{
		http.MethodGet: {cfg.GetPerMinute, cfg.GetPerHour}, http.MethodPatch: {240, 2000},
		http.MethodPost: {240, 1000}, http.MethodPut: {240, 1000}, http.MethodDelete: {60, 100},
	}}
	if cfg.GetPerHour < 0 || cfg.GetPerMinute < 0 {
		for m, v := range l.limits {
			if m != http.MethodGet || cfg.GetPerHour < 0 {
				v[1] = -1
			}
			if m != http.MethodGet || cfg.GetPerMinute < 0 {
				v[0] = -1
			}
			l.limits[m] = v
		}
	}
	return l
}

// take counts a call and sets the X-RateLimit-* headers; beyond a limit it
// answers 429 with the TTL headers (seconds until a call frees up).
func (l *limiter) take(h http.Header, client, method string, now time.Time) *apiError {
	lim := l.limits[method]
	if lim[0] < 0 && lim[1] < 0 {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	key := client + " " + method
	calls := l.calls[key]
	k := 0
	for k < len(calls) && now.Sub(calls[k]) >= time.Hour {
		k++
	}
	calls = calls[k:]
	m := len(calls)
	for m > 0 && now.Sub(calls[len(calls)-m]) >= time.Minute {
		m--
	}
	// calls[len(calls)-m:] are the calls of the last minute.
	hourFull := lim[1] >= 0 && len(calls) >= lim[1]
	minuteFull := lim[0] >= 0 && m >= lim[0]
	if !hourFull && !minuteFull {
		calls = append(calls, now)
		m++
	}
	l.calls[key] = calls
	set := func(name string, v int64) { h.Set(name, strconv.FormatInt(v, 10)) }
	if lim[1] >= 0 {
		set("X-RateLimit-Limit", int64(lim[1]))
		set("X-RateLimit-Remaining", int64(max(lim[1]-len(calls), 0)))
		if len(calls) > 0 {
			set("X-RateLimit-First-Call", calls[0].Unix())
		}
	}
	if lim[0] >= 0 {
		set("X-RateLimit-Minute-Limit", int64(lim[0]))
		set("X-RateLimit-Minute-Remaining", int64(max(lim[0]-m, 0)))
		if m > 0 {
			set("X-RateLimit-Minute-First-Call", calls[len(calls)-m].Unix())
		}
	}
	if !hourFull && !minuteFull {
		return nil
	}
	ttl := func(first time.Time, window time.Duration) int64 {
		return int64(max((first.Add(window).Sub(now)+time.Second-1)/time.Second, 1))
	}
	if hourFull {
		set("X-RateLimit-TTL", ttl(calls[0], time.Hour))
	}
	if minuteFull {
		set("X-RateLimit-Minute-TTL", ttl(calls[len(calls)-m], time.Minute))
	}
	return errorf(http.StatusTooManyRequests, "Too many requests. Please wait and try again later.")
}
