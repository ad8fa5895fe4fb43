// Package maintainx is the connector for MaintainX, through its public REST
// API (https://api.getmaintainx.com/v1): work orders, assets, locations,
// parts (and their stock per location, as inventory levels), purchase
// orders, vendors and users.
//
// Remote ids are MaintainX's numeric ids written as decimal strings; links
// hold the same. An inventory level, which MaintainX keeps inside its part,
// is "<partId>:<locationId>". The mapping, statuses, idempotency, rate
// limits and incremental sync are described in docs/connectors/maintainx.md.
package maintainx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/entity/internal/model"
	"github.com/millwright-dev/millwright/services/platform/apierr"
)

// systemName names MaintainX in errors.
const systemName = "MaintainX"

// Connector is the MaintainX connector.
type Connector struct {
	connector.Unimplemented
	http *connector.HTTP

	mu sync.Mutex
	// gates hold, per connection, the time before which no call may be made
	// because MaintainX said the rate-limit budget is spent.
	gates map[string]time.Time
}

// New returns the MaintainX connector.
func New() connector.Connector { return newConnector() }

func newConnector() *Connector {
	return &Connector{http: connector.NewHTTP(systemName), gates: map[string]time.Time{}}
}

type op = entityv1.CollectionCapability_Operation

const (
	opList        = entityv1.CollectionCapability_LIST
	opGet         = entityv1.CollectionCapability_GET
	opCreate      = entityv1.CollectionCapability_CREATE
	opUpdate      = entityv1.CollectionCapability_UPDATE
	opDelete      = entityv1.CollectionCapability_DELETE
	opSetStatus   = entityv1.CollectionCapability_SET_STATUS
	opListChanges = entityv1.CollectionCapability_LIST_CHANGES
)

// capabilities is the capability matrix: only what works against MaintainX's
// API (and the simulator). LIST_CHANGES only where the list takes
// updatedAt[gte]: locations, vendors and users are listed whole. No
// LIST_DELETIONS: the API has no delete feed.
var capabilities = []*entityv1.CollectionCapability{
	{
		Collection:           model.WorkOrders,
		Operations:           []op{opList, opGet, opCreate, opUpdate, opDelete, opSetStatus, opListChanges},
		CreateRequiredFields: []string{"title"},
		UpdatableFields: []string{"title", "description", "priority", "type", "asset_id", "location_id", "assignee_ids",
			"scheduled_start_time", "due_time", "estimated_hours"},
	},
	{Collection: model.Assets, Operations: []op{opList, opGet, opListChanges}},
	{Collection: model.Locations, Operations: []op{opList, opGet}},
	{Collection: model.Parts, Operations: []op{opList, opGet, opListChanges}},
	{Collection: model.InventoryLevels, Operations: []op{opList, opGet, opListChanges}},
	{
		Collection:           model.PurchaseOrders,
		Operations:           []op{opList, opGet, opCreate, opSetStatus, opListChanges},
		CreateRequiredFields: []string{"vendor_id", "line_items"},
	},
	{Collection: model.Vendors, Operations: []op{opList, opGet}},
	{Collection: model.Users, Operations: []op{opList, opGet}},
}

func supports(collection string, o op) bool {
	for _, c := range capabilities {
		if c.GetCollection() == collection {
			return slices.Contains(c.GetOperations(), o)
		}
	}
	return false
}

// Describe returns MaintainX's id, name, tier, fields and capabilities.
func (c *Connector) Describe() *entityv1.System {
	caps := make([]*entityv1.CollectionCapability, len(capabilities))
	for i, cp := range capabilities {
		caps[i] = &entityv1.CollectionCapability{
			Collection:           cp.GetCollection(),
			Operations:           slices.Clone(cp.GetOperations()),
			CreateRequiredFields: slices.Clone(cp.GetCreateRequiredFields()),
			UpdatableFields:      slices.Clone(cp.GetUpdatableFields()),
		}
	}
	return &entityv1.System{
		Id: "maintainx", DisplayName: systemName, CreditTier: 1, Credits: 1,
		SettingsFields: []*entityv1.SystemField{
			{Name: "base_url", DisplayName: "API URL", Required: true,
				Description: "The API root: https://api.getmaintainx.com/v1 for MaintainX, or the simulator's, http://127.0.0.1:9604/v1 by default."},
			{Name: "currency", DisplayName: "Currency",
				Description: "ISO 4217 code of the organisation's currency (MaintainX costs carry none); USD when empty."},
		},
		CredentialFields: []*entityv1.SystemField{
			{Name: "api_key", DisplayName: "API key", Required: true, Secret: true,
				Description: "A MaintainX API key (Settings > Integrations > API Keys), sent as Authorization: Bearer."},
			{Name: "organization_id", DisplayName: "Organization id",
				Description: "The organisation to act in, sent as x-organization-id; required only when the key belongs to several organisations."},
		},
		Capabilities: caps,
	}
}

// Check verifies that MaintainX answers and accepts the key, by listing one user.
func (c *Connector) Check(ctx context.Context, cfg connector.Config) error {
	s, err := c.session(cfg)
	if err != nil {
		return err
	}
	_, err = s.call(ctx, http.MethodGet, s.url("/users", url.Values{"limit": {"1"}}), nil)
	return err
}

// session is one connection's base URL and credentials.
type session struct {
	c        *Connector
	cfg      connector.Config
	base     *url.URL
	key      string
	org      string
	currency string
}

