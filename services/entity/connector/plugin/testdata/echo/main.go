// Command echo is a minimal external connector for the plugin test: it
// describes one system and accepts credentials whose password is "secret".
package main

import (
	"context"

	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/entity/connector/plugin"
	"github.com/millwright-dev/millwright/services/platform/apierr"
)

type echo struct{ connector.Unimplemented }

func (echo) Describe() *entityv1.System {
	return &entityv1.System{Id: "echo", DisplayName: "Echo", CreditTier: 1, Credits: 1,
		CredentialFields: []*entityv1.SystemField{{Name: "password", Required: true, Secret: true}}}
}

func (echo) Check(_ context.Context, cfg connector.Config) error {
	if cfg.Credentials["password"] != "secret" {
		return apierr.New(apierr.ConnectedSystemAuthFailed, "echo rejects the password")
	}
	return nil
}

func main() { plugin.Serve(echo{}) }
