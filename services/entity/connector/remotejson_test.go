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

// BenchmarkDecodeRemote reads a work order as Maximo lists it.
func BenchmarkDecodeRemote(b *testing.B) {
	raw := []byte(`{"href":"http://127.0.0.1:9601/maximo/api/os/mxapiwo/_MTAwMC9EQVlUT04-","_rowstamp":"100000","wonum":"1000","siteid":"DAYTON","orgid":"ATLASNA","description":"Noise from bearing housing on Packaging Line 1","status":"CLOSE","statusdate":"2024-09-06T17:26:59+00:00","worktype":"CM","wopriority":2,"location":"PACK-100","lead":"OKAFOR","reportedby":"HUGHESR","reportdate":"2024-09-02T08:27:59+00:00","schedstart":"2024-09-04T08:27:59+00:00","schedfinish":"2024-09-04T11:27:59+00:00","targcompdate":"2024-09-11T08:27:59+00:00","actstart":"2024-09-04T11:30:54+00:00","actfinish":"2024-09-04T17:26:59+00:00","estdur":3,"actlabhrs":2.25,"woclass":"WORKORDER","historyflag":true,"changeby":"MXINTADM","changedate":"2024-09-06T17:26:59+00:00","workorderid":1,"assignment":[{"assignmentid":1,"laborcode":"OKAFOR","craft":"HVAC","laborhrs":3,"scheduledate":"2024-09-04T08:27:59+00:00","status":"COMPLETE"},{"assignmentid":2,"laborcode":"MURPHY","craft":"ELEC","laborhrs":3,"scheduledate":"2024-09-04T08:27:59+00:00","status":"COMPLETE"}]}`)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := connector.DecodeRemote(raw, "href", "localref", "_rowstamp"); err != nil {
			b.Fatal(err)
		}
	}
}
