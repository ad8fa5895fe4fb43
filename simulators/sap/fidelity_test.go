package sap

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/millwright-dev/millwright/simulators/internal/vendorspecs"
)

// specDir is vendor-specs/sap beside the repository.
func specDir(t *testing.T) string { return vendorspecs.Path(t, "sap") }

// The parts of an EDMX document (OData V2 $metadata) the test compares;
// encoding/xml matches the elements by local name.
type edmx struct {
	Schemas []edmxSchema `xml:"DataServices>Schema"`
}

type edmxSchema struct {
	Namespace   string           `xml:"Namespace,attr"`
	EntityTypes []edmxEntityType `xml:"EntityType"`
	Sets        []edmxSet        `xml:"EntityContainer>EntitySet"`
	Functions   []edmxFunction   `xml:"EntityContainer>FunctionImport"`
}

type edmxEntityType struct {
	Name  string     `xml:"Name,attr"`
	Keys  []edmxName `xml:"Key>PropertyRef"`
	Props []edmxProp `xml:"Property"`
	Navs  []edmxName `xml:"NavigationProperty"`
}

type edmxName struct {
	Name string `xml:"Name,attr"`
}

type edmxProp struct {
	Name      string `xml:"Name,attr"`
	Type      string `xml:"Type,attr"`
	MaxLength string `xml:"MaxLength,attr"`
	Precision string `xml:"Precision,attr"`
	Scale     string `xml:"Scale,attr"`
}

type edmxSet struct {
	Name       string `xml:"Name,attr"`
	EntityType string `xml:"EntityType,attr"`
}

type edmxFunction struct {
	Name       string      `xml:"Name,attr"`
	HTTPMethod string      `xml:"http://schemas.microsoft.com/ado/2007/08/dataservices/metadata HttpMethod,attr"`
	Params     []edmxParam `xml:"Parameter"`
}

type edmxParam struct {
	Name string `xml:"Name,attr"`
	Type string `xml:"Type,attr"`
}

func parseEDMX(t *testing.T, data []byte) *edmx {
	t.Helper()
	var doc edmx
	if err := xml.Unmarshal(data, &doc); err != nil || len(doc.Schemas) == 0 {
		t.Fatalf("not an EDMX document: %v", err)
	}
	return &doc
}

// deliberate are the differences from SAP's descriptions, and why.
var deliberate = map[string]string{
	"API_MATERIAL_DOCUMENT_SRV": "goods movements (the inventory adjustment) are posted through API_MATERIAL_DOCUMENT_SRV, " +
		"which is not among the shared descriptions; its properties follow SAP's documentation of the service",
}

// TestFidelity compares, service by service, the $metadata the simulator
// serves (generated from its own definitions) with SAP's: every entity set,
// key, property (name, type, length, precision, scale), navigation property
// and function import (name, method, parameters) it serves exists in SAP's
// description with the same definition.
func TestFidelity(t *testing.T) {
	dir := specDir(t)
	c := newClient(t, Config{})
	for _, svc := range services {
		t.Run(svc.Name, func(t *testing.T) {
			if why, ok := deliberate[svc.Name]; ok {
				if !svc.beyondSpecs {
					t.Errorf("%s is listed as a deliberate difference but not marked beyondSpecs", svc.Name)
				}
				t.Logf("deliberate difference: %s", why)
				return
			}
			raw, err := os.ReadFile(filepath.Join(dir, svc.Name+".edmx"))
			if err != nil {
				t.Fatalf("SAP's description of %s: %v", svc.Name, err)
			}
			vendor := parseEDMX(t, raw)
			a := c.do("GET", odataPrefix+svc.Name+"/$metadata", nil, nil)
			if a.status != 200 {
				t.Fatalf("$metadata: %d", a.status)
			}
			compareEDMX(t, parseEDMX(t, a.body), vendor)
		})
	}
}

