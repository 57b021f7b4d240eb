package qualystest_test

//lint:file-ignore SA1019 deprecated Qualys operations stay documented and simulated until their end of life

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/qualyskit/qualys-go/gen/car"
	"github.com/qualyskit/qualys-go/qualystest"
	"github.com/qualyskit/qualys-go/wire"
)

func TestCreateUpdateAndExecuteScript(t *testing.T) {
	s := qualystest.NewServer(t)
	c := carClient(t, s)
	ctx := context.Background()

	created, err := c.CreateScriptV5WithResponse(ctx, car.ScriptCreateV5{Title: "Disk check", TypeID: 1, LanguageID: 6,
		Content: wire.EncodeBase64String("df -h\n")})
	if err != nil || created.JSON200 == nil || created.JSON200.ErrorCode != "0" {
		t.Fatalf("%v %s", err, created.Body)
	}
	found, _ := c.SearchScriptsWithResponse(ctx, car.ScriptSearch{Filter: "title:Disk check AND language:Shell"})
	if found.JSON200 == nil || found.JSON200.Body.TotalCount.Int64() != 1 {
		t.Fatalf("created script not found: %s", found.Body)
	}
	id, _ := found.JSON200.Body.List[0].ID.Int64()

	for name, body := range map[string]car.ScriptCreateV5{
		"bad base64":          {Title: "x", TypeID: 1, LanguageID: 6, Content: wire.RawBase64("not*base64")},
		"no content nor git":  {Title: "x", TypeID: 1, LanguageID: 6},
		"unknown language id": {Title: "x", TypeID: 1, LanguageID: 99, Content: wire.EncodeBase64String("x")},
	} {
		bad, _ := c.CreateScriptV5WithResponse(ctx, body)
		if bad.StatusCode() != http.StatusBadRequest || bad.JSON400 == nil {
			t.Errorf("%s: %d %s", name, bad.StatusCode(), bad.Body)
		}
	}
	if bad, _ := c.CreateScriptV5WithResponse(ctx, car.ScriptCreateV5{Title: "x", TypeID: 1, LanguageID: 6, Content: wire.RawBase64("not*base64")}); !strings.Contains(string(bad.Body), "content") {
		t.Errorf("the error does not name the field: %s", bad.Body)
	}

	upd, _ := c.UpdateScriptV2WithResponse(ctx, wire.NewID(id), car.ScriptUpdateV2{Title: "Disk check v2", CategoryIDUpper: wire.IDFromString("1")})
	if upd.JSON200 == nil {
		t.Fatalf("update v2: %d %s", upd.StatusCode(), upd.Body)
	}
	if missing, _ := c.UpdateScriptV4WithResponse(ctx, wire.NewID(1), car.ScriptUpdateV4{Comment: "x"}); missing.StatusCode() != http.StatusNotFound {
		t.Errorf("update of an unknown script: %d", missing.StatusCode())
	}

	host := s.Data().Hosts[0].ID
	run, err := c.ExecuteScriptWithResponse(ctx, wire.NewID(id), car.ScriptExecution{AssetIDs: wire.IDFromInt(host).String()})
	if err != nil || run.JSON200 == nil || run.JSON200.Body.CorrelationUUID == "" {
		t.Fatalf("%v %s", err, run.Body)
	}
	jobs, _ := c.SearchJobsWithResponse(ctx, car.JobSearch{Filter: "scriptId:" + wire.IDFromInt(id).String()})
	if jobs.JSON200 == nil || jobs.JSON200.Body.TotalCount.Int64() != 1 || jobs.JSON200.Body.List[0].CorrelationUUID != run.JSON200.Body.CorrelationUUID {
		t.Fatalf("job of the run: %s", jobs.Body)
	}
	aj, _ := c.SearchAssetJobsWithResponse(ctx, car.AssetJobSearch{Filter: "job.id:" + jobs.JSON200.Body.List[0].ID.String(), IncludeScriptResult: wire.FlagOf(true)})
	if aj.JSON200 == nil || len(aj.JSON200.Body.List) != 1 {
		t.Fatalf("asset jobs of the run: %s", aj.Body)
	}
	if id, _ := aj.JSON200.Body.List[0].Asset.ID.Int64(); id != host {
		t.Errorf("ran on %d, want %d", id, host)
	}
	if bad, _ := c.ExecuteScriptWithResponse(ctx, wire.NewID(1), car.ScriptExecution{AssetIDs: "1"}); bad.StatusCode() != http.StatusNotFound {
		t.Errorf("unknown script: %d", bad.StatusCode())
	}
	if bad, _ := c.ExecuteScriptWithResponse(ctx, wire.NewID(id), car.ScriptExecution{TestMode: wire.FlagOf(true)}); bad.StatusCode() != http.StatusBadRequest {
		t.Errorf("test mode without lab assets: %d", bad.StatusCode())
	}
	types, _ := c.ListScriptTypesWithResponse(ctx)
	if types.StatusCode() != http.StatusOK || !strings.Contains(string(types.Body), "Custom Script") {
		t.Errorf("script types: %s", types.Body)
	}
	noResponseErrors(t, s)
}

