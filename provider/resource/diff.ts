import { deepEqual, containsUnknown } from "./values";

export type ChangeKind = "add" | "update" | "delete";

export interface PropertyChange {
  property: string;
  kind: ChangeKind;
  /** The engine must replace the resource for this change. */
  replace: boolean;
}

export interface DiffSpec {
  /** Every input property that the diff compares. */
  readonly properties: readonly string[];
  /** Properties PostHog cannot change in place (read-only, or silently ignored on PATCH). */
  readonly replaceOn: readonly string[];
  /** Per-property equality where plain structural equality is wrong (e.g. formatting-only query edits). */
  readonly equals?: Readonly<Record<string, (a: unknown, b: unknown) => boolean>>;
}

/**
 * Property-by-property comparison of the state (olds: last known outputs, which carry the inputs) with the
 * new inputs. Purely local, so `preview` makes no API call. A value still unknown during preview counts as a
 * change: the engine shows it as "computed".
 */
export function diffProperties(olds: Record<string, unknown>, news: Record<string, unknown>, spec: DiffSpec): PropertyChange[] {
  const changes: PropertyChange[] = [];
  for (const property of spec.properties) {
    const before = olds[property];
    const after = news[property];
    const same = !containsUnknown(after) && (spec.equals?.[property] ?? deepEqual)(normalizeAbsent(before), normalizeAbsent(after));
    if (same) continue;
    const kind: ChangeKind = isAbsent(before) ? "add" : isAbsent(after) ? "delete" : "update";
    changes.push({ property, kind, replace: spec.replaceOn.includes(property) });
  }
  return changes;
}

function isAbsent(value: unknown): boolean {
  return value === undefined || value === null;
}

function normalizeAbsent(value: unknown): unknown {
  return value === null ? undefined : value;
}

/**
 * Equality for lists whose items have identity (tables by name): order does not matter, items compare by key.
 * Duplicate keys are refused at check, so a keyed comparison loses nothing.
 */
export function keyedSetEquals(key: string): (a: unknown, b: unknown) => boolean {
  const byKey = (list: unknown) => new Map((Array.isArray(list) ? list : []).map((item) => [String((item as Record<string, unknown>)?.[key]), item]));
  return (a, b) => {
    if (!Array.isArray(a) || !Array.isArray(b)) return deepEqual(a, b);
    const left = byKey(a);
    const right = byKey(b);
    return left.size === right.size && [...left].every(([k, item]) => right.has(k) && deepEqual(item, right.get(k)));
  };
}
