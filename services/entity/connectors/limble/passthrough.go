package limble

import (
	"context"
	"io"
	"net/http"
	"strings"

	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/platform/apierr"
)

// hopHeaders are headers of one hop or of the caller's own authentication,
// which a passthrough neither forwards nor returns.
var hopHeaders = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true, "Proxy-Authorization": true, "Te": true,
	"Trailer": true, "Transfer-Encoding": true, "Upgrade": true, "Host": true, "Content-Length": true,
	"Authorization": true, "Cookie": true,
}

// Passthrough calls Limble's own API with the connection's authentication
// and returns its answer as it is: an error status is the caller's to read,
// not an error. The path is relative to the base URL (such as /v2/tasks)
// and cannot leave its host.
func (c *Connector) Passthrough(ctx context.Context, cfg connector.Config, req connector.PassthroughRequest) (connector.PassthroughResponse, error) {
	s, err := c.session(cfg)
	if err != nil {
		return connector.PassthroughResponse{}, err
	}
	u, err := connector.ResolvePath(s.base.String(), req.Path)
	if err != nil {
		return connector.PassthroughResponse{}, apierr.InvalidFields(apierr.FieldViolation{Field: "path", Description: err.Error()})
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
		return connector.PassthroughResponse{}, apierr.InvalidFields(apierr.FieldViolation{Field: "method", Description: err.Error()})
	}
	for k, v := range req.Headers {
		if !hopHeaders[http.CanonicalHeaderKey(k)] {
			hr.Header.Set(k, v)
		}
	}
	if req.Body != "" && hr.Header.Get("Content-Type") == "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	hr.Header.Set("Authorization", s.auth)
	resp, data, err := c.http.Do(ctx, cfg.Connection, hr)
	if err != nil {
		return connector.PassthroughResponse{}, err
	}
	out := connector.PassthroughResponse{StatusCode: resp.StatusCode, Headers: map[string]string{}, Body: string(data)}
	for k, v := range resp.Header {
		if !hopHeaders[k] && k != "Set-Cookie" {
			out.Headers[k] = strings.Join(v, ", ")
		}
	}
	return out, nil
}
