/**
 * Writes schema.json, a Pulumi package schema, from the zod schemas (the single source of truth): provider config
 * and every resource in the registry, under the tokens the native plugin serves (`posthog-warehouse:index:<Type>`).
 * `pulumi package gen-sdk` and `pulumi import` read it from the plugin's GetSchema. `--check` exits non-zero when the committed file is stale.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { providerConfigSchema } from "../provider/config";
import type { AnyResourceDefinition } from "../provider/resource/definition";
import { definitions } from "../provider/resources/registry";

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
  const resource = (def: AnyResourceDefinition) => {
    const inputs = def.inputs;
    const outputs = def.outputs ?? [];
    const ins = properties(inputs, SECRET_INPUTS[def.typeName]);
    const outs: Record<string, JsonSchema> = { ...ins.properties };
    for (const o of outputs) outs[o] ??= { $ref: "pulumi.json#/Any", description: `${o} as PostHog reports it.` };
    return {
      description: inputs.description ?? def.typeName,
      inputProperties: ins.properties,
      requiredInputs: ins.required,
      properties: outs,
      required: [...outputs.filter((o) => o !== "pendingHooks" && o.endsWith("Id")), ...ins.required],
    };
  };
  return {
    name: "posthog-warehouse",
    displayName: "PostHog data warehouse",
    description: "PostHog data warehouse sources, saved queries (views), tables over files and joins as Pulumi resources: TypeScript dynamic providers, and a native provider plugin for any language.",
    version: (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string }).version,
    config: { variables: config.properties, defaults: [] as string[] },
    provider: { description: "The PostHog warehouse provider.", inputProperties: config.properties },
    // Generated Node SDK (`pulumi package gen-sdk`): its npm name, beside this package's dynamic resources.
    language: { nodejs: { packageName: "@posthog-warehouse/native", packageDescription: "Native-provider resources for pulumi-posthog-warehouse (generated)." } },
    resources: Object.fromEntries(Object.values(definitions as Record<string, AnyResourceDefinition>).map((def) => [`posthog-warehouse:index:${def.typeName}`, resource(def)])),
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
