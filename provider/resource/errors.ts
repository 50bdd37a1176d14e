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

/** Adoption found the object but it does not match the declared inputs; nothing was changed. */
export class AdoptionMismatchError extends Error {
  override readonly name = "AdoptionMismatchError";
  constructor(
    readonly label: string,
    readonly id: string,
    readonly differences: string[],
  ) {
    super(
      `${label}: cannot adopt ${id}: it differs from the declared inputs (${differences.join("; ")}). ` +
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
