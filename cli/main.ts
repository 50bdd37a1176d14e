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
  // The CLI's output can be long (a failed preview prints the program's whole stack trace); its last lines say what went wrong.
  const message = pulumiCommandText(err) ?? (err instanceof Error ? err.message : String(err));
  return message.length > 4000 ? `...${message.slice(-4000)}` : message;
}

/**
 * What the `pulumi` CLI said, for an Automation API CommandError. Its own message wraps that text as
 * `code: -2 / stdout: / stderr: … / err?: …`, printing it twice.
 */
function pulumiCommandText(err: unknown): string | undefined {
  const result = typeof err === "object" && err !== null && "commandResult" in err ? err.commandResult : undefined;
  if (typeof result !== "object" || result === null) return undefined;
  const { stdout, stderr } = result as { stdout?: unknown; stderr?: unknown };
  const text = [stderr, stdout].find((t): t is string => typeof t === "string" && t.trim() !== "")?.trim();
  if (text === undefined) return undefined;
  if (/^Command failed with ENOENT: pulumi\b/.test(text)) {
    return "the `pulumi` CLI is not on PATH: plan and drift run the project through it, as `pulumi preview` does. Install Pulumi (https://www.pulumi.com/docs/install/) or put its folder on PATH.";
  }
  return text.replace(/^Command failed with exit code (\d+): (pulumi .*?)(?: --non-interactive)?$/m, "`$2` failed (exit code $1):");
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
