// Package gateway is Millwright's REST gateway: it serves the v1 REST API
// (grpc-gateway, dialing the three services exactly as any gRPC client
// would), the dashboard at /, the Link page at /link/, /openapi.json,
// /healthz and /metrics, with a request id on every response and a rate
// limit per credential.
package gateway

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	syncv1 "github.com/millwright-dev/millwright/gen/go/millwright/sync/v1"
	"github.com/millwright-dev/millwright/gen/openapi"
	"github.com/millwright-dev/millwright/services/gateway/web/dashboard"
	"github.com/millwright-dev/millwright/services/gateway/web/link"
	"github.com/millwright-dev/millwright/services/platform/grpcclient"
	"github.com/millwright-dev/millwright/services/platform/pbjson"
	"github.com/millwright-dev/millwright/services/platform/requestid"
)

// Config configures the gateway.
type Config struct {
	ConnectionAddr string
	EntityAddr     string
	SyncAddr       string
	// RateLimit is the sustained requests per second of one credential; 0
	// turns the limit off. RateBurst is the bucket's size.
	RateLimit float64
	RateBurst int
	// MaxBodyBytes caps a request body.
	MaxBodyBytes int64
	Log          *slog.Logger
}

// marshaler writes and reads JSON with the proto field names
// (`display_name`), emits unset fields, and refuses unknown fields.
var marshaler = &runtime.HTTPBodyMarshaler{Marshaler: jsonMarshaler{&runtime.JSONPb{
	MarshalOptions:   pbjson.Options,
	UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
}}}

// jsonMarshaler encodes messages with pbjson, which writes what protojson
// writes, faster, and an answer kept as wire bytes from those (see
// wireCodec); the rest is runtime.JSONPb's.
type jsonMarshaler struct{ *runtime.JSONPb }

func (j jsonMarshaler) Marshal(v any) ([]byte, error) {
	if m, ok := v.(proto.Message); ok {
		if wire, ok := keptWire(m); ok {
			return pbjson.AppendWire(nil, m.ProtoReflect().Descriptor(), wire)
		}
		return pbjson.Marshal(m)
	}
	return j.JSONPb.Marshal(v)
}

// Gateway is the REST gateway.
type Gateway struct {
	cfg     Config
	conns   map[string]*grpc.ClientConn
	handler http.Handler
}

// New dials the services and builds the handler. Dialing is lazy: the
// services may start after the gateway.
func New(ctx context.Context, cfg Config) (*Gateway, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	g := &Gateway{cfg: cfg, conns: map[string]*grpc.ClientConn{}}
	mux := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, marshaler),
		runtime.WithIncomingHeaderMatcher(incomingHeader),
		runtime.WithOutgoingHeaderMatcher(outgoingHeader),
		runtime.WithErrorHandler(errorHandler),
		runtime.WithRoutingErrorHandler(routingErrorHandler),
		runtime.WithDisablePathLengthFallback(),
		runtime.WithMetadata(restRequest),
	)
	services := []struct {
		name     string
		addr     string
		register func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error
	}{
		{"connection", cfg.ConnectionAddr, connectionv1.RegisterConnectionServiceHandler},
		{"entity", cfg.EntityAddr, entityv1.RegisterEntityServiceHandler},
		{"sync", cfg.SyncAddr, syncv1.RegisterSyncServiceHandler},
	}
	for _, s := range services {
		conn, err := grpcclient.Dial(s.addr, "", grpcclient.DefaultRetry, keepAnswers)
		if err != nil {
			g.Close()
			return nil, err
		}
		g.conns[s.name] = conn
		if err := s.register(ctx, mux, conn); err != nil {
			g.Close()
			return nil, err
		}
	}

	root := http.NewServeMux()
	root.Handle("/v1/", newLimiter(cfg.RateLimit, cfg.RateBurst).middleware(limitBody(cfg.MaxBodyBytes, mux)))
	root.HandleFunc("GET /openapi.json", serveOpenAPI)
	root.HandleFunc("GET /healthz", g.healthz)
	root.Handle("GET /metrics", promhttp.Handler())
	root.Handle("/", dashboard.Handler())
	root.Handle("/link/", link.Handler())
	g.handler = withRequestID(root)
	return g, nil
}

// Handler is the gateway's HTTP handler.
func (g *Gateway) Handler() http.Handler { return g.handler }

// Close closes the connections to the services.
func (g *Gateway) Close() {
	for _, c := range g.conns {
		c.Close()
	}
}

// incomingHeader passes the request id and idempotency key to the services,
// besides the headers grpc-gateway passes by default (Authorization, ...).
func incomingHeader(key string) (string, bool) {
	switch strings.ToLower(key) {
	case "x-request-id":
		return requestid.MetadataKey, true
	case "idempotency-key":
		return "idempotency-key", true
	}
	return runtime.DefaultHeaderMatcher(key)
}

// restRequest passes a REST request's method and path (not its query, which
// may carry filters) to the services, for their request logs.
func restRequest(_ context.Context, r *http.Request) metadata.MD {
	return metadata.Pairs(requestid.MetadataHTTPMethod, r.Method, requestid.MetadataHTTPPath, r.URL.Path)
}

// outgoingHeader drops the services' response metadata: the gateway sets
// X-Request-Id itself.
func outgoingHeader(string) (string, bool) { return "", false }

// withRequestID keeps a valid caller-supplied X-Request-Id or makes one, sets
// it on the response, and passes it on to the services.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(requestid.Header)
		if !requestid.Valid(id) {
			id = requestid.New()
			r.Header.Set(requestid.Header, id)
		}
		w.Header().Set(requestid.Header, id)
		next.ServeHTTP(w, r.WithContext(requestid.With(r.Context(), id)))
	})
}

// limitBody caps request bodies.
func limitBody(n int64, next http.Handler) http.Handler {
	if n <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > n {
			writeError(w, r, bodyTooLarge(n))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, n)
		next.ServeHTTP(w, r)
	})
}

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openapi.JSON)
}

// healthz answers 200 when every service reports SERVING, else 503, with
// each service's state.
func (g *Gateway) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	states := map[string]string{}
	ok := true
	for name, conn := range g.conns {
		resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
		switch {
		case err != nil:
			states[name] = "UNREACHABLE"
			ok = false
		default:
			states[name] = resp.GetStatus().String()
			ok = ok && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING
		}
	}
	code, overall := http.StatusOK, "SERVING"
	if !ok {
		code, overall = http.StatusServiceUnavailable, "NOT_SERVING"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"status": overall, "services": states})
}
