import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { StackConfigError } from "../domain/config";
import { permissionsBoundaryArn } from "../domain/naming";
import { StackContext } from "./context";
import { defineEnvironmentStack } from "./environmentStack";
import { readDeployedImages } from "./lambdaImages";
import { ecrRegistryHost } from "../components/buildProjects";
import { readServedContainerPorts } from "./servedPorts";
import { loadStackConfig } from "./stackConfig";
import { defineToolStack } from "./toolStack";

/**
 * The program: validates the selected stack's config before anything is registered, creates the stack's
 * AWS provider (pinned to the stack's own account) and composes the tool or environment stack.
 */
export async function defineStack(): Promise<Record<string, unknown>> {
    const config = loadStackConfig();
    const provider = new aws.Provider("aws", {
        region: config.region as aws.Region,
        allowedAccountIds: [...config.allowedAccountIds],
        profile: config.awsProfile,
        defaultTags: { tags: { ...config.defaultTags } },
    });
    const reported = await aws.getPartition({}, { provider });
    if (reported.partition !== config.partition) {
        throw new StackConfigError(config.stackFile, [
            `aws:region: the provider reports partition "${reported.partition}" for ${config.region}, ` +
                `expected "${config.partition}" (check the credentials and aws:region)`,
        ]);
    }
    pulumi.runtime.registerStackTransformation(
        withPermissionsBoundary(permissionsBoundaryArn(reported.partition, config.accountId)),
    );
    const servedContainerPorts =
        config.role === "tool"
            ? new Map<string, number>()
            : await readServedContainerPorts(
                  provider,
                  config.services.map((s) => s.name),
              );
    const deployedImages =
        config.role === "tool"
            ? new Map<string, string>()
            : await readDeployedImages(
                  provider,
                  config.services.filter((s) => s.target === "lambda").map((s) => s.name),
                  (service) => `${ecrRegistryHost(config.accountId, config.region, reported.dnsSuffix)}/${service}`,
              );
    const ctx: StackContext = {
        config,
        provider,
        partition: reported.partition,
        dnsSuffix: reported.dnsSuffix,
        servedContainerPorts,
        deployedImages,
    };
    const outputs = config.role === "tool" ? defineToolStack(ctx) : defineEnvironmentStack(ctx, config.role);
    return {
        environment: config.role,
        accountId: config.accountId,
        partition: ctx.partition,
        region: config.region,
        ...outputs,
    };
}

/** The IAM types that take a permissions boundary: every one the stack registers gets the account's. */
const BOUNDED_TYPES = new Set(["aws:iam/role:Role", "aws:iam/user:User"]);

/**
 * A stack transformation setting `permissionsBoundary` on every IAM role and user of the stack, in one place. It
 * runs in the program's process (unlike `registerResourceTransform`, which needs the engine's callback service),
 * so the real engine and the offline mock runtime register the same inputs.
 */
export function withPermissionsBoundary(boundaryArn: string): pulumi.ResourceTransformation {
    return (args) =>
        BOUNDED_TYPES.has(args.type)
            ? { props: { ...args.props, permissionsBoundary: boundaryArn }, opts: args.opts }
            : undefined;
}
