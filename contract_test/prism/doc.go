// Package prism drives the generated clients and the wrapper against
// Stoplight Prism, an implementation of the OpenAPI documents written by
// someone else: every request must pass Prism's validation, every example
// answer Prism builds from the documents must decode, and Prism must
// reject exactly the request and response mutations of contract_test's
// fixtures that kin-openapi rejects. Its tests need Prism from lint/
// (cd lint && npm ci) and build only with the prism tag: make contract
// runs them.
//
// Where the two validators disagreed, the OpenAPI 3.0.3 text decided and
// the documents were fixed:
//
//   - previousStatus (posture records) was a nullable string with allOf
//     PostureStatus. 3.0.3 lets nullable add null to its own schema's type
//     only; other constraints keep their veto, so the allOf member rejected
//     the null Qualys sends. Prism rejected it, kin-openapi let it pass. It
//     is now PreviousPostureStatus, a nullable string with a pattern.
//   - FlexibleId was oneOf a digit string and an integer. A path value such
//     as 599 is text that Prism reads as both, so oneOf failed; kin-openapi
//     took the string branch only. It is now anyOf, which says the same for
//     JSON bodies, where the branches never overlap.
//
// RebootDelayTimeUnit (CAR) has previousStatus' old shape (nullable with an
// enum lacking null), so under 3.0.3 it rejects null; no documented sample
// sends null there, and listing null in the enum makes Prism skip
// validating the body and oapi-codegen emit a "<nil>" constant, so it
// stays as it is.
package prism
