import type { OperationContext } from "./definition";

const RECHECK_DELAYS_MS = [0, 1_000, 3_000];

/**
 * After a create whose outcome is unknown (lost response, time-out), looks for the object it may have made. PostHog
 * may still be processing a request that timed out on our side, so a miss is checked again a little later before
 * we conclude nothing was created: concluding too early would leave an orphan behind a failed `up`.
 */
export async function findAfterAmbiguousCreate<T>(ctx: OperationContext, lookup: () => Promise<T | undefined>, delays: readonly number[] = RECHECK_DELAYS_MS): Promise<T | undefined> {
  for (const delay of delays) {
    if (delay > 0) {
      ctx.progress(`not found yet; looking again in ${delay / 1000}s in case PostHog is still creating it`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
    const found = await lookup();
    if (found !== undefined) return found;
  }
  return undefined;
}
