import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator, type RecordedRequest } from "./emulator";
import { pulumiBinDir, REPO_ROOT } from "./harness/engine-env";
import { TestStack } from "./harness/stack";
import { NATIVE_PLUGIN_DIR } from "./harness/yaml-project";

/*
 * The Node SDK generated from schema.json (scripts/pulumi-yaml/codegen-nodejs, Pulumi's own Node generator) for
 * TypeScript users who want native resources: compiled, loaded by a program, and served by the native plugin.
 */
let emulator: Emulator;
let scratch: string;
let stack: TestStack<RecordedRequest> | undefined;

type Sdk = { SavedQuery: new (name: string, args: { name: string; query: string }) => unknown };
let sdk: Sdk;
let query = "select event from events";

beforeAll(async () => {
  emulator = await startEmulator();
  scratch = mkdtempSync(path.join(tmpdir(), "phw-sdk-"));
  const sdkDir = path.join(scratch, "sdk");
  execFileSync(path.join(pulumiBinDir(), "posthog-warehouse-codegen"), ["sdk", path.join(REPO_ROOT, "schema.json"), sdkDir]);
  mkdirSync(path.join(sdkDir, "node_modules", "@pulumi"), { recursive: true });
  symlinkSync(path.join(REPO_ROOT, "node_modules", "@pulumi", "pulumi"), path.join(sdkDir, "node_modules", "@pulumi", "pulumi"), "dir");
  symlinkSync(path.join(REPO_ROOT, "node_modules", "@types"), path.join(sdkDir, "node_modules", "@types"), "dir");
  execFileSync(process.execPath, [path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", path.join(sdkDir, "tsconfig.json")]);
  // The SDK reads its version from a package.json beside the compiled code, as its build script lays it out.
  copyFileSync(path.join(sdkDir, "package.json"), path.join(sdkDir, "bin", "package.json"));
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the SDK is generated at run time
  sdk = require(path.join(sdkDir, "bin")) as Sdk;
});
afterAll(async () => {
  await stack?.dispose();
  await emulator?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe("generated Node SDK", () => {
  it("creates through the native plugin; a query edit previews as exactly one updated property, with no API call", async () => {
    stack = await TestStack.create({
      program: async () => void new sdk.SavedQuery("view", { name: "sdk_view", query }),
      log: emulator,
      projectName: "native-sdk",
      config: { "posthog-warehouse:host": { value: emulator.url }, "posthog-warehouse:apiKey": { value: emulator.apiKey, secret: true }, "posthog-warehouse:projectId": { value: "1" } },
      // The plugin found on PATH, as when the package's plugin folder is on it.
      env: { PATH: [NATIVE_PLUGIN_DIR, path.join(REPO_ROOT, "node_modules", ".bin"), pulumiBinDir(), process.env.PATH ?? ""].join(path.delimiter) },
    });
    await stack.up();
    expect(emulator.state.views.filter((v) => !v.deleted).map((v) => v.query.query)).toEqual([query]);

    query = "select event, timestamp from events";
    const preview = await stack.preview();
    expect(preview.requests).toEqual([]);
    const step = preview.events.find((e) => e.resourcePreEvent?.metadata.type === "posthog-warehouse:index:SavedQuery")?.resourcePreEvent?.metadata;
    expect(step?.op).toBe("update");
    expect(step?.detailedDiff).toEqual({ query: { diffKind: "update", inputDiff: true } });

    await stack.up();
    expect(emulator.state.views.filter((v) => !v.deleted).map((v) => v.query.query)).toEqual([query]);
    await stack.destroy();
    expect(emulator.state.views.filter((v) => !v.deleted)).toEqual([]);
  }, 300_000);
});
