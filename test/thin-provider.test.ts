import { createRequire } from "node:module";
import path from "node:path";
import { describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";

// The package as a user's project loads it: the copy scripts/install-self.js puts in node_modules (the serializer
// runs on compiled JavaScript, not on vitest's transform, and decides by where the module lives).
const installed = createRequire(path.join(__dirname, "..", "node_modules", "index.js"));
const programSide = installed("pulumi-posthog-warehouse/dist/provider/resource/program-side.js") as typeof import("../provider/resource/program-side");
const { thinProvider } = installed("pulumi-posthog-warehouse/dist/provider/runtime/thin-provider.js") as typeof import("../provider/runtime/thin-provider");

async function serialize(provider: pulumi.dynamic.ResourceProvider) {
  return pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
}

async function revive(text: string, exportName: string): Promise<pulumi.dynamic.ResourceProvider> {
  const mod: { exports: Record<string, unknown> } = { exports: {} };
  new Function("exports", "module", "require", text)(mod.exports, mod, installed);
  return (mod.exports[exportName] as () => pulumi.dynamic.ResourceProvider)();
}

describe("the serialized provider (__provider)", () => {
  it("is, where the package is installed, one require of the provider module: under 2 KB, no config or secret", async () => {
    process.env.POSTHOG_PERSONAL_API_KEY = "phx_canary_should_not_appear";
    for (const [type, file] of [["SavedQuery", "saved-query"], ["ExternalDataSource", "external-data-source"]] as const) {
      const serialized = await serialize(programSide.providerOf(type));
      expect(serialized.text.length).toBeLessThanOrEqual(2048);
      expect(serialized.text).toContain(`require("pulumi-posthog-warehouse/dist/provider/runtime/providers/${file}.js")`);
      expect(serialized.containsSecrets).toBe(false);
      expect(serialized.text).not.toContain("phx_canary_should_not_appear");
      expect(serialized.text).not.toMatch(/undici|zod|apiKey/);
    }
  });

  it("round-trips: the revived provider answers check through the installed implementation", async () => {
    const serialized = await serialize(programSide.providerOf("SavedQuery"));
    const revived = await revive(serialized.text, serialized.exportName);
    const result = await revived.check!({}, { name: "events", query: "" });
    expect(result.failures?.map((f) => f.property).sort()).toEqual(["name", "query"]);
  });

  it("falls back, outside node_modules, to a thin provider that captures only the type name", async () => {
    const serialized = await serialize(thinProvider("SavedQuery"));
    // ~2.3 KB: the serializer wraps each of the seven methods in ~200 bytes of scaffolding.
    expect(serialized.text.length).toBeLessThanOrEqual(2560);
    expect(serialized.text).toContain(`require("pulumi-posthog-warehouse/dist/provider/runtime/runtime.js")`);
    expect(serialized.text).not.toMatch(/undici|zod/);
    const revived = await revive(serialized.text, serialized.exportName);
    expect((await revived.check!({}, { name: "ok_name", query: "select 1" })).failures ?? []).toEqual([]);
  });
});
