import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RecordedRequest } from "./emulator";
import { EngineOpError, TestStack } from "./harness/stack";
import { startTarget, type Target } from "./harness/target";

/*
 * WarehouseJoin under the real engine, the program a user's index.ts in a project folder run by the `pulumi` CLI:
 * joins between two views of the run, and from a view to `persons`. They need no bucket and no source, so this file
 * runs in full against a live server (npm run test:live) as against the emulator; see harness/target.ts.
 */
let target: Target;
let stack: TestStack<RecordedRequest>;
const n = (name: string) => target.name(name);

interface Declared {
  personKey: string;
  /** A third join, on a field name someone made in the UI: `adoptId` set or not. */
  extra?: { adoptId?: string };
}

function program(d: Declared): string {
  const extra = d.extra
    ? `new WarehouseJoin("ui-made", { sourceTableName: signups.name, sourceTableKey: "distinct_id", joiningTableName: "persons", joiningTableKey: "properties.email", fieldName: ${JSON.stringify(n("ui_field"))}${
        d.extra.adoptId ? `, adoptId: ${JSON.stringify(d.extra.adoptId)}` : ""
      } });`
    : "";
  return `import { SavedQuery, WarehouseJoin } from "pulumi-posthog-warehouse";

const signups = new SavedQuery("signups", { name: ${JSON.stringify(n("wj_signups"))}, query: "select distinct_id, min(timestamp) as first_seen from events group by distinct_id" });
const activity = new SavedQuery("activity", { name: ${JSON.stringify(n("wj_activity"))}, query: "select distinct_id, count() as event_count from events group by distinct_id" });
const toActivity = new WarehouseJoin("signup-activity", { sourceTableName: signups.name, sourceTableKey: "distinct_id", joiningTableName: activity.name, joiningTableKey: "distinct_id", fieldName: ${JSON.stringify(n("activity"))} });
const toPerson = new WarehouseJoin("signup-person", { sourceTableName: signups.name, sourceTableKey: "distinct_id", joiningTableName: "persons", joiningTableKey: ${JSON.stringify(d.personKey)}, fieldName: ${JSON.stringify(n("person"))} });
${extra}
export const activityJoinId = toActivity.joinId;
export const personJoinId = toPerson.joinId;
`;
}

