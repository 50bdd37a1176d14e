import { SECRET_KEY_PATTERN } from "../../provider/client/redact";
import { UNKNOWN } from "../../provider/resource/values";

// How the engine's event stream marks a secret: {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ...}.
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export const SECRET_TEXT = "[secret]";
export const UNKNOWN_TEXT = "(known after apply)";

export function isSecretMarker(value: unknown): boolean {
  return value !== null && typeof value === "object" && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/**
 * A value as a report may show it: every secret (engine-marked, or under a key that names a secret) becomes
 * "[secret]", whatever the engine put beside the marker; values unknown until apply say so.
 */
export function displayValue(value: unknown, key = ""): unknown {
  if (isSecretMarker(value)) return SECRET_TEXT;
  if (value === UNKNOWN) return UNKNOWN_TEXT;
  if (key !== "" && SECRET_KEY_PATTERN.test(key) && (typeof value === "string" || typeof value === "number")) return SECRET_TEXT;
  if (Array.isArray(value)) return value.map((v) => displayValue(v));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, displayValue(v, k)]));
  }
  return value;
}

/** Paths of every secret leaf in a value, so a report can list them as changed or unchanged. */
export function secretPaths(value: unknown, prefix: string[] = []): string[][] {
  if (isSecretMarker(value)) return [prefix];
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    const key = prefix.at(-1) ?? "";
    return key !== "" && SECRET_KEY_PATTERN.test(key) && typeof value === "string" ? [prefix] : [];
  }
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => secretPaths(v, [...prefix, k]));
}

export function pathKey(path: readonly string[]): string {
  return path.join(".");
}
