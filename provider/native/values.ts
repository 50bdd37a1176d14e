import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { getPath } from "../resource/values";

/*
 * Pulumi's wire form of property values (sdk/go/common/resource/plugin/rpc.go): a secret is an object carrying this
 * signature key; an unknown (a value not known during preview) is a sentinel string, which the lifecycle already
 * understands (resource/values.ts UNKNOWN). The lifecycle works on plain values, so secrets are taken off on the way
 * in and put back on the way out, at the paths they had and at the paths a definition declares secret.
 */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export type Props = Record<string, unknown>;
export type Path = readonly string[];

export interface Unwrapped {
  value: Props;
  secretPaths: Path[];
}

function isSecret(value: unknown): value is { value: unknown } {
  return value !== null && typeof value === "object" && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

function strip(value: unknown, path: string[], found: Path[]): unknown {
  if (isSecret(value)) {
    found.push(path);
    return strip(value.value, path, []);
  }
  if (Array.isArray(value)) return value.map((item, i) => strip(item, [...path, String(i)], found));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, strip(v, [...path, k], found)]));
  }
  return value;
}

/** A request's Struct as plain values, and where secrets were. */
export function unwrap(struct: Struct | undefined): Unwrapped {
  const secretPaths: Path[] = [];
  const value = strip(struct?.toJavaScript() ?? {}, [], secretPaths) as Props;
  return { value, secretPaths };
}

function secretAt(value: unknown, path: Path): unknown {
  if (path.length === 0) return isSecret(value) ? value : { [SIG_KEY]: SECRET_SIG, value };
  if (value === null || typeof value !== "object" || isSecret(value)) return value;
  const [head, ...rest] = path as [string, ...string[]];
  if (!(head in value)) return value;
  if (Array.isArray(value)) return value.map((item, i) => (String(i) === head ? secretAt(item, rest) : item));
  return { ...(value as Props), [head]: secretAt((value as Props)[head], rest) };
}

/** Plain values as a Struct, with the values at `secretPaths` (where present) marked secret. */
export function wrap(value: Props, secretPaths: readonly Path[]): Struct {
  let out: unknown = value;
  // Outer paths first, so a secret object is wrapped whole and the paths inside it are then left alone.
  for (const path of [...secretPaths].sort((a, b) => a.length - b.length)) {
    if (path.length > 0 && getPath(value, path) !== undefined) out = secretAt(out, path);
  }
  return Struct.fromJavaScript(out as Record<string, never>);
}
