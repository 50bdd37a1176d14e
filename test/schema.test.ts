import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import path from "node:path";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { buildSchema } from "../scripts/generate-schema";
import { pulumiMetaschema } from "./harness/metaschema";

describe("schema.json", () => {
  const committed = JSON.parse(readFileSync(path.join(__dirname, "..", "schema.json"), "utf8")) as ReturnType<typeof buildSchema>;

  it("is what the generator makes from the current zod schemas (not stale)", () => {
    expect(committed).toEqual(JSON.parse(JSON.stringify(buildSchema())));
  });

  it("is valid against Pulumi's package metaschema (the pinned version's own pulumi.json)", () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(pulumiMetaschema());
    const valid = validate(committed);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    // The validator does refuse a broken schema, so the check above means something.
    expect(validate({ ...committed, name: "not a valid name!", resources: { x: { inputProperties: 3 } } })).toBe(false);
  });

  it("describes config and both resources, with secrets marked", () => {
    expect(committed.config.variables.apiKey).toMatchObject({ secret: true });
    const eds = committed.resources["posthog-warehouse:index:ExternalDataSource"]!;
    expect(eds.requiredInputs).toEqual(expect.arrayContaining(["sourceType", "jobInputs"]));
    expect(eds.inputProperties.jobInputs).toMatchObject({ secret: true });
    const sq = committed.resources["posthog-warehouse:index:SavedQuery"]!;
    expect(sq.requiredInputs).toEqual(expect.arrayContaining(["name", "query"]));
    for (const res of Object.values(committed.resources)) {
      for (const prop of Object.values(res.inputProperties)) expect((prop as { description?: string }).description).toBeTruthy();
    }
  });
});
