package store_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/millwright-dev/millwright/services/entity/internal/store"
	"github.com/millwright-dev/millwright/services/platform/apierr"
)

func TestParseFilter(t *testing.T) {
	for _, c := range []struct {
		filter string
		want   string // the canonical form
	}{
		{``, ``},
		{"  \t\n ", ``},
		{`status = "OPEN"`, `status = "OPEN"`},
		{`status="OPEN"`, `status = "OPEN"`},
		{`status != "ON_HOLD"`, `status != "ON_HOLD"`},
		{`create_time = "2026-01-01T00:00:00Z"`, `create_time = "2026-01-01T00:00:00Z"`},
		{`create_time != "2026-01-01T00:00:00Z"`, `create_time != "2026-01-01T00:00:00Z"`},
		{`create_time < "2026-01-01T00:00:00Z"`, `create_time < "2026-01-01T00:00:00Z"`},
		{`create_time <= "2026-01-01T00:00:00Z"`, `create_time <= "2026-01-01T00:00:00Z"`},
		{`update_time > "2026-01-01T00:00:00.5Z"`, `update_time > "2026-01-01T00:00:00.5Z"`},
		{`update_time>="2026-01-01T02:00:00+02:00"`, `update_time >= "2026-01-01T00:00:00Z"`},
		{`update_time > "2026-01-01T00:00:00Z" AND status = "OPEN"`, `update_time > "2026-01-01T00:00:00Z" AND status = "OPEN"`},
		{"\tstatus = \"OPEN\"\nAND\tstatus != \"CLOSED\"  ", `status = "OPEN" AND status != "CLOSED"`},
		{`status="OPEN"AND status="CLOSED"`, `status = "OPEN" AND status = "CLOSED"`},
	} {
		f, err := store.ParseFilter(c.filter, statuses)
		if err != nil {
			t.Errorf("ParseFilter(%q): %v", c.filter, err)
			continue
		}
		if got := f.String(); got != c.want {
			t.Errorf("ParseFilter(%q) = %q, want %q", c.filter, got, c.want)
		}
		if f.Empty() != (c.want == "") {
			t.Errorf("ParseFilter(%q).Empty() = %t", c.filter, f.Empty())
		}
	}
}

func TestParseFilterErrors(t *testing.T) {
	const ts = `"2026-01-01T00:00:00Z"`
	for _, c := range []struct {
		filter   string
		statuses []string
		want     []string // words of the description
	}{
		{`status = "OPEN" OR status = "CLOSED"`, statuses, []string{`unsupported operator "OR"`, "position 17"}},
		{`status = "OPEN" or status = "CLOSED"`, statuses, []string{`unsupported operator "or"`}},
		{`status = "OPEN" and status = "CLOSED"`, statuses, []string{`"and"`, "upper case"}},
		{`NOT status = "OPEN"`, statuses, []string{`unsupported operator "NOT"`, "position 1"}},
		{`-status = "OPEN"`, statuses, []string{`unsupported operator "-"`, "negation"}},
		{`(status = "OPEN")`, statuses, []string{"parenthesis", "position 1"}},
		{`status = "OPEN" AND (create_time > ` + ts + `)`, statuses, []string{"parenthesis", "position 21"}},
		{`status = "OPEN")`, statuses, []string{"parenthesis"}},
		{`priority = "HIGH"`, statuses, []string{`unknown field "priority"`, "create_time, update_time, status"}},
		{`title = "pump"`, nil, []string{`unknown field "title"`, "filterable fields are create_time, update_time"}},
		{`status = "OPEN"`, nil, []string{`unknown field "status"`, "no status"}},
		{`data.status = "OPEN"`, statuses, []string{`unknown field "data.status"`}},
		{`Status = "OPEN"`, statuses, []string{`unknown field "Status"`}},
		{`has(status)`, statuses, []string{`unsupported function "has"`}},
		{`timestamp(create_time) > ` + ts, statuses, []string{`unsupported function "timestamp"`}},
		{`create_time.seconds() > 1`, statuses, []string{`unsupported function "create_time.seconds"`}},
		{`create_time > "yesterday"`, statuses, []string{`invalid timestamp "yesterday"`, "RFC 3339"}},
		{`create_time > "2026-13-01T00:00:00Z"`, statuses, []string{`invalid timestamp`}},
		{`update_time < "2026-01-01"`, statuses, []string{`invalid timestamp "2026-01-01" for update_time`}},
		{`update_time < "2026-01-01 00:00:00"`, statuses, []string{`invalid timestamp`}},
		{`create_time > 2026-01-01T00:00:00Z`, statuses, []string{"not quoted", "double quotes"}},
		{`create_time > 5`, statuses, []string{`value "5"`, "not quoted"}},
		{`status = OPEN`, statuses, []string{`value "OPEN" of status`, "not quoted"}},
		{`status = 'OPEN'`, statuses, []string{"single quotes"}},
		{`status = "OPEN`, statuses, []string{"unterminated string", "position 10"}},
		{`status = "DONE"`, statuses, []string{`unknown status "DONE"`, "OPEN, ON_HOLD, CLOSED"}},
		{`status = "open"`, statuses, []string{`unknown status "open"`}},
		{`status = ""`, statuses, []string{`unknown status ""`}},
		{`status > "OPEN"`, statuses, []string{`unsupported operator ">" for status`, "= or !="}},
		{`status <= "OPEN"`, statuses, []string{`unsupported operator "<=" for status`}},
		{`status : "OPEN"`, statuses, []string{`unsupported operator ":"`}},
		{`status ! "OPEN"`, statuses, []string{`unsupported operator "!"`}},
		{`status ~ "OPEN"`, statuses, []string{`unsupported operator "~"`}},
		{`status == "OPEN"`, statuses, []string{"expected a double-quoted value", `"="`}},
		{`status`, statuses, []string{"expected an operator", "end of the filter"}},
		{`status =`, statuses, []string{"expected a value", "end of the filter"}},
		{`status = "OPEN" AND`, statuses, []string{"after AND", "end of the filter"}},
		{`status = "OPEN" AND AND status = "OPEN"`, statuses, []string{"expected a condition", `"AND"`}},
		{`AND status = "OPEN"`, statuses, []string{"expected a condition", "position 1"}},
		{`OR`, statuses, []string{"expected a condition", `"OR"`}},
		{`status = "OPEN" create_time > ` + ts, statuses, []string{"expected AND", `"create_time"`}},
		{`status = "OPEN", status = "CLOSED"`, statuses, []string{"expected AND", `","`}},
		{`"OPEN" = status`, statuses, []string{"expected a field name", `"OPEN"`}},
		{`= "OPEN"`, statuses, []string{"expected a field name"}},
		{`create_time > ` + ts + strings.Repeat(` AND create_time > `+ts, 20), statuses, []string{"too many conditions"}},
		{"status = \"\xff\"", statuses, []string{"unknown status"}},
	} {
		_, err := store.ParseFilter(c.filter, c.statuses)
		desc := violation(t, c.filter, err, "filter")
		for _, w := range c.want {
			if !strings.Contains(desc, w) {
				t.Errorf("ParseFilter(%q): description %q does not say %q", c.filter, desc, w)
			}
		}
	}
}

