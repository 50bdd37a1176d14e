/**
 * `npm run test:live`: the acceptance suite against the PostHog named by POSTHOG_HOST, POSTHOG_PERSONAL_API_KEY and
 * POSTHOG_PROJECT_ID (scripts/test-live-preflight.js refuses to start without them).
 *
 *  1. deletes leftovers of earlier crashed runs (objects named with the live prefix and an old run time);
 *  2. runs the suite (LIVE_SUITE) with PHW_TARGET=live, a fresh run prefix, one file at a time, every request
 *     recorded through the proxy; afterwards (finally) deletes whatever still carries the run prefix;
 *  3. runs the same suite the same way against a fresh emulator process (the reference), unless
 *     PHW_LIVE_REFERENCE=0;
 *  4. prints and writes the report: each check's result, the differences between the server's and the emulator's
 *     answers, what was deleted, what is left. Exit status 1 when a check failed or something was left.
 *
 * Writes to PHW_LIVE_OUT (default .pulumi-work/live/<run prefix>/): report.md, report.json, the vitest results and
 * the request records of both runs.
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { PostHogClient } from "../provider/client";
import { REPO_ROOT } from "../test/harness/engine-env";
import {
  bucketFromEnv,
  isLeftover,
  liveServer,
  missingServerVars,
  newRunPrefix,
  postgresFromEnv,
  stripeFromEnv,
  LIVE_PREFIX,
  POSTGRES_VAR,
  STRIPE_VAR,
  TABLE_URL_2_VAR,
  TABLE_VARS,
  type LiveServer,
} from "../test/live/config";
import { diffExchanges, formatReport, readChecks, readExchanges, type LiveReport } from "../test/live/report";
import { findPrefixed, sweepPrefixed } from "../test/live/sweep";

/** The tests written once for both targets. */
export const LIVE_SUITE = [
  "test/client.endpoints.test.ts",
  "test/emulator.test.ts",
  "test/saved-query.e2e.test.ts",
  "test/external-data-source.e2e.test.ts",
  "test/warehouse-join.e2e.test.ts",
  "test/warehouse-tables.e2e.test.ts",
];

interface SuiteRun {
  code: number;
  checksFile: string;
  recordFile: string;
}

function runSuite(server: LiveServer, runPrefix: string, outDir: string, label: string): Promise<SuiteRun> {
  const checksFile = path.join(outDir, `checks-${label}.json`);
  const recordFile = path.join(outDir, `requests-${label}.jsonl`);
  const args = [path.join(REPO_ROOT, "node_modules", "vitest", "vitest.mjs"), "run", ...LIVE_SUITE, "--no-file-parallelism", "--reporter=default", "--reporter=json", `--outputFile.json=${checksFile}`];
  const env = {
    ...process.env,
    PHW_TARGET: "live",
    PHW_RUN_PREFIX: runPrefix,
    PHW_RECORD: recordFile,
    POSTHOG_HOST: server.host,
    POSTHOG_PERSONAL_API_KEY: server.apiKey,
    POSTHOG_PROJECT_ID: String(server.projectId),
  };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ["ignore", "inherit", "inherit"] });
    child.on("exit", (code) => resolve({ code: code ?? 1, checksFile, recordFile }));
  });
}

/** `npm run emulator` as a separate process on a free port; resolves once it prints where it listens. */
async function startEmulatorProcess(): Promise<{ server: LiveServer; stop: () => void }> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, "dist", "test", "emulator", "main.js"), "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`the emulator exited (${code}) before listening`)));
  });
  const { url, apiKey, projectId } = JSON.parse(first) as { url: string; apiKey: string; projectId: number };
  return { server: { host: url, apiKey, projectId }, stop: () => void child.kill("SIGTERM") };
}

const clientFor = (server: LiveServer) => new PostHogClient({ host: server.host, apiKey: server.apiKey, projectId: server.projectId });

