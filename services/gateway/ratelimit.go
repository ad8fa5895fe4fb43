package gateway

import (
	"crypto/sha256"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/millwright-dev/millwright/services/platform/apierr"
)

// limiter is a token bucket per credential (per client address for calls
// without one). Buckets idle for ten minutes are dropped.
type limiter struct {
	rate  rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[[32]byte]*bucket
	swept   time.Time
}

type bucket struct {
	*rate.Limiter
	seen time.Time
}

func newLimiter(perSecond float64, burst int) *limiter {
	if perSecond <= 0 {
		return nil
	}
	if burst <= 0 {
		burst = int(math.Ceil(perSecond))
	}
	return &limiter{rate: rate.Limit(perSecond), burst: burst, buckets: map[[32]byte]*bucket{}, swept: time.Now()}
}

func (l *limiter) bucket(r *http.Request, now time.Time) *rate.Limiter {
	who := r.Header.Get("Authorization")
	if who == "" {
		who, _, _ = net.SplitHostPort(r.RemoteAddr)
	}
	key := sha256.Sum256([]byte(who))
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > 10*time.Minute {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{Limiter: rate.NewLimiter(l.rate, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	return b.Limiter
}

// middleware answers 429 RATE_LIMITED with Retry-After when a credential's
// bucket is empty, and sets X-RateLimit-Limit, -Remaining and -Reset (seconds
// until the bucket is full) on every response.
func (l *limiter) middleware(next http.Handler) http.Handler {
	if l == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		b := l.bucket(r, now)
		allowed := b.AllowN(now, 1)
		tokens := b.TokensAt(now)
		h := w.Header()
		h.Set("X-RateLimit-Limit", strconv.Itoa(l.burst))
		h.Set("X-RateLimit-Remaining", strconv.Itoa(max(int(tokens), 0)))
		h.Set("X-RateLimit-Reset", strconv.Itoa(int(math.Ceil((float64(l.burst)-tokens)/float64(l.rate)))))
		if !allowed {
			wait := time.Duration(math.Ceil((1-tokens)/float64(l.rate)*1e9)) * time.Nanosecond
			writeError(w, r, apierr.New(apierr.RateLimited, "too many requests for this credential: at most %g per second, bursts of %d", float64(l.rate), l.burst).WithRetryAfter(max(wait, time.Second)).GRPCStatus())
			return
		}
		next.ServeHTTP(w, r)
	})
}
