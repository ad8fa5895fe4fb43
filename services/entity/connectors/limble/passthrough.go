package limble

import (
	"context"

	"github.com/millwright-dev/millwright/services/entity/connector"
)

// Passthrough calls Limble's own API with the connection's authentication
// and returns its answer as it is: an error status is the caller's to read,
// not an error. The path is relative to the base URL (such as /v2/tasks)
// and cannot leave its host.
func (c *Connector) Passthrough(ctx context.Context, cfg connector.Config, req connector.PassthroughRequest) (connector.PassthroughResponse, error) {
	s, err := c.session(cfg)
	if err != nil {
		return connector.PassthroughResponse{}, err
	}
	hr, err := connector.NewPassthroughRequest(ctx, s.base.String(), req)
	if err != nil {
		return connector.PassthroughResponse{}, err
	}
	hr.Header.Set("Authorization", s.auth)
	resp, data, err := c.http.Do(ctx, cfg.Connection, hr)
	if err != nil {
		return connector.PassthroughResponse{}, err
	}
	return connector.PassthroughAnswer(resp, data), nil
}
