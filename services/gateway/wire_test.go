package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/platform/pbjson"
)

// records is an entity service answering with fixed records: a List page
// holds one record as decoded fields and one as the entity service sends
// stored records, its encoding in the message's unknown fields with the
// times last.
type records struct {
	entityv1.UnimplementedEntityServiceServer
	page *entityv1.ListWorkOrdersResponse
	one  *entityv1.GetWorkOrderResponse
}

func (r *records) ListWorkOrders(context.Context, *entityv1.ListWorkOrdersRequest) (*entityv1.ListWorkOrdersResponse, error) {
	return r.page, nil
}

func (r *records) GetWorkOrder(context.Context, *entityv1.GetWorkOrderRequest) (*entityv1.GetWorkOrderResponse, error) {
	return r.one, nil
}

func workOrder(id string) *entityv1.WorkOrder {
	custom, err := structpb.NewStruct(map[string]any{
		"zone": "B \"east\"\n", "count": 3.5, "tags": []any{"a", nil, true, map[string]any{"k": 1e21}}, "empty": map[string]any{},
	})
	if err != nil {
		panic(err)
	}
	return &entityv1.WorkOrder{
		Id: id, RemoteId: "WO-" + id, Connection: "conn_1", Number: "1042", Title: "Replace seal ✓", Description: "</script>\u2028",
		Status: entityv1.WorkOrder_IN_PROGRESS, Priority: entityv1.WorkOrder_Priority(9), AssigneeIds: []string{"u1", "u2"},
		CreateTime: &timestamppb.Timestamp{Seconds: 1600000000, Nanos: 123456000}, DueTime: &timestamppb.Timestamp{Seconds: 1700000000, Nanos: 5e8},
		CustomFields: custom, EstimatedHours: "1.50",
	}
}

// asStored returns wo as the entity service sends a stored record: not
// decoded, its encoding (times last) in its unknown fields.
func asStored(wo *entityv1.WorkOrder) *entityv1.WorkOrder {
	times := &entityv1.WorkOrder{CreateTime: wo.CreateTime, DueTime: wo.DueTime}
	rest := proto.Clone(wo).(*entityv1.WorkOrder)
	rest.CreateTime, rest.DueTime = nil, nil
	a, _ := proto.Marshal(rest)
	b, _ := proto.Marshal(times)
	out := &entityv1.WorkOrder{}
	out.ProtoReflect().SetUnknown(append(a, b...))
	return out
}

// TestAnswersFromWireBytes serves List and Get through the gateway over
// real gRPC, and checks that the gateway keeps the answers as wire bytes
// and that the REST answers are protojson's encoding of the decoded
// answers, byte for byte.
func TestAnswersFromWireBytes(t *testing.T) {
	srv := &records{
		page: &entityv1.ListWorkOrdersResponse{WorkOrders: []*entityv1.WorkOrder{workOrder("wo_1"), asStored(workOrder("wo_2"))}, NextPageToken: "next"},
		one:  &entityv1.GetWorkOrderResponse{WorkOrder: asStored(workOrder("wo_3"))},
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	entityv1.RegisterEntityServiceServer(s, srv)
	healthpb.RegisterHealthServer(s, health.NewServer())
	go s.Serve(lis)
	t.Cleanup(s.Stop)
	addr := lis.Addr().String()

	g, err := New(context.Background(), Config{ConnectionAddr: addr, EntityAddr: addr, SyncAddr: addr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)

	// The gateway's connection keeps the answer undecoded.
	kept, err := entityv1.NewEntityServiceClient(g.conns["entity"]).ListWorkOrders(context.Background(), &entityv1.ListWorkOrdersRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(kept.GetWorkOrders()) != 0 || len(kept.ProtoReflect().GetUnknown()) == 0 {
		t.Fatalf("the gateway decoded the answer: %d work orders, %d unknown bytes", len(kept.GetWorkOrders()), len(kept.ProtoReflect().GetUnknown()))
	}

	// A plain client decodes it, as the gateway did before.
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	client := entityv1.NewEntityServiceClient(conn)
	page, err := client.ListWorkOrders(context.Background(), &entityv1.ListWorkOrdersRequest{})
	if err != nil {
		t.Fatal(err)
	}
	one, err := client.GetWorkOrder(context.Background(), &entityv1.GetWorkOrderRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if page.GetWorkOrders()[1].GetTitle() != "Replace seal ✓" || one.GetWorkOrder().GetId() != "wo_3" {
		t.Fatalf("decoded answers miss fields: %v %v", page, one)
	}

	for _, c := range []struct {
		path string
		want proto.Message
	}{
		{"/v1/connections/conn_1/workOrders", page},
		{"/v1/connections/conn_1/workOrders/wo_3", one},
	} {
		w := httptest.NewRecorder()
		g.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, c.path, nil))
		want, err := pbjson.Options.Marshal(c.want)
		if err != nil {
			t.Fatal(err)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, want); err != nil {
			t.Fatal(err)
		}
		if w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), compact.Bytes()) {
			t.Errorf("GET %s: %d\n%s\nwant protojson's\n%s", c.path, w.Code, w.Body.Bytes(), compact.Bytes())
		}
	}

	// Health checks are not kept: /healthz reads them.
	w := httptest.NewRecorder()
	g.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if w.Code != http.StatusOK {
		t.Errorf("/healthz: %d %s", w.Code, w.Body)
	}
}

