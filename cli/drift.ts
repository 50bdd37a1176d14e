import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { PostHogClient } from "../provider/client";
import { applyConnectionFlags, COMMON_HELP, COMMON_OPTIONS, parseCommand, type CommandSpec } from "./options";
import { emitReport } from "./output";
import type { Progress } from "./progress";
import { driftFromRefresh, driftReport, managedIds } from "./report/drift-report";
import { ourTypeName } from "./report/events";
import { driftMarkdown, driftSummaryLine } from "./report/markdown";
import { findUnmanaged, type IgnoreRules, type UnmanagedListing } from "./report/unmanaged";
import { openStack, stackConnection } from "./stack";

const options = {
  ...COMMON_OPTIONS,
  "update-state": { type: "boolean", default: false },
  "skip-unmanaged": { type: "boolean", default: false },
  ignore: { type: "string", multiple: true },
  "ignore-stack": { type: "string", multiple: true },
} as const;

export const driftSpec = {
  name: "drift",
  summary:
    "Compare a stack with live PostHog: properties changed outside Pulumi, resources deleted outside Pulumi, and sources, views, tables or joins in the project the stack does not manage (PostHog's own managed views are never listed). Exit code 0 = no drift, 2 = drift, 1 = error.",
  usage: "posthog-warehouse drift [--cwd <dir>] [--stack <name>] [--out <file>] [--json <file>] [--update-state] [--ignore <name|prefix*>]... [--ignore-stack <stack>]...",
  options,
  help: {
    ...COMMON_HELP,
    "update-state": "also write what PostHog has into the state (a real `pulumi refresh`); by default the state is not touched",
    "skip-unmanaged": "do not list the project's sources and views to find unmanaged ones",
    ignore: "leave out of the unmanaged list: a view name, a source prefix or an id, or a prefix of one ending in * (repeatable)",
    "ignore-stack": "leave out what another stack manages: read its state (a stack name as `pulumi stack select` takes it; repeatable)",
  },
  example: "posthog-warehouse drift --cwd infra --stack prod --ignore 'scratch_*' --ignore-stack staging --json drift.json || echo \"drift or error: $?\"",
} satisfies CommandSpec<typeof options>;

/** Ids of this package's objects in another stack's state, so one project shared by several stacks is not drift. */
async function idsOfStack(stack: Stack, name: string): Promise<string[]> {
  const deployment = await stack.workspace.exportStack(name);
  const resources = (deployment.deployment as { resources?: Array<{ type?: string; id?: string }> }).resources ?? [];
  return resources.filter((r) => r.type && ourTypeName(r.type) && r.id).map((r) => r.id!);
}

async function listUnmanaged(stack: Stack, managed: Set<string>, rules: Omit<IgnoreRules, "otherStacks">, otherStacks: readonly string[], progress: Progress): Promise<UnmanagedListing> {
  const others = new Set<string>();
  for (const name of otherStacks) {
    progress.step(`reading stack ${name}'s state to leave out what it manages`);
    for (const id of await idsOfStack(stack, name)) others.add(id);
  }
  const connection = await stackConnection(stack);
  progress.step(`listing sources, views, tables and joins in PostHog project ${connection.projectId}`);
  const client = new PostHogClient(connection);
  try {
    const sources = [];
    for await (const source of client.externalDataSources.list()) sources.push(source);
    const views = [];
    for await (const view of client.savedQueries.list()) views.push(view);
    const tables = [];
    for await (const table of client.warehouseTables.list({ include_columns: "false" })) tables.push(table);
    const joins = [];
    for await (const join of client.warehouseJoins.list()) joins.push(join);
    return findUnmanaged({ sources, views, tables, joins }, managed, { ...rules, otherStacks: others });
  } finally {
    await client.close();
  }
}

export async function runDrift(argv: string[], progress: Progress): Promise<number> {
  const flags = parseCommand(driftSpec, argv);
  applyConnectionFlags(flags);
  const stack = await openStack({ cwd: flags.cwd, stack: flags.stack });
  progress.step(`reading every resource of stack ${stack.name} from PostHog (${flags["update-state"] ? "updating" : "not touching"} the state)`);
  const events: EngineEvent[] = [];
  await stack.refresh({ previewOnly: !flags["update-state"], onEvent: (e) => events.push(e) });
  const found = driftFromRefresh(events);
  const listing = flags["skip-unmanaged"]
    ? undefined
    : await listUnmanaged(stack, managedIds(events), { patterns: flags.ignore ?? [] }, flags["ignore-stack"] ?? [], progress);
  const report = driftReport(stack.name, found, listing);
  progress.step(driftSummaryLine(report));
  emitReport(driftMarkdown(report), report, flags);
  return report.drifted ? 2 : 0;
}
