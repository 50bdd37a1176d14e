import { z } from "zod";

/**
 * Provider configuration, the Pulumi way: `posthog:host`, `posthog:apiKey` (secret), `posthog:projectId`,
 * each falling back to an environment variable. This schema is the single source of truth for the
 * config section of schema.json and the README.
 */
export const providerConfigSchema = z.object({
  host: z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL such as https://us.posthog.com" })
    .describe("PostHog host, e.g. https://us.posthog.com, https://eu.posthog.com or a self-hosted URL. Env: POSTHOG_HOST.")
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
});

export type ProviderConfig = z.infer<typeof providerConfigSchema>;

export const CONFIG_NAMESPACE = "posthog";
export const DEFAULT_HOST = "https://us.posthog.com";

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

/**
 * Resolves the connection a resource operation uses: resource override, then stack config, then environment.
 * Errors name the config key and the environment variable so a user knows where to set it; they never echo the key.
 */
export function resolveConnection(
  source: ConfigSource | undefined,
  env: NodeJS.ProcessEnv,
  overrides: ConnectionOverrides = {},
): ProviderConfig {
  const fromConfig = (key: string): string | undefined => {
    const raw = source?.get(`${CONFIG_NAMESPACE}:${key}`);
    return raw === undefined || raw === null ? undefined : String(raw);
  };
  const candidate = {
    host: firstDefined(overrides.host, fromConfig("host"), env.POSTHOG_HOST) ?? DEFAULT_HOST,
    apiKey: firstDefined(fromConfig("apiKey"), env.POSTHOG_PERSONAL_API_KEY, env.POSTHOG_API_KEY),
    projectId: firstDefined(overrides.projectId, fromConfig("projectId"), env.POSTHOG_PROJECT_ID),
  };
  const parsed = providerConfigSchema.safeParse(candidate);
  if (parsed.success) {
    return { ...parsed.data, host: parsed.data.host.replace(/\/+$/, "") };
  }
  const problems = parsed.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? "");
    const envNames = envNamesFor(key);
    const missing = candidate[key as keyof typeof candidate] === undefined;
    const hint = `set it with \`pulumi config set ${missing && key === "apiKey" ? "--secret " : ""}${CONFIG_NAMESPACE}:${key}\`${envNames.length > 0 ? ` or the ${envNames.join(" / ")} environment variable` : ""}`;
    return missing ? `${CONFIG_NAMESPACE}:${key} is not set: ${hint}` : `${CONFIG_NAMESPACE}:${key} ${issue.message}`;
  });
  throw new ConfigurationError(`PostHog provider configuration is incomplete: ${problems.join("; ")}`);
}

function envNamesFor(key: string): string[] {
  const field = providerConfigSchema.shape[key as keyof typeof providerConfigSchema.shape];
  const meta = field?.meta() as { env?: string[] } | undefined;
  return meta?.env ?? [];
}
