package contract_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/qualyskit/qualys-go/internal/closedschema"
)

// closedDocument loads a spec and closes every object schema
// (additionalProperties: false) on the loaded copy, so a sample carrying a
// field the spec does not declare fails validation. The published documents
// stay open because Qualys adds fields within a version.
func closedDocument(t *testing.T, specFile string) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(filepath.Join("..", "spec", specFile))
	if err != nil {
		t.Fatalf("load %s: %v", specFile, err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("%s is not valid: %v", specFile, err)
	}
	closedschema.Document(doc)
	// Route on a fixed host so test requests need no real gateway name.
	doc.Servers = openapi3.Servers{{URL: testServer}}
	return doc
}

const testServer = "https://gateway.qualys.test"
