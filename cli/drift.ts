import type { EngineEvent } from "@pulumi/pulumi/automation";
import { PostHogClient } from "../provider/client";
import { applyConnectionFlags, COMMON_HELP, COMMON_OPTIONS, parseCommand, type CommandSpec } from "./options";
import { emitReport } from "./output";
import type { Progress } from "./progress";
import { driftFromRefresh, driftReport, managedIds } from "./report/drift-report";
import { driftMarkdown, driftSummaryLine } from "./report/markdown";
import type { UnmanagedObject } from "./report/model";
import { openStack, stackConnection } from "./stack";

const options = { ...COMMON_OPTIONS, "update-state": { type: "boolean", default: false }, "skip-unmanaged": { type: "boolean", default: false } } as const;

export const driftSpec = {
  name: "drift",
  summary:
    "Compare a stack with live PostHog: properties changed outside Pulumi, resources deleted outside Pulumi, and sources or views in the project the stack does not manage. Exit code 0 = no drift, 2 = drift, 1 = error.",
  usage: "posthog-warehouse drift [--cwd <dir>] [--stack <name>] [--out <file>] [--json <file>] [--update-state]",
  options,
  help: {
    ...COMMON_HELP,
    "update-state": "also write what PostHog has into the state (a real `pulumi refresh`); by default the state is not touched",
    "skip-unmanaged": "do not list the project's sources and views to find unmanaged ones",
  },
  example: "posthog-warehouse drift --cwd infra --stack prod --json drift.json || echo \"drift or error: $?\"",
} satisfies CommandSpec<typeof options>;

async function unmanagedObjects(client: PostHogClient, managed: Set<string>): Promise<UnmanagedObject[]> {
  const found: UnmanagedObject[] = [];
  for await (const source of client.externalDataSources.list()) {
    if (!managed.has(source.id)) found.push({ type: "ExternalDataSource", id: source.id, name: `${source.source_type}${source.prefix ? ` ${source.prefix}` : ""}` });
  }
  for await (const view of client.savedQueries.list()) {
    if (!managed.has(view.id) && !view.deleted) found.push({ type: "SavedQuery", id: view.id, name: view.name });
  }
  return found;
}

export async function runDrift(argv: string[], progress: Progress): Promise<number> {
  const flags = parseCommand(driftSpec, argv);
  applyConnectionFlags(flags);
  const stack = await openStack({ cwd: flags.cwd, stack: flags.stack });
  progress.step(`reading every resource of stack ${stack.name} from PostHog (${flags["update-state"] ? "updating" : "not touching"} the state)`);
  const events: EngineEvent[] = [];
  await stack.refresh({ previewOnly: !flags["update-state"], onEvent: (e) => events.push(e) });
  const found = driftFromRefresh(events);
  let unmanaged: UnmanagedObject[] = [];
  if (!flags["skip-unmanaged"]) {
    const { apiKey, host, projectId } = await stackConnection(stack);
    progress.step(`listing sources and views in PostHog project ${projectId}`);
    unmanaged = await unmanagedObjects(new PostHogClient({ host, apiKey, projectId }), managedIds(events));
  }
  const report = driftReport(stack.name, found, unmanaged);
  progress.step(driftSummaryLine(report));
  emitReport(driftMarkdown(report), report, flags);
  return report.drifted ? 2 : 0;
}
