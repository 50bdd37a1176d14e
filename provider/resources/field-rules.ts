/*
 * The one rule every settable field follows, shared by the resource definitions: what PostHog reports is read back
 * into the inputs, with PostHog's "not set" value (its default, what a reset sends) read as absent unless the
 * program declares exactly that value. So a UI edit shows as drift, an undeclared default is not drift, and removing
 * a declaration sends the reset.
 */

/** The value to record for one field: PostHog's, or the declared one when both mean "not set". */
export function reportedScalar<T>(declared: T | undefined, remote: unknown, reset: unknown): T | undefined {
  const unset = remote === undefined || remote === null || remote === "" || (reset !== undefined && remote === reset);
  if (!unset) return remote as T;
  const declaredUnset = declared === undefined || (declared as unknown) === "" || (reset !== undefined && (declared as unknown) === reset);
  return declaredUnset ? declared : undefined;
}

/** Strings as PostHog stores them (its serializers trim every string of a payload). */
export function trimStrings(value: unknown): unknown {
  if (typeof value === "string") return value.trim();
  if (Array.isArray(value)) return value.map(trimStrings);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, trimStrings(v)]));
  return value;
}
