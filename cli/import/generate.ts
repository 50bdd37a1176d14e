import type { ExternalDataSource as ApiSource, SavedQuery as ApiView, WarehouseJoin as ApiJoin, WarehouseTable as ApiTable } from "../../provider/client";
import { SYNC_FREQUENCIES } from "../../provider/resources/saved-query";
import { SOURCE_TYPES } from "../../provider/resources/external-data-source/job-inputs";
import { secretSlots } from "./secret-slots";

export interface SecretConfigKey {
  key: string;
  resource: string;
  path: string;
}

export interface GeneratedProgram {
  code: string;
  secrets: SecretConfigKey[];
  resources: Array<{ type: "ExternalDataSource" | "SavedQuery" | "WarehouseTable" | "WarehouseJoin"; name: string; id: string }>;
}

/** A TypeScript expression spliced into a literal as is. */
class Code {
  constructor(readonly text: string) {}
}

function literal(value: unknown, indent: string): string {
  if (value instanceof Code) return value.text;
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    return `[\n${value.map((v) => `${indent}  ${literal(v, `${indent}  `)},`).join("\n")}\n${indent}]`;
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return "{}";
    const key = (k: string) => (/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k));
    return `{\n${entries.map(([k, v]) => `${indent}  ${key(k)}: ${literal(v, `${indent}  `)},`).join("\n")}\n${indent}}`;
  }
  if (typeof value === "string" && value.includes("\n")) return `\`${value.replace(/\\/g, "\\\\").replace(/`/g, "\\`").replace(/\$\{/g, "\\${")}\``;
  return JSON.stringify(value);
}

function words(text: string): string[] {
  return text.split(/[^A-Za-z0-9]+/).filter(Boolean);
}

function camel(parts: string[]): string {
  const joined = parts.map((w, i) => (i === 0 ? w.charAt(0).toLowerCase() + w.slice(1) : w.charAt(0).toUpperCase() + w.slice(1))).join("");
  return /^[0-9]/.test(joined) ? `_${joined}` : joined || "resource";
}

