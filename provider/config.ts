import { isIP } from "node:net";
import { z } from "zod";

const milliseconds = z.string().regex(/^[1-9]\d*$/, "must be a positive whole number of milliseconds").transform(Number).optional();

/**
 * Provider configuration, the Pulumi way: `posthog:host`, `posthog:apiKey` (secret), `posthog:projectId`,
 * `posthog:requestTimeoutMs`, `posthog:maxRetryWaitMs`, `posthog:allowInsecureHttp`, each falling back to an
 * environment variable. This schema is the single source of truth for the config section of schema.json and the
 * README.
 */
/**
 * A PostHog host URL. No `user:password@`: PostHog authenticates with the API key only (the client never sends URL
 * credentials), and a host is stored in plaintext (stack config, state, an imported program).
 */
function hostUrl(example: string) {
  return z
    .url({ protocol: /^https?$/, error: `must be an http(s) URL such as ${example}` })
    .refine((url) => {
      const parsed = URL.parse(url);
      return !parsed || (parsed.username === "" && parsed.password === "");
    }, "must not contain user:password@ (PostHog authenticates with the API key; the host is stored in plaintext)");
}

export const providerConfigSchema = z.object({
  host: hostUrl("https://us.posthog.com")
    .describe("PostHog host, e.g. https://us.posthog.com, https://eu.posthog.com or a self-hosted URL. Plain http:// only for loopback hosts unless allowInsecureHttp. Env: POSTHOG_HOST.")
    .meta({ env: ["POSTHOG_HOST"], default: "https://us.posthog.com" }),
  apiKey: z
    .string()
    .min(1, "must not be empty")
    .describe("Personal API key (secret). Env: POSTHOG_PERSONAL_API_KEY or POSTHOG_API_KEY.")
    .meta({ env: ["POSTHOG_PERSONAL_API_KEY", "POSTHOG_API_KEY"], secret: true }),
  projectId: z
    .string()
    .regex(/^\d+$/, "must be a numeric project (environment) id")
    .describe("PostHog project (environment) id. Env: POSTHOG_PROJECT_ID.")
    .meta({ env: ["POSTHOG_PROJECT_ID"] }),
  requestTimeoutMs: milliseconds
    .describe(
      "Per-request time-out in ms, counted from when the request is sent (default 30000). Source creates get four times this: PostHog checks the credentials and discovers tables before answering. Env: POSTHOG_REQUEST_TIMEOUT_MS.",
    )
    .meta({ env: ["POSTHOG_REQUEST_TIMEOUT_MS"] }),
  maxRetryWaitMs: milliseconds
    .describe("The longest Retry-After (429/503) waited out, in ms (default 60000); a longer one fails at once, naming the wait. Env: POSTHOG_MAX_RETRY_WAIT_MS.")
    .meta({ env: ["POSTHOG_MAX_RETRY_WAIT_MS"] }),
  allowInsecureHttp: z
    .boolean()
    .optional()
    .describe("Allow a plain http:// host that is not loopback: the API key then travels unencrypted. Env: POSTHOG_ALLOW_INSECURE_HTTP.")
    .meta({ env: ["POSTHOG_ALLOW_INSECURE_HTTP"], default: false }),
});

/** What an operation connects with. (`allowInsecureHttp` is consumed by the checks here and not passed on.) */
export type ProviderConfig = Omit<z.infer<typeof providerConfigSchema>, "allowInsecureHttp">;

export const CONFIG_NAMESPACE = "posthog";
export const DEFAULT_HOST = "https://us.posthog.com";

/** A per-resource `host` override: same URL rule as `posthog:host` (the http rule is checked with the stack's opt-in). */
export const hostOverrideSchema = hostUrl("https://eu.posthog.com");

/** Anything that can look up a namespaced config key (`posthog:host`), e.g. the dynamic provider's ConfigureRequest.config. */
export interface ConfigSource {
  get(key: string): string | undefined;
}

/** Per-resource overrides: a resource may target another project or host than the stack's default. */
export interface ConnectionOverrides {
  host?: string | undefined;
  projectId?: string | undefined;
}

export class ConfigurationError extends Error {
  override readonly name = "ConfigurationError";
}

function firstDefined(...values: Array<string | undefined>): string | undefined {
  return values.find((v) => v !== undefined && v !== "");
}

/** Where a resource's object lives: the PostHog host and project its operations address. */
export type Target = Pick<ProviderConfig, "host" | "projectId">;

/**
 * The target a resource's overrides resolve to with the current config and environment, without needing the API
 * key (diff runs it to notice a target change, and makes no call).
 */
export function resolveTarget(source: ConfigSource | undefined, env: NodeJS.ProcessEnv, overrides: ConnectionOverrides = {}): Target {
  // The API key is not needed to know the target: a placeholder keeps its absence from failing here.
  const { host, projectId } = resolveConnection({ get: (key) => (key === `${CONFIG_NAMESPACE}:apiKey` ? "unused" : source?.get(key)) }, env, overrides);
  return { host, projectId };
}

function lookup(source: ConfigSource | undefined): (key: string) => string | undefined {
  return (key) => {
    const raw = source?.get(`${CONFIG_NAMESPACE}:${key}`);
    return raw === undefined || raw === null ? undefined : String(raw);
  };
}

