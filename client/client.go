// Package millwright is the Go client of Millwright, the unified API for
// industrial systems: one API over the CMMS/EAM and ERP systems plants run
// on (SAP S/4HANA, NetSuite, Maximo, MaintainX ...).
//
//	c, err := millwright.New(ctx, "api.millwright.dev:443", millwright.WithAPIKey(os.Getenv("MILLWRIGHT_API_KEY")))
//	...
//	for wo, err := range c.WorkOrders(ctx, connectionID, millwright.WithFilter(`status = "OPEN"`)) {
//		...
//	}
//
// Every call retries transient failures (UNAVAILABLE, rate limits, an
// unreachable connected system) with exponential backoff and full jitter,
// honouring the server's RetryInfo and never past the caller's deadline.
// Writes are retried only with a request_id; the SDK sets one when the
// request has none, so a retried create never writes twice. Every error is
// an *Error (errors.As) carrying the API's stable reason and request id.
package millwright

import (
	"context"
	"crypto/tls"
	"errors"
	mrand "math/rand/v2"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	syncv1 "github.com/millwright-dev/millwright/gen/go/millwright/sync/v1"
)

// Client is a Millwright API client. Its typed clients are the generated
// gRPC ones, behind the SDK's retries and errors. It is safe for
// concurrent use; Close it when done.
type Client struct {
	Connections connectionv1.ConnectionServiceClient // account, connections, events, webhooks, Link
	Entities    entityv1.EntityServiceClient         // systems and unified records
	Sync        syncv1.SyncServiceClient             // sync settings, runs, status

	conns []*grpc.ClientConn
}

type config struct {
	credential string
	insecure   bool
	addrs      *[3]string // connection, entity, sync
	retry      RetryPolicy
	clock      Clock
	dialOpts   []grpc.DialOption
}

// Option configures New.
type Option func(*config)

// WithAPIKey authenticates with an account API key (mw_sk_...).
func WithAPIKey(key string) Option { return func(c *config) { c.credential = key } }

// WithToken authenticates with a connection token (mw_ct_...).
func WithToken(token string) Option { return func(c *config) { c.credential = token } }

// WithInsecure talks plaintext gRPC, for a local `millwright dev`. The
// default is TLS with the system's roots.
func WithInsecure() Option { return func(c *config) { c.insecure = true } }

// WithServiceAddrs dials each service at its own address instead of one
// target for all three.
func WithServiceAddrs(connection, entity, sync string) Option {
	return func(c *config) { c.addrs = &[3]string{connection, entity, sync} }
}

// WithRetryPolicy replaces DefaultRetryPolicy.
func WithRetryPolicy(p RetryPolicy) Option { return func(c *config) { c.retry = p } }

// WithClock replaces the wall clock that times retries (for tests).
func WithClock(clk Clock) Option { return func(c *config) { c.clock = clk } }

// WithDialOptions adds gRPC dial options (interceptors, keepalive ...).
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(c *config) { c.dialOpts = append(c.dialOpts, opts...) }
}

// New returns a client of the API at target (host:port), or of the three
// services at the addresses of WithServiceAddrs. It does not connect yet:
// connections are made on the first call. ctx is not retained.
func New(ctx context.Context, target string, opts ...Option) (*Client, error) {
	cfg := config{retry: DefaultRetryPolicy, clock: realClock{}}
	for _, o := range opts {
		o(&cfg)
	}
	if err := ctx.Err(); err != nil {
		return nil, toError(err, nil)
	}
	addrs := [3]string{target, target, target}
	if cfg.addrs != nil {
		addrs = *cfg.addrs
	}
	for _, a := range addrs {
		if a == "" {
			return nil, &Error{Code: codes.InvalidArgument, Reason: ReasonInvalidArgument, Message: "no target: give New a host:port or use WithServiceAddrs"}
		}
	}
	r := &retrying{policy: cfg.retry, clock: cfg.clock, jitter: mrand.Int64N}
	dial := []grpc.DialOption{grpc.WithChainUnaryInterceptor(r.intercept)}
	if cfg.insecure {
		dial = append(dial, grpc.WithTransportCredentials(insecure.NewCredentials()))
	} else {
		dial = append(dial, grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12})))
	}
	if cfg.credential != "" {
		dial = append(dial, grpc.WithPerRPCCredentials(bearer{cred: cfg.credential, tls: !cfg.insecure}))
	}
	dial = append(dial, cfg.dialOpts...)

	c := &Client{}
	byAddr := map[string]*grpc.ClientConn{}
	conn := func(addr string) (*grpc.ClientConn, error) {
		if cc, ok := byAddr[addr]; ok {
			return cc, nil
		}
		cc, err := grpc.NewClient(addr, dial...)
		if err != nil {
			return nil, err
		}
		byAddr[addr] = cc
		c.conns = append(c.conns, cc)
		return cc, nil
	}
	var ccs [3]*grpc.ClientConn
	for i, a := range addrs {
		cc, err := conn(a)
		if err != nil {
			c.Close()
			return nil, &Error{Code: codes.InvalidArgument, Reason: ReasonInvalidArgument, Message: "target " + a + ": " + err.Error()}
		}
		ccs[i] = cc
	}
	c.Connections = connectionv1.NewConnectionServiceClient(ccs[0])
	c.Entities = entityv1.NewEntityServiceClient(ccs[1])
	c.Sync = syncv1.NewSyncServiceClient(ccs[2])
	return c, nil
}

// Close closes the client's connections.
func (c *Client) Close() error {
	var errs []error
	for _, cc := range c.conns {
		errs = append(errs, cc.Close())
	}
	c.conns = nil
	return errors.Join(errs...)
}

// bearer sends the credential as "authorization: Bearer ...".
type bearer struct {
	cred string
	tls  bool
}

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + b.cred}, nil
}

func (b bearer) RequireTransportSecurity() bool { return b.tls }
