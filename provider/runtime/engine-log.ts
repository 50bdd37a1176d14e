import type * as grpcTypes from "@grpc/grpc-js";

/**
 * Progress and warnings from inside the provider process. A dynamic provider has no `pulumi.log` connection (that
 * belongs to the program process), and the engine hides a plugin's stderr unless verbose logging is on, so long
 * operations would look frozen. The dynamic-provider host is started with the engine's gRPC address as its first
 * argument; we send `Log` requests there, which the CLI shows under the resource like any diagnostic.
 */
export interface ProgressSink {
  info(message: string, urn?: string): void;
  warn(message: string, urn?: string): void;
  debug(message: string, urn?: string): void;
}

interface EngineModules {
  grpc: typeof grpcTypes;
  client: { log(req: unknown, cb: (err: Error | null) => void): void };
  proto: {
    LogRequest: new () => {
      setSeverity(s: number): void;
      setMessage(m: string): void;
      setUrn(u: string): void;
      setEphemeral(e: boolean): void;
    };
    LogSeverity: { DEBUG: number; INFO: number; WARNING: number };
  };
}

let engine: EngineModules | null | undefined;

function isDynamicProviderProcess(): boolean {
  const main = require.main?.filename ?? process.argv[1] ?? "";
  return /dynamic-provider/.test(main);
}

function connect(): EngineModules | null {
  if (engine !== undefined) return engine;
  const address = process.argv[2];
  return (engine = isDynamicProviderProcess() && address ? engineClient(address) : null);
}

function engineClient(address: string): EngineModules | null {
  try {
    // Loaded lazily and from @pulumi/pulumi's own install so we speak the engine's exact protocol version.
    const grpc = require("@grpc/grpc-js") as typeof grpcTypes;
    const services = require("@pulumi/pulumi/proto/engine_grpc_pb") as {
      EngineClient: new (addr: string, creds: grpcTypes.ChannelCredentials) => EngineModules["client"];
    };
    const proto = require("@pulumi/pulumi/proto/engine_pb") as EngineModules["proto"];
    return { grpc, client: new services.EngineClient(address, grpc.credentials.createInsecure()), proto };
  } catch {
    return null;
  }
}

function send(e: EngineModules | null, severity: "DEBUG" | "INFO" | "WARNING", message: string, urn?: string): void {
  if (!e) {
    if (severity === "DEBUG") return;
    process.stderr.write(`${severity === "WARNING" ? "warning: " : ""}${message}\n`);
    return;
  }
  const req = new e.proto.LogRequest();
  req.setSeverity(e.proto.LogSeverity[severity]);
  req.setMessage(message);
  if (urn) req.setUrn(urn);
  // Not ephemeral: non-interactive runs (CI, Automation API) drop ephemeral lines, and that is where users need them.
  req.setEphemeral(false);
  e.client.log(req, () => undefined);
}

/** A sink sending to the engine at `address` (a plugin's first argument), e.g. for the native plugin. */
export function engineLogAt(address: string | undefined): ProgressSink {
  const e = address ? engineClient(address) : null;
  return {
    info: (message, urn) => send(e, "INFO", message, urn),
    warn: (message, urn) => send(e, "WARNING", message, urn),
    debug: (message, urn) => send(e, "DEBUG", message, urn),
  };
}

export const engineLog: ProgressSink = {
  info: (message, urn) => send(connect(), "INFO", message, urn),
  warn: (message, urn) => send(connect(), "WARNING", message, urn),
  debug: (message, urn) => send(connect(), "DEBUG", message, urn),
};
