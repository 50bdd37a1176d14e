/**
 * Runs `up` or `preview` on a Pulumi project folder in a child process, with the same inline program loader the
 * CLI uses (no language host can be built here; see the README). The stack is created when missing and its config
 * set from PHW_STACK_CONFIG. Prints the engine's change summary as one JSON line.
 *
 *   node dist/test/harness/project-op.js <up|preview> <dir> <stack>
 */
import { LocalWorkspace, type ConfigMap } from "@pulumi/pulumi/automation";
import { inlineProgram, resolveMain } from "../../cli/program-loader";

async function run(): Promise<void> {
  const [op, dir, stackName] = process.argv.slice(2);
  if ((op !== "up" && op !== "preview") || !dir || !stackName) throw new Error("usage: project-op <up|preview> <dir> <stack>");
  const ws = await LocalWorkspace.create({ workDir: dir });
  const settings = await ws.projectSettings();
  const stack = await LocalWorkspace.createOrSelectStack({ stackName, projectName: settings.name, program: inlineProgram(resolveMain(dir, settings.main)) }, { workDir: dir });
  const config = JSON.parse(process.env.PHW_STACK_CONFIG ?? "{}") as ConfigMap;
  if (Object.keys(config).length > 0) await stack.setAllConfig(config);
  const changes = op === "up" ? (await stack.up()).summary.resourceChanges : (await stack.preview()).changeSummary;
  process.stdout.write(`${JSON.stringify(changes ?? {})}\n`);
}

run().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
