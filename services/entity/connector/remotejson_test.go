package connector_test

import (
	"encoding/json"
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
		{"{\"a\":\"\xff\"}", nil, ""},
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

// FuzzRemoteJSON holds RemoteJSON to encoding/json: it accepts exactly the
// objects encoding/json reads, and its output reads as the same value
// without the dropped members. (It also refuses invalid UTF-8, which
// encoding/json reads as U+FFFD.)
func FuzzRemoteJSON(f *testing.F) {
	for _, s := range []string{`{"a":1,"href":"x","b":[{"href":2,"c":"d"}]}`, `{}`, `{"a":[1,2,{"b":null}]}`, `{"a":"\u00e9\n"}`, `[]`, `{"a":1e5}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := connector.RemoteJSON(in, "href")
		var v any
		jerr := json.Unmarshal(in, &v)
		_, isObject := v.(map[string]any)
		// encoding/json reads invalid UTF-8 as U+FFFD; RemoteJSON refuses it.
		if jerr != nil || !isObject || !utf8.Valid(in) {
			if err == nil {
				t.Fatalf("RemoteJSON(%q) = %q, but it is not a JSON object", in, got)
			}
			return
		}
		if err != nil {
			t.Fatalf("RemoteJSON(%q): %v", in, err)
		}
		var out any
		if err := json.Unmarshal(got, &out); err != nil {
			t.Fatalf("RemoteJSON(%q) = %q, not JSON: %v", in, got, err)
		}
		if want := dropHref(v); !reflect.DeepEqual(out, want) {
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
