/**
 * The two provider adapters side by side: the dynamic-provider host (the engine's Node plugin that loads our
 * serialized provider) and the native plugin (plugin/pulumi-resource-posthog-warehouse).
 *
 * - coldStartMs: spawn until the process prints its gRPC port (what the engine waits for), median of `runs`;
 *   the dynamic host then still loads our provider code on its first request (providerLoadMs, in a fresh process).
 * - rssAtStartMb: VmHWM when the port is printed.
 * - upPeakRssMb / upMs: an `up` of `n` views under the real engine against the emulator, TypeScript program on the
 *   dynamic providers vs YAML program on the native plugin; peak RSS of the provider process(es) over the run.
 *
 * `node dist/bench/adapters.js` prints its JSON alone; `npm run bench` includes it (run.ts).
 */
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { startEmulator } from "../test/emulator";
import { REPO_ROOT } from "../test/harness/engine-env";
import { TestStack } from "../test/harness/stack";
import { NATIVE_PLUGIN_DIR, YamlProject } from "../test/harness/yaml-project";
import { ProviderRssSampler } from "./provider-rss";

const NODE_BIN = path.join(REPO_ROOT, "node_modules", ".bin");
const DYNAMIC_HOST = path.join(REPO_ROOT, "node_modules", "@pulumi", "pulumi", "pulumi-resource-pulumi-nodejs");
const NATIVE_PLUGIN = path.join(NATIVE_PLUGIN_DIR, "pulumi-resource-posthog-warehouse");

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A process and its descendants (Linux). */
function processTree(pid: number): number[] {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // exited
  }
  return [pid, ...children.flatMap(processTree)];
}

function peakKb(pid: number): number {
  try {
    return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Spawns a plugin as the engine does (an engine address as argument) and times it until its port line. */
function startOnce(launcher: string): Promise<{ ms: number; rssMb: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // An address nothing listens on: the plugins only connect to it when they log.
    // Its own process group, so the whole tree (the dynamic host's launcher does not exec) is stopped afterwards.
    const child = spawn(launcher, ["127.0.0.1:1"], { env: { ...process.env, PATH: `${NODE_BIN}${path.delimiter}${process.env.PATH ?? ""}` }, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (!/^\d+\n/.test(out)) return;
      const ms = performance.now() - started;
      const kb = Math.max(...processTree(child.pid!).map(peakKb));
      process.kill(-child.pid!, "SIGKILL");
      resolve({ ms: Math.round(ms), rssMb: Math.round(kb / 1024) });
    });
    child.on("error", reject);
    child.on("exit", (code) => (/^\d+\n/.test(out) ? undefined : reject(new Error(`${launcher} exited ${code} before serving`))));
  });
}

async function coldStart(launcher: string, runs: number) {
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(await startOnce(launcher));
  return { coldStartMs: median(samples.map((s) => s.ms)), rssAtStartMb: median(samples.map((s) => s.rssMb)) };
}

/** What the dynamic host loads on its first request: our runtime module, in a fresh Node process. */
function providerLoadMs(): number {
  const script = `const t=performance.now();require(${JSON.stringify(path.join(REPO_ROOT, "node_modules", "pulumi-posthog-warehouse", "dist", "provider", "runtime", "runtime.js"))});console.log(Math.round(performance.now()-t))`;
  return median([0, 1, 2].map(() => Number(execFileSync(path.join(NODE_BIN, "node"), ["-e", script], { encoding: "utf8" }).trim())));
}

async function timedWithRss(match: string, fn: () => Promise<unknown>): Promise<{ upMs: number; upPeakRssMb: number | null }> {
  const rss = new ProviderRssSampler(match);
  rss.start();
  const started = performance.now();
  try {
    await fn();
    return { upMs: Math.round(performance.now() - started), upPeakRssMb: rss.stop() };
  } catch (err) {
    rss.stop();
    throw err;
  }
}

async function dynamicUp(n: number) {
  const { SavedQuery } = createRequire(path.join(REPO_ROOT, "node_modules", "index.js"))("pulumi-posthog-warehouse") as typeof import("../provider");
  const emulator = await startEmulator();
  const stack = await TestStack.create({
    program: async () => {
      for (let i = 0; i < n; i++) new SavedQuery(`v${i}`, { name: `bench_view_${i}`, query: "select event from events" });
    },
    projectName: "bench-dynamic",
    config: { "posthog:host": { value: emulator.url }, "posthog:apiKey": { value: emulator.apiKey, secret: true }, "posthog:projectId": { value: "1" } },
  });
  try {
    return await timedWithRss("dynamic-provider", () => stack.up());
  } finally {
    await stack.dispose();
    await emulator.close();
  }
}

async function nativeUp(n: number) {
  const emulator = await startEmulator();
  const project = new YamlProject("bench-native");
  try {
    let resources = "";
    for (let i = 0; i < n; i++) resources += `  v${i}:\n    type: posthog-warehouse:index:SavedQuery\n    properties:\n      name: bench_view_${i}\n      query: select event from events\n`;
    project.writeProgram(resources);
    await project.ok(["stack", "init", project.stack]);
    await project.ok(["config", "set", "posthog-warehouse:host", emulator.url]);
    await project.ok(["config", "set", "--secret", "posthog-warehouse:apiKey", emulator.apiKey]);
    await project.ok(["config", "set", "posthog-warehouse:projectId", "1"]);
    return await timedWithRss("native/main.js", () => project.ok(["up", "--yes", "--skip-preview"]));
  } finally {
    project.dispose();
    await emulator.close();
  }
}

export async function compareAdapters(n = Number(process.env.BENCH_ADAPTER_VIEWS ?? 20), runs = 5) {
  return {
    views: n,
    dynamicHost: { ...(await coldStart(DYNAMIC_HOST, runs)), providerLoadMs: providerLoadMs(), ...(await dynamicUp(n)) },
    nativePlugin: { ...(await coldStart(NATIVE_PLUGIN, runs)), providerLoadMs: 0, ...(await nativeUp(n)) },
  };
}

if (require.main === module) {
  compareAdapters().then(
    (result) => console.log(JSON.stringify(result, null, 2)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