/**
 * 127.0.0.0/8, ::1 (also IPv4-mapped 127.x) and `localhost` (plus `*.localhost`, RFC 6761). Takes a URL's
 * `hostname`, which WHATWG URL parsing has already normalized (`[0:0::1]` → `[::1]`, `0x7f.1` → `127.0.0.1`).
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  if (isIP(host) === 6) return host === "::1" || /^::ffff:(127\.|7f[0-9a-f]{2}:)/.test(host);
  return false;
}

export const HTTP_RULE =
  "plain http:// is allowed only for loopback hosts (127.0.0.0/8, localhost, [::1]) because the personal API key would travel unencrypted";

/**
 * The http rule: a personal API key can read and write the whole warehouse, so it goes over plain HTTP only to this
 * machine, unless the user opts in. Returns why `host` is refused, or undefined.
 */
export function insecureHostProblem(host: string, allowInsecureHttp: boolean, what = `${CONFIG_NAMESPACE}:host`): string | undefined {
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    return undefined; // the URL schema reports malformed hosts
  }
  if (url.protocol !== "http:" || allowInsecureHttp || isLoopbackHost(url.hostname)) return undefined;
  return (
    `${what} ${url.protocol}//${url.host} is refused: ${HTTP_RULE}. Use https://, or opt in with ` +
    `\`pulumi config set ${CONFIG_NAMESPACE}:allowInsecureHttp true\` (or POSTHOG_ALLOW_INSECURE_HTTP=true)`
  );
}

function parseFlag(raw: string | undefined, name: string): boolean | string {
  if (raw === undefined || raw === "") return false;
  const v = raw.trim().toLowerCase();
  if (["true", "1", "yes"].includes(v)) return true;
  if (["false", "0", "no"].includes(v)) return false;
  return `${name} must be true or false`;
}

/** `posthog:allowInsecureHttp`, then POSTHOG_ALLOW_INSECURE_HTTP. */
export function allowInsecureHttp(source: ConfigSource | undefined, env: NodeJS.ProcessEnv): boolean {
  const raw = firstDefined(lookup(source)("allowInsecureHttp"), env.POSTHOG_ALLOW_INSECURE_HTTP);
  return parseFlag(raw, `${CONFIG_NAMESPACE}:allowInsecureHttp`) === true;
}

/** The host an operation would use, and the http rule applied to it: no API key needed, so `check` can run it. */
export function connectionHostProblem(source: ConfigSource | undefined, env: NodeJS.ProcessEnv, overrides: ConnectionOverrides = {}): string | undefined {
  // Named as the user set it: the resource's `host`, the stack's posthog:host, or POSTHOG_HOST.
  const candidates: Array<[string, string | undefined]> = [["host", overrides.host], [`${CONFIG_NAMESPACE}:host`, lookup(source)("host")], ["POSTHOG_HOST", env.POSTHOG_HOST]];
  const [what, host] = candidates.find(([, value]) => firstDefined(value) !== undefined) ?? [`${CONFIG_NAMESPACE}:host`, DEFAULT_HOST];
  return insecureHostProblem(host!, allowInsecureHttp(source, env), what);
}

/**
 * Resolves the connection a resource operation uses: resource override, then stack config, then environment.
 * Errors name the config key and the environment variable so a user knows where to set it; they never echo the key.
 */
export function resolveConnection(
  source: ConfigSource | undefined,
  env: NodeJS.ProcessEnv,
  overrides: ConnectionOverrides = {},
): ProviderConfig {
  const fromConfig = lookup(source);
  const flag = parseFlag(firstDefined(fromConfig("allowInsecureHttp"), env.POSTHOG_ALLOW_INSECURE_HTTP), `${CONFIG_NAMESPACE}:allowInsecureHttp`);
  const candidate = {
    host: firstDefined(overrides.host, fromConfig("host"), env.POSTHOG_HOST) ?? DEFAULT_HOST,
    apiKey: firstDefined(fromConfig("apiKey"), env.POSTHOG_PERSONAL_API_KEY, env.POSTHOG_API_KEY),
    projectId: firstDefined(overrides.projectId, fromConfig("projectId"), env.POSTHOG_PROJECT_ID),
    requestTimeoutMs: firstDefined(fromConfig("requestTimeoutMs"), env.POSTHOG_REQUEST_TIMEOUT_MS),
    maxRetryWaitMs: firstDefined(fromConfig("maxRetryWaitMs"), env.POSTHOG_MAX_RETRY_WAIT_MS),
    allowInsecureHttp: flag === true,
  };
  const parsed = providerConfigSchema.safeParse(candidate);
  const problems: string[] = typeof flag === "string" ? [flag] : [];
  if (parsed.success) {
    const insecure = connectionHostProblem(source, env, overrides);
    if (insecure) problems.push(insecure);
    if (problems.length === 0) {
      const { allowInsecureHttp: _checked, ...connection } = parsed.data;
      return { ...connection, host: parsed.data.host.replace(/\/+$/, "") };
    }
  } else {
    problems.push(
      ...parsed.error.issues.map((issue) => {
        const key = String(issue.path[0] ?? "");
        const envNames = envNamesFor(key);
        const missing = candidate[key as keyof typeof candidate] === undefined;
        const hint = `set it with \`pulumi config set ${missing && key === "apiKey" ? "--secret " : ""}${CONFIG_NAMESPACE}:${key}\`${envNames.length > 0 ? ` or the ${envNames.join(" / ")} environment variable` : ""}`;
        return missing ? `${CONFIG_NAMESPACE}:${key} is not set: ${hint}` : `${CONFIG_NAMESPACE}:${key} ${issue.message}`;
      }),
    );
  }
  throw new ConfigurationError(`PostHog provider configuration ${parsed.success ? "refused" : "is incomplete"}: ${problems.join("; ")}`);
}

function envNamesFor(key: string): string[] {
  const field = providerConfigSchema.shape[key as keyof typeof providerConfigSchema.shape];
  const meta = field?.meta() as { env?: string[] } | undefined;
  return meta?.env ?? [];
}
