package contract_test

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
}
