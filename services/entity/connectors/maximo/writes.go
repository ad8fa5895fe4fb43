package maximo

import (
	"bytes"
	"context"
	"encoding/json"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	connectorv1 "github.com/millwright-dev/millwright/gen/go/millwright/connector/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/entity/internal/model"
	"github.com/millwright-dev/millwright/services/platform/apierr"
)

// outputOnly are the OUTPUT_ONLY fields a write ignores: those every record
// shares, and a purchase order's total (Maximo computes it).
var outputOnly = map[protoreflect.Name]bool{
	"id": true, "remote_id": true, "connection": true, "create_time": true, "update_time": true,
	"delete_time": true, "remote_update_time": true, "remote_data": true, "total": true,
}

// unified returns the unified message a record holds for its collection.
func unified(obj *object, rec *connectorv1.Record) (proto.Message, *model.Collection, error) {
	col, _ := model.ByName(obj.collection)
	m := col.FromRecord(rec)
	if m == nil {
		return nil, nil, apierr.InvalidFields(apierr.FieldViolation{Field: "record", Description: "holds no " + string(col.Oneof)})
	}
	return m, col, nil
}

func newWriter(col *model.Collection, cur member) *writer {
	return &writer{body: map[string]any{}, cur: cur, prefix: string(col.Oneof)}
}

// Create creates a record with POST on the object structure, asking for the
// created record back (properties header). The idempotency key goes as
// Maximo's transactionid; a record given no key of its own gets one derived
// from the idempotency key, so that a retry whose transactionid Maximo
// refuses as a duplicate (409 BMXAA9524E) finds and returns the first record.
func (c *Connector) Create(ctx context.Context, cfg connector.Config, rec *connectorv1.Record, idempotencyKey string) (*connectorv1.Record, error) {
	obj, ok := c.object(rec.GetCollection(), opCreate)
	if !ok {
		return c.Unimplemented.Create(ctx, cfg, rec, idempotencyKey)
	}
	msg, col, err := unified(obj, rec)
	if err != nil {
		return nil, err
	}
	s, err := c.session(cfg)
	if err != nil {
		return nil, err
	}
	site := ""
	if obj.hasSite() {
		if site, err = s.siteFor(ctx, obj.write, msg); err != nil {
			return nil, err
		}
	}
	fields, known, err := createBody(obj, col, msg, site, idempotencyKey)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(fields)
	if err != nil {
		return nil, apierr.New(apierr.Internal, "encode the %s: %v", obj.noun, err)
	}
	headers := map[string]string{"properties": obj.sel}
	if idempotencyKey != "" {
		headers["transactionid"] = transactionID(idempotencyKey)
	}
	r, err := s.call(ctx, http.MethodPost, s.apiURL(osPath(obj.os), url.Values{"lean": {"1"}}), body, headers)
	if err != nil {
		if r != nil && r.code == codeDuplicateTxn && known != "" {
			return s.get(ctx, obj, known)
		}
		return nil, err
	}
	if known == "" && r.header.Get("Location") != "" && len(bytes.TrimSpace(r.body)) == 0 {
		return s.getHref(ctx, obj, r.header.Get("Location"))
	}
	return s.answer(ctx, obj, r, known)
}

// createBody is the JSON body creating msg in a site, and the remote id of
// the new record when its key is known before Maximo numbers it: given, or
// derived from the idempotency key.
func createBody(obj *object, col *model.Collection, msg proto.Message, site, idempotencyKey string) (map[string]any, string, error) {
	spec := obj.write
	w := newWriter(col, nil)
	if obj.hasSite() {
		w.site = site
		w.body["siteid"] = site
	}
	msg.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		name := string(fd.Name())
		switch {
		case outputOnly[fd.Name()]:
		case name == "status" && col.Status(msg) == spec.initial:
		case spec.fields[name] == nil:
			w.field = name
			w.fail("cannot be written to IBM Maximo")
		default:
			w.field = name
			spec.fields[name](w, msg)
		}
		return true
	})
	for k, v := range spec.fixed {
		w.body[k] = v
	}
	for k, v := range w.body {
		if v == nil || v == "" {
			delete(w.body, k)
		}
	}
	if _, given := w.body[spec.autokey]; !given && idempotencyKey != "" {
		w.body[spec.autokey] = derivedKey(idempotencyKey, spec.keyLen)
	}
	if len(w.bad) > 0 {
		return nil, "", apierr.InvalidFields(w.bad...).With("system", systemName)
	}
	known := ""
	if key, ok := w.body[spec.autokey].(string); ok {
		w.body[spec.autokey] = strings.ToUpper(key)
		known = obj.remoteID(member(w.body))
	}
	return w.body, known, nil
}

