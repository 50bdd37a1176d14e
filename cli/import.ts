import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PostHogClient, type ExternalDataSource as ApiSource, type SavedQuery as ApiView } from "../provider/client";
import { resolveConnection, type ConfigSource } from "../provider/config";
import { generateProgram } from "./import/generate";
import { applyConnectionFlags, INSECURE_HTTP_HELP, parseCommand, UsageError, type CommandSpec } from "./options";
import type { Progress } from "./progress";

const options = {
  project: { type: "string" },
  host: { type: "string" },
  "allow-insecure-http": { type: "boolean", default: false },
  out: { type: "string", default: "index.ts" },
  cwd: { type: "string", default: "." },
  stack: { type: "string" },
  force: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

export const importSpec = {
  name: "import",
  summary:
    "Write a Pulumi program that adopts every source, view, warehouse table and join of a PostHog project: `pulumi up` then records them in the stack without changing them, and the next preview shows no change. Secrets become config placeholders. Views PostHog manages itself are left out.",
  usage: "posthog-warehouse import [--project <id>] [--host <url>] [--out <file>] [--force]",
  options,
  help: {
    project: "PostHog project id (default: posthog:projectId of --stack, then POSTHOG_PROJECT_ID)",
    host: "PostHog host (default: posthog:host of --stack, then POSTHOG_HOST, then https://us.posthog.com)",
    "allow-insecure-http": INSECURE_HTTP_HELP,
    out: "write the program to this file, as --out does for every command (default: index.ts; a folder means <folder>/index.ts); a Pulumi.yaml is added next to it if missing",
    cwd: "Pulumi project whose stack config to read the connection from, with --stack",
    stack: "read posthog:host, posthog:apiKey and posthog:projectId from this stack's config",
    force: "overwrite an existing program file",
    help: "show this help",
  },
  example: "POSTHOG_PERSONAL_API_KEY=phx_... posthog-warehouse import --project 12345 --out infra/index.ts",
} satisfies CommandSpec<typeof options>;

async function stackConfig(cwd: string, stack: string | undefined): Promise<ConfigSource | undefined> {
  if (!stack) return undefined;
  const config = await (await LocalWorkspace.create({ workDir: cwd })).getAllConfig(stack);
  return { get: (key) => config[key]?.value };
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;

/** Every source, and every view but those PostHog manages itself, with each view's query (list items omit it: facts.md). */
async function readProject(client: PostHogClient, projectId: string, progress: Progress): Promise<{ sources: ApiSource[]; views: ApiView[]; postHogManaged: number }> {
  progress.step(`listing sources in PostHog project ${projectId}`);
  const sources: ApiSource[] = [];
  for await (const source of client.externalDataSources.list()) sources.push(source);
  progress.step(`listing views (${count(sources.length, "source")} found)`);
  const views: ApiView[] = [];
  let postHogManaged = 0;
  for await (const item of client.savedQueries.list()) {
    if (item.deleted) continue;
    const view = await client.savedQueries.retrieve(item.id);
    if (view.managed_viewset_kind) postHogManaged++;
    else views.push(view);
  }
  return { sources, views, postHogManaged };
}

export async function runImport(argv: string[], progress: Progress): Promise<number> {
  const flags = parseCommand(importSpec, argv);
  applyConnectionFlags(flags);
  const connection = resolveConnection(await stackConfig(flags.cwd, flags.stack), process.env, { projectId: flags.project, host: flags.host });
  const out = path.resolve(flags.out);
  const target = existsSync(out) && statSync(out).isDirectory() ? path.join(out, "index.ts") : out;
  if (existsSync(target) && !flags.force) throw new UsageError(`${target} exists: pass --force to overwrite it`);

  const client = new PostHogClient(connection);
  const { sources, views, postHogManaged } = await readProject(client, connection.projectId, progress).finally(() => client.close());

  progress.step(`listing warehouse tables and joins (${count(views.length, "view")} found)`);
  const tables = [];
  // Tables synced by a source come with it; only tables over files are resources of their own.
  for await (const table of client.warehouseTables.list({ include_columns: "false" })) if (!table.deleted && !table.external_data_source) tables.push(table);
  const joins = [];
  for await (const join of client.warehouseJoins.list()) if (!join.deleted) joins.push(join);

  const program = generateProgram(sources, views, { host: connection.host, projectId: connection.projectId, date: new Date().toISOString().slice(0, 10) }, { tables, joins });
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, program.code);
  const projectFile = path.join(path.dirname(target), "Pulumi.yaml");
  if (!existsSync(projectFile)) writeFileSync(projectFile, `name: posthog-warehouse\nruntime: nodejs\nmain: ${path.basename(target)}\n`);

  const lines = [
    `Wrote ${target}: ${tables.length + joins.length > 0 ? `${count(sources.length, "source")}, ${count(views.length, "view")}, ${count(tables.length, "table")} and ${count(joins.length, "join")}` : `${count(sources.length, "source")} and ${count(views.length, "view")}`} to adopt.`,
    ...(postHogManaged > 0 ? [`Left out ${count(postHogManaged, "view")} PostHog manages itself (managed_viewset_kind): PostHog refuses to let them be changed or deleted.`] : []),
    ...(program.secrets.length > 0 ? ["", "PostHog never returns secrets; set these before `pulumi up`:", ...program.secrets.map((s) => `  pulumi config set --secret ${s.key} <value>   # ${s.resource}: ${s.path}`)] : []),
    "",
    "Then `pulumi up` adopts them (reads only, no change in PostHog) and `pulumi preview` shows no change.",
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}
