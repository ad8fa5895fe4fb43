package main

import (
	"context"
	"errors"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	millwright "github.com/millwright-dev/millwright/client"
	"github.com/millwright-dev/millwright/client/millwrighttest"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
)

// fake fails the first create as unreachable, then stores the order once
// per request_id, as the entity service does.
type fake struct {
	entityv1.UnimplementedEntityServiceServer
	mu      sync.Mutex
	calls   int
	created map[string]*entityv1.PurchaseOrder
}

func (f *fake) CreatePurchaseOrder(_ context.Context, req *entityv1.CreatePurchaseOrderRequest) (*entityv1.CreatePurchaseOrderResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.calls == 1 {
		return nil, status.Error(codes.Unavailable, "unreachable")
	}
	if po, ok := f.created[req.GetRequestId()]; ok {
		return &entityv1.CreatePurchaseOrderResponse{PurchaseOrder: po}, nil
	}
	po := req.GetPurchaseOrder()
	po.Id, po.RemoteId = "po_1", "4500000001"
	f.created[req.GetRequestId()] = po
	return &entityv1.CreatePurchaseOrderResponse{PurchaseOrder: po}, nil
}

func TestCreate(t *testing.T) {
	f := &fake{created: map[string]*entityv1.PurchaseOrder{}}
	addr := millwrighttest.Serve(t, millwrighttest.Services{Entity: f})
	c, err := millwright.New(context.Background(), addr, millwright.WithInsecure(), millwright.WithRetryPolicy(millwright.RetryPolicy{MaxAttempts: 3, BaseDelay: 1}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	po, err := create(context.Background(), c, "conn_1", "vendor_1", "part_1")
	if err != nil {
		t.Fatal(err)
	}
	if po.GetId() != "po_1" || po.GetLineItems()[0].GetPartId() != "part_1" || f.calls != 2 || len(f.created) != 1 {
		t.Fatalf("po = %v after %d calls, %d created", po, f.calls, len(f.created))
	}
}

func TestCreateUnsupported(t *testing.T) {
	addr := millwrighttest.Serve(t, millwrighttest.Services{Entity: &entityv1.UnimplementedEntityServiceServer{}})
	c, err := millwright.New(context.Background(), addr, millwright.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = create(context.Background(), c, "conn_1", "vendor_1", "part_1")
	var e *millwright.Error
	if !errors.As(err, &e) || e.Code != codes.Unimplemented {
		t.Fatalf("err = %v", err)
	}
}
