import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostHogClient } from "../provider/client";
import { REPO_ROOT } from "./harness/engine-env";
import { LIVE_PREFIX, newRunPrefix } from "./live/config";
import type { LiveReport } from "./live/report";

// The proof of `npm run test:live` where no real PostHog exists: the emulator as a separate process, treated as a
// remote server, with objects of other owners (and of other live runs) on it before the run starts.

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: REPO_ROOT, env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

const withoutServer = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  for (const name of ["POSTHOG_HOST", "POSTHOG_PERSONAL_API_KEY", "POSTHOG_API_KEY", "POSTHOG_PROJECT_ID", "PHW_TARGET"]) delete env[name];
  return env;
};

describe("npm run test:live", () => {
  it("with no server configured exits non-zero, names the variables and runs nothing", async () => {
    const npm = process.env.npm_execpath;
    const result = npm ? await run(process.execPath, [npm, "run", "test:live"], withoutServer()) : await run("npm", ["run", "test:live"], withoutServer());
    expect(result.code).not.toBe(0);
    for (const name of ["POSTHOG_HOST", "POSTHOG_PERSONAL_API_KEY", "POSTHOG_PROJECT_ID"]) expect(result.stderr).toContain(name);
    // Neither the build nor vitest started.
    expect(result.stdout).not.toMatch(/> pulumi-posthog-warehouse@[^\s]+ build|RUN\s+v\d/);
  }, 120_000);
});

describe("live tests without source credentials", () => {
  it("are skipped, each file saying which variable to set", async () => {
    const env: NodeJS.ProcessEnv = { ...withoutServer(), PHW_TARGET: "live", POSTHOG_HOST: "http://127.0.0.1:9", POSTHOG_PERSONAL_API_KEY: "phx_unused", POSTHOG_PROJECT_ID: "1" };
    for (const name of ["POSTHOG_TEST_STRIPE_SECRET_KEY", "POSTHOG_TEST_POSTGRES_URL", "POSTHOG_TEST_TABLE_URL", "POSTHOG_TEST_TABLE_ACCESS_KEY", "POSTHOG_TEST_TABLE_ACCESS_SECRET"]) delete env[name];
    const vitest = [path.join(REPO_ROOT, "node_modules", "vitest", "vitest.mjs"), "run", "test/external-data-source.e2e.test.ts", "test/warehouse-tables.e2e.test.ts"];
    const result = await run(process.execPath, vitest, env);
    expect(result.code).toBe(0);
    expect(result.stdout + result.stderr).toContain("[live] skipped ExternalDataSource under the real engine: set POSTHOG_TEST_STRIPE_SECRET_KEY");
    expect(result.stdout + result.stderr).toContain(
      "[live] skipped WarehouseTable under the real engine: set POSTHOG_TEST_TABLE_URL, POSTHOG_TEST_TABLE_ACCESS_KEY, POSTHOG_TEST_TABLE_ACCESS_SECRET",
    );
    expect(result.stdout).toMatch(/0 passed, 0 failed, [1-9]\d* skipped/);
  }, 120_000);
});

