/*
 * PostHog's own source definitions, in the shape its `wizard` endpoint serves them (GET
 * .../external_data_sources/wizard/): per source type, the config fields with their `type`, `required` and `secret`
 * flags. Transcribed from each source's `get_source_config` in PostHog's server
 * (posthog/temporal/data_imports/sources/<type>/source.py: SourceFieldInputConfig, SourceFieldSelectConfig,
 * SourceFieldSSHTunnelConfig, SourceFieldSwitchGroupConfig, SourceFieldOauthConfig, SourceFieldFileUploadConfig).
 *
 * This is the one catalogue: the provider validates `jobInputs` against it, derives secret paths and reset values
 * from it, and the emulator serves it as its wizard and redacts reads by it. Where this copy departs from PostHog's
 * definition it says why next to the field.
 */

export type InputFieldType = "text" | "textarea" | "email" | "number" | "password";

export interface InputField {
  name: string;
  type: InputFieldType;
  required: boolean;
  secret: boolean;
}
export interface SelectOption {
  value: string;
  /** Fields of this option: the value is stored as `{selection: value, ...fields}` (e.g. Stripe's `auth_method`). */
  fields?: CatalogueField[];
}
export interface SelectField {
  name: string;
  type: "select";
  required: boolean;
  defaultValue: string;
  options: SelectOption[];
  /** `str_to_bool`: PostHog's form sends "true"/"false", the config parser reads a boolean. */
  converter?: "str_to_bool";
}
/** `{enabled, ...fields}`; off is `{enabled: false}`. */
export interface SwitchGroupField {
  name: string;
  type: "switch-group";
  default: boolean;
  fields: CatalogueField[];
}
/** PostHog's SSH tunnel block: `{enabled, host, port, auth: {selection: "password"|"keypair", username, password|private_key, passphrase}}`. */
export interface SshTunnelField {
  name: string;
  type: "ssh-tunnel";
}
/** The id of an OAuth integration made in PostHog's UI. */
export interface OauthField {
  name: string;
  type: "oauth";
  required: boolean;
  kind: string;
}
/** An uploaded JSON file (e.g. a service-account key): always secret. */
export interface FileUploadField {
  name: string;
  type: "file-upload";
  required: boolean;
  secret: true;
}
export type CatalogueField = InputField | SelectField | SwitchGroupField | SshTunnelField | OauthField | FileUploadField;

export interface SourceDefinition {
  name: string;
  fields: CatalogueField[];
  /** Our addition: at least one of these top-level keys must be set (PostHog enforces it when it builds the config). */
  oneOf?: string[];
}

const text = (name: string, required = true): InputField => ({ name, type: "text", required, secret: false });
const number = (name: string, required = true): InputField => ({ name, type: "number", required, secret: false });
const password = (name: string, required = true): InputField => ({ name, type: "password", required, secret: true });
const sshTunnel: SshTunnelField = { name: "ssh_tunnel", type: "ssh-tunnel" };

/** The fields of the SSH tunnel block (PostHog's SSHTunnelMixin): the auth container's credentials are secret. */
export const SSH_TUNNEL_FIELDS: CatalogueField[] = [
  { name: "enabled", type: "select", required: true, defaultValue: "false", options: [{ value: "true" }, { value: "false" }], converter: "str_to_bool" },
  text("host", false),
  number("port", false),
  {
    name: "auth",
    type: "select",
    required: false,
    defaultValue: "password",
    options: [
      { value: "password", fields: [text("username", false), password("password", false)] },
      { value: "keypair", fields: [text("username", false), { name: "private_key", type: "textarea", required: false, secret: true }, password("passphrase", false)] },
    ],
  },
];

export const SOURCE_CATALOGUE: Record<string, SourceDefinition> = {
  Stripe: {
    name: "Stripe",
    fields: [
      {
        name: "auth_method",
        type: "select",
        // PostHog marks it required; older servers take the flat key below instead (facts.md), hence `oneOf`.
        required: false,
        defaultValue: "api_key",
        options: [
          // PostHog marks the key optional because OAuth is the alternative; with `api_key` selected it is needed
          // ("Missing Stripe API key").
          { value: "api_key", fields: [password("stripe_secret_key", true)] },
          { value: "oauth", fields: [{ name: "stripe_integration_id", type: "oauth", required: true, kind: "stripe" }] },
        ],
      },
      text("stripe_account_id", false),
      // Legacy flat key of older servers (facts.md).
      password("stripe_secret_key", false),
    ],
    oneOf: ["auth_method", "stripe_secret_key"],
  },
  Postgres: {
    name: "Postgres",
    fields: [
      { name: "connection_string", type: "text", required: false, secret: true },
      text("host"),
      number("port"),
      text("database"),
      text("user"),
      password("password"),
      text("schema", false),
      sshTunnel,
    ],
  },
  MySQL: {
    name: "MySQL",
    fields: [
      text("host"),
      number("port"),
      text("database"),
      text("user"),
      password("password"),
      text("schema"),
      { name: "using_ssl", type: "select", required: true, defaultValue: "true", options: [{ value: "true" }, { value: "false" }], converter: "str_to_bool" },
      sshTunnel,
    ],
  },
  MSSQL: {
    name: "MSSQL",
    fields: [text("host"), number("port"), text("database"), text("user"), password("password"), text("schema", false), sshTunnel],
  },
  Snowflake: {
    name: "Snowflake",
    fields: [
      text("account_id"),
      text("database"),
      text("warehouse"),
      {
        name: "auth_type",
        type: "select",
        required: true,
        defaultValue: "password",
        options: [
          { value: "password", fields: [text("user"), password("password")] },
          { value: "keypair", fields: [text("user"), { name: "private_key", type: "textarea", required: true, secret: true }, password("passphrase", false)] },
        ],
      },
      text("role", false),
      text("schema"),
    ],
  },
  BigQuery: {
    name: "BigQuery",
    fields: [
      { name: "key_file", type: "file-upload", required: true, secret: true },
      text("dataset_id"),
      { name: "temporary-dataset", type: "switch-group", default: false, fields: [text("temporary_dataset_id")] },
      { name: "dataset_project", type: "switch-group", default: false, fields: [text("dataset_project_id")] },
    ],
  },
  Hubspot: { name: "Hubspot", fields: [{ name: "hubspot_integration_id", type: "oauth", required: true, kind: "hubspot" }] },
  Salesforce: { name: "Salesforce", fields: [{ name: "salesforce_integration_id", type: "oauth", required: true, kind: "salesforce" }] },
  Zendesk: {
    name: "Zendesk",
    fields: [
      text("subdomain"),
      // PostHog's older definitions typed this as plain text; it is a credential and current servers mark it secret.
      password("api_key"),
      { name: "email_address", type: "email", required: true, secret: false },
    ],
  },
};

/** The wizard's answer: every catalogued type's definition, keyed by type. */
export function wizardCatalogue(): Record<string, SourceDefinition> {
  return structuredClone(SOURCE_CATALOGUE);
}
