import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PostHogClient } from "../provider/client";
import { resolveConnection, type ConfigSource } from "../provider/config";
import { generateProgram } from "./import/generate";
import { applyConnectionFlags, INSECURE_HTTP_HELP, parseCommand, UsageError, type CommandSpec } from "./options";
import type { Progress } from "./progress";

const options = {
  project: { type: "string" },
  host: { type: "string" },
  "allow-insecure-http": { type: "boolean", default: false },
  out: { type: "string", default: "." },
  file: { type: "string", default: "index.ts" },
  cwd: { type: "string", default: "." },
  stack: { type: "string" },
  force: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

export const importSpec = {
  name: "import",
  summary:
    "Write a Pulumi program that adopts every source and view of a PostHog project: `pulumi up` then records them in the stack without changing them, and the next preview shows no change. Secrets become config placeholders.",
  usage: "posthog-warehouse import [--project <id>] [--host <url>] [--out <dir>] [--file <name>] [--force]",
  options,
  help: {
    project: "PostHog project id (default: posthog:projectId of --stack, then POSTHOG_PROJECT_ID)",
    host: "PostHog host (default: posthog:host of --stack, then POSTHOG_HOST, then https://us.posthog.com)",
    "allow-insecure-http": INSECURE_HTTP_HELP,
    out: "folder to write the program into (default: .); a Pulumi.yaml is added if missing",
    file: "program file name (default: index.ts)",
    cwd: "Pulumi project whose stack config to read the connection from, with --stack",
    stack: "read posthog:host, posthog:apiKey and posthog:projectId from this stack's config",
    force: "overwrite an existing program file",
    help: "show this help",
  },
  example: "POSTHOG_PERSONAL_API_KEY=phx_... posthog-warehouse import --project 12345 --out infra",
} satisfies CommandSpec<typeof options>;

async function stackConfig(cwd: string, stack: string | undefined): Promise<ConfigSource | undefined> {
  if (!stack) return undefined;
  const config = await (await LocalWorkspace.create({ workDir: cwd })).getAllConfig(stack);
  return { get: (key) => config[key]?.value };
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;

export async function runImport(argv: string[], progress: Progress): Promise<number> {
  const flags = parseCommand(importSpec, argv);
  applyConnectionFlags(flags);
  const connection = resolveConnection(await stackConfig(flags.cwd, flags.stack), process.env, { projectId: flags.project, host: flags.host });
  const target = path.resolve(flags.out, flags.file);
  if (existsSync(target) && !flags.force) throw new UsageError(`${target} exists: pass --force to overwrite it`);

  const client = new PostHogClient(connection);
  progress.step(`listing sources in PostHog project ${connection.projectId}`);
  const sources = [];
  for await (const source of client.externalDataSources.list()) sources.push(source);
  progress.step(`listing views (${count(sources.length, "source")} found)`);
  const views = [];
  // facts.md: list items omit the query, so each view is fetched.
  for await (const item of client.savedQueries.list()) if (!item.deleted) views.push(await client.savedQueries.retrieve(item.id));

  const program = generateProgram(sources, views, { host: connection.host, projectId: connection.projectId, date: new Date().toISOString().slice(0, 10) });
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, program.code);
  const projectFile = path.join(path.resolve(flags.out), "Pulumi.yaml");
  if (!existsSync(projectFile)) writeFileSync(projectFile, `name: posthog-warehouse\nruntime: nodejs\nmain: ${flags.file}\n`);

  const lines = [
    `Wrote ${target}: ${count(sources.length, "source")} and ${count(views.length, "view")} to adopt.`,
    ...(program.secrets.length > 0 ? ["", "PostHog never returns secrets; set these before `pulumi up`:", ...program.secrets.map((s) => `  pulumi config set --secret ${s.key} <value>   # ${s.resource}: ${s.path}`)] : []),
    "",
    "Then `pulumi up` adopts them (reads only, no change in PostHog) and `pulumi preview` shows no change.",
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}
