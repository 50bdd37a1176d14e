import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { PostHogClient } from "../provider/client";
import { startEmulator, type Emulator, type RecordedRequest } from "./emulator";
import { ForeignObjects } from "./harness/foreign";
import { recordTotals } from "./harness/reliability-totals";
import { EngineOpError, TestStack } from "./harness/stack";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ExternalDataSource, SavedQuery } = require("pulumi-posthog-warehouse") as typeof import("../provider");

/*
 * The identity rule under the real engine: forced replacement (`up --replace`, the engine path of
 * `pulumi up --replace <urn>`), replacement by each replacing property, a move to another host and a drift of the
 * configured host, an object of the same key made outside the stack, and a lost create response whose lookup fails.
 * After each cell a refresh must leave the state naming exactly the stack's live objects (in the host each was
 * recorded in), and nothing made outside the stack may have been written to, deleted or taken over.
 */
const WRITES = new Set(["POST", "PATCH", "DELETE"]);
// Each cell runs up to four engine operations; on a shared 2-core box one can take tens of seconds.
vi.setConfig({ testTimeout: 300_000 });

/** What the engine told the user (diagnostics), one string to match against. */
function told(err: unknown): string {
  expect(err).toBeInstanceOf(EngineOpError);
  return (err as EngineOpError<RecordedRequest>).events.map((e) => e.diagnosticEvent?.message ?? "").join("\n");
}
const failed = { kind: "status", status: 500, body: { type: "server_error", code: "error", detail: "injected 500", attr: null } } as const;

let a: Emulator;
let b: Emulator;
let clientA: PostHogClient;
let foreign: ForeignObjects;
const totals = { faultCells: 0, duplicates: 0, orphans: 0, foreignTouched: 0 };

beforeAll(async () => {
  a = await startEmulator({ syncDurationMs: 1 });
  b = await startEmulator({ syncDurationMs: 1 });
  clientA = new PostHogClient({ host: a.url, apiKey: a.apiKey, projectId: "1" });
  foreign = new ForeignObjects(a);
});
afterAll(async () => {
  recordTotals(totals);
  await clientA?.close();
  await a?.close();
  await b?.close();
});

const config = (host: string) => ({ "posthog:host": { value: host }, "posthog:apiKey": { value: a.apiKey, secret: true }, "posthog:projectId": { value: "1" } });

interface StateResource {
  type: string;
  /** Deleted by a delete-before-replace whose create then failed: the engine knows it is gone. */
  pendingReplacement?: boolean;
  urn: string;
  id?: string;
  outputs?: { target?: { host: string; projectId: string } };
}

async function stateOf(stack: TestStack<RecordedRequest>, type: string): Promise<StateResource[]> {
  const state = JSON.parse(await stack.exportState()) as { resources?: StateResource[] };
  return (state.resources ?? []).filter((r) => r.type.endsWith(`:${type}`) && !r.pendingReplacement);
}

/** After a refresh the state names exactly the stack's live objects, each in the host it records; nothing foreign touched. */
async function converges(stack: TestStack<RecordedRequest>, type: "SavedQuery" | "ExternalDataSource"): Promise<StateResource[]> {
  await stack.refresh();
  const inState = await stateOf(stack, type);
  const liveIn = (em: Emulator) => (type === "SavedQuery" ? em.state.views : em.state.sources).filter((o) => !o.deleted && !foreign.ids.includes(o.id)).map((o) => o.id);
  const remote = [...liveIn(a), ...liveIn(b)];
  const named = inState.map((r) => r.id!);
  totals.faultCells++;
  totals.duplicates += remote.filter((id) => !named.includes(id)).length;
  totals.orphans += named.filter((id) => !remote.includes(id)).length;
  const touched = [...new Set([...foreign.touched(), ...named.filter((id) => foreign.ids.includes(id))])];
  totals.foreignTouched += touched.length;
  expect(touched).toEqual([]);
  expect(named.sort()).toEqual(remote.sort());
  for (const r of inState) expect(liveIn(r.outputs?.target?.host === b.url ? b : a)).toContain(r.id);
  return inState;
}

