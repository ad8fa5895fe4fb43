// Package link serves Link, the hosted page where an account's end customer
// connects their own system: static files (HTML, CSS and a JavaScript
// module) embedded in the binary, at /link/<link session id>#<secret>. The
// page calls only the public REST API (/v1/...) with the link session's
// secret as its bearer credential, so whatever it does, a script holding
// the secret can do, and nothing more.
package link

import (
	"bytes"
	"embed"
	"io/fs"
	"net/http"
	"time"

	"github.com/millwright-dev/millwright/services/gateway/web"
)

//go:embed static
var files embed.FS

// contentSecurityPolicy lets the page load only its own files and call only
// its own origin; it may not be framed (the credentials it asks for must not
// be clickjacked) and it sends no Referer, so the redirect target never
// sees the page's address.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Handler serves the page for every /link/<session> path and its files
// under /link/static/.
func Handler() http.Handler {
	static, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // the embedded tree always has it
	}
	page, err := fs.ReadFile(static, "index.html")
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /link/static/{file}", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("file")
		b, err := fs.ReadFile(static, name)
		if err != nil || name == "index.html" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
	})
	mux.HandleFunc("GET /link/{session}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		// The page is where secrets are typed: never cache it.
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(page)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		web.SecureHeaders(w.Header(), contentSecurityPolicy)
		w.Header().Set("X-Frame-Options", "DENY")
		mux.ServeHTTP(w, r)
	})
}
