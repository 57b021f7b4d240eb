package qualys

import "context"

// The external tests (package qualys_test) exercise plumbing that is not
// part of the API; these names exist only while testing.
var (
	CheckResponse      = checkResponse
	ParseErrorResponse = parseErrorResponse
	NewTransport       = newAuthTransport
	NewTokenSource     = newTokenSourceFor
)

type Credentials = userCredentials

// ClientToken is the JWT the client's transport currently holds or fetches.
func ClientToken(ctx context.Context, c *Client) (string, error) {
	return c.transport.tokenSource().Token(ctx)
}

// ClientTokenSource is the client's token source, for printing checks.
func ClientTokenSource(c *Client) any { return c.transport.tokenSource() }

// ClientTransport is the client's transport, for printing checks.
func ClientTransport(c *Client) any { return c.transport }
