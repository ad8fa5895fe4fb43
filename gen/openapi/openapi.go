// Package openapi holds the OpenAPI document of Millwright's REST API,
// generated from the protos by `make generate`.
package openapi

import _ "embed"

// JSON is the OpenAPI (Swagger 2.0) document of the v1 REST API.
//
//go:embed millwright.swagger.json
var JSON []byte
