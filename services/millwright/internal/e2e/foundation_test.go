package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	"github.com/millwright-dev/millwright/services/platform/apierr"
)

// apiError is the JSON body of an error.
type apiError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Details []struct {
		Type     string            `json:"@type"`
		Reason   string            `json:"reason"`
		Domain   string            `json:"domain"`
		Metadata map[string]string `json:"metadata"`
	} `json:"details"`
}

func parseError(t *testing.T, body string) (reason string, metadata map[string]string) {
	t.Helper()
	var e apiError
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("error body is not JSON: %v: %s", err, body)
	}
	for _, d := range e.Details {
		if strings.HasSuffix(d.Type, "google.rpc.ErrorInfo") {
			if d.Domain != apierr.Domain {
				t.Errorf("ErrorInfo domain = %q, want %q", d.Domain, apierr.Domain)
			}
			return d.Reason, d.Metadata
		}
	}
	t.Fatalf("error body has no ErrorInfo: %s", body)
	return "", nil
}

func dial(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func withKey(ctx context.Context, key string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+key)
}

func TestFoundation(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testFoundation(t, startDev(t, nil)) })
	t.Run("postgres", func(t *testing.T) { testFoundation(t, startDev(t, postgresEnv(t))) })
}

func testFoundation(t *testing.T, s *stack) {
	ctx := context.Background()

	t.Run("account over REST", func(t *testing.T) {
		resp, body := do(t, "GET", s.Gateway+"/v1/account", s.Key, "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /v1/account = %d %s", resp.StatusCode, body)
		}
		if resp.Header.Get("X-Request-Id") == "" {
			t.Error("no X-Request-Id on the response")
		}
		var got struct {
			Account struct {
				ID          string `json:"id"`
				DisplayName string `json:"display_name"`
				Credits     struct{ Limit, Used, Available int }
			}
		}
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		if got.Account.DisplayName != "Demo" || got.Account.Credits.Limit != 20 || got.Account.Credits.Available != 20 || !strings.HasPrefix(got.Account.ID, "acct_") {
			t.Errorf("account = %+v", got.Account)
		}
	})

	t.Run("caller request id kept", func(t *testing.T) {
		resp, _ := do(t, "GET", s.Gateway+"/v1/account", s.Key, "", "X-Request-Id", "support-case-42")
		if got := resp.Header.Get("X-Request-Id"); got != "support-case-42" {
			t.Errorf("X-Request-Id = %q, want the caller's", got)
		}
	})

	t.Run("bad credentials are indistinguishable", func(t *testing.T) {
		var messages []string
		for _, key := range []string{"", "not-a-key", "mw_sk_", "mw_sk_unknownunknownunknownunknownunknown00", "mw_ct_unknownunknownunknownunknownunknown00"} {
			resp, body := do(t, "GET", s.Gateway+"/v1/account", key, "")
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("key %q: status %d, want 401", key, resp.StatusCode)
			}
			reason, md := parseError(t, body)
			if reason != "INVALID_TOKEN" {
				t.Errorf("key %q: reason %q, want INVALID_TOKEN", key, reason)
			}
			if md["request_id"] == "" || md["request_id"] != resp.Header.Get("X-Request-Id") {
				t.Errorf("key %q: body request_id %q, header %q", key, md["request_id"], resp.Header.Get("X-Request-Id"))
			}
			var e apiError
			_ = json.Unmarshal([]byte(body), &e)
			messages = append(messages, e.Message)
		}
		for _, m := range messages[1:] {
			if m != messages[0] {
				t.Errorf("messages differ between bad keys: %q vs %q", m, messages[0])
			}
		}
	})

	t.Run("account over gRPC", func(t *testing.T) {
		client := connectionv1.NewConnectionServiceClient(dial(t, s.Connection))
		var header metadata.MD
		resp, err := client.GetAccount(withKey(ctx, s.Key), &connectionv1.GetAccountRequest{}, grpc.Header(&header))
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetAccount().GetCredits().GetLimit() != 20 {
			t.Errorf("account = %v", resp.GetAccount())
		}
		if len(header.Get("x-request-id")) != 1 {
			t.Errorf("no x-request-id header metadata: %v", header)
		}
		_, err = client.GetAccount(withKey(ctx, "mw_sk_wrongwrongwrongwrongwrongwrongwrong"), &connectionv1.GetAccountRequest{})
		if status.Code(err) != codes.Unauthenticated {
			t.Errorf("wrong key over gRPC: %v, want UNAUTHENTICATED", err)
		}
		reason, md := apierr.FromStatus(status.Convert(err))
		if reason != apierr.InvalidToken || md["request_id"] == "" {
			t.Errorf("wrong key over gRPC: reason %q, metadata %v", reason, md)
		}
	})

	t.Run("each service lists itself, health and reflection", func(t *testing.T) {
		want := map[string]string{
			s.Connection: "millwright.connection.v1.ConnectionService",
			s.Entity:     "millwright.entity.v1.EntityService",
			s.Sync:       "millwright.sync.v1.SyncService",
		}
		for addr, svc := range want {
			conn := dial(t, addr)
			h, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
			if err != nil || h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
				t.Errorf("%s health: %v %v", addr, h, err)
			}
			names := listServices(t, conn)
			for _, n := range []string{svc, "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"} {
				if !strings.Contains(names, n) {
					t.Errorf("%s lists %s; want %s", addr, names, n)
				}
			}
		}
	})

	t.Run("undecodable requests get 400 naming the field", func(t *testing.T) {
		big := `{"display_name":"` + strings.Repeat("x", 2<<20) + `"}`
		cases := []struct {
			name, method, path, body string
			reason, field            string
		}{
			{"malformed JSON", "POST", "/v1/connections", `{"system": "maximo",`, "MALFORMED_JSON", "body"},
			{"unknown field", "POST", "/v1/connections", `{"system": "maximo", "colour": "red"}`, "UNKNOWN_FIELD", "colour"},
			{"wrong type", "POST", "/v1/connections", `{"system": 5}`, "INVALID_FIELD_VALUE", "system"},
			{"bad enum", "GET", "/v1/connections?status=SLEEPY", "", "INVALID_FIELD_VALUE", "status"},
			{"oversize body", "POST", "/v1/connections", big, "REQUEST_TOO_LARGE", "body"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				resp, body := do(t, c.method, s.Gateway+c.path, s.Key, c.body)
				if resp.StatusCode != http.StatusBadRequest {
					t.Fatalf("status %d, want 400: %s", resp.StatusCode, body)
				}
				reason, md := parseError(t, body)
				if reason != c.reason || md["field"] != c.field {
					t.Errorf("reason %q field %q, want %q %q: %s", reason, md["field"], c.reason, c.field, body)
				}
			})
		}
	})

	t.Run("unknown route", func(t *testing.T) {
		resp, body := do(t, "GET", s.Gateway+"/v1/nothing-here", s.Key, "")
		if reason, _ := parseError(t, body); resp.StatusCode != http.StatusNotFound || reason != "ROUTE_NOT_FOUND" {
			t.Errorf("status %d reason %q", resp.StatusCode, reason)
		}
	})

	t.Run("openapi and healthz", func(t *testing.T) {
		resp, body := do(t, "GET", s.Gateway+"/openapi.json", "", "")
		var doc struct{ Paths map[string]any }
		if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &doc) != nil || doc.Paths["/v1/account"] == nil {
			t.Errorf("openapi.json: %d, has /v1/account: %v", resp.StatusCode, doc.Paths["/v1/account"] != nil)
		}
		resp, body = do(t, "GET", s.Gateway+"/healthz", "", "")
		if resp.StatusCode != 200 || !strings.Contains(body, `"status":"SERVING"`) {
			t.Errorf("healthz: %d %s", resp.StatusCode, body)
		}
	})

	t.Run("no credential in the logs", func(t *testing.T) {
		time.Sleep(100 * time.Millisecond) // let the last log lines land
		logs := s.stderr.String()
		if !strings.Contains(logs, "grpc call") {
			t.Fatalf("no call was logged; the check would prove nothing:\n%s", logs)
		}
		for _, secret := range []string{s.Key, "mw_sk_wrongwrongwrongwrongwrongwrongwrong", "mw_sk_unknownunknownunknownunknownunknown00"} {
			if strings.Contains(logs, secret) {
				t.Errorf("the logs contain a credential")
			}
		}
	})
}

