import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { ResourceProviderService } from "@pulumi/pulumi/proto/provider_grpc_pb";
import { NativeProvider, RpcError } from "./provider";

type Handler = (req: never) => unknown;

/** One unary gRPC handler: the provider's answer, or its failure as a gRPC status the engine shows. */
function unary(run: Handler): grpc.handleUnaryCall<unknown, unknown> {
  return (call, callback) => {
    Promise.resolve()
      .then(() => run(call.request as never))
      .then(
        (res) => callback(null, res),
        (err: unknown) => {
          if (err instanceof RpcError) callback({ code: err.code, details: err.message, metadata: err.metadata ?? new grpc.Metadata() });
          else callback({ code: grpc.status.UNKNOWN, details: err instanceof Error ? err.message : String(err) });
        },
      );
  };
}

/**
 * Serves `provider` on 127.0.0.1 at a free port and resolves to the port: the engine reads it from the plugin's
 * first line of stdout. Methods not listed (Construct, Call, Invoke, ...) answer UNIMPLEMENTED.
 */
export function serve(provider: NativeProvider): Promise<number> {
  const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
  server.addService(ResourceProviderService, {
    getPluginInfo: unary(() => provider.getPluginInfo()),
    getSchema: unary(() => provider.getSchema()),
    checkConfig: unary((req) => provider.checkConfig(req)),
    diffConfig: unary((req) => provider.diffConfig(req)),
    configure: unary((req) => provider.configure(req)),
    check: unary((req) => provider.check(req)),
    diff: unary((req) => provider.diff(req)),
    create: unary((req) => provider.create(req)),
    read: unary((req) => provider.read(req)),
    update: unary((req) => provider.update(req)),
    delete: unary((req) => provider.delete(req)),
    // Nothing to cancel between requests; attach (debuggers) is not supported.
    cancel: unary(() => new Empty()),
  } as grpc.UntypedServiceImplementation);
  return new Promise((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))));
}