// TestKeptTypes checks which answers are kept as wire bytes: the REST
// answers of the services, but not those grpc-gateway reads (a
// response_body selector), nor a type another method answers that way.
func TestKeptTypes(t *testing.T) {
	for _, m := range []proto.Message{&entityv1.ListWorkOrdersResponse{}, &entityv1.GetWorkOrderResponse{}, &connectionv1.GetAccountResponse{}} {
		if name := m.ProtoReflect().Descriptor().FullName(); !keptTypes[name] {
			t.Errorf("%s is decoded", name)
		}
	}
	if keptTypes["grpc.health.v1.HealthCheckResponse"] {
		t.Error("health answers are kept")
	}

	method := func(name, output, responseBody string) *descriptorpb.MethodDescriptorProto {
		opts := &descriptorpb.MethodOptions{}
		proto.SetExtension(opts, annotations.E_Http, &annotations.HttpRule{Pattern: &annotations.HttpRule_Get{Get: "/v1/" + name}, ResponseBody: responseBody})
		return &descriptorpb.MethodDescriptorProto{Name: proto.String(name), InputType: proto.String(".t.Req"), OutputType: proto.String(output), Options: opts}
	}
	msg := func(name string) *descriptorpb.DescriptorProto {
		return &descriptorpb.DescriptorProto{Name: proto.String(name), Field: []*descriptorpb.FieldDescriptorProto{{
			Name: proto.String("items"), Number: proto.Int32(1), Type: descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum(),
			Label: descriptorpb.FieldDescriptorProto_LABEL_REPEATED.Enum(), JsonName: proto.String("items"),
		}}}
	}
	file, err := protodesc.NewFile(&descriptorpb.FileDescriptorProto{
		Name: proto.String("t.proto"), Package: proto.String("t"), Syntax: proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{msg("Req"), msg("Whole"), msg("Selected"), msg("Both")},
		Service: []*descriptorpb.ServiceDescriptorProto{{Name: proto.String("S"), Method: []*descriptorpb.MethodDescriptorProto{
			method("Whole", ".t.Whole", ""), method("Selected", ".t.Selected", "items"),
			method("BothWhole", ".t.Both", ""), method("BothSelected", ".t.Both", "items"),
		}}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := answerTypes(file)
	want := map[protoreflect.FullName]bool{"t.Whole": true}
	if len(got) != len(want) || !got["t.Whole"] {
		t.Errorf("kept %v, want %v", got, want)
	}
}
