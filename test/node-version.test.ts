import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";

describe("toolchain", () => {
  it("runs the tests on Node 22 or newer (from the node devDependency, not the machine's Node 20)", () => {
    const major = Number(process.versions.node.split(".")[0]);
    expect(major).toBeGreaterThanOrEqual(22);
  });

  it("puts the same Node first on the PATH that child processes (the engine, the provider plugin) inherit", () => {
    const childVersion = execFileSync("node", ["--version"], { encoding: "utf8" }).trim();
    expect(Number(childVersion.replace(/^v/, "").split(".")[0])).toBeGreaterThanOrEqual(22);
  });
});
