// Package plugin runs connectors as separate processes: a connector binary
// calls Serve from its main; the entity service starts it with Launch. The
// two speak millwright.connector.v1 over gRPC after a hashicorp/go-plugin
// handshake, which refuses a binary that is not a Millwright connector or
// speaks another protocol version.
package plugin

import (
	"context"
	"fmt"
	"os/exec"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	connectorv1 "github.com/millwright-dev/millwright/gen/go/millwright/connector/v1"
	"github.com/millwright-dev/millwright/services/entity/connector"
)

// Handshake is the handshake both sides must agree on.
var Handshake = goplugin.HandshakeConfig{
	ProtocolVersion:  connector.ProtocolVersion,
	MagicCookieKey:   "MILLWRIGHT_CONNECTOR_PLUGIN",
	MagicCookieValue: "millwright.connector.v1",
}

const name = "connector"

type grpcPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	impl connector.Connector
}

func (p *grpcPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	connector.Register(s, p.impl)
	return nil
}

func (p *grpcPlugin) GRPCClient(ctx context.Context, _ *goplugin.GRPCBroker, cc *grpc.ClientConn) (any, error) {
	return connector.NewClient(ctx, connectorv1.NewConnectorServiceClient(cc))
}

// Serve serves a connector to the entity service that launched this
// process. It returns when the entity service stops the plugin.
func Serve(c connector.Connector) {
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         goplugin.PluginSet{name: &grpcPlugin{impl: c}},
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			return grpc.NewServer(append(opts, connector.ServerOptions()...)...)
		},
	})
}

// Launch starts the connector binary at path and returns its connector and
// a function that stops the process.
func Launch(path string) (connector.Connector, func(), error) {
	client := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  Handshake,
		Plugins:          goplugin.PluginSet{name: &grpcPlugin{}},
		Cmd:              exec.Command(path),
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "connector", Level: hclog.Warn}),
	})
	rpc, err := client.Client()
	if err != nil {
		client.Kill()
		return nil, nil, fmt.Errorf("start connector %s: %w", path, err)
	}
	raw, err := rpc.Dispense(name)
	if err != nil {
		client.Kill()
		return nil, nil, fmt.Errorf("connector %s: %w", path, err)
	}
	return raw.(connector.Connector), client.Kill, nil
}
