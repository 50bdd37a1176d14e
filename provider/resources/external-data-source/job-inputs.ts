import { z } from "zod";
import { deepEqual } from "../../resource/values";
import { SOURCE_CATALOGUE, SSH_TUNNEL_FIELDS, type CatalogueField, type SourceDefinition } from "./catalogue";

/*
 * Everything the provider knows about a source type's `jobInputs` comes from PostHog's own source definitions
 * (catalogue.ts): the validation schema, the secret paths (Pulumi secrets here; PostHog never returns them on read),
 * the value that switches a field off when its declaration is removed, and how to read PostHog's copy back.
 */

const port = z.union([z.number().int().min(1).max(65535), z.string().regex(/^\d{1,5}$/, "must be a port number").refine((p) => Number(p) >= 1 && Number(p) <= 65535, "must be a port number")]);
const numeric = z.union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/, "must be a number")]);

function fieldSchema(field: CatalogueField): z.ZodType {
  switch (field.type) {
    case "text":
    case "textarea":
    case "password":
      return field.required ? z.string().min(1, `${field.name} must not be empty`) : z.string();
    case "email":
      return z.email("must be an email address");
    case "number":
      // Ports are numbers in PostHog's wizard; the range is ours, so a typo fails at check rather than at connect.
      return field.name === "port" ? port : numeric;
    case "select": {
      const values = field.options.map((o) => o.value);
      if (!field.options.some((o) => o.fields)) {
        const plain = z.enum(values as [string, ...string[]], { error: `must be one of ${values.join(", ")}` });
        return field.converter === "str_to_bool" ? z.union([z.boolean(), plain]) : plain;
      }
      const variants = field.options.map((o) => objectSchema(o.fields ?? [], { selection: z.literal(o.value) }));
      return z.discriminatedUnion("selection", variants as unknown as [z.ZodObject, ...z.ZodObject[]], { error: `selection must be one of ${values.join(", ")}` });
    }
    case "switch-group":
      return z.union([objectSchema(field.fields, { enabled: z.literal(true) }), z.object({ enabled: z.literal(false) }).loose()]);
    case "ssh-tunnel":
      return objectSchema(SSH_TUNNEL_FIELDS);
    case "oauth":
      return z.union([z.number().int(), z.string().min(1)]);
    case "file-upload":
      return z.record(z.string(), z.unknown());
  }
}

function isRequired(field: CatalogueField): boolean {
  // A plain select with a default (MySQL's using_ssl) is always filled in by PostHog's form: omitting it means the default.
  if (field.type === "select" && !field.options.some((o) => o.fields)) return false;
  return "required" in field && field.required;
}

/** Unknown keys pass: PostHog adds fields over time, so an unknown key is a warning (unknownJobInputKeys), not a refusal. */
function objectSchema(fields: CatalogueField[], extra: Record<string, z.ZodType> = {}): z.ZodObject {
  const shape: Record<string, z.ZodType> = { ...extra };
  for (const field of fields) shape[field.name] = isRequired(field) ? fieldSchema(field) : fieldSchema(field).optional();
  return z.object(shape).loose();
}

function definitionSchema(def: SourceDefinition): z.ZodType<Record<string, unknown>> {
  const base = objectSchema(def.fields) as unknown as z.ZodType<Record<string, unknown>>;
  if (!def.oneOf) return base;
  const keys = def.oneOf;
  return base.refine((v) => keys.some((k) => v[k] !== undefined), `needs one of ${keys.join(", ")}`);
}

function secretPathsOf(fields: CatalogueField[], prefix: string[] = []): string[][] {
  return fields.flatMap((field): string[][] => {
    const path = [...prefix, field.name];
    switch (field.type) {
      case "select":
        return field.options.flatMap((o) => secretPathsOf(o.fields ?? [], path));
      case "switch-group":
        return secretPathsOf(field.fields, path);
      case "ssh-tunnel":
        return secretPathsOf(SSH_TUNNEL_FIELDS, path);
      case "oauth":
        return [];
      default:
        return field.secret ? [path] : [];
    }
  });
}

function dedupePaths(paths: string[][]): string[][] {
  const seen = new Set<string>();
  return paths.filter((p) => !seen.has(p.join("\u0000")) && (seen.add(p.join("\u0000")), true));
}

export interface SourceType {
  schema: z.ZodType<Record<string, unknown>>;
  secret: ReadonlyArray<readonly string[]>;
}

