/*
 * The parts of @pulumi/pulumi the program-side resource classes use, loaded from its submodules. The package's root
 * also loads the runtime's closure serializer (TypeScript, npm's arborist): ~0.5 s and ~60 MB per process that the
 * provider processes never need, since they only read the definitions that share a file with those classes. In a
 * program, @pulumi/pulumi's root is loaded anyway and these are the same module instances.
 */
export * as dynamic from "@pulumi/pulumi/dynamic";
export { all, Output, secret, type Input, type Unwrap } from "@pulumi/pulumi/output";
export type { CustomResourceOptions } from "@pulumi/pulumi/resource";
