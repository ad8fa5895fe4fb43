package connector_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/millwright-dev/millwright/services/entity/connector"
)

func TestRemoteJSON(t *testing.T) {
	for _, tc := range []struct {
		in   string
		drop []string
		want string // "" means an error
	}{
		{`{"a":1,"href":"h","b":[{"localref":"l","c":2.50}],"_rowstamp":"9"}`, []string{"href", "localref", "_rowstamp"}, `{"a":1,"b":[{"c":2.50}]}`},
		{` { "href" : "h" , "a" : { } , "b" : [ ] } `, []string{"href"}, `{"a":{},"b":[]}`},
		{`{"href":"h"}`, []string{"href"}, `{}`},
		{`{"s":"a\"b\\u00e9 \u00e9","n":-0.5e+3,"t":true,"f":false,"z":null}`, nil, `{"s":"a\"b\\u00e9 \u00e9","n":-0.5e+3,"t":true,"f":false,"z":null}`},
		{`[1]`, nil, ""},
		{`{"a":1} x`, nil, ""},
		{`{"a":01}`, nil, ""},
		{`{"a":"\x"}`, nil, ""},
		{`{"a":tru}`, nil, ""},
		{"{\"a\":\"x\xffy\"}", nil, "{\"a\":\"x\uFFFDy\"}"},
		{`{"a":1,}`, nil, ""},
		{`{"a" 1}`, nil, ""},
	} {
		got, err := connector.RemoteJSON([]byte(tc.in), tc.drop...)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("RemoteJSON(%s) = %s, want an error", tc.in, got)
		case tc.want != "" && (err != nil || string(got) != tc.want):
			t.Errorf("RemoteJSON(%s) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
}

// FuzzRemoteJSON holds RemoteJSON and DecodeRemote to encoding/json: they
// accept exactly the objects encoding/json reads, DecodeRemote's value is
// encoding/json's (with UseNumber), and the remote data reads as the same
// value without the dropped members.
func FuzzRemoteJSON(f *testing.F) {
	for _, s := range []string{`{"a":1,"href":"x","b":[{"href":2,"c":"d"}]}`, `{}`, `{"a":[1,2,{"b":null}]}`, `{"a":"\u00e9\n"}`, `[]`, `{"a":1e5}`, "{\"a\xff\":\"\xfe\"}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := connector.RemoteJSON(in, "href")
		var v any
		dec := json.NewDecoder(bytes.NewReader(in))
		dec.UseNumber()
		jerr := dec.Decode(&v)
		if jerr == nil && dec.More() || jerr == nil && dec.InputOffset() < int64(len(bytes.TrimRight(in, " \t\r\n"))) {
			jerr = errors.New("more after the value")
		}
		_, isObject := v.(map[string]any)
		if jerr != nil || !isObject {
			if err == nil {
				t.Fatalf("RemoteJSON(%q) = %q, but it is not a JSON object", in, got)
			}
			return
		}
		if err != nil {
			t.Fatalf("RemoteJSON(%q): %v", in, err)
		}
		obj, remote, err := connector.DecodeRemote(in, "href")
		if err != nil || !bytes.Equal(remote, got) {
			t.Fatalf("DecodeRemote(%q) = %q, %v; RemoteJSON gave %q", in, remote, err, got)
		}
		if !reflect.DeepEqual(obj, v) {
			t.Fatalf("DecodeRemote(%q) = %#v, encoding/json %#v", in, obj, v)
		}
		var out any
		if err := json.Unmarshal(got, &out); err != nil {
			t.Fatalf("RemoteJSON(%q) = %q, not JSON: %v", in, got, err)
		}
		var plain any
		_ = json.Unmarshal(in, &plain)
		if want := dropHref(plain); !reflect.DeepEqual(out, want) {
			t.Fatalf("RemoteJSON(%q) = %q, want %v", in, got, want)
		}
	})
}

func dropHref(v any) any {
	switch x := v.(type) {
	case map[string]any:
		delete(x, "href")
		for k, e := range x {
			x[k] = dropHref(e)
		}
	case []any:
		for i, e := range x {
			x[i] = dropHref(e)
		}
	}
	return v
}

func TestSplit(t *testing.T) {
	page := []byte(` {"member": [ {"a":1}, {"b":[2,3]} ,"x"], "responseInfo":{"nextPage":{"href":"n"}}, "member2" : null } `)
	obj, err := connector.SplitObject(page)
	if err != nil || len(obj) != 3 || string(obj["responseInfo"]) != `{"nextPage":{"href":"n"}}` || string(obj["member2"]) != "null" {
		t.Fatalf("SplitObject = %q, %v", obj, err)
	}
	elems, err := connector.SplitArray(obj["member"])
	if err != nil || len(elems) != 3 || string(elems[0]) != `{"a":1}` || string(elems[1]) != `{"b":[2,3]}` || string(elems[2]) != `"x"` {
		t.Fatalf("SplitArray = %q, %v", elems, err)
	}
	for _, bad := range []string{`{"a":1`, `{"a" 1}`, `[1,]`, `{"a":1} {}`, `[`, `"x"`} {
		if _, err := connector.SplitObject([]byte(bad)); err == nil {
			t.Errorf("SplitObject(%s) gave no error", bad)
		}
		if _, err := connector.SplitArray([]byte(bad)); err == nil {
			t.Errorf("SplitArray(%s) gave no error", bad)
		}
	}
	if e, err := connector.SplitArray([]byte(` [ ] `)); err != nil || len(e) != 0 {
		t.Errorf("SplitArray([]) = %q, %v", e, err)
	}
}

func TestDecodeRemotePage(t *testing.T) {
	page := []byte(` {"member": [ {"a":1,"href":"h","s":"x\u00e9"} , {"b":[2,{"href":"i","c":"\u0041"}]} ], "responseInfo":{"nextPage":{"href":"n"}}, "total" : 2 } `)
	records, other, err := connector.DecodeRemotePage(page, "member", "href")
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 2 || string(records[0].JSON) != `{"a":1,"s":"x\u00e9"}` || string(records[1].JSON) != `{"b":[2,{"c":"\u0041"}]}` {
		t.Fatalf("records = %q", records)
	}
	wantFields := []map[string]any{
		{"a": json.Number("1"), "href": "h", "s": "xé"},
		{"b": []any{json.Number("2"), map[string]any{"href": "i", "c": "A"}}},
	}
	for i, r := range records {
		if !reflect.DeepEqual(r.Fields, wantFields[i]) {
			t.Errorf("record %d fields = %#v, want %#v", i, r.Fields, wantFields[i])
		}
	}
	if len(other) != 2 || string(other["responseInfo"]) != `{"nextPage":{"href":"n"}}` || string(other["total"]) != "2" {
		t.Errorf("other members = %q", other)
	}
	// Appending to a record's JSON leaves the next record as it was.
	_ = append(records[0].JSON, "xxxx"...)
	if string(records[1].JSON) != `{"b":[2,{"c":"\u0041"}]}` {
		t.Errorf("record 1 after an append to record 0: %s", records[1].JSON)
	}

	for _, tc := range []struct {
		in   string
		want int // records; -1 for an error
	}{
		{`{}`, 0},
		{`{"member":null,"x":1}`, 0},
		{`{"member":[]}`, 0},
		{`{"member":[{"a":1}],"member":[{"a":2},{"a":3}]}`, 2}, // the last one counts
		{`{"member":[{"a":1}],"member":null}`, 0},
		{`{"member":[{"a":1},2]}`, -1},
		{`{"member":[{"a":1}`, -1},
		{`{"member":{"a":1}}`, -1},
		{`{"member":nul}`, -1},
		{`{"member":[{"a":1}]} x`, -1},
		{`{"member":[{"a":1}],"x":[1,]}`, -1},
		{`[{"a":1}]`, -1},
	} {
		records, _, err := connector.DecodeRemotePage([]byte(tc.in), "member")
		switch {
		case tc.want < 0 && err == nil:
			t.Errorf("DecodeRemotePage(%s) gave no error", tc.in)
		case tc.want >= 0 && (err != nil || len(records) != tc.want):
			t.Errorf("DecodeRemotePage(%s) = %d records, %v; want %d", tc.in, len(records), err, tc.want)
		}
	}
}

// FuzzDecodeRemotePage holds DecodeRemotePage to what it replaces: the page
// split with SplitObject and SplitArray, then each record read with
// DecodeRemote.
func FuzzDecodeRemotePage(f *testing.F) {
	for _, s := range []string{`{"member":[{"a":1,"href":"h"}],"x":{"y":"z"}}`, `{}`, `{"member":[{"a":"\u00e9"},{"b":[1,{"href":2}]}]}`, `{"member":null}`, `{"member":[1]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		records, other, err := connector.DecodeRemotePage(in, "member", "href")
		top, werr := connector.SplitObject(in)
		var elems [][]byte
		if werr == nil {
			if raw, ok := top["member"]; ok && string(raw) != "null" {
				elems, werr = connector.SplitArray(raw)
			}
			delete(top, "member")
		}
		var want []connector.RemoteRecord
		for _, e := range elems {
			if werr != nil {
				break
			}
			var r connector.RemoteRecord
			r.Fields, r.JSON, werr = connector.DecodeRemote(e, "href")
			want = append(want, r)
		}
		if (err == nil) != (werr == nil) {
			t.Fatalf("DecodeRemotePage(%q): %v; the two-step read: %v", in, err, werr)
		}
		if err != nil {
			return
		}
		if len(records) != len(want) || len(other) != len(top) {
			t.Fatalf("DecodeRemotePage(%q) = %d records and %d members; want %d and %d", in, len(records), len(other), len(want), len(top))
		}
		for i := range want {
			if !bytes.Equal(records[i].JSON, want[i].JSON) || !reflect.DeepEqual(records[i].Fields, want[i].Fields) {
				t.Fatalf("DecodeRemotePage(%q) record %d = %q %v; want %q %v", in, i, records[i].JSON, records[i].Fields, want[i].JSON, want[i].Fields)
			}
		}
		for k, v := range top {
			if !bytes.Equal(other[k], v) {
				t.Fatalf("DecodeRemotePage(%q) member %q = %q, want %q", in, k, other[k], v)
			}
		}
	})
}

func TestValidJSON(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{`{"a":[1,2.5e3,-0,"x",true,false,null,{}]}`, true},
		{` "a long string of plain bytes \" with an escape" `, true},
		{"\"eight by eight: \u00e9 \xff\x80 still a string\"", true}, // json.Valid takes invalid UTF-8
		{`[1] [2]`, false},
		{`"unterminated, and longer than a word`, false},
		{"\"a control character \x01 in a string\"", false},
		{`{"a":01}`, false},
		{``, false},
		{`   `, false},
	} {
		if got := connector.ValidJSON([]byte(tc.in)); got != tc.want || got != json.Valid([]byte(tc.in)) {
			t.Errorf("ValidJSON(%q) = %v, want %v (json.Valid: %v)", tc.in, got, tc.want, json.Valid([]byte(tc.in)))
		}
	}
}

// FuzzValidJSON holds ValidJSON to json.Valid.
func FuzzValidJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,"x\u00e9\n"]}`, `"plain plain plain plain \\ plain"`, `1e`, `[`, "\"\xff\x01\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if got, want := connector.ValidJSON(in), json.Valid(in); got != want {
			t.Fatalf("ValidJSON(%q) = %v, json.Valid: %v", in, got, want)
		}
	})
}

// FuzzSplit holds SplitObject to encoding/json: it accepts exactly the
// objects encoding/json reads, each member's bytes decoding to its value.
func FuzzSplit(f *testing.F) {
	for _, s := range []string{`{"member":[{"a":1}],"x":{"y":"z"}}`, `{}`, `{"a":"\u00e9"}`, `[]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		obj, err := connector.SplitObject(in)
		var want map[string]any
		if json.Unmarshal(in, &want) != nil || want == nil || !utf8.Valid(in) {
			if err == nil && utf8.Valid(in) {
				t.Fatalf("SplitObject(%q) = %q, but it is not a JSON object", in, obj)
			}
			return
		}
		if err != nil {
			t.Fatalf("SplitObject(%q): %v", in, err)
		}
		got := map[string]any{}
		for k, raw := range obj {
			var v any
			if err := json.Unmarshal(raw, &v); err != nil {
				t.Fatalf("member %q = %q: %v", k, raw, err)
			}
			got[k] = v
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("SplitObject(%q) = %v, want %v", in, got, want)
		}
	})
}

