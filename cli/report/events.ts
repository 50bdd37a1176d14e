import type { EngineEvent, StepEventMetadata } from "@pulumi/pulumi/automation";
import { TYPE_MODULE } from "../../provider/resource/program-side";
import { parseDiffNote, type DiffNote } from "../../provider/resource/diff-note";

const PROVIDER_KEY = "__provider";
/** Our resources' type tokens: `pulumi-nodejs:dynamic/posthog-warehouse:<Type>`. */
const OUR_TYPE = new RegExp(`^pulumi-nodejs:dynamic/${TYPE_MODULE}:(\\w+)$`);

export function ourTypeName(type: string): string | undefined {
  return OUR_TYPE.exec(type)?.[1];
}

export function shortType(type: string): string {
  return ourTypeName(type) ?? type;
}

export function nameOf(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}

/** Steps on real resources (not the stack itself or a provider), in event order, from the chosen event kind. */
export function resourceSteps(events: readonly EngineEvent[], kind: "resourcePreEvent" | "resOutputsEvent"): StepEventMetadata[] {
  return events
    .map((e) => e[kind]?.metadata)
    .filter((m): m is StepEventMetadata => m !== undefined && m.type !== "pulumi:pulumi:Stack" && !m.type.startsWith("pulumi:providers:"));
}

/** The provider's own diffs (see diff-note.ts), keyed by resource id. */
export function diffNotes(events: readonly EngineEvent[]): Map<string, DiffNote> {
  const notes = new Map<string, DiffNote>();
  for (const e of events) {
    const note = e.diagnosticEvent ? parseDiffNote(e.diagnosticEvent.message) : undefined;
    if (note) notes.set(note.id, note);
  }
  return notes;
}

export function inputsOf(state: StepEventMetadata["old"]): Record<string, unknown> {
  const { [PROVIDER_KEY]: _provider, ...inputs } = (state?.inputs ?? {}) as Record<string, unknown>;
  return inputs;
}
