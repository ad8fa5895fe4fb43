// Package limble is the connector for Limble CMMS, through its API v2
// (/v2/tasks, /v2/assets, /v2/locations, /v2/parts, /v2/po, /v2/po/items,
// /v2/vendors, /v2/users, /v2/statuses).
//
// Remote ids are Limble's numeric ids as strings (taskID, assetID, partID
// ...); links hold the same. Limble keeps a part per location, so a part and
// its inventory level share the partID. The mapping, statuses, rate limits,
// idempotency and incremental sync are described in
// docs/connectors/limble.md.
package limble

import (
	"context"
	"net/url"
	"slices"
	"strings"

	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/entity/internal/model"
	"github.com/millwright-dev/millwright/services/platform/apierr"
)

// systemName names Limble in errors.
const systemName = "Limble CMMS"

// Limble allows 360 GETs a minute and 4000 an hour per API key. The limiter
// keeps a connection at 6 calls a second (the minute limit) with a burst of
// 30; the X-RateLimit-* headers guard the rest (see gate.go).
const (
	ratePerSecond = 6
	burst         = 30
)

// Connector is the Limble connector.
type Connector struct {
	connector.Unimplemented
	http *connector.HTTP
	// account caches, per connection, the task statuses and the locations'
	// currencies (an hour).
	account connector.TokenCache
	gates   gates
}

// New returns the Limble connector.
func New() connector.Connector { return newConnector() }

func newConnector() *Connector {
	h := connector.NewHTTP(systemName)
	h.RatePerSecond, h.Burst = ratePerSecond, burst
	return &Connector{http: h}
}

type op = entityv1.CollectionCapability_Operation

const (
	opList        = entityv1.CollectionCapability_LIST
	opGet         = entityv1.CollectionCapability_GET
	opCreate      = entityv1.CollectionCapability_CREATE
	opUpdate      = entityv1.CollectionCapability_UPDATE
	opDelete      = entityv1.CollectionCapability_DELETE
	opSetStatus   = entityv1.CollectionCapability_SET_STATUS
	opAdjust      = entityv1.CollectionCapability_ADJUST
	opListChanges = entityv1.CollectionCapability_LIST_CHANGES
)

// workOrderUpdatable are the unified fields Update can change on a task.
var workOrderUpdatable = []string{"title", "description", "priority", "type", "asset_id", "location_id", "assignee_ids",
	"scheduled_start_time", "scheduled_end_time", "due_time", "estimated_hours"}

// capabilities is the capability matrix: only what works against Limble
// (and its simulator). Locations and users have no change time in Limble,
// so they are listed whole (LIST, no LIST_CHANGES); no collection reports
// deletions.
var capabilities = []*entityv1.CollectionCapability{
	{
		Collection:           model.WorkOrders,
		Operations:           []op{opList, opGet, opCreate, opUpdate, opDelete, opSetStatus, opListChanges},
		CreateRequiredFields: []string{"title", "location_id", "due_time"},
		UpdatableFields:      workOrderUpdatable,
	},
	{Collection: model.Assets, Operations: []op{opList, opGet, opListChanges}},
	{Collection: model.Locations, Operations: []op{opList, opGet}},
	{Collection: model.Parts, Operations: []op{opList, opGet, opListChanges}},
	{Collection: model.InventoryLevels, Operations: []op{opList, opGet, opAdjust, opListChanges}},
	{
		Collection:           model.PurchaseOrders,
		Operations:           []op{opList, opGet, opCreate, opSetStatus, opListChanges},
		CreateRequiredFields: []string{"vendor_id", "line_items"},
	},
	{Collection: model.Vendors, Operations: []op{opList, opGet, opListChanges}},
	{Collection: model.Users, Operations: []op{opList, opGet}},
}

// supports reports whether the matrix claims an operation on a collection.
func supports(collection string, o op) bool {
	for _, c := range capabilities {
		if c.GetCollection() == collection {
			return slices.Contains(c.GetOperations(), o)
		}
	}
	return false
}

// Describe returns Limble's id, name, tier, fields and capabilities.
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
		Id:          "limble",
		DisplayName: systemName,
		CreditTier:  1,
		Credits:     1,
		SettingsFields: []*entityv1.SystemField{
			{Name: "base_url", DisplayName: "API URL", Required: true,
				Description: "The Limble API host of the account's region: https://api.limblecmms.com (default), https://ca-api.limblecmms.com, https://au-api.limblecmms.com, https://eu-api.limblecmms.com or https://21cfr-api.limblecmms.com."},
			{Name: poUserSetting, DisplayName: "Purchase order user",
				Description: "The Limble userID that purchase orders created through Millwright are assigned to (Limble requires one); the first active user when empty."},
		},
		CredentialFields: []*entityv1.SystemField{
			{Name: "client_id", DisplayName: "Client ID", Required: true,
				Description: "The API client id (Settings > Configuration > API Settings > Generate API Keys, as a Super Administrator)."},
			{Name: "client_secret", DisplayName: "Client secret", Required: true, Secret: true,
				Description: "The API client secret, shown once when the keys are generated."},
		},
		Capabilities: caps,
	}
}

// Check verifies that Limble answers and accepts the credentials (GET /v2/me).
func (c *Connector) Check(ctx context.Context, cfg connector.Config) error {
	s, err := c.session(cfg)
	if err != nil {
		return err
	}
	_, err = s.get(ctx, "/v2/me", nil)
	return err
}

// session is one connection's base URL and credentials.
type session struct {
	c    *Connector
	cfg  connector.Config
	base *url.URL // without a trailing slash
	auth string   // the Authorization header
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
	// The setting is the API host; tolerate a URL that already names /v2.
	u.Path = strings.TrimSuffix(strings.TrimRight(u.Path, "/"), "/v2")
	u.RawPath, u.Fragment = "", ""
	id, secret := cfg.Credentials["client_id"], cfg.Credentials["client_secret"]
	if id == "" || secret == "" {
		return nil, apierr.InvalidFields(apierr.FieldViolation{Field: "connection.credentials", Description: "give a client_id and a client_secret"})
	}
	return &session{c: c, cfg: cfg, base: u, auth: basicAuth(id, secret)}, nil
}
