package connection_test

import (
	"context"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/connection"
	"github.com/millwright-dev/millwright/services/platform/apierr"
	"github.com/millwright-dev/millwright/services/platform/auth"
	"github.com/millwright-dev/millwright/services/platform/db"
	"github.com/millwright-dev/millwright/services/platform/db/dbtest"
	"github.com/millwright-dev/millwright/services/platform/grpcclient"
	"github.com/millwright-dev/millwright/services/platform/secret"
)

// entityStub stands in for the entity service, which this module cannot
// run: a catalog of one system and a live check that accepts one password,
// refusing others with the system's own words.
type entityStub struct {
	entityv1.UnimplementedEntityServiceServer
	entityv1.UnimplementedEntityInternalServiceServer
}

const systemRefusal = "BMXAA7901E - You cannot log in at this time."

func (entityStub) ListSystems(context.Context, *entityv1.ListSystemsRequest) (*entityv1.ListSystemsResponse, error) {
	return &entityv1.ListSystemsResponse{Systems: []*entityv1.System{
		{Id: "maximo", DisplayName: "IBM Maximo", Credits: 1,
			SettingsFields:   []*entityv1.SystemField{{Name: "base_url", Required: true}},
			CredentialFields: []*entityv1.SystemField{{Name: "username", Required: true}, {Name: "password", Required: true, Secret: true}}},
		{Id: "sap", DisplayName: "SAP S/4HANA", Credits: 4},
	}}, nil
}

func (entityStub) CheckConnection(_ context.Context, req *entityv1.CheckConnectionRequest) (*entityv1.CheckConnectionResponse, error) {
	if req.GetCredentials()["password"] != "right" {
		return nil, apierr.New(apierr.ConnectedSystemAuthFailed, "IBM Maximo rejected the credentials: %s", systemRefusal).With("system", req.GetSystem())
	}
	return &entityv1.CheckConnectionResponse{}, nil
}

type linkEnv struct {
	conns    connectionv1.ConnectionServiceClient
	internal connectionv1.ConnectionInternalServiceClient
	db       *db.DB
	key      string // acct 1's API key
	otherKey string // acct 2's
}

func newLinkEnv(t testing.TB) *linkEnv {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	stub := grpc.NewServer()
	entityv1.RegisterEntityServiceServer(stub, entityStub{})
	entityv1.RegisterEntityInternalServiceServer(stub, entityStub{})
	stubAddr := serve(t, func(l net.Listener) error { return stub.Serve(l) })
	t.Cleanup(stub.Stop)
	stubConn, err := grpcclient.Dial(stubAddr, "", grpcclient.DefaultRetry)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stubConn.Close() })

	key, err := secret.ParseKey(secret.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	d := dbtest.SQLite(t, connection.Migrations)
	svc := connection.New(connection.Config{DB: d, Key: key, Log: slog.New(slog.DiscardHandler), Entity: stubConn, Sync: stubConn, PublicURL: "https://mw.example/"})
	addr := serve(t, func(l net.Listener) error { return svc.GRPCServer().Serve(ctx, l, time.Second) })
	conn, err := grpcclient.Dial(addr, "", grpcclient.DefaultRetry)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	internal, err := grpcclient.Dial(addr, auth.InternalCredential(key), grpcclient.DefaultRetry)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { internal.Close() })
	e := &linkEnv{conns: connectionv1.NewConnectionServiceClient(conn), internal: connectionv1.NewConnectionInternalServiceClient(internal), db: d}
	a1, err := svc.CreateAccount(ctx, "Acme", 10, "")
	if err != nil {
		t.Fatal(err)
	}
	a2, err := svc.CreateAccount(ctx, "Other", 10, "")
	if err != nil {
		t.Fatal(err)
	}
	e.key, e.otherKey = a1.APIKey, a2.APIKey
	return e
}

func serve(t testing.TB, run func(net.Listener) error) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go run(l)
	return l.Addr().String()
}

// as is a context calling with a bearer credential.
func as(credential string) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+credential)
}