func compareEDMX(t *testing.T, sim, vendor *edmx) {
	vs, ss := vendor.Schemas[0], sim.Schemas[0]
	if ss.Namespace != vs.Namespace {
		t.Errorf("namespace %s, SAP's is %s", ss.Namespace, vs.Namespace)
	}
	if len(ss.Sets) == 0 || len(ss.EntityTypes) == 0 {
		t.Fatal("the simulator's $metadata has no entity sets")
	}
	for _, set := range ss.Sets {
		k := slices.IndexFunc(vs.Sets, func(x edmxSet) bool { return x.Name == set.Name })
		switch {
		case k < 0:
			t.Errorf("entity set %s is not in SAP's description", set.Name)
		case vs.Sets[k].EntityType != set.EntityType:
			t.Errorf("entity set %s has type %s, SAP's %s", set.Name, set.EntityType, vs.Sets[k].EntityType)
		}
	}
	for _, et := range ss.EntityTypes {
		i := slices.IndexFunc(vs.EntityTypes, func(x edmxEntityType) bool { return x.Name == et.Name })
		if i < 0 {
			t.Errorf("entity type %s is not in SAP's description", et.Name)
			continue
		}
		v := vs.EntityTypes[i]
		if !slices.Equal(et.Keys, v.Keys) {
			t.Errorf("%s keys %v, SAP's %v", et.Name, et.Keys, v.Keys)
		}
		for _, p := range et.Props {
			j := slices.IndexFunc(v.Props, func(x edmxProp) bool { return x.Name == p.Name })
			if j < 0 {
				t.Errorf("%s.%s is not in SAP's description", et.Name, p.Name)
				continue
			}
			vp := v.Props[j]
			if vp.Type != p.Type || vp.MaxLength != p.MaxLength ||
				(p.Type == tDecimal && (vp.Precision != p.Precision || vp.Scale != p.Scale)) ||
				(p.Type == tDateTimeOffset && vp.Precision != p.Precision) {
				t.Errorf("%s.%s is %+v, SAP's is %+v", et.Name, p.Name, p, vp)
			}
		}
		for _, n := range et.Navs {
			if !slices.Contains(v.Navs, n) {
				t.Errorf("%s.%s is not a navigation property in SAP's description", et.Name, n.Name)
			}
		}
	}
	for _, f := range ss.Functions {
		k := slices.IndexFunc(vs.Functions, func(x edmxFunction) bool { return x.Name == f.Name })
		if k < 0 {
			t.Errorf("function import %s is not in SAP's description", f.Name)
			continue
		}
		if v := vs.Functions[k]; v.HTTPMethod != f.HTTPMethod || !slices.Equal(f.Params, v.Params) {
			t.Errorf("function import %s: %s %v, SAP's %s %v", f.Name, f.HTTPMethod, f.Params, v.HTTPMethod, v.Params)
		}
	}
}

// TestStockAgainstOpenAPI validates the simulator's material stock answers
// against SAP's OpenAPI description of API_MATERIAL_STOCK_SRV.
func TestStockAgainstOpenAPI(t *testing.T) {
	path := filepath.Join(specDir(t), "API_MATERIAL_STOCK_SRV.openapi.json")
	doc, err := openapi3.NewLoader().LoadFromFile(path)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	c := newClient(t, Config{})
	base := c.srv.URL + odataPrefix + "API_MATERIAL_STOCK_SRV"
	doc.Servers = openapi3.Servers{{URL: base}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	validate := func(target string, want int) []byte {
		t.Helper()
		a := c.do("GET", odataPrefix+"API_MATERIAL_STOCK_SRV"+target, nil, nil)
		if a.status != want {
			t.Fatalf("GET %s: %d %s, want %d", target, a.status, a.body, want)
		}
		req, _ := http.NewRequest("GET", base+target, nil)
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Fatalf("%s is not in the description: %v", target, err)
		}
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
				Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
			Status: a.status, Header: a.header, Body: io.NopCloser(bytes.NewReader(a.body)),
			Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
		}
		if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
			t.Errorf("GET %s -> %d does not match SAP's description: %v\nbody: %.400s", target, a.status, err, a.body)
		}
		return a.body
	}
	q := url.Values{"$expand": {"to_MatlStkInAcctMod"}, "$inlinecount": {"allpages"}, "$top": {"20"}}
	body := validate("/A_MaterialStock?"+q.Encode(), 200)
	validate("/A_MaterialStock?"+url.Values{"$filter": {"Material eq 'SP-00003'"}}.Encode(), 200)
	validate("/A_MaterialStock?"+url.Values{"$filter": {"Bogus eq 1"}}.Encode(), 400)

	// A_MatlStkInAcctMod has no path of its own in the description: its
	// records are checked against its schema.
	schema := doc.Components.Schemas["A_MatlStkInAcctMod"].Value
	var list struct {
		D struct {
			Results []struct {
				Stock struct {
					Results []map[string]any `json:"results"`
				} `json:"to_MatlStkInAcctMod"`
			} `json:"results"`
		} `json:"d"`
	}
	if err := json.Unmarshal(body, &list); err != nil || len(list.D.Results) == 0 {
		t.Fatalf("no stock listed: %v", err)
	}
	rows := 0
	for _, m := range list.D.Results {
		for _, row := range m.Stock.Results {
			delete(row, "__metadata")
			rows++
			if err := schema.VisitJSON(row); err != nil {
				t.Errorf("stock row %v does not match SAP's schema: %v", row, err)
			}
		}
	}
	if rows == 0 {
		t.Error("no stock rows under to_MatlStkInAcctMod")
	}
	direct := results(t, c.do("GET", odataPrefix+"API_MATERIAL_STOCK_SRV/A_MatlStkInAcctMod?$top=5", nil, nil))
	for _, r := range direct {
		row := r.(map[string]any)
		delete(row, "__metadata")
		if err := schema.VisitJSON(row); err != nil {
			t.Errorf("A_MatlStkInAcctMod record does not match SAP's schema: %v", err)
		}
	}
}

