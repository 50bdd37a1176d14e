import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pulumiBinDir, REPO_ROOT } from "./harness/engine-env";
import { TestStack } from "./harness/stack";

// A plain dynamic provider that is not part of the package: loaded by absolute path from the build. An inline
// program on purpose: this checks the engine and the harness themselves (the pinned CLI, the offline settings), with
// no package install in the way; the project-folder path is what the examples and lifecycle e2e tests run.
const FIXTURE = path.join(REPO_ROOT, "dist", "test", "harness", "file-provider.js");
const provider: pulumi.dynamic.ResourceProvider = {
  create: (i) => require(FIXTURE).fileProvider.create(i),
  diff: (id, o, n) => require(FIXTURE).fileProvider.diff(id, o, n),
  read: (id, p) => require(FIXTURE).fileProvider.read(id, p),
  update: (id, o, n) => require(FIXTURE).fileProvider.update(id, o, n),
  delete: (id, p) => require(FIXTURE).fileProvider.delete(id, p),
};

class FileThing extends pulumi.dynamic.Resource {
  constructor(name: string, args: { dir: string; name: string; content: string }) {
    super(provider, name, { ...args }, {}, "fixture", "FileThing");
  }
}

describe("the real Pulumi engine, offline", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "phw-file-"));
  const file = path.join(dir, "thing.json");
  let stack: TestStack;

  beforeAll(async () => {
    stack = await TestStack.create({ program: async () => void new FileThing("thing", { dir, name: "thing", content: "v1" }), projectName: "engine-fixture" });
  });
  afterAll(async () => stack?.dispose());

  it("is the pinned CLI version", () => {
    expect(execFileSync(path.join(pulumiBinDir(), "pulumi"), ["version"], { encoding: "utf8" }).trim()).toBe("v3.259.0");
  });

  it("up creates, a second preview shows no change, refresh shows an out-of-band change, destroy removes", async () => {
    const up = await stack.up();
    expect(up.result.summary.resourceChanges).toMatchObject({ create: 2 });
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ content: "v1" });

    const preview = await stack.preview();
    expect(preview.result.changeSummary).toEqual({ same: 2 });

    writeFileSync(file, JSON.stringify({ content: "edited outside" }));
    const refresh = await stack.refresh();
    expect(refresh.result.summary.resourceChanges).toMatchObject({ update: 1 });
    expect(await stack.exportState()).toContain("edited outside");

    const destroy = await stack.destroy();
    expect(destroy.result.summary.resourceChanges).toMatchObject({ delete: 2 });
    expect(existsSync(file)).toBe(false);
  }, 300_000);
});
