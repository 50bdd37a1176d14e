import { PostHogClient } from "../client";
import { connectionHostProblem, resolveConnection, resolveTarget, type ConfigSource, type ConnectionOverrides } from "../config";
import type { OperationContext } from "../resource/definition";
import { observeClientEvent } from "../resource/operation-scope";
import type { LifecycleServices } from "../resource/operations";
import type { ProgressSink } from "./engine-log";

/**
 * Lifecycle services for a provider process, whichever adapter serves it: credentials come from the configuration
 * the engine hands over (never from the state), one client per host and project so connections are reused across
 * resources, and messages go to the engine's log (attached to a resource's URN when the adapter knows it).
 */
export function servicesFactory(config: () => ConfigSource | undefined, log: ProgressSink): (urn?: string) => LifecycleServices {
  const clients = new Map<string, PostHogClient>();
  return (urn) => ({
    context(overrides: ConnectionOverrides, label: string): OperationContext {
      const { apiKey, ...connection } = resolveConnection(config(), process.env, overrides);
      const key = `${connection.host}\u0000${connection.projectId}`;
      let client = clients.get(key);
      if (!client) {
        client = new PostHogClient({
          ...connection,
          apiKey,
          projectId: connection.projectId,
          // The client is shared by every resource of its project: a retry message names the resource whose request
          // it is from the request's own async context (operation-scope.ts), not from whichever resource built it.
          onEvent: observeClientEvent((message) => log.info(message)),
        });
        clients.set(key, client);
      }
      return {
        client,
        connection,
        label,
        // Progress and warnings may quote PostHog (a sync's latest_error): scrubbed like every error text.
        progress: (message) => log.info(client.secrets.scrub(`${label}: ${message}`), urn),
        warn: (message) => log.warn(client.secrets.scrub(`${label}: ${message}`), urn),
      };
    },
    resolveTarget: (overrides) => resolveTarget(config(), process.env, overrides),
    warn: (message) => log.warn(message, urn),
    debug: (message) => log.debug(message, urn),
    connectionProblem: (overrides) => connectionHostProblem(config(), process.env, overrides),
  });
}
