package cli

import (
	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/entity/connectors/maximo"
)

// builtinConnectors are the connectors compiled into the binary.
func builtinConnectors() []connector.Connector {
	return []connector.Connector{maximo.New()}
}
