package limble

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

type client struct {
	t    testing.TB
	url  string
	auth string
}

func start(t testing.TB, cfg Config) (*Server, *client) {
	s := New(cfg)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c := s.Config()
	return s, &client{t: t, url: srv.URL, auth: "Basic " + base64.StdEncoding.EncodeToString([]byte(c.ClientID+":"+c.ClientSecret))}
}

func (c *client) get(target string) ([]map[string]any, http.Header) {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.url+target, nil)
	req.Header.Set("Authorization", c.auth)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		c.t.Fatalf("GET %s: %d", target, resp.StatusCode)
	}
	var out []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		c.t.Fatal(err)
	}
	return out, resp.Header
}

func (c *client) send(method, target, body string) int {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.url+target, stringsReader(body))
	req.Header.Set("Authorization", c.auth)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func ids(recs []map[string]any, field string) []int {
	out := make([]int, len(recs))
	for i, r := range recs {
		out[i] = int(r[field].(float64))
	}
	return out
}

// TestPaging lists every task once, by cursor and by page, after a
// deletion and a creation, and keeps id order.
func TestPaging(t *testing.T) {
	_, c := start(t, Config{Tasks: 95})
	if st := c.send("DELETE", "/v2/tasks/8010", ""); st != 200 {
		t.Fatalf("delete: %d", st)
	}
	if st := c.send("POST", "/v2/tasks", `{"name":"New","locationID":101,"due":1790000000,"type":2}`); st != 201 {
		t.Fatalf("create: %d", st)
	}
	want := 95
	var byCursor []int
	cursor := 0
	for {
		page, _ := c.get("/v2/tasks?limit=10&cursor=" + strconv.Itoa(cursor))
		byCursor = append(byCursor, ids(page, "taskID")...)
		if len(page) < 10 {
			break
		}
		cursor = byCursor[len(byCursor)-1]
	}
	var byPage []int
	for p := 1; ; p++ {
		page, h := c.get("/v2/tasks?limit=10&page=" + strconv.Itoa(p))
		byPage = append(byPage, ids(page, "taskID")...)
		if h.Get("Next-Page") == "" {
			if h.Get("Last-Page") == "" {
				t.Error("no Last-Page header")
			}
			break
		}
	}
	for name, got := range map[string][]int{"cursor": byCursor, "page": byPage} {
		if len(got) != want {
			t.Errorf("%s paging listed %d tasks, want %d", name, len(got), want)
		}
		for i := 1; i < len(got); i++ {
			if got[i] <= got[i-1] {
				t.Fatalf("%s paging out of id order at %d: %v", name, i, got[i-1:i+1])
			}
		}
		for _, id := range got {
			if id == 8010 {
				t.Errorf("%s paging lists the deleted task", name)
			}
		}
		if got[len(got)-1] != 8096 {
			t.Errorf("%s paging ends at %d, want the created task 8096", name, got[len(got)-1])
		}
	}
}

// TestStart lists only the tasks edited after start, including one changed
// through the API.
func TestStart(t *testing.T) {
	now := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	_, c := start(t, Config{Tasks: 1000, Now: func() time.Time { return now }})
	all, _ := c.get("/v2/tasks?limit=1000")
	mid := int64(all[500]["lastEdited"].(float64))
	if st := c.send("PATCH", "/v2/tasks/8003", `{"name":"Changed"}`); st != 200 {
		t.Fatalf("patch: %d", st)
	}
	got, _ := c.get("/v2/tasks?limit=1000&start=" + strconv.FormatInt(mid, 10))
	if len(got) != 500 || int(got[0]["taskID"].(float64)) != 8003 {
		t.Fatalf("start=%d lists %d tasks from %v; want 8003 and the 499 after the 501st", mid, len(got), got[0]["taskID"])
	}
	for _, r := range got {
		if int64(r["lastEdited"].(float64)) <= mid {
			t.Fatalf("task %v edited %v is not after %d", r["taskID"], r["lastEdited"], mid)
		}
	}
}

// TestLargePlant serves 100,000 tasks, deterministically, to the last
// page (BenchmarkPage compares the cost of deep pages with the first).
func TestLargePlant(t *testing.T) {
	_, c := start(t, Config{Tasks: 100_000})
	_, c2 := start(t, Config{Tasks: 100_000})
	deep, _ := c.get("/v2/tasks?limit=1000&cursor=107000")
	if len(deep) != 1000 || int(deep[0]["taskID"].(float64)) != 107001 {
		t.Fatalf("deep page: %d tasks from %v", len(deep), deep[0]["taskID"])
	}
	last, _ := c.get("/v2/tasks?limit=1000&page=100")
	if len(last) != 1000 || int(last[999]["taskID"].(float64)) != 108000 {
		t.Fatalf("page 100 ends at %v", last[len(last)-1]["taskID"])
	}
	again, _ := c2.get("/v2/tasks?limit=1000&cursor=107000")
	a, _ := json.Marshal(deep)
	b, _ := json.Marshal(again)
	if string(a) != string(b) {
		t.Error("the same Config seeds different tasks")
	}
}

// BenchmarkPage serves one page of 1000 of 100,000 tasks: the first, one
// deep by cursor and one deep by page number.
//
//	go test -run '^$' -bench Page ./limble/
func BenchmarkPage(b *testing.B) {
	_, c := start(b, Config{Tasks: 100_000, GetPerMinute: -1, GetPerHour: -1})
	for name, target := range map[string]string{"first": "/v2/tasks?limit=1000", "cursor": "/v2/tasks?limit=1000&cursor=107000",
		"page": "/v2/tasks?limit=1000&page=100"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if got, _ := c.get(target); len(got) != 1000 {
					b.Fatalf("%s: %d tasks", target, len(got))
				}
			}
		})
	}
}

// TestExceptionsAreNarrow checks the fidelity test fails on a mismatch that
// is not in the table of exceptions.
func TestExceptionsAreNarrow(t *testing.T) {
	if _, ok := allowed(errors.New(`response body doesn't match schema: Error at "/0/taskID": value must be an integer`)); ok {
		t.Error("a wrong taskID passes as an exception")
	}
	if _, ok := allowed(errors.New(`Error at "/0/generalStock": value must be an integer | Error at "/0/name": value must be a string`)); ok {
		t.Error("an exception hides another failure")
	}
}
