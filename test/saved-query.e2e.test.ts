import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RecordedRequest } from "./emulator";
import { EngineOpError, TestStack } from "./harness/stack";
import { itEmulatorOnly, startTarget, type Target } from "./harness/target";

/*
 * A Pulumi project folder run by the `pulumi` CLI through the Node.js language host, the package installed from its
 * packed tarball: each program below is the index.ts a user would write (the run's prefixed names written into it).
 */
// Runs against the in-process emulator (npm test) and a live server (npm run test:live): see harness/target.ts.
let target: Target;
let stack: TestStack<RecordedRequest>;
const live = () => target.views();
const n = (name: string) => target.name(name);

function program(baseQuery: string): string {
  return `import * as pulumi from "@pulumi/pulumi";
import { SavedQuery } from "pulumi-posthog-warehouse";

const base = new SavedQuery("base", { name: ${JSON.stringify(n("e2e_base"))}, query: ${JSON.stringify(baseQuery)} });
const child = new SavedQuery("child", { name: ${JSON.stringify(n("e2e_child"))}, query: pulumi.interpolate\`select event from \${base.name}\` });
export const baseId = base.id;
export const childColumns = child.columns;
`;
}
const views = (...declarations: string[]) => `import { SavedQuery } from "pulumi-posthog-warehouse";\n\n${declarations.join("\n")}\n`;

beforeAll(async () => {
  target = await startTarget({ tag: "sq" });
  stack = await TestStack.create({
    project: { files: { "index.ts": program("select event, timestamp from events") } },
    log: target.log,
    projectName: "sq-e2e",
    config: { "posthog:host": { value: target.url }, "posthog:apiKey": { value: target.apiKey, secret: true }, "posthog:projectId": { value: String(target.projectId) } },
  });
});
afterAll(async () => {
  await stack?.dispose();
  await target?.close();
});

