// Package requestid carries the id of one API request through the gateway and
// the services, so that every log line and error of that request share it.
package requestid

import (
	"context"
	"strings"

	"github.com/google/uuid"
	"google.golang.org/grpc/metadata"
)

// Header is the HTTP header and (lower-cased) gRPC metadata key.
const Header = "X-Request-Id"

// MetadataKey is the gRPC metadata key.
const MetadataKey = "x-request-id"

// The gRPC metadata keys in which the gateway passes a REST request's method
// and path to the services (for their request logs).
const (
	MetadataHTTPMethod = "x-millwright-http-method"
	MetadataHTTPPath   = "x-millwright-http-path"
)

type key struct{}

// New returns a fresh request id.
func New() string { return "req_" + strings.ReplaceAll(uuid.Must(uuid.NewV7()).String(), "-", "") }

// Valid reports whether a caller-supplied id may be kept: 1 to 128 printable
// ASCII characters without spaces.
func Valid(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return false
		}
	}
	return true
}

// With returns ctx carrying id.
func With(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, key{}, id)
}

// From returns the request id of ctx, or "".
func From(ctx context.Context) string {
	id, _ := ctx.Value(key{}).(string)
	return id
}

// FromIncoming returns the id in incoming gRPC metadata when it is valid,
// otherwise a new one.
func FromIncoming(ctx context.Context) string {
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get(MetadataKey); len(v) > 0 && Valid(v[0]) {
			return v[0]
		}
	}
	return New()
}

// Outgoing returns ctx with the request id of ctx in its outgoing gRPC
// metadata, so that a service calling another passes it on.
func Outgoing(ctx context.Context) context.Context {
	if id := From(ctx); id != "" {
		return metadata.AppendToOutgoingContext(ctx, MetadataKey, id)
	}
	return ctx
}
