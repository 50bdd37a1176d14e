import { writeFileSync } from "node:fs";

/** Writes a report: Markdown to --out or stdout, and the same data as JSON to --json when asked. */
export function emitReport(markdown: string, data: unknown, opts: { out?: string | undefined; json?: string | undefined }): void {
  if (opts.out) writeFileSync(opts.out, markdown);
  else process.stdout.write(markdown);
  if (opts.json) writeFileSync(opts.json, `${JSON.stringify(data, null, 2)}\n`);
}
