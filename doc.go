// Package qualysgo is the root of the Qualys SDK for Go, which drives the
// Qualys CAR (/sm) and PCRS (/pcrs) APIs. It holds no code: the client
// lives in package qualys,
//
//	import qualys "github.com/qualyskit/qualys-go/wrapper"
//
// the test server in github.com/qualyskit/qualys-go/qualystest, the
// generated clients in github.com/qualyskit/qualys-go/gen/car and
// github.com/qualyskit/qualys-go/gen/pcrs, and the command line tool in
// github.com/qualyskit/qualys-go/cmd/qualys.
package qualysgo
