package auth_test

import (
	"context"
	"errors"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/platform/apierr"
	"github.com/millwright-dev/millwright/services/platform/auth"
)

// TestLinkSecretOpensOnlyTheLinkPagesMethods: a link session's secret may
// show its session, describe systems and connect one, and nothing else; and
// it never passes for an account key.
func TestLinkSecretOpensOnlyTheLinkPagesMethods(t *testing.T) {
	p := auth.Policy{Authenticate: func(context.Context, string, string) (auth.Principal, error) {
		return auth.Principal{Account: "acct_1", LinkSession: "link_1"}, nil
	}}
	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", "Bearer mw_ls_secret"))
	call := func(method string) (auth.Principal, error) {
		var got auth.Principal
		_, err := p.Unary(ctx, &connectionv1.GetLinkSessionRequest{LinkSession: "link_1"}, &grpc.UnaryServerInfo{FullMethod: method}, func(ctx context.Context, _ any) (any, error) {
			got, _ = auth.From(ctx)
			return nil, nil
		})
		return got, err
	}
	for _, m := range []string{
		connectionv1.ConnectionService_GetLinkSession_FullMethodName,
		connectionv1.ConnectionService_ConnectLinkSession_FullMethodName,
		entityv1.EntityService_GetSystem_FullMethodName,
		entityv1.EntityService_ListSystems_FullMethodName,
	} {
		got, err := call(m)
		if err != nil || got.LinkSession != "link_1" {
			t.Errorf("%s: %+v, %v; want the link principal", m, got, err)
		}
		if _, err := auth.Account(auth.With(context.Background(), got)); !isReason(err, apierr.PermissionDenied) {
			t.Errorf("auth.Account of a link principal: %v, want PERMISSION_DENIED", err)
		}
	}
	for _, m := range []string{
		connectionv1.ConnectionService_ExchangeLinkSession_FullMethodName,
		connectionv1.ConnectionService_CreateLinkSession_FullMethodName,
		connectionv1.ConnectionService_ListConnections_FullMethodName,
		entityv1.EntityService_ListWorkOrders_FullMethodName,
	} {
		if _, err := call(m); !isReason(err, apierr.PermissionDenied) {
			t.Errorf("%s with a link secret: %v, want PERMISSION_DENIED", m, err)
		}
	}
}

func isReason(err error, r apierr.Reason) bool {
	var e *apierr.Error
	return errors.As(err, &e) && e.Reason == r
}