describe("npm run test:live against the emulator in another process", () => {
  let emulator: ChildProcess;
  let server: { url: string; apiKey: string; projectId: number };
  let client: PostHogClient;
  const foreign: { views: string[]; sources: string[]; tables: string[]; joins: string[] } = { views: [], sources: [], tables: [], joins: [] };
  const before = new Map<string, unknown>();
  let leftover: { view: string; source: string };
  let result: Run;
  let report: LiveReport;

  const snapshot = async () => {
    const now = new Map<string, unknown>();
    for (const id of foreign.views) now.set(`view ${id}`, await client.savedQueries.retrieve(id));
    for (const id of foreign.sources) now.set(`source ${id}`, await client.externalDataSources.retrieve(id));
    for (const id of foreign.tables) now.set(`table ${id}`, await client.warehouseTables.retrieve(id));
    for (const id of foreign.joins) now.set(`join ${id}`, await client.warehouseJoins.retrieve(id));
    return now;
  };

  beforeAll(async () => {
    emulator = spawn(process.execPath, [path.join(REPO_ROOT, "dist", "test", "emulator", "main.js"), "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
    server = JSON.parse(await new Promise<string>((resolve) => createInterface({ input: emulator.stdout! }).once("line", resolve))) as typeof server;
    client = new PostHogClient({ host: server.url, apiKey: server.apiKey, projectId: server.projectId });

    // Other owners' objects: no live prefix, or one that only looks like it.
    const view = async (name: string) => (await client.savedQueries.create({ name, query: { kind: "HogQLQuery", query: "select event from events" } })).view.id;
    foreign.views.push(await view("foreign_view"), await view("xphwlive_view"), await view("phw_live_view"));
    foreign.sources.push((await client.externalDataSources.create({ source_type: "Stripe", payload: { auth_method: { selection: "api_key", stripe_secret_key: "sk_foreign" } } })).id);
    foreign.sources.push((await client.externalDataSources.create({ source_type: "Postgres", prefix: "foreign_", payload: { host: "db.example", port: 5432, database: "app", user: "ro", password: "pw", schema: "public" } })).id);
    const table = async (name: string) =>
      (await client.warehouseTables.create({ name, format: "Parquet", url_pattern: `https://foreign.s3.amazonaws.com/${name}/*.parquet`, credential: { access_key: "AKIA_FOREIGN", access_secret: "foreign-secret" } })).id;
    const join = async (source: string, field: string, joining = "persons", joiningKey = "properties.email") =>
      (await client.warehouseJoins.create({ source_table_name: source, source_table_key: "distinct_id", joining_table_name: joining, joining_table_key: joiningKey, field_name: field })).id;
    foreign.tables.push(await table("foreign_orders"), await table("xphwlive_table"));
    // Joins of others: on their tables and views, on `events`, towards a look-alike, with look-alike field names.
    foreign.joins.push(
      await join("foreign_orders", "person"),
      await join("events", "xphwlive_field"),
      await join("foreign_view", "to_lookalike", "phw_live_view", "event"),
      await join("xphwlive_table", "phw_live_person"),
    );
    // Another live run still going (started a minute ago): not a leftover, so not touched either.
    const running = newRunPrefix(Date.now() - 60_000);
    foreign.views.push(await view(`${running}in_progress`));
    foreign.tables.push(await table(`${running}in_progress_table`));
    foreign.joins.push(await join("events", `${running}in_progress_field`), await join(`${running}in_progress_table`, "person"));
    // A run that crashed yesterday: its objects are the sweep's to delete.
    const crashed = newRunPrefix(Date.now() - 24 * 3_600_000);
    leftover = { view: await view(`${crashed}crashed_view`), source: (await client.externalDataSources.create({ source_type: "Postgres", prefix: crashed, payload: { host: "db.example", port: 5432, database: "app", user: "ro", password: "pw", schema: "public" } })).id };
    await table(`${crashed}crashed_table`);
    // One found by its field name, one by its source table's name (its field name is anyone's).
    await join("events", `${crashed}crashed_field`);
    await join(`${crashed}crashed_table`, "person");
    await new Promise((r) => setTimeout(r, 300)); // let the seeded sources' first sync finish
    for (const [k, v] of await snapshot()) before.set(k, v);

    const out = mkdtempSync(path.join(tmpdir(), "phw-live-"));
    result = await run(process.execPath, [path.join(REPO_ROOT, "dist", "scripts", "test-live.js")], {
      ...withoutServer(),
      POSTHOG_HOST: server.url,
      POSTHOG_PERSONAL_API_KEY: server.apiKey,
      POSTHOG_PROJECT_ID: String(server.projectId),
      // The emulator's own credential rules accept these (test/emulator/README.md).
      POSTHOG_TEST_STRIPE_SECRET_KEY: "sk_test_live_mode",
      POSTHOG_TEST_POSTGRES_URL: "postgres://ro:live-mode-pw@db.example:5432/app?schema=public&table=orders",
      // Any https URL reads as the emulator's default files.
      POSTHOG_TEST_TABLE_URL: "https://live-mode.s3.amazonaws.com/orders/v1/*.parquet",
      POSTHOG_TEST_TABLE_URL_2: "https://live-mode.s3.amazonaws.com/orders/v2/*.parquet",
      POSTHOG_TEST_TABLE_ACCESS_KEY: "AKIA_LIVE_MODE",
      POSTHOG_TEST_TABLE_ACCESS_SECRET: "live-mode-access-secret",
      PHW_LIVE_OUT: out,
    });
    report = JSON.parse(readFileSync(path.join(out, "report.json"), "utf8")) as LiveReport;
  }, 1_800_000);

  afterAll(async () => {
    await client?.close();
    emulator?.kill("SIGTERM");
  });

  it("passes every check that is not emulator-only, and the emulator answers every request as the server did", () => {
    expect(result.code, result.stdout.slice(-4000) + result.stderr.slice(-4000)).toBe(0);
    expect(report.checks.filter((c) => c.state === "failed")).toEqual([]);
    const skipped = report.checks.filter((c) => c.state === "skipped").map((c) => c.name);
    expect(skipped.every((name) => name.endsWith("[emulator-only]"))).toBe(true);
    expect(report.checks.filter((c) => c.state === "passed").length).toBeGreaterThanOrEqual(20);
    expect(report.checks.every((c) => c.emulator === c.state)).toBe(true);
    expect(report.requests.server).toBeGreaterThan(100);
    expect(report.differences).toEqual([]);
    expect(result.stdout).toContain("differences from the emulator's answers: none");
  });

  it("leaves nothing with the live prefix but the other run's object, and deleted the crashed run's leftovers", async () => {
    expect(report.remaining).toEqual([]);
    const names: string[] = [];
    for await (const v of client.savedQueries.list()) names.push(v.name);
    const prefixes: Array<string | null | undefined> = [];
    for await (const s of client.externalDataSources.list()) prefixes.push(s.prefix);
    const tables: string[] = [];
    for await (const t of client.warehouseTables.list({ include_columns: "false" })) tables.push(t.name);
    const joins: string[] = [];
    for await (const j of client.warehouseJoins.list()) if ([j.source_table_name, j.field_name].some((name) => name.startsWith(LIVE_PREFIX))) joins.push(`${j.source_table_name}.${j.field_name}`);
    expect(names.filter((n) => n.startsWith(LIVE_PREFIX))).toEqual([expect.stringMatching(/in_progress$/)]);
    expect(prefixes.filter((p) => p?.startsWith(LIVE_PREFIX))).toEqual([]);
    expect(tables.filter((t) => t.startsWith(LIVE_PREFIX))).toEqual([expect.stringMatching(/in_progress_table$/)]);
    expect(joins.sort()).toEqual([expect.stringMatching(/^events\.phwlive_.*in_progress_field$/), expect.stringMatching(/^phwlive_.*in_progress_table\.person$/)]);
    expect(report.sweptAtStart.sort()).toEqual([
      expect.stringMatching(/^join phwlive_.*crashed_field$/),
      expect.stringMatching(/^join phwlive_.*crashed_table$/),
      expect.stringMatching(/^source phwlive_/),
      expect.stringMatching(/^table phwlive_.*crashed_table$/),
      expect.stringMatching(/^view phwlive_.*crashed_view$/),
    ]);
    expect(leftover.view).not.toBe("");
  });

  it("leaves every object it did not create exactly as it was", async () => {
    expect(await snapshot()).toEqual(before);
  });
});
