package server

import (
	"context"
	"maps"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/platform/apierr"
)

// catalog caches the entity service's systems catalog for a minute.
type catalog struct {
	client entityv1.EntityServiceClient

	mu      sync.Mutex
	systems map[string]*entityv1.System
	fetched time.Time
}

func newCatalog(client entityv1.EntityServiceClient) *catalog {
	return &catalog{client: client}
}

func (c *catalog) system(ctx context.Context, id string) (*entityv1.System, error) {
	systems, err := c.all(ctx)
	if err != nil {
		return nil, err
	}
	s, ok := systems[id]
	if !ok {
		return nil, apierr.InvalidFields(apierr.FieldViolation{Field: "connection.system", Description: unknownSystem(id, systems)})
	}
	return s, nil
}

// unknownSystem says that id names no system, and which ones there are.
func unknownSystem(id string, systems map[string]*entityv1.System) string {
	return "unknown system " + quote(id) + "; one of: " + strings.Join(slices.Sorted(maps.Keys(systems)), ", ")
}

// all returns the catalog by system id.
func (c *catalog) all(ctx context.Context) (map[string]*entityv1.System, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.systems == nil || time.Since(c.fetched) > time.Minute {
		resp, err := c.client.ListSystems(ctx, &entityv1.ListSystemsRequest{})
		if err != nil {
			return nil, err
		}
		c.systems = map[string]*entityv1.System{}
		for _, s := range resp.GetSystems() {
			c.systems[s.GetId()] = s
		}
		c.fetched = time.Now()
	}
	return c.systems, nil
}

func quote(s string) string { return `"` + s + `"` }

// checkFields checks settings and credentials against a system's schema and
// names every bad field: unknown keys, missing required ones, a base URL
// that is not http(s). Fields of the same group are one way to
// authenticate: exactly one group must be given whole.
func checkFields(sys *entityv1.System, settings, credentials map[string]string) []apierr.FieldViolation {
	var bad []apierr.FieldViolation
	bad = append(bad, checkSet("connection.settings", sys.GetSettingsFields(), settings)...)
	bad = append(bad, checkSet("connection.credentials", sys.GetCredentialFields(), credentials)...)
	if u, ok := settings["base_url"]; ok && u != "" {
		parsed, err := url.Parse(u)
		if err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https") || parsed.Host == "" {
			bad = append(bad, apierr.FieldViolation{Field: "connection.settings.base_url", Description: "must be an http(s) URL with a host"})
		}
	}
	return bad
}

func checkSet(prefix string, fields []*entityv1.SystemField, given map[string]string) []apierr.FieldViolation {
	var bad []apierr.FieldViolation
	known := map[string]*entityv1.SystemField{}
	groups := map[string][]string{}
	for _, f := range fields {
		known[f.GetName()] = f
		if f.GetGroup() != "" {
			groups[f.GetGroup()] = append(groups[f.GetGroup()], f.GetName())
		} else if f.GetRequired() && given[f.GetName()] == "" {
			bad = append(bad, apierr.FieldViolation{Field: prefix + "." + f.GetName(), Description: "is required"})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(given)) {
		if known[k] == nil {
			bad = append(bad, apierr.FieldViolation{Field: prefix + "." + k, Description: "is not a field of this system"})
		}
	}
	if len(groups) == 0 {
		return bad
	}
	var complete, partial []string
	names := slices.Sorted(maps.Keys(groups))
	for _, g := range names {
		n := 0
		for _, f := range groups[g] {
			if given[f] != "" {
				n++
			}
		}
		switch {
		case n == len(groups[g]):
			complete = append(complete, g)
		case n > 0:
			partial = append(partial, g)
		}
	}
	switch {
	case len(complete) == 1 && len(partial) == 0:
		return bad
	case len(complete) == 0 && len(partial) == 0:
		var ways []string
		for _, g := range names {
			ways = append(ways, strings.Join(groups[g], " + "))
		}
		bad = append(bad, apierr.FieldViolation{Field: prefix, Description: "give one way to authenticate: " + strings.Join(ways, ", or ")})
	default:
		for _, g := range partial {
			for _, f := range groups[g] {
				if given[f] == "" {
					bad = append(bad, apierr.FieldViolation{Field: prefix + "." + f, Description: "is required with the other " + g + " fields"})
				}
			}
		}
		if len(complete) > 1 {
			bad = append(bad, apierr.FieldViolation{Field: prefix, Description: "give only one way to authenticate, not " + strings.Join(complete, " and ")})
		}
	}
	return bad
}
