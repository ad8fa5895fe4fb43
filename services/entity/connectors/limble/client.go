package limble

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/platform/apierr"
)

func basicAuth(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

// errorBody is either of Limble's error bodies: {"message"} from its error
// handler, {"error", "success", "msg"} from its auth middleware, or
// {"error": {"status", "message"}} for a parameter beyond its maximum.
type errorBody struct {
	Message string          `json:"message"`
	Msg     string          `json:"msg"`
	Error   json.RawMessage `json:"error"`
}

// parseError returns the message of an error body; a body that is not
// Limble's error gives its text, shortened.
func parseError(body []byte) string {
	var e errorBody
	if json.Unmarshal(body, &e) == nil {
		switch {
		case e.Message != "":
			return e.Message
		case e.Msg != "":
			return e.Msg
		case len(e.Error) > 0 && e.Error[0] == '{':
			var inner struct {
				Message string `json:"message"`
			}
			if json.Unmarshal(e.Error, &inner) == nil && inner.Message != "" {
				return inner.Message
			}
		case len(e.Error) > 0 && e.Error[0] == '"':
			var s string
			if json.Unmarshal(e.Error, &s) == nil && s != "" {
				return s
			}
		}
	}
	text := strings.TrimSpace(string(body))
	if len(text) > 300 {
		text = text[:300] + "..."
	}
	if strings.HasPrefix(text, "<") {
		text = ""
	}
	return text
}

// call sends a request with the connection's authentication. A status of 400
// or more is an error classified by connector.Classify with Limble's
// message; transport failures are CONNECTED_SYSTEM_UNAVAILABLE.
func (s *session) call(ctx context.Context, method, path string, q url.Values, body any) (*http.Response, []byte, error) {
	u := *s.base
	u.Path = s.base.Path + path
	u.RawQuery = q.Encode()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, nil, apierr.New(apierr.Internal, "encode a request to %s: %v", systemName, err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, nil, apierr.New(apierr.Internal, "build a request to %s: %v", systemName, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", s.auth)
	key := s.cfg.Connection + "\x00" + s.auth
	if method == http.MethodGet {
		if err := s.c.gates.wait(ctx, key); err != nil {
			return nil, nil, err
		}
	}
	resp, data, err := s.c.http.Do(ctx, s.cfg.Connection, req)
	if err != nil {
		return nil, nil, err
	}
	if method == http.MethodGet {
		s.c.gates.observe(key, resp.Header, time.Now())
	}
	if resp.StatusCode < 400 {
		return resp, data, nil
	}
	if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "" {
		if ttl := ttlOf(resp.Header); ttl > 0 {
			resp.Header.Set("Retry-After", strconv.Itoa(ttl))
		}
	}
	return resp, data, connector.Classify(systemName, resp, parseError(data))
}

// get GETs a path and returns its body.
func (s *session) get(ctx context.Context, path string, q url.Values) ([]byte, error) {
	_, data, err := s.call(ctx, http.MethodGet, path, q, nil)
	return data, err
}

// getList GETs a listing and decodes its array.
func (s *session) getList(ctx context.Context, path string, q url.Values) ([]*rec, *http.Response, error) {
	resp, data, err := s.call(ctx, http.MethodGet, path, q, nil)
	if err != nil {
		return nil, nil, err
	}
	out, err := decodeList(data)
	if err != nil {
		return nil, nil, apierr.New(apierr.ConnectedSystemError, "%s answered %s with JSON that is not a list of records: %v", systemName, path, err).With("system", systemName)
	}
	return out, resp, nil
}

// decodeList decodes a JSON array of objects straight into Structs.
func decodeList(data []byte) ([]*rec, error) {
	v, err := parseJSON(data)
	if err != nil {
		return nil, err
	}
	l := v.GetListValue()
	if l == nil {
		return nil, errors.New("not a list")
	}
	out := make([]*rec, len(l.GetValues()))
	for i, v := range l.GetValues() {
		s := v.GetStructValue()
		if s == nil {
			return nil, errors.New("an element is not an object")
		}
		out[i] = (*rec)(s)
	}
	return out, nil
}

// ttlOf reads the seconds until a call frees up from a 429's
// X-RateLimit-Minute-TTL or X-RateLimit-TTL; 0 when absent.
func ttlOf(h http.Header) int {
	for _, name := range []string{"X-RateLimit-Minute-TTL", "X-RateLimit-TTL"} {
		if v, err := strconv.Atoi(strings.TrimSpace(h.Get(name))); err == nil && v > 0 {
			return v
		}
	}
	return 0
}

// gates hold back a connection's GETs when Limble's X-RateLimit-* headers
// say a window is used up: until the minute window frees a call (waiting at
// most a minute), or, for the hour window, by failing fast with
// CONNECTED_SYSTEM_RATE_LIMITED and the time it frees up.
type gates struct {
	mu sync.Mutex
	m  map[string]gate
}

type gate struct {
	minute, hour time.Time // blocked until
}

func headerInt(h http.Header, name string) (int64, bool) {
	v, err := strconv.ParseInt(strings.TrimSpace(h.Get(name)), 10, 64)
	return v, err == nil
}

// observe reads the headers of an answer.
func (g *gates) observe(key string, h http.Header, now time.Time) {
	var st gate
	if rem, ok := headerInt(h, "X-RateLimit-Minute-Remaining"); ok && rem <= 0 {
		st.minute = now.Add(time.Minute)
		if first, ok := headerInt(h, "X-RateLimit-Minute-First-Call"); ok {
			st.minute = time.Unix(first, 0).Add(time.Minute + time.Second)
		}
		if ttl, ok := headerInt(h, "X-RateLimit-Minute-TTL"); ok {
			st.minute = now.Add(time.Duration(ttl) * time.Second)
		}
	}
	if rem, ok := headerInt(h, "X-RateLimit-Remaining"); ok && rem <= 0 {
		st.hour = now.Add(time.Hour)
		if first, ok := headerInt(h, "X-RateLimit-First-Call"); ok {
			st.hour = time.Unix(first, 0).Add(time.Hour + time.Second)
		}
		if ttl, ok := headerInt(h, "X-RateLimit-TTL"); ok {
			st.hour = now.Add(time.Duration(ttl) * time.Second)
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.m == nil {
		g.m = map[string]gate{}
	}
	if st == (gate{}) {
		delete(g.m, key)
		return
	}
	g.m[key] = st
}

// wait holds a GET back while a window is used up.
func (g *gates) wait(ctx context.Context, key string) error {
	g.mu.Lock()
	st := g.m[key]
	g.mu.Unlock()
	now := time.Now()
	if d := st.hour.Sub(now); d > 0 {
		return apierr.New(apierr.ConnectedSystemRateLimited, "%s: the hourly API call limit of this key is used up", systemName).
			With("system", systemName).WithRetryAfter(d.Round(time.Second))
	}
	if d := st.minute.Sub(now); d > 0 {
		t := time.NewTimer(min(d, time.Minute))
		defer t.Stop()
		select {
		case <-ctx.Done():
			return connector.Unreachable(systemName, ctx.Err())
		case <-t.C:
		}
	}
	return nil
}
