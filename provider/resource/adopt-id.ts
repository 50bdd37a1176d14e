import { z } from "zod";

/** `adoptId` input: an existing object's id, optionally as `projectId/id`. Shared by every resource. */
export const adoptIdSchema = z
  .string()
  .regex(/^(\d+\/)?[A-Za-z0-9-]+$/, "must be an id or projectId/id")
  .describe("Adopt an existing object instead of creating one: its id, or projectId/id. Pulumi's `import` cannot serve dynamic providers (pulumi/pulumi#3550, #16175).")
  .optional();

export function parseAdoptId(value: string): { projectId?: string; id: string } {
  const slash = value.indexOf("/");
  return slash < 0 ? { id: value } : { projectId: value.slice(0, slash), id: value.slice(slash + 1) };
}

/**
 * The id to adopt, after checking that a `projectId/` part names the project this resource targets: adopting from
 * another project would record an object later steps could not find.
 */
export function adoptTarget(adoptId: string, targetProjectId: string): string {
  const { projectId, id } = parseAdoptId(adoptId);
  if (projectId !== undefined && projectId !== targetProjectId) {
    throw new Error(`adoptId names project ${projectId}, but this resource targets project ${targetProjectId}: set projectId: "${projectId}" on it`);
  }
  return id;
}