describe("SavedQuery identity under the engine", () => {
  let stack: TestStack<RecordedRequest>;
  const desired: { query: string; host?: string; extra?: string; replaceOnQuery?: boolean } = { query: "select event from events" };
  const liveNamed = (em: Emulator, name: string) => em.state.views.filter((v) => !v.deleted && v.name === name).map((v) => v.id);

  beforeAll(async () => {
    stack = await TestStack.create({
      log: a,
      projectName: "identity-view",
      config: config(a.url),
      program: async () => {
        new SavedQuery("view", { name: "id_view", query: desired.query, host: desired.host }, desired.replaceOnQuery ? { replaceOnChanges: ["query"] } : undefined);
        if (desired.extra) new SavedQuery("extra", { name: desired.extra, query: "select event from events" });
      },
    });
    await stack.up();
  });
  afterAll(async () => stack?.dispose());

  it("up --replace: the old view is deleted first, then exactly one view of that name, the one the state names", async () => {
    const [before] = await stateOf(stack, "SavedQuery");
    const up = await stack.up({ replace: [before!.urn] });
    expect(up.result.summary.resourceChanges).toMatchObject({ replace: 1 });
    const writes = up.requests.filter((r) => WRITES.has(r.method)).map((r) => r.method);
    expect(writes.slice(0, 2)).toEqual(["DELETE", "POST"]);
    const [after] = await converges(stack, "SavedQuery");
    expect(liveNamed(a, "id_view")).toEqual([after!.id]);
    expect(after!.id).not.toBe(before!.id);
  });

  it("a move to another host (the host input) replaces: created there, deleted here; and back", async () => {
    desired.host = b.url;
    const there = await stack.up();
    expect(there.result.summary.resourceChanges).toMatchObject({ replace: 1 });
    let [view] = await converges(stack, "SavedQuery");
    expect(view!.outputs?.target).toEqual({ host: b.url, projectId: "1" });
    expect(liveNamed(a, "id_view")).toEqual([]);
    expect(liveNamed(b, "id_view")).toEqual([view!.id]);
    desired.host = undefined;
    await stack.up();
    [view] = await converges(stack, "SavedQuery");
    expect(liveNamed(b, "id_view")).toEqual([]);
    expect(liveNamed(a, "id_view")).toEqual([view!.id]);
  });

  it("the configured host drifting is refused by preview, naming the resource; refresh still reads where the view lives", async () => {
    await stack.stack.setConfig("posthog:host", { value: b.url });
    const seenByB = b.requests.length;
    try {
      const err = (await stack.preview().catch((e: unknown) => e)) as EngineOpError<RecordedRequest>;
      expect(err).toBeInstanceOf(EngineOpError);
      expect(told(err)).toMatch(/SavedQuery "id_view": its object lives in project 1 at http:\/\/127\.0\.0\.1:\d+ \(recorded in the state\).*Nothing was changed/);
      expect(err.requests.filter((r) => WRITES.has(r.method))).toEqual([]);
      expect(b.requests.slice(seenByB)).toEqual([]);
      await converges(stack, "SavedQuery");
    } finally {
      await stack.stack.setConfig("posthog:host", { value: a.url });
    }
  });

  it("replaceOnChanges on the query: one view of that name afterwards, the one the state names", async () => {
    desired.replaceOnQuery = true;
    desired.query = "select timestamp from events";
    await stack.up();
    const [view] = await converges(stack, "SavedQuery");
    expect(liveNamed(a, "id_view")).toEqual([view!.id]);
    expect(a.state.views.find((v) => v.id === view!.id)?.query.query).toBe("select timestamp from events");
  });

  it("a view of the same name made outside the stack: up fails naming it and the adoptId, 0 writes to it; destroy leaves it", async () => {
    const { view } = await clientA.savedQueries.create({ name: "id_theirs", query: { kind: "HogQLQuery", query: "select event from events" } });
    foreign.add(view.id);
    desired.extra = "id_theirs";
    const err = (await stack.up().catch((e: unknown) => e)) as EngineOpError<RecordedRequest>;
    expect(err).toBeInstanceOf(EngineOpError);
    expect(told(err)).toMatch(new RegExp(`a view named "id_theirs" already exists .*\\(id ${view.id}\\).*Nothing was written.*adoptId: "${view.id}"`));
    await converges(stack, "SavedQuery");
    const destroy = await stack.destroy();
    expect(destroy.requests.filter((r) => r.path.includes(view.id))).toEqual([]);
    expect(liveNamed(a, "id_theirs")).toEqual([view.id]);
    expect(foreign.touched()).toEqual([]);
  });
});

