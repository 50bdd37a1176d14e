import { SOURCE_TYPES } from "../../provider/resources/external-data-source/job-inputs";
import { getPath } from "../../provider/resource/values";

export interface SecretSlot {
  path: string[];
  /** A secret that is a JSON object (e.g. a BigQuery key file), not a string. */
  object: boolean;
}

function withValues(jobInputs: Record<string, unknown>, slots: ReadonlyArray<{ path: string[]; value: unknown }>): Record<string, unknown> {
  const copy = structuredClone(jobInputs);
  for (const { path, value } of slots) {
    let cur: Record<string, unknown> = copy;
    for (const key of path.slice(0, -1)) cur = (cur[key] ??= {}) as Record<string, unknown>;
    cur[path.at(-1)!] = value;
  }
  return copy;
}

/**
 * The secret fields a generated program must declare for a source: PostHog never returns secrets (facts.md), so the
 * program gets a config placeholder for each one the type's schema needs. Starts from every known secret whose
 * parent PostHog reported, then drops (shallowest first) each one the schema accepts the config without, so
 * alternatives (Stripe's nested and legacy flat key) and optional secrets (SSH passphrases) do not become
 * required config.
 */
export function secretSlots(sourceType: string, jobInputs: Record<string, unknown>): SecretSlot[] {
  const type = SOURCE_TYPES[sourceType];
  if (!type) return [];
  const parentExists = (path: readonly string[]) => path.length === 1 || (typeof getPath(jobInputs, path.slice(0, -1)) === "object" && getPath(jobInputs, path.slice(0, -1)) !== null);
  const slotOf = (path: string[]): SecretSlot => {
    // A slot whose string placeholder the schema refuses at that very path holds an object.
    const parsed = type.schema.safeParse(withValues(jobInputs, [{ path, value: "placeholder" }]));
    const object = !parsed.success && parsed.error.issues.some((i) => i.path.join(".") === path.join(".") && i.code === "invalid_type");
    return { path, object };
  };
  let slots = type.secret.filter(parentExists).map((p) => slotOf([...p]));
  const accepts = (candidate: SecretSlot[]) => type.schema.safeParse(withValues(jobInputs, candidate.map((s) => ({ path: s.path, value: s.object ? {} : "placeholder" })))).success;
  for (const slot of [...slots].sort((a, b) => a.path.length - b.path.length)) {
    const without = slots.filter((s) => s !== slot);
    if (accepts(without)) slots = without;
  }
  return slots;
}