/** Per catalogued type: the validation schema and secret paths derived from PostHog's definition. */
export const SOURCE_TYPES: Record<string, SourceType> = Object.fromEntries(
  Object.entries(SOURCE_CATALOGUE).map(([type, def]) => [type, { schema: definitionSchema(def), secret: dedupePaths(secretPathsOf(def.fields)) }]),
);

export const KNOWN_SOURCE_TYPES = Object.keys(SOURCE_TYPES);

/** Whether PostHog's own definition of the type (the catalogue) says which of its fields are secret. */
export function isCatalogued(sourceType: unknown): sourceType is string {
  return typeof sourceType === "string" && SOURCE_TYPES[sourceType] !== undefined;
}

/**
 * Secret paths of a config: the catalogue's for a catalogued type; for any other type every key, since nothing but
 * PostHog's definition can say which fields hold credentials (a name guess missed MongoDB's `connection_string` and
 * TemporalIO's `encryption_key`). The one place secret fields are decided: the program side wraps these as Pulumi
 * secrets, the client scrubs their values from errors, update re-sends them when the connection target moves, and
 * read keeps them from the state (PostHog never returns them).
 */
export function jobInputSecretPaths(sourceType: string, jobInputs: Record<string, unknown> | undefined): string[][] {
  const known = SOURCE_TYPES[sourceType];
  if (known) return known.secret.map((p) => [...p]);
  return Object.keys(jobInputs ?? {}).map((key) => [key]);
}

function fieldOf(sourceType: string, key: string): CatalogueField | undefined {
  return SOURCE_CATALOGUE[sourceType]?.fields.find((f) => f.name === key);
}

/** Paths of the keys a catalogued type does not define (top level and inside a selected option, switch group or SSH tunnel). */
function unknownJobInputPaths(sourceType: string, jobInputs: Record<string, unknown>): string[][] {
  const def = SOURCE_CATALOGUE[sourceType];
  if (!def) return [];
  const unknown: string[][] = [];
  const visit = (fields: CatalogueField[], value: Record<string, unknown>, prefix: string[], allowed: string[]) => {
    for (const [key, inner] of Object.entries(value)) {
      const field = fields.find((f) => f.name === key);
      if (!field) {
        if (!allowed.includes(key)) unknown.push([...prefix, key]);
        continue;
      }
      if (!inner || typeof inner !== "object" || Array.isArray(inner)) continue;
      const obj = inner as Record<string, unknown>;
      if (field.type === "select") {
        const option = field.options.find((o) => o.value === obj.selection);
        if (option?.fields) visit(option.fields, obj, [...prefix, key], ["selection"]);
      } else if (field.type === "switch-group") visit(field.fields, obj, [...prefix, key], ["enabled"]);
      else if (field.type === "ssh-tunnel") visit(SSH_TUNNEL_FIELDS, obj, [...prefix, key], []);
    }
  };
  visit(def.fields, jobInputs, [], []);
  return unknown;
}

/** Keys a catalogued type does not define: worth a warning, not a refusal. */
export function unknownJobInputKeys(sourceType: string, jobInputs: Record<string, unknown>): string[] {
  return unknownJobInputPaths(sourceType, jobInputs).map((path) => path.join("."));
}

/**
 * The paths kept from plaintext: the secret paths, plus, for a catalogued type, every key its definition does not
 * have (a misspelt `pasword`, a field PostHog added since): with no definition, nothing can say it is not a
 * credential, the same reason all of an uncatalogued type's `jobInputs` is secret. (Rotation and re-send rules keep
 * to jobInputSecretPaths: they are about what PostHog treats as a credential.)
 */
export function jobInputHiddenPaths(sourceType: string, jobInputs: Record<string, unknown> | undefined): string[][] {
  return [...jobInputSecretPaths(sourceType, jobInputs), ...unknownJobInputPaths(sourceType, jobInputs ?? {})];
}

export type ResetOutcome = { ok: true; value: unknown } | { ok: false; reason: string };

/**
 * What to send PostHog when a key's declaration is removed. PostHog merges `job_inputs` (`{**existing, **incoming}`),
 * so an omitted key would keep its old value: removal must send the field's "off" value. A field that has none
 * (an OAuth integration, a key file, a required field) cannot be removed in place.
 */
