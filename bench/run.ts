/**
 * `npm run bench`: N views under the real engine against the emulator. Prints one JSON document: serialized provider
 * and state bytes per resource, API calls per operation, and wall times beside a floor (latency × calls that must be
 * made, serialized by the engine's parallelism) so the ratio shows the overhead.
 */
import { startEmulator } from "../test/emulator";
import { TestStack } from "../test/harness/stack";
import { SavedQuery } from "../provider";

const LATENCY_MS = 5;
const PARALLEL = 10; // the Automation API's default parallelism is unbounded; the engine's default is 10 per step wave

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await fn();
  return [result, Math.round(performance.now() - start)];
}

async function run(n: number) {
  const emulator = await startEmulator({ latencyMs: LATENCY_MS });
  const program = (suffix: string) => async () => {
    for (let i = 0; i < n; i++) new SavedQuery(`v${i}`, { name: `bench_view_${i}`, query: `select event${suffix} from events` });
  };
  const stack = await TestStack.create({
    program: program(""),
    log: emulator,
    projectName: "bench",
    config: { "posthog:host": { value: emulator.url }, "posthog:apiKey": { value: emulator.apiKey, secret: true }, "posthog:projectId": { value: "1" } },
  });
  try {
    const [up, upMs] = await timed(() => stack.up());
    const state = JSON.parse(stack.rawState()) as { checkpoint: { latest: { resources: Array<{ type: string; inputs: { __provider?: string } }> } } };
    const views = state.checkpoint.latest.resources.filter((r) => r.type.endsWith("SavedQuery"));
    const providerBytes = views[0]?.inputs.__provider?.length ?? 0;
    const stateBytes = Math.round(stack.rawState().length / n);
    const [preview, previewMs] = await timed(() => stack.preview());
    const [noopUp] = await timed(() => stack.up());
    const [refresh, refreshMs] = await timed(() => stack.refresh());
    stack.setProgram(async () => {
      for (let i = 0; i < n; i++) new SavedQuery(`v${i}`, { name: `bench_view_${i}`, query: i === 0 ? "select event, timestamp from events" : "select event from events" });
    });
    const [oneUpdate] = await timed(() => stack.up());
    const [destroy, destroyMs] = await timed(() => stack.destroy());
    const floor = (calls: number) => Math.round((calls * LATENCY_MS) / PARALLEL);
    return {
      n,
      providerBytesPerResource: providerBytes,
      stateBytesPerResource: stateBytes,
      calls: { up: up.requests.length, noopPreview: preview.requests.length, noopUp: noopUp.requests.length, refresh: refresh.requests.length, updateOneProperty: oneUpdate.requests.length, destroy: destroy.requests.length },
      wallMs: { up: upMs, noopPreview: previewMs, refresh: refreshMs, destroy: destroyMs },
      floorMs: { up: floor(up.requests.length), refresh: floor(refresh.requests.length), destroy: floor(destroy.requests.length) },
    };
  } finally {
    await stack.dispose();
    await emulator.close();
  }
}

async function main(): Promise<void> {
  const sizes = (process.env.BENCH_SIZES ?? "10,50,200").split(",").map(Number);
  const results = [];
  for (const n of sizes) results.push(await run(n));
  console.log(JSON.stringify({ emulatorLatencyMs: LATENCY_MS, engineParallelism: PARALLEL, results }, null, 2));
}

void main();
