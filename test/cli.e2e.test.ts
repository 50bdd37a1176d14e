import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DriftReport, PlanReport } from "../cli/report/model";
import { PostHogClient } from "../provider/client";
import { startEmulator, type Emulator } from "./emulator";
import { removeProject, TestProject } from "./harness/project";
import { canaryHits } from "./harness/reliability-totals";

/*
 * The GitOps commands end to end: the compiled CLI in a child process, the real engine, the emulator. Each command
 * runs the way a CI job would run it, and what it prints is checked, not just its exit code.
 */
const API_KEY = "phx_cli_canary_key_41c7";
const SECRET_1 = "sk_live_canary_one_c0ffee";
const SECRET_2 = "sk_live_canary_two_decaf";
const PG_PASSWORD = "pg-canary-password-5eed";
const CANARIES = [API_KEY, SECRET_1, SECRET_2, PG_PASSWORD];

const WRITES = new Set(["POST", "PATCH", "PUT", "DELETE"]);

function program(customersQuery: string, stripeKey: string): string {
  return `import * as pulumi from "@pulumi/pulumi";
import { ExternalDataSource, SavedQuery } from "pulumi-posthog-warehouse";

// Another package's resource in the same stack: plan must neither count nor print it.
class Team extends pulumi.ComponentResource {
  constructor(name: string) {
    super("acme:index:Team", name, { owner: "team-canary-owner" }, {});
  }
}
new Team("analytics-team");

new ExternalDataSource("stripe", {
  sourceType: "Stripe",
  prefix: "billing_",
  description: "Billing",
  jobInputs: { stripe_account_id: "acct_1", auth_method: { selection: "api_key", stripe_secret_key: ${JSON.stringify(stripeKey)} } },
});
new ExternalDataSource("db", {
  sourceType: "Postgres",
  prefix: "app_",
  description: "App database",
  jobInputs: { host: "db.internal", port: 5432, database: "app", user: "reader", password: ${JSON.stringify(PG_PASSWORD)}, schema: "public" },
});
new SavedQuery("customers", { name: "customers", query: ${JSON.stringify(customersQuery)} });
new SavedQuery("orders", { name: "orders", query: "select 1 as n" });
`;
}

const QUERY_1 = "select event, distinct_id\nfrom events\nwhere event is not null";
const QUERY_2 = "select event, distinct_id, timestamp\nfrom events\nwhere event is not null";

function expectNoCanary(...texts: string[]): void {
  expect(canaryHits(CANARIES, Object.fromEntries(texts.map((t, i) => [`output${i}`, t])))).toEqual([]);
}