func listServices(t *testing.T, conn *grpc.ClientConn) string {
	t.Helper()
	stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	return strings.Join(names, " ")
}

func TestRateLimit(t *testing.T) {
	s := startDev(t, nil, "--rate-limit", "1", "--rate-burst", "2")
	var last *http.Response
	var body string
	for range 3 {
		last, body = do(t, "GET", s.Gateway+"/v1/account", s.Key, "")
	}
	if last.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third request: %d, want 429", last.StatusCode)
	}
	if reason, _ := parseError(t, body); reason != "RATE_LIMITED" {
		t.Errorf("reason %q", reason)
	}
	for _, h := range []string{"Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
		if last.Header.Get(h) == "" {
			t.Errorf("429 without %s", h)
		}
	}
	if last.Header.Get("X-RateLimit-Remaining") != "0" || last.Header.Get("X-RateLimit-Limit") != "2" {
		t.Errorf("limit headers: %v", last.Header)
	}
	// Another credential has its own bucket.
	if resp, _ := do(t, "GET", s.Gateway+"/v1/account", "mw_sk_otherotherotherotherotherotherother", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("another credential: %d, want 401 (not rate limited)", resp.StatusCode)
	}
}

func TestRestartKeepsData(t *testing.T) {
	s := startDev(t, nil)
	_, first := do(t, "GET", s.Gateway+"/v1/account", s.Key, "")
	s.stop(t)
	again := exec.Command(binary, "dev", "--data-dir", s.DataDir, "--gateway-addr", strings.TrimPrefix(s.Gateway, "http://"),
		"--connection-addr", s.Connection, "--entity-addr", s.Entity, "--sync-addr", s.Sync, "--simulators", "none", "--public-addr", freeAddr(t))
	s.cmd = again
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, second := do2(s.Gateway+"/v1/account", s.Key)
		if resp == http.StatusOK {
			if second != first {
				t.Errorf("account changed across a restart:\n%s\n%s", first, second)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("restarted dev did not answer: %d\n%s", resp, s.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(s.stdout.String(), s.Key) {
		t.Errorf("the restarted dev does not print the demo key kept in the data directory")
	}
}

// do2 is do without a test, for polling.
func do2(url, key string) (int, string) {
	r, _ := http.NewRequest("GET", url, nil)
	r.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
