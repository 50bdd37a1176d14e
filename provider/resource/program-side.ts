import * as pulumi from "./pulumi-sdk";
import { thinProvider } from "../runtime/thin-provider";
import { hideFromSdkDebugLog } from "./sdk-debug-log";
import type { ResourceTypeName } from "../resources/registry";
import { TARGET_OUTPUT } from "./target";

/** The Pulumi type token module: resources show as `pulumi-nodejs:dynamic/posthog-warehouse:<Type>`. */
export const TYPE_MODULE = "posthog-warehouse";

const providers = new Map<ResourceTypeName, pulumi.dynamic.ResourceProvider>();

/*
 * Pulumi's closure serializer writes an object that is the `module.exports` of a module under node_modules as
 * `require("<package path>")` instead of serializing its contents. So where this package is installed (a user's
 * project, and this repo's own node_modules copy: scripts/install-self.js), each type's provider is the exports
 * object of runtime/providers/<type>.js, and `__provider` is a few hundred bytes: one require of that file. Loaded
 * from anywhere else (a source checkout, a bundler), the serializer would copy the whole implementation by value,
 * so the thin provider (thin-provider.ts, ~2.3 KB) stands in.
 */
const INSTALLED = /[\\/]node_modules[\\/]/.test(__filename);

function kebab(type: string): string {
  return type.replace(/[A-Z]/g, (c, at: number) => `${at > 0 ? "-" : ""}${c.toLowerCase()}`);
}

/** One provider object per type, so Pulumi serializes it once per program run (it caches by object identity). */
export function providerOf(type: ResourceTypeName): pulumi.dynamic.ResourceProvider {
  let provider = providers.get(type);
  if (!provider) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module is chosen by type at run time
    provider = INSTALLED ? (require(`../runtime/providers/${kebab(type)}`) as pulumi.dynamic.ResourceProvider) : thinProvider(type);
    providers.set(type, provider);
  }
  return provider;
}

/**
 * The props a dynamic resource registers: the user's args plus every output name set to `undefined`, which is how
 * a dynamic resource asks the engine to fill those properties in from the provider's outputs.
 */
export function registrationProps(args: Record<string, unknown>, outputNames: readonly string[]): Record<string, unknown> {
  const props: Record<string, unknown> = {};
  for (const name of [...outputNames, TARGET_OUTPUT]) props[name] = undefined;
  for (const [key, value] of Object.entries(args)) if (value !== undefined) props[key] = value;
  return props;
}

/**
 * Makes a value a Pulumi secret in the program, before the resource is registered, so neither the engine nor any log
 * or event stream ever holds it as plaintext (the engine encrypts it in the state and masks it in every display).
 */
export function secretInput<T>(value: pulumi.Input<T>): pulumi.Output<pulumi.Unwrap<T>> {
  hideFromSdkDebugLog(value);
  return pulumi.secret(value);
}

/**
 * Marks the values at `paths` (e.g. `["password"]`, `["auth_method", "stripe_secret_key"]`) inside a plain object as
 * Pulumi secrets, even when the user passed plain strings. An object that is itself an Output (or Promise) is wrapped
 * as a whole: its shape is not known yet.
 */
export function secretizePaths(value: pulumi.Input<Record<string, unknown>> | undefined, paths: ReadonlyArray<readonly string[]>): pulumi.Input<Record<string, unknown>> | undefined {
  if (value === undefined) return undefined;
  if (pulumi.Output.isInstance(value) || value instanceof Promise) return secretInput(value);
  // Not an object where the path expects one: a malformed secret is still a secret (check reports the shape).
  if (typeof value !== "object" || value === null || Array.isArray(value)) return secretInput<unknown>(value) as pulumi.Output<Record<string, unknown>>;
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const path of paths) {
    const [head, ...rest] = path;
    if (head === undefined || copy[head] === undefined) continue;
    if (rest.length === 0) copy[head] = secretInput(copy[head] as pulumi.Input<unknown>);
    else copy[head] = secretizePaths(copy[head] as pulumi.Input<Record<string, unknown>>, [rest]);
  }
  return copy;
}

/**
 * Every resource's options, with `deleteBeforeReplace` on unless the program says otherwise. PostHog holds one object
 * per natural key, and a forced replacement (`pulumi up --replace`, a tainted resource) keeps the key, but for those
 * the engine never asks the provider's diff (pulumi 3.259 step_generator: a targeted replace returns a fixed diff),
 * so only this option can make it delete first. Creating first would stop at the pre-create key check. A program
 * that sets the option (even to `undefined`, which lets the provider's diff decide per change) keeps its choice.
 */
export function resourceOptions<T extends pulumi.CustomResourceOptions>(opts: T | undefined): T {
  return { deleteBeforeReplace: true, ...opts } as T;
}

/**
 * The base of every resource class: registers `args` plus the type's output names with its provider.
 *
 * Registration is the program's main cost per resource. For every registered property the SDK makes four promises,
 * and each one formats `new Error().stack` at once (runtime/debuggable.ts) through the source-map hook the SDK
 * installs; that text is only ever printed if the SDK finds a leaked promise at exit. With our ~12 properties, those
 * traces took ~0.5 s of a 100-view `pulumi preview` (CPU profile). Capturing no frames while the SDK registers makes
 * them free. The source position the SDK records is captured under its own unlimited limit, so it is kept (it names
 * a constructor of this package, as for any dynamic resource). The cost: an error thrown synchronously inside the
 * SDK's constructor carries its message but no frames.
 */
export abstract class WarehouseResource extends pulumi.dynamic.Resource {
  protected constructor(type: ResourceTypeName, name: string, args: Record<string, unknown>, outputNames: readonly string[], opts: pulumi.CustomResourceOptions | undefined) {
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(providerOf(type), name, registrationProps(args, outputNames), resourceOptions(opts), TYPE_MODULE, type);
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
  }
}
