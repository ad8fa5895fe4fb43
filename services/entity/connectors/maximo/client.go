package maximo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/platform/apierr"
)

// Reason codes the connector acts on.
const (
	codeDuplicateTxn = "BMXAA9524E" // 409: the transactionid was already used
)

func maxauth(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}

// reply is Maximo's answer to a call.
type reply struct {
	status int
	header http.Header
	body   []byte
	// code is the reason code of an error body (BMXAA...).
	code string
}

// errorBody is Maximo's error: {"Error":{"reasonCode","message","statusCode"}}.
type errorBody struct {
	Error struct {
		ReasonCode string `json:"reasonCode"`
		Message    string `json:"message"`
		StatusCode string `json:"statusCode"`
	} `json:"Error"`
}

// parseError returns the reason code and the message of an error body; the
// message keeps its BMXAA code. A body that is not Maximo's error gives its
// text, shortened.
func parseError(body []byte) (code, message string) {
	var e errorBody
	if json.Unmarshal(body, &e) == nil && (e.Error.Message != "" || e.Error.ReasonCode != "") {
		msg := strings.TrimSpace(e.Error.Message)
		if e.Error.ReasonCode != "" && !strings.Contains(msg, e.Error.ReasonCode) {
			msg = e.Error.ReasonCode + " - " + msg
		}
		return e.Error.ReasonCode, msg
	}
	text := strings.TrimSpace(string(body))
	if len(text) > 300 {
		text = text[:300] + "..."
	}
	if strings.HasPrefix(text, "<") { // an HTML error page says nothing useful
		text = ""
	}
	return "", text
}

// call sends a request with the connection's authentication and returns the
// answer. A status of 400 or more is returned as the reply and as an error
// classified by connector.Classify, carrying Maximo's message and code;
// transport failures are CONNECTED_SYSTEM_UNAVAILABLE.
func (s *session) call(ctx context.Context, method string, u *url.URL, body []byte, headers map[string]string) (*reply, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, apierr.New(apierr.Internal, "build a request to %s: %v", systemName, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	req.Header.Set(s.authName, s.authValue)
	resp, data, err := s.c.http.Do(ctx, s.cfg.Connection, req)
	if err != nil {
		return nil, err
	}
	r := &reply{status: resp.StatusCode, header: resp.Header, body: data}
	if resp.StatusCode < 400 {
		return r, nil
	}
	code, msg := parseError(data)
	r.code = code
	err = connector.Classify(systemName, resp, msg)
	var ae *apierr.Error
	if code != "" && errors.As(err, &ae) {
		ae.With("reason_code", code)
	}
	return r, err
}

// decodeJSON decodes a JSON answer into v, numbers as json.Number.
func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return apierr.New(apierr.ConnectedSystemError, "%s answered with JSON that cannot be read: %v", systemName, err).With("system", systemName)
	}
	return nil
}

// apiURL returns the URL of a path under the server root, with a query.
func (s *session) apiURL(path string, q url.Values) *url.URL {
	u := *s.base
	u.Path = s.base.Path + path
	u.RawQuery = q.Encode()
	return &u
}

// osPath is the path of an object structure's collection.
func osPath(os string) string { return "/maximo/api/os/" + os }

// local turns a URL Maximo gave (a member's href, a next page) into one on
// the connection's base URL: Maximo often names itself by an internal host
// name behind a proxy, so only the path and query are kept. want is the
// path prefix the URL must have below the base path.
func (s *session) local(ref, want string) (*url.URL, error) {
	u, err := url.Parse(ref)
	if err != nil {
		return nil, err
	}
	return s.under(u.EscapedPath(), u.RawQuery, want)
}

// under returns the URL of a path and query on the base URL, refusing one
// that leaves the base path plus want (after resolving dot segments) or the
// base's host.
func (s *session) under(path, rawQuery, want string) (*url.URL, error) {
	ref := &url.URL{Path: path, RawQuery: rawQuery}
	if p, err := url.PathUnescape(path); err == nil {
		ref.Path, ref.RawPath = p, path
	}
	u := s.base.ResolveReference(ref)
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." { // escaped dot segments a server may resolve
			return nil, errors.New("the URL has dot segments")
		}
	}
	prefix := s.base.Path + want
	if !strings.HasPrefix(strings.ToLower(u.Path), strings.ToLower(prefix)) {
		return nil, errors.New("the URL is not under " + prefix)
	}
	if u.Host != s.base.Host || u.Scheme != s.base.Scheme {
		return nil, errors.New("the URL leaves the system's host")
	}
	return u, nil
}

// userInfo is what the connector reads of /maximo/api/whoami.
type userInfo struct {
	BaseCurrency string `json:"baseCurrency"`
	InsertSite   string `json:"insertSite"`
	DefSite      string `json:"defsite"`
}

// whoami returns the credentials' user defaults, cached for an hour per
// connection and credentials when cached is set (Check always asks).
func (s *session) whoami(ctx context.Context, cached bool) (userInfo, error) {
	fetch := func(ctx context.Context) (string, time.Time, error) {
		r, err := s.call(ctx, http.MethodGet, s.apiURL("/maximo/api/whoami", url.Values{"lean": {"1"}}), nil, nil)
		if err != nil {
			return "", time.Time{}, err
		}
		var info userInfo
		if err := decodeJSON(r.body, &info); err != nil {
			return "", time.Time{}, err
		}
		raw, _ := json.Marshal(info)
		return string(raw), time.Now().Add(time.Hour), nil
	}
	var raw string
	var err error
	if cached {
		key := sha256.Sum256([]byte(s.cfg.Connection + "\x00" + s.base.String() + "\x00" + s.authValue))
		raw, err = s.c.whoami.Get(ctx, hex.EncodeToString(key[:]), fetch)
	} else {
		raw, _, err = fetch(ctx)
	}
	if err != nil {
		return userInfo{}, err
	}
	var info userInfo
	_ = json.Unmarshal([]byte(raw), &info)
	return info, nil
}