async function main(): Promise<number> {
  const missing = missingServerVars();
  if (missing.length > 0) {
    process.stderr.write(`test:live: set ${missing.join(", ")} (see README, "Acceptance tests against a real PostHog")\n`);
    return 2;
  }
  const server = liveServer();
  const runPrefix = newRunPrefix();
  const outDir = process.env.PHW_LIVE_OUT ?? path.join(REPO_ROOT, ".pulumi-work", "live", runPrefix.replace(/_$/, ""));
  mkdirSync(outDir, { recursive: true });
  process.stdout.write(`test:live against ${server.host}, project ${server.projectId}; run prefix ${runPrefix}; output in ${outDir}\n`);
  if (!stripeFromEnv()) process.stdout.write(`test:live: ${STRIPE_VAR} not set: the Stripe source tests are skipped\n`);
  if (!postgresFromEnv()) process.stdout.write(`test:live: ${POSTGRES_VAR} not set: the Postgres source tests are skipped\n`);
  const bucket = bucketFromEnv();
  if (!bucket) process.stdout.write(`test:live: ${TABLE_VARS.join(", ")} not all set: the WarehouseTable tests are skipped (the join tests run)\n`);
  else if (!bucket.otherUrl) process.stdout.write(`test:live: ${TABLE_URL_2_VAR} not set: the in-place urlPattern change is skipped\n`);

  const client = clientFor(server);
  let report: LiveReport;
  try {
    const atStart = await sweepPrefixed(client, LIVE_PREFIX, (name) => isLeftover(name));
    let live: SuiteRun;
    let atEnd: { deleted: string[]; failed: string[] };
    try {
      live = await runSuite(server, runPrefix, outDir, "server");
    } finally {
      atEnd = await sweepPrefixed(client, runPrefix);
    }
    const left = await findPrefixed(client, runPrefix);

    let reference: SuiteRun | undefined;
    if (process.env.PHW_LIVE_REFERENCE !== "0") {
      const emulator = await startEmulatorProcess();
      try {
        reference = await runSuite(emulator.server, runPrefix, outDir, "emulator");
      } finally {
        emulator.stop();
      }
    }
    const emulatorChecks = reference ? readChecks(reference.checksFile, REPO_ROOT) : [];
    const serverRecords = readExchanges(live.recordFile);
    const emulatorRecords = reference ? readExchanges(reference.recordFile) : null;
    report = {
      server: server.host,
      projectId: server.projectId,
      runPrefix,
      checks: readChecks(live.checksFile, REPO_ROOT).map((c) => {
        const twin = emulatorChecks.find((e) => e.file === c.file && e.name === c.name);
        return twin ? { ...c, emulator: twin.state } : c;
      }),
      requests: { server: serverRecords.length, emulator: emulatorRecords ? emulatorRecords.length : null },
      differences: emulatorRecords ? diffExchanges(serverRecords, emulatorRecords) : null,
      sweptAtStart: [...atStart.deleted, ...atStart.failed.map((f) => `NOT DELETED ${f}`)],
      sweptAtEnd: [...atEnd.deleted, ...atEnd.failed.map((f) => `NOT DELETED ${f}`)],
      remaining: [
        ...left.joins.map((j) => `join ${j.name}`),
        ...left.views.map((v) => `view ${v.name}`),
        ...left.tables.map((t) => `table ${t.name}`),
        ...left.sources.map((s) => `source ${s.prefix}`),
      ],
    };
    if (live.code !== 0 && report.checks.every((c) => c.state !== "failed")) report.checks.push({ file: "(vitest)", name: `exited with ${live.code}`, state: "failed" });
  } finally {
    await client.close();
  }
  const text = formatReport(report);
  writeFileSync(path.join(outDir, "report.md"), text);
  writeFileSync(path.join(outDir, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\n${text}`);
  return report.checks.some((c) => c.state === "failed") || report.remaining.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`test:live: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
