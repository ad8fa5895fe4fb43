// Command listworkorders prints a connection's open work orders, every
// page of them.
//
//	MILLWRIGHT_TARGET=127.0.0.1:9090 MILLWRIGHT_INSECURE=1 \
//	MILLWRIGHT_API_KEY=mw_sk_... go run ./examples/listworkorders conn_...
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"

	millwright "github.com/millwright-dev/millwright/client"
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: listworkorders <connection id>")
	}
	ctx := context.Background()
	c, err := dial(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if err := listOpen(ctx, c, os.Args[1], os.Stdout); err != nil {
		log.Fatalf("%v (request id %s)", err, millwright.RequestID(err))
	}
}

// dial builds a client from MILLWRIGHT_TARGET, MILLWRIGHT_API_KEY and,
// for a local `millwright dev`, MILLWRIGHT_INSECURE=1.
func dial(ctx context.Context) (*millwright.Client, error) {
	opts := []millwright.Option{millwright.WithAPIKey(os.Getenv("MILLWRIGHT_API_KEY"))}
	if os.Getenv("MILLWRIGHT_INSECURE") == "1" {
		opts = append(opts, millwright.WithInsecure())
	}
	return millwright.New(ctx, os.Getenv("MILLWRIGHT_TARGET"), opts...)
}

// listOpen writes one line per open work order.
func listOpen(ctx context.Context, c *millwright.Client, connection string, w io.Writer) error {
	n := 0
	for wo, err := range c.WorkOrders(ctx, connection, millwright.WithFilter(`status = "OPEN"`), millwright.WithPageSize(100)) {
		if err != nil {
			return err
		}
		n++
		fmt.Fprintf(w, "%s\t%s\t%s\n", wo.GetId(), wo.GetStatus(), wo.GetTitle())
	}
	fmt.Fprintf(w, "%d open work orders\n", n)
	return nil
}
