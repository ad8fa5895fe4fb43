package sap

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/platform/apierr"
)

const odataRoot = "/sap/opu/odata/sap/"

func basicAuth(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// errorBody is SAP's OData error, {"error": {"code", "message": {"value"}}},
// or an OAuth token endpoint's {"error", "error_description"}.
type errorBody struct {
	Error json.RawMessage `json:"error"`
	Desc  string          `json:"error_description"`
}

// parseError returns the message (and code) of an error body; a body that
// is not SAP's error gives its text, shortened.
func parseError(body []byte) string {
	var e errorBody
	if json.Unmarshal(body, &e) == nil && len(e.Error) > 0 {
		var inner struct {
			Code    string `json:"code"`
			Message struct {
				Value string `json:"value"`
			} `json:"message"`
		}
		if json.Unmarshal(e.Error, &inner) == nil && inner.Message.Value != "" {
			if inner.Code != "" {
				return inner.Message.Value + " (" + inner.Code + ")"
			}
			return inner.Message.Value
		}
		var code string
		if json.Unmarshal(e.Error, &code) == nil && code != "" {
			if e.Desc != "" {
				return e.Desc + " (" + code + ")"
			}
			return code
		}
	}
	text := strings.TrimSpace(string(body))
	if strings.HasPrefix(text, "<") {
		return ""
	}
	if len(text) > 300 {
		text = text[:300] + "..."
	}
	return text
}

// authorize sets the Authorization header: Basic, or a cached OAuth
// access token.
func (s *session) authorize(ctx context.Context, req *http.Request) error {
	if s.basic != "" {
		req.Header.Set("Authorization", s.basic)
		return nil
	}
	tok, err := s.c.tokens.Get(ctx, s.cacheKey, s.fetchToken)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	return nil
}

// fetchToken gets an access token with the client credentials grant.
func (s *session) fetchToken(ctx context.Context) (string, time.Time, error) {
	target := strings.TrimSpace(s.cfg.Settings["token_url"])
	if target == "" {
		target = s.base.String() + "/sap/bc/sec/oauth2/token"
	}
	form := url.Values{"grant_type": {"client_credentials"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return "", time.Time{}, invalid("connection.settings.token_url", err.Error())
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", basicAuth(s.cfg.Credentials["client_id"], s.cfg.Credentials["client_secret"]))
	resp, data, err := s.c.http.Do(ctx, s.cfg.Connection, req)
	if err != nil {
		return "", time.Time{}, err
	}
	if resp.StatusCode >= 400 {
		return "", time.Time{}, connector.Classify(systemName, resp, parseError(data))
	}
	var t struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if json.Unmarshal(data, &t) != nil || t.AccessToken == "" {
		return "", time.Time{}, apierr.New(apierr.ConnectedSystemError, "%s's token endpoint answered without an access token", systemName).With("system", systemName)
	}
	if t.ExpiresIn <= 0 {
		t.ExpiresIn = 600
	}
	return t.AccessToken, time.Now().Add(time.Duration(t.ExpiresIn) * time.Second), nil
}

// serviceURL is the URL of a path under a service, with a query.
func (s *session) serviceURL(service, path string, q url.Values) string {
	u := *s.base
	u.Path = s.base.Path + odataRoot + service + "/" + path
	if s.client != "" {
		if q == nil {
			q = url.Values{}
		}
		q.Set("sap-client", s.client)
	}
	// OData keeps $ in option names unescaped.
	u.RawQuery = strings.ReplaceAll(q.Encode(), "%24", "$")
	return u.String()
}

// call sends a request and returns the answer; a status of 400 or more is
// an error classified by connector.Classify with SAP's message.
func (s *session) call(ctx context.Context, method, target string, body any, header http.Header) (*http.Response, []byte, error) {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, nil, apierr.New(apierr.Internal, "encode a request to %s: %v", systemName, err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, nil, apierr.New(apierr.Internal, "build a request to %s: %v", systemName, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if err := s.authorize(ctx, req); err != nil {
		return nil, nil, err
	}
	resp, data, err := s.c.http.Do(ctx, s.cfg.Connection, req)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode == http.StatusUnauthorized && s.basic == "" {
		s.c.tokens.Forget(s.cacheKey)
	}
	if resp.StatusCode >= 400 {
		return resp, data, connector.Classify(systemName, resp, parseError(data))
	}
	return resp, data, nil
}

// listAnswer is an OData V2 collection.
type listAnswer struct {
	D struct {
		Results []map[string]any `json:"results"`
		Next    string           `json:"__next"`
		Count   string           `json:"__count"`
	} `json:"d"`
}

// listPage is one page of a collection and SAP's clock at the answer.
type listPage struct {
	records []map[string]any
	next    bool
	date    time.Time
}

// list GETs a collection.
func (s *session) list(ctx context.Context, service, set string, q url.Values) (listPage, error) {
	resp, data, err := s.call(ctx, http.MethodGet, s.serviceURL(service, set, q), nil, nil)
	if err != nil {
		return listPage{}, err
	}
	var a listAnswer
	if err := json.Unmarshal(data, &a); err != nil {
		return listPage{}, apierr.New(apierr.ConnectedSystemError, "%s answered %s with JSON that is not an OData collection: %v", systemName, set, err).With("system", systemName)
	}
	return listPage{records: a.D.Results, next: a.D.Next != "", date: serverTime(resp)}, nil
}

// entity GETs one entity and returns it and its ETag.
func (s *session) entity(ctx context.Context, service, path string, q url.Values) (map[string]any, string, error) {
	resp, data, err := s.call(ctx, http.MethodGet, s.serviceURL(service, path, q), nil, nil)
	if err != nil {
		return nil, "", err
	}
	var a struct {
		D map[string]any `json:"d"`
	}
	if err := json.Unmarshal(data, &a); err != nil || a.D == nil {
		return nil, "", apierr.New(apierr.ConnectedSystemError, "%s answered %s with JSON that is not an OData entity", systemName, path).With("system", systemName)
	}
	etag := resp.Header.Get("ETag")
	if etag == "" {
		etag = metadataETag(a.D)
	}
	return a.D, etag, nil
}

func metadataETag(m map[string]any) string {
	md, _ := m["__metadata"].(map[string]any)
	e, _ := md["etag"].(string)
	return e
}

// serverTime is SAP's clock: the Date of its answer, or this host's.
func serverTime(resp *http.Response) time.Time {
	if t, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		return t.UTC()
	}
	return time.Now().UTC()
}

// csrfState is a write session: the CSRF token and the session cookies it
// is bound to.
type csrfState struct {
	Token   string `json:"t"`
	Cookies string `json:"c"`
}

// fetchCSRF gets a CSRF token and session cookies (GET with X-CSRF-Token:
// Fetch on a service document).
func (s *session) fetchCSRF(service string) func(context.Context) (string, time.Time, error) {
	return func(ctx context.Context) (string, time.Time, error) {
		h := http.Header{"X-Csrf-Token": {"Fetch"}}
		resp, _, err := s.call(ctx, http.MethodGet, s.serviceURL(service, "", nil), nil, h)
		if err != nil {
			return "", time.Time{}, err
		}
		st := csrfState{Token: resp.Header.Get("X-CSRF-Token")}
		if st.Token == "" || strings.EqualFold(st.Token, "Required") {
			return "", time.Time{}, apierr.New(apierr.ConnectedSystemError, "%s gave no CSRF token", systemName).With("system", systemName)
		}
		var cookies []string
		for _, c := range resp.Cookies() {
			cookies = append(cookies, c.Name+"="+c.Value)
		}
		st.Cookies = strings.Join(cookies, "; ")
		raw, _ := json.Marshal(st)
		return string(raw), time.Now().Add(20 * time.Minute), nil
	}
}

// write sends a modifying request with a CSRF token and its session
// cookies; on 403 with X-CSRF-Token: Required (the session ended) it
// fetches a new token and sends the request once more.
func (s *session) write(ctx context.Context, method, service, path string, q url.Values, body any, header http.Header) (*http.Response, []byte, error) {
	for attempt := 0; ; attempt++ {
		raw, err := s.c.csrf.Get(ctx, s.cacheKey, s.fetchCSRF(service))
		if err != nil {
			return nil, nil, err
		}
		var st csrfState
		_ = json.Unmarshal([]byte(raw), &st)
		h := http.Header{"X-Csrf-Token": {st.Token}}
		if st.Cookies != "" {
			h.Set("Cookie", st.Cookies)
		}
		for k, v := range header {
			h[k] = v
		}
		resp, data, err := s.call(ctx, method, s.serviceURL(service, path, q), body, h)
		if resp != nil && resp.StatusCode == http.StatusForbidden && strings.EqualFold(resp.Header.Get("X-CSRF-Token"), "Required") {
			s.c.csrf.Forget(s.cacheKey)
			if attempt == 0 {
				continue
			}
		}
		return resp, data, err
	}
}
