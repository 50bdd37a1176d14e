import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
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

/** The @pulumi/pulumi version this repository builds and tests with; user projects get it unless a test asks for another. */
export const PINNED_SDK = (JSON.parse(readFileSync(path.join(REPO_ROOT, "node_modules", "@pulumi", "pulumi", "package.json"), "utf8")) as { version: string }).version;

/**
 * A folder where this package is installed from its `npm pack` tarball beside @pulumi/pulumi `sdk`
 * (scripts/user-project.js, which `npm test` runs first). Reinstalled here when the build is newer than the install,
 * so a single test file run after `npm run build` still tests the current package.
 */
export function userInstall(sdk = PINNED_SDK): string {
  const dir = path.join(REPO_ROOT, ".pulumi-work", "user-project", `pulumi-${sdk}`);
  const stamp = path.join(dir, ".installed");
  const built = statSync(path.join(REPO_ROOT, "dist", "provider", "index.js")).mtimeMs;
  if (!existsSync(stamp) || statSync(stamp).mtimeMs < built) {
    execFileSync(process.execPath, [path.join(REPO_ROOT, "scripts", "user-project.js"), sdk], { stdio: ["ignore", "ignore", "inherit"] });
  }
  return dir;
}

/** What a Pulumi project folder starts from: a copy of a folder (an example), and/or files to write over it. */
export interface ProjectSource {
  /** A folder to copy, e.g. examples/quickstart (its node_modules, if any, is not copied). */
  from?: string;
  /** File name → content, written after the copy (default: nothing; a missing Pulumi.yaml is written). */
  files?: Record<string, string>;
  /** The @pulumi/pulumi version installed beside the package (default: PINNED_SDK). */
  sdk?: string;
}

/**
 * A real Pulumi project folder, as a user has it: Pulumi.yaml (`runtime: nodejs`), package.json, the program, and
 * node_modules holding this package installed from its packed tarball (a link to the shared install, `userInstall`).
 * `pulumi` runs it through the Node.js language host, exactly as `pulumi up` in the user's folder does.
 */
export function makeProjectDir(projectName: string, source: ProjectSource = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), "phw-project-"));
  if (source.from) cpSync(source.from, dir, { recursive: true, filter: (f) => path.basename(f) !== "node_modules" });
  const defaults: Record<string, string> = {
    "Pulumi.yaml": `name: ${projectName}\nruntime: nodejs\n`,
    "package.json": `${JSON.stringify({ name: projectName, dependencies: { "@pulumi/pulumi": `^${PINNED_SDK}`, "pulumi-posthog-warehouse": "^0.1.0" } }, null, 2)}\n`,
  };
  for (const [file, content] of Object.entries(defaults)) if (!existsSync(path.join(dir, file)) && !source.files?.[file]) writeFileSync(path.join(dir, file), content);
  for (const [file, content] of Object.entries(source.files ?? {})) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), content);
  }
  symlinkSync(path.join(userInstall(source.sdk), "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

/**
 * For inline programs only: a program directory the dynamic-provider process can resolve our package and
 * @pulumi/pulumi from (it loads the serialized provider relative to its working directory), as in a user's project.
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
