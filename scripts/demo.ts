/**
 * The demo: examples/quickstart under the real Pulumi engine, against the bundled PostHog emulator on 127.0.0.1.
 * up, a no-op preview, a change, then destroy, printing what the engine and the emulator saw.
 */
import { startEmulator } from "../test/emulator";
import { TestStack } from "../test/harness/stack";
import { program } from "../examples/quickstart/program";

const step = (text: string) => console.log(`\n== ${text}`);

async function main(): Promise<void> {
  step("starting the PostHog emulator");
  const emulator = await startEmulator({ syncDurationMs: 500 });
  console.log(`emulator at ${emulator.url} (project ${emulator.projectId})`);
  const stack = await TestStack.create({
    program,
    log: emulator,
    projectName: "posthog-warehouse-quickstart",
    stackName: "demo",
    config: {
      "posthog:host": { value: emulator.url },
      "posthog:apiKey": { value: emulator.apiKey, secret: true },
      "posthog:projectId": { value: String(emulator.projectId) },
    },
  });
  try {
    step("pulumi up");
    const up = await stack.up();
    process.stdout.write(up.stdout);
    console.log("outputs:", JSON.stringify(Object.fromEntries(Object.entries(up.result.outputs).map(([k, v]) => [k, v.secret ? "[secret]" : v.value])), null, 2));
    console.log(`API calls: ${up.requests.length} (${up.requests.map((r) => `${r.method} ${r.status}`).join(", ")})`);
    const state = JSON.parse(stack.rawState()) as { checkpoint: { latest: { resources: Array<{ inputs?: { __provider?: string } }> } } };
    const sizes = state.checkpoint.latest.resources.flatMap((r) => (r.inputs?.__provider ? [r.inputs.__provider.length] : []));
    console.log(`state: ${stack.rawState().length} bytes; __provider per resource: ${[...new Set(sizes)].join(" / ")} bytes (one require of the installed package)`);
    console.log("PostHog now holds:");
    for (const s of emulator.state.sources.filter((x) => !x.deleted)) console.log(`  source ${s.source_type} prefix=${s.prefix} tables=${s.schemas.filter((r) => r.should_sync).map((r) => r.name).join(",")}`);
    for (const v of emulator.state.views.filter((x) => !x.deleted)) console.log(`  view ${v.name}: ${v.query.query}`);

    step("pulumi preview (nothing changed)");
    const preview = await stack.preview();
    console.log(`changes: ${JSON.stringify(preview.result.changeSummary)}; API calls: ${preview.requests.length}`);

    step("pulumi destroy");
    const destroy = await stack.destroy();
    console.log(`deleted: ${destroy.result.summary.resourceChanges?.delete ?? 0}; live objects left: ${emulator.state.sources.filter((s) => !s.deleted).length + emulator.state.views.filter((v) => !v.deleted).length}`);
  } finally {
    await stack.dispose();
    await emulator.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
