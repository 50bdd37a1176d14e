/**
 * `npm run -s bench:warehouse`: N warehouse tables over files, each joined to persons, under the real engine against
 * the emulator: API calls and wall time per operation. A table's create waits for PostHog's bucket read
 * (`bucketReadMs`), and a URL change adds one refresh_schema per table. Prints one JSON document on stdout.
 *
 *   BENCH_WAREHOUSE_SIZES=10 npm run -s bench:warehouse
 */
import { createRequire } from "node:module";
import path from "node:path";
import { startEmulator } from "../test/emulator";
import { REPO_ROOT } from "../test/harness/engine-env";
import { TestStack } from "../test/harness/stack";

// The package as a user's project loads it (the copy `npm run build` installs into node_modules), so the serialized
// provider is the one users get. An inline program: the bench swaps programs between operations.
const { WarehouseJoin, WarehouseTable } = createRequire(path.join(REPO_ROOT, "node_modules", "index.js"))("pulumi-posthog-warehouse") as typeof import("../provider");

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

/**
 * Warehouse tables over files, each joined to persons: API calls and wall time per operation. A table's create waits
 * for PostHog's bucket read (`bucketReadMs`), and a URL change adds one refresh_schema per table.
 */
async function warehouse(n: number, bucketReadMs: number) {
  const emulator = await startEmulator({ bucketReadMs });
  const program = (version: number) => async () => {
    for (let i = 0; i < n; i++) {
      const table = new WarehouseTable(`t${i}`, { name: `bench_table_${i}`, format: "Parquet", urlPattern: `https://b.s3.amazonaws.com/t${i}/v${version}/*.parquet`, credential: { accessKey: "AKIA_BENCH", accessSecret: "bench" } });
      new WarehouseJoin(`j${i}`, { sourceTableName: table.name, sourceTableKey: "id", joiningTableName: "persons", joiningTableKey: "id", fieldName: "person" });
    }
  };
  const stack = await TestStack.create({ program: program(1), log: emulator, projectName: "bench-warehouse", config: config(emulator) });
  try {
    const [up, upMs] = await timed(() => stack.up());
    const [preview] = await timed(() => stack.preview());
    const [refresh, refreshMs] = await timed(() => stack.refresh());
    stack.setProgram(program(2));
    const [changeUrl, changeUrlMs] = await timed(() => stack.up());
    const [destroy, destroyMs] = await timed(() => stack.destroy());
    return {
      tables: n,
      joins: n,
      bucketReadMs,
      calls: { up: up.requests.length, noopPreview: preview.requests.length, refresh: refresh.requests.length, changeUrlOfAll: changeUrl.requests.length, destroy: destroy.requests.length },
      wallMs: { up: upMs, refresh: refreshMs, changeUrlOfAll: changeUrlMs, destroy: destroyMs },
    };
  } finally {
    await stack.dispose();
    await emulator.close();
  }
}

async function main(): Promise<void> {
  const results = [];
  for (const n of (process.env.BENCH_WAREHOUSE_SIZES ?? "10").split(",").map(Number)) results.push(await warehouse(n, 500));
  process.stdout.write(`${JSON.stringify({ warehouse: results }, null, 2)}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
