import type { z } from "zod";
import { formatPath, isUnknownAt, type PropertyPath } from "./values";

export interface CheckFailure {
  property: string;
  reason: string;
}

export type CheckOutcome<T> = { ok: true; value: T } | { ok: false; failures: CheckFailure[] };

/**
 * Validates resource inputs with their zod schema. Each failure names the top-level property (what the engine
 * highlights) and, in the reason, the full path and what was expected. Issues that sit on a value still unknown
 * during preview are skipped: they are validated again at `up` once the value is known.
 */
export function checkInputs<T>(schema: z.ZodType<T>, raw: Record<string, unknown>): CheckOutcome<T> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  const failures = parsed.error.issues
    .filter((issue) => !isUnknownAt(raw, issue.path as PropertyPath))
    .flatMap((issue) =>
      // A misspelt property is named itself, so the engine highlights it.
      issue.code === "unrecognized_keys"
        ? issue.keys.map((key) => issueToFailure([...(issue.path as PropertyPath), key], "is not a property of this resource (misspelt?)"))
        : [issueToFailure(issue.path as PropertyPath, issue.message)],
    );
  if (failures.length === 0) return { ok: true, value: raw as T };
  return { ok: false, failures: dedupe(failures) };
}

export function issueToFailure(path: PropertyPath, message: string): CheckFailure {
  const property = path.length > 0 ? String(path[0]) : "(inputs)";
  const where = path.length > 0 ? formatPath(path) : "inputs";
  return { property, reason: `${where}: ${message}` };
}

function dedupe(failures: CheckFailure[]): CheckFailure[] {
  const seen = new Set<string>();
  return failures.filter((f) => {
    const key = `${f.property}\u0000${f.reason}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
