import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator, type RecordedRequest } from "./emulator";
import { recordTotals } from "./harness/reliability-totals";
import { TestStack } from "./harness/stack";

/*
 * Load: 200 resources in one stack, `up` at Pulumi's default parallelism against PostHog's rate limits (480 requests
 * a minute, 4,800 an hour per key), with most of the minute's budget already spent by other work on the same key,
 * so a good part of the run is throttled. It must finish with no failed resource and no duplicate.
 */
const SOURCES = 100;
const VIEWS = 100;
let emulator: Emulator;
let stack: TestStack<RecordedRequest>;

beforeAll(async () => {
  emulator = await startEmulator({ rateLimit: { perMinute: 480, perHour: 4800 }, syncDurationMs: 1 });
  stack = await TestStack.create({
    log: emulator,
    projectName: "load-e2e",
    config: { "posthog:host": { value: emulator.url }, "posthog:apiKey": { value: emulator.apiKey, secret: true }, "posthog:projectId": { value: "1" } },
    project: {
      files: {
        "index.ts": `import { ExternalDataSource, SavedQuery } from "pulumi-posthog-warehouse";

for (let i = 0; i < ${SOURCES}; i++) new ExternalDataSource(\`src\${i}\`, { sourceType: "Hubspot", prefix: \`load\${i}_\`, jobInputs: { hubspot_integration_id: i } });
for (let i = 0; i < ${VIEWS}; i++) new SavedQuery(\`view\${i}\`, { name: \`load_view_\${i}\`, query: \`select event, \${i} as n from events\` });
`,
      },
    },
  });
});
afterAll(async () => {
  await stack?.dispose();
  await emulator?.close();
});

describe("200 resources under PostHog's rate limit", () => {
  it("up finishes with every resource created once, through the throttling", async () => {
    // 470 of the minute's 480 requests were made 5 s ago by something else using the key. (Recent, because the
    // language host first compiles the TypeScript program: the first request comes seconds after `up` starts.)
    emulator.spendRateBudget(470, 5_000);
    const started = Date.now();
    const up = await stack.up();
    const seconds = (Date.now() - started) / 1000;

    expect(up.result.summary.result).toBe("succeeded");
    expect(up.result.summary.resourceChanges).toEqual({ create: SOURCES + VIEWS + 1 });
    const throttled = up.requests.filter((r) => r.status === 429).length;
    expect(throttled).toBeGreaterThan(0);
    const sources = emulator.state.sources.filter((s) => !s.deleted);
    const views = emulator.state.views.filter((v) => !v.deleted);
    const duplicates = sources.length - SOURCES + (views.length - VIEWS);
    expect(sources).toHaveLength(SOURCES);
    expect(views).toHaveLength(VIEWS);
    expect(up.requests.filter((r) => r.method === "POST" && r.status < 300)).toHaveLength(SOURCES + VIEWS);
    recordTotals({ duplicates });
    console.log(`load: ${SOURCES + VIEWS} resources up in ${seconds.toFixed(1)} s; ${up.requests.length} requests, ${throttled} throttled (429) and retried`);

    const preview = await stack.preview();
    expect(preview.result.changeSummary).toEqual({ same: SOURCES + VIEWS + 1 });
  }, 600_000);
});
