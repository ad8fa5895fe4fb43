package connector

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/millwright-dev/millwright/services/platform/apierr"
)

// Classify turns a system's HTTP answer into Millwright's error, keeping the
// system's own message (extracted by the connector from its error body):
//
//	401, 403        CONNECTED_SYSTEM_AUTH_FAILED
//	404             NOT_FOUND
//	409, 412        CONFLICT
//	429             CONNECTED_SYSTEM_RATE_LIMITED, with Retry-After
//	other 4xx       CONNECTED_SYSTEM_REJECTED
//	5xx             CONNECTED_SYSTEM_ERROR (503 with Retry-After: UNAVAILABLE)
//
// It returns nil for a 2xx or 3xx.
func Classify(system string, resp *http.Response, message string) error {
	code := resp.StatusCode
	if code < 400 {
		return nil
	}
	if message == "" {
		message = http.StatusText(code)
	}
	msg := fmt.Sprintf("%s answered %d: %s", system, code, message)
	var e *apierr.Error
	switch {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		e = apierr.New(apierr.ConnectedSystemAuthFailed, "%s", msg)
	case code == http.StatusNotFound:
		e = apierr.New(apierr.NotFound, "%s", msg)
	case code == http.StatusConflict || code == http.StatusPreconditionFailed:
		e = apierr.New(apierr.Conflict, "%s", msg)
	case code == http.StatusTooManyRequests:
		e = apierr.New(apierr.ConnectedSystemRateLimited, "%s", msg).WithRetryAfter(RetryAfter(resp.Header, 5*time.Second))
	case code == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "":
		e = apierr.New(apierr.ConnectedSystemUnavailable, "%s", msg).WithRetryAfter(RetryAfter(resp.Header, 30*time.Second))
	case code >= 500:
		e = apierr.New(apierr.ConnectedSystemError, "%s", msg)
	default:
		e = apierr.New(apierr.ConnectedSystemRejected, "%s", msg)
	}
	return e.With("system", system).With("status_code", strconv.Itoa(code))
}

// Unreachable turns a transport failure (refused, reset, timed out) into
// CONNECTED_SYSTEM_UNAVAILABLE. A cancelled caller stays CANCELLED.
func Unreachable(system string, err error) error {
	if errors.Is(err, context.Canceled) {
		return apierr.New(apierr.Cancelled, "request cancelled")
	}
	if errors.Is(err, ErrPrivateAddress) {
		return apierr.InvalidFields(apierr.FieldViolation{Field: "connection.settings.base_url", Description: cleanTransportError(err)}).With("system", system)
	}
	what := "does not answer"
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		what = "did not answer in time"
	}
	return apierr.New(apierr.ConnectedSystemUnavailable, "%s %s: %s", system, what, cleanTransportError(err)).
		With("system", system).WithRetryAfter(30 * time.Second)
}

// cleanTransportError drops the request URL (which may carry a key in its
// query) from a transport error.
func cleanTransportError(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && strings.Contains(msg[:i], "://") {
		return msg[i+2:]
	}
	return msg
}

// RetryAfter reads a Retry-After header (seconds or an HTTP date); def when
// absent or unreadable.
func RetryAfter(h http.Header, def time.Duration) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return def
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return def
}
