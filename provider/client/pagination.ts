import type { Page } from "./schemas";

/**
 * Walks every page of a list endpoint, for both of PostHog's styles (`limit`/`offset` and `page`). It stops at the
 * end, at an empty page, and at a page it has seen before (a `next` pointing back at itself or at a page whose items
 * repeat the previous one), so a misbehaving server cannot keep it busy forever.
 */
export async function* paginate<T>(origin: string, firstPath: string, fetchPage: (path: string) => Promise<Page<T>>): AsyncGenerator<T> {
  const visited = new Set<string>();
  let previous: string | undefined;
  let path: string | null = firstPath;
  while (path !== null && !visited.has(path)) {
    visited.add(path);
    const page: Page<T> = await fetchPage(path);
    const fingerprint = JSON.stringify(page.results);
    if (page.results.length === 0 || fingerprint === previous) return;
    previous = fingerprint;
    yield* page.results;
    path = page.next ? ownOriginPath(origin, page.next) : null;
  }
}

/**
 * The `next` link's path and query, always requested on the client's own origin: a self-hosted PostHog behind a
 * proxy may advertise its internal host, and the API key must never go to whatever host a response names.
 */
export function ownOriginPath(origin: string, next: string): string {
  const url = new URL(next, origin);
  return `${url.pathname}${url.search}`;
}
