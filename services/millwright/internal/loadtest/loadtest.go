// Package loadtest is a small closed-loop load generator: a number of
// workers each send one request after another, for a fixed duration or until
// a fixed number of requests is done, and the run is summarised as p50, p99
// and requests per second.
//
// It measures from the client's side: a latency is the time from just before
// a request is sent to just after its response is read, so it includes the
// client's own work (encoding, decoding, scheduling). On a small machine the
// client and the server share the CPUs; read the figures with that in mind.
package loadtest

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Request sends one request and returns an error if it failed (a transport
// error or an unexpected response). It is called from many goroutines at
// once.
type Request func(ctx context.Context) error

// Options say how much load to send.
type Options struct {
	// Workers is how many requests are in flight at once; 0 means 1.
	Workers int
	// Duration stops the workers from starting new requests once it has
	// passed; requests in flight then finish and count.
	Duration time.Duration
	// Requests stops the run after this many requests in all.
	Requests int
}

// Result is what a run did.
type Result struct {
	Workers int
	// Elapsed is the time from the start of the run until its last request
	// finished.
	Elapsed time.Duration
	// Latencies are those of the successful requests, in ascending order.
	Latencies []time.Duration
	// Errors is how many requests failed; Err is the first failure.
	Errors int
	Err    error
}

// Summary condenses a result.
type Summary struct {
	Requests int // successful requests
	Errors   int
	P50      time.Duration
	P99      time.Duration
	Max      time.Duration
	Mean     time.Duration
	// RPS is successful requests per second of elapsed time.
	RPS float64
}

// ErrNoLimit is returned by Run when Options set neither a duration nor a
// request count.
var ErrNoLimit = errors.New("loadtest: set Options.Duration or Options.Requests")

// Run sends load until o's duration has passed or its request count is done
// (whichever comes first, when both are set), or ctx is done.
func Run(ctx context.Context, o Options, req Request) (Result, error) {
	if o.Duration <= 0 && o.Requests <= 0 {
		return Result{}, ErrNoLimit
	}
	workers := max(o.Workers, 1)
	var (
		issued   atomic.Int64
		failures atomic.Int64
		firstErr error
		errOnce  sync.Once
		wg       sync.WaitGroup
	)
	perWorker := make([][]time.Duration, workers)
	start := time.Now()
	var deadline time.Time
	if o.Duration > 0 {
		deadline = start.Add(o.Duration)
	}
	for w := range workers {
		wg.Go(func() {
			lat := make([]time.Duration, 0, 4096)
			for ctx.Err() == nil {
				if o.Requests > 0 && issued.Add(1) > int64(o.Requests) {
					break
				}
				t0 := time.Now()
				if !deadline.IsZero() && !t0.Before(deadline) {
					break
				}
				if err := req(ctx); err != nil {
					failures.Add(1)
					errOnce.Do(func() { firstErr = err })
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			perWorker[w] = lat
		})
	}
	wg.Wait()
	r := Result{Workers: workers, Elapsed: time.Since(start), Errors: int(failures.Load()), Err: firstErr}
	r.Latencies = slices.Concat(perWorker...)
	slices.Sort(r.Latencies)
	return r, nil
}

// Summary summarises the result.
func (r Result) Summary() Summary {
	return Summarize(r.Latencies, r.Errors, r.Elapsed)
}

// Summarize summarises the latencies (in ascending order) of the successful
// requests of a run that took elapsed.
func Summarize(sorted []time.Duration, errors int, elapsed time.Duration) Summary {
	s := Summary{
		Requests: len(sorted),
		Errors:   errors,
		P50:      Percentile(sorted, 50),
		P99:      Percentile(sorted, 99),
		Max:      Percentile(sorted, 100),
	}
	if len(sorted) > 0 {
		var sum time.Duration
		for _, d := range sorted {
			sum += d
		}
		s.Mean = sum / time.Duration(len(sorted))
	}
	if elapsed > 0 {
		s.RPS = float64(len(sorted)) / elapsed.Seconds()
	}
	return s
}

// Percentile returns the p-th percentile (0 < p <= 100) of latencies in
// ascending order by the nearest-rank method: the smallest value with at
// least p% of the values at or below it. It is 0 for no values.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p * float64(n) / 100))
	return sorted[min(max(rank, 1), n)-1]
}
