// Package posturegen generates large, deterministic PCRS posture-info
// bodies for the jsonstream benchmarks, memory tests and the streamfile
// command, and holds Record, a stand-in for the generated posture record
// type.
//
// The records follow the Release 10.31 postureInfo samples (evidence with
// multi-line strings, technology, criticality, cloud metadata, the quoted
// customerId and size fields), with values varied by a seeded generator so
// the same size always gives the same bytes.
package posturegen

import "github.com/qualyskit/qualys-go/wire"

// Record mirrors one posture record the way oapi-codegen renders the PCRS
// schema: fields that are always present are values, everything else is a
// pointer with omitempty, ids that arrive in more than one form are
// wire.ID, and quoted numbers are wire.Decimal. Dates are strings because
// Qualys sends "" for dates that never happened.
type Record struct {
	ID                        int64             `json:"id"`
	Instance                  string            `json:"instance"`
	PolicyID                  int64             `json:"policyId"`
	PolicyTitle               *string           `json:"policyTitle,omitempty"`
	NetBios                   *string           `json:"netBios,omitempty"`
	ControlID                 int64             `json:"controlId"`
	ControlStatement          *string           `json:"controlStatement,omitempty"`
	Rationale                 *string           `json:"rationale,omitempty"`
	Remediation               *string           `json:"remediation,omitempty"`
	Category                  *string           `json:"category,omitempty"`
	SubCategory               *string           `json:"subCategory,omitempty"`
	ControlReference          any               `json:"controlReference,omitempty"`
	TechnologyID              int64             `json:"technologyId"`
	Status                    string            `json:"status"`
	PreviousStatus            *string           `json:"previousStatus,omitempty"`
	FirstFailDate             *string           `json:"firstFailDate,omitempty"`
	LastFailDate              *string           `json:"lastFailDate,omitempty"`
	FirstPassDate             *string           `json:"firstPassDate,omitempty"`
	LastPassDate              *string           `json:"lastPassDate,omitempty"`
	PostureModifiedDate       *string           `json:"postureModifiedDate,omitempty"`
	LastEvaluatedDate         *string           `json:"lastEvaluatedDate,omitempty"`
	Created                   *string           `json:"created,omitempty"`
	HostID                    int64             `json:"hostId"`
	IP                        *string           `json:"ip,omitempty"`
	TrackingMethod            *string           `json:"trackingMethod,omitempty"`
	OS                        *string           `json:"os,omitempty"`
	OSCpe                     *string           `json:"osCpe,omitempty"`
	DomainName                *string           `json:"domainName,omitempty"`
	DNS                       *string           `json:"dns,omitempty"`
	QgHostid                  *string           `json:"qgHostid,omitempty"`
	NetworkID                 *int64            `json:"networkId,omitempty"`
	NetworkName               *string           `json:"networkName,omitempty"`
	ComplianceLastScanDate    *string           `json:"complianceLastScanDate,omitempty"`
	CustomerUUID              *string           `json:"customerUuid,omitempty"`
	CustomerID                wire.ID           `json:"customerId,omitempty"`
	AssetID                   *int64            `json:"assetId,omitempty"`
	Technology                *Technology       `json:"technology,omitempty"`
	Criticality               *Criticality      `json:"criticality,omitempty"`
	Evidence                  *Evidence         `json:"evidence,omitempty"`
	CauseOfFailure            *CauseOfFailure   `json:"causeOfFailure,omitempty"`
	UserDefinedAttributesList *[]map[string]any `json:"userDefinedAttributesList,omitempty"`
	CurrentDataSizeKB         wire.Decimal      `json:"currentDataSizeKB,omitempty"`
	TotalDataSizeKB           *wire.Decimal     `json:"totalDataSizeKB,omitempty"`
	CurrentBatch              *int              `json:"currentBatch,omitempty"`
	TotalBatches              *int              `json:"totalBatches,omitempty"`
	CloudMetaData             *CloudMetaData    `json:"cloudMetaData,omitempty"`
	CloudResourceID           *string           `json:"CLOUD_RESOURCE_ID,omitempty"`
}

// Technology is the record's technology object.
type Technology struct {
	ID   int64   `json:"id"`
	Name *string `json:"name,omitempty"`
}

// Criticality is the record's criticality object.
type Criticality struct {
	Label *string `json:"label,omitempty"`
	Value *int    `json:"value,omitempty"`
}

// Evidence is the record's evidence object (evidenceRequired=1).
type Evidence struct {
	ExpectedValues   *string  `json:"expectedValues,omitempty"`
	CurrentValues    []string `json:"currentValues,omitempty"`
	ActualValues     any      `json:"actualValues,omitempty"`
	DirectoryFimUdc  any      `json:"directoryFimUdc,omitempty"`
	LastUpdated      *string  `json:"lastUpdated,omitempty"`
	ExtendedEvidence *string  `json:"extendedEvidence,omitempty"`
}

// CauseOfFailure is the record's causeOfFailure object on failed postures.
type CauseOfFailure struct {
	Missing    []string `json:"missing,omitempty"`
	Unexpected []string `json:"unexpected,omitempty"`
}

// CloudMetaData is the record's cloudMetaData object (cloudMetaDataRequired=1).
type CloudMetaData struct {
	CloudProvider         *string `json:"cloudProvider,omitempty"`
	CloudService          *string `json:"cloudService,omitempty"`
	CloudResourceID       *string `json:"cloudResourceId,omitempty"`
	CloudResourceType     *string `json:"cloudResourceType,omitempty"`
	CloudAccountID        *string `json:"cloudAccountId,omitempty"`
	CloudImageID          *string `json:"cloudImageId,omitempty"`
	CloudResourceMetadata *string `json:"cloudResourceMetadata,omitempty"`
}