// wantReason checks an error's ErrorInfo reason and, if given, the field at
// fault and a part of the message.
func wantReason(t *testing.T, err error, reason apierr.Reason, field, message string) {
	t.Helper()
	st, _ := status.FromError(err)
	got, _ := apierr.FromStatus(st)
	if err == nil || got != reason {
		t.Fatalf("error = %v, want %s", err, reason)
	}
	if !strings.Contains(st.Message(), message) {
		t.Fatalf("message %q does not say %q", st.Message(), message)
	}
	if field == "" {
		return
	}
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok && slices.ContainsFunc(br.GetFieldViolations(), func(v *errdetails.BadRequest_FieldViolation) bool { return v.GetField() == field }) {
			return
		}
	}
	t.Fatalf("error %v does not name field %s", err, field)
}

func (e *linkEnv) create(t testing.TB, in *connectionv1.LinkSession) (*connectionv1.LinkSession, string) {
	t.Helper()
	resp, err := e.conns.CreateLinkSession(as(e.key), &connectionv1.CreateLinkSessionRequest{LinkSession: in})
	if err != nil {
		t.Fatal(err)
	}
	l := resp.GetLinkSession()
	prefix := "https://mw.example/link/" + l.GetId() + "#"
	sec, ok := strings.CutPrefix(l.GetUrl(), prefix)
	if !ok || !secret.WellFormed(sec, secret.LinkSecretPrefix) {
		t.Fatalf("url = %q, want %s and the session's secret", l.GetUrl(), prefix)
	}
	return l, sec
}

var rightCredentials = map[string]string{"username": "ada", "password": "right"}

func maximo(credentials map[string]string) *connectionv1.Connection {
	return &connectionv1.Connection{System: "maximo", Settings: map[string]string{"base_url": "https://maximo.plant.example"}, Credentials: credentials}
}

func TestCreateLinkSessionChecksFields(t *testing.T) {
	e := newLinkEnv(t)
	past := timestamppb.New(time.Now().Add(-time.Minute))
	far := timestamppb.New(time.Now().Add(8 * 24 * time.Hour))
	for _, tc := range []struct {
		name  string
		in    *connectionv1.LinkSession
		field string
	}{
		{"no redirect", &connectionv1.LinkSession{}, "link_session.redirect_url"},
		{"plain http elsewhere than localhost", &connectionv1.LinkSession{RedirectUrl: "http://app.example/done"}, "link_session.redirect_url"},
		{"relative redirect", &connectionv1.LinkSession{RedirectUrl: "/done"}, "link_session.redirect_url"},
		{"unknown system", &connectionv1.LinkSession{RedirectUrl: "https://app.example/done", AllowedSystems: []string{"maximo", "nope"}}, "link_session.allowed_systems[1]"},
		{"bad email", &connectionv1.LinkSession{RedirectUrl: "https://app.example/done", EndUserEmail: "ada at plant"}, "link_session.end_user_email"},
		{"expired already", &connectionv1.LinkSession{RedirectUrl: "https://app.example/done", ExpireTime: past}, "link_session.expire_time"},
		{"too far ahead", &connectionv1.LinkSession{RedirectUrl: "https://app.example/done", ExpireTime: far}, "link_session.expire_time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.conns.CreateLinkSession(as(e.key), &connectionv1.CreateLinkSessionRequest{LinkSession: tc.in})
			wantReason(t, err, apierr.InvalidArgument, tc.field, "")
		})
	}

	t.Run("a retried create", func(t *testing.T) {
		in := &connectionv1.LinkSession{RedirectUrl: "https://app.example/done"}
		first, err := e.conns.CreateLinkSession(as(e.key), &connectionv1.CreateLinkSessionRequest{LinkSession: in, RequestId: "r1"})
		if err != nil || first.GetLinkSession().GetUrl() == "" {
			t.Fatalf("first create: %v, %v", first, err)
		}
		again, err := e.conns.CreateLinkSession(as(e.key), &connectionv1.CreateLinkSessionRequest{LinkSession: in, RequestId: "r1"})
		if err != nil || again.GetLinkSession().GetId() != first.GetLinkSession().GetId() || again.GetLinkSession().GetUrl() != "" {
			t.Fatalf("replay = %v, %v; want the same session without its URL", again, err)
		}
		_, err = e.conns.CreateLinkSession(as(e.key), &connectionv1.CreateLinkSessionRequest{LinkSession: &connectionv1.LinkSession{RedirectUrl: "https://app.example/other"}, RequestId: "r1"})
		wantReason(t, err, apierr.RequestIDReused, "", "")
		other, err := e.conns.CreateLinkSession(as(e.otherKey), &connectionv1.CreateLinkSessionRequest{LinkSession: in, RequestId: "r1"})
		if err != nil || other.GetLinkSession().GetId() == first.GetLinkSession().GetId() || other.GetLinkSession().GetUrl() == "" {
			t.Fatalf("another account's request id r1: %v, %v; want its own session", other, err)
		}
	})

	l, _ := e.create(t, &connectionv1.LinkSession{RedirectUrl: "http://127.0.0.1:3000/done", AllowedSystems: []string{"maximo", "maximo"}})
	if got := l.GetAllowedSystems(); !slices.Equal(got, []string{"maximo"}) {
		t.Fatalf("allowed systems = %v, want duplicates dropped", got)
	}
	if ttl := time.Until(l.GetExpireTime().AsTime()); ttl < 59*time.Minute || ttl > time.Hour {
		t.Fatalf("default expiry in %s, want an hour", ttl)
	}
	if l.GetState() != connectionv1.LinkSession_OPEN {
		t.Fatalf("state = %s, want OPEN", l.GetState())
	}
}