describe("plan and drift", () => {
  let emulator: Emulator;
  let project: TestProject;
  const config = () => ({ "posthog:host": { value: emulator.url }, "posthog:apiKey": { value: API_KEY, secret: true }, "posthog:projectId": { value: "1" } });

  beforeAll(async () => {
    emulator = await startEmulator({ apiKey: API_KEY });
    // The project's own tsconfig.json, stricter than Pulumi's defaults: the program must compile with it.
    project = new TestProject("cli-e2e", {
      files: { "tsconfig.json": JSON.stringify({ compilerOptions: { strict: true, noUnusedLocals: true, target: "es2022", module: "commonjs", moduleResolution: "node" }, files: ["index.ts"] }) },
    });
    project.writeProgram(program(QUERY_1, SECRET_1));
    await project.op("up", "dev", config());
  });
  afterAll(async () => {
    removeProject(project);
    await emulator?.close();
  });

  it("--help documents every command's options", async () => {
    const top = await project.cli(["--help"]);
    expect(top.code).toBe(0);
    for (const command of ["plan", "drift", "import"]) {
      expect(top.stdout).toContain(command);
      const help = await project.cli([command, "--help"]);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/Usage: posthog-warehouse/);
      expect(help.stdout).toContain("--stack");
    }
    expect((await project.cli(["plan", "--bogus"])).code).toBe(1);
  }, 300_000);

  it("plan shows a query change line by line and a secret change without its text, with no API call", async () => {
    project.writeProgram(program(QUERY_2, SECRET_2));
    emulator.clearRequests();
    const run = await project.cli(["plan", "--stack", "dev", "--json", "plan.json"]);
    expect(run.stderr).not.toMatch(/^error/m);
    expect(run.code).toBe(0);
    expect(emulator.requests).toHaveLength(0);

    const json = readFileSync(path.join(project.dir, "plan.json"), "utf8");
    const report = JSON.parse(json) as PlanReport;
    expect(report.summary).toMatchObject({ create: 0, update: 2, replace: 0, delete: 0, same: 2 });
    expect(report.changes.map((c) => c.type)).toEqual(expect.arrayContaining(["SavedQuery", "ExternalDataSource"]));
    expect(report.changes.every((c) => c.type === "SavedQuery" || c.type === "ExternalDataSource")).toBe(true);
    expect(`${run.stdout}${json}`).not.toMatch(/acme:index:Team|analytics-team|team-canary-owner/);
    const customers = report.changes.find((c) => c.name === "customers")!;
    expect(customers.op).toBe("update");
    const query = customers.properties.find((p) => p.path === "query")!;
    expect(query.textDiff).toContain("-select event, distinct_id\n+select event, distinct_id, timestamp\n from events");
    const stripe = report.changes.find((c) => c.name === "stripe")!;
    expect(stripe.properties).toEqual([{ path: "jobInputs.auth_method.stripe_secret_key", change: "changed", secret: true }]);

    expect(run.stdout).toContain("**0 to create, 2 to update, 0 to replace, 0 to delete; 2 unchanged**");
    expect(run.stdout).toContain("### ~ update SavedQuery `customers`");
    expect(run.stdout).toContain("```diff\n@@ -1,3 +1,3 @@\n-select event, distinct_id\n+select event, distinct_id, timestamp\n from events");
    expect(run.stdout).toContain("| `jobInputs.auth_method.stripe_secret_key` | changed | [secret] | [secret] |");
    expectNoCanary(run.stdout, run.stderr, json);
  }, 300_000);

  it("drift exits 0 with nothing changed and makes only read calls", async () => {
    await project.op("up", "dev", config());
    emulator.clearRequests();
    const run = await project.cli(["drift", "--stack", "dev", "--json", "drift.json"]);
    expect(run.stderr).not.toMatch(/^error/m);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("No drift");
    expect(emulator.requests.length).toBeGreaterThan(0);
    expect(emulator.requests.filter((r) => WRITES.has(r.method))).toEqual([]);
    expectNoCanary(run.stdout, run.stderr, readFileSync(path.join(project.dir, "drift.json"), "utf8"));
  }, 300_000);

  it("drift exits 2 and names a query edited, a description changed, a source deleted and an unmanaged view", async () => {
    const client = new PostHogClient({ host: emulator.url, apiKey: API_KEY, projectId: "1" });
    const orders = emulator.state.views.find((v) => v.name === "orders" && !v.deleted)!;
    await client.savedQueries.update(orders.id, { query: { kind: "HogQLQuery", query: "select 2 as n" }, edited_history_id: orders.latest_history_id == null ? null : String(orders.latest_history_id) });
    const db = emulator.state.sources.find((s) => s.prefix === "app_" && !s.deleted)!;
    await client.externalDataSources.update(db.id, { description: "edited in the UI" });
    const stripe = emulator.state.sources.find((s) => s.prefix === "billing_" && !s.deleted)!;
    await client.externalDataSources.delete(stripe.id);
    const adhoc = await client.savedQueries.create({ name: "adhoc_report", query: { kind: "HogQLQuery", query: "select 3" } });
    // A view PostHog made and manages itself (revenue analytics): never "unmanaged", or drift would exit 2 forever.
    const managed = await client.savedQueries.create({ name: "revenue_analytics_charge", query: { kind: "HogQLQuery", query: "select 4" } });
    emulator.state.views.find((v) => v.id === managed.view.id)!.managed_viewset_kind = "revenue_analytics";
    await client.close();

    emulator.clearRequests();
    const run = await project.cli(["drift", "--stack", "dev", "--json", "drift.json"]);
    expect(run.stderr).not.toMatch(/^error/m);
    expect(run.code).toBe(2);
    expect(emulator.requests.filter((r) => WRITES.has(r.method))).toEqual([]);
    const json = readFileSync(path.join(project.dir, "drift.json"), "utf8");
    const report = JSON.parse(json) as DriftReport;
    expect(report.drifted).toBe(true);
    expect(report.changed.map((r) => [r.name, r.properties.map((p) => [p.path, p.before, p.after])])).toEqual(
      expect.arrayContaining([
        ["orders", [["query", "select 1 as n", "select 2 as n"]]],
        ["db", [["description", "App database", "edited in the UI"]]],
      ]),
    );
    expect(report.changed).toHaveLength(2);
    expect(report.deleted.map((r) => [r.name, r.id])).toEqual([["stripe", stripe.id]]);
    expect(report.unmanaged).toEqual([{ type: "SavedQuery", id: adhoc.view.id, name: "adhoc_report" }]);
    expect(report.leftOut).toEqual({ postHogManagedViews: 1, ignored: 0 });
    expect(run.stdout).toContain("Drift found: 2 changed, 1 deleted outside Pulumi, 1 not managed by this stack");
    expect(run.stdout).toContain("### - deleted outside Pulumi: ExternalDataSource `stripe`");
    expect(run.stdout).toContain("| SavedQuery | `adhoc_report` |");
    expectNoCanary(run.stdout, run.stderr, json);

    // The state was not touched: the same drift is still there on a second look.
    expect((await project.cli(["drift", "--stack", "dev"])).code).toBe(2);
  }, 300_000);

  it("drift leaves out what --ignore names and what another stack manages (--ignore-stack), exit codes unchanged", { timeout: 300_000 }, async () => {
    // Another stack sharing the project: its view is its own, not unmanaged.
    const mine = readFileSync(path.join(project.dir, "index.ts"), "utf8");
    project.writeProgram(`import { SavedQuery } from "pulumi-posthog-warehouse";\nnew SavedQuery("theirs", { name: "team_b_view", query: "select 5 as n" });\n`);
    await project.op("up", "other", config());
    project.writeProgram(mine);
    // Undo the previous test's drift: record it (the deleted source leaves the state), then `up` restores PostHog.
    expect([0, 2]).toContain((await project.cli(["drift", "--stack", "dev", "--update-state", "--skip-unmanaged"])).code);
    await project.op("up", "dev", config());

    const client = new PostHogClient({ host: emulator.url, apiKey: API_KEY, projectId: "1" });
    await client.savedQueries.create({ name: "scratch_notes", query: { kind: "HogQLQuery", query: "select 6 as n" } });
    await client.close();

    const all = await project.cli(["drift", "--stack", "dev", "--json", "drift.json"]);
    expect(all.code).toBe(2);
    const listed = (JSON.parse(readFileSync(path.join(project.dir, "drift.json"), "utf8")) as DriftReport).unmanaged.map((u) => u.name);
    expect(listed).toEqual(expect.arrayContaining(["scratch_notes", "team_b_view"]));

    const run = await project.cli(["drift", "--stack", "dev", "--ignore", "scratch_*", "--ignore", "adhoc_report", "--ignore-stack", "other", "--json", "drift.json"]);
    expect(run.stderr).not.toMatch(/^error/m);
    const report = JSON.parse(readFileSync(path.join(project.dir, "drift.json"), "utf8")) as DriftReport;
    expect(run.code, JSON.stringify(report)).toBe(0);
    expect(report).toMatchObject({ drifted: false, unmanaged: [], leftOut: { ignored: listed.length } });
    expect(run.stdout).toContain("No drift");
  });
});

