import { z } from "zod";
import { SECRET_KEY_PATTERN } from "../../client/redact";

/*
 * Connection config per source type, in PostHog's own (snake_case) field names as its wizard defines them
 * (facts.md). `secret` lists the paths PostHog treats as password/secret fields: they are Pulumi secrets here and
 * PostHog never returns them on read.
 */
const str = (what: string) => z.string().min(1, `${what} must not be empty`);
const port = z.union([z.number().int().min(1).max(65535), z.string().regex(/^\d{1,5}$/, "must be a port number")]);

const sshTunnel = z
  .object({
    enabled: z.boolean(),
    host: z.string().optional(),
    port: port.optional(),
    auth: z
      .object({ selection: z.enum(["password", "keypair"]), username: z.string().optional(), password: z.string().optional(), private_key: z.string().optional(), passphrase: z.string().optional() })
      .optional(),
  })
  .optional();

interface SourceType {
  schema: z.ZodType<Record<string, unknown>>;
  secret: ReadonlyArray<readonly string[]>;
}

const sqlDatabase = (defaultSchema: boolean): SourceType => ({
  schema: z
    .object({
      host: str("host"),
      port,
      database: str("database"),
      user: str("user"),
      password: str("password"),
      ...(defaultSchema ? { schema: str("schema") } : { schema: z.string().optional() }),
      ssh_tunnel: sshTunnel,
    })
    .strict(),
  secret: [["password"], ["ssh_tunnel", "auth", "password"], ["ssh_tunnel", "auth", "private_key"], ["ssh_tunnel", "auth", "passphrase"]],
});

export const SOURCE_TYPES: Record<string, SourceType> = {
  Stripe: {
    schema: z
      .object({
        stripe_account_id: z.string().optional(),
        auth_method: z.object({ selection: z.literal("api_key"), stripe_secret_key: str("stripe_secret_key") }).optional(),
        // Older servers take a flat key (facts.md).
        stripe_secret_key: z.string().optional(),
      })
      .strict()
      .refine((v) => v.auth_method !== undefined || v.stripe_secret_key !== undefined, "needs auth_method.stripe_secret_key (or the legacy stripe_secret_key)"),
    secret: [["auth_method", "stripe_secret_key"], ["stripe_secret_key"]],
  },
  Postgres: sqlDatabase(true),
  MySQL: sqlDatabase(true),
  MSSQL: sqlDatabase(false),
  Snowflake: {
    schema: z
      .object({
        account_id: str("account_id"),
        database: str("database"),
        warehouse: str("warehouse"),
        schema: str("schema"),
        role: z.string().optional(),
        auth_type: z.object({ selection: z.enum(["password", "keypair"]), user: z.string().optional(), password: z.string().optional(), private_key: z.string().optional(), passphrase: z.string().optional() }),
      })
      .strict(),
    secret: [["auth_type", "password"], ["auth_type", "private_key"], ["auth_type", "passphrase"]],
  },
  BigQuery: {
    schema: z.object({ dataset_id: str("dataset_id"), key_file: z.record(z.string(), z.unknown()), temporary_dataset: z.unknown().optional(), dataset_project: z.unknown().optional() }).strict(),
    secret: [["key_file"]],
  },
  Hubspot: { schema: z.object({ hubspot_integration_id: z.union([z.number().int(), z.string()]) }).strict(), secret: [] },
  Salesforce: { schema: z.object({ salesforce_integration_id: z.union([z.number().int(), z.string()]) }).strict(), secret: [] },
  Zendesk: {
    schema: z.object({ subdomain: str("subdomain"), api_key: str("api_key"), email_address: z.email("must be an email address") }).strict(),
    secret: [["api_key"]],
  },
};

export const KNOWN_SOURCE_TYPES = Object.keys(SOURCE_TYPES);

/** Secret paths of a config: the type's known ones, or for an unvalidated type every secret-looking key. */
export function jobInputSecretPaths(sourceType: string, jobInputs: Record<string, unknown> | undefined): string[][] {
  const known = SOURCE_TYPES[sourceType];
  if (known) return known.secret.map((p) => [...p]);
  const paths: string[][] = [];
  const walk = (value: unknown, prefix: string[]) => {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return;
    for (const [key, inner] of Object.entries(value)) {
      if (SECRET_KEY_PATTERN.test(key)) paths.push([...prefix, key]);
      else walk(inner, [...prefix, key]);
    }
  };
  walk(jobInputs, []);
  return paths;
}
