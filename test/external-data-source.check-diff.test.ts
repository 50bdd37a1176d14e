import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { toDynamicProvider, type LifecycleServices } from "../provider/resource/lifecycle";
import { externalDataSourceDefinition, jobInputSecretPaths } from "../provider/resources/external-data-source";

const warnings: string[] = [];
const offline: LifecycleServices = {
  context: () => {
    throw new Error("check/diff must not make API calls");
  },
  warn: (m) => warnings.push(m),
};
const provider = toDynamicProvider(externalDataSourceDefinition, offline);
const stripe = {
  sourceType: "Stripe",
  prefix: "billing_",
  jobInputs: { stripe_account_id: "acct_1", auth_method: { selection: "api_key", stripe_secret_key: "sk_test_1" } },
};
const postgres = {
  sourceType: "Postgres",
  prefix: "app_",
  jobInputs: { host: "db.internal", port: 5432, database: "app", user: "ro", password: "pw", schema: "public" },
};

async function failures(inputs: Record<string, unknown>) {
  return (await provider.check!({}, inputs)).failures ?? [];
}

describe("ExternalDataSource check", () => {
  it("accepts valid Stripe and Postgres sources", async () => {
    expect(await failures(stripe)).toEqual([]);
    expect(await failures(postgres)).toEqual([]);
  });

  it("names the path inside jobInputs that is wrong", async () => {
    const f = await failures({ ...postgres, jobInputs: { ...postgres.jobInputs, port: "not-a-port", password: "" } });
    // Named in the reason, not as the failing property: the engine would print the whole value, secrets included.
    expect(f.every((x) => x.property === "")).toBe(true);
    expect(f.map((x) => x.reason).join("\n")).toMatch(/jobInputs\.port/);
    expect(f.map((x) => x.reason).join("\n")).toMatch(/jobInputs\.password: password must not be empty/);
  });

  it("refuses unknown source types, bad prefixes and incremental syncs without a cursor", async () => {
    expect((await failures({ ...stripe, sourceType: "Oracle" }))[0]!.property).toBe("sourceType");
    expect((await failures({ ...stripe, prefix: "___" }))[0]!.reason).toMatch(/only underscores/);
    expect((await failures({ ...stripe, prefix: "bad-prefix" }))[0]!.reason).toMatch(/letters, numbers and underscores/);
    expect((await failures({ ...stripe, schemas: [{ name: "Charge", syncType: "incremental" }] }))[0]!.reason).toMatch(/schemas\[0\]: incremental/);
  });

  it("accepts PostHog types it does not type, with a warning", async () => {
    warnings.length = 0;
    expect(await failures({ sourceType: "Vitally", jobInputs: { secret_token: "x" } })).toEqual([]);
    expect(warnings.join()).toMatch(/not validated/);
    // Not in the catalogue: nothing says which fields are credentials, so all of them are secret (no name guess).
    expect(jobInputSecretPaths("Vitally", { secret_token: "x", region: "EU" })).toEqual([["secret_token"], ["region"]]);
  });

  it("accepts PostHog's own fields (MySQL using_ssl, Postgres connection_string) and warns about unknown ones", async () => {
    const mysql = { sourceType: "MySQL", prefix: "m_", jobInputs: { host: "h", port: 3306, database: "d", user: "u", password: "p", schema: "s", using_ssl: false } };
    warnings.length = 0;
    expect(await failures(mysql)).toEqual([]);
    expect(await failures({ ...postgres, jobInputs: { ...postgres.jobInputs, connection_string: "postgresql://u:p@h/d" } })).toEqual([]);
    expect(warnings).toEqual([]);
    // No property name for jobInputs failures: the engine would print the whole value, secrets included.
    expect(await failures({ ...mysql, jobInputs: { ...mysql.jobInputs, using_ssl: "maybe" } })).toMatchObject([{ property: "", reason: expect.stringMatching(/^jobInputs\.using_ssl: /) }]);
    const { using_ssl: _ssl, ...defaultSsl } = mysql.jobInputs;
    expect(await failures({ ...mysql, jobInputs: defaultSsl })).toEqual([]);
    expect(await failures({ ...postgres, jobInputs: { ...postgres.jobInputs, sslmode: "require" } })).toEqual([]);
    expect(warnings.join()).toMatch(/jobInputs\.sslmode: not in PostHog's Postgres definition/);
  });

  it("secret paths come from PostHog's definitions", () => {
    expect(jobInputSecretPaths("Postgres", {})).toEqual([["connection_string"], ["password"], ["ssh_tunnel", "auth", "password"], ["ssh_tunnel", "auth", "private_key"], ["ssh_tunnel", "auth", "passphrase"]]);
    expect(jobInputSecretPaths("MySQL", {})).toContainEqual(["ssh_tunnel", "auth", "private_key"]);
    expect(jobInputSecretPaths("Snowflake", {})).toEqual([["auth_type", "password"], ["auth_type", "private_key"], ["auth_type", "passphrase"]]);
  });

  it("rejects generated malformed job inputs with a jobInputs path", async () => {
    await fc.assert(
      fc.asyncProperty(fc.record({ host: fc.oneof(fc.integer(), fc.constant("")), port: fc.oneof(fc.string({ minLength: 6 }), fc.integer({ min: 70000 })) }), async (bad) => {
        const f = await failures({ ...postgres, jobInputs: { ...postgres.jobInputs, ...bad } });
        return f.length > 0 && f.every((x) => x.property === "" && x.reason.startsWith("jobInputs."));
      }),
      { numRuns: 200 },
    );
  });
});

describe("ExternalDataSource diff", () => {
  const state = { ...stripe, sourceId: "s1", schemaStatus: [] };
  const diff = (news: Record<string, unknown>) => provider.diff!("s1", state, news);

  it("updates description, connection fields, schemas and revenue config in place", async () => {
    for (const news of [
      { ...stripe, description: "d" },
      { ...stripe, jobInputs: { ...stripe.jobInputs, stripe_account_id: "acct_2" } },
      { ...stripe, schemas: [{ name: "Charge" }] },
      { ...stripe, revenueAnalyticsConfig: { enabled: true } },
    ]) {
      expect(await diff(news)).toMatchObject({ changes: true, replaces: [] });
    }
  });

  it("replaces on sourceType and prefix (PostHog ignores prefix changes), deleting first only on a clash", async () => {
    expect(await diff({ ...stripe, sourceType: "Hubspot", jobInputs: { hubspot_integration_id: 1 } })).toMatchObject({ replaces: ["sourceType"], deleteBeforeReplace: false });
    expect((await diff({ ...stripe, prefix: "other_" })).replaces).toEqual(["prefix"]);
    // A move to another host keeps nothing in common with the old object's place: create first, then delete there.
    expect(await diff({ ...stripe, host: "http://127.0.0.1:1" })).toMatchObject({ replaces: ["host"], deleteBeforeReplace: false });
    // The key is kept, so any replacement the engine decides on (replaceOnChanges) deletes first.
    expect(await diff({ ...stripe, description: "d" })).toMatchObject({ replaces: [], deleteBeforeReplace: true });
  });

  it("compares secrets by value: a changed secret is a change, the same secret is not", async () => {
    expect((await diff(stripe)).changes).toBe(false);
    expect((await diff({ ...stripe, jobInputs: { ...stripe.jobInputs, auth_method: { selection: "api_key", stripe_secret_key: "sk_test_2" } } })).changes).toBe(true);
  });

  it("treats hook settings as local changes (no replacement)", async () => {
    expect(await diff({ ...stripe, reload: "always" })).toMatchObject({ changes: true, replaces: [] });
  });
});
