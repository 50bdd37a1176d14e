import * as pulumi from "@pulumi/pulumi";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planMarkdown } from "../cli/report/markdown";
import { planReport } from "../cli/report/plan-report";
import { startEmulator, type Emulator, type RecordedRequest } from "./emulator";
import { canaryHits } from "./harness/reliability-totals";
import { EngineOpError, TestStack } from "./harness/stack";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ExternalDataSource } = require("pulumi-posthog-warehouse") as typeof import("../provider");

/*
 * Secret canaries: unique values in every kind of secret input — plain strings typed into the program (the case
 * Pulumi's own logs used to print), config secrets, a source type PostHog's catalogue here does not cover (MongoDB,
 * TemporalIO), a source type given as an Output — and in the API key; passed through create, update, preview,
 * refresh, runs with --debug and with -v=9 --logtostderr, and failing calls whose error bodies echo a secret in every
 * formatting; then every artefact is searched: the state file, stdout, stderr, the event log, the plan report and
 * the error texts.
 */
const API_KEY = "phx_canary_apikey_5d1e";
const CONFIG_PASSWORD = "canary-config-pw-3b9d";
const PG_PASSWORD_1 = "canary-pw-one-8c2a";
const PG_PASSWORD_2 = "canary-pw-two-93fb";
const SSH_KEY = "canary-ssh-private-key-77aa";
const STRIPE_KEY = "sk_live_canary_stripe_41d0";
const MONGO_PASSWORD = "canary-mongo-pw-6e1f";
const TEMPORAL = { encryption_key: "canary-temporal-key-0c3e", client_certificate: "canary-temporal-cert-a9b1", server_client_root_ca: "canary-temporal-ca-5f2b" };
const OUTPUT_TYPE_PASSWORD = "canary-output-type-pw-d4c8";
const PLAIN = [PG_PASSWORD_1, PG_PASSWORD_2, SSH_KEY, STRIPE_KEY, MONGO_PASSWORD, ...Object.values(TEMPORAL), OUTPUT_TYPE_PASSWORD];
const FROM_CONFIG = [API_KEY, CONFIG_PASSWORD];
const CANARIES = [...PLAIN, ...FROM_CONFIG];

let emulator: Emulator;
let stack: TestStack<RecordedRequest>;

const postgres = (password: pulumi.Input<string>) => ({ host: "db", port: 5432, database: "d", user: "u", password, schema: "public" });

const program = (pgPassword: string) => async () => {
  const config = new pulumi.Config();
  // Every secret below is a plain string on purpose, except the one from config: the resources must make them secrets.
  new ExternalDataSource("db", {
    sourceType: "Postgres",
    prefix: "canary_",
    jobInputs: { ...postgres(pgPassword), ssh_tunnel: { enabled: true, host: "bastion", port: 22, auth: { selection: "keypair", username: "u", private_key: SSH_KEY } } },
  });
  new ExternalDataSource("stripe", { sourceType: "Stripe", prefix: "canary_", jobInputs: { stripe_account_id: "acct_1", auth_method: { selection: "api_key", stripe_secret_key: STRIPE_KEY } } });
  new ExternalDataSource("mongo", { sourceType: "MongoDB", prefix: "canary_", jobInputs: { connection_string: `mongodb://reader:${MONGO_PASSWORD}@mongo.internal:27017/app` } });
  new ExternalDataSource("temporal", { sourceType: "TemporalIO", prefix: "canary_", jobInputs: { host: "temporal.internal", port: 7233, namespace: "prod", ...TEMPORAL } });
  new ExternalDataSource("typed-later", { sourceType: pulumi.output("Postgres"), prefix: "later_", jobInputs: postgres(OUTPUT_TYPE_PASSWORD) });
  new ExternalDataSource("from-config", { sourceType: "Postgres", prefix: "cfg_", jobInputs: postgres(config.requireSecret("dbPassword")) });
};

beforeAll(async () => {
  emulator = await startEmulator({ apiKey: API_KEY });
  stack = await TestStack.create({
    program: program(PG_PASSWORD_1),
    log: emulator,
    projectName: "secrets-e2e",
    config: {
      "posthog:host": { value: emulator.url },
      "posthog:apiKey": { value: API_KEY, secret: true },
      "posthog:projectId": { value: "1" },
      "secrets-e2e:dbPassword": { value: CONFIG_PASSWORD, secret: true },
    },
  });
});
afterAll(async () => {
  await stack?.dispose();
  await emulator?.close();
});

