import type * as pulumi from "@pulumi/pulumi";
import type { ResourceTypeName } from "../resources/registry";

/**
 * The object Pulumi serializes into every resource's state as `__provider`. It captures nothing but the resource
 * type name: each method loads the installed package at run time, so the state stays small (no client, zod or
 * undici captured), holds no configuration or secret, and refresh/destroy run the currently installed code rather
 * than a copy frozen in the state (pulumi/pulumi#6490). The module must resolve from the program's directory, which
 * it does wherever the package is installed.
 */
export function thinProvider(type: ResourceTypeName): pulumi.dynamic.ResourceProvider {
  // Everything below is serialized by value: keep it free of imports and outer variables other than `type`.
  const load = (): {
    configure(req: unknown): void;
    providerFor(t: string): Required<pulumi.dynamic.ResourceProvider>;
  } => require("pulumi-posthog-warehouse/dist/provider/runtime/runtime.js");
  return {
    configure: async (req) => load().configure(req),
    check: (olds, news) => load().providerFor(type).check(olds, news),
    diff: (id, olds, news) => load().providerFor(type).diff(id, olds, news),
    create: (inputs) => load().providerFor(type).create(inputs),
    read: (id, props) => load().providerFor(type).read(id, props),
    update: (id, olds, news) => load().providerFor(type).update(id, olds, news),
    delete: (id, props) => load().providerFor(type).delete(id, props),
  };
}