describe("plan and drift on a CommonJS JavaScript project with `main:` in Pulumi.yaml", () => {
  let emulator: Emulator;
  let project: TestProject;
  const cjs = (query: string) => `const { SavedQuery } = require("pulumi-posthog-warehouse");
exports.view = new SavedQuery("report", { name: "cjs_report", query: ${JSON.stringify(query)} }).name;
`;

  beforeAll(async () => {
    emulator = await startEmulator({ apiKey: API_KEY });
    project = new TestProject("cli-cjs", { files: { "Pulumi.yaml": "name: cli-cjs\nruntime: nodejs\nmain: app/main.js\n", "app/main.js": cjs("select 1 as n") } });
    await project.op("up", "dev", { "posthog:host": { value: emulator.url }, "posthog:apiKey": { value: API_KEY, secret: true }, "posthog:projectId": { value: "1" } });
  });
  afterAll(async () => {
    removeProject(project);
    await emulator?.close();
  });

  it("plan reports the edited query with no API call", async () => {
    project.writeProgram(cjs("select 2 as n"), "app/main.js");
    emulator.clearRequests();
    const run = await project.cli(["plan", "--stack", "dev", "--json", "plan.json"]);
    expect(run.stderr).not.toMatch(/^error/m);
    expect(run.code).toBe(0);
    expect(emulator.requests).toHaveLength(0);
    const report = JSON.parse(readFileSync(path.join(project.dir, "plan.json"), "utf8")) as PlanReport;
    expect(report.summary).toMatchObject({ create: 0, update: 1, delete: 0 });
    expect(report.changes.find((c) => c.name === "report")?.properties.map((p) => [p.path, p.change])).toEqual([["query", "changed"]]);
    expect(run.stdout).toContain("### ~ update SavedQuery `report`");
  }, 300_000);

  it("drift names a query edited in the UI", async () => {
    project.writeProgram(cjs("select 1 as n"), "app/main.js");
    const view = emulator.state.views.find((v) => v.name === "cjs_report" && !v.deleted)!;
    const client = new PostHogClient({ host: emulator.url, apiKey: API_KEY, projectId: "1" });
    await client.savedQueries.update(view.id, { query: { kind: "HogQLQuery", query: "select 3 as n" }, edited_history_id: view.latest_history_id == null ? null : String(view.latest_history_id) });
    const run = await project.cli(["drift", "--stack", "dev", "--json", "drift.json"]);
    expect(run.stderr).not.toMatch(/^error/m);
    expect(run.code).toBe(2);
    const report = JSON.parse(readFileSync(path.join(project.dir, "drift.json"), "utf8")) as DriftReport;
    expect(report.changed.map((r) => [r.name, r.properties.map((p) => [p.path, p.before, p.after])])).toEqual([["report", [["query", "select 1 as n", "select 3 as n"]]]]);
    expect(report.deleted).toEqual([]);
    expect(report.unmanaged).toEqual([]);
  }, 300_000);
});

