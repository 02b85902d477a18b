/**
 * What every stand-in provider plugin shares: the gRPC stubs of the installed @pulumi/pulumi (their own copies of
 * grpc-js and google-protobuf, or message types would not match), the plugin handshake (print the port on stdout)
 * and the version the engine asked for.
 */
import * as path from "path";

const sdkDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
// eslint-disable-next-line @typescript-eslint/no-require-imports -- resolved from the SDK's own dependencies
const fromSdk = (module: string) => require(require.resolve(module, { paths: [sdkDir] }));

export const grpc: typeof import("@grpc/grpc-js") = fromSdk("@grpc/grpc-js");
export const protos = {
    provider: fromSdk("@pulumi/pulumi/proto/provider_pb"),
    providerRpc: fromSdk("@pulumi/pulumi/proto/provider_grpc_pb"),
    plugin: fromSdk("@pulumi/pulumi/proto/plugin_pb"),
    struct: fromSdk("google-protobuf/google/protobuf/struct_pb"),
    empty: fromSdk("google-protobuf/google/protobuf/empty_pb"),
};

/** The plugin version the launcher was installed as (the engine checks it against the SDK's request). */
export const PLUGIN_VERSION = process.env.PULUMI_STANDIN_PLUGIN_VERSION ?? "0.0.0";

export function pluginInfo(_call: unknown, callback: (err: unknown, res?: unknown) => void): void {
    const info = new protos.plugin.PluginInfo();
    info.setVersion(PLUGIN_VERSION);
    callback(null, info);
}

/** Serves the handlers as a ResourceProvider on a free loopback port and tells the engine which. */
export function serve(handlers: Record<string, (call: any, callback: any) => void>): void {
    const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
    server.addService(protos.providerRpc.ResourceProviderService, handlers);
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
        if (err) {
            console.error(err.message);
            process.exit(1);
        }
        process.stdout.write(`${port}\n`);
    });
}
