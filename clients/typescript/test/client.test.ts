// Runs against `qualys simulate` (scripts/typescript.sh starts it): the
// specs and the simulator serve a client in another language.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createQualysClient, decodeBase64, parsePosture, QualysError } from "../src/client.js";

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run these tests through scripts/typescript.sh`);
  return v;
}

const gatewayUrl = env("QUALYS_GATEWAY_URL");
const username = env("QUALYS_USERNAME");
const password = env("QUALYS_PASSWORD");
const q = createQualysClient({ gatewayUrl, username, password });

test("auth: /auth answers a JWT; a wrong password is a 401 that does not repeat it", async () => {
  const jwt = await q.token();
  assert.equal(jwt.split(".").length, 3, "a JWT has three parts");
  const wrong = createQualysClient({ gatewayUrl, username, password: "wrong-Pa55word" });
  await assert.rejects(wrong.token(), (err: unknown) => {
    assert.ok(err instanceof QualysError);
    assert.equal(err.status, 401);
    assert.ok(!err.message.includes("wrong-Pa55word"));
    return true;
  });
});

test("gateway URL: plain http only on loopback, never with credentials", () => {
  assert.throws(() => createQualysClient({ gatewayUrl: "http://gateway.example.com", username, password }), QualysError);
  assert.throws(() => createQualysClient({ gatewayUrl: "https://u:p@gateway.example.com", username, password }), QualysError);
  assert.doesNotThrow(() => createQualysClient({ gatewayUrl: "http://127.0.0.1:8480", username, password }));
});

async function librarySearch() {
  const { data, error, response } = await q.car.POST("/sm/v1/script-library/search", {
    body: { pageNumber: 0, pageSize: 5, includeScriptContent: true },
  });
  assert.equal(response.status, 200, JSON.stringify(error));
  assert.ok(data?.body);
  return data.body;
}

test("CAR library search: a page with base64 content decoded", async () => {
  const page = await librarySearch();
  assert.ok(page.list.length > 0 && page.list.length <= 5, `page of ${page.list.length}`);
  assert.ok(Number(page.totalCount) >= page.list.length); // a count may arrive as text
  for (const s of page.list) {
    assert.ok(s.title, "every library script has a title");
    assert.match(decodeBase64(s.scriptContent), /\S/, `script ${s.id} has content`);
  }
});

test("CAR library get: one script by id, content decoded", async () => {
  const first = (await librarySearch()).list[0];
  assert.ok(first?.id !== undefined);
  const { data, response } = await q.car.GET("/sm/v1/script-library/{id}", { params: { path: { id: Number(first.id) } } });
  assert.equal(response.status, 200);
  assert.equal(String(data?.body?.id), String(first.id));
  assert.equal(data?.body?.title, first.title);
  // The detail calls the content "content"; searches call it "scriptContent".
  assert.equal(decodeBase64(data?.body?.content), decodeBase64(first.scriptContent));
  assert.match(decodeBase64(data?.body?.content), /\S/);
});

test("CAR script types: the list typeId values come from", async () => {
  const { data, response } = await q.car.GET("/sm/v1/script-types");
  assert.equal(response.status, 200);
  // The spec leaves this body open (Qualys does not publish it).
  const types = (data as { body?: unknown } | undefined)?.body;
  assert.ok(Array.isArray(types) && types.length > 0);
  for (const t of types as { id?: unknown; name?: unknown }[]) {
    assert.equal(typeof t.id, "number");
    assert.equal(typeof t.name, "string");
  }
});

test("CAR asset tags: CAR-enabled tags", async () => {
  const { data, response } = await q.car.POST("/sm/v1/assettags/search", { body: {} });
  assert.equal(response.status, 200);
  assert.ok((data?.body?.list.length ?? 0) > 0);
  for (const tag of data?.body?.list ?? []) assert.ok(tag.name);
});

test("CAR execute, then job and asset job search by the execution's ids", async () => {
  const scripts = await q.car.POST("/sm/v1/scripts/search", { body: { pageSize: 1 } });
  assert.equal(scripts.response.status, 200);
  const script = scripts.data?.body?.list[0];
  assert.ok(script?.id !== undefined);
  const tags = await q.car.POST("/sm/v1/assettags/search", { body: {} });
  const tag = tags.data?.body?.list[0];
  assert.ok(tag?.tagId !== undefined);

  const run = await q.car.POST("/sm/v1/scripts/{scriptId}/execute", {
    params: { path: { scriptId: Number(script.id) } },
    body: { assetTagIds: String(tag.tagId), testMode: false },
  });
  assert.equal(run.response.status, 200, JSON.stringify(run.error));
  const correlationUuid = run.data?.body.correlationUuid;
  assert.match(correlationUuid ?? "", /^[0-9a-f-]{36}$/);

  const jobs = await q.car.POST("/sm/v1/jobs/search", { body: { filter: `correlationUuid:${correlationUuid}` } });
  assert.equal(jobs.response.status, 200);
  const job = jobs.data?.body?.list[0];
  assert.equal(jobs.data?.body?.totalCount, 1);
  assert.equal(String(job?.scriptId), String(script.id));
  assert.equal(job?.correlationUuid, correlationUuid);

  const assetJobs = await q.car.POST("/sm/v1/assetjobs/search", {
    body: { filter: `job.id:${job?.id}`, includeScriptResult: true, pageSize: 10 },
  });
  assert.equal(assetJobs.response.status, 200, JSON.stringify(assetJobs.error));
  const list = assetJobs.data?.body?.list ?? [];
  assert.ok(list.length > 0, "the run has asset jobs");
  for (const aj of list) {
    assert.equal(String(aj.job?.id), String(job?.id));
    assert.ok(aj.status);
  }
});

test("CAR: a body the spec rejects gets the simulator's 400", async () => {
  const { error, response } = await q.car.POST("/sm/v1/jobs/search", {
    // A string where the spec wants an integer, as a mistaken caller sends.
    body: { pageSize: "ten" as unknown as number },
  });
  assert.equal(response.status, 400);
  assert.ok(error);
});

async function policyAndHosts() {
  const { data, response } = await q.pcrs.GET("/pcrs/3.0/posture/hostids", {});
  assert.equal(response.status, 200);
  const withHosts = (data ?? []).find((p) => (p.hostIds?.length ?? 0) > 0);
  assert.ok(withHosts, "some policy has hosts");
  return withHosts;
}

test("PCRS policy list: policies with ids and titles", async () => {
  const { data, response } = await q.pcrs.GET("/pcrs/1.0/posture/policy/list", {});
  assert.equal(response.status, 200);
  const list = data?.policyList ?? [];
  assert.ok(list.length > 0);
  for (const p of list) {
    assert.ok(Number(p.id) > 0);
    assert.ok(p.title);
  }
});

test("PCRS hostids: host ids per policy", async () => {
  const p = await policyAndHosts();
  assert.match(String(p.policyId), /^\d+$/);
  assert.match(String(p.subscriptionId), /^\d+$/);
  for (const id of p.hostIds ?? []) assert.match(String(id), /^\d+$/);
});

for (const compressed of [true, false]) {
  test(`PCRS posture 5.0 ${compressed ? "with gzip (the default)" : "without gzip"}`, async () => {
    const p = await policyAndHosts();
    const hostIds = (p.hostIds ?? []).slice(0, 3).map(String);
    const { data, response } = await q.pcrs.POST("/pcrs/5.0/posture/postureInfo", {
      params: { query: { evidenceRequired: 1, compressionRequired: compressed ? 1 : 0 } },
      body: [{ policyId: String(p.policyId), subscriptionId: String(p.subscriptionId), hostIds }],
      parseAs: "arrayBuffer",
    });
    assert.equal(response.status, 200);
    assert.ok(data instanceof ArrayBuffer);
    const head = new Uint8Array(data.slice(0, 2));
    assert.equal(head[0] === 0x1f && head[1] === 0x8b, compressed, "gzip bytes exactly when asked for");
    const records = parsePosture(data);
    assert.ok(records.length > 0);
    for (const r of records) {
      assert.ok(hostIds.includes(String(r.hostId)), `record of host ${r.hostId} was asked for`);
      assert.equal(String(r.policyId), String(p.policyId));
      assert.ok(["Passed", "Failed", "Error"].includes(String(r.status)), `status ${r.status}`);
    }
  });
}
