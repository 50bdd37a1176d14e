import { execFile } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { engineEnv, makeWorkDir, readStateFile, REPO_ROOT } from "./engine-env";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A Pulumi project folder with a TypeScript program, run through the compiled CLI and harness in child processes. */
export class TestProject {
  readonly dir: string;
  private readonly env: Record<string, string>;

  constructor(projectName: string, env: Record<string, string> = {}) {
    this.dir = makeWorkDir(projectName);
    this.env = engineEnv(this.dir, env);
  }

  writeProgram(code: string, file = "index.ts"): void {
    writeFileSync(path.join(this.dir, file), code);
  }

  private exec(script: string, args: string[], extraEnv: Record<string, string> = {}): Promise<RunResult> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        ["--no-warnings", path.join(REPO_ROOT, "dist", script), ...args],
        { cwd: this.dir, env: { ...process.env, ...this.env, ...extraEnv }, maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
      );
    });
  }

  /** A stack's state file exactly as the file backend stores it (secrets encrypted). */
  rawState(stack: string): string {
    return readStateFile(this.dir, stack);
  }

  /** `posthog-warehouse <args>` */
  cli(args: string[], extraEnv: Record<string, string> = {}): Promise<RunResult> {
    return this.exec("cli/main.js", args, extraEnv);
  }

  /** up or preview of this folder's program on `stack`, creating the stack with `config` first. */
  async op(op: "up" | "preview", stack: string, config: Record<string, { value: string; secret?: boolean }> = {}): Promise<Record<string, number>> {
    const result = await this.exec("test/harness/project-op.js", [op, this.dir, stack], { PHW_STACK_CONFIG: JSON.stringify(config) });
    if (result.code !== 0) throw new Error(`${op} failed (${result.code}): ${result.stderr}`);
    return JSON.parse(result.stdout.trim().split("\n").at(-1)!) as Record<string, number>;
  }
}

export function removeProject(project: TestProject | undefined): void {
  if (project) rmSync(project.dir, { recursive: true, force: true });
}