interface Captured {
  stdout: string;
  stderr: string;
  events: EngineEvent[];
}

/** `pulumi up` through the Automation API with the logging flags given, everything it printed or emitted kept. */
async function up(flags: { debug?: boolean; logVerbosity?: number; logToStdErr?: boolean }): Promise<Captured> {
  const captured: Captured = { stdout: "", stderr: "", events: [] };
  const result = await stack.stack.up({ ...flags, onOutput: (s) => (captured.stdout += s), onError: (s) => (captured.stderr += s), onEvent: (e) => captured.events.push(e) });
  captured.stderr ||= result.stderr;
  return captured;
}

/** Pulumi's engine at -v=9 traces every property it (un)marshals over gRPC, value included: its own lines only. */
const ENGINE_RPC_TRACE = /"msg":"(?:Unm|M)arshaling property for RPC\[/;

describe("secret canaries", () => {
  it("never appear in the state, stdout/stderr of up --debug and -v=9, the event log, the plan report or errors", async () => {
    const artefacts: Record<string, string> = {};
    const keep = (name: string, c: Captured) => Object.assign(artefacts, { [`${name}.stdout`]: c.stdout, [`${name}.stderr`]: c.stderr, [`${name}.events`]: JSON.stringify(c.events) });

    const debug = await up({ debug: true });
    keep("up --debug", debug);
    // The SDK's debug diagnostics (which once printed plain-string secrets) are in the event log and on stdout.
    expect(debug.events.some((e) => (e.diagnosticEvent?.severity as string | undefined) === "debug" && /RegisterResource RPC finished/.test(e.diagnosticEvent?.message ?? ""))).toBe(true);
    expect(emulator.state.sources.filter((s) => !s.deleted)).toHaveLength(6);

    stack.setProgram(program(PG_PASSWORD_2));
    const preview = await stack.preview();
    expect(preview.result.changeSummary).toMatchObject({ update: 1 });
    const report = planReport(stack.stack.name, preview.events);
    Object.assign(artefacts, { "preview.stdout": preview.stdout, "preview.events": JSON.stringify(preview.events), "plan.md": planMarkdown(report), "plan.json": JSON.stringify(report) });
    expect(planMarkdown(report)).toMatch(/jobInputs\.password` \| changed \| \[secret\] \| \[secret\]/);

    const verbose = await up({ logVerbosity: 9, logToStdErr: true });
    const { stderr: verboseStderr, ...rest } = verbose;
    keep("up -v=9", { ...rest, stderr: "" });
    expect(verboseStderr.length).toBeGreaterThan(10_000);
    // The one exception, Pulumi's own: at -v=9 the engine traces every property value it sends or receives over gRPC,
    // secret or not and wherever the secret came from (config secrets and the API key alike). No other line of the
    // verbose log carries any canary.
    const verboseHits = verboseStderr.split("\n").filter((line) => CANARIES.some((c) => line.includes(c)));
    expect(verboseHits.filter((line) => !ENGINE_RPC_TRACE.test(line))).toEqual([]);
    expect(verboseHits.some((line) => line.includes(CONFIG_PASSWORD))).toBe(true);
    artefacts["up -v=9.stderr, engine RPC traces removed"] = verboseStderr.split("\n").filter((line) => !ENGINE_RPC_TRACE.test(line)).join("\n");

    const refresh = await stack.refresh();
    Object.assign(artefacts, { "refresh.stdout": refresh.stdout, "refresh.events": JSON.stringify(refresh.events) });

    // PostHog echoing a sent secret back, in Python-repr form, inside a URL, or in a malformed body.
    const echoes = [
      { kind: "status", status: 400, body: { message: `Invalid source config: {'password': '${PG_PASSWORD_1}', 'host': 'db'}` } },
      { kind: "status", status: 400, body: { type: "validation_error", code: "invalid_input", detail: `could not connect to postgres://u:${PG_PASSWORD_1}@db:5432/d`, attr: null } },
      { kind: "status", status: 200, text: `{"id": "x", "job_inputs": {"pw": "${PG_PASSWORD_1}", "trunc` },
    ] as const;
    stack.setProgram(program(PG_PASSWORD_1));
    for (const [i, fault] of echoes.entries()) {
      emulator.addFault({ method: "PATCH", path: "/external_data_sources/", fault });
      const err = (await stack.up().catch((e: unknown) => e)) as EngineOpError<RecordedRequest>;
      expect(err).toBeInstanceOf(EngineOpError);
      expect(err.message).toMatch(/ExternalDataSource Postgres \(prefix "canary_"\): update failed: PATCH \S+ → (400|200)/);
      Object.assign(artefacts, { [`echo${i}.error`]: err.message, [`echo${i}.stdout`]: err.stdout, [`echo${i}.events`]: JSON.stringify(err.events) });
    }
    expect(artefacts["echo0.error"]).toContain("'password': '[secret]'");
    expect(artefacts["echo1.error"]).toContain("postgres://[secret]@db:5432/d");
    expect(artefacts["echo2.error"]).toMatch(/unexpected response body/);

    artefacts.state = stack.rawState();
    // What reached PostHog is PostHog's; the request line (path, query) must carry nothing.
    artefacts.requestLines = JSON.stringify(emulator.requests.map(({ method, path, query }) => ({ method, path, query })));
    expect(canaryHits(CANARIES, artefacts)).toEqual([]);
    expect(artefacts.state).toContain("ciphertext");
    // Sanity: the canaries did travel where they must, so the searches above could have found them.
    expect(JSON.stringify(emulator.state.sources.map((s) => s.job_inputs))).toContain(MONGO_PASSWORD);
    expect(verboseStderr).toContain(PG_PASSWORD_2);
  }, 600_000);
});

