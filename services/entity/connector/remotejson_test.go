package connector_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

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
