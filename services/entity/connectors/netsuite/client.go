package netsuite

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/platform/apierr"
)

// errorBody is NetSuite's error: {"type", "title", "status",
// "o:errorDetails": [{"detail", "o:errorCode", "o:errorPath" ...}]}.
type errorBody struct {
	Title   string `json:"title"`
	Details []struct {
		Detail string `json:"detail"`
		Code   string `json:"o:errorCode"`
		Path   string `json:"o:errorPath"`
	} `json:"o:errorDetails"`
}

// parseError returns the message of an error body: each detail with its
// code and the field at fault; a body that is not NetSuite's error gives
// its text, shortened.
func parseError(body []byte) (string, string) {
	var e errorBody
	if json.Unmarshal(body, &e) == nil && len(e.Details) > 0 {
		msgs := make([]string, 0, len(e.Details))
		for _, d := range e.Details {
			m := d.Detail
			if d.Code != "" {
				m += " (" + d.Code
				if d.Path != "" {
					m += " at " + d.Path
				}
				m += ")"
			}
			msgs = append(msgs, m)
		}
		return strings.Join(msgs, "; "), e.Details[0].Code
	}
	text := strings.TrimSpace(string(body))
	if len(text) > 300 {
		text = text[:300] + "..."
	}
	if strings.HasPrefix(text, "<") {
		text = ""
	}
	return text, ""
}

// Busy retries: NetSuite answers 429 without Retry-After when the
// account's concurrency limit is reached by other integrations; a read is
// retried a few times before the 429 is returned.
const (
	busyRetries = 3
	busyBackoff = 250 * time.Millisecond
)

// call sends a signed request to the record API (path after /record/v1,
// with its query) within the connection's concurrency. A status of 400 or
// more is an error classified by connector.Classify with NetSuite's
// message; transport failures are CONNECTED_SYSTEM_UNAVAILABLE.
func (s *session) call(ctx context.Context, method, path string, q url.Values, body any) (*http.Response, []byte, error) {
	u := *s.base
	u.Path = s.base.Path + "/" + path
	u.RawQuery = q.Encode()
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return nil, nil, apierr.New(apierr.Internal, "encode a request to %s: %v", systemName, err)
		}
	}
	wait := busyBackoff
	for attempt := 0; ; attempt++ {
		resp, data, err := s.send(ctx, method, u.String(), raw)
		if err != nil {
			return nil, nil, err
		}
		if resp.StatusCode < 400 {
			return resp, data, nil
		}
		if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "" && method == http.MethodGet && attempt < busyRetries {
			select {
			case <-ctx.Done():
				return nil, nil, connector.Unreachable(systemName, ctx.Err())
			case <-time.After(wait):
			}
			wait *= 2
			continue
		}
		msg, code := parseError(data)
		err = connector.Classify(systemName, resp, msg)
		if e, ok := err.(*apierr.Error); ok && code != "" {
			err = e.With("system_error_code", code)
		}
		return resp, data, err
	}
}

// send makes one call, holding one of the connection's slots.
func (s *session) send(ctx context.Context, method, target string, raw []byte) (*http.Response, []byte, error) {
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, connector.Unreachable(systemName, ctx.Err())
	}
	defer func() { <-s.slots }()
	var rd io.Reader
	if raw != nil {
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, nil, apierr.New(apierr.Internal, "build a request to %s: %v", systemName, err)
	}
	req.Header.Set("Accept", "application/json")
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return s.c.http.Do(withCredentials(ctx, s.creds), s.cfg.Connection, req)
}

// getJSON GETs a path and decodes its object.
func (s *session) getJSON(ctx context.Context, path string, q url.Values) (map[string]any, error) {
	_, data, err := s.call(ctx, http.MethodGet, path, q, nil)
	if err != nil {
		return nil, err
	}
	return decode(path, data)
}

// decode reads a JSON object, numbers kept as their text.
func decode(path string, data []byte) (map[string]any, error) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, apierr.New(apierr.ConnectedSystemError, "%s answered %s with JSON that is not a record", systemName, path).With("system", systemName)
	}
	return m, nil
}

// record GETs one record with its sublists and subrecords expanded.
func (s *session) record(ctx context.Context, typ, id string) (map[string]any, error) {
	return s.getJSON(ctx, typ+"/"+url.PathEscape(id), url.Values{"expandSubResources": {"true"}})
}

// records GETs records by internal id, concurrently within the
// connection's slots, in the order of ids; a record deleted since it was
// listed is left out.
func (s *session) records(ctx context.Context, typ string, ids []string) ([]map[string]any, error) {
	out := make([]map[string]any, len(ids))
	inner, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		once  sync.Once
		first error
		wg    sync.WaitGroup
	)
	next := make(chan int)
	for range min(cap(s.slots), len(ids)) {
		wg.Go(func() {
			for i := range next {
				m, err := s.record(inner, typ, ids[i])
				switch {
				case err == nil:
					out[i] = m
				case reasonOf(err) != apierr.NotFound:
					once.Do(func() { first = err })
					cancel()
				}
			}
		})
	}
feed:
	for i := range ids {
		select {
		case next <- i:
		case <-inner.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first != nil {
		return nil, first
	}
	if err := ctx.Err(); err != nil {
		return nil, connector.Unreachable(systemName, err)
	}
	kept := out[:0]
	for _, m := range out {
		if m != nil {
			kept = append(kept, m)
		}
	}
	return kept, nil
}

func reasonOf(err error) apierr.Reason {
	if e, ok := err.(*apierr.Error); ok {
		return e.Reason
	}
	return ""
}

// accountInfo is what mappings need besides a record: the ISO code of each
// currency and the base currency's.
type accountInfo struct {
	Currencies map[string]string `json:"currencies"`
	Base       string            `json:"base"`
}

func (a *accountInfo) currency(m map[string]any, field string) string {
	return a.Currencies[refID(m, field)]
}

// account reads the account's currencies, once an hour per connection.
func (s *session) account(ctx context.Context) (*accountInfo, error) {
	raw, err := s.c.account.Get(ctx, s.cfg.Connection+"\x00"+s.base.String()+"\x00"+s.creds.token, func(ctx context.Context) (string, time.Time, error) {
		ids, err := s.listIDs(ctx, "currency", url.Values{})
		if err != nil {
			return "", time.Time{}, err
		}
		recs, err := s.records(ctx, "currency", ids)
		if err != nil {
			return "", time.Time{}, err
		}
		a := accountInfo{Currencies: map[string]string{}}
		for _, m := range recs {
			code := str(m, "symbol")
			a.Currencies[str(m, "id")] = code
			if m["isBaseCurrency"] == true {
				a.Base = code
			}
		}
		raw, _ := json.Marshal(a)
		return string(raw), time.Now().Add(time.Hour), nil
	})
	if err != nil {
		return nil, err
	}
	var a accountInfo
	if err := json.Unmarshal([]byte(raw), &a); err != nil {
		return nil, apierr.New(apierr.Internal, "read the cached NetSuite account: %v", err)
	}
	return &a, nil
}

// listIDs lists every internal id of a type (small types only).
func (s *session) listIDs(ctx context.Context, typ string, q url.Values) ([]string, error) {
	var ids []string
	q.Set("limit", "1000")
	for offset := 0; ; {
		q.Set("offset", strconv.Itoa(offset))
		page, err := s.getJSON(ctx, typ, q)
		if err != nil {
			return nil, err
		}
		items := list(page, "items")
		for _, it := range items {
			ids = append(ids, str(it, "id"))
		}
		if page["hasMore"] != true || len(items) == 0 {
			return ids, nil
		}
		offset += len(items)
	}
}
