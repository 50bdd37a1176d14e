import type { DiffNote } from "../../provider/resource/diff-note";
import { changedLeafPaths } from "../../provider/resource/diff-note";
import { getPath } from "../../provider/resource/values";
import type { PropertyReport } from "./model";
import { isMultiLineOrLong, unifiedDiff } from "./text-diff";
import { displayValue, pathKey, secretPaths } from "./values";

function isUnder(path: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= path.length && prefix.every((p, i) => path[i] === p);
}

/**
 * Property-level comparison for a report. Which paths changed comes from the provider's own diff when it wrote one
 * (the only source that knows whether a secret changed), else from comparing the displayed values. Values are
 * taken through displayValue, so a secret never reaches the report: it is listed by path, changed or unchanged.
 */
export function compareProperties(before: Record<string, unknown>, after: Record<string, unknown>, note?: DiffNote): PropertyReport[] {
  const secrets = [...secretPaths(before), ...secretPaths(after)];
  const isSecret = (path: string[]) => secrets.some((s) => isUnder(path, s));
  const changed: Array<{ path: string[]; replace: boolean }> = note
    ? note.changes.map((c) => ({ path: c.path, replace: c.replace }))
    : changedLeafPaths(displayValue(before), displayValue(after)).map((path) => ({ path, replace: false }));

  const reports: PropertyReport[] = [];
  const seen = new Set<string>();
  for (const { path, replace } of changed) {
    const key = pathKey(path);
    if (seen.has(key)) continue;
    seen.add(key);
    const old = getPath(before, path);
    const now = getPath(after, path);
    const change = old === undefined ? "added" : now === undefined ? "removed" : "changed";
    const report: PropertyReport = { path: key, change, secret: isSecret(path), ...(replace ? { replaces: true } : {}) };
    if (!report.secret) {
      const shownBefore = displayValue(old, path.at(-1));
      const shownAfter = displayValue(now, path.at(-1));
      if (shownBefore !== undefined) report.before = shownBefore;
      if (shownAfter !== undefined) report.after = shownAfter;
      if (typeof shownBefore === "string" && typeof shownAfter === "string" && (isMultiLineOrLong(shownBefore) || isMultiLineOrLong(shownAfter))) {
        report.textDiff = unifiedDiff(shownBefore, shownAfter);
      }
    }
    reports.push(report);
  }
  for (const path of secrets) {
    const key = pathKey(path);
    if (seen.has(key) || reports.some((r) => r.secret && isUnder(path, r.path.split(".")))) continue;
    seen.add(key);
    reports.push({ path: key, change: "unchanged", secret: true });
  }
  return reports;
}
