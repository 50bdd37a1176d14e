import { PostHogError } from "./errors";
import type { Page } from "./schemas";

const MAX_PAGES = 10_000;

/**
 * Walks every page of a list endpoint, for both of PostHog's styles (`limit`/`offset` and `page`): both answer with
 * an absolute `next` URL, which we follow only on the client's own origin so a response can never send the API key
 * to another host.
 */
export async function* paginate<T>(origin: string, firstPath: string, fetchPage: (path: string) => Promise<Page<T>>): AsyncGenerator<T> {
  let path: string | null = firstPath;
  for (let pages = 0; path !== null; pages++) {
    if (pages >= MAX_PAGES) throw new PostHogError(`pagination of ${firstPath} did not end after ${MAX_PAGES} pages`);
    const page: Page<T> = await fetchPage(path);
    yield* page.results;
    path = page.next ? sameOriginPath(origin, page.next) : null;
  }
}

export function sameOriginPath(origin: string, next: string): string {
  const url = new URL(next, origin);
  if (url.origin !== origin) {
    throw new PostHogError(`refusing to follow a pagination link to another host (${url.origin}); expected ${origin}`);
  }
  return `${url.pathname}${url.search}`;
}
