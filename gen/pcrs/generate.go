// Package pcrs is the client and models for the Qualys PCRS API (/pcrs/...),
// generated from spec/qualys-pcrs.yaml. Do not edit; run `make generate`.
package pcrs

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config cfg.yaml ../../spec/qualys-pcrs.yaml
