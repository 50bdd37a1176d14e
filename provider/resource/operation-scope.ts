import { AsyncLocalStorage } from "node:async_hooks";
import type { ClientEvent } from "../client";

/**
 * What the client's events are attributed to. One client serves every resource of a (host, project), so its event
 * hook cannot know on whose behalf a request runs; the async context of the lifecycle step that made the request
 * can. Retry messages therefore name the right resource, and a step can learn PostHog's clock from its own responses.
 */
export interface OperationScope {
  readonly label: string;
  /** PostHog's time (ms since the epoch, second precision) at the latest response this step received. */
  serverTime?: number;
}

const current = new AsyncLocalStorage<OperationScope>();

export function inOperation<T>(scope: OperationScope, run: () => Promise<T>): Promise<T> {
  return current.run(scope, run);
}

export function currentOperation(): OperationScope | undefined {
  return current.getStore();
}

/**
 * The client event hook every client of the provider uses: it records PostHog's clock in the step's scope and hands
 * retries to `log`, named after the resource whose request is retried.
 */
export function observeClientEvent(log: (message: string) => void = () => undefined): (event: ClientEvent) => void {
  return (event) => {
    const scope = current.getStore();
    if (event.kind === "response") {
      const at = event.serverDate === undefined ? Number.NaN : Date.parse(event.serverDate);
      if (scope && !Number.isNaN(at)) scope.serverTime = at;
      return;
    }
    const who = scope?.label ?? "posthog-warehouse";
    log(`${who}: ${event.method} ${event.path} ${event.reason}; retry ${event.attempt} in ${Math.round(event.delayMs)} ms`);
  };
}