describe("ExternalDataSource identity under the engine", () => {
  let stack: TestStack<RecordedRequest>;
  const hubspot = { sourceType: "Hubspot", jobInputs: { hubspot_integration_id: 7 } };
  const zendesk = { sourceType: "Zendesk", jobInputs: { subdomain: "acme", api_key: "zd_key", email_address: "a@b.co" } };
  const desired: { main: { sourceType: string; jobInputs: Record<string, unknown> }; prefix: string; extra?: { prefix: string; adoptId?: string } } = { main: hubspot, prefix: "ide_" };
  const liveWithPrefix = (prefix: string) => a.state.sources.filter((s) => !s.deleted && s.prefix === prefix).map((s) => s.id);

  beforeAll(async () => {
    stack = await TestStack.create({
      log: a,
      projectName: "identity-source",
      config: config(a.url),
      program: async () => {
        new ExternalDataSource("src", { ...desired.main, prefix: desired.prefix });
        if (desired.extra) new ExternalDataSource("extra", { ...hubspot, prefix: desired.extra.prefix, adoptId: desired.extra.adoptId });
      },
    });
    await stack.up();
  });
  afterAll(async () => stack?.dispose());

  it("up --replace: deleted first, then exactly one source with that type and prefix, the one the state names", async () => {
    const [before] = await stateOf(stack, "ExternalDataSource");
    const up = await stack.up({ replace: [before!.urn] });
    expect(up.result.summary.resourceChanges).toMatchObject({ replace: 1 });
    const [after] = await converges(stack, "ExternalDataSource");
    expect(liveWithPrefix("ide_")).toEqual([after!.id]);
    expect(after!.id).not.toBe(before!.id);
  });

  it("replacement by prefix, then by sourceType: one live source each time, the old one deleted", async () => {
    desired.prefix = "ide2_";
    await stack.up();
    let [src] = await converges(stack, "ExternalDataSource");
    expect(liveWithPrefix("ide_")).toEqual([]);
    expect(liveWithPrefix("ide2_")).toEqual([src!.id]);
    desired.main = zendesk;
    await stack.up();
    [src] = await converges(stack, "ExternalDataSource");
    expect(a.state.sources.filter((s) => !s.deleted && s.prefix === "ide2_").map((s) => [s.id, s.source_type])).toEqual([[src!.id, "Zendesk"]]);
  });

  it("a lost create response whose lookup fails: the next up names the source and its adoptId; adopting it converges", async () => {
    const lookupsFail = async () => a.addFault({ method: "GET", path: /\/external_data_sources\/$/, fault: failed, times: 20 });
    a.addFault({ method: "POST", path: /\/external_data_sources\/$/, fault: { kind: "interleave", run: lookupsFail, then: "commit-then-drop" } });
    desired.extra = { prefix: "idl_" };
    const first = (await stack.up().catch((e: unknown) => e)) as EngineOpError<RecordedRequest>;
    expect(first).toBeInstanceOf(EngineOpError);
    expect(told(first)).toMatch(/looking for a Hubspot source with prefix "idl_" to see whether PostHog made it failed too/);
    a.clearFaults();
    const [made] = liveWithPrefix("idl_");
    const second = (await stack.up().catch((e: unknown) => e)) as EngineOpError<RecordedRequest>;
    expect(second).toBeInstanceOf(EngineOpError);
    expect(told(second)).toMatch(new RegExp(`\\(id ${made}\\).*adoptId: "${made}"`));
    expect(second.requests.filter((r) => WRITES.has(r.method))).toEqual([]);
    desired.extra = { prefix: "idl_", adoptId: made };
    const third = await stack.up();
    expect(third.requests.filter((r) => WRITES.has(r.method))).toEqual([]);
    await converges(stack, "ExternalDataSource");
    expect(liveWithPrefix("idl_")).toEqual([made]);
  });

  it("a source with the same type and prefix made outside the stack: up fails naming it, 0 writes to it; destroy leaves it", async () => {
    const { id } = await clientA.externalDataSources.create({ source_type: "Hubspot", prefix: "idf_", payload: { hubspot_integration_id: 7 } });
    foreign.add(id);
    desired.extra = { prefix: "idf_" };
    const err = (await stack.up().catch((e: unknown) => e)) as EngineOpError<RecordedRequest>;
    expect(err).toBeInstanceOf(EngineOpError);
    expect(told(err)).toMatch(new RegExp(`a Hubspot source with prefix "idf_" already exists .*\\(id ${id}\\).*adoptId: "${id}"`));
    await converges(stack, "ExternalDataSource");
    const destroy = await stack.destroy();
    expect(destroy.requests.filter((r) => r.path.includes(id))).toEqual([]);
    expect(liveWithPrefix("idf_")).toEqual([id]);
    expect(foreign.touched()).toEqual([]);
    expect(a.state.sources.filter((s) => !s.deleted).map((s) => s.id)).toEqual([id]);
  });
});
