import { readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "./emulator";
import { REPO_ROOT, userInstall } from "./harness/engine-env";
import { YamlProject } from "./harness/yaml-project";

/*
 * examples/native-yaml as its comments tell a user to run it: the Pulumi.yaml copied as is, this package installed
 * from its packed tarball (the plugin is found at node_modules/pulumi-posthog-warehouse/plugin), the `pulumi` CLI
 * with the YAML language host, against the emulator.
 */
const STRIPE_KEY = "sk_live_yaml_example_canary_5e1f";

let emulator: Emulator;
let project: YamlProject;

beforeAll(async () => {
  emulator = await startEmulator({ syncDurationMs: 200 });
  project = new YamlProject("posthog-warehouse-yaml");
  writeFileSync(path.join(project.dir, "Pulumi.yaml"), readFileSync(path.join(REPO_ROOT, "examples", "native-yaml", "Pulumi.yaml")));
  symlinkSync(path.join(userInstall(), "node_modules"), path.join(project.dir, "node_modules"), "dir");
  await project.ok(["stack", "init", project.stack]);
  await project.ok(["config", "set", "posthog-warehouse:host", emulator.url]);
  await project.ok(["config", "set", "posthog-warehouse:projectId", "1"]);
  await project.ok(["config", "set", "--secret", "posthog-warehouse:apiKey", emulator.apiKey]);
  await project.ok(["config", "set", "--secret", "stripeKey", STRIPE_KEY]);
});
afterAll(async () => {
  project?.dispose();
  await emulator?.close();
});

const liveViews = () => emulator.state.views.filter((v) => !v.deleted);
const liveSources = () => emulator.state.sources.filter((s) => !s.deleted);

describe("examples/native-yaml through the pulumi CLI", () => {
  it("up makes the Stripe source and both views; a no-op preview makes no API call", async () => {
    await project.ok(["up", "--yes"]);
    expect(liveSources().map((s) => `${s.source_type} ${s.prefix}`)).toEqual(["Stripe billing_"]);
    expect(liveViews().map((v) => v.name).sort()).toEqual(["paying_by_domain", "paying_customers"]);

    const before = emulator.requests.length;
    const preview = await project.ok(["preview", "--diff"]);
    expect(emulator.requests.length - before).toBe(0);
    expect(preview).not.toMatch(/[~+-] posthog-warehouse:index/);
  });

  it("`up --replace` of a view deletes the old view first (the example's deleteBeforeReplace) and leaves exactly one", async () => {
    const old = liveViews().find((v) => v.name === "paying_by_domain")!;
    const urn = `urn:pulumi:${project.stack}::posthog-warehouse-yaml::posthog-warehouse:index:SavedQuery::payingByDomain`;
    await project.ok(["up", "--yes", "--replace", urn]);
    const now = liveViews().filter((v) => v.name === "paying_by_domain");
    expect(now).toHaveLength(1);
    expect(now[0]!.id).not.toBe(old.id);
    expect(project.rawState()).toContain(now[0]!.id);
  });

  it("destroy leaves nothing, and the Stripe key was never in plaintext in the state or the CLI's output", async () => {
    await project.ok(["destroy", "--yes"]);
    expect(liveSources()).toEqual([]);
    expect(liveViews()).toEqual([]);
    expect(project.rawState()).not.toContain(STRIPE_KEY);
    expect(project.outputs.join("\n")).not.toContain(STRIPE_KEY);
  });
});
