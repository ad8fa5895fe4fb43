// Package sap is the connector for SAP S/4HANA, through its OData V2 APIs:
// API_MAINTENANCEORDER (work orders), API_EQUIPMENT (assets), API_PLANT_SRV,
// API_STORAGELOCATION_SRV and API_FUNCTIONALLOCATION (locations),
// API_PRODUCT_SRV (parts), API_MATERIAL_STOCK_SRV (inventory levels),
// API_PURCHASEORDER_PROCESS_SRV (purchase orders), API_BUSINESS_PARTNER
// (suppliers as vendors) and API_MATERIAL_DOCUMENT_SRV (goods movements for
// inventory adjustments).
//
// Remote ids are SAP's keys: MaintenanceOrder, Equipment, Product,
// PurchaseOrder, Supplier; an inventory level is Material/Plant/
// StorageLocation; locations are PLANT:1010, SLOC:1010/0001 and
// FLOC:<functional location>. The mapping, statuses, idempotency and
// incremental sync are described in docs/connectors/sap.md.
package sap

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/entity/internal/model"
	"github.com/millwright-dev/millwright/services/platform/apierr"
)

// systemName names SAP in errors.
const systemName = "SAP S/4HANA"

// SAP publishes no fixed API rate limit (the gateway's work processes are
// the limit); the connector keeps a connection at 20 calls a second with a
// burst of 40.
const (
	ratePerSecond = 20
	burst         = 40
)

// Connector is the SAP S/4HANA connector.
type Connector struct {
	connector.Unimplemented
	http *connector.HTTP
	// tokens caches OAuth access tokens, csrf the CSRF tokens and session
	// cookies of writes, per connection and credentials.
	tokens connector.TokenCache
	csrf   connector.TokenCache
}

// New returns the SAP S/4HANA connector.
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
	opSetStatus   = entityv1.CollectionCapability_SET_STATUS
	opAdjust      = entityv1.CollectionCapability_ADJUST
	opListChanges = entityv1.CollectionCapability_LIST_CHANGES
)

