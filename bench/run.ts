/**
 * `npm run bench`: what users run, measured. N views in a Pulumi project folder (this package installed from its
 * packed tarball) driven by the `pulumi` CLI through the Node.js language host, against the emulator. Beside each
 * figure, its limits: the same engine and project with a zero-cost dynamic provider (every method returns at once,
 * no HTTP) for the same N, and the API floor. Prints one JSON document on stdout and nothing else.
 *
 * The floor of an operation is what its API calls alone must take (floor.ts): max(latency × ceil(calls ÷
 * parallelism), the wait PostHog's rate limits force given the calls made before), where parallelism is the smaller
 * of the engine's default (GOMAXPROCS × 4) and the client's connection limit (8). The emulator runs with PostHog's
 * limits. `overZeroCostPerFloor` = (ours − zero-cost) ÷ floor: what this provider adds to the engine's own cost,
 * in units of the least time its API calls need.
 *
 *   BENCH_SIZES=10,100,500,1000 BENCH_LATENCIES_MS=50,200 BENCH_REPEAT=1 npm run -s bench
 */
import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import { startEmulator, type Emulator } from "../test/emulator";
import { engineEnv, makeProjectDir, pulumiBinDir, readStateFile } from "../test/harness/engine-env";
import { floorMs, rateLimitBoundMs } from "./floor";
import { ProviderRssSampler } from "./provider-rss";

const CLIENT_CONNECTIONS = 8;
const POSTHOG_RATE = { perMinute: 480, perHour: 4800 };
const PARALLEL = Math.min(availableParallelism() * 4, CLIENT_CONNECTIONS);

/** Our resource: N views, the `changed`-th one with another query. */
const OURS = `import * as pulumi from "@pulumi/pulumi";
import { SavedQuery } from "pulumi-posthog-warehouse";

const config = new pulumi.Config();
const n = config.requireNumber("n");
const changed = config.getNumber("changed") ?? -1;
for (let i = 0; i < n; i++) {
  new SavedQuery(\`v\${i}\`, { name: \`bench_view_\${i}\`, query: i === changed ? "select event, timestamp from events" : "select event from events" });
}
`;

/** The engine's own cost: a dynamic provider whose every method returns at once, with the same inputs. */
const ZERO_COST = `import * as pulumi from "@pulumi/pulumi";

const provider: pulumi.dynamic.ResourceProvider = {
  async check(_olds, news) { return { inputs: news }; },
  async diff(_id, olds, news) { return { changes: olds.query !== news.query }; },
  async create(inputs) { return { id: inputs.name, outs: inputs }; },
  async read(id, props) { return { id, props }; },
  async update(_id, _olds, news) { return { outs: news }; },
  async delete() {},
};
class Zero extends pulumi.dynamic.Resource {
  constructor(name: string, args: { name: string; query: string }) {
    super(provider, name, args, {}, "bench", "Zero");
  }
}
const config = new pulumi.Config();
const n = config.requireNumber("n");
const changed = config.getNumber("changed") ?? -1;
for (let i = 0; i < n; i++) {
  new Zero(\`v\${i}\`, { name: \`bench_view_\${i}\`, query: i === changed ? "select event, timestamp from events" : "select event from events" });
}
`;

