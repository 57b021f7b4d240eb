// Package spec_test checks that both OpenAPI documents are valid, with
// format and example validation on, as every consumer of them expects.
package spec_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// Documents lists the published OpenAPI documents.
var Documents = []string{"qualys-car.yaml", "qualys-pcrs.yaml"}

func load(t *testing.T, name string) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromFile(filepath.Join(".", name))
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return doc
}

// validate runs every check kin-openapi offers on a whole document.
func validate(doc *openapi3.T) error {
	return doc.Validate(context.Background(),
		openapi3.EnableSchemaFormatValidation(),
		openapi3.EnableSchemaPatternValidation(),
		openapi3.EnableExamplesValidation(),
		openapi3.ProhibitExtensionsWithRef(),
	)
}

func TestDocumentsValidate(t *testing.T) {
	for _, name := range Documents {
		t.Run(name, func(t *testing.T) {
			doc := load(t, name)
			err := validate(doc)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		})
	}
}

// TestValidationCatchesBadDocuments proves the checks above can fail: an
// example that does not match its schema, an unknown format and an
// extension beside a $ref are each rejected.
func TestValidationCatchesBadDocuments(t *testing.T) {
	const head = `openapi: 3.0.3
info: {title: t, version: "1"}
paths: {}
components:
  schemas:
`
	cases := map[string]string{
		"example of the wrong type": `    N: {type: integer, format: int64, example: "ten"}
`,
		"unknown format": `    D: {type: string, format: epoch-millis}
`,
		"extension beside a ref": `    A: {type: string}
    B:
      type: object
      properties:
        a: {$ref: '#/components/schemas/A', x-go-type: string}
`,
		"bad pattern example": `    P: {type: string, pattern: '^[0-9]+$', example: "12a"}
`,
	}
	for name, schemas := range cases {
		t.Run(name, func(t *testing.T) {
			doc, err := openapi3.NewLoader().LoadFromData([]byte(head + schemas))
			if err != nil {
				t.Fatalf("the test document must load: %v", err)
			}
			err = validate(doc)
			if err == nil {
				t.Fatal("document validated but must fail")
			}
		})
	}
}
