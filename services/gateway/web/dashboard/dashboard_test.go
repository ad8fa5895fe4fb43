package dashboard_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/millwright-dev/millwright/services/gateway/web/dashboard"
)

func get(t *testing.T, h http.Handler, method, path string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	resp := rec.Result()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// TestServesThePages checks the page, that every module it imports is
// served with a JavaScript type, and that nothing else is.
func TestServesThePages(t *testing.T) {
	h := dashboard.Handler()
	resp, body := get(t, h, "GET", "/")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, `<script type="module" src="app.js">`) {
		t.Fatalf("GET /: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "connect-src 'self'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}

	// Follow the imports from app.js: a missing module breaks the page.
	imports := regexp.MustCompile(`from '\./([a-z]+\.js)'`)
	seen := map[string]bool{}
	queue := []string{"app.js", "style.css"}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if seen[name] {
			continue
		}
		seen[name] = true
		resp, body := get(t, h, "GET", "/"+name)
		want := "text/javascript"
		if strings.HasSuffix(name, ".css") {
			want = "text/css"
		}
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), want) {
			t.Errorf("GET /%s: %d %s", name, resp.StatusCode, resp.Header.Get("Content-Type"))
			continue
		}
		for _, m := range imports.FindAllStringSubmatch(body, -1) {
			queue = append(queue, m[1])
		}
	}
	if len(seen) < 5 {
		t.Errorf("app.js imports only %v", seen)
	}

	for _, path := range []string{"/missing.js", "/static/app.js", "/..%2f..%2fgo.mod", "/v2/anything"} {
		if resp, _ := get(t, h, "GET", path); resp.StatusCode != 404 {
			t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
		}
	}
	if resp, _ := get(t, h, "POST", "/"); resp.StatusCode != 405 {
		t.Errorf("POST /: %d, want 405", resp.StatusCode)
	}
}
