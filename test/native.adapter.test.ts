import * as grpc from "@grpc/grpc-js";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as proto from "@pulumi/pulumi/proto/provider_pb";
import * as status from "@pulumi/pulumi/proto/status_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NativeProvider, RpcError } from "../provider/native/provider";
import { loadSchema } from "../provider/native/schema";
import { unwrap } from "../provider/native/values";
import type { ProgressSink } from "../provider/runtime/engine-log";
import { servicesFactory } from "../provider/runtime/services";
import { UNKNOWN } from "../provider/resource/values";
import { startEmulator, type Emulator } from "./emulator";

/*
 * The native adapter at the protocol level, against the emulator: what the engine sends and what it gets back.
 * (test/native.e2e.test.ts runs the same plugin under the real CLI.)
 */
const SECRET_SIG = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" };
const secret = (value: unknown) => ({ ...SECRET_SIG, value });
const struct = (value: Record<string, unknown>) => Struct.fromJavaScript(value as Record<string, never>);
const SQ = "posthog-warehouse:index:SavedQuery";
const EDS = "posthog-warehouse:index:ExternalDataSource";
const urn = (type: string, name: string) => `urn:pulumi:test::p::${type}::${name}`;

let emulator: Emulator;
let provider: NativeProvider;
const logged: Array<{ severity: string; message: string; urn?: string }> = [];

beforeAll(async () => {
  emulator = await startEmulator();
  const sink: ProgressSink = {
    info: (message, at) => logged.push({ severity: "info", message, urn: at }),
    warn: (message, at) => logged.push({ severity: "warning", message, urn: at }),
    debug: (message, at) => logged.push({ severity: "debug", message, urn: at }),
  };
  const services = servicesFactory(() => provider.configSource, sink);
  provider = new NativeProvider(loadSchema(), (u) => services(u));
  provider.configure(new proto.ConfigureRequest().setArgs(struct({ host: emulator.url, apiKey: secret(emulator.apiKey), projectId: "1" })));
});
afterAll(async () => {
  await emulator?.close();
});

const pg = (password: string, extra: Record<string, unknown> = {}) => ({
  sourceType: "Postgres",
  prefix: "pg_",
  jobInputs: { host: "db", port: 5432, database: "d", user: "u", password, schema: "public" },
  ...extra,
});

