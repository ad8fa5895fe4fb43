// Package netsuite is the connector for Oracle NetSuite, through its REST
// record API (SuiteTalk REST web services, /services/rest/record/v1) with
// token-based authentication (OAuth 1.0a, HMAC-SHA256).
//
// Collections: locations (location), parts (inventoryItem), inventory
// levels (an inventory item's locations sublist), purchase orders
// (purchaseOrder), vendors (vendor) and users (employee). NetSuite has no
// maintenance work orders (its workOrder is a manufacturing assembly
// build) and no assets in the standard record API: the connector claims
// neither.
//
// Remote ids are NetSuite's internal ids; links hold the same. An
// inventory level is "<item id>:<location id>". The mapping, statuses,
// idempotency, concurrency and incremental sync are described in
// docs/connectors/netsuite.md.
package netsuite

import (
	"context"
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

// systemName names NetSuite in errors.
const systemName = "Oracle NetSuite"

const (
	// defaultConcurrency is how many calls a connection makes at once,
	// below the 5 concurrent requests of the smallest NetSuite accounts.
	defaultConcurrency = 4
	maxConcurrency     = 50
)

// Connector is the NetSuite connector.
type Connector struct {
	connector.Unimplemented
	http *connector.HTTP
	// account caches, per connection, the currencies' ISO codes (an hour).
	account connector.TokenCache

	mu sync.Mutex
	// slots bound each connection's calls in flight.
	slots map[string]chan struct{}
}

// New returns the NetSuite connector.
func New() connector.Connector { return newConnector() }

func newConnector() *Connector {
	h := connector.NewHTTP(systemName)
	h.Client.Transport = &signer{next: h.Client.Transport}
	return &Connector{http: h, slots: map[string]chan struct{}{}}
}

type op = entityv1.CollectionCapability_Operation

const (
	opList        = entityv1.CollectionCapability_LIST
	opGet         = entityv1.CollectionCapability_GET
	opCreate      = entityv1.CollectionCapability_CREATE
	opSetStatus   = entityv1.CollectionCapability_SET_STATUS
	opAdjust      = entityv1.CollectionCapability_ADJUST
	opListChanges = entityv1.CollectionCapability_LIST_CHANGES
)

// capabilities is the capability matrix: only what works against NetSuite's
// record API (and the simulator). Locations are listed whole (no change
// filter); no collection reports deletions (the record API has no delete
// feed). No work orders, no assets (see the package comment).
var capabilities = []*entityv1.CollectionCapability{
	{Collection: model.Locations, Operations: []op{opList, opGet}},
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

func supports(collection string, o op) bool {
	for _, c := range capabilities {
		if c.GetCollection() == collection {
			return slices.Contains(c.GetOperations(), o)
		}
	}
	return false
}

// Describe returns NetSuite's id, name, tier, fields and capabilities.
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
		Id: "netsuite", DisplayName: systemName, CreditTier: 2, Credits: 2,
		SettingsFields: []*entityv1.SystemField{
			{Name: "account_id", DisplayName: "Account ID", Required: true,
				Description: "The NetSuite account id (Setup > Company > Company Information), such as 1234567 or 1234567_SB1 for a sandbox; the OAuth realm."},
			{Name: "base_url", DisplayName: "API URL",
				Description: "The account's REST host; https://<account id>.suitetalk.api.netsuite.com when empty."},
			{Name: "adjustment_account", DisplayName: "Adjustment account",
				Description: "Internal id of the GL account inventory adjustments post to; required to adjust inventory levels."},
			{Name: "free_text_item", DisplayName: "Free-text item",
				Description: "Internal id of a non-inventory purchase item for purchase order lines that name no part; required to create such lines."},
			{Name: "time_zone", DisplayName: "Time zone",
				Description: "IANA time zone of the integration user's preferences, in which NetSuite reads the dates of change filters; UTC when empty."},
			{Name: "concurrency", DisplayName: "Concurrent calls",
				Description: "How many calls the connection makes at once (default 4); keep it within the account's concurrency limit, shared by all its integrations."},
		},
		CredentialFields: []*entityv1.SystemField{
			{Name: "consumer_key", DisplayName: "Consumer key", Required: true,
				Description: "The integration record's consumer key (Setup > Integration > Manage Integrations, token-based authentication enabled)."},
			{Name: "consumer_secret", DisplayName: "Consumer secret", Required: true, Secret: true,
				Description: "The integration record's consumer secret, shown once."},
			{Name: "token_id", DisplayName: "Token ID", Required: true,
				Description: "The access token's id (Setup > Users/Roles > Access Tokens), for a user and role allowed the REST web services."},
			{Name: "token_secret", DisplayName: "Token secret", Required: true, Secret: true,
				Description: "The access token's secret, shown once."},
		},
		Capabilities: caps,
	}
}

