package connector

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/time/rate"
)

// HTTP is the HTTP client connectors share: timeouts, a rate limit per
// connection, and retries of idempotent calls that failed in transport or
// with 502/503/504 (never of a POST: a write is retried only by its caller,
// with an idempotency key).
type HTTP struct {
	// System names the system in errors.
	System string
	// Client does the calls; its Timeout bounds each attempt.
	Client *http.Client
	// Retries is how many times an idempotent call is retried.
	Retries int
	// Backoff is the first wait before a retry; it doubles.
	Backoff time.Duration
	// RatePerSecond and Burst bound calls per connection; 0 means no limit.
	RatePerSecond float64
	Burst         int

	mu       sync.Mutex
	limiters map[string]*rate.Limiter
}

// allowPrivate lets connectors reach private, loopback and link-local
// addresses; off unless the process allows it (dev does).
var allowPrivate atomic.Bool

// AllowPrivateNetworks sets, for the whole process, whether connectors may
// reach private, loopback and link-local addresses. The check is made on the
// address actually dialled, after DNS resolution.
func AllowPrivateNetworks(allow bool) { allowPrivate.Store(allow) }

// ErrPrivateAddress is the error of a dial to a refused address.
var ErrPrivateAddress = errors.New("the address is in a private, loopback or link-local range; set MILLWRIGHT_ALLOW_PRIVATE_NETWORKS=true to allow it")

// checkAddress refuses private addresses unless allowed.
func checkAddress(_, address string, _ syscall.RawConn) error {
	if allowPrivate.Load() {
		return nil
	}
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsUnspecified() || ip.IsMulticast() {
		return fmt.Errorf("%s: %w", host, ErrPrivateAddress)
	}
	return nil
}

// NewHTTP returns a client with a 30 s attempt timeout, 2 retries and no
// rate limit, which refuses private addresses unless the process allows
// them.
func NewHTTP(system string) *HTTP {
	transport := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: checkAddress}).DialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
	return &HTTP{System: system, Client: &http.Client{Transport: transport, Timeout: 30 * time.Second}, Retries: 2, Backoff: 100 * time.Millisecond}
}

func (h *HTTP) limiter(connection string) *rate.Limiter {
	if h.RatePerSecond <= 0 {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.limiters == nil {
		h.limiters = map[string]*rate.Limiter{}
	}
	l, ok := h.limiters[connection]
	if !ok {
		burst := h.Burst
		if burst <= 0 {
			burst = 1
		}
		l = rate.NewLimiter(rate.Limit(h.RatePerSecond), burst)
		h.limiters[connection] = l
	}
	return l
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// readBody reads a response's body into a buffer of the size it announces
// (io.ReadAll would grow one, copying a page of megabytes a dozen times),
// growing it only past that size.
func readBody(resp *http.Response) ([]byte, error) {
	const most = 64 << 20 // the largest size taken at its word
	if resp.ContentLength <= 0 || resp.ContentLength > most {
		return io.ReadAll(resp.Body)
	}
	b := make([]byte, 0, resp.ContentLength+1) // +1: room to meet EOF
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := resp.Body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// Do sends req for a connection and returns the response with its body read,
// or a CONNECTED_SYSTEM_UNAVAILABLE error when the system cannot be reached.
// Status codes are the caller's to classify (see Classify).
func (h *HTTP) Do(ctx context.Context, connection string, req *http.Request) (*http.Response, []byte, error) {
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, nil, err
		}
		req.Body.Close()
	}
	attempts := 1
	if idempotent(req.Method) {
		attempts += h.Retries
	}
	wait := h.Backoff
	var lastErr error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				return nil, nil, Unreachable(h.System, ctx.Err())
			case <-time.After(wait):
			}
			wait *= 2
		}
		if l := h.limiter(connection); l != nil {
			if err := l.Wait(ctx); err != nil {
				return nil, nil, Unreachable(h.System, err)
			}
		}
		attempt := req.Clone(ctx)
		if body != nil {
			attempt.Body = io.NopCloser(bytes.NewReader(body))
			attempt.ContentLength = int64(len(body))
		}
		resp, err := h.Client.Do(attempt)
		if err != nil {
			lastErr = err
			if ctx.Err() != nil {
				break
			}
			continue
		}
		data, err := readBody(resp)
		resp.Body.Close()
		if err != nil {
			lastErr = err
			continue
		}
		switch resp.StatusCode {
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			if i+1 < attempts {
				lastErr = nil
				continue
			}
		}
		return resp, data, nil
	}
	if lastErr == nil {
		lastErr = context.DeadlineExceeded
	}
	return nil, nil, Unreachable(h.System, lastErr)
}
