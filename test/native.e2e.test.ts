import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "./emulator";
import { canaryHits } from "./harness/reliability-totals";
import { pulumiBinDir, REPO_ROOT } from "./harness/engine-env";
import { YamlProject } from "./harness/yaml-project";

/*
 * The native plugin under the real CLI, in a `runtime: yaml` project: what the dynamic providers cannot do (exact
 * property diffs, `pulumi import`, non-Node programs), end to end against the emulator.
 */
const API_KEY = "phx_native_canary_key_41c9";
const PASSWORD = "native-canary-pw-77d3";

const program = (opts: { query?: string; prefix?: string; extra?: string } = {}) => `  warehouse:
    type: posthog-warehouse:index:ExternalDataSource
    properties:
      sourceType: Postgres
      prefix: ${opts.prefix ?? "app_"}
      jobInputs:
        host: db.internal
        port: 5432
        database: app
        user: reader
        password: ${PASSWORD}
        schema: public
  base:
    type: posthog-warehouse:index:SavedQuery
    properties:
      name: base_events
      query: ${opts.query ?? "select event, timestamp from events"}
  derived:
    type: posthog-warehouse:index:SavedQuery
    properties:
      name: daily_events
      query: select toDate(timestamp) as day, count() as n from \${base.name} group by day
${opts.extra ?? ""}`;

/** The property lines of `pulumi preview --diff` (`~ query: ...`, `- columns: ...`), resource lines excluded. */
function propertyLines(output: string): string[] {
  return output.split("\n").filter((line) => /^\s+[-+~]{1,2}\s*[A-Za-z_][\w.[\]]*:/.test(line) && !/posthog-warehouse:index:|pulumi:pulumi:/.test(line)).map((l) => l.trim());
}

let emulator: Emulator;
let project: YamlProject;

beforeAll(async () => {
  emulator = await startEmulator({ apiKey: API_KEY });
  project = new YamlProject("native-e2e");
  project.writeProgram(program());
  await project.ok(["stack", "init", project.stack]);
  await project.ok(["config", "set", "posthog-warehouse:host", emulator.url]);
  await project.ok(["config", "set", "--secret", "posthog-warehouse:apiKey", API_KEY]);
  await project.ok(["config", "set", "posthog-warehouse:projectId", "1"]);
});
afterAll(async () => {
  project?.dispose();
  await emulator?.close();
});

const calls = async (run: () => Promise<string>): Promise<{ output: string; calls: number }> => {
  const before = emulator.requests.length;
  const output = await run();
  return { output, calls: emulator.requests.length - before };
};

const live = () => ({ views: emulator.state.views.filter((v) => !v.deleted).map((v) => v.name).sort(), sources: emulator.state.sources.filter((s) => !s.deleted).map((s) => s.prefix) });

