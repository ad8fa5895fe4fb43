package netsuite

import (
	"context"
	"strings"

	"github.com/millwright-dev/millwright/services/entity/connector"
)

// Passthrough calls NetSuite's own API with the connection's token-based
// authentication and returns its answer as it is: an error status is the
// caller's to read, not an error. The path is relative to the account's
// host (such as /services/rest/record/v1/customer or
// /services/rest/query/v1/suiteql) and cannot leave it.
func (c *Connector) Passthrough(ctx context.Context, cfg connector.Config, req connector.PassthroughRequest) (connector.PassthroughResponse, error) {
	s, err := c.session(cfg)
	if err != nil {
		return connector.PassthroughResponse{}, err
	}
	host := *s.base
	host.Path = strings.TrimSuffix(host.Path, "/services/rest/record/v1")
	hr, err := connector.NewPassthroughRequest(ctx, host.String(), req)
	if err != nil {
		return connector.PassthroughResponse{}, err
	}
	if hr.Header.Get("Prefer") == "" && strings.Contains(hr.URL.Path, "/query/v1/suiteql") {
		hr.Header.Set("Prefer", "transient")
	}
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	case <-ctx.Done():
		return connector.PassthroughResponse{}, connector.Unreachable(systemName, ctx.Err())
	}
	resp, data, err := c.http.Do(withCredentials(ctx, s.creds), cfg.Connection, hr)
	if err != nil {
		return connector.PassthroughResponse{}, err
	}
	return connector.PassthroughAnswer(resp, data), nil
}
