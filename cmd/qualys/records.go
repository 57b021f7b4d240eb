package main

import (
	"bytes"
	"encoding/json"

	"github.com/qualyskit/qualys-go/gen/car"
)

// The generated record types the commands name. Everything else goes
// through JSON, so a change in the generated types touches only this file
// and the few field reads beside the commands (tagView).
type (
	libraryScript = car.LibraryScript
	assetJob      = car.AssetJob
)

// withField adds a field to a record as it prints.
func withField(rec any, name string, value any) (map[string]any, error) {
	b, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	m[name] = value
	return m, nil
}
