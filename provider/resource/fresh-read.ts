import { currentOperation, inOperation, type OperationScope } from "./operation-scope";

/*
 * Many creates of one type run at once (the engine works in parallel), and each must check its key against PostHog
 * before writing. Where the only way to find a key is to page through a whole list (sources), one list per create
 * would spend the rate-limit budget quadratically. A fresh read lets concurrent callers share one list, and stays
 * sound: every caller gets a read that started after it asked (callers arriving while a read is in flight wait for
 * the next one), and PostHog's clock at that read is recorded in each caller's own scope, as its own read would be.
 */
type Waiter<T> = { resolve: (value: T) => void; reject: (err: unknown) => void; scope: OperationScope | undefined };

export interface FreshRead<T> {
  (): Promise<T>;
}

export function freshRead<T>(read: () => Promise<T>): FreshRead<T> {
  let running = false;
  let waiting: Waiter<T>[] = [];

  function start(): void {
    const batch = waiting;
    waiting = [];
    running = true;
    const labels = [...new Set(batch.map((w) => w.scope?.label).filter((l): l is string => l !== undefined))];
    const scope: OperationScope = { label: labels.length === 1 ? labels[0]! : `key check for ${labels.slice(0, 3).join(", ")}${labels.length > 3 ? ` and ${labels.length - 3} more` : ""}` };
    inOperation(scope, read)
      .then(
        (value) => {
          for (const w of batch) {
            if (w.scope && scope.serverTime !== undefined) w.scope.serverTime = scope.serverTime;
            w.resolve(value);
          }
        },
        (err: unknown) => batch.forEach((w) => w.reject(err)),
      )
      .finally(() => {
        running = false;
        if (waiting.length > 0) start();
      });
  }

  return () =>
    new Promise<T>((resolve, reject) => {
      waiting.push({ resolve, reject, scope: currentOperation() });
      if (!running) start();
    });
}

const perOwner = new WeakMap<object, Map<string, FreshRead<unknown>>>();

/** The fresh read named `name` shared by everyone using `owner` (a client: one per host and project). */
export function sharedFreshRead<T>(owner: object, name: string, read: () => Promise<T>): Promise<T> {
  let reads = perOwner.get(owner);
  if (!reads) perOwner.set(owner, (reads = new Map()));
  let shared = reads.get(name) as FreshRead<T> | undefined;
  if (!shared) reads.set(name, (shared = freshRead(read) as FreshRead<unknown> as FreshRead<T>));
  return shared();
}
