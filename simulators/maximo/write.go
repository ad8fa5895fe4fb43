package maximo

import (
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"reflect"
	"strconv"
	"strings"
)

// txnWindow is how long a transactionid is remembered (Maximo's OSLCTXN
// escalation keeps them for a configurable time).
const txnWindow = 10 * 60

// txnLog remembers the transactionid headers of committed writes.
type txnLog struct {
	byID  map[string]txn
	order []string
}

type txn struct {
	at   int64
	href string
}

// seen returns the href written under id, if id was used within the window.
func (l *txnLog) seen(id string, now int64) (string, bool) {
	for len(l.order) > 0 && l.byID[l.order[0]].at <= now-txnWindow {
		delete(l.byID, l.order[0])
		l.order = l.order[1:]
	}
	t, ok := l.byID[id]
	return t.href, ok
}

func (l *txnLog) add(id, href string, now int64) {
	if l.byID == nil {
		l.byID = map[string]txn{}
	}
	l.byID[id] = txn{at: now, href: href}
	l.order = append(l.order, id)
}

// write runs a change under the write lock: it refuses a replayed
// transactionid, and remembers the transactionid once the change is done.
func (s *Server) write(q *request, do func(now int64) (href string, err *apiError)) *apiError {
	id := q.r.Header.Get("transactionid")
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if id != "" {
		if href, ok := s.txns.seen(id, now); ok {
			return errorf(http.StatusConflict, codeDuplicateTxn,
				"The transaction ID %s already exists in the OSLC transaction table with resource ID %s.", id, href)
		}
	}
	href, err := do(now)
	if err == nil && id != "" {
		s.txns.add(id, href, now)
	}
	return err
}

func (s *Server) create(q *request) {
	body, err := readBody(q.r, true)
	if err != nil {
		writeError(q.w, err)
		return
	}
	var rec record
	err = s.write(q, func(now int64) (string, *apiError) {
		var err *apiError
		rec, err = s.apply(q, nil, body, now, false)
		if err != nil {
			return "", err
		}
		return q.href(rec), nil
	})
	if err != nil {
		writeError(q.w, err)
		return
	}
	q.w.Header().Set("Location", q.href(rec))
	s.respond(q, http.StatusCreated, rec)
}

func (s *Server) update(q *request) {
	body, err := readBody(q.r, true)
	if err != nil {
		writeError(q.w, err)
		return
	}
	merge := q.r.Header.Get("patchtype") == "MERGE"
	var rec record
	err = s.write(q, func(now int64) (string, *apiError) {
		cur, err := s.current(q, body)
		if err != nil {
			return "", err
		}
		rec, err = s.apply(q, cur, body, now, merge)
		return q.href(cur), err
	})
	if err != nil {
		writeError(q.w, err)
		return
	}
	s.respond(q, http.StatusNoContent, rec)
}

func (s *Server) delete(q *request) {
	err := s.write(q, func(int64) (string, *apiError) {
		cur, err := s.current(q, nil)
		if err != nil {
			return "", err
		}
		if why := q.c.os.deleteRefusal(cur); why != "" {
			return "", nested(notAllowed(http.StatusBadRequest, "DELETE", q.c.os.object), &apiError{msg: why})
		}
		q.c.remove(q.c.os.sortKey(cur))
		return q.href(cur), nil
	})
	if err != nil {
		writeError(q.w, err)
		return
	}
	q.w.WriteHeader(http.StatusNoContent)
}

// action runs ?action=wsmethod:<name>. Every object structure with a status
// has changeStatus ({"status", "memo"}); others are listed on the structure.
func (s *Server) action(q *request, name string) {
	body, err := readBody(q.r, false)
	if err != nil {
		writeError(q.w, err)
		return
	}
	method := strings.ToLower(strings.TrimPrefix(name, "wsmethod:"))
	run, ok := q.c.os.actions[method]
	if method == "changestatus" && q.c.os.statuses != nil {
		run, ok = changeStatusAction, true
	}
	if !ok {
		writeError(q.w, notAllowed(http.StatusBadRequest, name, q.c.os.object))
		return
	}
	var rec record
	err = s.write(q, func(now int64) (string, *apiError) {
		cur, err := s.current(q, body)
		if err != nil {
			return "", err
		}
		ch := s.newChange(q, cur, now)
		if err := run(ch, body); err != nil {
			return "", err
		}
		rec, err = s.commit(ch)
		return q.href(cur), err
	})
	if err != nil {
		writeError(q.w, err)
		return
	}
	s.respond(q, http.StatusNoContent, rec)
}

func changeStatusAction(ch *change, body record) *apiError {
	to, _ := body["status"].(string)
	if to == "" {
		return badRequest(codeRequired, "A value is required for the Status field on the %s object.", ch.c.os.object)
	}
	return ch.changeStatus(strings.ToUpper(to))
}

// respond answers a write: with the record when a properties header asks
// for it (200, or 201 on create), otherwise without a body (204, or 201).
func (s *Server) respond(q *request, status int, rec record) {
	props := q.r.Header.Get("properties")
	if props == "" {
		q.w.WriteHeader(status)
		return
	}
	sel, err := parseSelect(props)
	if err != nil {
		sel = allFields
	}
	if status == http.StatusNoContent {
		status = http.StatusOK
	}
	s.writeMember(q, status, rec, sel)
}

