package maximo

import (
	"math"
	"time"
)

// rng is a splitmix64 stream. A stream is derived from (seed, stream, index),
// so any seeded record can be generated on its own, in any order.
type rng struct{ s uint64 }

const golden = 0x9e3779b97f4a7c15

func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func newRNG(seed int64, stream uint64, i int) rng {
	return rng{mix(uint64(seed)*golden ^ mix(stream<<40^uint64(i)))}
}

func (r *rng) next() uint64 {
	r.s += golden
	return mix(r.s)
}

// intn returns a number in [0, n); n must be positive.
func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// between returns a number in [lo, hi].
func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

func (r *rng) chance(p float64) bool { return r.float() < p }

func pick[T any](r *rng, s []T) T { return s[r.intn(len(s))] }

// weighted picks a value with probability proportional to its weight.
type weighted[T any] []struct {
	v T
	w int
}

func (ws weighted[T]) pick(r *rng) T {
	total := 0
	for _, x := range ws {
		total += x.w
	}
	n := r.intn(total)
	for _, x := range ws {
		if n < x.w {
			return x.v
		}
		n -= x.w
	}
	return ws[len(ws)-1].v
}

// Streams keep the random sequences of the object structures apart.
const (
	streamTimeline uint64 = iota + 1
	streamPlant
	streamWorkOrder
	streamWorkOrderPlace
	streamAsset
	streamAssetDetail
	streamItem
	streamInventory
	streamPO
	streamCredentials
)

const (
	hour = int64(time.Hour / time.Second)
	day  = 24 * hour
)

// timeline spreads n seeded records over the two years before the epoch, in
// strictly increasing whole seconds, so index order is changedate order and a
// changedate bound is found by binary search.
type timeline struct {
	seed   int64
	stream uint64
	start  int64
	step   int64
}

func newTimeline(epoch time.Time, n int, seed int64, stream uint64) timeline {
	span := 730 * day
	step := max(span/int64(max(n, 1)), 1)
	return timeline{seed: seed, stream: stream, start: epoch.Unix() - int64(n)*step, step: step}
}

// at returns the changedate of record i in Unix seconds.
func (t timeline) at(i int) int64 {
	r := newRNG(t.seed, streamTimeline<<8|t.stream, i)
	return t.start + int64(i)*t.step + int64(r.next()%uint64(t.step))
}

// date is a DATETIME value in Unix seconds. It is written in UTC with a
// numeric offset, 2026-06-30T14:05:00+00:00, as Maximo writes dates.
type date int64

const dateLayout = "2006-01-02T15:04:05-07:00"

// appendDate writes d in dateLayout; years outside 0-9999 go through time.
func appendDate(b []byte, d date) []byte {
	days, secs := int64(d)/int64(day), int64(d)%int64(day)
	if secs < 0 {
		days, secs = days-1, secs+int64(day)
	}
	y, m, dd := civil(days)
	if y < 0 || y > 9999 {
		return time.Unix(int64(d), 0).UTC().AppendFormat(b, dateLayout)
	}
	b = append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-')
	b = append2(b, m, '-')
	b = append2(b, dd, 'T')
	b = append2(b, int(secs/3600), ':')
	b = append2(b, int(secs/60%60), ':')
	b = append2(b, int(secs%60), '+')
	return append(b, "00:00"...)
}

func append2(b []byte, n int, sep byte) []byte {
	return append(b, byte('0'+n/10), byte('0'+n%10), sep)
}

// civil converts days since 1970-01-01 to a proleptic Gregorian date.
func civil(days int64) (y, m, d int) {
	z := days + 719468
	era := z / 146097
	if z < 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	m = int(mp + 3)
	if m > 12 {
		m -= 12
	}
	y = int(yoe + era*400)
	if m <= 2 {
		y++
	}
	return y, m, d
}

// parseDate accepts the ISO forms clients send, with or without an offset
// (without one the date is UTC, the server's time zone).
func parseDate(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// numbering returns the first of n fixed-width numbers of at least minDigits
// digits, so their string order is their numeric order.
func numbering(n, minDigits int) int {
	start := int(math.Pow10(minDigits - 1))
	for start+n > 10*start {
		start *= 10
	}
	return start
}
