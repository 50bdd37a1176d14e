/**
 * The demo: examples/quickstart as a user runs it, with the `pulumi` CLI in a project folder (this package installed
 * from its `npm pack` tarball), against the bundled PostHog emulator on 127.0.0.1. Shows the CLI's own output for
 * up, a no-op preview and destroy, then the API calls each made and what PostHog holds.
 */
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import path from "node:path";
import { startEmulator, type Emulator } from "../test/emulator";
import { engineEnv, makeProjectDir, pulumiBinDir, readStateFile, REPO_ROOT } from "../test/harness/engine-env";

const step = (text: string) => console.log(`\n== ${text}`);

/** Runs `pulumi <args>` in the project, its output shown as it comes (the user's view). */
function pulumi(dir: string, args: string[], show = true): Promise<void> {
  return new Promise((resolve, reject) => {
    if (show) console.log(`$ pulumi ${args.join(" ")}`);
    const child = spawn(path.join(pulumiBinDir(), "pulumi"), args, { cwd: dir, env: { ...process.env, ...engineEnv(dir) }, stdio: ["ignore", show ? "inherit" : "ignore", "inherit"] });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`pulumi ${args.join(" ")} exited with ${code}`))));
  });
}

function calls(emulator: Emulator, since: number): string {
  const made = emulator.requests.slice(since);
  return `${made.length}${made.length ? ` (${made.map((r) => `${r.method} ${r.path.replace(/^\/api\/(environments|projects)\/\d+/, "")} ${r.status}`).join(", ")})` : ""}`;
}

async function main(): Promise<void> {
  step("starting the PostHog emulator");
  const emulator = await startEmulator({ syncDurationMs: 500 });
  console.log(`emulator at ${emulator.url} (project ${emulator.projectId})`);
  const dir = makeProjectDir("posthog-warehouse-quickstart", { from: path.join(REPO_ROOT, "examples", "quickstart") });
  console.log(`project folder: ${dir} (a copy of examples/quickstart; node_modules from \`npm pack\` of this repo)`);
  try {
    await pulumi(dir, ["stack", "init", "demo"], false);
    await pulumi(dir, ["config", "set", "posthog:host", emulator.url], false);
    await pulumi(dir, ["config", "set", "--secret", "posthog:apiKey", emulator.apiKey], false);
    await pulumi(dir, ["config", "set", "posthog:projectId", String(emulator.projectId)], false);

    step("pulumi up");
    let before = emulator.requests.length;
    await pulumi(dir, ["up", "--yes", "--skip-preview"]);
    console.log(`\nAPI calls: ${calls(emulator, before)}`);
    const raw = readStateFile(dir, "demo");
    const state = JSON.parse(raw) as { checkpoint: { latest: { resources: Array<{ inputs?: { __provider?: string } }> } } };
    const sizes = state.checkpoint.latest.resources.flatMap((r) => (r.inputs?.__provider ? [r.inputs.__provider.length] : []));
    console.log(`state: ${raw.length} bytes; __provider per resource: ${[...new Set(sizes)].join(" / ")} bytes (one require of the installed package)`);
    console.log("PostHog now holds:");
    for (const s of emulator.state.sources.filter((x) => !x.deleted)) console.log(`  source ${s.source_type} prefix=${s.prefix} tables=${s.schemas.filter((r) => r.should_sync).map((r) => r.name).join(",")}`);
    for (const v of emulator.state.views.filter((x) => !x.deleted)) console.log(`  view ${v.name}: ${v.query.query}`);

    step("pulumi preview --diff (nothing changed)");
    before = emulator.requests.length;
    await pulumi(dir, ["preview", "--diff"]);
    console.log(`\nAPI calls: ${calls(emulator, before)}`);

    step("pulumi destroy");
    before = emulator.requests.length;
    await pulumi(dir, ["destroy", "--yes", "--skip-preview"]);
    console.log(`\nAPI calls: ${calls(emulator, before)}`);
    console.log(`live objects left in PostHog: ${emulator.state.sources.filter((s) => !s.deleted).length + emulator.state.views.filter((v) => !v.deleted).length}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await emulator.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
