// Command createpurchaseorder creates a purchase order in whatever system
// a connection is to (SAP, NetSuite, Maximo ...) with the same call.
//
//	MILLWRIGHT_TARGET=127.0.0.1:9090 MILLWRIGHT_INSECURE=1 \
//	MILLWRIGHT_API_KEY=mw_sk_... go run ./examples/createpurchaseorder conn_... vendor_id part_id
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	millwright "github.com/millwright-dev/millwright/client"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
)

func main() {
	if len(os.Args) != 4 {
		log.Fatal("usage: createpurchaseorder <connection id> <vendor id> <part id>")
	}
	opts := []millwright.Option{millwright.WithAPIKey(os.Getenv("MILLWRIGHT_API_KEY"))}
	if os.Getenv("MILLWRIGHT_INSECURE") == "1" {
		opts = append(opts, millwright.WithInsecure())
	}
	ctx := context.Background()
	c, err := millwright.New(ctx, os.Getenv("MILLWRIGHT_TARGET"), opts...)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	po, err := create(ctx, c, os.Args[1], os.Args[2], os.Args[3])
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("created %s (remote id %s)\n", po.GetId(), po.GetRemoteId())
}

// create creates a one-line draft purchase order. The SDK gives the write
// a request_id, so its retries (the system was briefly unreachable, say)
// never create a second order; the whole call gets 30 seconds.
func create(ctx context.Context, c *millwright.Client, connection, vendorID, partID string) (*entityv1.PurchaseOrder, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	resp, err := c.Entities.CreatePurchaseOrder(ctx, &entityv1.CreatePurchaseOrderRequest{
		Connection: connection,
		PurchaseOrder: &entityv1.PurchaseOrder{
			VendorId:     vendorID,
			Status:       entityv1.PurchaseOrder_DRAFT,
			CurrencyCode: "EUR",
			LineItems: []*entityv1.PurchaseOrderLine{{
				LineNumber: 1, PartId: partID, Quantity: "4",
				UnitPrice: &entityv1.Money{CurrencyCode: "EUR", Amount: "12.50"},
			}},
		},
	})
	switch {
	case err == nil:
		return resp.GetPurchaseOrder(), nil
	case millwright.IsConnectedSystemUnavailable(err):
		return nil, fmt.Errorf("the connected system is unreachable; try again later (request %s): %w", millwright.RequestID(err), err)
	case millwright.Reason(err) == millwright.ReasonOperationNotSupported:
		return nil, fmt.Errorf("this system does not support creating purchase orders: %w", err)
	default:
		return nil, err
	}
}
