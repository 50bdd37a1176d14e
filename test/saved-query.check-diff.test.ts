import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { toDynamicProvider, type LifecycleServices } from "../provider/resource/lifecycle";
import { externalDataSourceDefinition } from "../provider/resources/external-data-source";
import { normalizeHogQL, savedQueryDefinition } from "../provider/resources/saved-query";
import { UNKNOWN } from "../provider/resource/values";

// context() throws: any API call from check or diff would fail these tests.
const offline: LifecycleServices = {
  context: () => {
    throw new Error("check/diff must not make API calls");
  },
  warn: () => undefined,
};
const provider = toDynamicProvider(savedQueryDefinition, offline);
const base = { name: "paying_customers", query: "select id from events" };

async function failures(inputs: Record<string, unknown>) {
  return (await provider.check!({}, inputs)).failures ?? [];
}

describe("SavedQuery check", () => {
  it("accepts a valid view", async () => {
    expect(await failures(base)).toEqual([]);
  });

  it.each([
    ["1abc", /name: must start with/],
    ["has space", /name: must start with/],
    ["a".repeat(129), /name: must be at most 128/],
    ["events", /name: must not be one of PostHog's table names/],
    [42, /name: .*string/],
  ])("refuses the name %j naming the property", async (name, reason) => {
    const f = await failures({ ...base, name });
    expect(f.map((x) => x.property)).toEqual(["name"]);
    expect(f[0]!.reason).toMatch(reason);
  });

  it("refuses empty queries and placeholders, but not braces inside string literals", async () => {
    expect((await failures({ ...base, query: "   " }))[0]!.reason).toMatch(/query: must not be empty/);
    expect((await failures({ ...base, query: "select {x} from events" }))[0]!.reason).toMatch(/placeholders/);
    expect(await failures({ ...base, query: "select '{x}' from events" })).toEqual([]);
  });

  it("refuses unknown sync frequencies and accepts PostHog's", async () => {
    expect((await failures({ ...base, syncFrequency: "2hour" }))[0]!.property).toBe("syncFrequency");
    expect(await failures({ ...base, syncFrequency: "never" })).toEqual([]);
  });

  it("lets a name that is unknown during preview through", async () => {
    expect(await failures({ ...base, query: `select * from ${UNKNOWN}`, name: UNKNOWN })).toEqual([]);
  });

  it("rejects generated bad names, always naming the property", async () => {
    await fc.assert(
      // PostHog trims names (DRF CharField), so surrounding whitespace alone does not make a name bad.
      fc.asyncProperty(fc.string().filter((s) => !/^[A-Za-z_$][A-Za-z0-9_.$]{0,127}$/.test(s.trim())), async (name) => {
        const f = await failures({ ...base, name });
        return f.length > 0 && f.every((x) => x.property === "name");
      }),
      { numRuns: 300 },
    );
  });
});

describe("SavedQuery diff", () => {
  const olds = { ...base, viewId: "v1", latestHistoryId: "3" };
  const diff = (news: Record<string, unknown>) => provider.diff!("v1", olds, news);

  it("sees no change for formatting-only query edits", async () => {
    expect((await diff({ ...base, query: "  select  id\r\n\tfrom events   \n" })).changes).toBe(false);
  });

  it("sees a change inside string literals and for any other edit, in place", async () => {
    expect(normalizeHogQL("select 'a  b'")).not.toBe(normalizeHogQL("select 'a b'"));
    const edit = await diff({ ...base, query: "select id, email from events" });
    expect(edit).toMatchObject({ changes: true, replaces: [] });
    expect((await diff({ ...base, name: "renamed" })).replaces).toEqual([]);
  });

  it("replaces only when the view moves to another project", async () => {
    expect((await diff({ ...base, projectId: "2" })).replaces).toEqual(["projectId"]);
  });

  it("normalization is idempotent and blind to extra whitespace between tokens", () => {
    const token = fc.constantFrom("select", "id", ",", "from", "events", "where", "x", "=", "'a  b'");
    const gap = fc.constantFrom(" ", "  ", "\n", "\t", "\r\n  ");
    fc.assert(
      fc.property(fc.array(fc.tuple(token, gap), { minLength: 1 }), (pairs) => {
        const tight = pairs.map(([t]) => t).join(" ");
        const loose = pairs.map(([t, g]) => g + t).join(" ") + "\n";
        return normalizeHogQL(loose) === normalizeHogQL(tight) && normalizeHogQL(normalizeHogQL(tight)) === normalizeHogQL(tight);
      }),
    );
  });
});

describe("HogQL normalization with comments, apostrophes and literals", () => {
  // Literal bodies escape their apostrophes; comment bodies hold bare ones (and literal-looking text).
  const literalBody = fc.array(fc.constantFrom("a", "b", " ", "  ", "--", "/*", "*/", "\\'", '"', "`", "{x}", "\t"), { maxLength: 6 }).map((p) => p.join(""));
  const commentBody = fc.array(fc.constantFrom("a", " ", "  ", "don't", "'", "'a  b'", '"', "`", "/*", "--", "\t"), { maxLength: 6 }).map((p) => p.join(""));
  const literal = literalBody.map((t) => `'${t}'`);
  const lineComment = commentBody.map((t) => `--${t}`);
  const blockComment = commentBody.map((t) => `/*${t.replace(/\*\//g, "* /")}*/`);
  const word = fc.constantFrom("select", "id", ",", "from", "events", "where", "x", "=", "(", ")", "count()");
  const token = fc.oneof(word, word, literal, lineComment, blockComment);
  const gap = fc.constantFrom(" ", "  ", "\n", "\t", "\r\n  ");
  const join = (tokens: string[], gaps: string[]) => tokens.map((t, i) => t + (t.startsWith("--") ? "\n" : "") + (gaps[i] ?? " ")).join("");

  it("select 'a  b' -- don't vs select 'a b' -- don't is a change; a line comment's newline counts", () => {
    expect(normalizeHogQL("select 'a  b' -- don't")).not.toBe(normalizeHogQL("select 'a b' -- don't"));
    expect(normalizeHogQL("select 'a  b' /* don't */")).not.toBe(normalizeHogQL("select 'a b' /* don't */"));
    expect(normalizeHogQL("select 1 -- one\nfrom events")).not.toBe(normalizeHogQL("select 1 -- one from events"));
    expect(normalizeHogQL("select 1 -- don't\n  from   events")).toBe(normalizeHogQL("select 1 -- don't\nfrom events"));
  });

  it("is blind to whitespace between tokens and idempotent, for generated queries", () => {
    fc.assert(
      fc.property(fc.array(token, { minLength: 1, maxLength: 12 }), fc.array(gap, { maxLength: 12 }), (tokens, gaps) => {
        const tight = normalizeHogQL(join(tokens, []));
        return normalizeHogQL(join(tokens, gaps)) === tight && normalizeHogQL(tight) === tight;
      }),
      { numRuns: 1000 },
    );
  });

  it("sees every whitespace change inside a literal, whatever comments surround it", () => {
    fc.assert(
      fc.property(fc.array(token, { maxLength: 6 }), literalBody, literalBody, fc.array(token, { maxLength: 6 }), (before, left, right, after) => {
        const query = (space: string) => join([...before, `'${left}${space}${right}'`, ...after], []);
        return normalizeHogQL(query(" ")) !== normalizeHogQL(query("  "));
      }),
      { numRuns: 1000 },
    );
  });
});

describe("check refuses unknown properties", () => {
  it("names a misspelt property instead of dropping it", async () => {
    const view = await provider.check!({}, { name: "v", query: "select 1", syncFreqency: "24hour" });
    expect(view.failures).toEqual([{ property: "syncFreqency", reason: "syncFreqency: is not a property of this resource (misspelt?)" }]);
    const source = await toDynamicProvider(externalDataSourceDefinition, offline).check!({}, { sourceType: "Hubspot", jobInputs: { hubspot_integration_id: 1 }, descripton: "x" });
    expect(source.failures).toEqual([{ property: "descripton", reason: "descripton: is not a property of this resource (misspelt?)" }]);
  });
});
