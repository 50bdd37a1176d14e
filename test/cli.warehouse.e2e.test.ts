import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DriftReport, PlanReport } from "../cli/report/model";
import { PostHogClient } from "../provider/client";
import { startEmulator, type Emulator } from "./emulator";
import { removeProject, TestProject } from "./harness/project";
import { canaryHits } from "./harness/reliability-totals";

/* `import` and `drift` with warehouse tables and joins: the compiled CLI, the real engine, the emulator. */
const API_KEY = "phx_cli_wh_key_93ab";
const ACCESS_SECRET = "wh-access-secret-canary-1d2e";
const WRITES = new Set(["POST", "PATCH", "PUT", "DELETE"]);

describe("import and drift with warehouse tables and joins", () => {
  let emulator: Emulator;
  let project: TestProject;
  let client: PostHogClient;
  let tableId: string;
  let joinId: string;

  beforeAll(async () => {
    emulator = await startEmulator({ apiKey: API_KEY });
    client = new PostHogClient({ host: emulator.url, apiKey: API_KEY, projectId: "1" });
    project = new TestProject("cli-warehouse");
    await client.externalDataSources.create({ source_type: "Stripe", payload: { stripe_secret_key: "sk_x" } });
    const table = await client.warehouseTables.create({
      name: "invoices",
      format: "CSVWithNames",
      url_pattern: "https://files.example.com/invoices/*.csv",
      credential: { access_key: "AKIA_WH", access_secret: ACCESS_SECRET },
      options: { csv_allow_double_quotes: true },
    });
    tableId = table.id;
    const join = await client.warehouseJoins.create({ source_table_name: "stripe_customer", source_table_key: "email", joining_table_name: "persons", joining_table_key: "properties.email", field_name: "person" });
    joinId = join.id;
  });
  afterAll(async () => {
    removeProject(project);
    await client?.close();
    await emulator?.close();
  });

  it("import writes the table (credential as secret placeholders) and the join; up adopts them with reads only", async () => {
    emulator.clearRequests();
    const run = await project.cli(["import", "--project", "1", "--host", emulator.url, "--out", project.dir, "--force"], { POSTHOG_PERSONAL_API_KEY: API_KEY });
    expect(run.stderr).not.toMatch(/^error/m);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("1 source, 0 views, 1 table and 1 join to adopt");
    const code = readFileSync(path.join(project.dir, "index.ts"), "utf8");
    expect(code).toContain(`adoptId: "${tableId}"`);
    expect(code).toContain(`adoptId: "${joinId}"`);
    expect(code).toContain('sourceTableName: "stripe.customer"');
    const keys = [...run.stdout.matchAll(/pulumi config set --secret (\S+)/g)].map((m) => m[1]!);
    // The table's two keys, and the Stripe source's secret key.
    expect(keys).toHaveLength(3);
    expect(keys).toEqual(expect.arrayContaining(["invoicesAccessKey", "invoicesAccessSecret"]));

    emulator.clearRequests();
    const config: Record<string, { value: string; secret?: boolean }> = {
      "posthog:host": { value: emulator.url },
      "posthog:apiKey": { value: API_KEY, secret: true },
      "posthog:projectId": { value: "1" },
      ...Object.fromEntries(keys.map((k) => [k, { value: k === "invoicesAccessSecret" ? ACCESS_SECRET : `${k}-value`, secret: true }])),
    };
    expect(await project.op("up", "imported", config)).toEqual({ create: 4 }); // the stack, the source, the table and the join
    expect(emulator.requests.filter((r) => WRITES.has(r.method))).toEqual([]);

    const plan = await project.cli(["plan", "--stack", "imported", "--json", "plan.json"]);
    expect(plan.code).toBe(0);
    const report = JSON.parse(readFileSync(path.join(project.dir, "plan.json"), "utf8")) as PlanReport;
    expect(report.summary).toMatchObject({ create: 0, update: 0, replace: 0, delete: 0, same: 3 });
    expect(canaryHits([ACCESS_SECRET], { state: project.rawState("imported"), plan: plan.stdout + plan.stderr, import: run.stdout + code })).toEqual([]);
  });

  it("drift lists a table and a join made outside the stack as unmanaged, and names a join deleted outside Pulumi", async () => {
    const extra = await client.warehouseTables.create({ name: "refunds", format: "Parquet", url_pattern: "https://files.example.com/refunds/*.parquet", credential: { access_key: "a", access_secret: "b" } });
    const extraJoin = await client.warehouseJoins.create({ source_table_name: "refunds", source_table_key: "id", joining_table_name: "invoices", joining_table_key: "id", field_name: "invoice" });
    await client.warehouseJoins.delete(joinId);
    emulator.clearRequests();
    const run = await project.cli(["drift", "--stack", "imported", "--json", "drift.json"]);
    expect(run.stderr).not.toMatch(/^error/m);
    expect(run.code).toBe(2);
    expect(emulator.requests.filter((r) => WRITES.has(r.method))).toEqual([]);
    const report = JSON.parse(readFileSync(path.join(project.dir, "drift.json"), "utf8")) as DriftReport;
    expect(report.unmanaged).toEqual(
      expect.arrayContaining([
        { type: "WarehouseTable", id: extra.id, name: "refunds" },
        { type: "WarehouseJoin", id: extraJoin.id, name: "refunds.invoice" },
      ]),
    );
    expect(report.unmanaged.filter((u) => u.type === "WarehouseTable")).toHaveLength(1);
    expect(report.deleted.map((r) => r.id)).toEqual([joinId]);
  });
});
