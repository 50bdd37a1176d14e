import type * as pulumi from "@pulumi/pulumi";
import { PostHogClient } from "../client";
import { connectionHostProblem, resolveConnection, resolveTarget, type ConfigSource, type ConnectionOverrides } from "../config";
import type { AnyResourceDefinition, OperationContext } from "../resource/definition";
import { toDynamicProvider, type LifecycleServices } from "../resource/lifecycle";
import { observeClientEvent } from "../resource/operation-scope";
import { definitions, type ResourceTypeName } from "../resources/registry";
import { engineLog } from "./engine-log";

/**
 * The provider process's side of the thin provider: it is loaded by name at run time (see thin-provider.ts), reads
 * credentials from the stack config handed to `configure` (never from the serialized state), and keeps one client
 * per project so connections are reused across resources. The client is shared, so its messages name the resource
 * whose request they are about from the request's own async context, not from whichever resource built the client.
 */
let configSource: ConfigSource | undefined;
const clients = new Map<string, PostHogClient>();
const providers = new Map<ResourceTypeName, pulumi.dynamic.ResourceProvider>();

const services: LifecycleServices = {
  context(overrides: ConnectionOverrides, label: string): OperationContext {
    const { apiKey, ...connection } = resolveConnection(configSource, process.env, overrides);
    const key = `${connection.host}\u0000${connection.projectId}`;
    let client = clients.get(key);
    if (!client) {
      client = new PostHogClient({
        ...connection,
        apiKey,
        projectId: connection.projectId,
        onEvent: observeClientEvent((message) => engineLog.info(message)),
      });
      clients.set(key, client);
    }
    return {
      client,
      connection,
      label,
      // Progress and warnings may quote PostHog (a sync's latest_error): scrubbed like every error text.
      progress: (message) => engineLog.info(client.secrets.scrub(`${label}: ${message}`)),
      warn: (message) => engineLog.warn(client.secrets.scrub(`${label}: ${message}`)),
    };
  },
  resolveTarget: (overrides) => resolveTarget(configSource, process.env, overrides),
  warn: (message) => engineLog.warn(message),
  debug: (message) => engineLog.debug(message),
  connectionProblem: (overrides) => connectionHostProblem(configSource, process.env, overrides),
};

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
