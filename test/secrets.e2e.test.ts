import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator, type RecordedRequest } from "./emulator";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { canaryHits } from "./harness/reliability-totals";
import { EngineOpError, TestStack } from "./harness/stack";


/*
 * Secret canaries: unique values in every secret input and in the API key, passed through create, update,
 * preview, refresh and a failing call whose error body echoes a secret; then every artefact is searched.
 */
const API_KEY = "phx_canary_apikey_5d1e";
const PASSWORD_1 = "canary-pw-one-8c2a";
const PASSWORD_2 = "canary-pw-two-93fb";
const SSH_KEY = "canary-ssh-private-key-77aa";
const CANARIES = [API_KEY, PASSWORD_1, PASSWORD_2, SSH_KEY];

let emulator: Emulator;
let stack: TestStack<RecordedRequest>;
const seen: string[] = [];

// The program as a user writes it, run by the `pulumi` CLI through the Node.js language host. Secrets are passed as
// plain strings on purpose: the resource must make them secrets itself.
const pg = (password: string) => `import { ExternalDataSource } from "pulumi-posthog-warehouse";

new ExternalDataSource("db", {
  sourceType: "Postgres",
  prefix: "canary_",
  jobInputs: ${JSON.stringify({ host: "db", port: 5432, database: "d", user: "u", password, schema: "public", ssh_tunnel: { enabled: true, host: "bastion", port: 22, auth: { selection: "keypair", username: "u", private_key: SSH_KEY } } })},
});
`;

beforeAll(async () => {
  emulator = await startEmulator({ apiKey: API_KEY });
  stack = await TestStack.create({
    project: { files: { "index.ts": pg(PASSWORD_1) } },
    log: emulator,
    projectName: "secrets-e2e",
    config: { "posthog:host": { value: emulator.url }, "posthog:apiKey": { value: API_KEY, secret: true }, "posthog:projectId": { value: "1" } },
  });
});
afterAll(async () => {
  await stack?.dispose();
  await emulator?.close();
});

// The engine's event log is searched too, all but one kind of event: the Node SDK's own debug-level diagnostics
// ("RegisterResource RPC finished: ... resp: ...") print registered outputs with secrets in plaintext. That is
// Pulumi 3.259's behaviour, not this provider's; the CLI shows them only with --debug / -v.
// The event type says severity is never "debug", but the stream does carry such events.
const notSdkDebug = (e: EngineEvent) => (e.diagnosticEvent?.severity as string | undefined) !== "debug";
const events: EngineEvent[] = [];
const keep = (op: { stdout: string; events: EngineEvent[] }) => {
  seen.push(op.stdout);
  events.push(...op.events.filter(notSdkDebug));
};

describe("secret canaries", () => {
  it("never appear in the state file, command output, errors or the request log", async () => {
    keep(await stack.up());
    stack.writeProgram(pg(PASSWORD_2));
    const preview = await stack.preview();
    keep(preview);
    expect(preview.result.changeSummary).toMatchObject({ update: 1 });
    keep(await stack.up());
    keep(await stack.refresh());

    // PostHog echoing a secret back in an error body must not leak it either.
    emulator.addFault({ method: "PATCH", path: "/external_data_sources/", fault: { kind: "status", status: 400, body: { message: `Invalid source config: {"password": "${PASSWORD_2}"}` } } });
    stack.writeProgram(pg(PASSWORD_1));
    const err = (await stack.up().catch((e: unknown) => e)) as EngineOpError<RecordedRequest>;
    expect(err).toBeInstanceOf(EngineOpError);
    expect(err.message).toMatch(/400: Invalid source config/);
    seen.push(err.message, err.stdout);
    events.push(...err.events.filter(notSdkDebug));

    const state = stack.rawState();
    const log = JSON.stringify(emulator.requests.map(({ body, path, query }) => ({ body, path, query })));
    const artefacts: Record<string, string> = { state, requestLog: log, events: JSON.stringify(events), ...Object.fromEntries(seen.map((text, i) => [`output${i}`, text])) };
    expect(events.length).toBeGreaterThan(0);
    expect(canaryHits(CANARIES, artefacts)).toEqual([]);
    expect(state).toContain("ciphertext");
  }, 300_000);
});
