package server

import "testing"

// TestRedirectProblem: the Link page sends customers only to absolute https
// URLs, or plain http on loopback, without a fragment.
func TestRedirectProblem(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://app.example/done?customer=42": true,
		"http://localhost:3000/done":           true,
		"http://127.0.0.5:8080/done":           true,
		"http://[::1]:3000/done":               true,
		"":                                     false,
		"/done":                                false,
		"//evil.example/done":                  false,
		"javascript:alert(1)":                  false,
		"data:text/html,hi":                    false,
		"ftp://app.example/done":               false,
		"https:///done":                        false,
		"http://app.example/done":              false,
		"http://localhost.evil.example/done":   false,
		"https://app.example/done#frag":        false,
	} {
		if got := redirectProblem(raw) == ""; got != ok {
			t.Errorf("redirectProblem(%q) = %q; want accepted %v", raw, redirectProblem(raw), ok)
		}
	}
}
