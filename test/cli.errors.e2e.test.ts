import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "./emulator";
import { removeProject, TestProject } from "./harness/project";

/*
 * plan and drift when the project or the machine is not as they need it: the message is what the `pulumi` CLI said,
 * once, not the Automation API's wrapper (`code: -2 / stdout: / stderr: … / err?: …`, the same text twice).
 */
describe("plan and drift errors", () => {
  let emulator: Emulator;
  let project: TestProject;

  beforeAll(async () => {
    emulator = await startEmulator();
    project = new TestProject("cli-errors");
    project.writeProgram(`import { SavedQuery } from "pulumi-posthog-warehouse";\nnew SavedQuery("v", { name: "v", query: "select 1" });\n`);
    await project.op("up", "dev", { "posthog:host": { value: emulator.url }, "posthog:apiKey": { value: emulator.apiKey, secret: true }, "posthog:projectId": { value: String(emulator.projectId) } });
  }, 300_000);
  afterAll(async () => {
    removeProject(project);
    await emulator?.close();
  });

  const expectPlain = (stderr: string) => {
    expect(stderr).not.toMatch(/code: -?\d+\n/);
    expect(stderr).not.toMatch(/err\?:/);
  };

  it("a stack that does not exist: the CLI's own message, once", async () => {
    for (const command of ["plan", "drift"]) {
      const run = await project.cli([command, "--stack", "nope"]);
      expect(run.code).toBe(1);
      expect(run.stderr.match(/no stack named 'nope' found/g)).toHaveLength(1);
      expect(run.stderr).toContain("`pulumi stack select --stack nope` failed (exit code");
      expectPlain(run.stderr);
    }
  });

  it("no pulumi on PATH: says so and what to do", async () => {
    const run = await project.cli(["plan", "--stack", "dev"], { PATH: [path.dirname(process.execPath), "/usr/bin", "/bin"].join(path.delimiter) });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("the `pulumi` CLI is not on PATH");
    expectPlain(run.stderr);
  });

  it("a program that does not compile: the preview's diagnostics, with no wrapper", async () => {
    project.writeProgram(`import { SavedQuery } from "pulumi-posthog-warehouse";\nnew SavedQuery("v", { name: "v", query: "select 1" }));\n`);
    const run = await project.cli(["plan", "--stack", "dev"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/index\.ts\(2,\d+\): error TS\d+/);
    expectPlain(run.stderr);
  }, 120_000);
});
