import type * as pulumi from "@pulumi/pulumi";
import type { ResourceTypeName } from "../resources/registry";

/**
 * The object Pulumi serializes into every resource's state as `__provider`. It captures nothing but the resource
 * type name: each method loads the installed package at run time, so the state stays small (no client, zod or
 * undici captured), holds no configuration or secret, and refresh/destroy run the currently installed code rather
 * than a copy frozen in the state (pulumi/pulumi#6490). The module must resolve from the program's directory, which
 * it does wherever the package is installed.
 */
// Everything inside is serialized by value (comments included, so they stay out here): it must not use imports or
// outer variables other than `type`.
export function thinProvider(type: ResourceTypeName): pulumi.dynamic.ResourceProvider {
  const rt = () => require("pulumi-posthog-warehouse/dist/provider/runtime/runtime.js");
  return {
    configure: async (r) => rt().configure(r),
    check: (o, n) => rt().providerFor(type).check(o, n),
    diff: (i, o, n) => rt().providerFor(type).diff(i, o, n),
    create: (n) => rt().providerFor(type).create(n),
    read: (i, p) => rt().providerFor(type).read(i, p),
    update: (i, o, n) => rt().providerFor(type).update(i, o, n),
    delete: (i, p) => rt().providerFor(type).delete(i, p),
  };
}