// TestLinkFlow runs the flow the Link page and the account make: the
// secret opens only the page's methods, a wrong password comes back with
// the system's words and spends nothing, the right one connects and gives a
// one-time code without the token, and the account exchanges the code once.
func TestLinkFlow(t *testing.T) {
	e := newLinkEnv(t)
	l, sec := e.create(t, &connectionv1.LinkSession{EndUserName: "Ada", EndUserEmail: "ada@plant.example", AllowedSystems: []string{"maximo"}, RedirectUrl: "https://app.example/done?customer=42"})
	other, _ := e.create(t, &connectionv1.LinkSession{RedirectUrl: "https://app.example/done"})

	got, err := e.conns.GetLinkSession(as(sec), &connectionv1.GetLinkSessionRequest{LinkSession: l.GetId()})
	if err != nil || got.GetLinkSession().GetUrl() != "" || got.GetLinkSession().GetEndUserName() != "Ada" || got.GetLinkSession().GetState() != connectionv1.LinkSession_OPEN {
		t.Fatalf("GetLinkSession with the secret = %v, %v; want the session without its URL", got, err)
	}
	_, err = e.conns.GetLinkSession(as(sec), &connectionv1.GetLinkSessionRequest{LinkSession: other.GetId()})
	wantReason(t, err, apierr.PermissionDenied, "", "")
	_, err = e.conns.ListConnections(as(sec), &connectionv1.ListConnectionsRequest{})
	wantReason(t, err, apierr.PermissionDenied, "", "Link page")
	_, err = e.conns.CreateConnection(as(sec), &connectionv1.CreateConnectionRequest{Connection: maximo(rightCredentials)})
	wantReason(t, err, apierr.PermissionDenied, "", "Link page")
	_, err = e.conns.ConnectLinkSession(as(e.key), &connectionv1.ConnectLinkSessionRequest{LinkSession: l.GetId(), Connection: maximo(rightCredentials)})
	wantReason(t, err, apierr.PermissionDenied, "", "Link page")
	_, err = e.conns.ExchangeLinkSession(as(sec), &connectionv1.ExchangeLinkSessionRequest{LinkSession: l.GetId(), Code: secret.NewToken(secret.LinkCodePrefix)})
	wantReason(t, err, apierr.PermissionDenied, "", "Link page")
	_, err = e.conns.GetLinkSession(as(secret.NewToken(secret.LinkSecretPrefix)), &connectionv1.GetLinkSessionRequest{LinkSession: l.GetId()})
	wantReason(t, err, apierr.InvalidToken, "", "")
	_, err = e.conns.GetLinkSession(as(e.otherKey), &connectionv1.GetLinkSessionRequest{LinkSession: l.GetId()})
	wantReason(t, err, apierr.PermissionDenied, "", "")

	connect := func(c *connectionv1.Connection) (*connectionv1.ConnectLinkSessionResponse, error) {
		return e.conns.ConnectLinkSession(as(sec), &connectionv1.ConnectLinkSessionRequest{LinkSession: l.GetId(), Connection: c})
	}
	_, err = connect(&connectionv1.Connection{System: "sap"})
	wantReason(t, err, apierr.InvalidArgument, "connection.system", "maximo")
	_, err = connect(maximo(map[string]string{"username": "ada"}))
	wantReason(t, err, apierr.InvalidArgument, "connection.credentials.password", "")
	_, err = connect(maximo(map[string]string{"username": "ada", "password": "wrong"}))
	wantReason(t, err, apierr.ConnectedSystemAuthFailed, "", systemRefusal)
	if list, err := e.conns.ListConnections(as(e.key), &connectionv1.ListConnectionsRequest{}); err != nil || len(list.GetConnections()) != 0 {
		t.Fatalf("after a wrong password: %v, %v; want no connection", list, err)
	}

	resp, err := connect(maximo(rightCredentials))
	if err != nil {
		t.Fatal(err)
	}
	to, err := url.Parse(resp.GetRedirectTo())
	if err != nil || to.Host != "app.example" || to.Path != "/done" || to.Query().Get("customer") != "42" || to.Query().Get("link_session") != l.GetId() {
		t.Fatalf("redirect_to = %q", resp.GetRedirectTo())
	}
	code := to.Query().Get("code")
	if !secret.WellFormed(code, secret.LinkCodePrefix) || strings.Contains(resp.String(), secret.ConnectionTokenPrefix) {
		t.Fatalf("connect answered %v; want a code and no token", resp)
	}
	connID := resp.GetLinkSession().GetConnection()

	// The link is used up for the page; the account sees it CONNECTED.
	_, err = e.conns.GetLinkSession(as(sec), &connectionv1.GetLinkSessionRequest{LinkSession: l.GetId()})
	wantReason(t, err, apierr.LinkSessionUsed, "", "already used")
	_, err = connect(maximo(rightCredentials))
	wantReason(t, err, apierr.LinkSessionUsed, "", "")
	got, err = e.conns.GetLinkSession(as(e.key), &connectionv1.GetLinkSessionRequest{LinkSession: l.GetId()})
	if err != nil || got.GetLinkSession().GetState() != connectionv1.LinkSession_CONNECTED || got.GetLinkSession().GetConnection() != connID || got.GetLinkSession().GetUrl() != "" {
		t.Fatalf("the account's GetLinkSession = %v, %v", got, err)
	}
	c, err := e.conns.GetConnection(as(e.key), &connectionv1.GetConnectionRequest{Connection: connID})
	if err != nil || c.GetConnection().GetStatus() != connectionv1.Connection_ACTIVE || c.GetConnection().GetMetadata()["end_user_email"] != "ada@plant.example" ||
		c.GetConnection().GetMetadata()["link_session"] != l.GetId() || c.GetConnection().GetCredits() != 1 {
		t.Fatalf("the new connection = %v, %v", c, err)
	}

	exchange := func(key, code string) (*connectionv1.ExchangeLinkSessionResponse, error) {
		return e.conns.ExchangeLinkSession(as(key), &connectionv1.ExchangeLinkSessionRequest{LinkSession: l.GetId(), Code: code})
	}
	_, err = exchange(e.otherKey, code)
	wantReason(t, err, apierr.PermissionDenied, "", "")
	_, err = exchange(e.key, code+"x")
	wantReason(t, err, apierr.InvalidArgument, "code", "")
	ex, err := exchange(e.key, code)
	if err != nil || ex.GetConnection().GetId() != connID || !secret.WellFormed(ex.GetToken(), secret.ConnectionTokenPrefix) {
		t.Fatalf("exchange = %v, %v", ex, err)
	}
	who, err := e.internal.Authenticate(context.Background(), &connectionv1.AuthenticateRequest{Credential: ex.GetToken(), Connection: connID})
	if err != nil || who.GetTokenConnection() != connID {
		t.Fatalf("the exchanged token: %v, %v", who, err)
	}
	again, err := exchange(e.key, code)
	wantReason(t, err, apierr.LinkSessionUsed, "", "already exchanged")
	if again.GetToken() != "" {
		t.Fatal("the token was returned twice")
	}
	got, _ = e.conns.GetLinkSession(as(e.key), &connectionv1.GetLinkSessionRequest{LinkSession: l.GetId()})
	if got.GetLinkSession().GetState() != connectionv1.LinkSession_EXCHANGED {
		t.Fatalf("state after exchange = %s", got.GetLinkSession().GetState())
	}

	// Only hashes are stored.
	var n int
	if err := e.db.QueryRow(`SELECT COUNT(*) FROM link_sessions WHERE secret_hash = $1 OR code_hash = $2 OR secret_hash = $3`, sec, code, secret.Hash(sec)).Scan(&n); err != nil || n != 1 {
		t.Fatalf("rows holding the secret or code = %d (want only the hash's row), %v", n, err)
	}
}

