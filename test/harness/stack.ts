import { LocalWorkspace, PulumiCommand, type EngineEvent, type PulumiFn, type Stack } from "@pulumi/pulumi/automation";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { engineEnv, makeProjectDir, makeWorkDir, pulumiBinDir, readStateFile, type ProjectSource } from "./engine-env";

/** Anything that records the API requests it served (the emulator), so a test can count an operation's calls. */
export interface RequestLog<R> {
  readonly requests: readonly R[];
}

export interface OpResult<T, R> {
  result: T;
  events: EngineEvent[];
  requests: R[];
  stdout: string;
  /** Milliseconds from the start of the operation to the engine's first event and to its summary event. */
  timeline: { firstEventMs?: number; summaryMs?: number };
}

export class EngineOpError<R> extends Error {
  constructor(
    message: string,
    readonly events: EngineEvent[],
    readonly requests: R[],
    readonly stdout: string,
  ) {
    super(message);
  }
}

export interface TestStackOptions<R> {
  /**
   * A Pulumi project folder (the default way): the program is files on disk, run by the `pulumi` CLI through the
   * Node.js language host, with this package installed from its packed tarball, exactly as `pulumi up` runs a
   * user's project. Change the program with `writeFiles`.
   */
  project?: ProjectSource;
  /**
   * An inline program, run in the test process instead. Only for tests that need in-process control a project
   * cannot give (each says why where it uses it). Change it with `setProgram`.
   */
  program?: PulumiFn;
  log?: RequestLog<R>;
  config?: Record<string, { value: string; secret?: boolean }>;
  projectName?: string;
  stackName?: string;
  env?: Record<string, string>;
}

/**
 * A stack under the real Pulumi engine (the pinned CLI, local file backend), driven by the Automation API over a
 * project folder (or, where a test needs it, an inline program).
 */
export class TestStack<R = unknown> {
  private constructor(
    readonly stack: Stack,
    /** The project folder (Pulumi.yaml, the program, node_modules). */
    readonly dir: string,
    private readonly log: RequestLog<R> | undefined,
  ) {}

  static async create<R>(opts: TestStackOptions<R>): Promise<TestStack<R>> {
    const projectName = opts.projectName ?? "phw-e2e";
    if (opts.program && opts.project) throw new Error("a TestStack runs either a project folder or an inline program, not both");
    const workDir = opts.program ? makeWorkDir(projectName) : makeProjectDir(projectName, opts.project);
    const pulumiCommand = await PulumiCommand.get({ root: path.dirname(pulumiBinDir()) });
    const envVars = engineEnv(workDir, opts.env);
    const stackName = opts.stackName ?? "test";
    const stack = opts.program
      ? await LocalWorkspace.createOrSelectStack({ projectName, stackName, program: opts.program }, { workDir, pulumiCommand, envVars })
      : await LocalWorkspace.createOrSelectStack({ stackName, workDir }, { pulumiCommand, envVars });
    if (opts.config) await stack.setAllConfig(opts.config);
    return new TestStack(stack, workDir, opts.log);
  }

  private async run<T>(op: (onEvent: (e: EngineEvent) => void, onOutput: (s: string) => void) => Promise<T>): Promise<OpResult<T, R>> {
    const events: EngineEvent[] = [];
    let stdout = "";
    const before = this.log?.requests.length ?? 0;
    const started = performance.now();
    const timeline: OpResult<T, R>["timeline"] = {};
    const onEvent = (e: EngineEvent) => {
      events.push(e);
      timeline.firstEventMs ??= Math.round(performance.now() - started);
      if (e.summaryEvent) timeline.summaryMs = Math.round(performance.now() - started);
    };
    try {
      const result = await op(onEvent, (s) => (stdout += s));
      return { result, events, requests: this.log ? this.log.requests.slice(before) : [], stdout, timeline };
    } catch (err) {
      throw new EngineOpError((err as Error).message, events, this.log ? this.log.requests.slice(before) : [], stdout);
    }
  }

  /** Inline mode: the next operation runs this program. */
  setProgram(program: PulumiFn): void {
    if (!this.stack.workspace.program) throw new Error("setProgram is for inline stacks; a project stack changes its files (writeFiles)");
    this.stack.workspace.program = program;
  }
  /** Project mode: the program becomes `code` (index.ts, or the file named). */
  writeProgram(code: string, file = "index.ts"): void {
    this.writeFiles({ [file]: code });
  }
  /** Project mode: writes files into the project folder (e.g. a new index.ts), as a user edits their program. */
  writeFiles(files: Record<string, string>): void {
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(this.dir, file)), { recursive: true });
      writeFileSync(path.join(this.dir, file), content);
    }
  }
  preview() {
    return this.run((onEvent, onOutput) => this.stack.preview({ onEvent, onOutput, diff: true }));
  }
  /** `replace`: URNs to replace whatever their diff says, as `pulumi up --replace <urn>` does. */
  up(opts: { replace?: string[] } = {}) {
    return this.run((onEvent, onOutput) => this.stack.up({ onEvent, onOutput, ...opts }));
  }
  refresh() {
    return this.run((onEvent, onOutput) => this.stack.refresh({ onEvent, onOutput }));
  }
  destroy() {
    return this.run((onEvent, onOutput) => this.stack.destroy({ onEvent, onOutput }));
  }
  async exportState(): Promise<string> {
    return JSON.stringify((await this.stack.exportStack()).deployment);
  }
  /**
   * The state file exactly as the file backend stores it, secrets encrypted. (`exportState` goes through
   * `pulumi stack export --show-secrets`, which the Automation API uses, so it shows secrets in plaintext.)
   */
  rawState(): string {
    return readStateFile(this.dir, this.stack.name);
  }

  async dispose(): Promise<void> {
    await this.stack.workspace.removeStack(this.stack.name, { force: true }).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
