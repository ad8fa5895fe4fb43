package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// redirects is the account's app: the redirect URL of its link sessions,
// which records the query each customer lands with.
type redirects struct {
	url    string
	landed chan url.Values
}

func newRedirects(t *testing.T) *redirects {
	t.Helper()
	r := &redirects{landed: make(chan url.Values, 4)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == "/done" {
			r.landed <- req.URL.Query()
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!doctype html><title>Back at the app</title><h1>Back at the app</h1>")
	}))
	t.Cleanup(srv.Close)
	r.url = srv.URL + "/done"
	return r
}

func (r *redirects) next(t *testing.T) url.Values {
	t.Helper()
	select {
	case q := <-r.landed:
		return q
	default:
		t.Fatal("the customer did not land on the redirect URL")
		return nil
	}
}

// createLinkSession creates a link session for systems (a JSON list) and
// returns its id and one-time URL.
func createLinkSession(t *testing.T, s *stack, redirect, systems string) (id, link string) {
	t.Helper()
	resp, body := do(t, "POST", s.Gateway+"/v1/linkSessions", s.Key,
		fmt.Sprintf(`{"end_user_name":"Ada Lovelace","end_user_email":"ada@plant.example","allowed_systems":%s,"redirect_url":%q}`, systems, redirect+"?customer=42"))
	if resp.StatusCode != 200 {
		t.Fatalf("create link session: %d %s", resp.StatusCode, body)
	}
	ls := jsonBody(t, body)["link_session"].(map[string]any)
	id, link = ls["id"].(string), ls["url"].(string)
	if !strings.HasPrefix(link, s.Gateway+"/link/"+id+"#mw_ls_") || ls["state"] != "OPEN" {
		t.Fatalf("link session %v", ls)
	}
	return id, link
}

// exchange exchanges the code the customer landed with, checks the token
// reads the connection's records, and that the code works only once.
func exchange(t *testing.T, s *stack, id string, landed url.Values) {
	t.Helper()
	if landed.Get("link_session") != id || landed.Get("customer") != "42" || !strings.HasPrefix(landed.Get("code"), "mw_lc_") {
		t.Fatalf("landed with %v", landed)
	}
	body := fmt.Sprintf(`{"code":%q}`, landed.Get("code"))
	resp, out := do(t, "POST", s.Gateway+"/v1/linkSessions/"+id+":exchange", s.Key, body)
	if resp.StatusCode != 200 {
		t.Fatalf("exchange: %d %s", resp.StatusCode, out)
	}
	ex := jsonBody(t, out)
	token, _ := ex["token"].(string)
	conn, _ := field(ex, "connection", "id").(string)
	if !strings.HasPrefix(token, "mw_ct_") || field(ex, "connection", "status") != "ACTIVE" || field(ex, "connection", "metadata", "end_user_email") != "ada@plant.example" {
		t.Fatalf("exchange answered %s", out)
	}
	if resp, out := do(t, "GET", s.Gateway+"/v1/connections/"+conn+"/workOrders?page_size=5", token, ""); resp.StatusCode != 200 || !strings.Contains(out, `"work_orders"`) {
		t.Fatalf("List with the exchanged token: %d %s", resp.StatusCode, out)
	}
	resp, out = do(t, "POST", s.Gateway+"/v1/linkSessions/"+id+":exchange", s.Key, body)
	if resp.StatusCode != 410 || !strings.Contains(out, "LINK_SESSION_USED") || strings.Contains(out, "mw_ct_") {
		t.Fatalf("second exchange: %d %s; want 410 LINK_SESSION_USED and no token", resp.StatusCode, out)
	}
}

// TestLink runs Link end to end against dev with a Limble simulator: over
// REST as a script would, then in Chromium as the end customer does.
func TestLink(t *testing.T) {
	sim := freeAddr(t)
	s := startDev(t, nil, "--simulators", "limble="+sim)
	creds := simulatorCredentials(t, "limble")
	app := newRedirects(t)
	baseURL := "http://" + sim

	t.Run("REST", func(t *testing.T) {
		id, link := createLinkSession(t, s, app.url, `["limble"]`)
		secret := link[strings.Index(link, "#")+1:]
		if resp, out := do(t, "GET", s.Gateway+"/v1/connections", secret, ""); resp.StatusCode != 403 {
			t.Fatalf("the link secret on /v1/connections: %d %s; want 403", resp.StatusCode, out)
		}
		for path, want := range map[string]string{"/v1/systems/limble": `"client_secret"`, "/v1/systems": `"id":"maximo"`, "/v1/linkSessions/" + id: `"state":"OPEN"`} {
			if resp, out := do(t, "GET", s.Gateway+path, secret, ""); resp.StatusCode != 200 || !strings.Contains(out, want) || strings.Contains(out, "mw_ls_") {
				t.Fatalf("the link secret on %s: %d %s", path, resp.StatusCode, out)
			}
		}
		connect := func(clientSecret string) (*http.Response, string) {
			return do(t, "POST", s.Gateway+"/v1/linkSessions/"+id+":connect", secret, fmt.Sprintf(
				`{"connection":{"system":"limble","settings":{"base_url":%q},"credentials":{"client_id":%q,"client_secret":%q}}}`, baseURL, creds["client_id"], clientSecret))
		}
		resp, out := connect("not-the-secret")
		if resp.StatusCode != 424 || !strings.Contains(out, "CONNECTED_SYSTEM_AUTH_FAILED") || !strings.Contains(out, "Invalid client id or secret") {
			t.Fatalf("wrong secret: %d %s; want 424 with Limble's reason", resp.StatusCode, out)
		}
		resp, out = connect(creds["client_secret"])
		if resp.StatusCode != 200 || strings.Contains(out, "mw_ct_") {
			t.Fatalf("connect: %d %s; want a redirect and no token", resp.StatusCode, out)
		}
		to, err := url.Parse(jsonBody(t, out)["redirect_to"].(string))
		if err != nil || !strings.HasPrefix(to.String(), app.url+"?") {
			t.Fatalf("redirect_to %v", to)
		}
		if resp, out := do(t, "GET", s.Gateway+"/v1/linkSessions/"+id, secret, ""); resp.StatusCode != 410 || !strings.Contains(out, "LINK_SESSION_USED") {
			t.Fatalf("the used link: %d %s; want 410 LINK_SESSION_USED", resp.StatusCode, out)
		}
		exchange(t, s, id, to.Query())
	})

	t.Run("browser", func(t *testing.T) {
		_, pick := createLinkSession(t, s, app.url, `["maximo","limble"]`)
		id, link := createLinkSession(t, s, app.url, `["limble"]`)
		// A session that expires while the flow runs, for the expired page.
		expireAt := time.Now().Add(2 * time.Second).UTC().Format(time.RFC3339Nano)
		resp, body := do(t, "POST", s.Gateway+"/v1/linkSessions", s.Key, fmt.Sprintf(`{"redirect_url":%q,"expire_time":%q}`, app.url, expireAt))
		if resp.StatusCode != 200 {
			t.Fatalf("create a short link session: %d %s", resp.StatusCode, body)
		}
		expiring := field(jsonBody(t, body), "link_session", "url").(string)
		runBrowser(t, "link.mjs", "PICK_URL="+pick, "LINK_URL="+link, "EXPIRING_URL="+expiring, "EXPIRE_TIME="+expireAt, "REDIRECT_URL="+app.url,
			"LIMBLE_BASE_URL="+baseURL, "LIMBLE_CLIENT_ID="+creds["client_id"], "LIMBLE_CLIENT_SECRET="+creds["client_secret"])
		exchange(t, s, id, app.next(t))
	})
}
