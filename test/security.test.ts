import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { driftSpec } from "../cli/drift";
import { importSpec } from "../cli/import";
import { main } from "../cli/main";
import { applyConnectionFlags, helpText } from "../cli/options";
import { planSpec } from "../cli/plan";
import { AuthenticationError, PermissionDeniedError, PostHogClient, ResponseParseError } from "../provider/client";
import { SecretScrubber } from "../provider/client/redact";
import { ConfigurationError, connectionHostProblem, isLoopbackHost, resolveConnection } from "../provider/config";
import { toDynamicProvider, type LifecycleServices } from "../provider/resource/lifecycle";
import { externalDataSourceDefinition, secretJobInputs } from "../provider/resources/external-data-source";
import { savedQueryDefinition } from "../provider/resources/saved-query";
import { startEmulator, type Emulator } from "./emulator";
import { emulatorServices } from "./harness/lifecycle-services";

const config = (values: Record<string, string>) => ({ get: (key: string) => values[key] });
const KEY = "phx_security_key_0123456789";

describe("the http rule", () => {
  const env = { POSTHOG_PERSONAL_API_KEY: KEY, POSTHOG_PROJECT_ID: "1" };

  it("refuses plain http to a host that is not loopback, naming the rule and the opt-in, before any request", () => {
    const refused = () => resolveConnection(config({ "posthog:host": "http://10.1.2.3:8000" }), env);
    expect(refused).toThrow(ConfigurationError);
    expect(refused).toThrow(/posthog:host http:\/\/10\.1\.2\.3:8000 is refused: plain http:\/\/ is allowed only for loopback hosts .*posthog:allowInsecureHttp true/);
    expect(() => resolveConnection(undefined, { ...env, POSTHOG_HOST: "http://posthog.internal" })).toThrow(/POSTHOG_HOST http:\/\/posthog\.internal is refused/);
    expect(() => resolveConnection(undefined, env, { host: "http://eu.posthog.com" })).toThrow(/host http:\/\/eu\.posthog\.com is refused/);
  });

  it("lets loopback hosts, https and the explicit opt-in through", () => {
    for (const host of ["http://127.0.0.1:8010", "http://127.9.8.7", "http://localhost:8000", "http://[::1]:8000", "http://0x7f.1", "https://10.1.2.3"]) {
      expect(resolveConnection(config({ "posthog:host": host }), env).host).toBe(host);
    }
    expect(resolveConnection(config({ "posthog:host": "http://10.1.2.3:8000", "posthog:allowInsecureHttp": "true" }), env).host).toBe("http://10.1.2.3:8000");
    expect(resolveConnection(config({ "posthog:host": "http://10.1.2.3:8000" }), { ...env, POSTHOG_ALLOW_INSECURE_HTTP: "true" }).host).toBe("http://10.1.2.3:8000");
    expect(() => resolveConnection(config({ "posthog:host": "http://10.1.2.3", "posthog:allowInsecureHttp": "perhaps" }), env)).toThrow(/allowInsecureHttp must be true or false/);
  });

  it("knows loopback by the parsed host, not by a prefix of the name", () => {
    const loopback = (url: string) => isLoopbackHost(new URL(url).hostname);
    expect(["http://127.0.0.1", "http://localhost", "http://api.localhost", "http://[::1]", "http://[0:0:0:0:0:0:0:1]", "http://[::ffff:127.0.0.1]", "http://2130706433"].map(loopback)).toEqual(Array(7).fill(true));
    expect(["http://127.0.0.1.nip.io", "http://localhost.example.com", "http://10.0.0.1", "http://[::2]", "http://[::ffff:10.0.0.1]", "http://128.0.0.1"].map(loopback)).toEqual(Array(6).fill(false));
  });

  it("is applied at check: a resource host override fails on `host`, the stack's host fails the check with the rule", async () => {
    const services = (values: Record<string, string>): LifecycleServices => ({
      context: () => {
        throw new Error("no request may be made");
      },
      warn: () => undefined,
      connectionProblem: (overrides) => connectionHostProblem(config(values), {}, overrides),
    });
    const view = { name: "v", query: "select 1" };
    const ok = toDynamicProvider(savedQueryDefinition, services({ "posthog:host": "http://127.0.0.1:1" }));
    expect((await ok.check!({}, view)).failures).toBeUndefined();
    const override = await ok.check!({}, { ...view, host: "http://10.1.2.3:8000" });
    expect(override.failures).toEqual([{ property: "host", reason: expect.stringMatching(/^host http:\/\/10\.1\.2\.3:8000 is refused: plain http:\/\/ is allowed only for loopback/) }]);
    const stackWide = toDynamicProvider(savedQueryDefinition, services({ "posthog:host": "http://10.1.2.3:8000" }));
    await expect(stackWide.check!({}, view)).rejects.toThrow(/SavedQuery "v": posthog:host http:\/\/10\.1\.2\.3:8000 is refused/);
    const optedIn = toDynamicProvider(savedQueryDefinition, services({ "posthog:host": "http://10.1.2.3:8000", "posthog:allowInsecureHttp": "true" }));
    expect((await optedIn.check!({}, view)).failures).toBeUndefined();
  });

  it("is applied by the posthog-warehouse commands", async () => {
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => (written.push(String(chunk)), true)) as typeof process.stderr.write;
    const saved = { ...process.env };
    try {
      Object.assign(process.env, { POSTHOG_PERSONAL_API_KEY: KEY });
      delete process.env.POSTHOG_ALLOW_INSECURE_HTTP;
      expect(await main(["import", "--host", "http://10.1.2.3:8000", "--project", "1", "--out", "/nonexistent-dir-never-written"])).toBe(1);
    } finally {
      process.stderr.write = write;
      process.env = saved;
    }
    expect(written.join("")).toMatch(/host http:\/\/10\.1\.2\.3:8000 is refused: plain http:\/\/ is allowed only for loopback hosts/);
    expect(written.join("")).not.toContain(KEY);
  });

  it("the commands' --allow-insecure-http is the same opt-in, passed on to the provider process through the environment", () => {
    const saved = process.env.POSTHOG_ALLOW_INSECURE_HTTP;
    try {
      delete process.env.POSTHOG_ALLOW_INSECURE_HTTP;
      applyConnectionFlags({ "allow-insecure-http": false });
      expect(process.env.POSTHOG_ALLOW_INSECURE_HTTP).toBeUndefined();
      applyConnectionFlags({ "allow-insecure-http": true });
      expect(resolveConnection(config({ "posthog:host": "http://10.1.2.3:8000" }), { ...env, ...process.env }).host).toBe("http://10.1.2.3:8000");
    } finally {
      if (saved === undefined) delete process.env.POSTHOG_ALLOW_INSECURE_HTTP;
      else process.env.POSTHOG_ALLOW_INSECURE_HTTP = saved;
    }
    for (const text of [helpText(planSpec), helpText(driftSpec), helpText(importSpec)]) expect(text).toMatch(/--allow-insecure-http\s+allow a plain http:\/\/ PostHog host that is not loopback/);
  });
});

