import type { DriftReport, PlannedChange, PlanReport, PropertyReport, ResourceReport } from "./model";
import { SECRET_TEXT } from "./values";

const SYMBOL: Record<PlannedChange["op"], string> = { create: "+", adopt: "=>", update: "~", replace: "+-", delete: "-" };

function inline(value: unknown): string {
  if (value === undefined) return "";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  const short = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  return `\`${short.replace(/`/g, "'").replace(/\|/g, "\\|").replace(/\n/g, " ")}\``;
}

function propertyTable(properties: PropertyReport[], beforeLabel: string, afterLabel: string): string[] {
  const rows = properties.filter((p) => !p.textDiff);
  const lines: string[] = [];
  if (rows.length > 0) {
    lines.push(`| property | change | ${beforeLabel} | ${afterLabel} |`, "| --- | --- | --- | --- |");
    for (const p of rows) {
      const change = `${p.change}${p.replaces ? " (forces replacement)" : ""}`;
      const [before, after] = p.secret ? [SECRET_TEXT, SECRET_TEXT] : [inline(p.before), inline(p.after)];
      lines.push(`| \`${p.path}\` | ${change} | ${before} | ${after} |`);
    }
  }
  for (const p of properties.filter((x) => x.textDiff)) {
    if (lines.length > 0) lines.push("");
    lines.push(`\`${p.path}\` ${p.change}${p.replaces ? " (forces replacement)" : ""}:`, "", "```diff", p.textDiff!, "```");
  }
  return lines;
}

function heading(r: ResourceReport, what: string): string {
  return `### ${what} ${r.type} \`${r.name}\`${r.id ? ` (id \`${r.id}\`)` : ""}`;
}

export function planSummaryLine(report: PlanReport): string {
  const s = report.summary;
  const parts = [`${s.create} to create`, ...(s.adopt ? [`${s.adopt} to adopt`] : []), `${s.update} to update`, `${s.replace} to replace`, `${s.delete} to delete`];
  return `${parts.join(", ")}; ${s.same} unchanged`;
}

export function planMarkdown(report: PlanReport): string {
  const lines = [`## PostHog warehouse plan: stack \`${report.stack}\``, "", `**${planSummaryLine(report)}**`];
  if (report.changes.length === 0) lines.push("", "No changes.");
  for (const change of report.changes) {
    lines.push("", heading(change, `${SYMBOL[change.op]} ${change.op}`));
    if (change.op === "delete") continue;
    if (change.properties.length > 0) lines.push("", ...propertyTable(change.properties, "before", "after"));
  }
  return `${lines.join("\n")}\n`;
}

export function driftSummaryLine(report: DriftReport): string {
  if (!report.drifted) return "No drift: PostHog matches the stack.";
  return `Drift found: ${report.changed.length} changed, ${report.deleted.length} deleted outside Pulumi, ${report.unmanaged.length} not managed by this stack`;
}

export function driftMarkdown(report: DriftReport): string {
  const lines = [`## PostHog warehouse drift: stack \`${report.stack}\``, "", `**${driftSummaryLine(report)}**`];
  for (const r of report.changed) lines.push("", heading(r, "~ changed in PostHog:"), "", ...propertyTable(r.properties, "state", "PostHog"));
  for (const r of report.deleted) lines.push("", heading(r, "- deleted outside Pulumi:"), "", "`pulumi refresh` drops it from the state; the next `pulumi up` creates it again.");
  if (report.unmanaged.length > 0) {
    lines.push("", "### ? in PostHog, not managed by this stack", "", "| type | name | id |", "| --- | --- | --- |");
    for (const u of report.unmanaged) lines.push(`| ${u.type} | \`${u.name}\` | \`${u.id}\` |`);
    lines.push("", "Adopt them with `posthog-warehouse import`, delete them in PostHog, or leave them out with `--ignore` / `--ignore-stack`.");
  }
  const { postHogManagedViews, ignored } = report.leftOut;
  if (postHogManagedViews + ignored > 0) {
    lines.push("", `Left out: ${postHogManagedViews} view(s) PostHog manages itself, ${ignored} object(s) ignored or managed by another stack.`);
  }
  return `${lines.join("\n")}\n`;
}