// updateBody is the JSON body changing the named fields of cur to msg's
// values, and whether its child rows are merged (patchtype: MERGE).
func updateBody(obj *object, col *model.Collection, msg proto.Message, fields []string, cur member) (map[string]any, bool, error) {
	w := newWriter(col, cur)
	w.site = cur.str("siteid")
	for _, f := range fields {
		w.field = f
		if put := obj.write.fields[f]; put != nil {
			put(w, msg)
		} else {
			w.fail("cannot be written to IBM Maximo")
		}
	}
	if len(w.bad) > 0 {
		return nil, false, apierr.InvalidFields(w.bad...).With("system", systemName)
	}
	return w.body, w.merge, nil
}

// siteFor returns the site of a new record: the site of its first link
// naming one, else the connection's site setting, else the user's insert
// site.
func (s *session) siteFor(ctx context.Context, spec *writeSpec, msg proto.Message) (string, error) {
	m := msg.ProtoReflect()
	for _, f := range spec.siteFrom {
		if v := m.Get(m.Descriptor().Fields().ByName(protoreflect.Name(f))).String(); v != "" {
			if parts, ok := splitKey(v, 2); ok {
				return parts[0], nil
			}
		}
	}
	if site := strings.TrimSpace(s.cfg.Settings["site"]); site != "" {
		return strings.ToUpper(site), nil
	}
	info, err := s.whoami(ctx, true)
	if err != nil {
		return "", err
	}
	if info.InsertSite != "" {
		return info.InsertSite, nil
	}
	if info.DefSite != "" {
		return info.DefSite, nil
	}
	return "", apierr.InvalidFields(apierr.FieldViolation{Field: "connection.settings.site",
		Description: "is needed: the record names no site (through " + strings.Join(spec.siteFrom, ", ") + ") and the Maximo user has no default site"})
}

// get reads and maps a record.
func (s *session) get(ctx context.Context, obj *object, remoteID string) (*connectorv1.Record, error) {
	m, raw, err := s.read(ctx, obj, remoteID)
	if err != nil {
		return nil, err
	}
	e, err := s.env(ctx, obj)
	if err != nil {
		return nil, err
	}
	return obj.record(m, raw, e), nil
}

// getHref reads a member by its href.
func (s *session) getHref(ctx context.Context, obj *object, href string) (*connectorv1.Record, error) {
	u, err := s.local(href, osPath(obj.os)+"/")
	if err != nil {
		return nil, apierr.New(apierr.ConnectedSystemError, "%s gave a record URL outside the collection: %v", systemName, err).With("system", systemName)
	}
	u.RawQuery = url.Values{"lean": {"1"}, "oslc.select": {obj.sel}}.Encode()
	r, err := s.call(ctx, http.MethodGet, u, nil, nil)
	if err != nil {
		return nil, err
	}
	m, remote, err := readMember(r.body)
	if err != nil {
		return nil, err
	}
	e, err := s.env(ctx, obj)
	if err != nil {
		return nil, err
	}
	return obj.record(m, remote, e), nil
}

// answer maps the record a write returned (properties header), or reads it
// when Maximo returned none.
func (s *session) answer(ctx context.Context, obj *object, r *reply, remoteID string) (*connectorv1.Record, error) {
	var (
		m      member
		remote []byte
		err    error
	)
	if len(bytes.TrimSpace(r.body)) > 0 {
		if m, remote, err = readMember(r.body); err != nil {
			return nil, err
		}
	}
	if m == nil || obj.remoteID(m) == "" || (remoteID != "" && obj.remoteID(m) != remoteID) {
		if remoteID == "" {
			return nil, apierr.New(apierr.ConnectedSystemError, "%s did not return the %s it wrote", systemName, obj.noun).With("system", systemName)
		}
		return s.get(ctx, obj, remoteID)
	}
	e, err := s.env(ctx, obj)
	if err != nil {
		return nil, err
	}
	return obj.record(m, remote, e), nil
}

