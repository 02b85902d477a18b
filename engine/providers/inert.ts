/**
 * Stand-in for a provider plugin that a package depends on but the program never uses (awsx brings `docker` and
 * `docker-build`): the engine may require it to be installed, so it is, and it refuses any work by name.
 */
import { grpc, pluginInfo, serve } from "./plugin";

const name = process.env.PULUMI_STANDIN_PLUGIN_NAME ?? "provider";
const refuse = (_call: unknown, callback: (err: unknown) => void) =>
    callback({ code: grpc.status.UNIMPLEMENTED, details: `stand-in ${name} provider: not used by this program` });

if (require.main === module) {
    serve({
        getPluginInfo: pluginInfo,
        checkConfig: refuse,
        configure: refuse,
        check: refuse,
        create: refuse,
        invoke: refuse,
        construct: refuse,
    });
}
