package netsuite

import (
	"encoding/json"
	"strings"
)

// Inspection for tests: the records as NetSuite holds them, in the JSON
// shape GET /record/v1/{type}/{id}?expandSubResources=true answers (links
// point at the account's production host).

func (s *Server) inspectBase() string {
	return "https://" + strings.ToLower(strings.ReplaceAll(s.cfg.AccountID, "_", "-")) + ".suitetalk.api.netsuite.com" + recordPrefix
}

// Record returns a live record of a type by internal id, or by external
// id as "eid:<external id>".
func (s *Server) Record(typ, key string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tables[typ]
	if t == nil {
		return nil, false
	}
	var r rec
	if eid, ok := strings.CutPrefix(key, "eid:"); ok {
		n, found := t.byExternalID(eid)
		if !found {
			return nil, false
		}
		r, _ = t.get(n)
	} else {
		var found bool
		if r, found = t.get(atoi(key)); !found {
			return nil, false
		}
	}
	raw := renderer{base: s.inspectBase(), expand: true}.record(nil, typ, r)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return m, true
}

// Count returns how many live records of a type the account holds.
func (s *Server) Count(typ string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tables[typ]
	if t == nil {
		return 0
	}
	return len(t.match(nil))
}

// IDs returns the internal ids of a type's live records, in order.
func (s *Server) IDs(typ string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tables[typ]
	if t == nil {
		return nil
	}
	ids := t.match(nil)
	out := make([]string, len(ids))
	for i, n := range ids {
		out[i] = id(n)
	}
	return out
}