// memberURL is the URL of a member read by read(), with a query.
func (s *session) memberURL(obj *object, m member, q url.Values) (*url.URL, error) {
	u, err := s.local(m.str("href"), osPath(obj.os)+"/")
	if err != nil {
		return nil, apierr.New(apierr.ConnectedSystemError, "%s gave a record URL outside the collection: %v", systemName, err).With("system", systemName)
	}
	q.Set("lean", "1")
	u.RawQuery = q.Encode()
	return u, nil
}

// modify POSTs to a member with x-method-override: PATCH (an update or an
// action) and returns the record after it. A duplicate transactionid means
// the change was made by an earlier attempt: the record is read and
// returned.
func (s *session) modify(ctx context.Context, obj *object, m member, remoteID string, q url.Values, body map[string]any, headers map[string]string, idempotencyKey string) (*connectorv1.Record, error) {
	u, err := s.memberURL(obj, m, q)
	if err != nil {
		return nil, err
	}
	headers["x-method-override"] = "PATCH"
	headers["properties"] = obj.sel
	if idempotencyKey != "" {
		headers["transactionid"] = transactionID(idempotencyKey)
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, apierr.New(apierr.Internal, "encode the %s: %v", obj.noun, err)
	}
	r, err := s.call(ctx, http.MethodPost, u, raw, headers)
	if err != nil {
		if r != nil && r.code == codeDuplicateTxn {
			return s.get(ctx, obj, remoteID)
		}
		return nil, err
	}
	return s.answer(ctx, obj, r, remoteID)
}

// Update changes the named fields: it reads the record for its href, then
// POSTs the changed attributes with x-method-override: PATCH (and patchtype:
// MERGE when it changes child rows).
func (c *Connector) Update(ctx context.Context, cfg connector.Config, rec *connectorv1.Record, fields []string, idempotencyKey string) (*connectorv1.Record, error) {
	obj, ok := c.object(rec.GetCollection(), opUpdate)
	if !ok {
		return c.Unimplemented.Update(ctx, cfg, rec, fields, idempotencyKey)
	}
	msg, col, err := unified(obj, rec)
	if err != nil {
		return nil, err
	}
	var updatable []string
	for _, cp := range capabilities {
		if cp.GetCollection() == obj.collection {
			updatable = cp.GetUpdatableFields()
		}
	}
	var bad []apierr.FieldViolation
	for _, f := range fields {
		if !slices.Contains(updatable, f) {
			bad = append(bad, apierr.FieldViolation{Field: string(col.Oneof) + "." + f, Description: "cannot be updated in IBM Maximo; updatable: " + strings.Join(updatable, ", ")})
		}
	}
	if len(fields) == 0 {
		bad = append(bad, apierr.FieldViolation{Field: "fields", Description: "names no field to change"})
	}
	if len(bad) > 0 {
		return nil, apierr.InvalidFields(bad...).With("system", systemName)
	}
	s, err := c.session(cfg)
	if err != nil {
		return nil, err
	}
	cur, curRaw, err := s.read(ctx, obj, rec.GetRemoteId())
	if err != nil {
		return nil, err
	}
	body, merge, err := updateBody(obj, col, msg, fields, cur)
	if err != nil {
		return nil, err
	}
	if len(body) == 0 {
		e, err := s.env(ctx, obj)
		if err != nil {
			return nil, err
		}
		return obj.record(cur, curRaw, e), nil
	}
	headers := map[string]string{}
	if merge {
		headers["patchtype"] = "MERGE"
	}
	return s.modify(ctx, obj, cur, rec.GetRemoteId(), url.Values{}, body, headers, idempotencyKey)
}

// Delete deletes a record (Maximo allows it for work orders waiting for
// approval; others get 400 BMXAA0024E, CONNECTED_SYSTEM_REJECTED).
func (c *Connector) Delete(ctx context.Context, cfg connector.Config, collection, remoteID string) error {
	obj, ok := c.object(collection, opDelete)
	if !ok {
		return c.Unimplemented.Delete(ctx, cfg, collection, remoteID)
	}
	s, err := c.session(cfg)
	if err != nil {
		return err
	}
	cur, _, err := s.read(ctx, obj, remoteID)
	if err != nil {
		return err
	}
	u, err := s.memberURL(obj, cur, url.Values{})
	if err != nil {
		return err
	}
	r, err := s.call(ctx, http.MethodDelete, u, nil, nil)
	if err != nil && r != nil && r.status == http.StatusNotFound {
		return nil // gone since it was read: a retried DELETE whose first answer was lost
	}
	return err
}

