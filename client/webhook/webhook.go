// Package webhook verifies Millwright's signed webhook deliveries.
//
// Every delivery carries the header
//
//	Millwright-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>
//
// the HMAC keyed with the endpoint's whole signing secret (`whsec_...`)
// over "<t>.<body>": the timestamp, a dot and the raw body, byte for byte.
// While a secret is rotated a header carries several v1 values; one match
// is enough. A delivery may arrive more than once: de-duplicate on the
// Millwright-Event-Id header.
//
//	body, _ := io.ReadAll(r.Body)
//	if err := webhook.Verify(secret, r.Header.Get(webhook.SignatureHeader), body, 0); err != nil {
//		http.Error(w, "bad signature", http.StatusBadRequest)
//		return
//	}
package webhook

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
	SignatureHeader = "Millwright-Signature"
	EventIDHeader   = "Millwright-Event-Id"
)

// DefaultTolerance is how far a delivery's timestamp may be from the
// receiver's clock, either way; Verify uses it for a tolerance <= 0.
const DefaultTolerance = 5 * time.Minute

const maxHeader = 4096

// The errors of Verify; test with errors.Is.
var (
	ErrMalformed = errors.New("webhook: malformed signature header")
	ErrTimestamp = errors.New("webhook: timestamp outside the tolerance (stale or from the future)")
	ErrMismatch  = errors.New("webhook: no signature matches")
)

// Verify checks a delivery: the header must be well formed, its timestamp
// within tolerance of now, either way, and one of its v1 signatures must
// match body under secret (compared in constant time).
func Verify(secret, header string, body []byte, tolerance time.Duration) error {
	return VerifyAt(secret, header, body, tolerance, time.Now())
}

// VerifyAt is Verify with the receiver's clock reading now.
func VerifyAt(secret, header string, body []byte, tolerance time.Duration, now time.Time) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	ts, sigs, err := parse(header)
	if err != nil {
		return err
	}
	sec, _ := strconv.ParseInt(ts, 10, 64) // parse checked: 1 to 18 digits
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
			ok = true // no early exit: timing does not tell which matched
		}
	}
	if !ok {
		return ErrMismatch
	}
	return nil
}

// Sign returns the header value Millwright sends for body at t; for tests
// of receivers.
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

// parse splits a header into its timestamp and v1 signatures; other
// schemes are ignored, exactly one t and at least one v1 are required.
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
