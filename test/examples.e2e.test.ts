import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator, type RecordedRequest } from "./emulator";
import { engineEnv, pulumiBinDir, REPO_ROOT, userInstall } from "./harness/engine-env";
import { TestStack } from "./harness/stack";

/*
 * Every Pulumi project in examples/, run as a user runs it: the folder copied as is, this package installed from
 * its `npm pack` tarball, the `pulumi` CLI running the program through the Node.js language host (TypeScript
 * compiled with the example's own tsconfig.json), against the emulator. up, a no-op preview with no API call,
 * refresh with nothing to change, destroy with nothing left.
 */
const EXAMPLES = path.join(REPO_ROOT, "examples");
// Node.js projects; examples/native-yaml (a YAML program for the native plugin) runs in examples.native-yaml.e2e.test.ts.
const projects = readdirSync(EXAMPLES).filter((name) => existsSync(path.join(EXAMPLES, name, "Pulumi.yaml")) && /^runtime:\s*nodejs/m.test(readFileSync(path.join(EXAMPLES, name, "Pulumi.yaml"), "utf8")));

/** Config an example's program requires beyond the PostHog connection (what its comments tell a user to set). */
const EXAMPLE_CONFIG: Record<string, Record<string, { value: string; secret?: boolean }>> = {
  "postgres-source": { dbHost: { value: "db.internal" }, dbPassword: { value: "example-db-password", secret: true } },
  "stripe-source": { stripeAccountId: { value: "acct_example" }, stripeSecretKey: { value: "sk_test_example", secret: true } },
  "warehouse-tables": { ordersAccessKey: { value: "AKIA_EXAMPLE", secret: true }, ordersAccessSecret: { value: "example-access-secret", secret: true } },
};

const live = (emulator: Emulator) =>
  [emulator.state.sources, emulator.state.views, emulator.state.tables, emulator.state.joins].reduce((sum, objects) => sum + objects.filter((o) => !o.deleted).length, 0);
const ours = (changes: Record<string, number> | undefined) => changes ?? {};

it("finds the example projects", () => {
  expect(projects).toEqual(expect.arrayContaining(["quickstart", "postgres-source", "stripe-source"]));
});

describe.each(projects)("examples/%s through the pulumi CLI", (name) => {
  let emulator: Emulator;
  let stack: TestStack<RecordedRequest>;

  beforeAll(async () => {
    emulator = await startEmulator({ syncDurationMs: 200 });
    stack = await TestStack.create({
      project: { from: path.join(EXAMPLES, name) },
      log: emulator,
      stackName: "example",
      config: {
        "posthog:host": { value: emulator.url },
        "posthog:apiKey": { value: emulator.apiKey, secret: true },
        "posthog:projectId": { value: String(emulator.projectId) },
        ...EXAMPLE_CONFIG[name],
      },
    });
  });
  afterAll(async () => {
    await stack?.dispose();
    await emulator?.close();
  });

  it("`pulumi about` shows the Node.js language plugin, with no warning about where it came from", async () => {
    const about = await promisify(execFile)(path.join(pulumiBinDir(), "pulumi"), ["about", "--stack", "example"], { cwd: stack.dir, env: { ...process.env, ...engineEnv(stack.dir) } }).catch((err: { stdout: string; stderr: string }) => err);
    expect(about.stdout).toMatch(/^language\s+nodejs\s+\d+\.\d+\.\d+/m);
    expect(about.stdout + about.stderr).not.toMatch(/from \$PATH/);
  });

  it.runIf(existsSync(path.join(EXAMPLES, name, "tsconfig.json")))("type-checks with its own tsconfig.json against the installed package (`tsc`, as a user's build or CI lint runs it)", async () => {
    // Pulumi runs TypeScript through ts-node, which reports errors in the program's own files only; `tsc` also checks
    // the declarations the program reaches, ours and those they import (zod's need esModuleInterop).
    const tsc = path.join(userInstall(), "node_modules", "typescript", "bin", "tsc");
    const run = await promisify(execFile)(process.execPath, [tsc, "--noEmit", "-p", stack.dir]).catch((err: { stdout: string; stderr: string }) => err);
    expect(run.stdout + run.stderr).toBe("");
  }, 120_000);

  it("up creates what the program declares; a no-op preview makes no API call; refresh changes nothing; destroy leaves nothing", async () => {
    const up = await stack.up();
    expect(up.result.summary.result).toBe("succeeded");
    const created = ours(up.result.summary.resourceChanges).create ?? 0;
    expect(created).toBeGreaterThan(1); // the stack and at least one PostHog object
    expect(live(emulator)).toBe(created - 1);

    const preview = await stack.preview();
    expect(Object.keys(preview.result.changeSummary)).toEqual(["same"]);
    expect(preview.result.changeSummary.same).toBe(created);
    expect(preview.requests).toHaveLength(0);

    const refresh = await stack.refresh();
    expect(refresh.result.summary.result).toBe("succeeded");
    expect(Object.keys(ours(refresh.result.summary.resourceChanges))).toEqual(["same"]);
    expect(refresh.requests.filter((r) => r.method !== "GET")).toEqual([]);

    const destroy = await stack.destroy();
    expect(ours(destroy.result.summary.resourceChanges).delete).toBe(created);
    expect(live(emulator)).toBe(0);
  }, 600_000);
});

describe("a user project on a newer @pulumi/pulumi (3.270.0)", () => {
  const SDK = "3.270.0";
  let emulator: Emulator;
  let stack: TestStack<RecordedRequest>;

  beforeAll(async () => {
    emulator = await startEmulator({ syncDurationMs: 200 });
    stack = await TestStack.create({
      project: { from: path.join(EXAMPLES, "quickstart"), sdk: SDK },
      log: emulator,
      stackName: "newer-sdk",
      config: { "posthog:host": { value: emulator.url }, "posthog:apiKey": { value: emulator.apiKey, secret: true }, "posthog:projectId": { value: String(emulator.projectId) } },
    });
  });
  afterAll(async () => {
    await stack?.dispose();
    await emulator?.close();
  });

  it("holds one copy of @pulumi/pulumi: the package's caret range takes the user's version", async () => {
    const { stdout } = await promisify(execFile)("npm", ["ls", "@pulumi/pulumi", "--all", "--json"], { cwd: userInstall(SDK) });
    const versions: string[] = [];
    const walk = (deps: Record<string, { version: string; dependencies?: Record<string, unknown> }> = {}) => {
      for (const [name, dep] of Object.entries(deps)) {
        if (name === "@pulumi/pulumi") versions.push(dep.version);
        walk(dep.dependencies as typeof deps);
      }
    };
    walk((JSON.parse(stdout) as { dependencies: Parameters<typeof walk>[0] }).dependencies);
    // npm lists a deduplicated dependency under each dependent; a second copy would be another version or a nested path.
    expect(new Set(versions)).toEqual(new Set([SDK]));
    expect(existsSync(path.join(userInstall(SDK), "node_modules", "pulumi-posthog-warehouse", "node_modules", "@pulumi"))).toBe(false);
  });

  it("runs examples/quickstart: up, then a no-op preview with no API call, then destroy", async () => {
    const up = await stack.up();
    expect(up.result.summary.result).toBe("succeeded");
    const preview = await stack.preview();
    expect(Object.keys(preview.result.changeSummary)).toEqual(["same"]);
    expect(preview.requests).toHaveLength(0);
    await stack.destroy();
    expect(live(emulator)).toBe(0);
  }, 600_000);
});
