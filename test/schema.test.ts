import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import path from "node:path";
import { buildSchema } from "../scripts/generate-schema";

describe("schema.json", () => {
  const committed = JSON.parse(readFileSync(path.join(__dirname, "..", "schema.json"), "utf8")) as ReturnType<typeof buildSchema>;

  it("is what the generator makes from the current zod schemas (not stale)", () => {
    expect(committed).toEqual(JSON.parse(JSON.stringify(buildSchema())));
  });

  it("describes config and both resources, with secrets marked", () => {
    expect(committed.config.variables.apiKey).toMatchObject({ secret: true });
    const eds = committed.resources["posthog-warehouse:index:ExternalDataSource"];
    expect(eds.requiredInputs).toEqual(expect.arrayContaining(["sourceType", "jobInputs"]));
    expect(eds.inputProperties.jobInputs).toMatchObject({ secret: true });
    const sq = committed.resources["posthog-warehouse:index:SavedQuery"];
    expect(sq.requiredInputs).toEqual(expect.arrayContaining(["name", "query"]));
    for (const res of Object.values(committed.resources)) {
      for (const prop of Object.values(res.inputProperties)) expect((prop as { description?: string }).description).toBeTruthy();
    }
  });
});
