import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { apiErrorFor } from "../provider/client/errors";
import { SecretScrubber } from "../provider/client/redact";
import { PostHogClient } from "../provider/client";
import { loopbackNameLookup } from "../provider/client/transport";
import { isLoopbackHost, resolveConnection } from "../provider/config";
import { externalDataSourceDefinition, secretJobInputs } from "../provider/resources/external-data-source";
import { checkInputs } from "../provider/resource/check";
import { startEmulator } from "./emulator";

// Review of issue 16 by an attacker-minded user: each case reproduced a leak or a misleading message before its fix.

const isSecret = (v: unknown) => (pulumi.Output.isInstance(v) ? pulumi.isSecret(v) : Promise.resolve(false));

describe("jobInputs keys PostHog's definition does not have are secret", () => {
  it("a misspelt password and an unknown key of a catalogued type are wrapped, top level and inside an option", async () => {
    const out = secretJobInputs("Postgres", {
      host: "db",
      pasword: "typo-pw",
      extra_token: "t0k",
      ssh_tunnel: { enabled: true, auth: { selection: "password", username: "u", password: "p", pass_word: "x" } },
    }) as Record<string, unknown>;
    expect(await isSecret(out.pasword)).toBe(true);
    expect(await isSecret(out.extra_token)).toBe(true);
    const auth = (out.ssh_tunnel as Record<string, Record<string, unknown>>).auth!;
    expect(await isSecret(auth.pass_word)).toBe(true);
    expect(out.host).toBe("db");
    expect(auth.username).toBe("u");
  });

  it("their values are scrubbed from errors like any secret", () => {
    const inputs = { sourceType: "Stripe", jobInputs: { auth_method: { selection: "api_key", stripe_secret_key: "sk_live_k" }, stripe_secret_kye: "sk_live_typo_123" } };
    expect(externalDataSourceDefinition.secretValues!(inputs as never)).toContain("sk_live_typo_123");
  });
});

describe("echoes of a secret in the spellings Python servers use", () => {
  const secret = "p\u00e4ss!(w0rd)*'/x";
  const scrubber = new SecretScrubber(secret);
  const strictPercent = (v: string) => encodeURIComponent(v).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

  it("RFC 3986 percent-encoding (urllib.parse.quote, quote_plus) and ASCII-escaped JSON (json.dumps)", () => {
    const asciiJson = JSON.stringify(secret).slice(1, -1).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
    for (const echo of [strictPercent(secret), strictPercent(secret).replace(/%2F/g, "/"), asciiJson, Buffer.from(secret).toString("base64")]) {
      expect(scrubber.scrub(`could not connect with ${echo} (dsn)`)).toBe("could not connect with [secret] (dsn)");
    }
  });

  it("HTTP Basic credentials are masked", () => {
    expect(scrubber.scrub(`sent Authorization: Basic ${Buffer.from("user:hunter22").toString("base64")}`)).toBe("sent Authorization: Basic [secret]");
  });

  it("the attr PostHog names is scrubbed too", () => {
    const err = apiErrorFor(400, "POST", "/x/", JSON.stringify({ type: "validation_error", detail: "bad", attr: secret }), undefined, { scrub: (t) => scrubber.scrub(t) });
    expect(err.message).not.toContain(secret);
  });
});

describe("a host with user:password@ is refused: PostHog never reads it, and it would be stored in plaintext", () => {
  const env = { POSTHOG_PERSONAL_API_KEY: "phx_review16_key_0123456789", POSTHOG_PROJECT_ID: "1" };

  it("posthog:host, POSTHOG_HOST and a resource's host override; the message never repeats the password", () => {
    for (const [source, overrides, name] of [
      [{ "posthog:host": "https://admin:hunter22@eu.posthog.com" }, {}, "posthog:host"],
      [{}, { host: "https://admin:hunter22@eu.posthog.com" }, "host"],
    ] as const) {
      const refused = () => resolveConnection({ get: (k: string) => (source as Record<string, string>)[k] }, env, overrides);
      expect(refused).toThrow(new RegExp(`${name} must not contain user:password@`));
      expect(refused).toThrow(/^((?!hunter22).)*$/s);
    }
    expect(() => resolveConnection(undefined, { ...env, POSTHOG_HOST: "http://u:hunter22@127.0.0.1:8000" })).toThrow(/must not contain user:password@/);
  });

  it("fails at check, on the property `host`", () => {
    const outcome = checkInputs(externalDataSourceDefinition.inputs, { sourceType: "Stripe", host: "https://admin:hunter22@eu.posthog.com", jobInputs: { stripe_secret_key: "sk" } });
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.failures).toContainEqual({ property: "host", reason: expect.stringMatching(/must not contain user:password@/) });
  });
});

describe("a 401 or 403 fix says that refresh and destroy still use the key of the last up", () => {
  it("after `pulumi config set`, a refresh keeps the recorded key: the fix says to run up or --run-program", () => {
    for (const status of [401, 403]) {
      const err = apiErrorFor(status, "GET", "/x/", JSON.stringify({ type: "authentication_error", detail: "nope" }), undefined, { apiKey: "phx_review16_key_0123456789" });
      expect(err.message).toMatch(/`pulumi refresh` and `pulumi destroy` use the key recorded by the last `pulumi up`: run `pulumi up` first, or pass --run-program/);
    }
  });
});

describe("a *.localhost host the http rule lets through is reached on loopback only", () => {
  const resolve = (host: string, all: boolean) =>
    new Promise<{ err: NodeJS.ErrnoException | null; address: unknown }>((done) => loopbackNameLookup(host, { all }, (err, address) => done({ err, address })));

  it("never asks DNS for a .localhost name (DNS could answer a remote address): it resolves as localhost, loopback only", async () => {
    for (const host of ["posthog.localhost", "EVIL.LOCALHOST.", "localhost"]) {
      const one = await resolve(host, false);
      expect(one.err).toBeNull();
      expect(isLoopbackHost(String(one.address))).toBe(true);
      const all = await resolve(host, true);
      expect((all.address as Array<{ address: string }>).every((a) => isLoopbackHost(a.address))).toBe(true);
    }
  });

  it("the client reaches an emulator at http://<name>.localhost:<port> without DNS", async () => {
    const emulator = await startEmulator();
    try {
      const client = new PostHogClient({ host: emulator.url.replace("127.0.0.1", "posthog-review16.localhost"), apiKey: emulator.apiKey, projectId: emulator.projectId, maxRetries: 0 });
      const views: unknown[] = [];
      for await (const view of client.savedQueries.list()) views.push(view);
      expect(views).toEqual([]);
      await client.close();
    } finally {
      await emulator.close();
    }
  });
});
