package fault

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// adminPrefix is the path prefix of the admin endpoints; faults never apply under it.
const adminPrefix = "/_sim/"

// Wrap returns a handler that serves the admin endpoints and applies the
// fault state to every other request before handing it to next. Paths under
// adminPrefix other than faults and stats go to next, untouched by faults.
func (i *Injector) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == adminPrefix+"faults":
			i.serveFaults(w, r)
		case r.URL.Path == adminPrefix+"stats":
			i.serveStats(w, r)
		case strings.HasPrefix(r.URL.Path, adminPrefix):
			next.ServeHTTP(w, r)
		default:
			i.serve(next, w, r)
		}
	})
}

func (i *Injector) serve(next http.Handler, w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	defer func() { i.addBusy(time.Since(start)) }()
	s := i.take(i.route(r), r.Method)
	if !sleep(r, time.Duration(s.Latency)) {
		return
	}
	switch s.Mode {
	case Down:
		drop(w)
	case Slow:
		if sleep(r, time.Duration(s.Delay)) {
			next.ServeHTTP(w, r)
		}
	case Error5xx:
		i.writeError(w, r, s.Status)
	case RateLimit:
		w.Header().Set("Retry-After", strconv.Itoa(s.RetryAfter))
		i.writeError(w, r, http.StatusTooManyRequests)
	case BadCredentials:
		i.writeError(w, r, http.StatusUnauthorized)
	default:
		next.ServeHTTP(w, r)
	}
}

// sleep waits for d, or until the client gives up; it reports whether to go on.
func sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// drop closes the client connection without writing a response.
func drop(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		conn.Close()
		return
	}
	panic(http.ErrAbortHandler)
}

func (i *Injector) serveFaults(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, i.State())
	case http.MethodPut:
		var s State
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil {
			writeJSON(w, http.StatusBadRequest, adminError{err.Error()})
			return
		}
		s, err := i.Set(s)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, adminError{err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, s)
	case http.MethodDelete:
		i.Clear()
		writeJSON(w, http.StatusOK, i.State())
	default:
		methodNotAllowed(w, "GET, PUT, DELETE")
	}
}

func (i *Injector) serveStats(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, i.Stats())
	case http.MethodDelete:
		i.ResetStats()
		writeJSON(w, http.StatusOK, i.Stats())
	default:
		methodNotAllowed(w, "GET, DELETE")
	}
}

type adminError struct {
	Error string `json:"error"`
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	writeJSON(w, http.StatusMethodNotAllowed, adminError{"method not allowed"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