describe("native adapter", () => {
  it("check names the failing property, and makes declared secret fields secrets even when passed plain", () => {
    const bad = provider.check(new proto.CheckRequest().setUrn(urn(SQ, "v")).setType(SQ).setNews(struct({ name: "events", query: "select 1", qurey: "x" })));
    expect(bad.getFailuresList().map((f) => f.getProperty()).sort()).toEqual(["name", "qurey"]);

    const ok = provider.check(new proto.CheckRequest().setUrn(urn(EDS, "s")).setType(EDS).setNews(struct(pg("plain-pw"))));
    expect(ok.getFailuresList()).toEqual([]);
    const inputs = ok.getInputs()!.toJavaScript() as { jobInputs: Record<string, unknown> };
    expect(inputs.jobInputs.password).toEqual(secret("plain-pw"));
    expect(inputs.jobInputs.host).toBe("db");
  });

  it("checkConfig refuses a bad project id and keeps the API key secret", () => {
    const res = provider.checkConfig(new proto.CheckRequest().setNews(struct({ projectId: "abc", apiKey: "phx_plain" })));
    expect(res.getFailuresList().map((f) => [f.getProperty(), f.getReason()])).toEqual([["projectId", "posthog-warehouse:projectId must be a numeric project (environment) id"]]);
    expect((res.getInputs()!.toJavaScript() as { apiKey: unknown }).apiKey).toEqual(secret("phx_plain"));
  });

  it("a create preview makes no API call and leaves the outputs unknown", async () => {
    const before = emulator.requests.length;
    const res = await provider.create(new proto.CreateRequest().setUrn(urn(SQ, "v")).setType(SQ).setPreview(true).setProperties(struct({ name: "v", query: "select 1" })));
    expect(emulator.requests.length).toBe(before);
    expect(res.getId()).toBe("");
    expect(res.getProperties()!.toJavaScript()).toMatchObject({ name: "v", viewId: UNKNOWN, columns: UNKNOWN });
  });

  it("diff reports each changed path, update or replace, and keeps secrets out of its messages", async () => {
    const created = await provider.create(new proto.CreateRequest().setUrn(urn(EDS, "s")).setType(EDS).setProperties(struct(pg("pw-one"))));
    const id = created.getId();
    const olds = created.getProperties()!;
    expect(unwrap(olds).secretPaths).toContainEqual(["jobInputs", "password"]);

    const diff = (news: Record<string, unknown>) => provider.diff(new proto.DiffRequest().setId(id).setUrn(urn(EDS, "s")).setType(EDS).setOlds(olds).setNews(struct(news)));
    const kinds = (res: proto.DiffResponse) => {
      const out: Record<string, proto.PropertyDiff.Kind> = {};
      res.getDetaileddiffMap().forEach((v, k) => (out[k] = v.getKind()));
      return out;
    };

    const none = diff(pg("pw-one"));
    expect(none.getChanges()).toBe(proto.DiffResponse.DiffChanges.DIFF_NONE);

    const pw = diff(pg("pw-two-canary"));
    expect(kinds(pw)).toEqual({ "jobInputs.password": proto.PropertyDiff.Kind.UPDATE });
    expect(pw.getReplacesList()).toEqual([]);

    const prefix = diff({ ...pg("pw-one"), prefix: "pg2_", description: "d" });
    expect(kinds(prefix)).toEqual({ prefix: proto.PropertyDiff.Kind.UPDATE_REPLACE, description: proto.PropertyDiff.Kind.ADD });
    expect(prefix.getReplacesList()).toEqual(["prefix"]);
    expect(prefix.getDeletebeforereplace()).toBe(false);

    // A move to another host is a new object where the key is free (issue 13's identity rule): created first, so a
    // failed create there leaves the old one in place.
    const host = diff({ ...pg("pw-one"), host: "http://127.0.0.1:9" });
    expect(host.getReplacesList()).toEqual(["host"]);
    expect(host.getDeletebeforereplace()).toBe(false);

    expect(JSON.stringify(logged)).not.toContain("pw-two-canary");
    expect(logged.filter((l) => l.severity === "debug").every((l) => l.urn === urn(EDS, "s"))).toBe(true);
  });

  it("read with no state (an import) reports the inputs PostHog holds", async () => {
    const created = await provider.create(new proto.CreateRequest().setUrn(urn(SQ, "imp")).setType(SQ).setProperties(struct({ name: "to_import", query: "select 2" })));
    const read = await provider.read(new proto.ReadRequest().setId(created.getId()).setUrn(urn(SQ, "imp")).setType(SQ));
    expect(read.getId()).toBe(created.getId());
    expect(read.getInputs()!.toJavaScript()).toEqual({ name: "to_import", query: "select 2" });

    const gone = await provider.read(new proto.ReadRequest().setId("00000000-0000-0000-0000-000000000000").setUrn(urn(SQ, "x")).setType(SQ));
    expect(gone.getId()).toBe("");
  });

  it("a failure after the object exists reaches the engine as an init failure carrying its id, so nothing is orphaned", async () => {
    emulator.addFault({ method: "PATCH", path: /revenue_analytics_config/, fault: { kind: "status", status: 400, body: { detail: "nope" } } });
    const err = await provider
      .create(new proto.CreateRequest().setUrn(urn(EDS, "r")).setType(EDS).setProperties(struct(pg("pw", { prefix: "rev_", revenueAnalyticsConfig: { enabled: true } }))))
      .catch((e: unknown) => e);
    emulator.clearFaults();
    expect(err).toBeInstanceOf(RpcError);
    const rpc = err as RpcError;
    expect(rpc.code).toBe(grpc.status.UNKNOWN);
    const st = status.Status.deserializeBinary(rpc.metadata!.get("grpc-status-details-bin")[0] as Buffer);
    const detail = proto.ErrorResourceInitFailed.deserializeBinary(st.getDetailsList()[0]!.getValue_asU8());
    const live = emulator.state.sources.find((s) => s.prefix === "rev_" && !s.deleted)!;
    expect(detail.getId()).toBe(live.id);
    expect((detail.getProperties()!.toJavaScript() as { jobInputs: { password: unknown } }).jobInputs.password).toEqual(secret("pw"));
  });
});
