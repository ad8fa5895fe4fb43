package webhooksig_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/millwright-dev/millwright/services/connection/webhooksig"
)

const secret = "whsec_0123456789abcdefghjkmnpqrstvwxyz0123456789abcdef"

func TestSignKnownValue(t *testing.T) {
	// A fixed vector, computed independently with Python's hmac module:
	// hmac.new(secret.encode(), b'1700000000.{"id":"evt_1"}', hashlib.sha256).hexdigest()
	got := webhooksig.Sign(secret, time.Unix(1700000000, 999_000_000), []byte(`{"id":"evt_1"}`))
	const want = "t=1700000000,v1=e9a4e9b91e80e92c4cadda2d3f00a5253bd1335592f070214623a519f61b9c30"
	if got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
}

func TestVerify(t *testing.T) {
	now := time.Unix(1700000000, 0)
	body := []byte(`{"id":"evt_1","type":"connection.created"}`)
	good := webhooksig.Sign(secret, now, body)
	_, goodSig, _ := strings.Cut(good, ",")
	other := webhooksig.Sign("whsec_other", now, body)
	_, otherSig, _ := strings.Cut(other, ",")

	tests := []struct {
		name      string
		secret    string
		header    string
		body      []byte
		tolerance time.Duration
		now       time.Time
		want      error
	}{
		{"valid", secret, good, body, time.Minute, now, nil},
		{"valid with default tolerance", secret, good, body, 0, now.Add(4 * time.Minute), nil},
		{"valid at the tolerance", secret, good, body, time.Minute, now.Add(time.Minute), nil},
		{"spaces around parts", secret, strings.ReplaceAll(good, ",", " , "), body, time.Minute, now, nil},
		{"parts in another order", secret, goodSig + ",t=1700000000", body, time.Minute, now, nil},
		{"old and new secret during rotation", secret, "t=1700000000," + otherSig + "," + goodSig, body, time.Minute, now, nil},
		{"unknown scheme ignored", secret, good + ",v0=abc", body, time.Minute, now, nil},
		{"stale", secret, good, body, time.Minute, now.Add(61 * time.Second), webhooksig.ErrTimestamp},
		{"stale beyond the default", secret, good, body, 0, now.Add(6 * time.Minute), webhooksig.ErrTimestamp},
		{"from the future", secret, good, body, time.Minute, now.Add(-61 * time.Second), webhooksig.ErrTimestamp},
		{"wrong secret", "whsec_wrong", good, body, time.Minute, now, webhooksig.ErrMismatch},
		{"body changed", secret, good, []byte(`{"id":"evt_2","type":"connection.created"}`), time.Minute, now, webhooksig.ErrMismatch},
		{"timestamp changed", secret, "t=1700000001," + goodSig, body, time.Minute, now, webhooksig.ErrMismatch},
		{"only another secret's signature", secret, other, body, time.Minute, now, webhooksig.ErrMismatch},
		{"empty", secret, "", body, time.Minute, now, webhooksig.ErrMalformed},
		{"no timestamp", secret, goodSig, body, time.Minute, now, webhooksig.ErrMalformed},
		{"no signature", secret, "t=1700000000", body, time.Minute, now, webhooksig.ErrMalformed},
		{"two timestamps", secret, "t=1700000000,t=1700000000," + goodSig, body, time.Minute, now, webhooksig.ErrMalformed},
		{"negative timestamp", secret, "t=-1," + goodSig, body, time.Minute, now, webhooksig.ErrMalformed},
		{"timestamp not a number", secret, "t=17e8," + goodSig, body, time.Minute, now, webhooksig.ErrMalformed},
		{"huge timestamp", secret, "t=99999999999999999999," + goodSig, body, time.Minute, now, webhooksig.ErrMalformed},
		{"signature not hex", secret, "t=1700000000,v1=zz", body, time.Minute, now, webhooksig.ErrMalformed},
		{"signature too short", secret, "t=1700000000,v1=" + strings.Repeat("ab", 16), body, time.Minute, now, webhooksig.ErrMalformed},
		{"part without =", secret, good + ",junk", body, time.Minute, now, webhooksig.ErrMalformed},
		{"too long", secret, good + strings.Repeat(",x=y", 2000), body, time.Minute, now, webhooksig.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := webhooksig.Verify(tt.secret, tt.header, tt.body, tt.tolerance, tt.now)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func FuzzVerify(f *testing.F) {
	now := time.Unix(1700000000, 0)
	f.Add(webhooksig.Sign(secret, now, []byte("{}")), []byte("{}"))
	f.Add("t=1700000000,v1=00,v1="+strings.Repeat("0", 64), []byte("x"))
	f.Add("t=,v1=", []byte(nil))
	f.Add(" t = 1 , v1 = ", []byte("body"))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		err := webhooksig.Verify(secret, header, body, time.Minute, now)
		// Whatever the header, it never verifies unless it holds the
		// signature of this body (hex in either case), and the error is
		// always one of ours.
		if err == nil {
			want := webhooksig.Sign(secret, now, body)
			_, sig, _ := strings.Cut(want, ",")
			if !strings.Contains(strings.ToLower(strings.Join(strings.Fields(header), "")), sig) {
				t.Fatalf("Verify accepted %q for body %q", header, body)
			}
		} else if !errors.Is(err, webhooksig.ErrMalformed) && !errors.Is(err, webhooksig.ErrTimestamp) && !errors.Is(err, webhooksig.ErrMismatch) {
			t.Fatalf("Verify = %v, not one of the package's errors", err)
		}
		// A fresh signature of the body always verifies.
		if err := webhooksig.Verify(secret, webhooksig.Sign(secret, now, body), body, time.Minute, now); err != nil {
			t.Fatalf("Verify(Sign(...)) = %v", err)
		}
	})
}
