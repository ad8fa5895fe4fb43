package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/millwright-dev/millwright/client/millwrighttest"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
)

type fake struct {
	entityv1.UnimplementedEntityServiceServer
	filters []string
}

func (f *fake) ListWorkOrders(_ context.Context, req *entityv1.ListWorkOrdersRequest) (*entityv1.ListWorkOrdersResponse, error) {
	f.filters = append(f.filters, req.GetFilter())
	if req.GetPageToken() == "" {
		return &entityv1.ListWorkOrdersResponse{WorkOrders: []*entityv1.WorkOrder{{Id: "wo_1", Title: "Replace belt", Status: entityv1.WorkOrder_OPEN}}, NextPageToken: "next"}, nil
	}
	return &entityv1.ListWorkOrdersResponse{WorkOrders: []*entityv1.WorkOrder{{Id: "wo_2", Title: "Grease bearing", Status: entityv1.WorkOrder_OPEN}}}, nil
}

func TestListOpen(t *testing.T) {
	f := &fake{}
	t.Setenv("MILLWRIGHT_TARGET", millwrighttest.Serve(t, millwrighttest.Services{Entity: f}))
	t.Setenv("MILLWRIGHT_API_KEY", "mw_sk_test")
	t.Setenv("MILLWRIGHT_INSECURE", "1")
	c, err := dial(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var out bytes.Buffer
	if err := listOpen(context.Background(), c, "conn_1", &out); err != nil {
		t.Fatal(err)
	}
	want := "wo_1\tOPEN\tReplace belt\nwo_2\tOPEN\tGrease bearing\n2 open work orders\n"
	if out.String() != want {
		t.Fatalf("output:\n%s\nwant:\n%s", out.String(), want)
	}
	if len(f.filters) != 2 || f.filters[1] != `status = "OPEN"` {
		t.Fatalf("filters = %q", f.filters)
	}
}
