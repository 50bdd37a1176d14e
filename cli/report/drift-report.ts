import type { EngineEvent, StepEventMetadata } from "@pulumi/pulumi/automation";
import { inputsOf, nameOf, ourTypeName, resourceSteps, shortType } from "./events";
import type { DriftReport, ResourceReport } from "./model";
import type { UnmanagedListing } from "./unmanaged";
import { compareProperties } from "./properties";

function pick(values: Record<string, unknown> | undefined, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => values?.[k] !== undefined).map((k) => [k, values![k]]));
}

/**
 * What a refresh preview found: per resource, the declared (input) properties whose value in PostHog differs from
 * the state, and the resources PostHog no longer has. Outputs that move on their own (sync status, timestamps)
 * are not drift and are left out.
 */
export function driftFromRefresh(events: readonly EngineEvent[]): Pick<DriftReport, "changed" | "deleted"> {
  const changed: ResourceReport[] = [];
  const deleted: ResourceReport[] = [];
  const after = new Map<string, StepEventMetadata>();
  for (const step of resourceSteps(events, "resOutputsEvent")) after.set(step.urn, step);
  for (const pre of resourceSteps(events, "resourcePreEvent")) {
    if (!ourTypeName(pre.type) || !pre.old) continue;
    const post = after.get(pre.urn) ?? pre;
    const base = { urn: pre.urn, type: shortType(pre.type), name: nameOf(pre.urn), id: pre.old.id };
    if (post.op === "delete" || !post.new || post.new.id === "") {
      deleted.push({ ...base, properties: [] });
      continue;
    }
    const keys = Object.keys(inputsOf(pre.old));
    const properties = compareProperties(pick(pre.old.outputs, keys), pick(post.new.outputs, keys)).filter((p) => p.change !== "unchanged");
    if (properties.length > 0) changed.push({ ...base, properties });
  }
  return { changed, deleted };
}

/** Ids of the objects a stack manages, from the resources' outputs (sourceId / viewId) or their ids. */
export function managedIds(events: readonly EngineEvent[]): Set<string> {
  const ids = new Set<string>();
  for (const step of resourceSteps(events, "resourcePreEvent")) if (ourTypeName(step.type) && step.old?.id) ids.add(step.old.id);
  return ids;
}

/** Without a listing (`--skip-unmanaged`) nothing is reported unmanaged. Left-out objects are counted, never drift. */
export function driftReport(stack: string, found: Pick<DriftReport, "changed" | "deleted">, listing?: UnmanagedListing): DriftReport {
  const unmanaged = listing?.unmanaged ?? [];
  return {
    stack,
    drifted: found.changed.length + found.deleted.length + unmanaged.length > 0,
    ...found,
    unmanaged,
    leftOut: { postHogManagedViews: listing?.postHogManaged ?? 0, ignored: listing?.ignored ?? 0 },
  };
}
