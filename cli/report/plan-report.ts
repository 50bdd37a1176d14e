import type { EngineEvent, StepEventMetadata } from "@pulumi/pulumi/automation";
import { diffNotes, inputsOf, nameOf, ourTypeName, resourceSteps, shortType } from "./events";
import type { PlanOp, PlannedChange, PlanReport } from "./model";
import { compareProperties } from "./properties";

const OP_OF: Record<string, PlanOp | "same"> = {
  create: "create",
  import: "adopt",
  update: "update",
  replace: "replace",
  "create-replacement": "replace",
  "delete-replaced": "replace",
  "discard-replaced": "replace",
  "import-replacement": "replace",
  delete: "delete",
  discard: "delete",
};

/**
 * The change report of a preview: one entry per resource of this package that changes, property by property. Other
 * providers' resources in the stack are not ours to report (their values would end up in a PR comment).
 */
export function planReport(stack: string, events: readonly EngineEvent[]): PlanReport {
  const notes = diffNotes(events);
  const byUrn = new Map<string, StepEventMetadata[]>();
  for (const step of resourceSteps(events, "resourcePreEvent")) {
    if (ourTypeName(step.type)) byUrn.set(step.urn, [...(byUrn.get(step.urn) ?? []), step]);
  }

  const summary: PlanReport["summary"] = { create: 0, adopt: 0, update: 0, replace: 0, delete: 0, same: 0 };
  const changes: PlannedChange[] = [];
  for (const [urn, steps] of byUrn) {
    const ops = steps.map((s) => OP_OF[s.op] ?? "same");
    let op: PlanOp | "same" = ops.includes("replace") ? "replace" : (ops.find((o) => o !== "same") ?? "same");
    const step = steps.find((s) => s.old && s.new) ?? steps[0]!;
    const newInputs = inputsOf(step.new);
    if (op === "create" && typeof newInputs.adoptId === "string") op = "adopt";
    summary[op] += 1;
    if (op === "same") continue;
    const oldInputs = inputsOf(step.old);
    const id = step.old?.id || undefined;
    const properties = op === "delete" ? [] : compareProperties(op === "create" || op === "adopt" ? {} : oldInputs, newInputs, id ? notes.get(id) : undefined);
    for (const key of steps.flatMap((s) => s.keys ?? [])) {
      for (const p of properties) if (p.path === key || p.path.startsWith(`${key}.`)) p.replaces = true;
    }
    changes.push({ urn, type: shortType(step.type), name: nameOf(urn), op, ...(id ? { id } : {}), ...(op === "adopt" ? { id: String(newInputs.adoptId) } : {}), properties });
  }
  return { stack, summary, changes };
}
