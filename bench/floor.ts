/** PostHog's limits on personal API keys (facts.md): a sliding window per minute and per hour. */
export interface RateLimit {
  perMinute: number;
  perHour: number;
}

/**
 * The least time `calls` requests starting at `start` need before the last one is admitted, given the requests the
 * same key made before (`priorHits`, ms timestamps): each request waits until both windows have room. This is the
 * rate-limit part of an operation's floor; operations run back to back share the windows, so history matters.
 */
export function rateLimitBoundMs(priorHits: readonly number[], start: number, calls: number, limit: RateLimit): number {
  const hits = [...priorHits].sort((a, b) => a - b);
  let t = start;
  for (let i = 0; i < calls; i++) {
    for (;;) {
      const minute = hits.filter((h) => h > t - 60_000);
      const hour = hits.filter((h) => h > t - 3_600_000);
      if (minute.length < limit.perMinute && hour.length < limit.perHour) break;
      const freeAt = Math.min(minute.length >= limit.perMinute ? minute[minute.length - limit.perMinute]! + 60_000 : Infinity, hour.length >= limit.perHour ? hour[hour.length - limit.perHour]! + 3_600_000 : Infinity);
      t = Math.max(t, freeAt);
    }
    hits.push(t);
  }
  return calls === 0 ? 0 : t - start;
}

/** An operation's floor: its calls at the emulator's latency, `parallelism` at a time, and no faster than the limit allows. */
export function floorMs(calls: number, latencyMs: number, parallelism: number, rateBoundMs: number): number {
  const latencyBound = Math.ceil(calls / parallelism) * latencyMs;
  return Math.max(latencyBound, calls === 0 ? 0 : rateBoundMs + latencyMs);
}
