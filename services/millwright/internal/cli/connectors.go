package cli

import (
	"strings"

	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/entity/connector/plugin"
	"github.com/millwright-dev/millwright/services/entity/connectors/limble"
	"github.com/millwright-dev/millwright/services/entity/connectors/maintainx"
	"github.com/millwright-dev/millwright/services/entity/connectors/maximo"
	"github.com/millwright-dev/millwright/services/entity/connectors/netsuite"
	"github.com/millwright-dev/millwright/services/entity/connectors/sap"
)

// builtinConnectors are the connectors compiled into the binary.
func builtinConnectors() []connector.Connector {
	return []connector.Connector{maximo.New(), maintainx.New(), limble.New(), sap.New(), netsuite.New()}
}

// launchPlugins starts the external connector binaries of
// --connector-plugins; each stops with the process.
func (e *env) launchPlugins(cl *closers) ([]connector.Connector, error) {
	var out []connector.Connector
	for _, path := range strings.Split(e.plugins, ",") {
		if path = strings.TrimSpace(path); path == "" {
			continue
		}
		c, stop, err := plugin.Launch(path)
		if err != nil {
			return nil, err
		}
		cl.add(stop)
		out = append(out, c)
	}
	return out, nil
}
