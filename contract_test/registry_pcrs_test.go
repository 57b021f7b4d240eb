package contract_test

//lint:file-ignore SA1019 deprecated Qualys operations stay documented and simulated until their end of life

import "github.com/qualyskit/qualys-go/gen/pcrs"

// pcrsOperations ties every operation of spec/qualys-pcrs.yaml to its
// generated response parser and, for JSON bodies, its request-body type.
var pcrsOperations = operations{
	"createPcrsToken":  op(pcrs.ParseCreatePcrsTokenResponse, nil),
	"listPoliciesV1":   op(pcrs.ParseListPoliciesV1Response, nil),
	"listPoliciesV2":   op(pcrs.ParseListPoliciesV2Response, nil),
	"resolveHostIdsV1": op(pcrs.ParseResolveHostIDsV1Response, nil),
	"resolveHostIdsV2": op(pcrs.ParseResolveHostIDsV2Response, nil),
	"resolveHostIdsV3": op(pcrs.ParseResolveHostIDsV3Response, nil),
	"resolveHostIdsV4": op(pcrs.ParseResolveHostIDsV4Response, nil),
	"resolveHostIdsV5": op(pcrs.ParseResolveHostIDsV5Response, nil),
	"getPostureInfoV1": op(pcrs.ParseGetPostureInfoV1Response, body[pcrs.PostureInfoRequest]),
	"getPostureInfoV2": op(pcrs.ParseGetPostureInfoV2Response, body[pcrs.PostureInfoRequest]),
	"getPostureInfoV3": op(pcrs.ParseGetPostureInfoV3Response, body[pcrs.PostureInfoRequest]),
	"getPostureInfoV4": op(pcrs.ParseGetPostureInfoV4Response, body[pcrs.PostureInfoRequest]),
	"getPostureInfoV5": op(pcrs.ParseGetPostureInfoV5Response, body[pcrs.PostureInfoRequest]),
}
