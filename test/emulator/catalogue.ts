import { POSTHOG_SOURCE_TYPES } from "../../provider/resources/external-data-source";
import { SOURCE_CATALOGUE as DEFINITIONS, SSH_TUNNEL_FIELDS, type CatalogueField, type SourceDefinition } from "../../provider/resources/external-data-source/catalogue";

/*
 * The emulator serves PostHog's source definitions (the same catalogue the provider validates with: it is PostHog's
 * data, transcribed once) from `wizard`, and like PostHog removes what its definitions mark secret, and every key they
 * do not define, from reads. The tables each type's discovery finds are the emulator's own choice.
 */
const TABLES: Record<string, string[]> = {
  Stripe: ["Account", "BalanceTransaction", "Charge", "Customer", "Invoice", "Price", "Product", "Subscription"],
  Postgres: ["orders", "users"],
  MySQL: ["orders", "users"],
  MSSQL: ["orders", "users"],
  Snowflake: ["ORDERS", "USERS"],
  BigQuery: ["orders", "users"],
  Hubspot: ["contacts", "companies", "deals"],
  Salesforce: ["Account", "Contact", "Opportunity"],
  Zendesk: ["tickets", "users"],
};

/** Secret paths as PostHog's read serializer finds them: secret-flagged and password fields, file uploads, SSH credentials. */
function secretPaths(fields: CatalogueField[], prefix: string[] = []): string[][] {
  return fields.flatMap((f): string[][] => {
    const path = [...prefix, f.name];
    if (f.type === "select") return f.options.flatMap((o) => secretPaths(o.fields ?? [], path));
    if (f.type === "switch-group") return secretPaths(f.fields, path);
    if (f.type === "ssh-tunnel") return secretPaths(SSH_TUNNEL_FIELDS, path);
    if (f.type === "oauth") return [];
    return f.type === "file-upload" || f.type === "password" || f.secret ? [path] : [];
  });
}

export interface CatalogueEntry {
  definition: SourceDefinition;
  secret: string[][];
  known: string[];
  tables: string[];
}

export const SOURCE_CATALOGUE: Record<string, CatalogueEntry> = Object.fromEntries([
  // PostHog's other source_type choices, whose definitions are not transcribed: accepted, and since the emulator cannot
  // tell their secret fields, reads return none of their job_inputs (PostHog drops secret and unknown keys).
  ...POSTHOG_SOURCE_TYPES.map((type) => [type, { definition: { name: type, fields: [] }, secret: [], known: [], tables: ["items"] }] as const),
  ...Object.entries(DEFINITIONS).map(([type, definition]) => [type, { definition, secret: secretPaths(definition.fields), known: definition.fields.map((f) => f.name), tables: TABLES[type] ?? ["items"] }] as const),
]);

/** Credential values the emulator treats as wrong, so tests can exercise PostHog's live credential check. */
export function credentialProblem(jobInputs: Record<string, unknown>): string | undefined {
  const flat = JSON.stringify(jobInputs);
  if (/"host":"unreachable\.invalid"/.test(flat)) return "Could not connect to the source. Please check the host and port.";
  if (/"(password|stripe_secret_key|api_key)":"(wrong|bad_[^"]*)"/.test(flat)) return "Could not authenticate with the source. Please check your credentials.";
  return undefined;
}
