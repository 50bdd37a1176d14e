import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import tls from "node:tls";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PostHogClient } from "../provider/client";
import { toDynamicProvider } from "../provider/resource/lifecycle";
import { externalDataSourceDefinition } from "../provider/resources/external-data-source";
import { savedQueryDefinition } from "../provider/resources/saved-query";
import { startEmulator, type Emulator } from "./emulator";
import { emulatorServices } from "./harness/lifecycle-services";
import { TestStack } from "./harness/stack";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { SavedQuery } = require("pulumi-posthog-warehouse") as typeof import("../provider");

/*
 * CI behind an egress proxy: the client must send every request through HTTPS_PROXY (undici's EnvHttpProxyAgent).
 * The emulator serves HTTPS with a throw-away certificate; a loopback CONNECT proxy records the local port of each
 * tunnel it opens to the emulator, and the emulator records the port each request came from: every request must
 * have come through one of the proxy's tunnels.
 */
let dir: string;
let certFile: string;
let emulator: Emulator;
let proxy: Server;
let proxyUrl: string;
const tunnelPorts = new Set<number>();
const saved = { HTTPS_PROXY: process.env.HTTPS_PROXY, https_proxy: process.env.https_proxy, NO_PROXY: process.env.NO_PROXY, no_proxy: process.env.no_proxy };

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "posthog-proxy-"));
  const key = path.join(dir, "key.pem");
  const cert = path.join(dir, "cert.pem");
  certFile = cert;
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
  tls.setDefaultCACertificates([...tls.getCACertificates("default"), readFileSync(cert, "utf8")]);
  emulator = await startEmulator({ syncDurationMs: 1, tls: { key: readFileSync(key, "utf8"), cert: readFileSync(cert, "utf8") } });

  proxy = createServer((_req, res) => res.writeHead(405).end());
  proxy.on("connect", (req, client, head) => {
    const [host, port] = (req.url ?? "").split(":");
    // Loopback only: this proxy must never open a connection anywhere else.
    if (host !== "127.0.0.1") return void client.end("HTTP/1.1 403 Forbidden\r\n\r\n");
    const upstream = connect(Number(port), host, () => {
      tunnelPorts.add(upstream.localPort!);
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
afterEach(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});
afterAll(async () => {
  await emulator?.close();
  await new Promise<void>((r) => (proxy ? proxy.close(() => r()) : r()));
  rmSync(dir, { recursive: true, force: true });
});

const throughProxy = () => emulator.requests.filter((r) => r.remotePort === undefined || !tunnelPorts.has(r.remotePort));

describe("proxy", () => {
  it("a pulumi up, refresh and destroy with HTTPS_PROXY set: every request of the provider process goes through the proxy", { timeout: 300_000 }, async () => {
    const stack = await TestStack.create({
      log: emulator,
      projectName: "proxy-e2e",
      // The provider process trusts the emulator's throw-away certificate the way a user's would trust a private CA.
      env: { HTTPS_PROXY: proxyUrl, NODE_EXTRA_CA_CERTS: certFile },
      config: { "posthog:host": { value: emulator.url }, "posthog:apiKey": { value: emulator.apiKey, secret: true }, "posthog:projectId": { value: "1" } },
      program: async () => void new SavedQuery("proxied", { name: "proxied_engine_view", query: "select event from events" }),
    });
    emulator.clearRequests();
    try {
      await stack.up();
      await stack.refresh();
      await stack.destroy();
    } finally {
      await stack.dispose();
    }
    expect(emulator.requests.map((r) => r.method)).toEqual(expect.arrayContaining(["POST", "GET", "DELETE"]));
    expect(throughProxy()).toEqual([]);
  });

  it("sends every request of a create, refresh, update and delete through HTTPS_PROXY", async () => {
    process.env.HTTPS_PROXY = proxyUrl;
    delete process.env.NO_PROXY;
    delete process.env.no_proxy;
    const client = new PostHogClient({ host: emulator.url, apiKey: emulator.apiKey, projectId: 1 });
    emulator.clearRequests();
    try {
      const views = toDynamicProvider(savedQueryDefinition, emulatorServices(client, emulator.url));
      const view = await views.create!({ name: "proxied_view", query: "select event from events" });
      await views.read!(view.id, view.outs);
      await views.update!(view.id, view.outs, { name: "proxied_view", query: "select timestamp from events" });
      await views.delete!(view.id, view.outs);
      const sources = toDynamicProvider(externalDataSourceDefinition, emulatorServices(client, emulator.url));
      const source = await sources.create!({ sourceType: "Hubspot", prefix: "px_", jobInputs: { hubspot_integration_id: 1 } });
      await sources.delete!(source.id, source.outs);
    } finally {
      await client.close();
    }
    expect(emulator.requests.length).toBeGreaterThanOrEqual(6);
    expect(tunnelPorts.size).toBeGreaterThan(0);
    expect(throughProxy()).toEqual([]);
  });

  it("goes direct for a host NO_PROXY names", async () => {
    process.env.HTTPS_PROXY = proxyUrl;
    process.env.NO_PROXY = "127.0.0.1";
    const client = new PostHogClient({ host: emulator.url, apiKey: emulator.apiKey, projectId: 1 });
    emulator.clearRequests();
    try {
      await client.savedQueries.create({ name: "direct_view", query: { kind: "HogQLQuery", query: "select 1 from events" } });
    } finally {
      await client.close();
    }
    expect(emulator.requests).toHaveLength(1);
    expect(tunnelPorts.has(emulator.requests[0]!.remotePort!)).toBe(false);
  });
});
