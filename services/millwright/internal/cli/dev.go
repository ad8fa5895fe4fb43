package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/millwright-dev/millwright/services/platform/envflag"
)

func init() {
	register("dev", "run everything on loopback with a demo account (SQLite by default)", dev)
}

const (
	demoAccountName    = "Demo"
	demoAccountCredits = 20
)

func dev(ctx context.Context, args []string, out, errOut io.Writer) error {
	var e env
	var gw gatewayFlags
	var devKey, sims, public, pprofAddr string
	fs := envflag.NewSet("dev")
	e.common.define(fs)
	e.addrs.define(fs)
	gw.define(fs)
	_ = fs.FlagSet.Set("allow-private-networks", "true") // dev connects to its own simulators on loopback
	fs.String(&devKey, "dev-api-key", "", "API key of the demo account (mw_sk_ and at least 32 letters and digits); default: a generated one, kept in <data dir>/demo-api-key")
	fs.String(&pprofAddr, "pprof-addr", "", "HTTP address serving Go's /debug/pprof profiles of the process (off when empty)")
	fs.String(&public, "public-addr", defaultTarget, "gRPC address serving the three public services together (routed by service name)")
	fs.String(&sims, "simulators", strings.Join(simulatorNames(), ","), "simulators to run and connect the demo account to: names, each optionally =HOST:PORT (default addresses 127.0.0.1:9601 and up); \"none\" runs none")
	if err := parse(fs, args, errOut); err != nil {
		return err
	}
	if e.publicURL == "" {
		e.publicURL = "http://" + gw.addr
	}
	simAddrs, err := parseSimulators(sims)
	if err != nil {
		return err
	}
	log, err := e.logger(errOut)
	if err != nil {
		return usageError{err.Error()}
	}
	e.log = log
	if e.key, err = e.common.key(true); err != nil {
		return err
	}
	var cl closers
	defer cl.close()

	conn, err := e.connectionService(ctx, &cl)
	if err != nil {
		return err
	}
	keyFile := filepath.Join(e.dataDir, "demo-api-key")
	if devKey == "" {
		devKey = readKeyFile(keyFile)
	}
	demo, err := conn.EnsureAccount(ctx, demoAccountName, demoAccountCredits, devKey)
	if err != nil {
		return fmt.Errorf("demo account: %w", err)
	}
	if demo.APIKey != "" {
		if err := os.WriteFile(keyFile, []byte(demo.APIKey+"\n"), 0o600); err != nil {
			return err
		}
	}

	var tasks []task
	t, err := e.grpcTask(conn.GRPCServer(), e.addrs.connection)
	if err != nil {
		return err
	}
	tasks = append(tasks, t, conn.Run)
	for _, name := range []string{"entity", "sync"} {
		addr := map[string]string{"entity": e.addrs.entity, "sync": e.addrs.sync}[name]
		ts, err := e.component(ctx, &cl, name, addr)
		if err != nil {
			return err
		}
		tasks = append(tasks, ts...)
	}
	g, err := e.gateway(ctx, &cl, gw)
	if err != nil {
		return err
	}
	if t, err = e.httpTask("gateway", gw.addr, g.Handler()); err != nil {
		return err
	}
	tasks = append(tasks, t)
	if t, err = e.publicTask(&cl, public); err != nil {
		return err
	}
	tasks = append(tasks, t)
	if pprofAddr != "" {
		if t, err = e.httpTask("pprof", pprofAddr, pprofHandler()); err != nil {
			return err
		}
		tasks = append(tasks, t)
	}

	running, err := e.startSimulators(&cl, simAddrs)
	if err != nil {
		return err
	}
	for _, sim := range running {
		tasks = append(tasks, sim.task)
	}
	tasks = append(tasks, func(ctx context.Context) error {
		e.seedDemoConnections(ctx, demo.APIKey, running)
		return nil
	})

	printBanner(out, e, gw.addr, public, demo.APIKey, keyFile, running)
	return run(ctx, tasks)
}

func readKeyFile(path string) string {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func printBanner(w io.Writer, e env, gatewayAddr, publicAddr, key, keyFile string, sims []runningSimulator) {
	shown := key
	if shown == "" {
		shown = "(kept only as a hash; set MILLWRIGHT_DEV_API_KEY to choose one)"
	}
	fmt.Fprintf(w, `
Millwright is running (data in %s, Ctrl-C stops it).

  dashboard        http://%s/   (sign in with the API key below)
  REST gateway     http://%s   (OpenAPI: http://%s/openapi.json)
  public gRPC      %s   (the three services below, together)
  connection gRPC  %s
  entity gRPC      %s
  sync gRPC        %s
%s
Demo account API key (also in %s):
  %s

Try:
  export MILLWRIGHT_API_KEY=$(cat %s)
  curl -H "Authorization: Bearer $MILLWRIGHT_API_KEY" http://%s/v1/account
  grpcurl -plaintext -H "authorization: Bearer $MILLWRIGHT_API_KEY" %s millwright.connection.v1.ConnectionService/GetAccount

`, e.dataDir, gatewayAddr, gatewayAddr, gatewayAddr, publicAddr, e.addrs.connection, e.addrs.entity, e.addrs.sync, simulatorLines(sims), keyFile, shown, keyFile, gatewayAddr, publicAddr)
}
