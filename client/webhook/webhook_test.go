package webhook_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/millwright-dev/millwright/client/webhook"
)

func TestSignKnownValue(t *testing.T) {
	// A fixed vector, computed independently with Python's hmac module:
	// hmac.new(secret.encode(), b'1700000000.{"id":"evt_1"}', hashlib.sha256).hexdigest()
	const secret = "whsec_0123456789abcdefghjkmnpqrstvwxyz0123456789abcdef"
	got := webhook.Sign(secret, time.Unix(1700000000, 999_000_000), []byte(`{"id":"evt_1"}`))
	const want = "t=1700000000,v1=e9a4e9b91e80e92c4cadda2d3f00a5253bd1335592f070214623a519f61b9c30"
	if got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
}

func TestVerify(t *testing.T) {
	const secret = "whsec_test_secret"
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"id":"evt_1","type":"connection.status_changed"}`)
	good := webhook.Sign(secret, now, body)
	sig := good[strings.Index(good, "v1="):]
	other := webhook.Sign("whsec_old", now, body)
	otherSig := other[strings.Index(other, "v1="):]
	ts := "t=1800000000,"

	tests := []struct {
		name   string
		header string
		body   []byte
		now    time.Time
		want   error
	}{
		{"valid", good, body, now, nil},
		{"valid within tolerance, late", good, body, now.Add(4 * time.Minute), nil},
		{"valid within tolerance, early", good, body, now.Add(-4 * time.Minute), nil},
		{"rotation: second v1 matches", ts + otherSig + "," + sig, body, now, nil},
		{"other schemes ignored", ts + "v0=zz," + sig, body, now, nil},
		{"stale", good, body, now.Add(6 * time.Minute), webhook.ErrTimestamp},
		{"future", good, body, now.Add(-6 * time.Minute), webhook.ErrTimestamp},
		{"body changed", good, []byte(`{"id":"evt_2"}`), now, webhook.ErrMismatch},
		{"wrong secret", other, body, now, webhook.ErrMismatch},
		{"timestamp changed", "t=1800000001," + sig, body, now, webhook.ErrMismatch},
		{"empty", "", body, now, webhook.ErrMalformed},
		{"no t", sig, body, now, webhook.ErrMalformed},
		{"no v1", "t=1800000000", body, now, webhook.ErrMalformed},
		{"two t", ts + ts + sig, body, now, webhook.ErrMalformed},
		{"t not digits", "t=-5," + sig, body, now, webhook.ErrMalformed},
		{"v1 not hex", ts + "v1=xyz", body, now, webhook.ErrMalformed},
		{"v1 short", ts + "v1=abcd", body, now, webhook.ErrMalformed},
		{"no =", ts + "v1", body, now, webhook.ErrMalformed},
		{"too long", ts + strings.Repeat(sig+",", 100) + sig, body, now, webhook.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := webhook.VerifyAt(secret, tt.header, tt.body, 0, tt.now)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("VerifyAt = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyUsesWallClock(t *testing.T) {
	body := []byte("{}")
	if err := webhook.Verify("s", webhook.Sign("s", time.Now(), body), body, time.Minute); err != nil {
		t.Fatalf("fresh delivery: %v", err)
	}
	if err := webhook.Verify("s", webhook.Sign("s", time.Now().Add(-2*time.Minute), body), body, time.Minute); !errors.Is(err, webhook.ErrTimestamp) {
		t.Fatalf("stale delivery: %v, want ErrTimestamp", err)
	}
}

func FuzzVerify(f *testing.F) {
	f.Add("t=1800000000,v1=00", []byte("x"))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		_ = webhook.VerifyAt("s", header, body, 0, time.Unix(1_800_000_000, 0)) // must not panic
	})
}
