import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RecordedRequest } from "./emulator";
import { EngineOpError, TestStack } from "./harness/stack";
import { credentials, itEmulatorOnly, lacks, startTarget, type Target } from "./harness/target";

import type { ExternalDataSource } from "../provider";

/*
 * A Pulumi project folder run by the `pulumi` CLI through the Node.js language host, the package installed from its
 * packed tarball: `source` writes the index.ts a user would write.
 */

// Runs against the in-process emulator (npm test) and a live server (npm run test:live): see harness/target.ts.
// Live, it needs a Stripe test account and a test Postgres database (README); the emulator accepts its own values.
const skip = lacks("stripe", "ExternalDataSource under the real engine") || lacks("postgres", "ExternalDataSource under the real engine");
const SECRET = credentials.stripe?.secretKey ?? "";
const pg = credentials.postgres!;
const PG_SECRET = pg?.password ?? "";
const TUNNEL_SECRET = "tunnel-canary-password-93";
let target: Target;
let stack: TestStack<RecordedRequest>;
const live = () => target.sources();
const n = (name: string) => target.name(name);

type Args = ConstructorParameters<typeof ExternalDataSource>[1];
const stripe = (over: Partial<Args> = {}): Args => ({
  sourceType: "Stripe",
  prefix: n("billing_"),
  description: "Stripe billing",
  jobInputs: { stripe_account_id: "acct_1", auth_method: { selection: "api_key", stripe_secret_key: SECRET } },
  schemas: [{ name: "Customer" }, { name: "Invoice" }],
  ...over,
});
const sourceProgram = (name: string, args: Args | undefined) =>
  `import { ExternalDataSource } from "pulumi-posthog-warehouse";\n\n${args ? `new ExternalDataSource(${JSON.stringify(name)}, ${JSON.stringify(args, null, 2)});` : "export {};"}\n`;
const use = (args: Args) => stack.writeProgram(sourceProgram("stripe", args));

beforeAll(async () => {
  if (skip) return;
  target = await startTarget({ tag: "eds" });
  stack = await TestStack.create({
    project: { files: { "index.ts": sourceProgram("stripe", stripe()) } },
    log: target.log,
    projectName: "eds-e2e",
    config: { "posthog:host": { value: target.url }, "posthog:apiKey": { value: target.apiKey, secret: true }, "posthog:projectId": { value: String(target.projectId) } },
  });
});
afterAll(async () => {
  await stack?.dispose();
  await target?.close();
});

