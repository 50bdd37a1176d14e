import type { EngineEvent } from "@pulumi/pulumi/automation";
import { applyConnectionFlags, COMMON_HELP, COMMON_OPTIONS, parseCommand, type CommandSpec } from "./options";
import { emitReport } from "./output";
import type { Progress } from "./progress";
import { planMarkdown, planSummaryLine } from "./report/markdown";
import { ourTypeName } from "./report/events";
import { planReport } from "./report/plan-report";
import { openStack } from "./stack";

export const planSpec = {
  name: "plan",
  summary:
    "Preview a stack and print a change report for a pull request: one section per PostHog warehouse resource, property by property (other providers' resources in the stack are left out).",
  usage: "posthog-warehouse plan [--cwd <dir>] [--stack <name>] [--out <file>] [--json <file>]",
  options: COMMON_OPTIONS,
  help: COMMON_HELP,
  example: "posthog-warehouse plan --cwd infra --stack prod --out plan.md --json plan.json",
} satisfies CommandSpec<typeof COMMON_OPTIONS>;

/** Exit code 0 when the preview ran (whatever it found), 1 on an error. */
export async function runPlan(argv: string[], progress: Progress): Promise<number> {
  const flags = parseCommand(planSpec, argv);
  applyConnectionFlags(flags);
  const stack = await openStack({ cwd: flags.cwd, stack: flags.stack });
  progress.step(`previewing stack ${stack.name} (runs the program; reads nothing from PostHog)`);
  const events: EngineEvent[] = [];
  await stack.preview({
    onEvent: (e) => {
      events.push(e);
      const step = e.resourcePreEvent?.metadata;
      if (step && step.op !== "same" && ourTypeName(step.type)) progress.step(`  ${step.op} ${step.urn.slice(step.urn.lastIndexOf("::") + 2)}`);
    },
  });
  const report = planReport(stack.name, events);
  progress.step(planSummaryLine(report));
  emitReport(planMarkdown(report), report, flags);
  return 0;
}
