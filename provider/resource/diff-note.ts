import type { PropertyChange } from "./diff";
import { deepEqual } from "./values";

/*
 * The 3.259 Node dynamic-provider host drops a provider's detailedDiff, so neither the CLI nor the event stream can
 * tell which nested field changed, or whether a secret changed at all (events mask secrets on both sides). The
 * provider therefore writes its own diff, by property path and never by value, as a debug diagnostic; `plan` reads
 * it back from the event stream. Paths only: a note never carries a value, secret or not.
 */
export const DIFF_NOTE_PREFIX = "posthog-warehouse diff ";

export interface DiffNoteChange {
  path: string[];
  replace: boolean;
}

export interface DiffNote {
  id: string;
  changes: DiffNoteChange[];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The leaf paths where two values differ; arrays and scalars count as leaves. */
export function changedLeafPaths(before: unknown, after: unknown, prefix: string[] = []): string[][] {
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => changedLeafPaths(before[key], after[key], [...prefix, key]));
  }
  return deepEqual(before ?? undefined, after ?? undefined) ? [] : [prefix];
}

export function diffNote(id: string, olds: Record<string, unknown>, news: Record<string, unknown>, changes: readonly PropertyChange[]): DiffNote {
  return {
    id,
    changes: changes.flatMap((change) => {
      const leaves = changedLeafPaths(olds[change.property], news[change.property], [change.property]);
      // A property the definition calls changed but that has no differing leaf (custom equality) is reported whole.
      return (leaves.length > 0 ? leaves : [[change.property]]).map((path) => ({ path, replace: change.replace }));
    }),
  };
}

export function formatDiffNote(note: DiffNote): string {
  return DIFF_NOTE_PREFIX + JSON.stringify(note);
}

export function parseDiffNote(message: string): DiffNote | undefined {
  const at = message.indexOf(DIFF_NOTE_PREFIX);
  if (at < 0) return undefined;
  try {
    const parsed = JSON.parse(message.slice(at + DIFF_NOTE_PREFIX.length).trim()) as DiffNote;
    return typeof parsed.id === "string" && Array.isArray(parsed.changes) ? parsed : undefined;
  } catch {
    return undefined;
  }
}
