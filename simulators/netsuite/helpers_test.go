package netsuite

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/millwright-dev/millwright/simulators/fault"
)

// client signs requests to a simulator as a NetSuite integration does.
type client struct {
	t   testing.TB
	srv *httptest.Server
	sim *Server
	cfg Config // the credentials it signs with
}

func newClient(t testing.TB, cfg Config) *client {
	t.Helper()
	sim := New(cfg)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return &client{t: t, srv: srv, sim: sim, cfg: sim.Config()}
}

func nonce() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// sign sets the OAuth 1.0a Authorization header of req.
func sign(req *http.Request, c Config, nonce string, ts time.Time) {
	p := map[string]string{
		"oauth_consumer_key": c.ConsumerKey, "oauth_token": c.TokenID, "oauth_signature_method": "HMAC-SHA256",
		"oauth_timestamp": strconv.FormatInt(ts.Unix(), 10), "oauth_nonce": nonce, "oauth_version": "1.0",
	}
	mac := hmac.New(sha256.New, []byte(percentEncode(c.ConsumerSecret)+"&"+percentEncode(c.TokenSecret)))
	mac.Write([]byte(baseString(req, p)))
	p["oauth_signature"] = base64.StdEncoding.EncodeToString(mac.Sum(nil))
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := []string{`realm="` + c.AccountID + `"`}
	for _, k := range keys {
		parts = append(parts, k+`="`+percentEncode(p[k])+`"`)
	}
	req.Header.Set("Authorization", "OAuth "+strings.Join(parts, ", "))
}

// request builds a request to the record API (path after /record/v1).
func (c *client) request(method, path string, body any) *http.Request {
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	req, err := http.NewRequest(method, c.srv.URL+recordPrefix+strings.TrimPrefix(path, "/"), bytes.NewReader(raw))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Host = req.URL.Host
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// send signs and sends a request, returning the answer and its body.
func (c *client) send(req *http.Request) (*http.Response, []byte) {
	c.t.Helper()
	sign(req, c.cfg, nonce(), time.Now())
	return c.raw(req)
}

func (c *client) raw(req *http.Request) (*http.Response, []byte) {
	c.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, data
}

// do sends a signed request and checks its status.
func (c *client) do(method, path string, body any, want int) (*http.Response, map[string]any) {
	c.t.Helper()
	resp, data := c.send(c.request(method, path, body))
	if resp.StatusCode != want {
		c.t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, data, want)
	}
	var m map[string]any
	if len(data) > 0 {
		if err := json.Unmarshal(data, &m); err != nil {
			c.t.Fatalf("%s %s: %v in %s", method, path, err, data)
		}
	}
	return resp, m
}

// errorCode is the first o:errorCode of an error body.
func errorCode(m map[string]any) string {
	d, _ := m["o:errorDetails"].([]any)
	if len(d) == 0 {
		return ""
	}
	code, _ := d[0].(map[string]any)["o:errorCode"].(string)
	return code
}

func faultState(mode string) fault.State {
	s := fault.State{Mode: fault.Mode(mode)}
	if mode == "error5xx" {
		s.Status = 500
	}
	return s
}