describe("error texts never carry a secret the client holds or sent", () => {
  let emulator: Emulator;
  let client: PostHogClient;
  const PASSWORD = "pw-'canary\"-\\4a1f";
  const URL_PASSWORD = "urlcanary-77c1";
  beforeAll(async () => {
    emulator = await startEmulator({ apiKey: KEY });
    client = new PostHogClient({ host: emulator.url, apiKey: KEY, projectId: emulator.projectId, retryBaseMs: 1, maxRetries: 1 });
  });
  afterAll(async () => {
    await client.close();
    await emulator.close();
  });
  beforeEach(() => emulator.clearFaults());

  const provider = () => toDynamicProvider(externalDataSourceDefinition, emulatorServices(client, emulator.url));
  const postgres = (password: string) => ({ sourceType: "Postgres", prefix: "sec_", jobInputs: { host: "db", port: 5432, database: "d", user: "u", password, schema: "public" } });
  const failure = async (fault: { status: number; body: unknown }) => {
    emulator.addFault({ method: "POST", path: "/external_data_sources/", fault: { kind: "status", ...fault } });
    return String(((await provider().create!(postgres(PASSWORD)).catch((e: unknown) => e)) as Error).message);
  };

  it("a Python-repr echo, under any key name", async () => {
    const text = await failure({ status: 400, body: { message: `Invalid config: {'password': ${pyRepr(PASSWORD)}, 'conn': ${pyRepr(PASSWORD)}}` } });
    expect(text).toMatch(/ExternalDataSource Postgres \(prefix "sec_"\): create failed: POST .* 400: Invalid config: \{'password': '\[secret\]', 'conn': '\[secret\]'\}/);
    expect(text).not.toContain("canary");
  });

  it("a JSON echo with the value escaped, and credentials inside a URL", async () => {
    const text = await failure({ status: 400, body: { detail: `bad ${JSON.stringify({ secret_field: PASSWORD })} for postgres://u:${URL_PASSWORD}@db:5432/d`, type: "validation_error" } });
    expect(text).toContain("postgres://[secret]@db:5432/d");
    expect(text).not.toContain("canary");
  });

  it("a malformed body, an HTML error page and a 5xx retried before giving up", async () => {
    emulator.addFault({ method: "GET", path: "/external_data_sources/x1/", fault: { kind: "status", status: 200, text: `{"id": "x1", "password": ${JSON.stringify(PASSWORD)}, "trunc` } });
    client.secrets.add(PASSWORD);
    const parse = await client.externalDataSources.retrieve("x1").catch((e: unknown) => e);
    expect(parse).toBeInstanceOf(ResponseParseError);
    expect((parse as ResponseParseError).message + (parse as ResponseParseError).excerpt).not.toContain("canary");
    // A secret straddling the excerpt's cut: scrubbed whole first, so no prefix of it survives the cut.
    const straddling = `{"pad": "${"a".repeat(186)}${PASSWORD}`;
    expect(straddling.indexOf(PASSWORD)).toBe(195);
    emulator.addFault({ method: "GET", path: "/external_data_sources/x3/", fault: { kind: "status", status: 200, text: straddling } });
    const cut = (await client.externalDataSources.retrieve("x3").catch((e: unknown) => e)) as ResponseParseError;
    expect(cut.excerpt).not.toContain(PASSWORD.slice(0, 4));
    emulator.addFault({ method: "GET", path: "/external_data_sources/x2/", times: 2, fault: { kind: "status", status: 502, text: `<html><body>upstream said ${escapeHtml(PASSWORD)} and ${KEY}</body></html>` } });
    const events: string[] = [];
    const retrying = new PostHogClient({ host: emulator.url, apiKey: KEY, projectId: 1, retryBaseMs: 1, maxRetries: 1, onEvent: (e) => events.push(JSON.stringify(e)) });
    retrying.secrets.add(PASSWORD);
    const gateway = (await retrying.externalDataSources.retrieve("x2").catch((e: unknown) => e)) as Error;
    await retrying.close();
    expect(gateway.message).toMatch(/502/);
    expect(events.some((e) => e.includes('"retry"'))).toBe(true);
    for (const text of [gateway.message, ...events]) {
      expect(text).not.toContain("canary");
      expect(text).not.toContain(KEY.slice(8));
    }
  });

  it("what PostHog reports beyond the inputs (a sync error quoting the password) is scrubbed before it reaches the state", async () => {
    const created = await provider().create!({ ...postgres("reported-canary-pw-51e0"), prefix: "rep_" });
    const row = emulator.state.sources.find((s) => s.id === created.id)!.schemas[0]!;
    row.latest_error = "could not connect with password reported-canary-pw-51e0";
    row.running_until = 0;
    const read = await provider().read!(created.id, created.outs);
    expect(read.props?.latestError).toBe("could not connect with password [secret]");
    expect((read.props?.jobInputs as Record<string, unknown>).password).toBe("reported-canary-pw-51e0");
  });

  it("scrubs every spelling of every registered value, longest first", () => {
    const s = new SecretScrubber("hunter2-long", "hunter2-long-and-longer", { nested: ["x y&z<>"] });
    expect(s.scrub("a hunter2-long-and-longer b hunter2-long c x+y%26z%3C%3E d x y&amp;z&lt;&gt; e")).toBe("a [secret] b [secret] c [secret] d [secret] e");
    expect(s.scrub("Authorization: Bearer abcdef token=zzz&ok=1 {\"api_key\": \"v\"}")).toBe('Authorization: Bearer [secret] token=[secret]&ok=1 {"api_key": "[secret]"}');
  });
});

