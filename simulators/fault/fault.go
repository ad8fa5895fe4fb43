// Package fault injects faults into a simulator at run time.
//
// An Injector wraps a simulator's http.Handler. Its state decides how the
// next requests are answered:
//
//	none            requests are served normally
//	down            the connection is closed without an answer
//	slow            the answer is delayed by Delay (default 2s)
//	error5xx        the request is refused with Status (500 by default, or 503, ...)
//	ratelimit       the request is refused with 429 and "Retry-After: RetryAfter"
//	badcredentials  the request is refused as unauthenticated (401)
//
// Latency is added to every request whatever the mode. Count, when positive,
// limits the mode to that many requests, after which the mode returns to none.
// (An HTTP client may resend an idempotent request whose reused connection
// was dropped, so down with a count of 1 can go unnoticed.)
// Refusals are written by the simulator (Options.WriteError), so clients see
// the simulated system's own error bodies.
//
// The state is read and set over HTTP under /_sim/, which faults never affect:
//
//	GET    /_sim/faults  current State as JSON
//	PUT    /_sim/faults  replace the State with the JSON body; answers the new State
//	DELETE /_sim/faults  back to the zero State (no fault, no latency)
//	GET    /_sim/stats   request counters (Stats)
//	DELETE /_sim/stats   reset the counters
//
// A State in JSON; durations are Go duration strings, and fields a mode does
// not use are dropped:
//
//	{"mode": "slow", "delay": "2s", "latency": "5ms", "count": 10}
//	{"mode": "error5xx", "status": 503}
//	{"mode": "ratelimit", "retry_after": 30}
//
// Stats in JSON:
//
//	{"total": 12, "faulted": 2, "by_route": {"/maximo/api/os/mxapiwo": 12}, "by_method": {"GET": 12}}
package fault

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Mode names a fault.
type Mode string

// The fault modes.
const (
	None           Mode = "none"
	Down           Mode = "down"
	Slow           Mode = "slow"
	Error5xx       Mode = "error5xx"
	RateLimit      Mode = "ratelimit"
	BadCredentials Mode = "badcredentials"
)

const (
	defaultDelay      = 2 * time.Second
	defaultStatus     = http.StatusInternalServerError
	defaultRetryAfter = 1
)

// State is the fault configuration, as shown and set on /_sim/faults.
type State struct {
	Mode       Mode     `json:"mode"`
	Delay      Duration `json:"delay,omitempty"`
	Status     int      `json:"status,omitempty"`
	RetryAfter int      `json:"retry_after,omitempty"`
	Latency    Duration `json:"latency,omitempty"`
	Count      int      `json:"count,omitempty"`
}

// normalize validates s and fills the defaults of its mode.
func (s State) normalize() (State, error) {
	if s.Mode == "" {
		s.Mode = None
	}
	if s.Delay < 0 || s.Latency < 0 || s.Count < 0 || s.RetryAfter < 0 {
		return s, errors.New("delay, latency, count and retry_after must not be negative")
	}
	switch s.Mode {
	case None, Down, BadCredentials:
	case Slow:
		if s.Delay == 0 {
			s.Delay = Duration(defaultDelay)
		}
	case Error5xx:
		if s.Status == 0 {
			s.Status = defaultStatus
		}
		if s.Status < 500 || s.Status > 599 {
			return s, fmt.Errorf("status %d is not a 5xx status", s.Status)
		}
	case RateLimit:
		if s.RetryAfter == 0 {
			s.RetryAfter = defaultRetryAfter
		}
	default:
		return s, fmt.Errorf("unknown mode %q (want none, down, slow, error5xx, ratelimit or badcredentials)", s.Mode)
	}
	if s.Mode != Slow {
		s.Delay = 0
	}
	if s.Mode != Error5xx {
		s.Status = 0
	}
	if s.Mode != RateLimit {
		s.RetryAfter = 0
	}
	if s.Mode == None {
		s.Count = 0
	}
	return s, nil
}

// Duration is a time.Duration written in JSON as a Go duration string ("2s", "150ms").
type Duration time.Duration

// MarshalJSON writes d as a duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a duration string such as "2s".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string such as \"2s\": %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Options configures an Injector.
type Options struct {
	// WriteError answers a refused request (401, 429, 5xx) with the simulated
	// system's own error body. Nil answers with a plain-text status line.
	WriteError func(w http.ResponseWriter, r *http.Request, status int)
	// Route names the stats counter a request is counted under.
	// Nil counts by the first two segments of the path.
	Route func(r *http.Request) string
	// Latency is the initial latency added to every request.
	Latency time.Duration
}

// Injector holds the fault state of one simulator. It is safe for concurrent use.
type Injector struct {
	writeError func(w http.ResponseWriter, r *http.Request, status int)
	route      func(r *http.Request) string

	mu    sync.Mutex
	state State
	stats Stats
}

// New returns an Injector with no fault and the initial latency of opts.
func New(opts Options) *Injector {
	i := &Injector{writeError: opts.WriteError, route: opts.Route}
	if i.writeError == nil {
		i.writeError = func(w http.ResponseWriter, _ *http.Request, status int) {
			http.Error(w, http.StatusText(status), status)
		}
	}
	if i.route == nil {
		i.route = firstSegments
	}
	i.state = State{Mode: None, Latency: Duration(max(opts.Latency, 0))}
	i.stats = newStats()
	return i
}

// State returns the current fault state.
func (i *Injector) State() State {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.state
}

// Set replaces the fault state, after validating it.
func (i *Injector) Set(s State) (State, error) {
	s, err := s.normalize()
	if err != nil {
		return State{}, err
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.state = s
	return s, nil
}

// Clear removes any fault and latency.
func (i *Injector) Clear() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.state = State{Mode: None}
}

// take returns the state that applies to one request and consumes one unit of Count.
func (i *Injector) take(route, method string) State {
	i.mu.Lock()
	defer i.mu.Unlock()
	s := i.state
	if s.Mode != None && s.Count > 0 {
		i.state.Count--
		if i.state.Count == 0 {
			i.state = State{Mode: None, Latency: s.Latency}
		}
	}
	i.stats.add(route, method, s.Mode != None)
	return s
}

func firstSegments(r *http.Request) string {
	parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 3)
	if len(parts) > 2 {
		parts = parts[:2]
	}
	return "/" + strings.Join(parts, "/")
}