func (c *Connector) session(cfg connector.Config) (*session, error) {
	raw := strings.TrimSpace(cfg.Settings["base_url"])
	if raw == "" {
		return nil, apierr.InvalidFields(apierr.FieldViolation{Field: "connection.settings.base_url", Description: "is required"})
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return nil, apierr.InvalidFields(apierr.FieldViolation{Field: "connection.settings.base_url", Description: "must be an http(s) URL with a host and no query"})
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath, u.Fragment = "", ""
	key := strings.TrimSpace(cfg.Credentials["api_key"])
	if key == "" {
		return nil, apierr.InvalidFields(apierr.FieldViolation{Field: "connection.credentials.api_key", Description: "is required"})
	}
	org := strings.TrimSpace(cfg.Credentials["organization_id"])
	if _, err := strconv.ParseInt(org, 10, 64); org != "" && err != nil {
		return nil, apierr.InvalidFields(apierr.FieldViolation{Field: "connection.credentials.organization_id", Description: "must be a number"})
	}
	cur := strings.ToUpper(strings.TrimSpace(cfg.Settings["currency"]))
	if cur == "" {
		cur = "USD"
	}
	return &session{c: c, cfg: cfg, base: u, key: key, org: org, currency: cur}, nil
}

func (s *session) url(path string, q url.Values) *url.URL {
	u := *s.base
	u.Path = s.base.Path + path
	u.RawQuery = q.Encode()
	return &u
}

// errorBody is MaintainX's error: {"error": "..."} or
// {"errors": [{"error", "fieldPath"}]}.
type errorBody struct {
	Error  any `json:"error"`
	Errors []struct {
		Error     string `json:"error"`
		FieldPath string `json:"fieldPath"`
	} `json:"errors"`
}

// parseError returns the message of an error body.
func parseError(body []byte) string {
	var e errorBody
	if json.Unmarshal(body, &e) == nil {
		var msgs []string
		if s, ok := e.Error.(string); ok && s != "" {
			msgs = append(msgs, s)
		}
		for _, x := range e.Errors {
			if x.FieldPath != "" && !strings.Contains(x.Error, x.FieldPath) {
				msgs = append(msgs, x.FieldPath+": "+x.Error)
			} else {
				msgs = append(msgs, x.Error)
			}
		}
		if len(msgs) > 0 {
			return strings.Join(msgs, "; ")
		}
	}
	text := strings.TrimSpace(string(body))
	if len(text) > 300 {
		text = text[:300] + "..."
	}
	if strings.HasPrefix(text, "<") {
		text = ""
	}
	return text
}

// wait blocks while the connection's rate-limit budget is spent.
func (c *Connector) wait(ctx context.Context, connection string) error {
	c.mu.Lock()
	until := c.gates[connection]
	c.mu.Unlock()
	d := time.Until(until)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return connector.Unreachable(systemName, ctx.Err())
	case <-t.C:
		return nil
	}
}

// observe reads the X-Rate-Limit-* headers of an answer: when Remaining is
// 0, calls of the connection wait until Reset (Unix seconds, or seconds
// from now when small).
func (c *Connector) observe(connection string, h http.Header) {
	if strings.TrimSpace(h.Get("X-Rate-Limit-Remaining")) != "0" {
		return
	}
	until := time.Now().Add(time.Second)
	if r, err := strconv.ParseInt(strings.TrimSpace(h.Get("X-Rate-Limit-Reset")), 10, 64); err == nil && r > 0 {
		if r > 1_000_000_000 {
			until = time.Unix(r, 0)
		} else {
			until = time.Now().Add(time.Duration(r) * time.Second)
		}
	}
	if limit := time.Now().Add(5 * time.Minute); until.After(limit) {
		until = limit
	}
	c.mu.Lock()
	c.gates[connection] = until
	c.mu.Unlock()
}

// send sends a request with the connection's authentication, honouring the
// rate-limit gate, and returns the answer with its body read.
func (s *session) send(ctx context.Context, req *http.Request) (*http.Response, []byte, error) {
	if err := s.c.wait(ctx, s.cfg.Connection); err != nil {
		return nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+s.key)
	if s.org != "" {
		req.Header.Set("x-organization-id", s.org)
	}
	resp, data, err := s.c.http.Do(ctx, s.cfg.Connection, req)
	if err != nil {
		return nil, nil, err
	}
	s.c.observe(s.cfg.Connection, resp.Header)
	return resp, data, nil
}

// call sends a JSON request and returns the body of a 2xx answer; other
// answers are classified by connector.Classify with MaintainX's message.
func (s *session) call(ctx context.Context, method string, u *url.URL, body any) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, apierr.New(apierr.Internal, "encode a request to %s: %v", systemName, err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, apierr.New(apierr.Internal, "build a request to %s: %v", systemName, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, data, err := s.send(ctx, req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 400 {
		return nil, connector.Classify(systemName, resp, parseError(data))
	}
	return data, nil
}

// getJSON GETs u and decodes the answer into v.
func (s *session) getJSON(ctx context.Context, u *url.URL, v any) error {
	data, err := s.call(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	return decode(data, v)
}

func decode(data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return apierr.New(apierr.ConnectedSystemError, "%s answered with JSON that cannot be read: %v", systemName, err).With("system", systemName)
	}
	return nil
}

var errNotID = errors.New("not a MaintainX id")

// parseID reads a remote id: a positive decimal number.
func parseID(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, errNotID
	}
	return n, nil
}