// Check verifies that NetSuite answers and accepts the token, by listing
// one currency.
func (c *Connector) Check(ctx context.Context, cfg connector.Config) error {
	s, err := c.session(cfg)
	if err != nil {
		return err
	}
	_, err = s.getJSON(ctx, "currency", url.Values{"limit": {"1"}})
	return err
}

// session is one connection's account, base URL and credentials.
type session struct {
	c     *Connector
	cfg   connector.Config
	base  *url.URL // .../services/rest/record/v1, without a trailing slash
	creds *credentials
	zone  *time.Location
	slots chan struct{}
}

func invalidSetting(field, desc string) error {
	return apierr.InvalidFields(apierr.FieldViolation{Field: "connection.settings." + field, Description: desc})
}

func (c *Connector) session(cfg connector.Config) (*session, error) {
	account := strings.TrimSpace(cfg.Settings["account_id"])
	if account == "" || strings.ContainsAny(account, "/:?#@ ") {
		return nil, invalidSetting("account_id", "is required: the NetSuite account id, such as 1234567 or 1234567_SB1")
	}
	raw := strings.TrimSpace(cfg.Settings["base_url"])
	if raw == "" {
		raw = "https://" + strings.ToLower(strings.ReplaceAll(account, "_", "-")) + ".suitetalk.api.netsuite.com"
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return nil, invalidSetting("base_url", "must be an http(s) URL with a host and no query")
	}
	u.Path = strings.TrimSuffix(strings.TrimRight(u.Path, "/"), "/services/rest/record/v1") + "/services/rest/record/v1"
	u.RawPath, u.Fragment = "", ""
	cr := &credentials{realm: account}
	for _, f := range []struct {
		name string
		v    *string
	}{{"consumer_key", &cr.consumerKey}, {"consumer_secret", &cr.consumerSecret}, {"token_id", &cr.token}, {"token_secret", &cr.tokenSecret}} {
		if *f.v = strings.TrimSpace(cfg.Credentials[f.name]); *f.v == "" {
			return nil, apierr.InvalidFields(apierr.FieldViolation{Field: "connection.credentials." + f.name, Description: "is required"})
		}
	}
	zone := time.UTC
	if tz := strings.TrimSpace(cfg.Settings["time_zone"]); tz != "" {
		if zone, err = time.LoadLocation(tz); err != nil {
			return nil, invalidSetting("time_zone", "is not an IANA time zone, such as America/Chicago")
		}
	}
	n := defaultConcurrency
	if v := strings.TrimSpace(cfg.Settings["concurrency"]); v != "" {
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > maxConcurrency {
			return nil, invalidSetting("concurrency", "must be a number from 1 to 50")
		}
	}
	return &session{c: c, cfg: cfg, base: u, creds: cr, zone: zone, slots: c.slotsOf(cfg.Connection+"\x00"+account, n)}, nil
}

// slotsOf returns the semaphore bounding a connection's calls.
func (c *Connector) slotsOf(key string, n int) chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.slots[key]
	if !ok || cap(s) != n {
		s = make(chan struct{}, n)
		c.slots[key] = s
	}
	return s
}

// setting returns a connection setting that must be an internal id.
func (s *session) idSetting(name, purpose string) (string, error) {
	v := strings.TrimSpace(s.cfg.Settings[name])
	if v == "" {
		return "", apierr.New(apierr.FailedPrecondition, "the connection has no %s setting: %s", name, purpose).With("field", "connection.settings."+name)
	}
	if n, err := strconv.Atoi(v); err != nil || n <= 0 {
		return "", invalidSetting(name, "must be a NetSuite internal id")
	}
	return v, nil
}