// benchWorkOrder is a work order as Maximo lists it.
var benchWorkOrder = []byte(`{"href":"http://127.0.0.1:9601/maximo/api/os/mxapiwo/_MTAwMC9EQVlUT04-","_rowstamp":"100000","wonum":"1000","siteid":"DAYTON","orgid":"ATLASNA","description":"Noise from bearing housing on Packaging Line 1","status":"CLOSE","statusdate":"2024-09-06T17:26:59+00:00","worktype":"CM","wopriority":2,"location":"PACK-100","lead":"OKAFOR","reportedby":"HUGHESR","reportdate":"2024-09-02T08:27:59+00:00","schedstart":"2024-09-04T08:27:59+00:00","schedfinish":"2024-09-04T11:27:59+00:00","targcompdate":"2024-09-11T08:27:59+00:00","actstart":"2024-09-04T11:30:54+00:00","actfinish":"2024-09-04T17:26:59+00:00","estdur":3,"actlabhrs":2.25,"woclass":"WORKORDER","historyflag":true,"changeby":"MXINTADM","changedate":"2024-09-06T17:26:59+00:00","workorderid":1,"assignment":[{"assignmentid":1,"laborcode":"OKAFOR","craft":"HVAC","laborhrs":3,"scheduledate":"2024-09-04T08:27:59+00:00","status":"COMPLETE"},{"assignmentid":2,"laborcode":"MURPHY","craft":"ELEC","laborhrs":3,"scheduledate":"2024-09-04T08:27:59+00:00","status":"COMPLETE"}]}`)

// BenchmarkDecodeRemote reads a work order as Maximo lists it.
func BenchmarkDecodeRemote(b *testing.B) {
	b.SetBytes(int64(len(benchWorkOrder)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := connector.DecodeRemote(benchWorkOrder, "href", "localref", "_rowstamp"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidJSON checks a work order's remote data, as the entity
// service checks every listed record's, against json.Valid.
func BenchmarkValidJSON(b *testing.B) {
	_, raw, err := connector.DecodeRemote(benchWorkOrder, "href", "localref", "_rowstamp")
	if err != nil {
		b.Fatal(err)
	}
	for _, v := range []struct {
		name  string
		valid func([]byte) bool
	}{{"ValidJSON", connector.ValidJSON}, {"json.Valid", json.Valid}} {
		b.Run(v.name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if !v.valid(raw) {
					b.Fatal("not valid")
				}
			}
		})
	}
}