func TestExpiredLink(t *testing.T) {
	e := newLinkEnv(t)
	l, sec := e.create(t, &connectionv1.LinkSession{RedirectUrl: "https://app.example/done"})
	if _, err := e.db.Exec(`UPDATE link_sessions SET expire_time = $1 WHERE id = $2`, db.Micros(time.Now().Add(-time.Second)), l.GetId()); err != nil {
		t.Fatal(err)
	}
	_, err := e.conns.GetLinkSession(as(sec), &connectionv1.GetLinkSessionRequest{LinkSession: l.GetId()})
	wantReason(t, err, apierr.LinkSessionExpired, "", "expired")
	_, err = e.conns.ConnectLinkSession(as(sec), &connectionv1.ConnectLinkSessionRequest{LinkSession: l.GetId(), Connection: maximo(rightCredentials)})
	wantReason(t, err, apierr.LinkSessionExpired, "", "expired")
	_, err = e.conns.ExchangeLinkSession(as(e.key), &connectionv1.ExchangeLinkSessionRequest{LinkSession: l.GetId(), Code: secret.NewToken(secret.LinkCodePrefix)})
	wantReason(t, err, apierr.LinkSessionExpired, "", "")
	got, err := e.conns.GetLinkSession(as(e.key), &connectionv1.GetLinkSessionRequest{LinkSession: l.GetId()})
	if err != nil || got.GetLinkSession().GetState() != connectionv1.LinkSession_EXPIRED {
		t.Fatalf("the account's view of an expired session: %v, %v", got, err)
	}
}

// BenchmarkGetLinkSession measures the Link page's first call over gRPC:
// resolving the link secret (one indexed lookup by hash) and reading the
// session, against the same read with the account key.
func BenchmarkGetLinkSession(b *testing.B) {
	e := newLinkEnv(b)
	l, sec := e.create(b, &connectionv1.LinkSession{RedirectUrl: "https://app.example/done"})
	for _, c := range []struct{ name, credential string }{{"link secret", sec}, {"account key", e.key}} {
		b.Run(c.name, func(b *testing.B) {
			ctx := as(c.credential)
			for b.Loop() {
				if _, err := e.conns.GetLinkSession(ctx, &connectionv1.GetLinkSessionRequest{LinkSession: l.GetId()}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
