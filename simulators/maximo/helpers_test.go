package maximo_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/millwright-dev/millwright/simulators/maximo"
)

var epoch = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// clock is a settable time source for Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *clock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// testConfig is a small plant with a fixed epoch and a clock an hour after it.
func testConfig() (maximo.Config, *clock) {
	clk := &clock{t: epoch.Add(time.Hour)}
	cfg := maximo.DefaultConfig()
	cfg.Seed = 7
	cfg.Epoch = epoch
	cfg.Now = clk.Now
	return cfg, clk
}

type client struct {
	tb      testing.TB
	url     string
	hc      *http.Client
	headers map[string]string
}

func start(tb testing.TB, cfg maximo.Config) (*maximo.Server, *client) {
	tb.Helper()
	s := maximo.New(cfg)
	srv := httptest.NewServer(s)
	tb.Cleanup(srv.Close)
	return s, &client{tb: tb, url: srv.URL, hc: srv.Client(), headers: map[string]string{"apikey": s.Config().APIKey}}
}

// with returns a client sending other headers instead of the API key.
func (c *client) with(headers map[string]string) *client {
	return &client{tb: c.tb, url: c.url, hc: c.hc, headers: headers}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request to a path or an absolute URL; extra headers are name, value pairs.
func (c *client) do(method, target string, body any, headers ...string) response {
	c.tb.Helper()
	resp, err := c.try(method, target, body, headers...)
	if err != nil {
		c.tb.Fatalf("%s %s: %v", method, target, err)
	}
	return resp
}

func (c *client) try(method, target string, body any, headers ...string) (response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			return response{}, err
		}
		rd = bytes.NewReader(raw)
	}
	if !strings.HasPrefix(target, "http") {
		target = c.url + target
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		return response{}, err
	}
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: raw}, err
}

func (r response) decode(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		tb.Fatalf("decoding %s: %v", r.body, err)
	}
}

type maximoError struct {
	Error struct {
		ReasonCode string `json:"reasonCode"`
		Message    string `json:"message"`
		StatusCode string `json:"statusCode"`
	} `json:"Error"`
}

// expectError checks a Maximo error answer: its status, reason code and,
// when given, a part of its message.
func (r response) expectError(tb testing.TB, status int, code, msgPart string) {
	tb.Helper()
	if r.status != status {
		tb.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	var e maximoError
	r.decode(tb, &e)
	if e.Error.ReasonCode != code || e.Error.StatusCode != fmt.Sprint(status) || !strings.HasPrefix(e.Error.Message, code+" - ") {
		tb.Fatalf("error %s, want reason %s and status %d", r.body, code, status)
	}
	if !strings.Contains(e.Error.Message, msgPart) {
		tb.Fatalf("message %q does not contain %q", e.Error.Message, msgPart)
	}
}

type page struct {
	Member       []map[string]any `json:"member"`
	ResponseInfo struct {
		NextPage     *struct{ Href string } `json:"nextPage"`
		PreviousPage *struct{ Href string } `json:"previousPage"`
		TotalCount   *int                   `json:"totalCount"`
		TotalPages   *int                   `json:"totalPages"`
		PageNum      int                    `json:"pagenum"`
	} `json:"responseInfo"`
}

func (c *client) page(target string) page {
	c.tb.Helper()
	r := c.do(http.MethodGet, target, nil)
	if r.status != http.StatusOK {
		c.tb.Fatalf("GET %s: %d %s", target, r.status, r.body)
	}
	var p page
	r.decode(c.tb, &p)
	return p
}

// listAll follows nextPage from the query and returns every member and the pages read.
func (c *client) listAll(target string) ([]map[string]any, []page) {
	c.tb.Helper()
	var all []map[string]any
	var pages []page
	for target != "" {
		p := c.page(target)
		all = append(all, p.Member...)
		pages = append(pages, p)
		target = ""
		if p.ResponseInfo.NextPage != nil {
			target = p.ResponseInfo.NextPage.Href
		}
	}
	return all, pages
}

// first returns the first member matching a where clause.
func (c *client) first(os, where, sel string) map[string]any {
	c.tb.Helper()
	p := c.page(query("/maximo/api/os/"+os, "oslc.where", where, "oslc.select", sel, "oslc.pageSize", "1"))
	if len(p.Member) == 0 {
		c.tb.Fatalf("no %s where %s", os, where)
	}
	return p.Member[0]
}

// count returns the totalCount of a where clause.
func (c *client) count(os, where string) int {
	c.tb.Helper()
	p := c.page(query("/maximo/api/os/"+os, "oslc.where", where, "collectioncount", "1", "oslc.pageSize", "1"))
	return *p.ResponseInfo.TotalCount
}

// query builds a URL with lean=1 and name, value pairs.
func query(path string, kv ...string) string {
	v := url.Values{"lean": {"1"}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return path + "?" + v.Encode()
}

func maxauth(user, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
}

func isoDate(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05") }

// patch updates a member with x-method-override: PATCH.
func (c *client) patch(href string, body any, headers ...string) response {
	c.tb.Helper()
	return c.do(http.MethodPost, href, body, append([]string{"x-method-override", "PATCH"}, headers...)...)
}

// create posts a record with properties: * and returns it.
func (c *client) create(os string, body any, headers ...string) map[string]any {
	c.tb.Helper()
	r := c.do(http.MethodPost, "/maximo/api/os/"+os+"?lean=1", body, append([]string{"properties", "*"}, headers...)...)
	if r.status != http.StatusCreated {
		c.tb.Fatalf("create %s: %d %s", os, r.status, r.body)
	}
	var m map[string]any
	r.decode(c.tb, &m)
	return m
}

func (c *client) get(href string) map[string]any {
	c.tb.Helper()
	r := c.do(http.MethodGet, href, nil)
	if r.status != http.StatusOK {
		c.tb.Fatalf("GET %s: %d %s", href, r.status, r.body)
	}
	var m map[string]any
	r.decode(c.tb, &m)
	return m
}
