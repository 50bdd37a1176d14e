import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, expect, it } from "vitest";
import { pulumiBinDir, REPO_ROOT } from "./harness/engine-env";

/*
 * scripts/pulumi-cli.sh with an installed `pulumi` on PATH (README, "With an installed pulumi"), run from a copy of
 * the scripts so the repository's own .tools/ is never touched. The installed CLI is a stand-in that reports a newer
 * version and runs the cached binary, with the language host beside it as real installs ship it.
 */
let scratch: string | undefined;
afterEach(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function fakeInstall(version: string): { root: string; installed: string } {
  scratch = mkdtempSync(path.join(tmpdir(), "phw-cli-script-"));
  const root = path.join(scratch, "repo");
  cpSync(path.join(REPO_ROOT, "scripts"), path.join(root, "scripts"), { recursive: true });
  mkdirSync(path.join(root, "node_modules", "@pulumi"), { recursive: true });
  symlinkSync(path.join(REPO_ROOT, "node_modules", "@pulumi", "pulumi"), path.join(root, "node_modules", "@pulumi", "pulumi"), "dir");
  const installed = path.join(scratch, "installed", "bin");
  mkdirSync(installed, { recursive: true });
  const real = path.join(pulumiBinDir(), "pulumi");
  writeFileSync(path.join(installed, "pulumi"), `#!/bin/sh\nif [ "$1" = version ]; then echo v${version}; exit 0; fi\nexec ${JSON.stringify(real)} "$@"\n`);
  chmodSync(path.join(installed, "pulumi"), 0o755);
  symlinkSync(path.join(pulumiBinDir(), "pulumi-language-nodejs"), path.join(installed, "pulumi-language-nodejs"));
  return { root, installed };
}

const run = (root: string, PATH: string) => spawnSync("bash", [path.join(root, "scripts", "pulumi-cli.sh")], { encoding: "utf8", env: { ...process.env, PATH, PULUMI_CLI_FORCE_BUILD: "" } });

it("links an installed pulumi, also when its own .tools folder is on PATH ahead of it (no link to itself)", () => {
  const { root, installed } = fakeInstall("3.270.0");
  const systemPath = ["/usr/bin", "/bin"].join(path.delimiter);
  const first = run(root, [installed, systemPath].join(path.delimiter));
  expect(first.status, first.stderr).toBe(0);
  const bin = first.stdout.trim().split("\n").at(-1)!;
  expect(readlinkSync(path.join(bin, "pulumi"))).toBe(path.join(installed, "pulumi"));

  // A shell (or a child of the test harness) with the folder the script prints first on PATH, as engineEnv sets it.
  const again = run(root, [bin, installed, systemPath].join(path.delimiter));
  expect(again.status, again.stderr).toBe(0);
  expect(readlinkSync(path.join(bin, "pulumi"))).toBe(path.join(installed, "pulumi"));
  expect(execFileSync(path.join(bin, "pulumi"), ["version"], { encoding: "utf8" }).trim()).toBe("v3.270.0");
});
