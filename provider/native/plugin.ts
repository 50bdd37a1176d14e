/**
 * The native provider plugin process (entry: main.ts). The engine starts it with its own gRPC address as the first
 * argument and reads the port we serve on from the first line of stdout; nothing else may be written to stdout.
 * Loads neither @pulumi/pulumi's runtime nor anything of the dynamic-provider host.
 */
import { engineLogAt } from "../runtime/engine-log";
import { servicesFactory } from "../runtime/services";
import { NativeProvider } from "./provider";
import { loadSchema } from "./schema";
import { serve } from "./server";

const log = engineLogAt(process.argv[2]);
// The services read the configuration the provider receives in Configure (called only once both exist).
const services = servicesFactory(() => provider.configSource, log);
const provider: NativeProvider = new NativeProvider(loadSchema(), (urn) => services(urn));

serve(provider).then(
  (port) => process.stdout.write(`${port}\n`),
  (err: unknown) => {
    process.stderr.write(`pulumi-resource-posthog-warehouse: cannot serve: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
