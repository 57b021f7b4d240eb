package qualystest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qualyskit/qualys-go/gen/car"
	"github.com/qualyskit/qualys-go/wire"
)

// CAR configuration (blocked commands, blocked assets and tags, lab
// assets), asset tags and schedules.

// splitCommands turns Qualys' comma-separated command list into entries.
func splitCommands(s string) []string {
	var out []string
	for _, c := range strings.Split(s, ",") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

func knownCommandLanguage(d *CARData, id int64) bool {
	return slices.ContainsFunc(d.CommandLanguages, func(l CommandLanguage) bool { return l.ID == id })
}

func createBlockedCommands(s *Server, w http.ResponseWriter, r *http.Request, c *call) {
	var req car.BlockedCommandsCreate
	if err := decodeBody(r, &req); err != nil {
		s.badCARRequest(w, r, c, err)
		return
	}
	cmds := splitCommands(req.Commands)
	if len(cmds) == 0 {
		s.badCARRequest(w, r, c, fmt.Errorf("commands: no command given"))
		return
	}
	var id int64
	ok := true
	s.Update(func(d *Data) {
		if ok = knownCommandLanguage(&d.CAR, req.LanguageID); !ok {
			return
		}
		for _, b := range d.CAR.BlockedCommands {
			id = max(id, b.CommandID)
		}
		id++
		d.CAR.BlockedCommands = append(d.CAR.BlockedCommands, BlockedCommand{CommandID: id, LanguageID: req.LanguageID, Commands: cmds})
	})
	if !ok {
		s.badCARRequest(w, r, c, fmt.Errorf("languageId %d is not a platform and language of blocked commands", req.LanguageID))
		return
	}
	res := car.CreatedResult{ErrorCode: "0", Message: "Commands Blocked successfully"}
	res.Body.ID = wire.NewID(id)
	s.replyJSON(w, r, c, http.StatusOK, res)
}

func getBlockedCommands(s *Server, w http.ResponseWriter, r *http.Request, c *call) {
	langID, _ := strconv.ParseInt(c.params["id"], 10, 64)
	d, _ := s.snapshot()
	if !knownCommandLanguage(&d.CAR, langID) {
		s.fail(w, r, c, http.StatusNotFound, fmt.Sprintf("languageId %d is not a platform and language of blocked commands", langID))
		return
	}
	list := []car.BlockedCommands{}
	for _, b := range d.CAR.BlockedCommands {
		if b.LanguageID != langID {
			continue
		}
		rec := car.BlockedCommands{CommandID: b.CommandID, LanguageID: b.LanguageID, Commands: b.Commands}
		for _, l := range d.CAR.CommandLanguages {
			if l.ID == b.LanguageID {
				rec.Language, rec.Platform = l.Language, l.Platform
			}
		}
		list = append(list, rec)
	}
	s.replyJSON(w, r, c, http.StatusOK, car.BlockedCommandsListResult{Body: car.BlockedCommandsList{TotalCount: wire.CountOf(int64(len(list))), List: list}})
}

// updateBlockedCommandsV1 replaces the commands of a language.
func updateBlockedCommandsV1(s *Server, w http.ResponseWriter, r *http.Request, c *call) {
	var req car.BlockedCommandsUpdateV1
	if err := decodeBody(r, &req); err != nil {
		s.badCARRequest(w, r, c, err)
		return
	}
	found := false
	s.Update(func(d *Data) {
		var kept []BlockedCommand
		for _, b := range d.CAR.BlockedCommands {
			if b.LanguageID == req.LanguageID {
				if !found {
					b.Commands, found = splitCommands(req.Commands), true
					kept = append(kept, b)
				}
				continue
			}
			kept = append(kept, b)
		}
		d.CAR.BlockedCommands = kept
	})
	if !found {
		s.fail(w, r, c, http.StatusNotFound, fmt.Sprintf("No blocked commands for languageId %d", req.LanguageID))
		return
	}
	s.replyJSON(w, r, c, http.StatusOK, car.TextResult{Body: "Commands Updated Successfully"})
}

// updateBlockedCommandsV2 updates one record by commandId.
func updateBlockedCommandsV2(s *Server, w http.ResponseWriter, r *http.Request, c *call) {
	var req car.BlockedCommandsUpdateV2
	if err := decodeBody(r, &req); err != nil {
		s.badCARRequest(w, r, c, err)
		return
	}
	found := false
	s.Update(func(d *Data) {
		for i, b := range d.CAR.BlockedCommands {
			if b.CommandID == req.CommandID && b.LanguageID == req.LanguageID {
				d.CAR.BlockedCommands[i].Commands, found = splitCommands(req.Commands), true
			}
		}
	})
	if !found {
		s.fail(w, r, c, http.StatusNotFound, fmt.Sprintf("No blocked-command record %d for languageId %d", req.CommandID, req.LanguageID))
		return
	}
	s.replyJSON(w, r, c, http.StatusOK, car.TextResult{Body: "Commands Updated Successfully"})
}

// deleteBlockedCommands serves v1 (by languageIds) and v2 (by commandIds).
func deleteBlockedCommands(s *Server, w http.ResponseWriter, r *http.Request, c *call) {
	var req struct {
		LanguageIDs []int64 `json:"languageIds"`
		CommandIDs  []int64 `json:"commandIds"`
	}
	if err := decodeBody(r, &req); err != nil {
		s.badCARRequest(w, r, c, err)
		return
	}
	deleted := 0
	s.Update(func(d *Data) {
		before := len(d.CAR.BlockedCommands)
		d.CAR.BlockedCommands = slices.DeleteFunc(d.CAR.BlockedCommands, func(b BlockedCommand) bool {
			return slices.Contains(req.LanguageIDs, b.LanguageID) || slices.Contains(req.CommandIDs, b.CommandID)
		})
		deleted = before - len(d.CAR.BlockedCommands)
	})
	if deleted == 0 {
		s.fail(w, r, c, http.StatusNotFound, "No blocked commands match the given ids")
		return
	}
	s.replyJSON(w, r, c, http.StatusOK, car.TextResult{Body: "Commands Deleted Successfully"})
}

// batch serves the id-list calls: each id is processed or reported invalid
// inside the 200, as Qualys does.
func batch(apply func(d *Data, id int64) bool) handlerFunc {
	return func(s *Server, w http.ResponseWriter, r *http.Request, c *call) {
		var req car.BatchRequest
		if err := decodeBody(r, &req); err != nil {
			s.badCARRequest(w, r, c, err)
			return
		}
		done, invalid := []wire.ID{}, []wire.ID{}
		s.Update(func(d *Data) {
			for _, id := range req.IDs {
				if n, err := id.Int64(); err == nil && apply(d, n) {
					done = append(done, id)
				} else {
					invalid = append(invalid, id)
				}
			}
		})
		s.replyJSON(w, r, c, http.StatusOK, car.BatchResult{Body: car.BatchOutcomes{
			Success: car.BatchOutcome{IDs: done, Message: "Ids are processed"},
			Failure: car.BatchOutcome{IDs: invalid, Message: "Ids are Invalid"},
		}})
	}
}

func hostExists(d *Data, id int64) bool {
	return slices.ContainsFunc(d.Hosts, func(h Host) bool { return h.ID == id })
}

// addID adds id to list when ok says it may be there; removeID takes it out.
func addID(list *[]int64, id int64, ok bool) bool {
	if !ok {
		return false
	}
	if !slices.Contains(*list, id) {
		*list = append(*list, id)
	}
	return true
}

func removeID(list *[]int64, id int64) bool {
	i := slices.Index(*list, id)
	if i < 0 {
		return false
	}
	*list = slices.Delete(*list, i, i+1)
	return true
}

var (
	blockAssets = batch(func(d *Data, id int64) bool {
		return addID(&d.CAR.BlockedAssetIDs, id, hostExists(d, id))
	})
	unblockAssets = batch(func(d *Data, id int64) bool { return removeID(&d.CAR.BlockedAssetIDs, id) })
	blockTags     = batch(func(d *Data, id int64) bool {
		return addID(&d.CAR.BlockedTagIDs, id, tagIndex(d, id) >= 0)
	})
	unblockTags     = batch(func(d *Data, id int64) bool { return removeID(&d.CAR.BlockedTagIDs, id) })
	deleteLabAssets = batch(func(d *Data, id int64) bool { return removeID(&d.CAR.LabAssetIDs, id) })
)

var assetTagFields = map[string]filterField[Tag]{
	"name": {text: true, get: func(t Tag) []string { return one(t.Name) }},
	"lab":  {get: func(t Tag) []string { return one(strconv.FormatBool(t.Lab)) }},
	"id":   {get: func(t Tag) []string { return idText(t.ID) }},
}

// searchAssetTags lists the tags CAR is enabled on (every tag but the
// blocked ones); a filter such as lab:true lists the lab tags.
func searchAssetTags(s *Server, w http.ResponseWriter, r *http.Request, c *call) {
	var req car.AssetTagSearch // the body is optional: Qualys' sample sends none
	if body, err := io.ReadAll(r.Body); err != nil || len(bytes.TrimSpace(body)) > 0 && json.Unmarshal(body, &req) != nil {
		s.badCARRequest(w, r, c, fmt.Errorf("request body is not a JSON object"))
		return
	}
	d, idx := s.snapshot()
	var tags []Tag
	for _, t := range d.Tags {
		if !slices.Contains(d.CAR.BlockedTagIDs, t.ID) {
			tags = append(tags, t)
		}
	}
	page, total, err := runSearch(carSearch{filter: req.Filter, pageNumber: req.PageNumber, pageSize: req.PageSize}, tags, assetTagFields, nil, nil)
	if err != nil {
		s.badCARRequest(w, r, c, err)
		return
	}
	list := make([]car.AssetTag, 0, len(page))
	for _, t := range page {
		// The CAR record id of a tag: stable, whatever the page.
		rec := car.AssetTag{ID: wire.IDFromString(strconv.Itoa(1204 + idx.tag[t.ID])), TagID: wire.IDFromInt(t.ID), TagUUID: t.UUID,
			Name: t.Name, CustomerUUID: d.CustomerUUID, CustomerID: wire.IDFromInt(d.SubscriptionID)}
		if t.BackgroundColor != "" {
			rec.BackgroundColor = t.BackgroundColor
		}
		list = append(list, rec)
	}
	s.replyJSON(w, r, c, http.StatusOK, searchEnvelope[car.AssetTagList]{Body: car.AssetTagList{TotalCount: wire.CountOf(total), List: list}})
}

var scheduleFields = map[string]filterField[Schedule]{
	"title":        {text: true, get: func(sc Schedule) []string { return one(sc.Title) }},
	"scheduleType": {get: func(sc Schedule) []string { return one(sc.ScheduleType) }},
	"active":       {get: func(sc Schedule) []string { return one(strconv.FormatBool(sc.Active)) }},
	"id":           {get: func(sc Schedule) []string { return one(sc.ID) }},
}

var scheduleSorters = map[string]carSorter[Schedule]{
	"id":               func(a, b Schedule) int { return cmp.Compare(a.ID, b.ID) },
	"title":            func(a, b Schedule) int { return cmp.Compare(a.Title, b.Title) },
	"created.datetime": func(a, b Schedule) int { return a.Created.Compare(b.Created) },
}

func searchSchedules(s *Server, w http.ResponseWriter, r *http.Request, c *call) {
	var req car.ScheduleSearch
	if err := decodeBody(r, &req); err != nil {
		s.badCARRequest(w, r, c, err)
		return
	}
	d, _ := s.snapshot()
	q := carSearch{filter: req.Filter, sort: req.Sort, pageNumber: req.PageNumber, pageSize: req.PageSize, startAt: req.StartAt, endAt: req.EndAt}
	page, total, err := runSearch(q, d.CAR.Schedules, scheduleFields, scheduleSorters, func(sc Schedule) time.Time { return sc.Created })
	if err != nil {
		s.badCARRequest(w, r, c, err)
		return
	}
	list := make([]car.Schedule, 0, len(page))
	for _, sc := range page {
		scripts := make([]map[string]any, 0, len(sc.ScriptIDs))
		for _, id := range sc.ScriptIDs {
			scripts = append(scripts, map[string]any{"id": id})
		}
		list = append(list, car.Schedule{ID: wire.IDFromString(sc.ID), AdditionalProperties: map[string]any{
			"customerUuid": d.CustomerUUID, "title": sc.Title, "description": sc.Description, "activate": sc.Active,
			"scheduleType": sc.ScheduleType, "startDate": sc.Start.UnixMilli(), "endDate": sc.End.UnixMilli(),
			"scripts": scripts, "created": map[string]any{"dateTime": sc.Created.UnixMilli()},
		}})
	}
	s.replyJSON(w, r, c, http.StatusOK, car.ScheduleListResult{Body: car.ScheduleList{TotalCount: wire.CountOf(total), List: list}})
}

func updateSchedule(s *Server, w http.ResponseWriter, r *http.Request, c *call) {
	id := c.params["id"]
	var req car.ScheduleUpdate
	if err := decodeBody(r, &req); err != nil {
		s.badCARRequest(w, r, c, err)
		return
	}
	assets, err := refIDs("assets", req.Assets)
	if err != nil {
		s.badCARRequest(w, r, c, err)
		return
	}
	tags, err := refIDs("assetTags", req.AssetTags)
	if err != nil {
		s.badCARRequest(w, r, c, err)
		return
	}
	excluded, err := refIDs("excludedAssets", req.ExcludedAssets)
	if err != nil {
		s.badCARRequest(w, r, c, err)
		return
	}
	found, clash := false, false
	var bad error
	s.Update(func(d *Data) {
		i := slices.IndexFunc(d.CAR.Schedules, func(sc Schedule) bool { return sc.ID == id })
		if i < 0 {
			return
		}
		found = true
		if slices.ContainsFunc(d.CAR.Schedules, func(sc Schedule) bool { return sc.ID != id && strings.EqualFold(sc.Title, req.Title) }) {
			clash = true
			return
		}
		scriptIDs := make([]int64, 0, len(req.Scripts))
		for k, x := range req.Scripts {
			n, err := x.ID.Int64()
			if err != nil || !slices.ContainsFunc(d.CAR.Scripts, func(sc Script) bool { return sc.ID == n }) {
				bad = fmt.Errorf("scripts[%d].id: script %s not found", k, x.ID)
				return
			}
			scriptIDs = append(scriptIDs, n)
		}
		for _, a := range slices.Concat(assets, excluded) {
			if !hostExists(d, a) {
				bad = fmt.Errorf("assets: asset %d not found", a)
				return
			}
		}
		for _, t := range tags {
			if tagIndex(d, t) < 0 {
				bad = fmt.Errorf("assetTags: tag %d not found", t)
				return
			}
		}
		sc := d.CAR.Schedules[i]
		sc.Title, sc.ScheduleType = req.Title, string(req.ScheduleType)
		set(&sc.Description, req.Description)
		set(&sc.Active, req.Activate)
		sc.ScriptIDs = scriptIDs
		if req.Assets != nil {
			sc.AssetIDs = assets
		}
		if req.AssetTags != nil {
			sc.TagIDs = tags
		}
		if req.ExcludedAssets != nil {
			sc.ExcludedAssetIDs = excluded
		}
		sc.Start = time.UnixMilli(req.StartDate)
		sc.Updated = d.Now
		d.CAR.Schedules[i] = sc
	})
	switch {
	case !found:
		s.fail(w, r, c, http.StatusNotFound, "Schedule not found: "+id)
	case clash:
		s.fail(w, r, c, http.StatusConflict, "Scheduler with the same title already exists: "+req.Title)
	case bad != nil:
		s.badCARRequest(w, r, c, bad)
	default:
		// Qualys publishes no response; the simulator answers like the
		// other updates: errorCode "0", a message and the id.
		s.replyJSON(w, r, c, http.StatusOK, car.UnpublishedResult{ErrorCode: "0", Message: "Schedule updated successfully",
			Body: json.RawMessage(fmt.Sprintf(`{"id":%q}`, id))})
	}
}
