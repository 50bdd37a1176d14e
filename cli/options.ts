import { parseArgs, type ParseArgsConfig } from "node:util";

/** A command's flags, as util.parseArgs takes them, plus the help text that documents them. */
export interface CommandSpec<O extends NonNullable<ParseArgsConfig["options"]>> {
  name: string;
  summary: string;
  usage: string;
  options: O;
  /** One line per option, in the order shown by --help. */
  help: Record<keyof O & string, string>;
  example: string;
}

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export const COMMON_OPTIONS = {
  cwd: { type: "string", default: "." },
  "allow-insecure-http": { type: "boolean", default: false },
  stack: { type: "string" },
  json: { type: "string" },
  out: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

export const INSECURE_HTTP_HELP =
  "allow a plain http:// PostHog host that is not loopback (127.0.0.0/8, localhost, [::1]); the API key then travels unencrypted (same as posthog:allowInsecureHttp / POSTHOG_ALLOW_INSECURE_HTTP)";

export const COMMON_HELP = {
  cwd: "the Pulumi project folder (default: .)",
  "allow-insecure-http": INSECURE_HTTP_HELP,
  stack: "the stack to use (default: the selected stack)",
  json: "also write the report as JSON to this file",
  out: "write the Markdown report to this file instead of stdout",
  help: "show this help",
} as const;

export function helpText<O extends NonNullable<ParseArgsConfig["options"]>>(spec: CommandSpec<O>): string {
  const width = Math.max(...Object.keys(spec.help).map((k) => k.length)) + 4;
  const lines = Object.entries(spec.help).map(([flag, text]) => {
    const option = spec.options[flag];
    const arg = option?.type === "string" ? ` <${flag}>` : "";
    return `  --${`${flag}${arg}`.padEnd(width + 8)} ${String(text)}`;
  });
  return `${spec.summary}\n\nUsage: ${spec.usage}\n\nOptions:\n${lines.join("\n")}\n\nExample:\n  ${spec.example}\n`;
}

/**
 * The http rule's opt-in for this run: through the environment, so the provider process the engine starts for
 * `plan`/`drift` applies the same rule the command itself does (config.ts).
 */
export function applyConnectionFlags(flags: { "allow-insecure-http"?: boolean | undefined }): void {
  if (flags["allow-insecure-http"]) process.env.POSTHOG_ALLOW_INSECURE_HTTP = "true";
}

export function parseCommand<O extends NonNullable<ParseArgsConfig["options"]>>(spec: CommandSpec<O>, argv: string[]) {
  try {
    return parseArgs({ args: argv, options: spec.options, allowPositionals: false, strict: true }).values;
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\nRun \`posthog-warehouse ${spec.name} --help\` for the options.`);
  }
}
