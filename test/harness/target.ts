import { appendFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import { PostHogClient } from "../../provider/client";
import type { ExternalDataSource, SavedQuery, WarehouseJoin, WarehouseTable } from "../../provider/client";
import { startEmulator, type Emulator, type EmulatorOptions, type RecordedRequest } from "../emulator";
import {
  bucketFromEnv,
  liveServer,
  newRunPrefix,
  postgresFromEnv,
  stripeFromEnv,
  POSTGRES_VAR,
  STRIPE_VAR,
  TABLE_VARS,
  type BucketCredentials,
  type PostgresCredentials,
  type StripeCredentials,
} from "../live/config";
import { startRecordingProxy, type ExchangeRecord } from "../live/recording-proxy";
import { prefixedJoinName, prefixedTable, sweepPrefixed } from "../live/sweep";
import { REPO_ROOT } from "./engine-env";
import type { RequestLog } from "./stack";

/**
 * The one place that decides what a test talks to: the in-process emulator (`npm test`), or, when
 * `scripts/test-live` sets PHW_TARGET=live, the PostHog server named by POSTHOG_HOST/…_API_KEY/…_PROJECT_ID,
 * reached through a local recording proxy. Tests written against a Target run unchanged in both modes.
 */
export type TargetMode = "emulator" | "live";
export const isLive = process.env.PHW_TARGET === "live";

/**
 * A test that needs the in-process emulator's controls (faults, clock, rate-limit budget, its state): never run
 * live, where it shows as skipped with "[emulator-only]" in its name.
 */
export function itEmulatorOnly(name: string, fn: () => Promise<void> | void, timeout?: number): void {
  if (isLive) it.skip(`${name} [emulator-only]`, fn);
  else it(name, fn, timeout);
}

export interface Target {
  readonly mode: TargetMode;
  /** What the provider and the tests call: the emulator, or the proxy in front of the live server. */
  readonly url: string;
  readonly apiKey: string;
  readonly projectId: number;
  /** Put in front of every name the test creates: "" against the emulator, the run's own prefix live. */
  readonly prefix: string;
  /** The in-process emulator, for emulator-only tests; undefined live. */
  readonly emulator: Emulator | undefined;
  /** Every API request made to the target, as the emulator records them, in both modes. */
  readonly log: RequestLog<RecordedRequest> & { clearRequests(): void };
  name(base: string): string;
  /** A client acting as a user in the UI would. */
  client(): PostHogClient;
  /** This test's live views (prefixed), each read in full. */
  views(): Promise<SavedQuery[]>;
  /** This test's live sources (prefixed), each read in full. */
  sources(): Promise<ExternalDataSource[]>;
  /** This test's live self-managed warehouse tables (prefixed), as the list shows them (columns included). */
  tables(): Promise<WarehouseTable[]>;
  /** This test's live joins (field name or source table prefixed), as the list shows them. */
  joins(): Promise<WarehouseJoin[]>;
  /** Live: deletes everything with this target's prefix, then stops the proxy. Emulator: stops it. */
  close(): Promise<void>;
}

export interface SourceCredentials {
  stripe: StripeCredentials | undefined;
  postgres: PostgresCredentials | undefined;
  /** A bucket PostHog can read, for warehouse tables. */
  table: BucketCredentials | undefined;
}

/** What the emulator accepts (test/emulator/README.md: anything but `wrong`/`bad_…`), or the user's test accounts live. */
export const credentials: SourceCredentials = isLive
  ? { stripe: stripeFromEnv(), postgres: postgresFromEnv(), table: bucketFromEnv() }
  : {
      stripe: { secretKey: "sk_test_emulator_canary_7f3a9", accountId: "acct_1" },
      postgres: { host: "db.internal", port: 5432, database: "app", user: "ro", password: "pg-canary-password-41", schema: "public", table: "orders" },
      // Any https URL reads (the emulator's bucket switch, test/emulator/README.md); tests seed the columns they expect.
      table: {
        url: "https://phw-e2e.s3.amazonaws.com/orders/v1/*.parquet",
        otherUrl: "https://phw-e2e.s3.amazonaws.com/orders/v2/*.parquet",
        format: "Parquet",
        accessKey: "AKIA_CANARY_KEY_41d7",
        accessSecret: "canary-access-secret-6b90",
      },
    };

const VARS_TO_SET: Record<keyof SourceCredentials, string> = { stripe: STRIPE_VAR, postgres: POSTGRES_VAR, table: TABLE_VARS.join(", ") };

/**
 * True when a test needs source credentials that were not given; prints one line saying which variable to set.
 * Use as `describe.skipIf(lacks("stripe", "…"))`.
 */
const told = new Set<string>();
export function lacks(kind: keyof SourceCredentials, what: string): boolean {
  if (credentials[kind]) return false;
  if (told.has(`${kind} ${what}`)) return true;
  told.add(`${kind} ${what}`);
  console.warn(`[live] skipped ${what}: set ${VARS_TO_SET[kind]} to run it (see README, "Acceptance tests against a real PostHog")`);
  return true;
}

function appendExchange(file: string | undefined): ((r: ExchangeRecord) => void) | undefined {
  if (!file) return undefined;
  mkdirSync(path.dirname(file), { recursive: true });
  return (r) => appendFileSync(file, `${JSON.stringify(r)}\n`);
}

function currentTest(): { file: string; test: string } {
  const state = expect.getState();
  return { file: state.testPath ? path.relative(REPO_ROOT, state.testPath) : "", test: state.currentTestName ?? "(hooks)" };
}

/** `opts` shape the emulator; `tag` keeps one test file's live names apart from another's. */
export async function startTarget(opts: EmulatorOptions & { tag?: string } = {}): Promise<Target> {
  const { tag, ...emulatorOpts } = opts;
  let base: Pick<Target, "mode" | "url" | "apiKey" | "projectId" | "prefix" | "emulator" | "log"> & { stop(): Promise<void> };
  if (isLive) {
    const server = liveServer();
    const runPrefix = process.env.PHW_RUN_PREFIX ?? newRunPrefix();
    const proxy = await startRecordingProxy({ upstream: server.host, label: currentTest, runPrefix, onExchange: appendExchange(process.env.PHW_RECORD) });
    base = { mode: "live", url: proxy.url, apiKey: server.apiKey, projectId: server.projectId, prefix: `${runPrefix}${tag ? `${tag}_` : ""}`, emulator: undefined, log: proxy, stop: () => proxy.close() };
  } else {
    const em = await startEmulator(emulatorOpts);
    base = { mode: "emulator", url: em.url, apiKey: em.apiKey, projectId: em.projectId, prefix: "", emulator: em, log: em, stop: () => em.close() };
  }
  const client = () => new PostHogClient({ host: base.url, apiKey: base.apiKey, projectId: base.projectId });
  const withClient = async <T>(fn: (c: PostHogClient) => Promise<T>): Promise<T> => {
    const c = client();
    try {
      return await fn(c);
    } finally {
      await c.close();
    }
  };
  return {
    ...base,
    name: (n) => `${base.prefix}${n}`,
    client,
    views: () =>
      withClient(async (c) => {
        const ids: string[] = [];
        for await (const v of c.savedQueries.list()) if (v.name.startsWith(base.prefix)) ids.push(v.id);
        return Promise.all(ids.map((id) => c.savedQueries.retrieve(id)));
      }),
    sources: () =>
      withClient(async (c) => {
        const ids: string[] = [];
        for await (const s of c.externalDataSources.list()) if ((s.prefix ?? "").startsWith(base.prefix)) ids.push(s.id);
        return Promise.all(ids.map((id) => c.externalDataSources.retrieve(id)));
      }),
    tables: () =>
      withClient(async (c) => {
        const found: WarehouseTable[] = [];
        for await (const t of c.warehouseTables.list()) if (prefixedTable(t, base.prefix)) found.push(t);
        return found;
      }),
    joins: () =>
      withClient(async (c) => {
        const found: WarehouseJoin[] = [];
        for await (const j of c.warehouseJoins.list()) if (prefixedJoinName(j, base.prefix) !== undefined) found.push(j);
        return found;
      }),
    close: async () => {
      try {
        if (base.mode === "live") {
          const { failed } = await withClient((c) => sweepPrefixed(c, base.prefix));
          if (failed.length > 0) throw new Error(`could not delete what this test created:\n${failed.join("\n")}`);
        }
      } finally {
        await base.stop();
      }
    },
  };
}
