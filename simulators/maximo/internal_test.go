package maximo

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseWhere(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr string
	}{
		{in: `status="APPR"`, want: `[{status 0 [APPR]}]`},
		{in: ` changedate >= "2026-01-01T00:00:00" and siteid="DAYTON" `, want: `[{changedate 3 [2026-01-01T00:00:00]} {siteid 0 [DAYTON]}]`},
		{in: `status in ["APPR", "INPRG"]`, want: `[{status 6 [APPR INPRG]}]`},
		{in: `STATUS IN["APPR"]`, want: `[{status 6 [APPR]}]`},
		{in: `wopriority<=2 AND wopriority!=1`, want: `[{wopriority 5 [2]} {wopriority 1 [1]}]`},
		{in: `description="%pump%"`, want: `[{description 0 [%pump%]}]`},
		{in: `description="a and b"`, want: `[{description 0 [a and b]}]`},
		{in: `index="1"`, want: `[{index 0 [1]}]`},
		{in: `status="APPR" or status="INPRG"`, wantErr: `"or" is not supported`},
		{in: `(status="APPR")`, wantErr: "expected an attribute name at position 1"},
		{in: `status`, wantErr: "expected a comparison operator at the end"},
		{in: `status=`, wantErr: "expected a value at the end"},
		{in: `status="APPR`, wantErr: "unterminated string"},
		{in: `status in "APPR"`, wantErr: `expected "["`},
		{in: `status in ["APPR"`, wantErr: `expected "]" at the end`},
		{in: `status="A" status="B"`, wantErr: `expected "and"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseWhere(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || fmt.Sprint(got) != tt.want {
				t.Fatalf("got %v %v, want %s", got, err, tt.want)
			}
		})
	}
}

func FuzzParseWhere(f *testing.F) {
	for _, s := range []string{`status="APPR"`, `a in ["x",y] and b>=2`, `changedate>"2026-01-01T00:00:00"`, `x="%a%b"`} {
		f.Add(s)
	}
	os := workOrderStructure()
	f.Fuzz(func(t *testing.T, s string) {
		clauses, err := parseWhere(s)
		if err != nil {
			return
		}
		if len(clauses) == 0 {
			t.Fatalf("%q parsed to no clause", s)
		}
		if conds, aerr := bindWhere(os, clauses); aerr == nil {
			for i := range conds {
				conds[i].match(record{"status": "APPR", "wopriority": int64(2), "changedate": date(0)})
			}
		}
	})
}

func TestLike(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"%pump%", "Centrifugal Pump P-101", true},
		{"pump%", "Pump motor", true},
		{"pump%", "Centrifugal Pump", false},
		{"%pump", "Centrifugal Pump", true},
		{"%a%b%", "xaxbx", true},
		{"%a%b%", "xbxax", false},
		{"a%a", "a", false},
		{"%", "", true},
	}
	for _, tt := range tests {
		if got := like(tt.pattern, tt.s); got != tt.want {
			t.Errorf("like(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestAppendDate(t *testing.T) {
	for _, sec := range []int64{0, -1, 86399, 86400, 951782400, 1782777599, 4102444800, -62135596800, 253402300799, 253402300800, -62135596801} {
		want := time.Unix(sec, 0).UTC().Format(dateLayout)
		if got := string(appendDate(nil, date(sec))); got != want {
			t.Errorf("appendDate(%d) = %s, want %s", sec, got, want)
		}
	}
}

func FuzzAppendDate(f *testing.F) {
	f.Add(int64(1782777599))
	f.Fuzz(func(t *testing.T, sec int64) {
		sec %= 400 * 365 * int64(day) * 30
		if want := time.Unix(sec, 0).UTC().Format(dateLayout); string(appendDate(nil, date(sec))) != want {
			t.Fatalf("appendDate(%d) = %s, want %s", sec, appendDate(nil, date(sec)), want)
		}
	})
}

func TestMemberID(t *testing.T) {
	encodeID := func(vals []string) string {
		os := &objectStructure{}
		rec := record{}
		for i, v := range vals {
			k := fmt.Sprint(i)
			os.keys = append(os.keys, k)
			rec[k] = v
		}
		return strings.TrimPrefix(string(appendHref(nil, os, "", rec)), "/")
	}
	for _, vals := range [][]string{{"1000", "DAYTON"}, {"BOILER", "BEDFORD"}, {"A+B?", "X/Y"}, {"100000", "ITEMSET", "CENTRAL", "DAYTON"}} {
		id := encodeID(vals)
		if strings.ContainsAny(id, "=+/?") {
			t.Errorf("id %s is not URL safe", id)
		}
		got, ok := decodeID(id)
		want := strings.Split(strings.Join(vals, "/"), "/")
		if !ok || !slices.Equal(got, want) {
			t.Errorf("decodeID(%s) = %v, want %v", id, got, want)
		}
	}
	if id := encodeID([]string{"SR", "1051"}); id != "_U1IvMTA1MQ--" {
		t.Errorf("id %s, want Maximo's _U1IvMTA1MQ--", id)
	}
}

func TestParseSelect(t *testing.T) {
	attrs := purchaseOrderStructure().attrs
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{in: "*", want: []string{"ponum", "siteid", "poline", "poline.itemnum", "poline.linecost"}},
		{in: "ponum, status", want: []string{"ponum", "status"}},
		{in: "ponum,poline{itemnum,orderqty}", want: []string{"ponum", "poline", "poline.itemnum", "poline.orderqty"}},
		{in: "ponum,poline", want: []string{"ponum", "poline", "poline.linecost"}},
		{in: "ponum,vendor.name,nosuch", want: []string{"ponum"}},
		{in: "ponum,poline{itemnum", wantErr: true},
		{in: "ponum}", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			sel, err := parseSelect(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			f := sel.fields(attrs)
			selected := func(path string) bool {
				name, child, nested := strings.Cut(path, ".")
				i := slices.IndexFunc(attrs, func(a attr) bool { return a.name == name })
				if !nested {
					return f.in[i]
				}
				sub := f.sub[i]
				return sub != nil && sub.in[slices.IndexFunc(poLineObject.attrs, func(a attr) bool { return a.name == child })]
			}
			for _, path := range tt.want {
				if !selected(path) {
					t.Errorf("%s not selected", path)
				}
			}
			if n := len(tt.want); n > 0 && tt.in != "*" && !strings.Contains(tt.in, "poline") && selected("poline") {
				t.Error("poline selected")
			}
		})
	}
}
