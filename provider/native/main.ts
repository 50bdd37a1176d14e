/**
 * `pulumi-resource-posthog-warehouse` (plugin/ holds the launcher). The engine starts a plugin process for every
 * operation, so start-up time is paid on each `preview`: Node's on-disk compile cache (Node >= 22.1) spares the
 * parsing and compiling of the plugin's modules after the first run. It must be on before they load.
 */
import { enableCompileCache } from "node:module";

enableCompileCache?.();
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after the cache is on
require("./plugin");
