import type { WarehouseTableBody } from "../../provider/client";

/**
 * What a live run is pointed at, read from the environment: the PostHog server (the same variables the provider
 * falls back to) and, optionally, credentials of a test database / Stripe test account for the source tests and of a
 * bucket for the table tests.
 */
export const SERVER_VARS = ["POSTHOG_HOST", "POSTHOG_PERSONAL_API_KEY", "POSTHOG_PROJECT_ID"] as const;
export const STRIPE_VAR = "POSTHOG_TEST_STRIPE_SECRET_KEY";
export const STRIPE_ACCOUNT_VAR = "POSTHOG_TEST_STRIPE_ACCOUNT_ID";
export const POSTGRES_VAR = "POSTHOG_TEST_POSTGRES_URL";
/** A bucket of files PostHog can read, for the WarehouseTable tests (joins need none: they join the run's views). */
export const TABLE_URL_VAR = "POSTHOG_TEST_TABLE_URL";
export const TABLE_ACCESS_KEY_VAR = "POSTHOG_TEST_TABLE_ACCESS_KEY";
export const TABLE_ACCESS_SECRET_VAR = "POSTHOG_TEST_TABLE_ACCESS_SECRET";
export const TABLE_FORMAT_VAR = "POSTHOG_TEST_TABLE_FORMAT";
/** Optional: a second URL pattern the same key can read, for the in-place urlPattern change. */
export const TABLE_URL_2_VAR = "POSTHOG_TEST_TABLE_URL_2";
export const TABLE_VARS = [TABLE_URL_VAR, TABLE_ACCESS_KEY_VAR, TABLE_ACCESS_SECRET_VAR] as const;

/**
 * Every object a live run creates starts with this, followed by the run's own id: a view name, a source prefix (and
 * so its tables' names), a warehouse table's name, a join's field name. The sweep at the start of a run removes
 * objects of earlier crashed runs by this prefix; nothing else is ever deleted.
 */
export const LIVE_PREFIX = "phwlive_";

export interface LiveServer {
  host: string;
  apiKey: string;
  projectId: number;
}

export interface StripeCredentials {
  secretKey: string;
  accountId: string;
}

export interface PostgresCredentials {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  schema: string;
  /** One table of that schema the tests may sync (`?table=`); without it a test source syncs what PostHog finds. */
  table: string | undefined;
}

export interface BucketCredentials {
  /** An https URL pattern (globs allowed) of files in `format`. */
  url: string;
  /** A second pattern the same key reads, if any. */
  otherUrl: string | undefined;
  format: NonNullable<WarehouseTableBody["format"]>;
  accessKey: string;
  accessSecret: string;
}

export function missingServerVars(env: NodeJS.ProcessEnv = process.env): string[] {
  return SERVER_VARS.filter((v) => !env[v]);
}

export function liveServer(env: NodeJS.ProcessEnv = process.env): LiveServer {
  const missing = missingServerVars(env);
  if (missing.length > 0) throw new Error(`live tests need ${missing.join(", ")}`);
  return { host: env.POSTHOG_HOST!.replace(/\/+$/, ""), apiKey: env.POSTHOG_PERSONAL_API_KEY!, projectId: Number(env.POSTHOG_PROJECT_ID) };
}

/**
 * A fresh run prefix: `phwlive_<time, 9 base-36 digits><4 random>_`, valid as a view name start and as a source
 * prefix. The time lets the sweep at start tell a crashed run's leftovers from a run still going.
 */
export function newRunPrefix(now = Date.now()): string {
  return `${LIVE_PREFIX}${now.toString(36).padStart(9, "0")}${Math.random().toString(36).slice(2, 6).padEnd(4, "0")}_`;
}

/** A run older than this is over (a live run takes minutes); its objects are leftovers of a crash. */
export const STALE_AFTER_MS = 3 * 3_600_000;

/** Whether a name carrying LIVE_PREFIX belongs to a run started more than STALE_AFTER_MS ago (or to no run we know). */
export function isLeftover(name: string, now = Date.now()): boolean {
  if (!name.startsWith(LIVE_PREFIX)) return false;
  const stamp = /^([0-9a-z]{9})[0-9a-z]{4}_/.exec(name.slice(LIVE_PREFIX.length));
  return !stamp || now - parseInt(stamp[1]!, 36) > STALE_AFTER_MS;
}

export function stripeFromEnv(env: NodeJS.ProcessEnv = process.env): StripeCredentials | undefined {
  const secretKey = env[STRIPE_VAR];
  return secretKey ? { secretKey, accountId: env[STRIPE_ACCOUNT_VAR] ?? "" } : undefined;
}

/** `postgres://user:password@host:port/database?schema=public&table=orders` */
export function postgresFromEnv(env: NodeJS.ProcessEnv = process.env): PostgresCredentials | undefined {
  const raw = env[POSTGRES_VAR];
  if (!raw) return undefined;
  const url = new URL(raw);
  return {
    host: url.hostname,
    port: Number(url.port || 5432),
    database: decodeURIComponent(url.pathname.replace(/^\//, "")),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    schema: url.searchParams.get("schema") ?? "public",
    table: url.searchParams.get("table") ?? undefined,
  };
}

/** The bucket for the table tests, when all of TABLE_VARS are set; the format defaults to Parquet. */
export function bucketFromEnv(env: NodeJS.ProcessEnv = process.env): BucketCredentials | undefined {
  if (TABLE_VARS.some((v) => !env[v])) return undefined;
  const format = (env[TABLE_FORMAT_VAR] || "Parquet") as BucketCredentials["format"];
  return { url: env[TABLE_URL_VAR]!, otherUrl: env[TABLE_URL_2_VAR] || undefined, format, accessKey: env[TABLE_ACCESS_KEY_VAR]!, accessSecret: env[TABLE_ACCESS_SECRET_VAR]! };
}
