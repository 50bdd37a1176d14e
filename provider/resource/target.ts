import type { ConnectionOverrides, Target } from "../config";
import { containsUnknown, deepEqual } from "./values";

export type { Target } from "../config";

/** The inputs every resource has for addressing another host or project than the stack's default. */
export const TARGET_INPUTS = ["projectId", "host"] as const;

/** The output under which each resource records where its object lives. */
export const TARGET_OUTPUT = "target";

export function overridesOf(props: Record<string, unknown>): ConnectionOverrides {
  const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
  return { projectId: str(props.projectId), host: str(props.host) };
}

/** The target recorded in a resource's state, if the state is recent enough to hold one. */
export function recordedTarget(state: Record<string, unknown>): Target | undefined {
  const t = state[TARGET_OUTPUT] as Partial<Target> | undefined;
  return t && typeof t.host === "string" && typeof t.projectId === "string" ? { host: t.host, projectId: t.projectId } : undefined;
}

export function sameTarget(a: Target, b: Target): boolean {
  return a.host === b.host && a.projectId === b.projectId;
}

/** Target inputs whose value changed between the state and the new inputs (an unknown value counts as changed). */
export function changedTargetInputs(olds: Record<string, unknown>, news: Record<string, unknown>): Array<(typeof TARGET_INPUTS)[number]> {
  return TARGET_INPUTS.filter((p) => containsUnknown(news[p]) || !deepEqual(olds[p] ?? undefined, news[p] ?? undefined));
}