describe("rotation with `pulumi config set --secret` + `up`", () => {
  const OLD_KEY = "phx_rotation_old_key_1a2b3c";
  const NEW_KEY = "phx_rotation_new_key_4d5e6f";
  let rot: TestStack<RecordedRequest>;
  let em: Emulator;
  beforeAll(async () => {
    em = await startEmulator({ apiKey: OLD_KEY });
    rot = await TestStack.create({
      program: async () => {
        const config = new pulumi.Config();
        new ExternalDataSource("db", { sourceType: "Postgres", prefix: "rot_", jobInputs: postgres(config.requireSecret("dbPassword")) });
      },
      log: em,
      projectName: "rotation-e2e",
      config: { "posthog:host": { value: em.url }, "posthog:apiKey": { value: OLD_KEY, secret: true }, "posthog:projectId": { value: "1" }, "rotation-e2e:dbPassword": { value: "rot-old-pw-11aa", secret: true } },
    });
    await rot.up();
  });
  afterAll(async () => {
    await rot?.dispose();
    await em?.close();
  });

  it("a new API key: no call at all (the key is not in the state); every later call uses the new one", async () => {
    em.addApiKey(NEW_KEY, ["*"]);
    em.revokeApiKey(OLD_KEY);
    await rot.stack.setConfig("posthog:apiKey", { value: NEW_KEY, secret: true });
    const unchanged = await rot.up();
    expect(unchanged.result.summary.resourceChanges).toEqual({ same: 2 });
    expect(unchanged.requests).toEqual([]);
    const refreshed = await rot.refresh();
    expect(refreshed.requests.length).toBeGreaterThan(0);
    expect(refreshed.requests.every((r) => r.status === 200)).toBe(true);
  });

  it("a new source password: sent once, alone, and nothing else is written", async () => {
    await rot.stack.setConfig("rotation-e2e:dbPassword", { value: "rot-new-pw-22bb", secret: true });
    const rotated = await rot.up();
    const writes = rotated.requests.filter((r) => r.method !== "GET");
    expect(writes.map((r) => ({ method: r.method, status: r.status, body: r.body }))).toEqual([{ method: "PATCH", status: 200, body: { job_inputs: { password: "***" } } }]);
    expect(em.state.sources.find((s) => !s.deleted)?.job_inputs.password).toBe("rot-new-pw-22bb");
    const again = await rot.preview();
    expect(again.result.changeSummary).toEqual({ same: 2 });
    expect(again.requests).toEqual([]);
    expect(canaryHits(["rot-old-pw-11aa", "rot-new-pw-22bb", OLD_KEY, NEW_KEY], { state: rot.rawState(), stdout: rotated.stdout, events: JSON.stringify(rotated.events) })).toEqual([]);
  });
});