describe.skipIf(skip)("ExternalDataSource under the real engine", () => {
  it("up creates; a second preview shows no change and makes 0 requests", async () => {
    const up = await stack.up();
    expect(up.result.summary.resourceChanges).toMatchObject({ create: 2 });
    const sources = await live();
    expect(sources).toHaveLength(1);
    expect(sources[0]!.schemas!.filter((r) => r.should_sync).map((r) => r.name).sort()).toEqual(["Customer", "Invoice"]);
    const preview = await stack.preview();
    expect(preview.result.changeSummary).toEqual({ same: 2 });
    expect(preview.requests).toHaveLength(0);
  }, 300_000);

  it("a description change updates in place with one PATCH and no hook", async () => {
    use(stripe({ description: "Stripe billing (EU)" }));
    const up = await stack.up();
    expect(up.result.summary.resourceChanges).toMatchObject({ update: 1 });
    const writes = up.requests.filter((r) => r.method !== "GET");
    expect(writes.map((r) => `${r.method} ${r.path.split("/").slice(-3).join("/")}`)).toEqual([expect.stringMatching(/^PATCH /)]);
    expect(writes[0]!.body).toEqual({ description: "Stripe billing (EU)" });
  }, 300_000);

  it("a connection change runs refresh_schemas; a reload trigger runs reload", async () => {
    use(stripe({ description: "Stripe billing (EU)", jobInputs: { stripe_account_id: "acct_2", auth_method: { selection: "api_key", stripe_secret_key: SECRET } } }));
    const up = await stack.up();
    const paths = up.requests.filter((r) => r.method !== "GET").map((r) => r.path);
    expect(paths.some((p) => p.endsWith("/refresh_schemas/"))).toBe(true);
    const patch = up.requests.find((r) => r.method === "PATCH");
    expect(patch?.body).toEqual({ job_inputs: { stripe_account_id: "acct_2" } });

    use(stripe({ description: "Stripe billing (EU)", jobInputs: { stripe_account_id: "acct_2", auth_method: { selection: "api_key", stripe_secret_key: SECRET } }, reloadTrigger: "1" }));
    const again = await stack.up();
    expect(again.requests.some((r) => r.method === "POST" && r.path.endsWith("/reload/"))).toBe(true);
  }, 300_000);

  it("an out-of-band edit shows in refresh; an out-of-band delete makes refresh drop it", async () => {
    const id = (await live())[0]!.id;
    const ui = target.client();
    await ui.externalDataSources.update(id, { description: "edited in the UI" });
    const refresh = await stack.refresh();
    expect(refresh.result.summary.resourceChanges).toMatchObject({ update: 1 });
    const preview = await stack.preview();
    expect(preview.result.changeSummary).toMatchObject({ update: 1 });
    await ui.externalDataSources.delete(id);
    await ui.close();
    const dropped = await stack.refresh();
    expect(dropped.result.summary.resourceChanges).toMatchObject({ delete: 1 });
  }, 300_000);

  it("adopting an existing source makes no second source; preview then shows no change", async () => {
    const ui = target.client();
    const connection = { host: pg.host, port: pg.port, database: pg.database, user: pg.user, password: PG_SECRET, schema: pg.schema };
    // One table the database really has (the emulator's catalogue, or `?table=` of the user's test database).
    const { id } = await ui.externalDataSources.create({
      source_type: "Postgres",
      prefix: n("app_"),
      payload: { ...connection, ...(pg.table ? { schemas: [{ name: pg.table, should_sync: true }] } : {}) },
    });
    await ui.close();
    const adopted: Args = { sourceType: "Postgres", prefix: n("app_"), jobInputs: connection, adoptId: id };
    stack.writeProgram(sourceProgram("pg", adopted));
    const up = await stack.up();
    expect(up.requests.filter((r) => r.method === "POST")).toHaveLength(0);
    expect((await live()).map((s) => s.id)).toEqual([id]);
    expect((await stack.preview()).result.changeSummary).toEqual({ same: 2 });
  }, 300_000);

  // Needs an SSH bastion, and edits the emulator's state as a UI change would.
  itEmulatorOnly("removing ssh_tunnel turns it off in PostHog; a key changed in the UI shows in refresh and up restores it", async () => {
    const tunnel = { enabled: true, host: "bastion.example.com", port: 22, auth: { selection: "password", username: "jump", password: TUNNEL_SECRET } };
    const pg = (extra: Record<string, unknown>): Args => ({ sourceType: "Postgres", prefix: "app_", jobInputs: { host: "db.internal", port: 5432, database: "app", user: "ro", password: PG_SECRET, schema: "public", ...extra } });
    stack.writeProgram(sourceProgram("pg", pg({ ssh_tunnel: tunnel })));
    await stack.up();
    const source = () => target.emulator!.state.sources.find((s) => !s.deleted && s.prefix === "app_")!;
    expect(source().job_inputs.ssh_tunnel).toMatchObject({ enabled: true });
    stack.writeProgram(sourceProgram("pg", pg({})));
    await stack.up();
    expect(source().job_inputs.ssh_tunnel).toEqual({ enabled: false });
    expect((await stack.preview()).result.changeSummary).toEqual({ same: 2 });

    source().job_inputs.schema = "changed_in_ui";
    const refresh = await stack.refresh();
    expect(refresh.result.summary.resourceChanges).toMatchObject({ update: 1 });
    expect((await stack.preview()).result.changeSummary).toMatchObject({ update: 1 });
    await stack.up();
    expect(source().job_inputs.schema).toBe("public");
    expect(stack.rawState()).not.toContain(TUNNEL_SECRET);
  }, 300_000);

  it("changing sourceType replaces the source", async () => {
    stack.writeProgram(sourceProgram("pg", { sourceType: "Stripe", prefix: n("app_"), jobInputs: { auth_method: { selection: "api_key", stripe_secret_key: SECRET } }, schemas: [{ name: "Customer" }] }));
    const up = await stack.up();
    expect(up.result.summary.resourceChanges).toMatchObject({ replace: 1 });
    expect((await live()).map((s) => s.source_type)).toEqual(["Stripe"]);
  }, 300_000);

  it("bad input fails at check with the property named, before any request", async () => {
    stack.writeProgram(sourceProgram("pg", { sourceType: "Postgres", prefix: n("app_"), jobInputs: { host: "db", port: "nope", database: "app", user: "ro", password: "x", schema: "s" } }));
    const err = (await stack.preview().catch((e: unknown) => e)) as EngineOpError<RecordedRequest>;
    expect(err).toBeInstanceOf(EngineOpError);
    expect(err.message + err.stdout).toMatch(/jobInputs\.port/);
    expect(err.requests).toHaveLength(0);
  }, 300_000);

  it("destroy removes it; the state file never held a secret in plaintext", async () => {
    const state = stack.rawState();
    for (const secret of [SECRET, PG_SECRET, TUNNEL_SECRET, target.apiKey]) expect(state).not.toContain(secret);
    stack.writeProgram(sourceProgram("", undefined));
    await stack.destroy();
    expect(await live()).toHaveLength(0);
  }, 300_000);
});
