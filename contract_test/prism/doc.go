// Package prism drives the generated clients and the wrapper against
// Stoplight Prism, an implementation of the OpenAPI documents written by
// someone else: every request must pass Prism's validation, and every
// example answer Prism builds from the documents must decode. Its tests
// need Prism from lint/ (cd lint && npm ci) and build only with the prism
// tag: make contract runs them.
package prism
