package qualys

import (
	"context"
	"errors"
	"net/http"

	"github.com/qualyskit/qualys-go/gen/pcrs"
	"github.com/qualyskit/qualys-go/wire"
)

// Policies lists the compliance policies of the subscription (policy list
// 2.0). params may be nil.
func (c *Client) Policies(ctx context.Context, params *pcrs.ListPoliciesV2Params) (*pcrs.PolicyList, error) {
	const op = "GET /pcrs/2.0/posture/policy/list"
	if params == nil {
		params = &pcrs.ListPoliciesV2Params{}
	}
	resp, err := call(ctx, op, func(ctx context.Context) (*http.Response, error) {
		return c.PCRS.ListPoliciesV2(ctx, params)
	}, pcrs.ParseListPoliciesV2Response)
	if err != nil {
		return nil, err
	}
	return decoded(op, resp.HTTPResponse, resp.Body, resp.JSON200)
}

// HostIDs resolves the host ids of policies (hostids 3.0, which takes any
// number of policy ids; none means every policy of the subscription).
// statusChangedSince, when not empty, keeps only hosts whose posture
// changed since that date ("2024-11-01" or "2024-11-01T00:00:00Z").
//
// Qualys reports an unknown policy inside the 200 body; such an element is
// returned with the others, and the error joins one *APIError per failed
// policy (matching ErrInBody and ErrNotFound), so nothing resolved is lost.
func (c *Client) HostIDs(ctx context.Context, policyIDs []wire.ID, statusChangedSince string) ([]pcrs.PolicyHostIDs, error) {
	const op = "GET /pcrs/3.0/posture/hostids"
	params := &pcrs.ResolveHostIDsV3Params{}
	for _, id := range policyIDs {
		params.PolicyID = append(params.PolicyID, id.String())
	}
	if statusChangedSince != "" {
		params.StatusChangedSince = &statusChangedSince
	}
	resp, err := call(ctx, op, func(ctx context.Context) (*http.Response, error) {
		return c.PCRS.ResolveHostIDsV3(ctx, params)
	}, pcrs.ParseResolveHostIDsV3Response)
	if err != nil {
		return nil, err
	}
	list, err := decoded(op, resp.HTTPResponse, resp.Body, resp.JSON200)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, p := range *list {
		if err := PCRSBodyError(op, p.PolicyID, p.Error); err != nil {
			errs = append(errs, err)
		}
	}
	return *list, errors.Join(errs...)
}
