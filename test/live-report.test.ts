import { describe, expect, it } from "vitest";
import { bodyKeys, errorMessage, pathTemplate, type ExchangeRecord } from "./live/recording-proxy";
import { diffExchanges } from "./live/report";
import { bucketFromEnv, isLeftover, newRunPrefix } from "./live/config";
import { prefixedJoinName, prefixedTable } from "./live/sweep";
import type { WarehouseJoin, WarehouseTable } from "../provider/client";

const rec = (over: Partial<ExchangeRecord>): ExchangeRecord => ({ file: "f", test: "t", method: "GET", template: "/api/environments/:id/x/", status: 200, keys: ["id"], ...over });

describe("the live run's request records and their diff", () => {
  it("blank ids and query values, keep list item keys, and name PostHog's message", () => {
    expect(pathTemplate("/api/environments/42/warehouse_saved_queries/0193a6f0-5b1e-7c3d-9e2f-0a1b2c3d4e5f/ancestors/", new URLSearchParams("page=2&search=x"))).toBe(
      "/api/environments/:id/warehouse_saved_queries/:id/ancestors/?page&search",
    );
    expect(bodyKeys({ count: 1, results: [{ id: "a", name: "n" }] })).toEqual(["count", "results", "results[].id", "results[].name"]);
    expect(errorMessage(400, { type: "validation_error", attr: "prefix", detail: "bad" })).toBe("prefix: bad");
    expect(errorMessage(400, { message: "taken" })).toBe("taken");
    expect(errorMessage(200, { detail: "x" })).toBeUndefined();
  });

  it("pairs requests per test in order and reports each kind of difference; 429s are left out", () => {
    const server = [rec({}), rec({ status: 400, keys: ["detail"], error: "a" }), rec({ method: "POST", keys: ["id", "extra"] }), rec({ status: 429 })];
    const emulator = [rec({}), rec({ status: 404, keys: ["detail"], error: "b" }), rec({ method: "POST", keys: ["id"] }), rec({ method: "DELETE", status: 204, keys: [] })];
    expect(diffExchanges(server, emulator).map((d) => d.what)).toEqual([
      "status: server 400, emulator 404",
      'error: server "a", emulator "b"',
      "body keys only the server sent: extra",
      "only the emulator was asked this",
    ]);
    expect(diffExchanges(server, server)).toEqual([]);
    // State, not the emulator: one more page on a fuller project, items on one side only.
    const page = (keys: string[]) => rec({ template: "/api/environments/:id/x/?limit&offset", keys: ["count", "next", "previous", "results", ...keys] });
    expect(diffExchanges([page(["results[].id"]), page(["results[].id"])], [page([])])).toEqual([]);
    expect(diffExchanges([page(["results[].id", "results[].new"])], [page(["results[].id"])]).map((d) => d.what)).toEqual(["body keys only the server sent: results[].new"]);
  });

  it("tells a crashed run's objects from a running one's by the time in the prefix", () => {
    const now = Date.now();
    expect(isLeftover(`${newRunPrefix(now - 60_000)}view`, now)).toBe(false);
    expect(isLeftover(`${newRunPrefix(now - 24 * 3_600_000)}view`, now)).toBe(true);
    expect(isLeftover("phwlive_handmade", now)).toBe(true);
    expect(isLeftover("foreign_view", now)).toBe(false);
  });

  it("owns a join by its field name or its source table's name only, and a table only by its own name and unsynced", () => {
    const p = newRunPrefix();
    const join = (source: string, field: string, joining = "persons"): WarehouseJoin => ({ id: "j", source_table_name: source, source_table_key: "k", joining_table_name: joining, joining_table_key: "k", field_name: field });
    expect(prefixedJoinName(join("events", `${p}person`), p)).toBe(`${p}person`);
    expect(prefixedJoinName(join(`${p}orders`, "person"), p)).toBe(`${p}orders`);
    // Only the table joined in, or a look-alike, carries it: not the run's.
    expect(prefixedJoinName(join("events", "person", `${p}orders`), p)).toBeUndefined();
    expect(prefixedJoinName(join(`x${p}orders`, `x${p}person`), p)).toBeUndefined();
    const table = (name: string, synced = false): WarehouseTable => ({ id: "t", name, format: "Parquet", url_pattern: "https://b/x", external_data_source: synced ? { id: "s" } : null });
    expect(prefixedTable(table(`${p}orders`), p)).toBe(true);
    expect(prefixedTable(table(`${p}stripe_customer`, true), p)).toBe(false);
    expect(prefixedTable(table(`x${p}orders`), p)).toBe(false);
  });

  it("takes a bucket only when its URL, key and secret are all given", () => {
    const env = { POSTHOG_TEST_TABLE_URL: "https://b.s3.amazonaws.com/x/*.csv", POSTHOG_TEST_TABLE_ACCESS_KEY: "AKIA", POSTHOG_TEST_TABLE_ACCESS_SECRET: "s" };
    expect(bucketFromEnv(env)).toEqual({ url: env.POSTHOG_TEST_TABLE_URL, otherUrl: undefined, format: "Parquet", accessKey: "AKIA", accessSecret: "s" });
    expect(bucketFromEnv({ ...env, POSTHOG_TEST_TABLE_FORMAT: "CSVWithNames", POSTHOG_TEST_TABLE_URL_2: "https://b/y" })).toMatchObject({ format: "CSVWithNames", otherUrl: "https://b/y" });
    expect(bucketFromEnv({ ...env, POSTHOG_TEST_TABLE_ACCESS_SECRET: "" })).toBeUndefined();
  });
});
