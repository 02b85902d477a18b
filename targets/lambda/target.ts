/**
 * The Lambda deploy target: the service as a container image function behind its load balancer (function.ts), and
 * the deploy step (deployStep.ts) that publishes the promoted image as a version and shifts the alias with CodeDeploy.
 */
import * as pulumi from "@pulumi/pulumi";
import { ServiceConfig } from "../../domain/config";
import { DeployTarget, TargetScope } from "../../components/deployTarget";
import { deployedImageParameterName, LIVE_ALIAS } from "./contract";
import { lambdaBuild, LambdaFunctionTarget } from "./deployStep";
import { lambdaKnownArns, lambdaResourceNames, LambdaService } from "./function";

export interface LambdaTargetArgs {
    /** Partition, region and account of the stack. Required. */
    readonly partition: string;
    readonly region: string;
    readonly accountId: string;
    /** The service: names the function and sizes it. Required. */
    readonly service: ServiceConfig;
    /** The image its deploy step recorded (stacks/lambdaImages.ts). Default: none, no function yet. */
    readonly deployedImage?: string;
    /** VPC and subnets of the stack (ServiceNetwork). Required. */
    readonly network: {
        readonly vpcId: pulumi.Input<string>;
        readonly privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
        readonly publicSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
    };
    /** Key and retention of the function's log group. Required. */
    readonly logKmsKeyArn: pulumi.Input<string>;
    readonly logRetentionDays: number;
    /** The account's notification topic (the alarms notify it). Required. */
    readonly alarmTopicArn: string;
    /** ACM certificate of the load balancer (HTTPS). Default: none, plain HTTP. */
    readonly certificateArn?: string;
    /** Protect data-bearing resources and retain them on destroy (stage, prod). Default: false. */
    readonly protect?: boolean;
}

/** A pipeline's Lambda target: the function `<pipeline>-function` (LambdaService) and its deploy step. */
export function lambdaTarget(args: LambdaTargetArgs): DeployTarget<LambdaFunctionTarget> {
    return {
        kind: "lambda",
        artifact: "image",
        create: (scope: TargetScope) => {
            const namePrefix = lambdaNamePrefix(scope);
            const fn = new LambdaService(
                namePrefix,
                {
                    serviceName: args.service.name,
                    repositoryUrl: scope.repositoryUrl,
                    partition: args.partition,
                    region: args.region,
                    accountId: args.accountId,
                    vpcId: args.network.vpcId,
                    privateSubnetIds: args.network.privateSubnetIds,
                    publicSubnetIds: args.network.publicSubnetIds,
                    logKmsKeyArn: args.logKmsKeyArn,
                    logRetentionDays: args.logRetentionDays,
                    memory: args.service.memory,
                    containerPort: args.service.containerPort,
                    healthCheckPath: args.service.healthCheckPath,
                    secrets: args.service.secrets,
                    secretsKmsKeyArns: args.service.secretsKmsKeyArns,
                    egress: args.service.egress,
                    certificateArn: args.certificateArn,
                    alarmTopicArn: args.alarmTopicArn,
                    protect: args.protect,
                    namePrefix,
                    deployedImage: args.deployedImage,
                },
                { parent: scope.parent },
            );
            return {
                build: lambdaBuild(lambdaFunctionTarget(args, namePrefix)),
                endpoint: fn.loadBalancerDnsName,
                resources: fn,
            };
        },
    };
}

/** Prefix of the names of a pipeline's function roles and CodeDeploy application (`<env>-<service>-function`). */
function lambdaNamePrefix(scope: TargetScope): string {
    return `${scope.name}-function`;
}

/** What the deploy step reads of the function: names and ARNs from the names the service gives them. */
function lambdaFunctionTarget(args: LambdaTargetArgs, namePrefix: string): LambdaFunctionTarget {
    const known = lambdaKnownArns({
        partition: args.partition,
        region: args.region,
        accountId: args.accountId,
        namePrefix,
        serviceName: args.service.name,
    });
    const names = lambdaResourceNames(namePrefix);
    return {
        functionName: args.service.name,
        functionArn: known.functionArn,
        alias: LIVE_ALIAS,
        applicationName: names.application,
        applicationArn: known.applicationArn,
        deploymentGroupName: names.deploymentGroup,
        deploymentGroupArn: known.deploymentGroupArn,
        deploymentConfigArn: known.deploymentConfigArn,
        imageParameterName: deployedImageParameterName(args.service.name),
    };
}