// current returns the member a write applies to, after checking the
// rowstamp the client last saw (If-Match, or _rowstamp in the body).
func (s *Server) current(q *request, body record) (record, *apiError) {
	cur, ok := s.resolve(q)
	if !ok {
		return nil, notFound(strings.ToUpper(q.c.os.name), q.id)
	}
	seen := strings.Trim(strings.TrimPrefix(q.r.Header.Get("If-Match"), "W/"), `"`)
	if v, ok := body["_rowstamp"]; ok && seen == "" {
		seen = strings.Trim(toString(v), `"`)
	}
	if seen != "" && seen != "*" && seen != str(cur, "_rowstamp") {
		return nil, errorf(http.StatusPreconditionFailed, codeStale,
			"Record %s : %s has been updated by another user. Your changes have not been saved. Refresh the record and try again.",
			q.c.os.object, q.c.os.keyLabel(cur))
	}
	return cur, nil
}

// readBody reads a JSON object; an empty body is an error only when required.
func readBody(r *http.Request, required bool) (record, *apiError) {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 10<<20))
	dec.UseNumber()
	var body map[string]any
	if err := dec.Decode(&body); err != nil {
		if errors.Is(err, io.EOF) && !required {
			return record{}, nil
		}
		return nil, badRequest(codeBadValue, "The request body is not a valid JSON object: %v.", err)
	}
	if body == nil {
		body = record{}
	}
	return body, nil
}

func toString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return ""
}

// change is a create or update being applied to a record.
type change struct {
	s    *Server
	c    *collection
	old  record // nil on create
	rec  record
	now  int64
	user string
}

func (s *Server) newChange(q *request, old record, now int64) *change {
	rec := record{}
	if old != nil {
		rec = cloneRecord(old)
	}
	return &change{s: s, c: q.c, old: old, rec: rec, now: now, user: q.user}
}

func (ch *change) created() bool { return ch.old == nil }

func (ch *change) changed(name string) bool {
	return ch.old == nil || !reflect.DeepEqual(ch.old[name], ch.rec[name])
}

func (ch *change) setDefault(name string, v any) { setDefault(ch.rec, name, v) }

func setDefault(rec record, name string, v any) {
	if rec[name] == nil && v != nil {
		rec[name] = v
	}
}

// lookup finds a live record of another object structure by its key values.
func (ch *change) lookup(os string, keys ...string) (record, bool) {
	return ch.s.cols[os].lookup(joinKey(keys...))
}

func rowsOf(rec record, name string) []record {
	rs, _ := rec[name].([]record)
	return rs
}

func cloneRecord(rec record) record {
	out := maps.Clone(rec)
	for k, v := range out {
		if rs, ok := v.([]record); ok {
			c := make([]record, len(rs))
			for i, r := range rs {
				c[i] = maps.Clone(r)
			}
			out[k] = c
		}
	}
	return out
}

// apply validates body against the object structure's rules and stores the
// result as the new state of old (nil: a new record).
func (s *Server) apply(q *request, old, body record, now int64, merge bool) (record, *apiError) {
	os := q.c.os
	patch, err := decodeFields(os.object, os.attrs, body)
	if err != nil {
		return nil, err
	}
	ch := s.newChange(q, old, now)
	wantStatus, _ := patch["status"].(string)
	delete(patch, "status")
	if err := ch.merge(os.object, os.attrs, ch.rec, old, patch, merge); err != nil {
		return nil, err
	}
	if os.fill != nil {
		if err := os.fill(ch); err != nil {
			return nil, err
		}
	}
	if os.autokey != "" && str(ch.rec, os.autokey) == "" {
		ch.rec[os.autokey] = q.c.nextKey(ch.rec)
	}
	if err := ch.validate(); err != nil {
		return nil, err
	}
	if ch.created() {
		if _, exists := q.c.lookup(os.sortKey(ch.rec)); exists {
			return nil, badRequest(codeExists, "Record already exists for %s. Ensure that the key value for the given record is unique.", os.keyLabel(ch.rec))
		}
		if os.statuses != nil {
			ch.rec["status"], ch.rec["statusdate"] = os.initialStatus, date(now)
		}
	}
	if wantStatus != "" && wantStatus != str(ch.rec, "status") {
		if err := ch.changeStatus(wantStatus); err != nil {
			return nil, err
		}
	}
	return s.commit(ch)
}

// commit runs the structure's checks and stores the record, unless nothing changed.
func (s *Server) commit(ch *change) (record, *apiError) {
	if ch.c.os.check != nil {
		if err := ch.c.os.check(ch); err != nil {
			return nil, err
		}
	}
	if !ch.created() && reflect.DeepEqual(ch.old, ch.rec) {
		return ch.old, nil
	}
	if ch.created() {
		ch.rec[ch.c.os.uid] = ch.c.nextUID
		ch.c.nextUID++
	}
	s.rowstamp++
	ch.rec["_rowstamp"] = strconv.FormatInt(s.rowstamp, 10)
	ch.rec["changedate"] = date(ch.now)
	ch.rec["changeby"] = ch.user
	ch.c.store(ch.rec, ch.now)
	return ch.rec, nil
}

// nextKey numbers a new record after the seeded ones, skipping numbers
// already taken.
func (c *collection) nextKey(rec record) string {
	for {
		n := strconv.Itoa(c.nextNum)
		c.nextNum++
		probe := maps.Clone(rec)
		probe[c.os.autokey] = n
		if _, taken := c.lookup(c.os.sortKey(probe)); !taken {
			return n
		}
	}
}
