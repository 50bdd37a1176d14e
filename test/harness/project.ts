import { LocalWorkspace, PulumiCommand, type ConfigMap } from "@pulumi/pulumi/automation";
import { execFile } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { engineEnv, makeProjectDir, pulumiBinDir, readStateFile, type ProjectSource } from "./engine-env";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A Pulumi project folder (makeProjectDir) for the GitOps commands: `posthog-warehouse` as installed in the
 * project from the packed tarball, run in a child process, and `pulumi up`/`preview` of any of its stacks.
 */
export class TestProject {
  readonly dir: string;
  private readonly env: Record<string, string>;

  constructor(projectName: string, source: ProjectSource = {}, env: Record<string, string> = {}) {
    this.dir = makeProjectDir(projectName, source);
    this.env = engineEnv(this.dir, env);
  }

  writeProgram(code: string, file = "index.ts"): void {
    writeFileSync(path.join(this.dir, file), code);
  }

  /** A stack's state file exactly as the file backend stores it (secrets encrypted). */
  rawState(stack: string): string {
    return readStateFile(this.dir, stack);
  }

  /** `posthog-warehouse <args>`: the bin of the package installed in this project, as `npx posthog-warehouse` runs it. */
  cli(args: string[], extraEnv: Record<string, string> = {}): Promise<RunResult> {
    const main = path.join(this.dir, "node_modules", "pulumi-posthog-warehouse", "dist", "cli", "main.js");
    return new Promise((resolve) => {
      execFile(process.execPath, ["--no-warnings", main, ...args], { cwd: this.dir, env: { ...process.env, ...this.env, ...extraEnv }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
      );
    });
  }

  /** up or preview of this folder's program on `stack` (created when missing, `config` set first); the change summary. */
  async op(op: "up" | "preview", stackName: string, config: ConfigMap = {}): Promise<Record<string, number>> {
    const pulumiCommand = await PulumiCommand.get({ root: path.dirname(pulumiBinDir()) });
    const stack = await LocalWorkspace.createOrSelectStack({ stackName, workDir: this.dir }, { pulumiCommand, envVars: this.env });
    if (Object.keys(config).length > 0) await stack.setAllConfig(config);
    const changes = op === "up" ? (await stack.up()).summary.resourceChanges : (await stack.preview()).changeSummary;
    return (changes ?? {}) as Record<string, number>;
  }
}

export function removeProject(project: TestProject | undefined): void {
  if (project) rmSync(project.dir, { recursive: true, force: true });
}
