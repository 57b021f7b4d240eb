package contract_test

//lint:file-ignore SA1019 deprecated Qualys operations stay documented and simulated until their end of life

import "github.com/qualyskit/qualys-go/gen/car"

// carOperations ties every operation of spec/qualys-car.yaml to its
// generated response parser and, for JSON bodies, its request-body type.
var carOperations = operations{
	"createCarToken":        op(car.ParseCreateCarTokenResponse, nil),
	"searchLibraryScripts":  op(car.ParseSearchLibraryScriptsResponse, body[car.SearchLibraryScriptsJSONRequestBody]),
	"getLibraryScript":      op(car.ParseGetLibraryScriptResponse, nil),
	"importLibraryScriptV1": op(car.ParseImportLibraryScriptV1Response, body[car.ImportLibraryScriptV1JSONRequestBody]),
	"searchScripts":         op(car.ParseSearchScriptsResponse, body[car.SearchScriptsJSONRequestBody]),
	"searchJobs":            op(car.ParseSearchJobsResponse, body[car.SearchJobsJSONRequestBody]),
	"searchAssetJobs":       op(car.ParseSearchAssetJobsResponse, body[car.SearchAssetJobsJSONRequestBody]),

	"createScriptV1":      op(car.ParseCreateScriptV1Response, body[car.CreateScriptV1JSONRequestBody]),
	"createScriptV2":      op(car.ParseCreateScriptV2Response, body[car.CreateScriptV2JSONRequestBody]),
	"createScriptV3":      op(car.ParseCreateScriptV3Response, body[car.CreateScriptV3JSONRequestBody]),
	"createScriptV5":      op(car.ParseCreateScriptV5Response, body[car.CreateScriptV5JSONRequestBody]),
	"updateScriptV1":      op(car.ParseUpdateScriptV1Response, body[car.UpdateScriptV1JSONRequestBody]),
	"updateScriptV2":      op(car.ParseUpdateScriptV2Response, body[car.UpdateScriptV2JSONRequestBody]),
	"updateScriptV4":      op(car.ParseUpdateScriptV4Response, body[car.UpdateScriptV4JSONRequestBody]),
	"listScriptTypes":     op(car.ParseListScriptTypesResponse, nil),
	"listScriptLanguages": op(car.ParseListScriptLanguagesResponse, nil),

	"executeScript":         op(car.ParseExecuteScriptResponse, body[car.ExecuteScriptJSONRequestBody]),
	"searchSchedules":       op(car.ParseSearchSchedulesResponse, body[car.SearchSchedulesJSONRequestBody]),
	"updateSchedule":        op(car.ParseUpdateScheduleResponse, body[car.UpdateScheduleJSONRequestBody]),
	"importLibraryScriptV2": op(car.ParseImportLibraryScriptV2Response, body[car.ImportLibraryScriptV2JSONRequestBody]),
	"searchAssetTags":       op(car.ParseSearchAssetTagsResponse, body[car.SearchAssetTagsJSONRequestBody]),

	"createBlockedCommands":   op(car.ParseCreateBlockedCommandsResponse, body[car.CreateBlockedCommandsJSONRequestBody]),
	"getBlockedCommands":      op(car.ParseGetBlockedCommandsResponse, nil),
	"updateBlockedCommandsV1": op(car.ParseUpdateBlockedCommandsV1Response, body[car.UpdateBlockedCommandsV1JSONRequestBody]),
	"updateBlockedCommandsV2": op(car.ParseUpdateBlockedCommandsV2Response, body[car.UpdateBlockedCommandsV2JSONRequestBody]),
	"deleteBlockedCommandsV1": op(car.ParseDeleteBlockedCommandsV1Response, body[car.DeleteBlockedCommandsV1JSONRequestBody]),
	"deleteBlockedCommandsV2": op(car.ParseDeleteBlockedCommandsV2Response, body[car.DeleteBlockedCommandsV2JSONRequestBody]),
	"blockAssets":             op(car.ParseBlockAssetsResponse, body[car.BlockAssetsJSONRequestBody]),
	"unblockAssets":           op(car.ParseUnblockAssetsResponse, body[car.UnblockAssetsJSONRequestBody]),
	"blockTags":               op(car.ParseBlockTagsResponse, body[car.BlockTagsJSONRequestBody]),
	"unblockTags":             op(car.ParseUnblockTagsResponse, body[car.UnblockTagsJSONRequestBody]),
	"deleteLabAssets":         op(car.ParseDeleteLabAssetsResponse, body[car.DeleteLabAssetsJSONRequestBody]),
}
