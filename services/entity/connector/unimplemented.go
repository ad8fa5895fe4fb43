package connector

import (
	"context"

	connectorv1 "github.com/millwright-dev/millwright/gen/go/millwright/connector/v1"
	"github.com/millwright-dev/millwright/services/platform/apierr"
)

// Unimplemented refuses every operation with OPERATION_NOT_SUPPORTED. Embed
// it in a connector and implement what the system supports.
type Unimplemented struct{}

func notSupported(op, collection string) error {
	return apierr.New(apierr.OperationNotSupported, "the system does not support %s on %s", op, collection).With("collection", collection)
}

// ListChanges is not supported.
func (Unimplemented) ListChanges(_ context.Context, _ Config, req ListRequest) (Page, error) {
	return Page{}, notSupported("LIST", req.Collection)
}

// Get is not supported.
func (Unimplemented) Get(_ context.Context, _ Config, collection, _ string) (*connectorv1.Record, error) {
	return nil, notSupported("GET", collection)
}

// Create is not supported.
func (Unimplemented) Create(_ context.Context, _ Config, rec *connectorv1.Record, _ string) (*connectorv1.Record, error) {
	return nil, notSupported("CREATE", rec.GetCollection())
}

// Update is not supported.
func (Unimplemented) Update(_ context.Context, _ Config, rec *connectorv1.Record, _ []string, _ string) (*connectorv1.Record, error) {
	return nil, notSupported("UPDATE", rec.GetCollection())
}

// Delete is not supported.
func (Unimplemented) Delete(_ context.Context, _ Config, collection, _ string) error {
	return notSupported("DELETE", collection)
}

// SetStatus is not supported.
func (Unimplemented) SetStatus(_ context.Context, _ Config, collection, _, _, _, _ string) (*connectorv1.Record, error) {
	return nil, notSupported("SET_STATUS", collection)
}

// AdjustInventory is not supported.
func (Unimplemented) AdjustInventory(context.Context, Config, string, string, string, string) (*connectorv1.Record, error) {
	return nil, notSupported("ADJUST", "inventoryLevels")
}

// Passthrough is not supported.
func (Unimplemented) Passthrough(context.Context, Config, PassthroughRequest) (PassthroughResponse, error) {
	return PassthroughResponse{}, apierr.New(apierr.OperationNotSupported, "the system does not support passthrough")
}