// SetStatus changes a work order's or purchase order's status with Maximo's
// status-change action (wsmethod:changeStatus), the note as its memo. A
// record already in the status is returned unchanged; a status Maximo has no
// counterpart for is refused before anything is sent.
func (c *Connector) SetStatus(ctx context.Context, cfg connector.Config, collection, remoteID, status, note, idempotencyKey string) (*connectorv1.Record, error) {
	obj, ok := c.object(collection, opSetStatus)
	if !ok {
		return c.Unimplemented.SetStatus(ctx, cfg, collection, remoteID, status, note, idempotencyKey)
	}
	target, ok := statusTo(collection, status)
	if !ok {
		return nil, apierr.InvalidFields(apierr.FieldViolation{Field: "status", Description: statusHelp(collection, status)}).With("system", systemName)
	}
	s, err := c.session(cfg)
	if err != nil {
		return nil, err
	}
	cur, curRaw, err := s.read(ctx, obj, remoteID)
	if err != nil {
		return nil, err
	}
	e, err := s.env(ctx, obj)
	if err != nil {
		return nil, err
	}
	col, _ := model.ByName(collection)
	if rec := obj.record(cur, curRaw, e); cur.str("status") == target || col.Status(col.FromRecord(rec)) == status {
		return rec, nil
	}
	body := map[string]any{"status": target}
	if note != "" {
		body["memo"] = note
	}
	return s.modify(ctx, obj, cur, remoteID, url.Values{"action": {"wsmethod:changeStatus"}}, body, map[string]string{}, idempotencyKey)
}

// statusTo is the Maximo status a unified status name sets.
func statusTo(collection, name string) (string, bool) {
	var s string
	var ok bool
	switch collection {
	case model.WorkOrders:
		if v, known := entityv1.WorkOrder_Status_value[name]; known {
			s, ok = woStatusTo[woStatus(v)]
		}
	case model.PurchaseOrders:
		if v, known := entityv1.PurchaseOrder_Status_value[name]; known {
			s, ok = poStatusTo[poStatus(v)]
		}
	}
	return s, ok
}

func statusHelp(collection, name string) string {
	if collection == model.PurchaseOrders && (name == "PARTIALLY_RECEIVED" || name == "RECEIVED") {
		return name + " is set by receipts in IBM Maximo, not by a status change"
	}
	return name + " is not a status IBM Maximo can set on " + collection
}

// AdjustInventory adds delta to an inventory record's current balance with
// Maximo's wsmethod:adjustCurrentBalance, whose new balance is the balance
// read first plus delta, computed exactly. The read's _rowstamp goes as
// If-Match, so a balance changed in between fails with 412 (CONFLICT)
// instead of being overwritten; the caller reads again and retries.
func (c *Connector) AdjustInventory(ctx context.Context, cfg connector.Config, remoteID, delta, reason, idempotencyKey string) (*connectorv1.Record, error) {
	obj, ok := c.object(model.InventoryLevels, opAdjust)
	if !ok {
		return c.Unimplemented.AdjustInventory(ctx, cfg, remoteID, delta, reason, idempotencyKey)
	}
	var d *big.Rat
	if decimalText.MatchString(delta) {
		d, ok = new(big.Rat).SetString(delta)
	}
	if d == nil || !ok {
		return nil, apierr.InvalidFields(apierr.FieldViolation{Field: "delta", Description: "must be an exact decimal such as 2.5"})
	}
	s, err := c.session(cfg)
	if err != nil {
		return nil, err
	}
	cur, _, err := s.read(ctx, obj, remoteID)
	if err != nil {
		return nil, err
	}
	balance := new(big.Rat)
	if v := cur.num("curbaltotal"); v != "" {
		if balance, ok = parseDecimal(v); !ok {
			return nil, apierr.New(apierr.ConnectedSystemError, "%s gave a balance that is not a number: %q", systemName, v).With("system", systemName)
		}
	}
	next := new(big.Rat).Add(balance, d)
	headers := map[string]string{}
	if rs := cur.str("_rowstamp"); rs != "" {
		headers["If-Match"] = `"` + rs + `"`
	}
	body := map[string]any{"newcurbal": json.Number(decimalString(next, max(scale(balance), scale(d))))}
	return s.modify(ctx, obj, cur, remoteID, url.Values{"action": {"wsmethod:adjustCurrentBalance"}}, body, headers, idempotencyKey)
}

// decimalString writes a decimal with n places, exactly.
func decimalString(r *big.Rat, n int) string { return r.FloatString(n) }
