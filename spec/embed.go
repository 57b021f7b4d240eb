// Package spec embeds the two OpenAPI documents of this SDK, so that the
// simulator in package qualystest and users' own tests can validate
// requests and responses against exactly the documents the generated
// clients were built from, without locating files on disk.
package spec

import "embed"

// FS holds qualys-car.yaml and qualys-pcrs.yaml as published.
//
//go:embed qualys-*.yaml
var FS embed.FS

// File names of the documents inside FS.
const (
	CARFile  = "qualys-car.yaml"
	PCRSFile = "qualys-pcrs.yaml"
)

// CAR returns the Qualys CAR document (/sm/...). Each call returns a fresh
// copy, so callers may modify it.
func CAR() []byte { return mustRead(CARFile) }

// PCRS returns the Qualys PCRS document (/pcrs/...). Each call returns a
// fresh copy, so callers may modify it.
func PCRS() []byte { return mustRead(PCRSFile) }

// mustRead cannot fail for the names above: go:embed refuses to build when
// a named file is missing.
func mustRead(name string) []byte {
	b, err := FS.ReadFile(name)
	if err != nil {
		panic("spec: " + err.Error())
	}
	return b
}