describe("native plugin in a YAML program", () => {
  it("up creates a source and two views (one reading the other); a no-op preview makes no API call", async () => {
    const up = await project.ok(["up", "--yes"]);
    // Progress goes through the engine's log service, attached to the resource.
    expect(up).toMatch(/posthog-warehouse:index:ExternalDataSource \(warehouse\):\n\s+ExternalDataSource Postgres \(prefix "app_"\): creating/);
    expect(live()).toEqual({ views: ["base_events", "daily_events"], sources: ["app_"] });
    const derived = emulator.state.views.find((v) => v.name === "daily_events")!;
    expect(derived.query.query).toContain("from base_events");

    const noop = await calls(() => project.ok(["preview", "--diff"]));
    expect(noop.calls).toBe(0);
    expect(noop.output).toMatch(/4 unchanged/);
    expect(propertyLines(noop.output)).toEqual([]);
  }, 300_000);

  it("preview --diff of a one-line query edit shows exactly the query, and a prefix change one replaced property", async () => {
    project.writeProgram(program({ query: "select event, timestamp, distinct_id from events" }));
    const edit = await calls(() => project.ok(["preview", "--diff"]));
    expect(edit.calls).toBe(0);
    expect(propertyLines(edit.output)).toEqual(['~ query: "select event, timestamp from events" => "select event, timestamp, distinct_id from events"']);
    expect(edit.output).toMatch(/1 to update/);

    project.writeProgram(program({ prefix: "app2_" }));
    const replace = await calls(() => project.ok(["preview", "--diff"]));
    expect(replace.calls).toBe(0);
    expect(replace.output).toMatch(/\+-posthog-warehouse:index:ExternalDataSource: \(replace\)/);
    expect(propertyLines(replace.output)).toEqual(['~ prefix: "app_" => "app2_"']);
    project.writeProgram(program());
  }, 300_000);

  it("refresh records a change made in PostHog, and the next preview shows how to undo it", async () => {
    const view = emulator.state.views.find((v) => v.name === "base_events" && !v.deleted)!;
    view.query = { kind: "HogQLQuery", query: "select event from events" };
    const refresh = await calls(() => project.ok(["refresh", "--yes"]));
    expect(refresh.calls).toBeGreaterThanOrEqual(3);
    expect(refresh.calls).toBe(emulator.requests.slice(-refresh.calls).filter((r) => r.method === "GET").length);
    const preview = await project.ok(["preview", "--diff"]);
    expect(propertyLines(preview)).toEqual(['~ query: "select event from events" => "select event, timestamp from events"']);
    await project.ok(["up", "--yes", "--skip-preview"]);
    expect(emulator.state.views.find((v) => v.id === view.id)!.query.query).toBe("select event, timestamp from events");
  }, 300_000);

  it("pulumi import adopts a view and a source made elsewhere; the generated YAML declares them and the next preview is clean", async () => {
    const post = async (collection: string, body: unknown) => {
      const res = await fetch(`${emulator.url}/api/environments/1/${collection}/`, { method: "POST", headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" }, body: JSON.stringify(body) });
      return ((await res.json()) as { id: string }).id;
    };
    const viewId = await post("warehouse_saved_queries", { name: "made_in_ui", query: { kind: "HogQLQuery", query: "select distinct_id from persons" } });
    const sourceId = await post("external_data_sources", { source_type: "Hubspot", prefix: "crm_", payload: { hubspot_integration_id: 42 } });

    const viewFile = path.join(project.dir, "view.yaml");
    const sourceFile = path.join(project.dir, "source.yaml");
    const writes = emulator.requests.length;
    await project.ok(["import", "posthog-warehouse:index:SavedQuery", "ui_view", viewId, "--yes", "--protect=false", "--out", viewFile]);
    await project.ok(["import", "posthog-warehouse:index:ExternalDataSource", "crm", sourceId, "--yes", "--protect=false", "--out", sourceFile]);
    expect(emulator.requests.slice(writes).filter((r) => r.method !== "GET")).toEqual([]);

    const viewYaml = readFileSync(viewFile, "utf8");
    const sourceYaml = readFileSync(sourceFile, "utf8");
    expect(viewYaml).toMatch(/ui_view:\n\s+type: posthog-warehouse:(index:)?SavedQuery\n\s+properties:\n\s+name: made_in_ui\n\s+query: select distinct_id from persons\n/);
    expect(sourceYaml).toMatch(/sourceType: Hubspot/);
    expect(sourceYaml).toMatch(/prefix: crm_/);
    expect(sourceYaml).toMatch(/jobInputs:\n\s+hubspot_integration_id: 42/);

    // The same declarations in TypeScript, by Pulumi's Node code generator (what `pulumi import` in a TypeScript
    // project runs; the offline-built Node language host lacks it, see scripts/pulumi-yaml.sh).
    const imported = path.join(project.dir, "imported");
    mkdirSync(imported);
    writeFileSync(path.join(imported, "Pulumi.yaml"), `name: imported\nruntime: yaml\n${viewYaml}${sourceYaml.replace(/^resources:\n/, "")}`);
    const ts = execFileSync(path.join(pulumiBinDir(), "posthog-warehouse-codegen"), ["program", path.join(REPO_ROOT, "schema.json"), imported], { encoding: "utf8" });
    expect(ts).toMatch(/new posthog_warehouse\.SavedQuery\("ui_view", \{\s+name: "made_in_ui",\s+query: "select distinct_id from persons",\s+\}\);/);
    expect(ts).toMatch(/new posthog_warehouse\.ExternalDataSource\("crm", \{\s+jobInputs: \{\s+hubspot_integration_id: 42,\s+\},\s+prefix: "crm_",\s+sourceType: "Hubspot",\s+\}\);/);

    // The generated declarations, added to the program as a user would: nothing to change.
    const body = (yaml: string) => yaml.replace(/^resources:\n/, "");
    project.writeProgram(program({ extra: body(viewYaml) + body(sourceYaml) }));
    const next = await calls(() => project.ok(["preview", "--diff"]));
    expect(next.calls).toBe(0);
    expect(next.output).toMatch(/6 unchanged/);
    expect(propertyLines(next.output)).toEqual([]);
  }, 300_000);

  it("keeps the API key and source password out of the state file, CLI output and plugin messages; destroy removes everything", async () => {
    // --debug: the plugin's debug messages (diff notes) and its stderr are shown too.
    await project.ok(["preview", "--diff", "--debug"]);
    const state = project.rawState();
    expect(state).toContain("ciphertext");
    expect(state).toContain('"jobInputs"');
    const destroy = await project.ok(["destroy", "--yes"]);
    expect(destroy).toMatch(/6 deleted/);
    expect(live()).toEqual({ views: [], sources: [] });

    const artefacts = { state, ...Object.fromEntries(project.outputs.map((o, i) => [`cli${i}`, o])) };
    expect(canaryHits([API_KEY, PASSWORD], artefacts)).toEqual([]);
  }, 300_000);
});

describe("native plugin installed into Pulumi's plugin cache", () => {
  it("`pulumi plugin install --file` installs it without any download; a project then uses it with no plugins section", async () => {
    const emu = await startEmulator();
    // No stack config for the key: the provider falls back to the environment, as the dynamic providers do.
    const installed = new YamlProject("native-installed", "test", { POSTHOG_API_KEY: emu.apiKey, POSTHOG_HOST: emu.url, POSTHOG_PROJECT_ID: "1" });
    try {
      installed.linkPackage();
      const version = (JSON.parse(readFileSync(path.join(__dirname, "..", "package.json"), "utf8")) as { version: string }).version;
      await installed.ok(["plugin", "install", "resource", "posthog-warehouse", version, "--file", path.join(installed.dir, "node_modules", "pulumi-posthog-warehouse", "plugin", "pulumi-resource-posthog-warehouse")]);
      expect(await installed.ok(["plugin", "ls"])).toMatch(new RegExp(`posthog-warehouse\\s+resource\\s+${version.replace(/\./g, "\\.")}`));
      installed.writeProgram("  v:\n    type: posthog-warehouse:index:SavedQuery\n    properties:\n      name: from_the_cache\n      query: select 1\n", false);
      await installed.ok(["stack", "init", installed.stack]);
      await installed.ok(["up", "--yes", "--skip-preview"]);
      expect(emu.state.views.filter((v) => !v.deleted).map((v) => v.name)).toEqual(["from_the_cache"]);
      await installed.ok(["destroy", "--yes"]);
      expect(emu.state.views.filter((v) => !v.deleted)).toEqual([]);
    } finally {
      installed.dispose();
      await emu.close();
    }
  }, 300_000);
});
