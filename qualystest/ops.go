package qualystest

// operations maps every operationId of both documents to its handler
// (/auth is handled before this table). TestEveryOperationSimulated
// checks that no operation of either document is missing.
var operations = map[string]handlerFunc{
	"listPoliciesV1":   listPolicies,
	"listPoliciesV2":   listPolicies,
	"resolveHostIdsV1": resolveHostIDs,
	"resolveHostIdsV2": resolveHostIDs,
	"resolveHostIdsV3": resolveHostIDs,
	"resolveHostIdsV4": resolveHostIDs,
	"resolveHostIdsV5": resolveHostIDs,
	"getPostureInfoV1": postureInfo,
	"getPostureInfoV2": postureInfo,
	"getPostureInfoV3": postureInfo,
	"getPostureInfoV4": postureInfo,
	"getPostureInfoV5": postureInfo,

	"searchLibraryScripts":  searchLibraryScripts,
	"getLibraryScript":      getLibraryScript,
	"importLibraryScriptV1": importLibraryScriptV1,
	"searchScripts":         searchScripts,
	"searchJobs":            searchJobs,
	"searchAssetJobs":       searchAssetJobs,
}
