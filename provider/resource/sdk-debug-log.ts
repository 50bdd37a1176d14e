import * as pulumi from "@pulumi/pulumi";
import { SecretScrubber } from "../client/redact";

/*
 * Pulumi's Node SDK logs every RegisterResource response at debug level ("RegisterResource RPC finished: …; resp:
 * <the resource's outputs>", runtime/resource.js), secrets included in plaintext. The engine scrubs such diagnostics
 * only of *config* secrets (engine/events.go: AddGlobalSecretFilter over the stack's secure config), so a secret
 * that reached the program any other way (a plain string the resource made secret, another resource's secret
 * output) would show in `--debug` output and in every event log, which carries debug diagnostics even without
 * --debug. The resource constructors register the values they make secret here, and the SDK's `log.debug` in this
 * process scrubs them before the message leaves: the same treatment config secrets get from the engine.
 */
const scrubber = new SecretScrubber();
let installed = false;

type DebugLog = (msg: string, ...rest: unknown[]) => Promise<void>;

function install(): void {
  if (installed) return;
  installed = true;
  // `@pulumi/pulumi/log` is a CommonJS exports object shared by the SDK's own modules (they call `log.debug`).
  const log = pulumi.log as unknown as { debug: DebugLog };
  const original = log.debug;
  try {
    log.debug = (msg: string, ...rest: unknown[]) => original.call(log, typeof msg === "string" ? scrubber.scrub(msg) : msg, ...rest);
  } catch {
    // An SDK whose exports are frozen: secrets still reach the engine only as secrets; only its debug log is unscrubbed.
  }
}

/** Registers the values inside `value` (resolved first when it holds Outputs) so SDK debug logs never print them. */
export function hideFromSdkDebugLog(value: unknown): void {
  install();
  if (containsOutput(value)) {
    // Runs when the value resolves, before the engine can answer the registration that carries it.
    void (pulumi.output(value as object) as pulumi.Output<unknown>).apply((resolved) => scrubber.add(resolved));
  } else {
    scrubber.add(value);
  }
}

function containsOutput(value: unknown): boolean {
  if (pulumi.Output.isInstance(value) || value instanceof Promise) return true;
  if (Array.isArray(value)) return value.some(containsOutput);
  if (value !== null && typeof value === "object") return Object.values(value).some(containsOutput);
  return false;
}
