// Package webhooksig signs and verifies Millwright's webhook deliveries.
//
// Every delivery carries the header
//
//	Millwright-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>
//
// where the HMAC is keyed with the endpoint's whole signing secret (the
// string `whsec_...`, as shown when the endpoint was created) over
// "<t>.<body>": the timestamp, a dot, and the raw request body, byte for
// byte. A header may carry several v1 values, one per secret in use while
// a secret is rotated; a receiver accepts the delivery if any of them
// matches. Receivers should also reject old timestamps (replays) and
// de-duplicate on the Millwright-Event-Id header, since a delivery may
// arrive more than once.
//
// Receivers in Go can use Verify as it is:
//
//	body, _ := io.ReadAll(r.Body)
//	err := webhooksig.Verify(secret, r.Header.Get(webhooksig.Header), body, webhooksig.DefaultTolerance, time.Now())
package webhooksig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// The headers of a delivery.
const (
	// Header carries the signature.
	Header = "Millwright-Signature"
	// EventIDHeader carries the event's id, for de-duplication.
	EventIDHeader = "Millwright-Event-Id"
)

// DefaultTolerance is how far a delivery's timestamp may be from the
// receiver's clock, either way. Verify uses it when given a tolerance of 0
// or less.
const DefaultTolerance = 5 * time.Minute

// maxHeader bounds the header Verify reads.
const maxHeader = 4096

// The errors of Verify; test with errors.Is.
var (
	// ErrMalformed: the header is not t=<unix seconds>,v1=<hex>[,v1=<hex>...].
	ErrMalformed = errors.New("webhooksig: malformed signature header")
	// ErrTimestamp: the timestamp is further from now than the tolerance.
	ErrTimestamp = errors.New("webhooksig: timestamp outside the tolerance")
	// ErrMismatch: no v1 signature matches the secret and the body.
	ErrMismatch = errors.New("webhooksig: no signature matches")
)

// Sign returns the signature header value of body, sent at t, under secret.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a signature header against the raw body and the endpoint's
// secret: the header must be well formed, its timestamp within tolerance
// of now (either way; 0 or less means DefaultTolerance), and one of its v1
// signatures must match. Signatures are compared in constant time.
func Verify(secret, header string, body []byte, tolerance time.Duration, now time.Time) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	ts, sigs, err := parse(header)
	if err != nil {
		return err
	}
	sec, _ := strconv.ParseInt(ts, 10, 64) // parse checked it: 0 <= sec < 10^18
	skew := now.Unix() - sec
	if skew < 0 {
		skew = -skew
	}
	if skew > int64(tolerance/time.Second) {
		return ErrTimestamp
	}
	want := mac(secret, ts, body)
	ok := false
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			ok = true // keep going: the time taken does not depend on which matched
		}
	}
	if !ok {
		return ErrMismatch
	}
	return nil
}

// parse splits a header into its timestamp and v1 signatures. Unknown keys
// (other schemes) are ignored; there must be exactly one t and at least one
// well-formed v1.
func parse(header string) (string, [][]byte, error) {
	if len(header) > maxHeader {
		return "", nil, ErrMalformed
	}
	var ts string
	var sigs [][]byte
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return "", nil, ErrMalformed
		}
		switch k {
		case "t":
			if ts != "" || !digits(v) {
				return "", nil, ErrMalformed
			}
			ts = v
		case "v1":
			b, err := hex.DecodeString(v)
			if err != nil || len(b) != sha256.Size {
				return "", nil, ErrMalformed
			}
			sigs = append(sigs, b)
		}
	}
	if ts == "" || len(sigs) == 0 {
		return "", nil, ErrMalformed
	}
	return ts, sigs, nil
}

// digits reports whether s is 1 to 18 decimal digits: a positive unix time
// that fits int64 with room to spare.
func digits(s string) bool {
	if len(s) == 0 || len(s) > 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
