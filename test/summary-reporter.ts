import type { Reporter, TestModule } from "vitest/node";
import { readTotals, resetTotals } from "./harness/reliability-totals";

/** Prints the plain closing lines CI reads: the reliability totals, then "N passed, N failed, N skipped". */
export default class SummaryReporter implements Reporter {
  onInit(): void {
    resetTotals();
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const mod of modules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") counts.passed++;
        else if (state === "failed") counts.failed++;
        else counts.skipped++;
      }
    }
    const t = readTotals();
    process.stdout.write(
      `\nreliability: ${t.faultCells} fault cells, ${t.duplicates} duplicates, ${t.orphans} orphans, ${t.foreignTouched} foreign objects touched; ` +
        `${t.secretSearches} canary searches, ${t.secretHits} plaintext secret hits\n`,
    );
    process.stdout.write(`${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  }
}
