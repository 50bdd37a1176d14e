import type { PostHogClient } from "../../provider/client";
import type { LifecycleServices } from "../../provider/resource/lifecycle";

/**
 * What the lifecycle gets in the provider process, pointed at one client (the emulator's), for lifecycle-level tests.
 * Build the client with `onEvent: observeClientEvent()` as the provider does, or recovery after a lost create cannot
 * see PostHog's clock and refuses to adopt.
 */
export function emulatorServices(client: PostHogClient, host: string, onWarn: (message: string) => void = () => undefined): LifecycleServices {
  return {
    context: (_overrides, label) => ({ client, connection: { host, projectId: "1" }, label, progress: () => undefined, warn: onWarn }),
    resolveTarget: (overrides) => ({ host: overrides.host ?? host, projectId: overrides.projectId ?? "1" }),
    warn: onWarn,
  };
}
