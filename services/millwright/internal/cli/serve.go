package cli

import (
	"context"
	"io"
	"os"

	"github.com/millwright-dev/millwright/services/platform/envflag"
)

func init() {
	register("serve", "run one component: connection, entity, sync or gateway (production)", serve)
}

var componentDefaults = map[string]string{
	"connection": defaultConnectionAddr,
	"entity":     defaultEntityAddr,
	"sync":       defaultSyncAddr,
	"gateway":    defaultGatewayAddr,
}

func serve(ctx context.Context, args []string, _, errOut io.Writer) error {
	if len(args) == 0 || componentDefaults[args[0]] == "" {
		return usagef("which component? millwright serve connection|entity|sync|gateway [flags]")
	}
	component := args[0]
	var e env
	var gw gatewayFlags
	var listen, metricsAddr string
	fs := envflag.NewSet("serve " + component)
	e.common.define(fs)
	e.addrs.define(fs)
	fs.String(&listen, "listen", "", "address this component listens on (default: its own *-addr)")
	fs.String(&metricsAddr, "metrics-addr", "", "HTTP address serving /metrics for a gRPC component (the gateway serves /metrics itself)")
	if component == "gateway" {
		gw.define(fs)
	}
	if err := parse(fs, args[1:], errOut); err != nil {
		return err
	}
	log, err := e.logger(os.Stderr)
	if err != nil {
		return usageError{err.Error()}
	}
	e.log = log.With("component", component)
	if component != "gateway" {
		if e.key, err = e.common.key(false); err != nil {
			return err
		}
		if e.databaseURL == "" {
			e.log.Warn("no --database-url: using SQLite files in the data directory; replicas of this component will not share data", "data_dir", e.dataDir)
		}
	}
	var cl closers
	defer cl.close()

	var tasks []task
	var t task
	switch component {
	case "gateway":
		if listen == "" {
			listen = gw.addr
		}
		g, err := e.gateway(ctx, &cl, gw)
		if err != nil {
			return err
		}
		t, err = e.httpTask("gateway", listen, g.Handler())
		if err != nil {
			return err
		}
		tasks = append(tasks, t)
	default:
		if listen == "" {
			listen = map[string]string{"connection": e.addrs.connection, "entity": e.addrs.entity, "sync": e.addrs.sync}[component]
		}
		ts, err := e.component(ctx, &cl, component, listen)
		if err != nil {
			return err
		}
		tasks = append(tasks, ts...)
		if metricsAddr != "" {
			m, err := e.metricsTask(metricsAddr)
			if err != nil {
				return err
			}
			tasks = append(tasks, m)
		}
	}
	return run(ctx, tasks)
}

// component builds one gRPC service and returns the tasks serving it and
// running its background work.
func (e *env) component(ctx context.Context, cl *closers, name, listen string) ([]task, error) {
	switch name {
	case "connection":
		s, err := e.connectionService(ctx, cl)
		if err != nil {
			return nil, err
		}
		t, err := e.grpcTask(s.GRPCServer(), listen)
		return []task{t, s.Run}, err
	case "entity":
		s, err := e.entityService(ctx, cl)
		if err != nil {
			return nil, err
		}
		t, err := e.grpcTask(s.GRPCServer(), listen)
		return []task{t, s.Run}, err
	default:
		s, err := e.syncService(ctx, cl)
		if err != nil {
			return nil, err
		}
		t, err := e.grpcTask(s.GRPCServer(), listen)
		return []task{t, s.Run}, err
	}
}