// violation returns the description of err's one field violation, failing
// unless err is an INVALID_ARGUMENT apierr on field.
func violation(t *testing.T, input string, err error, field string) string {
	t.Helper()
	var e *apierr.Error
	if !errors.As(err, &e) {
		t.Errorf("%q: error %v, want an *apierr.Error", input, err)
		return ""
	}
	if e.Reason != apierr.InvalidArgument || len(e.Fields) != 1 || e.Fields[0].Field != field {
		t.Errorf("%q: error %+v, want INVALID_ARGUMENT with one violation on %q", input, e, field)
		return ""
	}
	if !utf8.ValidString(e.Fields[0].Description) {
		t.Errorf("%q: description %q is not valid UTF-8", input, e.Fields[0].Description)
	}
	return e.Fields[0].Description
}

func TestParseOrderBy(t *testing.T) {
	for _, c := range []struct {
		in   string
		want store.Order
	}{
		{"", store.Order{Column: "create_time"}},
		{"   ", store.Order{Column: "create_time"}},
		{"create_time", store.Order{Column: "create_time"}},
		{"create_time asc", store.Order{Column: "create_time"}},
		{"create_time desc", store.Order{Column: "create_time", Desc: true}},
		{"update_time", store.Order{Column: "update_time"}},
		{"update_time asc", store.Order{Column: "update_time"}},
		{" update_time   desc ", store.Order{Column: "update_time", Desc: true}},
	} {
		got, err := store.ParseOrderBy(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseOrderBy(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	for _, c := range []struct{ in, want string }{
		{"id", `unsupported field "id"`},
		{"title desc", `unsupported field "title"`},
		{"desc", `unsupported field "desc"`},
		{"update_time DESC", `unsupported direction "DESC"`},
		{"update_time descending", `unsupported direction "descending"`},
		{"update_time desc, id", "more than one field"},
		{"update_time,create_time", "more than one field"},
		{"update_time desc id", `unexpected "id"`},
	} {
		_, err := store.ParseOrderBy(c.in)
		if desc := violation(t, c.in, err, "order_by"); !strings.Contains(desc, c.want) {
			t.Errorf("ParseOrderBy(%q): description %q does not say %q", c.in, desc, c.want)
		}
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{
		``, `status = "OPEN"`, `update_time > "2026-01-01T00:00:00Z" AND status = "OPEN"`,
		`status = "OPEN" OR status = "CLOSED"`, `NOT (create_time < "2026-01-01T00:00:00.123456789+05:30")`,
		`has(status)`, `a.b.c = 'x'`, `status = "OP\"EN`, `-status:"x"`, `create_time>="2026-01-01T00:00:00Z"AND`,
		"status = \"\xff\xfe\"", `status = "OPEN" and x`,
	} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, withStatus bool) {
		var st []string
		if withStatus {
			st = statuses
		}
		flt, err := store.ParseFilter(s, st)
		if err != nil {
			violation(t, s, err, "filter")
			return
		}
		// The canonical form parses to itself.
		again, err := store.ParseFilter(flt.String(), st)
		if err != nil || again.String() != flt.String() {
			t.Fatalf("ParseFilter(%q).String() = %q, which parses to %q, %v", s, flt.String(), again.String(), err)
		}
	})
}
