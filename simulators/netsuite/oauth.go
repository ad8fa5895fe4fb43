package netsuite

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Token-based authentication: OAuth 1.0a (RFC 5849) with HMAC-SHA256, the
// account id as realm. The signature is verified over the RFC 5849 base
// string; the timestamp must be within five minutes of the server's clock
// and a nonce may be used once.

const (
	clockSkew   = 5 * time.Minute
	nonceMemory = 2 * clockSkew
)

// nonces remembers the nonces of the last nonceMemory.
type nonces struct {
	mu     sync.Mutex
	seen   map[string]time.Time
	pruned time.Time
}

// use reports whether a nonce is fresh, and remembers it.
func (n *nonces) use(key string, now time.Time) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.seen == nil {
		n.seen = map[string]time.Time{}
	}
	if now.Sub(n.pruned) > time.Minute {
		for k, t := range n.seen {
			if now.Sub(t) > nonceMemory {
				delete(n.seen, k)
			}
		}
		n.pruned = now
	}
	if _, ok := n.seen[key]; ok {
		return false
	}
	n.seen[key] = now
	return true
}

// percentEncode is RFC 5849's encoding (RFC 3986 unreserved characters
// kept, everything else %XX in upper case).
func percentEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		if c := s[i]; unreserved(c) {
			b = append(b, c)
		} else {
			b = append(b, '%', hexDigits[c>>4], hexDigits[c&15])
		}
	}
	return string(b)
}

func unreserved(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

// parseOAuthHeader reads `OAuth k="v", ...` into its decoded parameters.
func parseOAuthHeader(h string) (map[string]string, bool) {
	scheme, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	if !strings.EqualFold(scheme, "OAuth") {
		return nil, false
	}
	out := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, false
		}
		v = strings.Trim(v, `"`)
		dv, err := url.PathUnescape(v)
		if err != nil {
			return nil, false
		}
		out[k] = dv
	}
	return out, true
}

// baseString is the RFC 5849 signature base string of a request with its
// OAuth parameters (realm and signature excluded).
func baseString(r *http.Request, oauth map[string]string) string {
	var pairs []string
	for k, vs := range r.URL.Query() {
		for _, v := range vs {
			pairs = append(pairs, percentEncode(k)+"="+percentEncode(v))
		}
	}
	for k, v := range oauth {
		if k == "realm" || k == "oauth_signature" {
			continue
		}
		pairs = append(pairs, percentEncode(k)+"="+percentEncode(v))
	}
	sort.Strings(pairs)
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := strings.ToLower(r.Host)
	if h, port, ok := strings.Cut(host, ":"); ok && (scheme == "http" && port == "80" || scheme == "https" && port == "443") {
		host = h
	}
	uri := scheme + "://" + host + r.URL.EscapedPath()
	return strings.ToUpper(r.Method) + "&" + percentEncode(uri) + "&" + percentEncode(strings.Join(pairs, "&"))
}

// authenticate verifies the request's OAuth 1.0a signature.
func (s *Server) authenticate(r *http.Request, now time.Time) *apiError {
	fail := errorf(http.StatusUnauthorized, "INVALID_LOGIN", invalidLogin)
	p, ok := parseOAuthHeader(r.Header.Get("Authorization"))
	if !ok {
		return fail
	}
	c := s.cfg
	if p["realm"] != c.AccountID || p["oauth_consumer_key"] != c.ConsumerKey || p["oauth_token"] != c.TokenID ||
		p["oauth_signature_method"] != "HMAC-SHA256" || (p["oauth_version"] != "" && p["oauth_version"] != "1.0") || p["oauth_nonce"] == "" {
		return fail
	}
	ts, err := strconv.ParseInt(p["oauth_timestamp"], 10, 64)
	if err != nil || now.Sub(time.Unix(ts, 0)).Abs() > clockSkew {
		return fail
	}
	mac := hmac.New(sha256.New, []byte(percentEncode(c.ConsumerSecret)+"&"+percentEncode(c.TokenSecret)))
	mac.Write([]byte(baseString(r, p)))
	got, err := base64.StdEncoding.DecodeString(p["oauth_signature"])
	if err != nil || !hmac.Equal(got, mac.Sum(nil)) {
		return fail
	}
	if !s.nonces.use(p["oauth_token"]+"\x00"+p["oauth_nonce"], now) {
		return fail
	}
	return nil
}
