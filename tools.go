//go:build tools

// This file pins the code generator so `go run` in gen/*/generate.go
// always builds the same version recorded in go.mod.
package qualysgo

import (
	_ "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen"
)
