// Package dashboard is the account owner's web dashboard: static pages
// (HTML, CSS and JavaScript modules) embedded in the binary. The pages call
// only the public REST API (/v1/...) with the account API key as a bearer
// header, so whatever the dashboard does, a script can do.
package dashboard

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/millwright-dev/millwright/services/gateway/web"
)

//go:embed static
var files embed.FS

// contentSecurityPolicy lets the pages load only their own files and call
// only their own origin: no inline script, no third-party code.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Handler serves the dashboard: index.html at the root, the files it loads
// beside it, 404 for anything else.
func Handler() http.Handler {
	static, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // the embedded tree always has it
	}
	fileServer := http.FileServerFS(static)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		web.SecureHeaders(h, contentSecurityPolicy)
		// The pages are small and change with the binary: always revalidate.
		h.Set("Cache-Control", "no-cache")
		if r.URL.Path != "/" {
			if _, err := fs.Stat(static, r.URL.Path[1:]); err != nil {
				http.NotFound(w, r)
				return
			}
		}
		fileServer.ServeHTTP(w, r)
	})
}