func TestConfigurationCalls(t *testing.T) {
	s := qualystest.NewServer(t)
	c := carClient(t, s)
	ctx := context.Background()

	created, _ := c.CreateBlockedCommandsWithResponse(ctx, car.BlockedCommandsCreate{LanguageID: 201, Commands: "Restart-Computer, Clear-EventLog"})
	if created.JSON200 == nil || created.JSON200.Body.ID.IsZero() {
		t.Fatalf("create: %d %s", created.StatusCode(), created.Body)
	}
	cmdID, err := created.JSON200.Body.ID.Int64()
	if err != nil {
		t.Fatalf("created command id: %v", err)
	}
	got, _ := c.GetBlockedCommandsWithResponse(ctx, 201)
	if got.JSON200 == nil || !strings.Contains(string(got.Body), "Clear-EventLog") {
		t.Fatalf("get: %s", got.Body)
	}
	if upd, _ := c.UpdateBlockedCommandsV2WithResponse(ctx, car.BlockedCommandsUpdateV2{LanguageID: 201, CommandID: cmdID, Commands: "Stop-Service"}); upd.JSON200 == nil || upd.JSON200.Body != "Commands Updated Successfully" {
		t.Errorf("update v2: %s", upd.Body)
	}
	if upd, _ := c.UpdateBlockedCommandsV2WithResponse(ctx, car.BlockedCommandsUpdateV2{LanguageID: 201, CommandID: 999999, Commands: "x"}); upd.StatusCode() != http.StatusNotFound {
		t.Errorf("update v2 of an unknown record: %d", upd.StatusCode())
	}
	if del, _ := c.DeleteBlockedCommandsV2WithResponse(ctx, car.BlockedCommandsDeleteV2{CommandIDs: []int64{cmdID}}); del.JSON200 == nil {
		t.Errorf("delete v2: %s", del.Body)
	}
	if bad, _ := c.CreateBlockedCommandsWithResponse(ctx, car.BlockedCommandsCreate{LanguageID: 7, Commands: "x"}); bad.StatusCode() != http.StatusBadRequest {
		t.Errorf("unknown language id: %d", bad.StatusCode())
	}

	host := s.Data().Hosts[0].ID
	blocked, _ := c.BlockAssetsWithResponse(ctx, car.BatchRequest{IDs: ids(host, 1)})
	if b := blocked.JSON200; b == nil || len(b.Body.Success.IDs) != 1 || !b.Body.Success.IDs[0].Equal(wire.NewID(host)) || len(b.Body.Failure.IDs) != 1 {
		t.Errorf("block assets: %s", blocked.Body)
	}

	labs, _ := c.SearchAssetTagsWithResponse(ctx, car.AssetTagSearch{Filter: "lab:true"})
	all, _ := c.SearchAssetTagsWithResponse(ctx, car.AssetTagSearch{})
	if labs.JSON200 == nil || all.JSON200 == nil || labs.JSON200.Body.TotalCount.Int64() == 0 || labs.JSON200.Body.TotalCount.Int64() >= all.JSON200.Body.TotalCount.Int64() {
		t.Errorf("lab tags %s of %s", labs.Body, all.Body)
	}

	sched, _ := c.SearchSchedulesWithResponse(ctx, car.ScheduleSearch{PageSize: int32(50)})
	if sched.JSON200 == nil || len(sched.JSON200.Body.List) < 2 {
		t.Fatalf("schedules: %s", sched.Body)
	}
	first, second := sched.JSON200.Body.List[0], sched.JSON200.Body.List[1]
	update := car.ScheduleUpdate{Title: "Weekly cleanup", ScheduleType: car.ScheduleTypeRECURRING, StartDate: 1748217600000, StartTime: 1748217600000,
		Scripts: []car.ScheduledScript{{ID: wire.NewID(s.Data().CAR.Scripts[0].ID), Title: s.Data().CAR.Scripts[0].Title}}}
	if ok, _ := c.UpdateScheduleWithResponse(ctx, first.ID, update); ok.StatusCode() != http.StatusOK {
		t.Errorf("update schedule: %d %s", ok.StatusCode(), ok.Body)
	}
	if clash, _ := c.UpdateScheduleWithResponse(ctx, second.ID, update); clash.StatusCode() != http.StatusConflict || !strings.Contains(string(clash.Body), "already exists") {
		t.Errorf("same title twice: %d %s", clash.StatusCode(), clash.Body)
	}
	noResponseErrors(t, s)
}
