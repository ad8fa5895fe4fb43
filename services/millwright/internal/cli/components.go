package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/connection"
	"github.com/millwright-dev/millwright/services/entity"
	"github.com/millwright-dev/millwright/services/gateway"
	"github.com/millwright-dev/millwright/services/platform/auth"
	"github.com/millwright-dev/millwright/services/platform/grpcclient"
	"github.com/millwright-dev/millwright/services/platform/grpcproxy"
	"github.com/millwright-dev/millwright/services/platform/grpcserver"
	"github.com/millwright-dev/millwright/services/platform/secret"
	syncsvc "github.com/millwright-dev/millwright/services/sync"
)

// env is what every component is built from.
type env struct {
	common
	addrs
	key secret.Key
	log *slog.Logger
}

// task is one thing that runs until ctx is done.
type task func(ctx context.Context) error

// closers close what tasks opened, in reverse order.
type closers []func()

func (c *closers) add(f func()) { *c = append(*c, f) }

func (c closers) close() {
	for i := len(c) - 1; i >= 0; i-- {
		c[i]()
	}
}

// dial connects to another service with the internal credential.
func (e *env) dial(cl *closers, addr string) (*grpc.ClientConn, error) {
	conn, err := grpcclient.Dial(addr, auth.InternalCredential(e.key), grpcclient.DefaultRetry)
	if err != nil {
		return nil, err
	}
	cl.add(func() { conn.Close() })
	return conn, nil
}

// internalClient dials the connection service's internal API.
func (e *env) internalClient(cl *closers) (connectionv1.ConnectionInternalServiceClient, error) {
	conn, err := e.dial(cl, e.addrs.connection)
	if err != nil {
		return nil, err
	}
	return connectionv1.NewConnectionInternalServiceClient(conn), nil
}

// connectionService builds the connection service on its database.
func (e *env) connectionService(ctx context.Context, cl *closers) (*connection.Service, error) {
	public := e.publicURL
	if public == "" {
		public = "http://" + defaultGatewayAddr
	}
	if u, err := url.Parse(public); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef("--public-url (MILLWRIGHT_PUBLIC_URL) must be an http(s) URL such as https://api.example.com, not %q", public)
	}
	d, err := e.open(ctx, connection.Name, connection.Migrations)
	if err != nil {
		return nil, err
	}
	cl.add(func() { d.Close() })
	entityConn, err := e.dial(cl, e.addrs.entity)
	if err != nil {
		return nil, err
	}
	syncConn, err := e.dial(cl, e.addrs.sync)
	if err != nil {
		return nil, err
	}
	return connection.New(connection.Config{DB: d, Key: e.key, Log: e.log, Entity: entityConn, Sync: syncConn, AllowPrivateNetworks: e.private, PublicURL: public}), nil
}

func (e *env) entityService(ctx context.Context, cl *closers) (*entity.Service, error) {
	d, err := e.open(ctx, entity.Name, entity.Migrations)
	if err != nil {
		return nil, err
	}
	cl.add(func() { d.Close() })
	conns, err := e.internalClient(cl)
	if err != nil {
		return nil, err
	}
	external, err := e.launchPlugins(cl)
	if err != nil {
		return nil, err
	}
	s, err := entity.New(ctx, entity.Config{DB: d, Key: e.key, Log: e.log, Connections: conns, Connectors: builtinConnectors(), External: external, AllowPrivateNetworks: e.private})
	if err != nil {
		return nil, err
	}
	cl.add(s.Close)
	return s, nil
}

func (e *env) syncService(ctx context.Context, cl *closers) (*syncsvc.Service, error) {
	d, err := e.open(ctx, syncsvc.Name, syncsvc.Migrations)
	if err != nil {
		return nil, err
	}
	cl.add(func() { d.Close() })
	conns, err := e.internalClient(cl)
	if err != nil {
		return nil, err
	}
	entityConn, err := e.dial(cl, e.addrs.entity)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	return syncsvc.New(syncsvc.Config{
		DB: d, Key: e.key, Log: e.log, Connections: conns,
		Entities:  entityv1.NewEntityInternalServiceClient(entityConn),
		ReplicaID: host + "-" + strconv.Itoa(os.Getpid()),
	}), nil
}

// grpcTask listens now (so a busy port fails at start) and serves later.
func (e *env) grpcTask(s *grpcserver.Server, addr string) (task, error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return func(ctx context.Context) error { return s.Serve(ctx, lis, e.grace) }, nil
}

// httpTask listens now and serves h until ctx is done, then shuts down.
func (e *env) httpTask(name, addr string, h http.Handler) (task, error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	return func(ctx context.Context) error {
		errc := make(chan error, 1)
		go func() { errc <- srv.Serve(lis) }()
		e.log.Info("http listening", "server", name, "addr", lis.Addr().String())
		select {
		case err := <-errc:
			return err
		case <-ctx.Done():
		}
		sctx, cancel := context.WithTimeout(context.Background(), e.grace)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			return err
		}
		if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}, nil
}

// metricsTask serves /metrics alone, for a gRPC component.
func (e *env) metricsTask(addr string) (task, error) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.Handler())
	return e.httpTask("metrics", addr, mux)
}

func (e *env) gateway(ctx context.Context, cl *closers, g gatewayFlags) (*gateway.Gateway, error) {
	gw, err := gateway.New(ctx, gateway.Config{
		ConnectionAddr: e.addrs.connection,
		EntityAddr:     e.addrs.entity,
		SyncAddr:       e.addrs.sync,
		RateLimit:      g.rateLimit,
		RateBurst:      g.rateBurst,
		MaxBodyBytes:   int64(g.maxBodyBytes),
		Log:            e.log,
	})
	if err != nil {
		return nil, err
	}
	cl.add(gw.Close)
	return gw, nil
}

// publicTask serves the three public services on one address, forwarding
// each call by its service name with the caller's own credential.
func (e *env) publicTask(cl *closers, addr string) (task, error) {
	var b grpcproxy.Backends
	for _, to := range []struct {
		addr string
		conn *grpc.ClientConnInterface
	}{{e.addrs.connection, &b.Connection}, {e.addrs.entity, &b.Entity}, {e.addrs.sync, &b.Sync}} {
		cc, err := grpcclient.Dial(to.addr, "", grpcclient.DefaultRetry)
		if err != nil {
			return nil, err
		}
		cl.add(func() { cc.Close() })
		*to.conn = cc
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	proxy := grpcproxy.New(b)
	return func(ctx context.Context) error { return grpcproxy.Serve(ctx, proxy, lis, e.grace) }, nil
}

// run runs tasks until ctx is done or one fails.
func run(ctx context.Context, tasks []task) error {
	g, ctx := errgroup.WithContext(ctx)
	for _, t := range tasks {
		g.Go(func() error { return t(ctx) })
	}
	return g.Wait()
}
