package netsuite

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Token-based authentication: every request carries an OAuth 1.0a
// (RFC 5849) Authorization header signed with HMAC-SHA256, with the account
// id as realm. NetSuite refuses a nonce it has seen, so the header is made
// for each attempt, in the transport, not once per call (the shared HTTP
// client retries idempotent calls).

// credentials are a connection's token-based authentication.
type credentials struct {
	realm, consumerKey, consumerSecret, token, tokenSecret string
}

type credentialsKey struct{}

// withCredentials makes the transport sign a call's attempts.
func withCredentials(ctx context.Context, c *credentials) context.Context {
	return context.WithValue(ctx, credentialsKey{}, c)
}

// signer is the transport that signs each attempt of a call whose context
// carries credentials.
type signer struct {
	next http.RoundTripper
	// now and nonce are fixed by tests.
	now   func() time.Time
	nonce func() string
}

// RoundTrip signs and sends one attempt.
func (s *signer) RoundTrip(req *http.Request) (*http.Response, error) {
	c, _ := req.Context().Value(credentialsKey{}).(*credentials)
	if c == nil {
		return s.next.RoundTrip(req)
	}
	now, nonce := time.Now, randomNonce
	if s.now != nil {
		now, nonce = s.now, s.nonce
	}
	out := req.Clone(req.Context())
	out.Header.Set("Authorization", authorization(req.Method, req.URL, c, nonce(), now()))
	return s.next.RoundTrip(out)
}

func randomNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// authorization is the OAuth header of a request.
func authorization(method string, u *url.URL, c *credentials, nonce string, now time.Time) string {
	p := map[string]string{
		"oauth_consumer_key": c.consumerKey, "oauth_token": c.token, "oauth_signature_method": "HMAC-SHA256",
		"oauth_timestamp": strconv.FormatInt(now.Unix(), 10), "oauth_nonce": nonce, "oauth_version": "1.0",
	}
	p["oauth_signature"] = signature(baseString(method, u, p), c.consumerSecret, c.tokenSecret)
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(`OAuth realm="` + percentEncode(c.realm) + `"`)
	for _, k := range keys {
		b.WriteString(", " + k + `="` + percentEncode(p[k]) + `"`)
	}
	return b.String()
}

// signature is the base64 HMAC-SHA256 of a base string with the key
// consumer_secret&token_secret.
func signature(base, consumerSecret, tokenSecret string) string {
	mac := hmac.New(sha256.New, []byte(percentEncode(consumerSecret)+"&"+percentEncode(tokenSecret)))
	mac.Write([]byte(base))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// baseString is the RFC 5849 section 3.4.1 signature base string: the
// method, the base URI (lower-case scheme and host, no default port, no
// query) and the sorted, encoded query and OAuth parameters.
func baseString(method string, u *url.URL, oauth map[string]string) string {
	var pairs []string
	for k, vs := range u.Query() {
		for _, v := range vs {
			pairs = append(pairs, percentEncode(k)+"="+percentEncode(v))
		}
	}
	for k, v := range oauth {
		if k != "realm" && k != "oauth_signature" {
			pairs = append(pairs, percentEncode(k)+"="+percentEncode(v))
		}
	}
	sort.Strings(pairs)
	scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	if h, port, ok := strings.Cut(host, ":"); ok && (scheme == "http" && port == "80" || scheme == "https" && port == "443") {
		host = h
	}
	return strings.ToUpper(method) + "&" + percentEncode(scheme+"://"+host+u.EscapedPath()) + "&" + percentEncode(strings.Join(pairs, "&"))
}

// percentEncode is RFC 5849 section 3.6: unreserved characters as they are,
// every other byte %XX in upper case.
func percentEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	unreserved := func(c byte) bool {
		return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
	}
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