const writes = (requests: RecordedRequest[]) => requests.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.path.replace(/\/api\/(projects|environments)\/\d+\//, "/api/$1/:p/").replace(/[0-9a-f-]{36}/g, "<id>")}`);
const joinOf = async (field: string) => (await target.joins()).find((j) => j.field_name === n(field));

beforeAll(async () => {
  target = await startTarget({ tag: "wj" });
  stack = await TestStack.create({
    project: { files: { "index.ts": program({ personKey: "properties.email" }) } },
    log: target.log,
    projectName: "wj-e2e",
    config: { "posthog:host": { value: target.url }, "posthog:apiKey": { value: target.apiKey, secret: true }, "posthog:projectId": { value: String(target.projectId) } },
  });
});
afterAll(async () => {
  await stack?.dispose();
  await target?.close();
});

describe("WarehouseJoin between views of the run under the real engine", () => {
  it("up creates both views, then both joins; a no-op preview makes no request", async () => {
    const up = await stack.up();
    expect(up.result.summary.resourceChanges).toMatchObject({ create: 5 });
    const posts = writes(up.requests);
    expect(posts.filter((w) => w.includes("warehouse_view_links"))).toHaveLength(2);
    expect(posts.lastIndexOf("POST /api/environments/:p/warehouse_saved_queries/")).toBeLessThan(posts.indexOf("POST /api/projects/:p/warehouse_view_links/"));
    const joins = await target.joins();
    expect(joins.map((j) => [j.source_table_name, j.field_name, j.joining_table_name]).sort()).toEqual([
      [n("wj_signups"), n("activity"), n("wj_activity")],
      [n("wj_signups"), n("person"), "persons"],
    ]);
    expect(joins.map((j) => j.id).sort()).toEqual([up.result.outputs.activityJoinId!.value, up.result.outputs.personJoinId!.value].sort());

    const preview = await stack.preview();
    expect(preview.result.changeSummary).toEqual({ same: 5 });
    expect(preview.requests).toHaveLength(0);
  }, 300_000);

  it("refresh is not drift: the joins' names and keys read back as declared", async () => {
    const refresh = await stack.refresh();
    expect(Object.keys(refresh.result.summary.resourceChanges ?? {})).toEqual(["same"]);
    expect((await stack.preview()).result.changeSummary).toEqual({ same: 5 });
  }, 300_000);

  it("a key change updates the join in place with one PATCH of that key", async () => {
    const before = (await joinOf("person"))!.id;
    stack.writeProgram(program({ personKey: "id" }));
    expect((await stack.preview()).result.changeSummary).toEqual({ update: 1, same: 4 });
    const up = await stack.up();
    expect(writes(up.requests)).toEqual(["PATCH /api/projects/:p/warehouse_view_links/<id>/"]);
    expect(up.requests.find((r) => r.method === "PATCH")!.body).toEqual({ joining_table_key: "id" });
    expect(await joinOf("person")).toMatchObject({ id: before, joining_table_key: "id" });
  }, 300_000);

  it("an edit made in the UI shows in refresh, and up puts the declaration back", async () => {
    const join = (await joinOf("activity"))!;
    const ui = target.client();
    await ui.warehouseJoins.update(join.id, { joining_table_key: "upper(distinct_id)" });
    await ui.close();
    expect((await stack.refresh()).result.summary.resourceChanges).toMatchObject({ update: 1 });
    expect((await stack.preview()).result.changeSummary).toEqual({ update: 1, same: 4 });
    await stack.up();
    expect(await joinOf("activity")).toMatchObject({ id: join.id, joining_table_key: "distinct_id" });
    expect((await stack.preview()).result.changeSummary).toEqual({ same: 5 });
  }, 300_000);

  it("joins deleted in the UI are dropped by refresh and made again by up", async () => {
    // Both, so that refresh's reads (made in parallel, in no set order) all answer alike: the live report pairs them
    // with the emulator's in order.
    const gone = (await target.joins()).map((j) => j.id);
    expect(gone).toHaveLength(2);
    const ui = target.client();
    for (const id of gone) await ui.warehouseJoins.delete(id);
    await ui.close();
    expect((await stack.refresh()).result.summary.resourceChanges).toMatchObject({ delete: 2 });
    const up = await stack.up();
    expect(up.result.summary.resourceChanges).toMatchObject({ create: 2 });
    const again = await target.joins();
    expect(again.map((j) => j.field_name).sort()).toEqual([n("activity"), n("person")]);
    expect(again.filter((j) => gone.includes(j.id))).toEqual([]);
  }, 300_000);

  it("a field name taken by a join made in the UI stops up before any write, naming it; adoptId then takes it over with no write", async () => {
    const ui = target.client();
    const made = await ui.warehouseJoins.create({ source_table_name: n("wj_signups"), source_table_key: "distinct_id", joining_table_name: "persons", joining_table_key: "properties.email", field_name: n("ui_field") });
    await ui.close();
    stack.writeProgram(program({ personKey: "id", extra: {} }));
    const err = (await stack.up().catch((e: unknown) => e)) as EngineOpError<RecordedRequest>;
    expect(err).toBeInstanceOf(EngineOpError);
    expect(err.message).toContain(made.id);
    expect(err.message).toMatch(/adoptId/);
    expect(writes(err.requests)).toEqual([]);

    stack.writeProgram(program({ personKey: "id", extra: { adoptId: made.id } }));
    const up = await stack.up();
    expect(up.result.summary.resourceChanges).toMatchObject({ create: 1 });
    expect(writes(up.requests)).toEqual([]);
    expect((await stack.preview()).result.changeSummary).toEqual({ same: 6 });
    expect((await target.joins()).filter((j) => j.field_name === n("ui_field")).map((j) => j.id)).toEqual([made.id]);
  }, 300_000);

  it("destroy deletes every join before the views it names and leaves nothing", async () => {
    const destroy = await stack.destroy();
    expect(destroy.result.summary.resourceChanges).toMatchObject({ delete: 6 });
    const deletes = writes(destroy.requests);
    expect(deletes.filter((d) => d.includes("warehouse_view_links"))).toHaveLength(3);
    expect(deletes.lastIndexOf("DELETE /api/projects/:p/warehouse_view_links/<id>/")).toBeLessThan(deletes.indexOf("DELETE /api/environments/:p/warehouse_saved_queries/<id>/"));
    expect(await target.joins()).toEqual([]);
    expect(await target.views()).toEqual([]);
  }, 300_000);
});
