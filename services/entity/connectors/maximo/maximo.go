// Package maximo is the connector for IBM Maximo (Manage), through its
// REST/OSLC JSON API: the object structures mxapiwo, mxapiasset,
// mxapioperloc, mxapiitem, mxapiinventory, mxapipo, mxapivendor and
// mxapiperson under /maximo/api/os/.
//
// Remote ids are Maximo's business keys joined with "/" in Maximo's key
// order (a work order is "SITE/WONUM"); links hold the same form, so the ids
// the entity service derives from them match across collections. The
// mapping, the status tables, idempotency and incremental sync are described
// in docs/connectors/maximo.md.
package maximo

import (
	"context"
	"net/url"
	"strings"

	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/entity/internal/model"
	"github.com/millwright-dev/millwright/services/platform/apierr"
)

// systemName names Maximo in errors.
const systemName = "IBM Maximo"

// ratePerSecond bounds the calls of one connection; burst lets a short run
// of calls (a write reading its record first) go at once.
const (
	ratePerSecond = 20
	burst         = 20
)

// Connector is the Maximo connector.
type Connector struct {
	connector.Unimplemented
	http *connector.HTTP
	// whoami caches, per connection, the user's defaults (base currency,
	// insert site) read from /maximo/api/whoami.
	whoami connector.TokenCache
}

// New returns the Maximo connector.
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

// capabilities is the capability matrix: only what works against Maximo
// (and its simulator). There is no LIST_DELETIONS: Maximo has no delete
// feed, so Millwright reconciles deletions by full listings.
var capabilities = []*entityv1.CollectionCapability{
	{
		Collection: model.WorkOrders,
		Operations: []op{opList, opGet, opCreate, opUpdate, opDelete, opSetStatus, opListChanges},
		// Maximo requires a description, which is the unified title.
		CreateRequiredFields: []string{"title"},
		UpdatableFields: []string{"title", "description", "priority", "type", "asset_id", "location_id", "assignee_ids",
			"scheduled_start_time", "scheduled_end_time", "due_time", "estimated_hours", "parent_id"},
	},
	{
		Collection: model.Assets,
		Operations: []op{opList, opGet, opCreate, opUpdate, opListChanges},
		UpdatableFields: []string{"name", "status", "criticality", "location_id", "parent_id", "vendor_id", "make",
			"serial_number", "commissioned_time"},
	},
	{Collection: model.Locations, Operations: []op{opList, opGet, opListChanges}},
	{Collection: model.Parts, Operations: []op{opList, opGet, opListChanges}},
	{Collection: model.InventoryLevels, Operations: []op{opList, opGet, opAdjust, opListChanges}},
	{
		Collection:           model.PurchaseOrders,
		Operations:           []op{opList, opGet, opCreate, opSetStatus, opListChanges},
		CreateRequiredFields: []string{"vendor_id", "line_items"},
	},
	{
		Collection:           model.Vendors,
		Operations:           []op{opList, opGet, opCreate, opListChanges},
		CreateRequiredFields: []string{"name"},
	},
	{Collection: model.Users, Operations: []op{opList, opGet, opListChanges}},
}

// supports reports whether the matrix claims an operation on a collection.
func supports(collection string, o op) bool {
	for _, c := range capabilities {
		if c.GetCollection() == collection {
			for _, x := range c.GetOperations() {
				if x == o {
					return true
				}
			}
		}
	}
	return false
}

// Describe returns Maximo's id, name, tier, fields and capabilities.
func (c *Connector) Describe() *entityv1.System {
	caps := make([]*entityv1.CollectionCapability, len(capabilities))
	for i, cp := range capabilities {
		caps[i] = &entityv1.CollectionCapability{
			Collection:           cp.GetCollection(),
			Operations:           append([]op(nil), cp.GetOperations()...),
			CreateRequiredFields: append([]string(nil), cp.GetCreateRequiredFields()...),
			UpdatableFields:      append([]string(nil), cp.GetUpdatableFields()...),
		}
	}
	return &entityv1.System{
		Id:          "maximo",
		DisplayName: systemName,
		CreditTier:  3,
		Credits:     4,
		SettingsFields: []*entityv1.SystemField{
			{Name: "base_url", DisplayName: "Server URL", Required: true,
				Description: "The root URL of the Maximo server, such as https://maximo.example.com; the API is under /maximo/api/os/ on it."},
			{Name: "site", DisplayName: "Default site",
				Description: "The site id (such as BEDFORD) of records created without a location or asset that names their site; empty uses the integration user's insert site."},
		},
		CredentialFields: []*entityv1.SystemField{
			{Name: "api_key", DisplayName: "API key", Required: true, Secret: true, Group: "apikey",
				Description: "A Maximo API key (Administration > API Keys), sent as the apikey header. The key's user needs access to the object structures MXAPIWO, MXAPIASSET, MXAPIOPERLOC, MXAPIITEM, MXAPIINVENTORY, MXAPIPO, MXAPIVENDOR and MXAPIPERSON."},
			{Name: "username", DisplayName: "User name", Required: true, Group: "maxauth",
				Description: "A Maximo user for native authentication (maxauth), used when no API key is given."},
			{Name: "password", DisplayName: "Password", Required: true, Secret: true, Group: "maxauth",
				Description: "The password of that Maximo user."},
		},
		Capabilities: caps,
	}
}

// Check verifies that Maximo answers and accepts the credentials, by asking
// who the credentials' user is.
func (c *Connector) Check(ctx context.Context, cfg connector.Config) error {
	s, err := c.session(cfg)
	if err != nil {
		return err
	}
	_, err = s.whoami(ctx, false)
	return err
}

// session is one connection's base URL and authentication.
type session struct {
	c    *Connector
	cfg  connector.Config
	base *url.URL // the server root, without a trailing slash
	// auth is the header that authenticates: apikey or maxauth.
	authName, authValue string
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
	// The setting is the server root; tolerate a URL that already names the
	// /maximo context root.
	u.Path = strings.TrimSuffix(strings.TrimRight(u.Path, "/"), "/maximo")
	u.RawPath, u.Fragment = "", ""
	s := &session{c: c, cfg: cfg, base: u}
	switch key, user, pass := cfg.Credentials["api_key"], cfg.Credentials["username"], cfg.Credentials["password"]; {
	case key != "":
		s.authName, s.authValue = "apikey", key
	case user != "" && pass != "":
		s.authName, s.authValue = "maxauth", maxauth(user, pass)
	default:
		return nil, apierr.InvalidFields(apierr.FieldViolation{Field: "connection.credentials", Description: "give an api_key, or a username and a password"})
	}
	return s, nil
}