describe("import", () => {
  let emulator: Emulator;
  let project: TestProject;

  beforeAll(async () => {
    emulator = await startEmulator({ apiKey: API_KEY });
    project = new TestProject("cli-import");
    const client = new PostHogClient({ host: emulator.url, apiKey: API_KEY, projectId: "1" });
    const sources = [
      { source_type: "Stripe", prefix: "eu_", description: "EU billing", payload: { stripe_account_id: "acct_eu", auth_method: { selection: "api_key", stripe_secret_key: SECRET_1 } } },
      { source_type: "Stripe", prefix: "us_", payload: { stripe_secret_key: SECRET_2 } },
      { source_type: "Postgres", prefix: "app_", payload: { host: "db.internal", port: 5432, database: "app", user: "reader", password: PG_PASSWORD, schema: "public" } },
      { source_type: "MySQL", prefix: "shop_", payload: { host: "mysql.internal", port: "3306", database: "shop", user: "r", password: "mysql-pw", schema: "shop" } },
      { source_type: "Hubspot", payload: { hubspot_integration_id: 42 } },
      { source_type: "Zendesk", prefix: "support_", payload: { subdomain: "acme", api_key: "zd-key", email_address: "ops@acme.test" } },
    ];
    for (const body of sources) await client.externalDataSources.create(body);
    const views: Array<[string, string]> = [
      ["daily_events", "select toDate(timestamp) as day, count() as n\nfrom events\ngroup by day"],
      ["signups", "select distinct_id from events where event = 'signed_up'"],
      ["active_people", "select id from persons"],
      ["eu_customers", "select id from eu_stripe_customer"],
      ["app_orders", "select id from app_postgres_orders"],
      ["support_tickets", "select id from support_zendesk_tickets"],
      // Names that are reserved words, or the program's own identifiers, in TypeScript.
      ["config", "select 1 as n"],
      ["default", "select 2 as n"],
    ];
    for (const [name, query] of views) await client.savedQueries.create({ name, query: { kind: "HogQLQuery", query } });
    const managed = await client.savedQueries.create({ name: "revenue_analytics_invoice", query: { kind: "HogQLQuery", query: "select 3 as n" } });
    emulator.state.views.find((v) => v.id === managed.view.id)!.managed_viewset_kind = "revenue_analytics";
    await client.close();
  });
  afterAll(async () => {
    removeProject(project);
    await emulator?.close();
  });

  it("writes a program that `up` adopts with reads only, after which a preview shows no change", async () => {
    emulator.clearRequests();
    const run = await project.cli(["import", "--project", "1", "--host", emulator.url, "--out", project.dir, "--force"], { POSTHOG_PERSONAL_API_KEY: API_KEY });
    expect(run.stderr).not.toMatch(/^error/m);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("6 sources and 8 views to adopt");
    expect(run.stdout).toContain("Left out 1 view PostHog manages itself");
    expect(emulator.requests.filter((r) => WRITES.has(r.method))).toEqual([]);
    const code = readFileSync(path.join(project.dir, "index.ts"), "utf8");
    expectNoCanary(run.stdout, run.stderr, code);

    // One placeholder per secret PostHog withholds, none for alternatives or optional ones.
    const keys = [...run.stdout.matchAll(/pulumi config set --secret (\S+)/g)].map((m) => m[1]!);
    expect(keys.sort()).toEqual(["mysqlShopPassword", "postgresAppPassword", "stripeEuAuthMethodStripeSecretKey", "stripeUsStripeSecretKey", "zendeskSupportApiKey"]);

    emulator.clearRequests();
    // The secrets set for adoption are canaries too.
    const adoptionCanaries = keys.map((k) => `adopt-canary-${k}-71f3`);
    const config: Record<string, { value: string; secret?: boolean }> = {
      "posthog:host": { value: emulator.url },
      "posthog:apiKey": { value: API_KEY, secret: true },
      "posthog:projectId": { value: "1" },
      ...Object.fromEntries(keys.map((k, i) => [k, { value: adoptionCanaries[i]!, secret: true }])),
    };
    const adopted = await project.op("up", "imported", config);
    expect(adopted).toEqual({ create: 15 });
    expect(emulator.requests.filter((r) => WRITES.has(r.method))).toEqual([]);
    expect(emulator.state.sources.filter((s) => !s.deleted)).toHaveLength(6);
    expect(emulator.state.views.filter((v) => !v.deleted)).toHaveLength(9);

    const plan = await project.cli(["plan", "--stack", "imported", "--json", "plan.json"]);
    expect(plan.code).toBe(0);
    const report = JSON.parse(readFileSync(path.join(project.dir, "plan.json"), "utf8")) as PlanReport;
    expect(report.summary).toEqual({ create: 0, adopt: 0, update: 0, replace: 0, delete: 0, same: 14 });

    // The state as stored: each resource's __provider is one require of the installed package, and no secret is
    // in plaintext (adoption secrets, the API key, the sources' own secrets).
    const state = project.rawState("imported");
    const providers = new Set([...state.matchAll(/"__provider":\s*"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!));
    expect(providers.size).toBe(2); // one per resource type
    expect([...providers].every((p) => p.length <= 2048 && p.includes("runtime/providers/"))).toBe(true);
    const hits = canaryHits([...CANARIES, ...adoptionCanaries], { state, plan: plan.stdout + plan.stderr, planJson: readFileSync(path.join(project.dir, "plan.json"), "utf8") });
    expect(hits).toEqual([]);
  }, 300_000);
});