describe("401 and 403 name the problem, the scope and the fix, and at most the key's first characters", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ apiKey: KEY, apiKeys: { phx_viewreader_key_abcdef123: ["warehouse_view:read", "external_data_source:write"] } });
  });
  afterAll(() => emulator.close());

  it("a key without warehouse_view:write: PostHog's 403, typed, with the scope, the view and the fix", async () => {
    const client = new PostHogClient({ host: emulator.url, apiKey: "phx_viewreader_key_abcdef123", projectId: 1 });
    for await (const _ of client.savedQueries.list()) void _; // warehouse_view:read is enough to list
    const raw = await client.savedQueries.create({ name: "v", query: { kind: "HogQLQuery", query: "select 1" } }).catch((e: unknown) => e);
    expect(raw).toBeInstanceOf(PermissionDeniedError);
    expect((raw as PermissionDeniedError).missingScope).toBe("warehouse_view:write");
    expect((raw as PermissionDeniedError).detail).toBe("API key missing required scope 'warehouse_view:write'");
    const provider = toDynamicProvider(savedQueryDefinition, emulatorServices(client, emulator.url));
    const message = String(((await provider.create!({ name: "daily", query: "select 1" }).catch((e: unknown) => e)) as Error).message);
    expect(message).toMatch(/^SavedQuery "daily": create failed: POST \S+ → 403 authentication_error: API key missing required scope 'warehouse_view:write'\. Fix: the personal API key \(phx_vie…\) lacks the scope warehouse_view:write: create a personal API key with scopes warehouse_view:write, external_data_source:write/);
    expect(message).toContain("pulumi config set --secret posthog:apiKey");
    expect(message).not.toContain("phx_viewreader_key_abcdef123".slice(7));
    expect(emulator.state.views).toHaveLength(0);
    await client.close();
  });

  it("reads need :read, :write satisfies :read, and a project the key may not see is refused with a fix", async () => {
    emulator.addApiKey("phx_sourcesonly_key_99999", ["external_data_source:read"]);
    const client = new PostHogClient({ host: emulator.url, apiKey: "phx_sourcesonly_key_99999", projectId: 1 });
    for await (const _ of client.externalDataSources.list()) void _;
    const denied = await client.externalDataSources.create({ source_type: "Stripe", payload: {} }).catch((e: unknown) => e);
    expect((denied as PermissionDeniedError).missingScope).toBe("external_data_source:write");
    const views = await client.savedQueries.retrieve("x").catch((e: unknown) => e);
    expect((views as PermissionDeniedError).missingScope).toBe("warehouse_view:read");
    emulator.addApiKey("phx_all_scopes_key_1234567", ["*"]);
    // (The client no longer calls PostHog's no-scope actions, ancestors/descendants: nothing in the provider needs them.)
    const all = new PostHogClient({ host: emulator.url, apiKey: "phx_all_scopes_key_1234567", projectId: 2 });
    const elsewhere = await all.savedQueries.retrieve("x").catch((e: unknown) => e);
    expect((elsewhere as PermissionDeniedError).detail).toBe("You don't have access to the project.");
    expect((elsewhere as Error).message).toMatch(/Fix: give the personal API key \(phx_all…\) access/);
    await Promise.all([client.close(), all.close()]);
  });

  it("an unknown key: 401 with PostHog's words and a fix naming the host, never the key", async () => {
    const client = new PostHogClient({ host: emulator.url, apiKey: "phx_revoked_key_000000000", projectId: 1 });
    const err = await client.externalDataSources.retrieve("x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as Error).message).toMatch(/401 authentication_error: Personal API key found in request Authorization header is invalid\. Fix: the personal API key \(phx_rev…\) is not valid on http:\/\/127\.0\.0\.1:\d+/);
    expect((err as Error).message).not.toContain("key_000000000");
    await client.close();
  });
});

