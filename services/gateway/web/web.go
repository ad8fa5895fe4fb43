// Package web holds what the gateway's pages share; each page is a package
// below it (dashboard, link).
package web

import "net/http"

// SecureHeaders sets the headers every page answers with: its content
// security policy, no content sniffing, no referrer.
func SecureHeaders(h http.Header, csp string) {
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}
