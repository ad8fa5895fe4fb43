// Package connector is the connector SDK: the Go interface every connector
// implements, its gRPC adapters (the millwright.connector.v1 protocol, used
// in-process for built-in connectors and across processes for external
// ones), and the plumbing connectors share: an HTTP client with timeouts,
// retries of idempotent calls and a rate limit per connection, credential
// caching with single-flight refresh, and the classification of a system's
// failures into Millwright's error reasons.
//
// A connector is a mapping plus an HTTP client for one system. Records cross
// the interface in the unified shape, except that links (asset_id,
// vendor_id, part_id, ...) hold the system's keys.
package connector

import (
	"context"
	"time"

	connectorv1 "github.com/millwright-dev/millwright/gen/go/millwright/connector/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
)

// ProtocolVersion is the version of millwright.connector.v1 this SDK speaks.
const ProtocolVersion = 1

// Config is one connection's settings and credentials.
type Config struct {
	Connection  string
	Settings    map[string]string
	Credentials map[string]string
}

// ListRequest asks for one page of a collection's changes.
type ListRequest struct {
	Collection string
	// Cursor is what a previous complete listing returned; empty lists all.
	Cursor string
	// Since bounds a listing with an empty cursor (the history window).
	Since time.Time
	// PageToken is the previous page's NextPageToken.
	PageToken string
	// PageSize is a hint; 0 lets the connector choose.
	PageSize int
}

// Page is one page of changes.
type Page struct {
	Records []*connectorv1.Record
	// Deleted are keys of records the system reports deleted.
	Deleted []string
	// NextPageToken is empty on the last page.
	NextPageToken string
	// Cursor, on the last page, is where the next listing starts.
	Cursor string
}

// PassthroughRequest is a call to the system's own API.
type PassthroughRequest struct {
	Method  string
	Path    string
	Query   map[string]string
	Headers map[string]string
	Body    string
}

// PassthroughResponse is the system's raw answer.
type PassthroughResponse struct {
	StatusCode int
	Headers    map[string]string
	Body       string
}

// Connector is one system. Every method but Describe talks to the system;
// each returns *apierr.Error values with CONNECTED_SYSTEM_* reasons for the
// system's failures (see Classify), OPERATION_NOT_SUPPORTED for what the
// capability matrix does not claim, and NOT_FOUND for a missing record.
type Connector interface {
	// Describe returns the system's id, name, tier, fields and capabilities.
	Describe() *entityv1.System
	// Check verifies the system answers and accepts the credentials.
	Check(ctx context.Context, cfg Config) error
	// ListChanges returns one page of records changed since a cursor.
	ListChanges(ctx context.Context, cfg Config, req ListRequest) (Page, error)
	// Get returns one record.
	Get(ctx context.Context, cfg Config, collection, remoteID string) (*connectorv1.Record, error)
	// Create creates a record. The idempotency key goes to the system's own
	// duplicate guard, so that a retry returns the first record.
	Create(ctx context.Context, cfg Config, rec *connectorv1.Record, idempotencyKey string) (*connectorv1.Record, error)
	// Update changes the named unified fields of a record.
	Update(ctx context.Context, cfg Config, rec *connectorv1.Record, fields []string, idempotencyKey string) (*connectorv1.Record, error)
	// Delete deletes a record.
	Delete(ctx context.Context, cfg Config, collection, remoteID string) error
	// SetStatus sets a work order's or purchase order's unified status.
	SetStatus(ctx context.Context, cfg Config, collection, remoteID, status, note, idempotencyKey string) (*connectorv1.Record, error)
	// AdjustInventory adds delta (an exact decimal) to an inventory level.
	AdjustInventory(ctx context.Context, cfg Config, remoteID, delta, reason, idempotencyKey string) (*connectorv1.Record, error)
	// Passthrough calls the system's own API with the connection's
	// authentication. The path is relative to the base URL and must stay on
	// its host.
	Passthrough(ctx context.Context, cfg Config, req PassthroughRequest) (PassthroughResponse, error)
}