// datePattern and offsetPattern are OData V2's JSON date literals.
var (
	datePattern   = regexp.MustCompile(`^/Date\(-?\d+\)/$`)
	offsetPattern = regexp.MustCompile(`^/Date\(-?\d+[+-]\d{4}\)/$`)
)

// checkValue reports why a JSON value does not fit an EDMX property.
func checkValue(p edmxProp, v any) string {
	if v == nil {
		return ""
	}
	switch p.Type {
	case tString:
		s, ok := v.(string)
		if !ok {
			return "is not a string"
		}
		if n, _ := strconv.Atoi(p.MaxLength); n > 0 && utf8.RuneCountInString(s) > n {
			return fmt.Sprintf("is longer than %d", n)
		}
	case tBoolean:
		if _, ok := v.(bool); !ok {
			return "is not a boolean"
		}
	case tDecimal:
		s, ok := v.(string)
		scale, _ := strconv.Atoi(p.Scale)
		_, frac, _ := strings.Cut(s, ".")
		if _, err := strconv.ParseFloat(s, 64); !ok || err != nil || len(frac) != scale {
			return "is not a decimal string with scale " + p.Scale
		}
	case tDateTime:
		if s, ok := v.(string); !ok || !datePattern.MatchString(s) {
			return "is not a /Date(ms)/ literal"
		}
	case tDateTimeOffset:
		if s, ok := v.(string); !ok || !offsetPattern.MatchString(s) {
			return "is not a /Date(ms+0000)/ literal"
		}
	default:
		return "has a type the test does not know: " + p.Type
	}
	return ""
}

// TestAnswersMatchTheTypes reads records of every entity set and checks
// each property value against its type in SAP's description: the
// answers, not only the $metadata, fit SAP's types.
func TestAnswersMatchTheTypes(t *testing.T) {
	dir := specDir(t)
	c := newClient(t, Config{})
	for _, svc := range services {
		if svc.beyondSpecs {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, svc.Name+".edmx"))
		if err != nil {
			t.Fatal(err)
		}
		vendor := parseEDMX(t, raw).Schemas[0]
		for _, set := range svc.Sets {
			i := slices.IndexFunc(vendor.EntityTypes, func(x edmxEntityType) bool { return x.Name == set.Type })
			if i < 0 {
				t.Errorf("%s is not in SAP's description", set.Type)
				continue
			}
			et := vendor.EntityTypes[i]
			list := results(t, c.do("GET", odataPrefix+svc.Name+"/"+set.Name+"?$top=50", nil, nil))
			if len(list) == 0 {
				t.Errorf("%s/%s lists nothing", svc.Name, set.Name)
			}
			for _, r := range list {
				for name, v := range r.(map[string]any) {
					if name == "__metadata" || set.nav(name) != nil {
						continue
					}
					j := slices.IndexFunc(et.Props, func(x edmxProp) bool { return x.Name == name })
					if j < 0 {
						t.Errorf("%s.%s is served but not in SAP's description", set.Type, name)
						continue
					}
					if why := checkValue(et.Props[j], v); why != "" {
						t.Errorf("%s.%s = %v %s", set.Type, name, v, why)
					}
				}
			}
		}
	}
}
