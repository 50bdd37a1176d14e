import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { engineEnv, pulumiBinDir, readStateFile, REPO_ROOT } from "./engine-env";

/** The native plugin's folder as a user's project finds it: in the installed package (scripts/install-self.js). */
export const NATIVE_PLUGIN_DIR = path.join(REPO_ROOT, "node_modules", "pulumi-posthog-warehouse", "plugin");

export interface CliResult {
  code: number;
  /** stdout and stderr together: everything a user sees, plugin output included. */
  output: string;
}

/** Runs scripts/pulumi-yaml.sh once per process: the YAML language host beside the CLI (cached after the first build). */
let yamlHost: string | undefined;
function ensureYamlHost(): string {
  yamlHost ??= execFileSync("bash", [path.join(REPO_ROOT, "scripts", "pulumi-yaml.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim().split("\n").at(-1)!;
  return yamlHost;
}

/**
 * A `runtime: yaml` Pulumi project in a temp folder, driven by the real `pulumi` CLI as a subprocess (the YAML
 * language host sits beside it: scripts/pulumi-yaml.sh), using the native plugin from the installed package.
 */
export class YamlProject {
  readonly dir: string;
  private readonly env: Record<string, string>;
  /** Every CLI output so far, for secret searches. */
  readonly outputs: string[] = [];

  constructor(
    readonly name: string,
    readonly stack = "test",
    env: Record<string, string> = {},
  ) {
    ensureYamlHost();
    this.dir = mkdtempSync(path.join(tmpdir(), "phw-yaml-"));
    this.env = engineEnv(this.dir, env);
  }

  /**
   * Pulumi.yaml with `resources` given as YAML text and the plugin named under `plugins.providers`, unless
   * `pluginPath` is false (the plugin is then found in Pulumi's plugin cache).
   */
  writeProgram(resourcesYaml: string, pluginPath = true): void {
    const plugins = pluginPath ? `plugins:\n  providers:\n    - name: posthog-warehouse\n      path: ${NATIVE_PLUGIN_DIR}\n` : "";
    writeFileSync(path.join(this.dir, "Pulumi.yaml"), `name: ${this.name}\nruntime: yaml\n${plugins}resources:\n${resourcesYaml}`);
  }

  /** Installs this package into the project's node_modules, as `npm install pulumi-posthog-warehouse` would. */
  linkPackage(): void {
    mkdirSync(path.join(this.dir, "node_modules"), { recursive: true });
    symlinkSync(path.join(REPO_ROOT, "node_modules", "pulumi-posthog-warehouse"), path.join(this.dir, "node_modules", "pulumi-posthog-warehouse"), "dir");
  }

  pulumi(args: string[]): Promise<CliResult> {
    return new Promise((resolve) => {
      execFile(
        path.join(pulumiBinDir(), "pulumi"),
        [...args, "--non-interactive", "--color", "never"],
        { cwd: this.dir, env: { ...process.env, ...this.env }, maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => {
          const output = `${stdout}${stderr}`;
          this.outputs.push(output);
          resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, output });
        },
      );
    });
  }

  /** Like `pulumi`, but a non-zero exit fails with the CLI's own output. */
  async ok(args: string[]): Promise<string> {
    const result = await this.pulumi(args);
    if (result.code !== 0) throw new Error(`pulumi ${args.join(" ")} exited ${result.code}:\n${result.output}`);
    return result.output;
  }

  rawState(): string {
    return readStateFile(this.dir, this.stack);
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
