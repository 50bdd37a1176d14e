import { existsSync, readFileSync } from "node:fs";
import type { ExchangeRecord } from "./recording-proxy";

export type CheckState = "passed" | "failed" | "skipped";

export interface Check {
  file: string;
  name: string;
  state: CheckState;
  failure?: string;
}

/** The checks of one vitest run, from its JSON reporter's file. */
export function readChecks(file: string, root: string): Check[] {
  if (!existsSync(file)) return [];
  const json = JSON.parse(readFileSync(file, "utf8")) as {
    testResults: Array<{ name: string; assertionResults: Array<{ fullName: string; status: string; failureMessages?: string[] }> }>;
  };
  return json.testResults.flatMap((f) =>
    f.assertionResults.map((a) => ({
      file: f.name.startsWith(root) ? f.name.slice(root.length + 1) : f.name,
      name: a.fullName,
      state: a.status === "passed" ? "passed" : a.status === "failed" ? "failed" : "skipped",
      ...(a.failureMessages?.length ? { failure: a.failureMessages[0]!.split("\n")[0] } : {}),
    })),
  );
}

export function readExchanges(file: string): ExchangeRecord[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ExchangeRecord);
}

export interface Difference {
  /** test file › test › METHOD template #n (the n-th such request of that test) */
  where: string;
  what: string;
}

/**
 * Pairs the requests two runs of the same tests made, by test and request template in order, and lists where the
 * answers differ: status, body keys, error message. What depends on the project's other objects or on timing is
 * left out: 429s (the key's other traffic), a GET only one side made (one more page, one more poll), and the keys
 * of list items when one side's page was empty.
 */
export function diffExchanges(server: ExchangeRecord[], emulator: ExchangeRecord[]): Difference[] {
  const index = (records: ExchangeRecord[]) => {
    const seen = new Map<string, number>();
    const out = new Map<string, ExchangeRecord>();
    for (const r of records.filter((x) => x.status !== 429)) {
      const key = `${r.file} › ${r.test} › ${r.method} ${r.template}`;
      const n = (seen.get(key) ?? 0) + 1;
      seen.set(key, n);
      out.set(`${key} #${n}`, r);
    }
    return out;
  };
  const a = index(server);
  const b = index(emulator);
  const diffs: Difference[] = [];
  for (const where of new Set([...a.keys(), ...b.keys()])) {
    const s = a.get(where);
    const e = b.get(where);
    if (!s || !e) {
      if ((s ?? e)!.method !== "GET") diffs.push({ where, what: s ? "only the server was asked this" : "only the emulator was asked this" });
      continue;
    }
    if (s.status !== e.status) diffs.push({ where, what: `status: server ${s.status}, emulator ${e.status}` });
    const items = (keys: string[]) => keys.filter((k) => k.includes("[]."));
    const compared = (keys: string[]) => (items(s.keys).length && items(e.keys).length ? keys : keys.filter((k) => !k.includes("[].")));
    const onlyServer = compared(s.keys).filter((k) => !e.keys.includes(k));
    const onlyEmulator = compared(e.keys).filter((k) => !s.keys.includes(k));
    if (onlyServer.length) diffs.push({ where, what: `body keys only the server sent: ${onlyServer.join(", ")}` });
    if (onlyEmulator.length) diffs.push({ where, what: `body keys only the emulator sent: ${onlyEmulator.join(", ")}` });
    if ((s.error ?? "") !== (e.error ?? "")) diffs.push({ where, what: `error: server ${JSON.stringify(s.error ?? null)}, emulator ${JSON.stringify(e.error ?? null)}` });
  }
  return diffs;
}

export interface LiveReport {
  server: string;
  projectId: number;
  runPrefix: string;
  checks: Array<Check & { emulator?: CheckState }>;
  requests: { server: number; emulator: number | null };
  differences: Difference[] | null;
  sweptAtStart: string[];
  sweptAtEnd: string[];
  remaining: string[];
}

export function formatReport(r: LiveReport): string {
  const count = (state: CheckState) => r.checks.filter((c) => c.state === state).length;
  const lines = [
    `# Live acceptance run against ${r.server} (project ${r.projectId}), run prefix ${r.runPrefix}`,
    "",
    `checks: ${count("passed")} passed, ${count("failed")} failed, ${count("skipped")} skipped`,
    "",
    ...r.checks.map((c) => `- ${c.state.padEnd(7)}${c.emulator ? ` (emulator: ${c.emulator})` : ""}  ${c.file} › ${c.name}${c.failure ? `\n    ${c.failure}` : ""}`),
    "",
    `requests recorded: ${r.requests.server} against the server${r.requests.emulator === null ? "" : `, ${r.requests.emulator} against the reference emulator`}`,
  ];
  if (r.differences === null) lines.push("no comparison with the emulator (reference run skipped)");
  else if (r.differences.length === 0) lines.push("differences from the emulator's answers: none");
  else lines.push(`differences from the emulator's answers: ${r.differences.length}`, ...r.differences.map((d) => `- ${d.where}\n    ${d.what}`));
  lines.push(
    "",
    `swept at start (earlier runs' leftovers): ${r.sweptAtStart.length ? r.sweptAtStart.join(", ") : "none"}`,
    `deleted at end: ${r.sweptAtEnd.length ? r.sweptAtEnd.join(", ") : "none"}`,
    `left with the run prefix: ${r.remaining.length ? r.remaining.join(", ") : "none"}`,
  );
  return `${lines.join("\n")}\n`;
}
