package contract_test

//lint:file-ignore SA1019 deprecated Qualys operations stay documented and simulated until their end of life

import "github.com/qualyskit/qualys-go/gen/car"

// carOperations ties every operation of spec/qualys-car.yaml to its
// generated response parser and, for JSON bodies, its request-body type.
var carOperations = operations{
	"createCarToken":        op(car.ParseCreateCarTokenResponse, nil),
	"searchLibraryScripts":  op(car.ParseSearchLibraryScriptsResponse, body[car.LibraryScriptSearch]),
	"getLibraryScript":      op(car.ParseGetLibraryScriptResponse, nil),
	"importLibraryScriptV1": op(car.ParseImportLibraryScriptV1Response, body[car.LibraryScriptImport]),
	"searchScripts":         op(car.ParseSearchScriptsResponse, body[car.ScriptSearch]),
	"searchJobs":            op(car.ParseSearchJobsResponse, body[car.JobSearch]),
	"searchAssetJobs":       op(car.ParseSearchAssetJobsResponse, body[car.AssetJobSearch]),

	"createScriptV1":      op(car.ParseCreateScriptV1Response, body[car.UnpublishedScriptBody]),
	"createScriptV2":      op(car.ParseCreateScriptV2Response, body[car.ScriptCreateV2]),
	"createScriptV3":      op(car.ParseCreateScriptV3Response, body[car.ScriptCreateV3]),
	"createScriptV5":      op(car.ParseCreateScriptV5Response, body[car.ScriptCreateV5]),
	"updateScriptV1":      op(car.ParseUpdateScriptV1Response, body[car.UnpublishedScriptBody]),
	"updateScriptV2":      op(car.ParseUpdateScriptV2Response, body[car.ScriptUpdateV2]),
	"updateScriptV4":      op(car.ParseUpdateScriptV4Response, body[car.ScriptUpdateV4]),
	"listScriptTypes":     op(car.ParseListScriptTypesResponse, nil),
	"listScriptLanguages": op(car.ParseListScriptLanguagesResponse, nil),

	"executeScript":         op(car.ParseExecuteScriptResponse, body[car.ScriptExecution]),
	"searchSchedules":       op(car.ParseSearchSchedulesResponse, body[car.ScheduleSearch]),
	"updateSchedule":        op(car.ParseUpdateScheduleResponse, body[car.ScheduleUpdate]),
	"importLibraryScriptV2": op(car.ParseImportLibraryScriptV2Response, body[car.LibraryScriptImportV2]),
	"searchAssetTags":       op(car.ParseSearchAssetTagsResponse, body[car.AssetTagSearch]),

	"createBlockedCommands":   op(car.ParseCreateBlockedCommandsResponse, body[car.BlockedCommandsCreate]),
	"getBlockedCommands":      op(car.ParseGetBlockedCommandsResponse, nil),
	"updateBlockedCommandsV1": op(car.ParseUpdateBlockedCommandsV1Response, body[car.BlockedCommandsUpdateV1]),
	"updateBlockedCommandsV2": op(car.ParseUpdateBlockedCommandsV2Response, body[car.BlockedCommandsUpdateV2]),
	"deleteBlockedCommandsV1": op(car.ParseDeleteBlockedCommandsV1Response, body[car.BlockedCommandsDeleteV1]),
	"deleteBlockedCommandsV2": op(car.ParseDeleteBlockedCommandsV2Response, body[car.BlockedCommandsDeleteV2]),
	"blockAssets":             op(car.ParseBlockAssetsResponse, body[car.BatchRequest]),
	"unblockAssets":           op(car.ParseUnblockAssetsResponse, body[car.BatchRequest]),
	"blockTags":               op(car.ParseBlockTagsResponse, body[car.BatchRequest]),
	"unblockTags":             op(car.ParseUnblockTagsResponse, body[car.BatchRequest]),
	"deleteLabAssets":         op(car.ParseDeleteLabAssetsResponse, body[car.BatchRequest]),
}