describe("SavedQuery under the real engine", () => {
  it("up creates two views in dependency order; a no-op preview makes no request", async () => {
    const up = await stack.up();
    expect(up.result.summary.resourceChanges).toMatchObject({ create: 3 });
    const posts = up.requests.filter((r) => r.method === "POST").map((r) => (r.body as { name: string }).name);
    expect(posts).toEqual([n("e2e_base"), n("e2e_child")]);
    expect((await live()).map((v) => v.name).sort()).toEqual([n("e2e_base"), n("e2e_child")]);

    const preview = await stack.preview();
    expect(preview.result.changeSummary).toEqual({ same: 3 });
    expect(preview.requests).toHaveLength(0);
  }, 300_000);

  it("a formatting-only edit is no change; a real query edit updates in place", async () => {
    stack.writeProgram(program("select  event,\n   timestamp\nfrom events  "));
    expect((await stack.preview()).result.changeSummary).toEqual({ same: 3 });
    stack.writeProgram(program("select event, timestamp, distinct_id from events"));
    const up = await stack.up();
    expect(up.result.summary.resourceChanges).toMatchObject({ update: 1, same: 2 });
    expect((await live()).find((v) => v.name === n("e2e_base"))?.query?.query).toBe("select event, timestamp, distinct_id from events");
  }, 300_000);

  it("an edit made in the UI makes the next up fail without overwriting; refresh then shows it", async () => {
    const base = (await live()).find((v) => v.name === n("e2e_base"))!;
    const ui = target.client();
    await ui.savedQueries.update(base.id, { query: { kind: "HogQLQuery", query: "select event from events where 1 = 1" }, edited_history_id: String(base.latest_history_id) });
    await ui.close();

    stack.writeProgram(program("select event, timestamp from events"));
    const err = await stack.up().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineOpError);
    expect((err as EngineOpError<RecordedRequest>).message).toMatch(/changed outside Pulumi/);
    expect((await live()).find((v) => v.name === n("e2e_base"))?.query?.query).toBe("select event from events where 1 = 1");

    const refresh = await stack.refresh();
    expect(refresh.result.summary.resourceChanges).toMatchObject({ update: 1 });
    expect(await stack.exportState()).toContain("where 1 = 1");
  }, 300_000);

  it("destroy removes both views, dependent first; the state held no API key", async () => {
    const state = stack.rawState();
    expect(state).toContain("ciphertext");
    const at = state.indexOf(target.apiKey);
    expect(at < 0 ? "" : state.slice(Math.max(0, at - 400), at + 50)).toBe("");
    const ids = await live();
    const destroy = await stack.destroy();
    expect(destroy.result.summary.resourceChanges).toMatchObject({ delete: 3 });
    const deletes = destroy.requests.filter((r) => r.method === "DELETE").map((r) => r.path);
    expect(deletes[0]).toContain(ids.find((v) => v.name === n("e2e_child"))!.id);
    expect(await live()).toHaveLength(0);
  }, 300_000);

  it("destroy then up again gives one live view under the same name with a new id", async () => {
    stack.writeProgram(program("select event from events"));
    await stack.up();
    const before = (await live()).find((v) => v.name === n("e2e_base"))!.id;
    await stack.destroy();
    await stack.up();
    const now = (await live()).filter((v) => v.name === n("e2e_base"));
    expect(now).toHaveLength(1);
    expect(now[0]!.id).not.toBe(before);
    await stack.destroy();
  }, 300_000);

  itEmulatorOnly("a lost create response under the engine still produces exactly one view", async () => {
    target.emulator!.addFault({ method: "POST", path: "/warehouse_saved_queries/", fault: { kind: "commit-then-drop" } });
    stack.writeProgram(views(`new SavedQuery("lonely", { name: ${JSON.stringify(n("e2e_lost"))}, query: "select event from events" });`));
    const up = await stack.up();
    expect(up.result.summary.resourceChanges).toMatchObject({ create: 2 }); // the view and its default provider
    expect((await live()).filter((v) => v.name === n("e2e_lost"))).toHaveLength(1);
    expect((await stack.preview()).result.changeSummary).toEqual({ same: 2 });
    await stack.destroy();
  }, 300_000);

  it("materializing keeps the declared schedule; a schedule changed in the UI shows in refresh and up restores it", async () => {
    stack.writeProgram(views(`new SavedQuery("scheduled", { name: ${JSON.stringify(n("e2e_sched"))}, query: "select event from events", syncFrequency: "1hour" });`));
    await stack.up();
    stack.writeProgram(views(`new SavedQuery("scheduled", { name: ${JSON.stringify(n("e2e_sched"))}, query: "select event from events", syncFrequency: "1hour", materialized: true });`));
    await stack.up();
    const view = async () => (await live()).find((v) => v.name === n("e2e_sched"))!;
    expect(await view()).toMatchObject({ is_materialized: true, sync_frequency: "1hour" });
    expect((await stack.preview()).result.changeSummary).toEqual({ same: 2 });

    const ui = target.client();
    await ui.savedQueries.update((await view()).id, { sync_frequency: "7day" });
    await ui.close();
    expect((await stack.refresh()).result.summary.resourceChanges).toMatchObject({ update: 1 });
    expect((await stack.preview()).result.changeSummary).toMatchObject({ update: 1 });
    await stack.up();
    expect((await view()).sync_frequency).toBe("1hour");
    await stack.destroy();
  }, 300_000);

  it("adopting an existing view by id, then preview shows no change", async () => {
    const ui = target.client();
    const { view } = await ui.savedQueries.create({ name: n("made_in_ui"), query: { kind: "HogQLQuery", query: "select event from events" } });
    await ui.close();
    stack.writeProgram(views(`new SavedQuery("adopted", { name: ${JSON.stringify(n("made_in_ui"))}, query: "select event\\n  from events", adoptId: ${JSON.stringify(view.id)} });`));
    const up = await stack.up();
    expect(up.requests.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.path}`)).toEqual([]);
    expect((await stack.preview()).result.changeSummary).toEqual({ same: 2 });
    expect((await live()).filter((v) => v.name === n("made_in_ui")).map((v) => v.id)).toEqual([view.id]);
  }, 300_000);
});
