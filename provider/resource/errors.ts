/**
 * The object exists (or the write was applied) but a later step failed. The dynamic-provider host turns an error
 * carrying `id` and `properties` into the engine's "resource initialization failed" status: the engine records these
 * properties in the state (so nothing is orphaned) and retries the update on the next `up`.
 */
export class PartialFailureError extends Error {
  override readonly name = "PartialFailureError";
  constructor(
    message: string,
    readonly id: string,
    readonly properties: Record<string, unknown>,
    readonly reasons: string[] = [message],
  ) {
    super(message);
  }
}

/*
 * An error's `id` field has a meaning to the dynamic-provider host: it records the object under that id as this
 * resource's (ErrorResourceInitFailed). Errors about objects that are NOT this resource's therefore name them
 * `objectId`, never `id`; only PartialFailureError carries `id`.
 */

/** Adoption found the object but it does not match the declared inputs; nothing was changed. */
export class AdoptionMismatchError extends Error {
  override readonly name = "AdoptionMismatchError";
  constructor(
    readonly label: string,
    readonly objectId: string,
    readonly differences: string[],
  ) {
    super(
      `${label}: cannot adopt ${objectId}: it differs from the declared inputs (${differences.join("; ")}). ` +
        "Nothing was changed. Declare the object as it is in PostHog to adopt it, then change it in a later update.",
    );
  }
}

/** A lifecycle step failed; the message names the resource, the step and the cause (the API error's own text). */
export class ResourceOperationError extends Error {
  override readonly name = "ResourceOperationError";
  constructor(
    readonly label: string,
    readonly operation: string,
    override readonly cause: unknown,
  ) {
    super(`${label}: ${operation} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** How a message names the `adoptId` that would make a resource manage an existing object. */
export function adoptHint(id: string): string {
  return `set adoptId: "${id}" on this resource`;
}

/**
 * The natural key is held by an object this resource does not own (made outside Pulumi, or by another stack). Nothing
 * was written: the provider never takes an object over because its key matches.
 */
export class KeyTakenError extends Error {
  override readonly name = "KeyTakenError";
  constructor(
    readonly label: string,
    readonly key: string,
    keyProperties: readonly string[],
    readonly objectId: string,
    readonly where: string,
  ) {
    super(
      `${label}: ${key} already exists in ${where} (id ${objectId}) and this resource does not manage it. Nothing was written. ` +
        `To manage that object, ${adoptHint(objectId)}; to keep both, change this resource's ${keyProperties.join(" or ")}. ` +
        "(If an earlier `pulumi up` failed while creating it, it is that object: adopt it. If it is the object this " +
        "resource is replacing, set the resource's deleteBeforeReplace option so the old one goes first.)",
    );
  }
}

/**
 * A create's outcome was unknown (lost response, time-out) and the object then found with the key cannot be proven
 * to be this create's. It is left untouched, named, with the adoptId that takes it over if it is ours after all.
 */
export class OwnershipUnprovenError extends Error {
  override readonly name = "OwnershipUnprovenError";
  constructor(
    readonly label: string,
    readonly objectId: string,
    readonly reason: string,
    override readonly cause: unknown,
  ) {
    super(
      `${label}: the create's response was lost (${cause instanceof Error ? cause.message : String(cause)}), and the object now holding its key, ` +
        `id ${objectId}, cannot be proven to be the one it made (${reason}). Nothing was adopted or deleted. If it is this resource's, ${adoptHint(objectId)}.`,
    );
  }
}

/** The resolved host/project of a resource differs from the one its object lives in, and no input asked for a move. */
export class TargetChangedError extends Error {
  override readonly name = "TargetChangedError";
  constructor(label: string, recorded: { host: string; projectId: string }, resolved: { host: string; projectId: string }) {
    super(
      `${label}: its object lives in project ${recorded.projectId} at ${recorded.host} (recorded in the state), but the provider configuration ` +
        `(posthog:host / posthog:projectId or POSTHOG_HOST / POSTHOG_PROJECT_ID) now resolves to project ${resolved.projectId} at ${resolved.host}. ` +
        `Nothing was changed. To keep managing it where it is, restore that configuration or set projectId: "${recorded.projectId}" and host: "${recorded.host}" on this resource; ` +
        `to move it (delete it there and create it in the new project), set projectId: "${resolved.projectId}" and host: "${resolved.host}" on it.`,
    );
  }
}
