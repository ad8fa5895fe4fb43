package connector

import (
	"context"
	"io"
	"net/http"
	"strings"

	"github.com/millwright-dev/millwright/services/platform/apierr"
)

// hopHeaders are headers of one hop or of authentication, which a
// passthrough neither forwards nor returns.
var hopHeaders = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true, "Proxy-Authorization": true, "Te": true,
	"Trailer": true, "Transfer-Encoding": true, "Upgrade": true, "Host": true, "Content-Length": true,
	"Authorization": true, "Cookie": true, "Set-Cookie": true,
}

func hop(name string, strip []string) bool {
	name = http.CanonicalHeaderKey(name)
	if hopHeaders[name] {
		return true
	}
	for _, s := range strip {
		if http.CanonicalHeaderKey(s) == name {
			return true
		}
	}
	return false
}

// NewPassthroughRequest builds the HTTP request of a passthrough: the path
// resolved on base (it cannot leave base's host), the query and body, the
// caller's headers less hop-by-hop and authentication ones (and strip, the
// system's own credential headers). The connector adds its authentication
// and sends it.
func NewPassthroughRequest(ctx context.Context, base string, req PassthroughRequest, strip ...string) (*http.Request, error) {
	u, err := ResolvePath(base, req.Path)
	if err != nil {
		return nil, apierr.InvalidFields(apierr.FieldViolation{Field: "path", Description: err.Error()})
	}
	q := u.Query()
	for k, v := range req.Query {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	method := strings.ToUpper(req.Method)
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if req.Body != "" {
		body = strings.NewReader(req.Body)
	}
	hr, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, apierr.InvalidFields(apierr.FieldViolation{Field: "method", Description: err.Error()})
	}
	for k, v := range req.Headers {
		if !hop(k, strip) {
			hr.Header.Set(k, v)
		}
	}
	if req.Body != "" && hr.Header.Get("Content-Type") == "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	return hr, nil
}

// PassthroughAnswer is the system's answer as it is (an error status is the
// caller's to read, not an error), less hop-by-hop and authentication
// headers.
func PassthroughAnswer(resp *http.Response, body []byte, strip ...string) PassthroughResponse {
	out := PassthroughResponse{StatusCode: resp.StatusCode, Headers: map[string]string{}, Body: string(body)}
	for k, v := range resp.Header {
		if !hop(k, strip) {
			out.Headers[k] = strings.Join(v, ", ")
		}
	}
	return out
}
