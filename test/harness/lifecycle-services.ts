import type { PostHogClient } from "../../provider/client";
import type { LifecycleServices } from "../../provider/resource/lifecycle";

/** What the lifecycle gets in the provider process, pointed at one client (the emulator's), for lifecycle-level tests. */
export function emulatorServices(client: PostHogClient, host: string, onWarn: (message: string) => void = () => undefined): LifecycleServices {
  return {
    context: (_overrides, label) => ({ client, connection: { host, projectId: "1" }, label, progress: () => undefined, warn: onWarn }),
    warn: onWarn,
  };
}