/** One project folder with one stack, operated with the `pulumi` CLI; each call's wall time in ms. */
class BenchProject {
  readonly dir: string;
  private readonly env: Record<string, string>;
  constructor(name: string, program: string) {
    this.dir = makeProjectDir(name, { files: { "index.ts": program } });
    this.env = { ...engineEnv(this.dir), PULUMI_SKIP_CONFIRMATIONS: "true" };
  }
  pulumi(...args: string[]): Promise<number> {
    const start = performance.now();
    return new Promise((resolve, reject) => {
      execFile(path.join(pulumiBinDir(), "pulumi"), [...args, "--non-interactive"], { cwd: this.dir, env: { ...process.env, ...this.env }, maxBuffer: 256 * 1024 * 1024 }, (err, _stdout, stderr) =>
        err ? reject(new Error(`pulumi ${args.join(" ")} failed: ${stderr.slice(-2000)}`)) : resolve(Math.round(performance.now() - start)),
      );
    });
  }
  async init(config: Record<string, string>, secrets: Record<string, string> = {}): Promise<void> {
    await this.pulumi("stack", "init", "bench");
    for (const [k, v] of Object.entries(config)) await this.pulumi("config", "set", k, v);
    for (const [k, v] of Object.entries(secrets)) await this.pulumi("config", "set", "--secret", k, v);
  }
  up = () => this.pulumi("up", "--yes", "--skip-preview");
  preview = () => this.pulumi("preview");
  refresh = () => this.pulumi("refresh", "--yes", "--skip-preview");
  destroy = () => this.pulumi("destroy", "--yes", "--skip-preview");
  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The engine's fixed cost of one `up`: a program with no resource. */
async function emptyUpMs(): Promise<number> {
  const project = new BenchProject("bench-empty", `export const nothing = 0;\n`);
  try {
    await project.init({});
    await project.up();
    return await project.up();
  } finally {
    project.dispose();
  }
}

async function zeroCost(n: number) {
  const project = new BenchProject("bench-zero-cost", ZERO_COST);
  try {
    await project.init({ n: String(n) });
    const up = await project.up();
    const noopPreview = await project.preview();
    const refresh = await project.refresh();
    const destroy = await project.destroy();
    return { up, noopPreview, refresh, destroy };
  } finally {
    project.dispose();
  }
}

async function ours(n: number, latencyMs: number) {
  const emulator: Emulator = await startEmulator({ latencyMs, rateLimit: POSTHOG_RATE });
  const project = new BenchProject("bench-ours", OURS);
  const rss = new ProviderRssSampler();
  const peaks: Array<number | null> = [];
  const floors: Record<string, number> = {};
  const calls: Record<string, number> = {};
  let throttled = 0;
  const measured = async (name: string, op: () => Promise<number>): Promise<number> => {
    const start = Date.now();
    const before = emulator.requests.length;
    const prior = emulator.requests.filter((r) => r.status !== 429).map((r) => r.at);
    rss.start();
    try {
      const ms = await op();
      const made = emulator.requests.slice(before);
      calls[name] = made.length;
      throttled += made.filter((r) => r.status === 429).length;
      const admitted = made.filter((r) => r.status !== 429).length;
      floors[name] = floorMs(admitted, latencyMs, PARALLEL, rateLimitBoundMs(prior, start, admitted, POSTHOG_RATE));
      return ms;
    } finally {
      peaks.push(rss.stop());
    }
  };
  try {
    await project.init({ "posthog:host": emulator.url, "posthog:projectId": "1", n: String(n) }, { "posthog:apiKey": emulator.apiKey });
    const up = await measured("up", project.up);
    const raw = readStateFile(project.dir, "bench");
    const state = JSON.parse(raw) as { checkpoint: { latest: { resources: Array<{ type: string; inputs: { __provider?: string } }> } } };
    const providerBytes = state.checkpoint.latest.resources.find((r) => r.type.endsWith("SavedQuery"))?.inputs.__provider?.length ?? 0;
    const noopPreview = await measured("noopPreview", project.preview);
    const noopUp = await measured("noopUp", project.up);
    const refresh = await measured("refresh", project.refresh);
    await project.pulumi("config", "set", "changed", "0");
    const updateOneProperty = await measured("updateOneProperty", project.up);
    const destroy = await measured("destroy", project.destroy);
    return {
      wallMs: { up, noopPreview, noopUp, refresh, updateOneProperty, destroy },
      calls,
      throttledResponses: throttled,
      floorMs: { up: floors.up!, refresh: floors.refresh!, destroy: floors.destroy! },
      providerBytesPerResource: providerBytes,
      stateBytesPerResource: Math.round(raw.length / n),
      providerPeakRssMb: Math.max(...peaks.map((p) => p ?? 0)) || null,
    };
  } finally {
    project.dispose();
    await emulator.close();
  }
}

const fastest = <T extends Record<string, number>>(runs: T[]): T => Object.fromEntries(Object.keys(runs[0]!).map((k) => [k, Math.min(...runs.map((r) => r[k]!))])) as T;
const ratio = (a: number, b: number) => +(a / Math.max(b, 1)).toFixed(2);

async function run(n: number, latencyMs: number, repeat: number) {
  const zeroRuns = [];
  const ourRuns = [];
  // Interleaved, so load on a shared machine hits both alike; each figure is the fastest of its runs.
  for (let i = 0; i < repeat; i++) {
    zeroRuns.push(await zeroCost(n));
    ourRuns.push(await ours(n, latencyMs));
  }
  const zero = fastest(zeroRuns);
  const last = ourRuns.at(-1)!;
  const our = fastest(ourRuns.map((r) => r.wallMs));
  const floor = last.floorMs;
  return {
    n,
    emulatorLatencyMs: latencyMs,
    wallMs: { ours: our, zeroCost: zero },
    floorMs: floor,
    overZeroCostPerFloor: { up: ratio(our.up - zero.up, floor.up), refresh: ratio(our.refresh - zero.refresh, floor.refresh), destroy: ratio(our.destroy - zero.destroy, floor.destroy) },
    noopPreviewVsZeroCost: ratio(our.noopPreview, zero.noopPreview),
    calls: last.calls,
    throttledResponses: last.throttledResponses,
    providerBytesPerResource: last.providerBytesPerResource,
    stateBytesPerResource: last.stateBytesPerResource,
    providerPeakRssMb: last.providerPeakRssMb,
  };
}

async function main(): Promise<void> {
  const sizes = (process.env.BENCH_SIZES ?? "10,100,500,1000").split(",").map(Number);
  const latencies = (process.env.BENCH_LATENCIES_MS ?? "50,200").split(",").map(Number);
  const repeat = Number(process.env.BENCH_REPEAT ?? 1);
  const emptyUp = await emptyUpMs();
  const results = [];
  for (const latency of latencies) for (const n of sizes) results.push(await run(n, latency, repeat));
  process.stdout.write(
    `${JSON.stringify({ measuredWith: "pulumi CLI over a project folder", parallelism: PARALLEL, clientConnections: CLIENT_CONNECTIONS, rateLimit: POSTHOG_RATE, engineFixedCostMs: { emptyUp }, results }, null, 2)}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