describe("program side: secret paths from PostHog's definitions, all of jobInputs when they cannot say", () => {
  const isSecret = (v: unknown) => (pulumi.Output.isInstance(v) ? pulumi.isSecret(v) : Promise.resolve(false));

  it("a catalogued type marks exactly its secret fields", async () => {
    const out = secretJobInputs("Postgres", { host: "db", password: "p", connection_string: "postgres://u:p@db/d", ssh_tunnel: { enabled: true, auth: { selection: "keypair", private_key: "k" } } }) as Record<string, unknown>;
    expect(await isSecret(out.password)).toBe(true);
    expect(await isSecret(out.connection_string)).toBe(true);
    expect(await isSecret(((out.ssh_tunnel as Record<string, unknown>).auth as Record<string, unknown>).private_key)).toBe(true);
    expect(out.host).toBe("db");
  });

  it("MongoDB, TemporalIO (not in the catalogue) and a sourceType given as an Output: all of jobInputs", async () => {
    expect(await isSecret(secretJobInputs("MongoDB", { connection_string: "mongodb://u:p@h/db" }))).toBe(true);
    expect(await isSecret(secretJobInputs("TemporalIO", { encryption_key: "e", client_certificate: "c", server_client_root_ca: "r" }))).toBe(true);
    expect(await isSecret(secretJobInputs(pulumi.output("Postgres"), { password: "p" }))).toBe(true);
    expect(await isSecret(secretJobInputs("Postgres", pulumi.output({ password: "p" })))).toBe(true);
  });
});

function pyRepr(value: string): string {
  // Python's repr picks double quotes when the text has a single quote and no double quote; here it has both.
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

function escapeHtml(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#x27;");
}
