package maximo

import (
	"context"

	"github.com/millwright-dev/millwright/services/entity/connector"
)

// credentialHeaders are Maximo's own credential headers, which a
// passthrough neither forwards from the caller nor returns.
var credentialHeaders = []string{"apikey", "maxauth"}

// Passthrough calls Maximo's own API with the connection's authentication
// and returns its answer as it is; only transport failures are errors
// (CONNECTED_SYSTEM_UNAVAILABLE). The path is relative to the base URL and
// cannot leave its host.
func (c *Connector) Passthrough(ctx context.Context, cfg connector.Config, req connector.PassthroughRequest) (connector.PassthroughResponse, error) {
	s, err := c.session(cfg)
	if err != nil {
		return connector.PassthroughResponse{}, err
	}
	hr, err := connector.NewPassthroughRequest(ctx, s.base.String(), req, credentialHeaders...)
	if err != nil {
		return connector.PassthroughResponse{}, err
	}
	hr.Header.Set(s.authName, s.authValue)
	resp, data, err := c.http.Do(ctx, cfg.Connection, hr)
	if err != nil {
		return connector.PassthroughResponse{}, err
	}
	return connector.PassthroughAnswer(resp, data, credentialHeaders...), nil
}
