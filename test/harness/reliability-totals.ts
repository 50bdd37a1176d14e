import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "./engine-env";

/**
 * Suite-wide reliability counters (fault-matrix cells, duplicates, orphans, foreign objects touched, secret-canary
 * searches and hits).
 * Test files run in separate processes, so each appends its counts to one file; the summary reporter resets it
 * before the run and prints the sums at the end.
 */
export interface ReliabilityTotals {
  faultCells: number;
  duplicates: number;
  orphans: number;
  /** Objects made outside the stack that a cell's provider wrote to, deleted or took over. */
  foreignTouched: number;
  secretSearches: number;
  secretHits: number;
}

const FILE = path.join(REPO_ROOT, ".pulumi-work", "reliability-totals.jsonl");

export function recordTotals(counts: Partial<ReliabilityTotals>): void {
  mkdirSync(path.dirname(FILE), { recursive: true });
  appendFileSync(FILE, `${JSON.stringify(counts)}\n`);
}

export function resetTotals(): void {
  rmSync(FILE, { force: true });
}

export function readTotals(): ReliabilityTotals {
  const totals: ReliabilityTotals = { faultCells: 0, duplicates: 0, orphans: 0, foreignTouched: 0, secretSearches: 0, secretHits: 0 };
  if (!existsSync(FILE)) return totals;
  for (const line of readFileSync(FILE, "utf8").split("\n").filter(Boolean)) {
    const counts = JSON.parse(line) as Partial<ReliabilityTotals>;
    for (const key of Object.keys(totals) as Array<keyof ReliabilityTotals>) totals[key] += counts[key] ?? 0;
  }
  return totals;
}

/** Searches every artefact for every canary; records the search and returns the hits, each with some context. */
export function canaryHits(canaries: readonly string[], artefacts: Record<string, string>): string[] {
  const hits = canaries.flatMap((c) =>
    Object.entries(artefacts)
      .filter(([, text]) => text.includes(c))
      .map(([name, text]) => `${c} in ${name}: …${text.slice(Math.max(0, text.indexOf(c) - 160), text.indexOf(c) + 40)}…`),
  );
  recordTotals({ secretSearches: canaries.length * Object.keys(artefacts).length, secretHits: hits.length });
  return hits;
}
