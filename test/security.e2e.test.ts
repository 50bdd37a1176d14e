import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator, type RecordedRequest } from "./emulator";
import { canaryHits } from "./harness/reliability-totals";
import { EngineOpError, TestStack } from "./harness/stack";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ExternalDataSource, SavedQuery } = require("pulumi-posthog-warehouse") as typeof import("../provider");

const SCOPED_KEY = "phx_scoped_no_view_write_7f3e2d";

let emulator: Emulator;
let stack: TestStack<RecordedRequest>;

const view = () => async () => void new SavedQuery("daily_signups", { name: "daily_signups", query: "select 1 as one" });

beforeAll(async () => {
  emulator = await startEmulator({ apiKeys: { [SCOPED_KEY]: ["warehouse_view:read", "external_data_source:write"] } });
  stack = await TestStack.create({
    program: view(),
    log: emulator,
    projectName: "security-e2e",
    config: { "posthog:host": { value: "http://10.1.2.3:8000" }, "posthog:apiKey": { value: emulator.apiKey, secret: true }, "posthog:projectId": { value: "1" } },
  });
});
afterAll(async () => {
  await stack?.dispose();
  await emulator?.close();
});

const failure = async (op: Promise<unknown>) => {
  const err = (await op.catch((e: unknown) => e)) as EngineOpError<RecordedRequest>;
  expect(err).toBeInstanceOf(EngineOpError);
  return err;
};

describe("security under the real engine", () => {
  it("posthog:host http://10.1.2.3:8000 without the opt-in: preview fails at check, naming the rule; 127.0.0.1 works", async () => {
    const refused = await failure(stack.preview());
    expect(refused.message).toMatch(/posthog:host http:\/\/10\.1\.2\.3:8000 is refused: plain http:\/\/ is allowed only for loopback hosts/);
    expect(refused.message).toMatch(/posthog:allowInsecureHttp true/);
    expect(refused.message).not.toMatch(/ECONN|ETIMEDOUT|EHOSTUNREACH|connect/);

    // The opt-in lifts the rule (a preview of a create makes no request, so nothing is sent anywhere).
    await stack.stack.setConfig("posthog:allowInsecureHttp", { value: "true" });
    expect((await stack.preview()).result.changeSummary).toMatchObject({ create: 2 });
    await stack.stack.removeConfig("posthog:allowInsecureHttp");

    await stack.stack.setConfig("posthog:host", { value: emulator.url });
    const up = await stack.up();
    expect(up.result.summary.resourceChanges).toMatchObject({ create: 2 });
  }, 300_000);

  it("a resource's own host override http://10.1.2.3:8000 fails at check on `host`, before any request", async () => {
    stack.setProgram(async () => void new SavedQuery("elsewhere", { name: "elsewhere", query: "select 1", host: "http://10.1.2.3:8000" }));
    const refused = await failure(stack.preview());
    expect(refused.message).toMatch(/property host value \{http:\/\/10\.1\.2\.3:8000\} has a problem: host http:\/\/10\.1\.2\.3:8000 is refused: plain http:\/\/ is allowed only for loopback/);
    expect(refused.requests).toEqual([]);
  }, 300_000);

  it("a key missing warehouse_view:write: up of a view fails naming the scope, the view and the fix, never the key", async () => {
    await stack.stack.setConfig("posthog:apiKey", { value: SCOPED_KEY, secret: true });
    stack.setProgram(async () => void new SavedQuery("daily_signups", { name: "daily_signups", query: "select 2 as two" }));
    const refused = await failure(stack.up());
    const text = refused.message + refused.stdout;
    expect(text).toMatch(/SavedQuery "daily_signups": update failed: PATCH \S+ → 403 authentication_error: API key missing required scope 'warehouse_view:write'\. Fix: the personal API key \(phx_sco…\) lacks the scope warehouse_view:write: create a personal API key with scopes warehouse_view:write, external_data_source:write/);
    expect(refused.requests.map((r) => `${r.method} ${r.status}`)).toEqual(["PATCH 403"]);
    expect(canaryHits([SCOPED_KEY.slice(7), emulator.apiKey], { error: refused.message, stdout: refused.stdout, events: JSON.stringify(refused.events), state: stack.rawState() })).toEqual([]);
    await stack.stack.setConfig("posthog:apiKey", { value: emulator.apiKey, secret: true });
  }, 300_000);

  it("a check failure inside jobInputs names the path, and the engine does not print the value with its secrets", async () => {
    const PASSWORD = "canary-check-failure-pw-62d0";
    stack.setProgram(async () => void new ExternalDataSource("db", { sourceType: "Postgres", prefix: "chk_", jobInputs: { host: "db", port: "not-a-port", database: "d", user: "u", password: PASSWORD, schema: "public" } }));
    const refused = await failure(stack.preview());
    expect(refused.message + refused.stdout).toMatch(/jobInputs\.port/);
    expect(refused.requests).toEqual([]);
    expect(canaryHits([PASSWORD], { error: refused.message, stdout: refused.stdout, events: JSON.stringify(refused.events) })).toEqual([]);
  }, 300_000);
});
