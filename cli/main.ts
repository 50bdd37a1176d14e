#!/usr/bin/env node
import { runDrift, driftSpec } from "./drift";
import { importSpec, runImport } from "./import";
import { helpText, UsageError } from "./options";
import { planSpec, runPlan } from "./plan";
import { stderrProgress, type Progress } from "./progress";

const COMMANDS: Record<string, { spec: Parameters<typeof helpText>[0]; run: (argv: string[], progress: Progress) => Promise<number> }> = {
  plan: { spec: planSpec, run: runPlan },
  drift: { spec: driftSpec, run: runDrift },
  import: { spec: importSpec, run: runImport },
};

const USAGE = `posthog-warehouse: GitOps for the PostHog data warehouse with Pulumi

Usage: posthog-warehouse <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(8)} ${c.spec.summary.split(". ")[0]!.replace(/\.$/, "")}.`)
  .join("\n")}

Run \`posthog-warehouse <command> --help\` for a command's options. Connection: posthog:host, posthog:apiKey (secret)
and posthog:projectId from the stack config, else POSTHOG_HOST, POSTHOG_PERSONAL_API_KEY / POSTHOG_API_KEY and
POSTHOG_PROJECT_ID; HTTPS_PROXY / HTTP_PROXY / NO_PROXY are honoured. Progress goes to stderr, reports to stdout;
--out always names the file a command writes.
`;

/** Exit codes: 0 ok (drift: no drift), 2 drift found, 1 any error. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(USAGE);
    return name ? 0 : 1;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`unknown command ${name}\n\n${USAGE}`);
    return 1;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(helpText(command.spec));
    return 0;
  }
  try {
    return await command.run(rest, stderrProgress());
  } catch (err) {
    process.stderr.write(`error: ${errorText(err)}\n`);
    return 1;
  }
}

function errorText(err: unknown): string {
  if (err instanceof UsageError) return err.message;
  // Automation API errors carry the CLI's whole stderr; its last lines say what went wrong.
  const message = err instanceof Error ? err.message : String(err);
  return message.length > 4000 ? `...${message.slice(-4000)}` : message;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`error: ${errorText(err)}\n`);
      process.exit(1);
    },
  );
}
