package auth

import (
	"context"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
)

// Remote is the Authenticator of the services other than the connection
// service: it asks the connection service, on every call, so a revoked
// credential is refused at once on every replica.
func Remote(client connectionv1.ConnectionInternalServiceClient) Authenticator {
	return func(ctx context.Context, credential, connection string) (Principal, error) {
		resp, err := client.Authenticate(ctx, &connectionv1.AuthenticateRequest{Credential: credential, Connection: connection})
		if err != nil {
			return Principal{}, err
		}
		return Principal{Account: resp.GetAccount(), TokenConnection: resp.GetTokenConnection(), LinkSession: resp.GetLinkSession(), Connection: resp.GetConnection()}, nil
	}
}