export function jobInputReset(sourceType: string, key: string): ResetOutcome {
  const field = fieldOf(sourceType, key);
  // Not in the catalogue: PostHog stores null and drops the key from reads.
  if (!field) return { ok: true, value: null };
  switch (field.type) {
    case "ssh-tunnel":
      return { ok: true, value: { enabled: false } };
    case "switch-group":
      return { ok: true, value: { enabled: false } };
    case "select":
      if (field.options.some((o) => o.fields)) break;
      return { ok: true, value: field.converter === "str_to_bool" ? field.defaultValue === "true" : field.defaultValue };
    case "oauth":
    case "file-upload":
      break;
    default:
      if (!field.required) return { ok: true, value: field.type === "number" ? null : "" };
  }
  return { ok: false, reason: `jobInputs.${key} cannot be removed from a ${sourceType} source (PostHog has no "off" value for it): set it to the value you want instead` };
}

/** A value PostHog holds that means "not set": reads report it as absent, so an undeclared default is not drift. */
export function isUnsetJobInput(sourceType: string, key: string, value: unknown): boolean {
  if (value === undefined || value === null || value === "") return true;
  const field = fieldOf(sourceType, key);
  if (!field) return false;
  if (field.type === "ssh-tunnel" || field.type === "switch-group") {
    const enabled = (value as { enabled?: unknown } | null)?.enabled;
    return enabled === false || enabled === "false" || enabled === undefined;
  }
  const reset = jobInputReset(sourceType, key);
  return reset.ok && String(reset.value) === String(value);
}

function sameScalar(a: unknown, b: unknown): boolean {
  // PostHog may store numbers as strings (ports) and booleans as "true"/"false" (str_to_bool selects).
  return deepEqual(a, b) || (a !== null && b !== null && typeof a !== "object" && typeof b !== "object" && String(a) === String(b));
}

/** PostHog's value for one key, secrets (which it never returns) taken from `declared`. */
function mergeKnown(declared: unknown, remote: unknown, secretPaths: string[][]): unknown {
  if (remote && typeof remote === "object" && !Array.isArray(remote)) {
    const d = declared && typeof declared === "object" && !Array.isArray(declared) ? (declared as Record<string, unknown>) : {};
    const out: Record<string, unknown> = {};
    const keys = new Set([...Object.keys(remote), ...secretPaths.filter((p) => p.length === 1).map((p) => p[0]!)]);
    for (const key of keys) {
      const inner = secretPaths.filter((p) => p[0] === key).map((p) => p.slice(1));
      const value = inner.some((p) => p.length === 0) ? d[key] : mergeKnown(d[key], (remote as Record<string, unknown>)[key], inner);
      if (value !== undefined) out[key] = value;
    }
    return deepEqual(out, declared) ? declared : out;
  }
  return sameScalar(declared, remote) ? declared : remote;
}

/**
 * `jobInputs` as PostHog reports them, for refresh. PostHog drops secret and unknown keys from reads (facts.md), so
 * for those the declared value stands (an omitted secret is never drift). Everything else is PostHog's: a key
 * changed or added in the UI shows, a key switched off shows as absent.
 */
export function reportedJobInputs(sourceType: string, declared: Record<string, unknown>, remote: Record<string, unknown>): Record<string, unknown> {
  const def = SOURCE_CATALOGUE[sourceType];
  const secrets = jobInputSecretPaths(sourceType, declared);
  const out: Record<string, unknown> = {};
  // For a type outside the catalogue, PostHog's defaults are unknown here: only declared keys are compared.
  const keys = new Set([...Object.keys(declared), ...(def ? Object.keys(remote) : [])]);
  for (const key of keys) {
    const field = def?.fields.find((f) => f.name === key);
    const inner = secrets.filter((p) => p[0] === key).map((p) => p.slice(1));
    let value: unknown;
    if (!(key in remote)) {
      // Not returned: a secret, a key PostHog does not know, or (for a catalogued non-secret field) removed in the UI.
      const hidden = inner.some((p) => p.length === 0) || !def || !field;
      value = hidden ? declared[key] : undefined;
    } else {
      value = mergeKnown(declared[key], remote[key], inner);
      if (isUnsetJobInput(sourceType, key, value) && !(key in declared && isUnsetJobInput(sourceType, key, declared[key]))) value = undefined;
      else if (isUnsetJobInput(sourceType, key, value)) value = declared[key];
    }
    if (value !== undefined) out[key] = value;
  }
  return out;
}
