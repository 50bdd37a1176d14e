/**
 * Writes schema.json, a Pulumi package schema, from the zod schemas (the single source of truth): provider config
 * and both resources' inputs. `--check` exits non-zero when the committed file is stale.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { providerConfigSchema } from "../provider/config";
import { externalDataSourceInputsSchema, EXTERNAL_DATA_SOURCE_OUTPUTS } from "../provider/resources/external-data-source";
import { savedQueryInputsSchema, SAVED_QUERY_OUTPUTS } from "../provider/resources/saved-query";
import { warehouseJoinInputsSchema, WAREHOUSE_JOIN_OUTPUTS } from "../provider/resources/warehouse-join";
import { warehouseTableInputsSchema, WAREHOUSE_TABLE_OUTPUTS } from "../provider/resources/warehouse-table";

/** The repository root, whether this runs from scripts/ (tests) or dist/scripts/ (npm run schema). */
const ROOT = (() => {
  let dir = __dirname;
  while (!existsSync(path.join(dir, "package.json"))) dir = path.dirname(dir);
  return dir;
})();

type JsonSchema = { type?: string; description?: string; properties?: Record<string, JsonSchema>; required?: string[]; [k: string]: unknown };

const SECRET_INPUTS: Record<string, string[]> = { ExternalDataSource: ["jobInputs"], WarehouseTable: ["credential"] };

function properties(schema: z.ZodType, secret: string[] = []) {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  const props: Record<string, JsonSchema> = {};
  for (const [name, prop] of Object.entries(json.properties ?? {})) {
    const { $schema: _s, ...rest } = prop as JsonSchema & { $schema?: string };
    props[name] = { ...pulumiType(rest), description: rest.description ?? name, ...(secret.includes(name) ? { secret: true } : {}) };
  }
  return { properties: props, required: json.required ?? [] };
}

/** Pulumi's type system is narrower than JSON Schema: nested objects and unions become Any, arrays keep a shape. */
function pulumiType(json: JsonSchema): Record<string, unknown> {
  if (json.type === "string" || json.type === "boolean" || json.type === "integer" || json.type === "number") return { type: json.type };
  if (json.type === "array") return { type: "array", items: { $ref: "pulumi.json#/Any" } };
  if (json.type === "object") return { type: "object", additionalProperties: { $ref: "pulumi.json#/Any" } };
  return { $ref: "pulumi.json#/Any" };
}

export function buildSchema() {
  const config = properties(providerConfigSchema, ["apiKey"]);
  const resource = (name: string, inputs: z.ZodType, outputs: readonly string[]) => {
    const ins = properties(inputs, SECRET_INPUTS[name]);
    const outs: Record<string, JsonSchema> = { ...ins.properties };
    for (const o of outputs) outs[o] ??= { $ref: "pulumi.json#/Any", description: `${o} as PostHog reports it.` };
    return {
      description: inputs.description ?? name,
      inputProperties: ins.properties,
      requiredInputs: ins.required,
      properties: outs,
      required: [...outputs.filter((o) => o !== "pendingHooks" && o.endsWith("Id")), ...ins.required],
    };
  };
  return {
    name: "posthog-warehouse",
    displayName: "PostHog data warehouse",
    description: "PostHog data warehouse sources, saved queries (views), tables over files and joins as Pulumi resources (TypeScript dynamic providers).",
    version: (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string }).version,
    config: { variables: config.properties, defaults: [] as string[] },
    provider: { description: "The PostHog warehouse provider.", inputProperties: config.properties },
    resources: {
      "posthog-warehouse:index:ExternalDataSource": resource("ExternalDataSource", externalDataSourceInputsSchema, EXTERNAL_DATA_SOURCE_OUTPUTS),
      "posthog-warehouse:index:SavedQuery": resource("SavedQuery", savedQueryInputsSchema, SAVED_QUERY_OUTPUTS),
      "posthog-warehouse:index:WarehouseTable": resource("WarehouseTable", warehouseTableInputsSchema, WAREHOUSE_TABLE_OUTPUTS),
      "posthog-warehouse:index:WarehouseJoin": resource("WarehouseJoin", warehouseJoinInputsSchema, WAREHOUSE_JOIN_OUTPUTS),
    },
  };
}

if (require.main === module) {
  const file = path.join(ROOT, "schema.json");
  const text = `${JSON.stringify(buildSchema(), null, 2)}\n`;
  if (process.argv.includes("--check")) {
    if (readFileSync(file, "utf8") !== text) {
      console.error("schema.json is stale: run `npm run schema`");
      process.exit(1);
    }
  } else writeFileSync(file, text);
}
