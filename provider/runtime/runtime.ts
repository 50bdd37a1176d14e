import type * as pulumi from "@pulumi/pulumi";
import type { ConfigSource } from "../config";
import type { AnyResourceDefinition } from "../resource/definition";
import { toDynamicProvider } from "../resource/lifecycle";
import { definitions, type ResourceTypeName } from "../resources/registry";
import { engineLog } from "./engine-log";
import { servicesFactory } from "./services";

/**
 * The provider process's side of the thin provider: it is loaded by name at run time (see thin-provider.ts), reads
 * credentials from the stack config handed to `configure` (never from the serialized state), and keeps one client
 * per project so connections are reused across resources. The client is shared, so its messages name the resource
 * whose request they are about from the request's own async context, not from whichever resource built the client.
 */
let configSource: ConfigSource | undefined;
const providers = new Map<ResourceTypeName, pulumi.dynamic.ResourceProvider>();
const services = servicesFactory(() => configSource, engineLog)();

export function configure(req: { config: ConfigSource }): void {
  configSource = req.config;
}

export function providerFor(type: ResourceTypeName): pulumi.dynamic.ResourceProvider {
  let provider = providers.get(type);
  if (!provider) {
    const def: AnyResourceDefinition | undefined = definitions[type];
    if (!def) throw new Error(`pulumi-posthog-warehouse: unknown resource type ${type}`);
    // Served directly (runtime/providers/*), the provider receives the stack config through its own configure.
    provider = { ...toDynamicProvider(def, services), configure: async (req: { config: ConfigSource }) => configure(req) };
    providers.set(type, provider);
  }
  return provider;
}
