import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";


/** The repository root, from the TypeScript source (vitest) or the compiled copy under dist/. */
export const REPO_ROOT = (() => {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "scripts", "pulumi-cli.sh"))) return dir;
  }
  throw new Error("cannot find the repository root");
})();

/** Runs scripts/pulumi-cli.sh once per process: finds, reuses or builds the pinned CLI. */
let cli: string | undefined;
export function pulumiBinDir(): string {
  cli ??= execFileSync("bash", [path.join(REPO_ROOT, "scripts", "pulumi-cli.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim().split("\n").at(-1)!;
  return cli;
}

/**
 * The engine's environment with no network: a file backend and home in a temp dir, passphrase secrets, no update
 * check, no plugin download; PATH starts with this repo's Node 22 and holds the CLI and the provider launcher.
 */
export function engineEnv(scratch: string, extra: Record<string, string> = {}): Record<string, string> {
  const bin = pulumiBinDir();
  const state = path.join(scratch, "state");
  mkdirSync(state, { recursive: true });
  return {
    PATH: [path.join(REPO_ROOT, "node_modules", ".bin"), bin, process.env.PATH ?? ""].join(path.delimiter),
    PULUMI_HOME: path.join(scratch, "home"),
    PULUMI_BACKEND_URL: `file://${state}`,
    PULUMI_CONFIG_PASSPHRASE: "engine-harness-passphrase",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "false",
    PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
    ...extra,
  };
}

/**
 * A program directory the dynamic-provider process can resolve our package and @pulumi/pulumi from (it loads the
 * serialized provider relative to its working directory), exactly as in a user's project.
 */
export function makeWorkDir(projectName: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "phw-e2e-"));
  writeFileSync(path.join(dir, "Pulumi.yaml"), `name: ${projectName}\nruntime: nodejs\n`);
  mkdirSync(path.join(dir, "node_modules", "@pulumi"), { recursive: true });
  symlinkSync(path.join(REPO_ROOT, "node_modules", "@pulumi", "pulumi"), path.join(dir, "node_modules", "@pulumi", "pulumi"), "dir");
  symlinkSync(path.join(REPO_ROOT, "node_modules", "pulumi-posthog-warehouse"), path.join(dir, "node_modules", "pulumi-posthog-warehouse"), "dir");
  return dir;
}

/** A stack's state file exactly as the file backend under `scratch` stores it (secrets encrypted). */
export function readStateFile(scratch: string, stackName: string): string {
  const dir = path.join(scratch, "state", ".pulumi", "stacks");
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(`${stackName}.json`))
    .map((f) => readFileSync(path.join(dir, f), "utf8"))
    .join("\n");
}