function unique(base: string, taken: Set<string>, separator: string): string {
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base}${separator}${n}`;
  taken.add(name);
  return name;
}

/** Words a generated variable may not be: JavaScript's reserved words and the names the program itself declares. */
const NOT_AN_IDENTIFIER = new Set([
  ..."break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package private protected public await arguments eval undefined NaN Infinity".split(" "),
  "config",
  "pulumi",
  "ExternalDataSource",
  "SavedQuery",
  "WarehouseTable",
  "WarehouseJoin",
  "adopted",
]);

/** A valid, unused TypeScript variable for a resource: `config` becomes `configView`, a clash gets a number. */
function variableFor(name: string, kind: "Source" | "View" | "Table" | "Join", taken: Set<string>): string {
  const base = camel(words(name));
  return unique(NOT_AN_IDENTIFIER.has(base) ? `${base}${kind}` : base, taken, "");
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let cur = target;
  for (const key of path.slice(0, -1)) {
    if (cur[key] === null || typeof cur[key] !== "object") cur[key] = {};
    cur = cur[key] as Record<string, unknown>;
  }
  cur[path.at(-1)!] = value;
}

/**
 * The program `posthog-warehouse import` writes: every source and view of the project as a resource with `adoptId`,
 * its declared properties equal to what PostHog reports (so adoption makes no change), and each secret PostHog does
 * not return as a `config.requireSecret` placeholder.
 */
export function generateProgram(
  sources: readonly ApiSource[],
  views: readonly ApiView[],
  origin: { host: string; projectId: string; date: string },
  warehouse: { tables?: readonly ApiTable[]; joins?: readonly ApiJoin[] } = {},
): GeneratedProgram {
  const names = new Set<string>();
  const variables = new Set<string>();
  const secrets: SecretConfigKey[] = [];
  const resources: GeneratedProgram["resources"] = [];
  const blocks: string[] = [];

  for (const source of sources) {
    const name = unique(words(`${source.source_type} ${source.prefix || source.id.slice(0, 8)}`).join("-").toLowerCase(), names, "-");
    const variable = variableFor(name, "Source", variables);
    const jobInputs: Record<string, unknown> = structuredClone(source.job_inputs ?? {});
    const slots = secretSlots(source.source_type, jobInputs);
    for (const slot of slots) {
      const key = camel([...words(name), ...slot.path.flatMap(words)]);
      secrets.push({ key, resource: name, path: `jobInputs.${slot.path.join(".")}` });
      setPath(jobInputs, slot.path, new Code(slot.object ? `config.requireSecretObject<Record<string, unknown>>(${JSON.stringify(key)})` : `config.requireSecret(${JSON.stringify(key)})`));
    }
    const synced = (source.schemas ?? []).filter((row) => row.should_sync).map((row) => row.name);
    const comments = [
      `// ${source.source_type} source ${source.id}${source.created_by && typeof source.created_by === "string" ? `, created by ${source.created_by}` : ""}.`,
      ...(synced.length > 0 ? [`// Syncing: ${synced.join(", ")}. Declare \`schemas\` to manage the tables as code.`] : []),
      ...(SOURCE_TYPES[source.source_type] ? [] : [`// This provider does not know ${source.source_type}'s secret fields: declare them before changing the connection.`]),
    ];
    const args = {
      adoptId: source.id,
      sourceType: source.source_type,
      prefix: source.prefix || undefined,
      description: source.description || undefined,
      jobInputs,
    };
    blocks.push(`${comments.join("\n")}\nconst ${variable} = new ExternalDataSource(${JSON.stringify(name)}, ${literal(args, "")});`);
    resources.push({ type: "ExternalDataSource", name, id: source.id });
  }

  for (const view of views) {
    const name = unique(view.name, names, "-");
    const variable = variableFor(view.name, "View", variables);
    const frequency = view.sync_frequency && (SYNC_FREQUENCIES as readonly string[]).includes(view.sync_frequency) ? view.sync_frequency : undefined;
    const args = {
      adoptId: view.id,
      name: view.name,
      query: view.query?.query ?? "",
      ...(view.is_materialized ? { materialized: true, syncFrequency: frequency } : {}),
    };
    blocks.push(`// View ${view.id}.\nconst ${variable} = new SavedQuery(${JSON.stringify(name)}, ${literal(args, "")});`);
    resources.push({ type: "SavedQuery", name, id: view.id });
  }

  for (const table of warehouse.tables ?? []) {
    const name = unique(table.name, names, "-");
    const variable = variableFor(table.name, "Table", variables);
    // PostHog never returns a table's credential: both keys become secret config placeholders.
    const credential: Record<string, Code> = {};
    for (const [field, label] of [["accessKey", "AccessKey"], ["accessSecret", "AccessSecret"]] as const) {
      const key = camel([...words(name), label]);
      secrets.push({ key, resource: name, path: `credential.${field}` });
      credential[field] = new Code(`config.requireSecret(${JSON.stringify(key)})`);
    }
    const quotes = table.options?.csv_allow_double_quotes;
    const args = {
      adoptId: table.id,
      name: table.name,
      format: table.format,
      urlPattern: table.url_pattern,
      credential,
      ...(typeof quotes === "boolean" ? { options: { csvAllowDoubleQuotes: quotes } } : {}),
    };
    blocks.push(`// Warehouse table ${table.id}.\nconst ${variable} = new WarehouseTable(${JSON.stringify(name)}, ${literal(args, "")});`);
    resources.push({ type: "WarehouseTable", name, id: table.id });
  }

  for (const join of warehouse.joins ?? []) {
    const name = unique(words(`${join.source_table_name} ${join.field_name}`).join("-").toLowerCase(), names, "-");
    const variable = variableFor(name, "Join", variables);
    const config = join.configuration ?? {};
    const configuration = {
      ...(typeof config.experiments_optimized === "boolean" && config.experiments_optimized ? { experimentsOptimized: true } : {}),
      ...(typeof config.experiments_timestamp_key === "string" ? { experimentsTimestampKey: config.experiments_timestamp_key } : {}),
    };
    const args = {
      adoptId: join.id,
      sourceTableName: join.source_table_name,
      sourceTableKey: join.source_table_key,
      joiningTableName: join.joining_table_name,
      joiningTableKey: join.joining_table_key,
      fieldName: join.field_name,
      ...(Object.keys(configuration).length > 0 ? { configuration } : {}),
    };
    blocks.push(`// Join ${join.id}.\nconst ${variable} = new WarehouseJoin(${JSON.stringify(name)}, ${literal(args, "")});`);
    resources.push({ type: "WarehouseJoin", name, id: join.id });
  }

  const header = [
    `// Generated by \`posthog-warehouse import\` from PostHog project ${origin.projectId} (${origin.host}) on ${origin.date}.`,
    "// `pulumi up` adopts every object below through its adoptId: PostHog is read, not changed.",
    ...(secrets.length > 0
      ? ["// PostHog never returns secrets. Set these first:", ...secrets.map((s) => `//   pulumi config set --secret ${s.key} <value>   # ${s.resource}: ${s.path}`)]
      : []),
    `// Stack config: posthog:host ${origin.host}, posthog:projectId ${origin.projectId}, posthog:apiKey (secret).`,
  ];
  const usesConfig = secrets.length > 0;
  const code = [
    ...header,
    ...(usesConfig ? ['import * as pulumi from "@pulumi/pulumi";'] : []),
    `import { ${[...new Set(resources.map((r) => r.type))].sort().join(", ") || "ExternalDataSource, SavedQuery"} } from "pulumi-posthog-warehouse";`,
    "",
    ...(usesConfig ? ["const config = new pulumi.Config();", ""] : []),
    blocks.join("\n\n"),
    "",
    `export const adopted = ${literal(Object.fromEntries([...variables].map((v) => [v, new Code(`${v}.id`)])), "")};`,
    "",
  ].join("\n");
  return { code, secrets, resources };
}
