package qualys

import (
	"context"
	"errors"
	"iter"
	"net/http"
	"time"

	"github.com/qualyskit/qualys-go/gen/pcrs"
	"github.com/qualyskit/qualys-go/wire"
)

// Policies yields the compliance policies of the subscription (policy
// list 2.0, with each policy's asset-tag scope), like every other list of
// the client. evaluatedSince, when not zero, keeps only policies evaluated
// at or after it. The list comes in one response; an error is yielded
// once and ends the sequence.
func (c *Client) Policies(ctx context.Context, evaluatedSince time.Time) iter.Seq2[pcrs.Policy, error] {
	return func(yield func(pcrs.Policy, error) bool) {
		const op = "GET /pcrs/2.0/posture/policy/list"
		withTags := pcrs.ToggleOn
		params := &pcrs.ListPoliciesV2Params{LastEvaluationDate: dateParam(evaluatedSince), RequireTagInfo: &withTags}
		resp, err := call(ctx, op, func(ctx context.Context) (*http.Response, error) {
			return c.PCRS.ListPoliciesV2(ctx, params)
		}, pcrs.ParseListPoliciesV2Response)
		var list *pcrs.PolicyList
		if err == nil {
			list, err = decoded(op, resp.HTTPResponse, resp.Body, resp.JSON200)
		}
		if err != nil {
			yield(pcrs.Policy{}, err)
			return
		}
		for _, p := range list.PolicyList {
			if err := ctx.Err(); err != nil {
				yield(pcrs.Policy{}, err)
				return
			}
			if !yield(p, nil) {
				return
			}
		}
	}
}

// HostIDs resolves the host ids of policies (hostids 3.0, which takes any
// number of policy ids; none means every policy of the subscription).
// statusChangedSince, when not zero, keeps only hosts whose posture
// changed at or after it.
//
// Qualys reports an unknown policy inside the 200 body; such an element is
// returned with the others, and the error joins one *APIError per failed
// policy (matching ErrInBody and ErrNotFound), so nothing resolved is lost.
func (c *Client) HostIDs(ctx context.Context, policyIDs []wire.ID, statusChangedSince time.Time) ([]pcrs.PolicyHostIDs, error) {
	const op = "GET /pcrs/3.0/posture/hostids"
	params := &pcrs.ResolveHostIDsV3Params{}
	for _, id := range policyIDs {
		params.PolicyID = append(params.PolicyID, id.String())
	}
	params.StatusChangedSince = dateParam(statusChangedSince)
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
		if err := pcrsBodyError(op, p.PolicyID, p.Error); err != nil {
			errs = append(errs, err)
		}
	}
	return *list, errors.Join(errs...)
}
