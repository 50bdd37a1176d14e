/**
 * `npm run bench`: N views under the real engine against the emulator. Prints one JSON document: serialized provider
 * and state bytes per resource, API calls per operation, wall times beside the floor for the same API work, and the
 * peak RSS of the dynamic-provider process.
 *
 * The floor of an operation is what its API calls alone must take (floor.ts): max(latency × ceil(calls ÷
 * parallelism), the wait PostHog's rate limits force given the calls made before), where parallelism is the smaller
 * of the engine's default (GOMAXPROCS × 4) and the client's connection limit (8). The emulator runs with PostHog's
 * limits. The engine's own cost of an operation (an `up` of an empty program) is measured and printed beside it.
 */
import { availableParallelism } from "node:os";
import { createRequire } from "node:module";
import path from "node:path";
import { startEmulator } from "../test/emulator";
import { REPO_ROOT } from "../test/harness/engine-env";
import { TestStack } from "../test/harness/stack";
import { compareAdapters } from "./adapters";
import { floorMs, rateLimitBoundMs } from "./floor";
import { ProviderRssSampler } from "./provider-rss";

// The package as a user's project loads it (the copy `npm run build` installs into node_modules), so the serialized
// provider is the one users get.
const { SavedQuery } = createRequire(path.join(REPO_ROOT, "node_modules", "index.js"))("pulumi-posthog-warehouse") as typeof import("../provider");

const CLIENT_CONNECTIONS = 8;
const POSTHOG_RATE = { perMinute: 480, perHour: 4800 };
const PARALLEL = Math.min(availableParallelism() * 4, CLIENT_CONNECTIONS);

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await fn();
  return [result, Math.round(performance.now() - start)];
}

const config = (emulator: { url: string; apiKey: string }) => ({
  "posthog:host": { value: emulator.url },
  "posthog:apiKey": { value: emulator.apiKey, secret: true },
  "posthog:projectId": { value: "1" },
});

/** The engine's fixed cost of one `up` through this harness: a program with no resource, so no API call. */
async function engineFixedCostMs(): Promise<number> {
  const emulator = await startEmulator();
  const stack = await TestStack.create({ program: async () => undefined, projectName: "bench-empty", config: config(emulator) });
  try {
    await stack.up();
    const [, ms] = await timed(() => stack.up());
    return ms;
  } finally {
    await stack.dispose();
    await emulator.close();
  }
}

async function run(n: number, latencyMs: number) {
  const emulator = await startEmulator({ latencyMs, rateLimit: POSTHOG_RATE });
  const program = (changed: number) => async () => {
    for (let i = 0; i < n; i++) new SavedQuery(`v${i}`, { name: `bench_view_${i}`, query: i === changed ? "select event, timestamp from events" : "select event from events" });
  };
  const stack = await TestStack.create({ program: program(-1), log: emulator, projectName: "bench", config: config(emulator) });
  const rss = new ProviderRssSampler();
  const peaks: Array<number | null> = [];
  const floors: Record<string, number> = {};
  const measured = async <T extends { requests: Array<{ status: number }> }>(name: string, fn: () => Promise<T>): Promise<[T, number]> => {
    const start = Date.now();
    const prior = emulator.requests.filter((r) => r.status !== 429).map((r) => r.at);
    rss.start();
    try {
      const [result, ms] = await timed(fn);
      const calls = result.requests.filter((r) => r.status !== 429).length;
      floors[name] = floorMs(calls, latencyMs, PARALLEL, rateLimitBoundMs(prior, start, calls, POSTHOG_RATE));
      return [result, ms];
    } finally {
      peaks.push(rss.stop());
    }
  };
  try {
    const [up, upMs] = await measured("up", () => stack.up());
    const state = JSON.parse(stack.rawState()) as { checkpoint: { latest: { resources: Array<{ type: string; inputs: { __provider?: string } }> } } };
    const views = state.checkpoint.latest.resources.filter((r) => r.type.endsWith("SavedQuery"));
    const providerBytes = views[0]?.inputs.__provider?.length ?? 0;
    const stateBytes = Math.round(stack.rawState().length / n);
    const [preview, previewMs] = await measured("noopPreview", () => stack.preview());
    const [noopUp] = await measured("noopUp", () => stack.up());
    const [refresh, refreshMs] = await measured("refresh", () => stack.refresh());
    stack.setProgram(program(0));
    const [oneUpdate] = await measured("updateOneProperty", () => stack.up());
    const [destroy, destroyMs] = await measured("destroy", () => stack.destroy());
    const floor = { up: floors.up!, refresh: floors.refresh!, destroy: floors.destroy! };
    // The engine's own span of the up (its first event to its summary), without the CLI's start and exit.
    const engineUpMs = (up.timeline.summaryMs ?? upMs) - (up.timeline.firstEventMs ?? 0);
    const throttled = [up, preview, noopUp, refresh, oneUpdate, destroy].reduce((sum, op) => sum + op.requests.filter((r) => r.status === 429).length, 0);
    return {
      n,
      emulatorLatencyMs: latencyMs,
      providerBytesPerResource: providerBytes,
      stateBytesPerResource: stateBytes,
      calls: { up: up.requests.length, noopPreview: preview.requests.length, noopUp: noopUp.requests.length, refresh: refresh.requests.length, updateOneProperty: oneUpdate.requests.length, destroy: destroy.requests.length },
      throttledResponses: throttled,
      wallMs: { up: upMs, noopPreview: previewMs, refresh: refreshMs, destroy: destroyMs },
      engineUpMs,
      floorMs: floor,
      ratioToFloor: { engineUp: +(engineUpMs / Math.max(floor.up, 1)).toFixed(2), up: +(upMs / Math.max(floor.up, 1)).toFixed(2), refresh: +(refreshMs / Math.max(floor.refresh, 1)).toFixed(2), destroy: +(destroyMs / Math.max(floor.destroy, 1)).toFixed(2) },
      providerPeakRssMb: Math.max(...peaks.map((p) => p ?? 0)) || null,
    };
  } finally {
    await stack.dispose();
    await emulator.close();
  }
}

async function main(): Promise<void> {
  const sizes = (process.env.BENCH_SIZES ?? "10,50,200").split(",").map(Number);
  const latencies = (process.env.BENCH_LATENCIES_MS ?? "5,200").split(",").map(Number);
  const engineMs = await engineFixedCostMs();
  const results = [];
  for (const latency of latencies) for (const n of sizes) results.push(await run(n, latency));
  console.log(
    JSON.stringify(
      { parallelism: PARALLEL, clientConnections: CLIENT_CONNECTIONS, rateLimit: POSTHOG_RATE, engineFixedCostMs: { emptyUp: engineMs }, results, adapters: await compareAdapters() },
      null,
      2,
    ),
  );
}

void main();
