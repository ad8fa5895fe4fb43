package link_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/millwright-dev/millwright/services/gateway/web/link"
)

func get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	link.Handler().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	resp := rec.Result()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// TestServesThePage: every session's address gets the page, uncached, not
// frameable, with its script and style; nothing else is served.
func TestServesThePage(t *testing.T) {
	resp, body := get(t, "/link/link_01jabc")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(body, `src="/link/static/link.js"`) || !strings.Contains(body, `href="/link/static/link.css"`) {
		t.Fatalf("GET /link/<id>: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Referrer-Policy") != "no-referrer" ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Fatalf("headers %v", resp.Header)
	}
	for path, ctype := range map[string]string{"/link/static/link.js": "text/javascript", "/link/static/link.css": "text/css"} {
		resp, body := get(t, path)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), ctype) || len(body) < 100 {
			t.Errorf("GET %s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	for _, path := range []string{"/link/", "/link/static/", "/link/static/index.html", "/link/static/nope.js", "/link/a/b"} {
		if resp, _ := get(t, path); resp.StatusCode != 404 {
			t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
		}
	}
}
