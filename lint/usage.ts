// Reuse proof: the TypeScript types openapi-typescript generates from both
// specs compile under --strict together with code that uses them.
import type { operations as car } from "./generated/car";
import type { operations as pcrs } from "./generated/pcrs";

type JSONBody<Op> = Op extends { requestBody: { content: { "application/json": infer B } } } ? B : never;
type JSON200<Op> = Op extends { responses: { 200: { content: { "application/json": infer R } } } } ? R : never;

// CAR: search the script library with content, and import a script.
const search: JSONBody<car["searchLibraryScripts"]> = { filter: "moduleCode:AUTOR", includeScriptContent: true, pageNumber: 0, pageSize: 50 };
const imported: JSONBody<car["importLibraryScriptV1"]> = { title: "File1.ps1", categoryId: 211, id: 2795, approved: true };

function titles(page: JSON200<car["searchLibraryScripts"]>): string[] {
  return (page.body?.list ?? []).map((s) => s.title ?? String(s.id));
}

function correlation(run: JSON200<car["executeScript"]>): string {
  return run.body.correlationUuid;
}

// PCRS: resolve host ids (sent as "4980343" or 4980343, so the type says
// string | number), then ask for posture records of failed controls.
function hostIds(res: JSON200<pcrs["resolveHostIdsV3"]>): string[] {
  return res.flatMap((p) => (p.hostIds ?? []).map(String));
}

const posture: JSONBody<pcrs["getPostureInfoV5"]> = [{ policyId: "1438626", subscriptionId: "1337821", hostIds: ["4980343"] }];

function failed(records: JSON200<pcrs["getPostureInfoV5"]>): number {
  return records.filter((r) => r.status === "Failed").length;
}

export { search, imported, titles, correlation, hostIds, posture, failed };
