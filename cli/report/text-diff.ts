import { structuredPatch } from "diff";

/** A unified diff of two texts (hunks only, no file headers): how a HogQL query change reads in a review. */
export function unifiedDiff(before: string, after: string): string {
  const patch = structuredPatch("before", "after", ensureNewline(before), ensureNewline(after), "", "", { context: 3 });
  return patch.hunks
    .map((hunk) => [`@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`, ...hunk.lines.filter((l) => !l.startsWith("\\"))].join("\n"))
    .join("\n");
}

function ensureNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}

export function isMultiLineOrLong(value: unknown): value is string {
  return typeof value === "string" && (value.includes("\n") || value.length > 60);
}