// capabilities is the capability matrix: only what works against SAP (and
// its simulator). Locations, inventory levels and vendors have no change
// time in SAP's APIs (plants, storage locations, stock, suppliers), so they
// are listed whole (LIST, no LIST_CHANGES); no collection reports deletions.
var capabilities = []*entityv1.CollectionCapability{
	{Collection: model.WorkOrders, Operations: []op{opList, opGet, opCreate, opUpdate, opSetStatus, opListChanges},
		CreateRequiredFields: []string{"title"}, UpdatableFields: workOrderUpdatable},
	{Collection: model.Assets, Operations: []op{opList, opGet, opListChanges}},
	{Collection: model.Locations, Operations: []op{opList, opGet}},
	{Collection: model.Parts, Operations: []op{opList, opGet, opListChanges}},
	{Collection: model.InventoryLevels, Operations: []op{opList, opGet, opAdjust}},
	{Collection: model.PurchaseOrders, Operations: []op{opList, opGet, opCreate, opSetStatus, opListChanges},
		CreateRequiredFields: []string{"vendor_id", "line_items"}},
	{Collection: model.Vendors, Operations: []op{opList, opGet}},
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

// Describe returns SAP's id, name, tier, fields and capabilities.
func (c *Connector) Describe() *entityv1.System {
	caps := make([]*entityv1.CollectionCapability, len(capabilities))
	for i, cp := range capabilities {
		caps[i] = proto.Clone(cp).(*entityv1.CollectionCapability)
	}
	return &entityv1.System{
		Id:          "sap",
		DisplayName: systemName,
		CreditTier:  3,
		Credits:     4,
		SettingsFields: []*entityv1.SystemField{
			{Name: "base_url", DisplayName: "Server URL", Required: true,
				Description: "The S/4HANA API host, without a path: https://my-s4.example.com (the services are under /sap/opu/odata/sap/)."},
			{Name: "sap_client", DisplayName: "SAP client",
				Description: "The client (mandant) to log on to, such as 100; empty uses the system's default client."},
			{Name: "token_url", DisplayName: "OAuth token URL",
				Description: "For OAuth client credentials: the token endpoint; empty uses <server URL>/sap/bc/sec/oauth2/token."},
			{Name: "plant", DisplayName: "Plant",
				Description: "Plant of created purchase orders that name no ship-to location, such as 1010; empty makes the ship-to location required."},
			{Name: "company_code", DisplayName: "Company code",
				Description: "Company code of created purchase orders; empty uses the ship-to plant's code (SAP Best Practices: plant 1010 in company code 1010)."},
			{Name: "purchasing_organization", DisplayName: "Purchasing organization",
				Description: "Purchasing organization of created purchase orders; empty uses the ship-to plant's code."},
			{Name: "purchasing_group", DisplayName: "Purchasing group",
				Description: "Purchasing group of created purchase orders; empty uses 001."},
			{Name: "maintenance_order_type", DisplayName: "Maintenance order type",
				Description: "Order type of created work orders without a type; empty uses PM01 (corrective maintenance)."},
			{Name: "purchase_order_type", DisplayName: "Purchase order type",
				Description: "Document type of created purchase orders; empty uses NB (standard purchase order)."},
			{Name: "material_group", DisplayName: "Material group for text items",
				Description: "Material group of purchase order lines without a part (SAP requires one)."},
		},
		CredentialFields: []*entityv1.SystemField{
			{Name: "username", DisplayName: "User name", Required: true, Group: "basic",
				Description: "A communication user with communication arrangements for the services the connector calls (maintenance orders, purchase orders, equipment, functional locations, products, business partners, plants, storage locations, material stock and documents)."},
			{Name: "password", DisplayName: "Password", Required: true, Secret: true, Group: "basic",
				Description: "The communication user's password."},
			{Name: "client_id", DisplayName: "OAuth client id", Required: true, Group: "oauth",
				Description: "OAuth 2.0 client id of the communication arrangement (client credentials grant)."},
			{Name: "client_secret", DisplayName: "OAuth client secret", Required: true, Secret: true, Group: "oauth",
				Description: "OAuth 2.0 client secret of the communication arrangement."},
		},
		Capabilities: caps,
	}
}

// Check verifies that SAP answers and accepts the credentials (one plant).
func (c *Connector) Check(ctx context.Context, cfg connector.Config) error {
	s, err := c.session(cfg)
	if err != nil {
		return err
	}
	_, err = s.list(ctx, "API_PLANT_SRV", "A_Plant", url.Values{"$top": {"1"}})
	return err
}

// session is one connection's base URL, client and credentials.
type session struct {
	c      *Connector
	cfg    connector.Config
	base   *url.URL // without a trailing slash
	client string   // sap-client, or ""
	// basic is the Basic Authorization header; empty with OAuth.
	basic string
	// cacheKey names the connection and a digest of its credentials.
	cacheKey string
}

func invalid(field, desc string) error {
	return apierr.InvalidFields(apierr.FieldViolation{Field: field, Description: desc})
}

func (c *Connector) session(cfg connector.Config) (*session, error) {
	raw := strings.TrimSpace(cfg.Settings["base_url"])
	if raw == "" {
		return nil, invalid("connection.settings.base_url", "is required")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return nil, invalid("connection.settings.base_url", "must be an http(s) URL with a host and no query")
	}
	// The setting is the host; tolerate a URL that already names the
	// OData root.
	u.Path = strings.TrimSuffix(strings.TrimRight(u.Path, "/"), "/sap/opu/odata/sap")
	u.RawPath, u.Fragment = "", ""
	s := &session{c: c, cfg: cfg, base: u, client: strings.TrimSpace(cfg.Settings["sap_client"])}
	user, pass := cfg.Credentials["username"], cfg.Credentials["password"]
	id, secret := cfg.Credentials["client_id"], cfg.Credentials["client_secret"]
	switch {
	case user != "" && pass != "":
		s.basic = basicAuth(user, pass)
	case id != "" && secret != "":
		if t := strings.TrimSpace(cfg.Settings["token_url"]); t != "" {
			tu, err := url.Parse(t)
			if err != nil || (tu.Scheme != "http" && tu.Scheme != "https") || tu.Host == "" {
				return nil, invalid("connection.settings.token_url", "must be an http(s) URL")
			}
		}
	default:
		return nil, invalid("connection.credentials", "give a username and a password, or a client_id and a client_secret")
	}
	sum := sha256.Sum256([]byte(u.String() + "\x00" + s.client + "\x00" + user + "\x00" + pass + "\x00" + id + "\x00" + secret))
	s.cacheKey = cfg.Connection + "\x00" + hex.EncodeToString(sum[:12])
	return s, nil
}
