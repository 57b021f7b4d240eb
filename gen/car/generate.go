// Package car is the client and models for the Qualys CAR API (/sm/...),
// generated from spec/qualys-car.yaml. Do not edit; run `make generate`.
package car

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config cfg.yaml ../../spec/qualys-car.yaml
