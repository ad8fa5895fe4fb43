package cli

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	"github.com/millwright-dev/millwright/services/platform/envflag"
	"github.com/millwright-dev/millwright/services/platform/grpcclient"
)

// runningSimulator is a simulator dev started.
type runningSimulator struct {
	name    string
	baseURL string
	sim     simulated
	task    task
}

// parseSimulators reads --simulators: "maximo,sap=127.0.0.1:9700" or "none".
func parseSimulators(spec string) ([][2]string, error) {
	var out [][2]string
	if spec == "none" || spec == "" {
		return nil, nil
	}
	for _, item := range strings.Split(spec, ",") {
		name, addr, _ := strings.Cut(strings.TrimSpace(item), "=")
		def, ok := simulators[name]
		if !ok {
			return nil, usagef("--simulators: no simulator %q; there are %s", name, strings.Join(simulatorNames(), ", "))
		}
		if addr == "" {
			addr = def.addr
		}
		out = append(out, [2]string{name, addr})
	}
	return out, nil
}

// startSimulators starts simulators (name and address), each with its
// default plant.
func (e *env) startSimulators(cl *closers, which [][2]string) ([]runningSimulator, error) {
	var out []runningSimulator
	for _, w := range which {
		name, addr := w[0], w[1]
		sim := simulators[name].define(envflag.NewSet(name))()
		lis, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("simulator %s: listen on %s: %w", name, addr, err)
		}
		srv := &http.Server{Handler: sim.handler, ReadHeaderTimeout: 10 * time.Second}
		cl.add(func() { srv.Close() })
		out = append(out, runningSimulator{name: name, baseURL: "http://" + lis.Addr().String(), sim: sim, task: func(ctx context.Context) error {
			go func() { <-ctx.Done(); srv.Close() }()
			if err := srv.Serve(lis); err != http.ErrServerClosed {
				return err
			}
			return nil
		}})
	}
	return out, nil
}

func simulatorLines(sims []runningSimulator) string {
	var b strings.Builder
	for _, s := range sims {
		fmt.Fprintf(&b, "  %-16s %s (simulator)\n", s.name, s.baseURL)
	}
	return b.String()
}

// seedDemoConnections connects the demo account to each simulator it has no
// connection to yet, through the API as a user would.
func (e *env) seedDemoConnections(ctx context.Context, key string, sims []runningSimulator) {
	if key == "" {
		return
	}
	conn, err := grpcclient.Dial(e.addrs.connection, key, grpcclient.DefaultRetry)
	if err != nil {
		e.log.Warn("seed demo connections", "error", err)
		return
	}
	defer conn.Close()
	client := connectionv1.NewConnectionServiceClient(conn)
	for _, s := range sims {
		for attempt := 0; ; attempt++ {
			err := e.seedOne(ctx, client, s)
			if err == nil || ctx.Err() != nil {
				break
			}
			if attempt == 20 {
				e.log.Warn("seed demo connection", "system", s.name, "error", err)
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
}

func (e *env) seedOne(ctx context.Context, client connectionv1.ConnectionServiceClient, s runningSimulator) error {
	list, err := client.ListConnections(ctx, &connectionv1.ListConnectionsRequest{System: s.name, PageSize: 1})
	if err != nil {
		return err
	}
	if len(list.GetConnections()) > 0 {
		return nil
	}
	settings, creds := s.sim.connection(s.baseURL)
	resp, err := client.CreateConnection(ctx, &connectionv1.CreateConnectionRequest{
		Connection: &connectionv1.Connection{System: s.name, DisplayName: "Demo " + s.name, Settings: settings, Credentials: creds},
		RequestId:  "dev-demo-" + s.name,
	})
	if err != nil {
		return err
	}
	e.log.Info("demo connection created", "system", s.name, "connection", resp.GetConnection().GetId())
	return nil
}
