/**
 * The Fargate deploy target: the service on ECS Fargate behind its load balancer (service.ts), and the deploy and
 * scale-up steps (deployStep.ts) that put the promoted image into Pulumi's newest task definition.
 */
import * as pulumi from "@pulumi/pulumi";
import { DeliveryConfig, ServiceConfig } from "../../domain/config";
import {
    DEFAULT_ALARM_ERROR_RATE_PERCENT,
    DEFAULT_ALARM_EVALUATION_MINUTES,
    DEFAULT_ALARM_LATENCY_P99_MS,
    DEFAULT_BAKE_TIME_MINUTES,
    DEFAULT_DEPLOYMENT_STRATEGY,
} from "../../domain/defaults";
import { rollbackAlarmNames } from "../../components/serviceAlarms";
import { fargateWatchedAlarms } from "./alarms";
import { DeployTarget, TargetScope } from "../../components/deployTarget";
import { EcsServiceTarget, fargateBuild } from "./deployStep";
import {
    containerPortParameterName,
    DEFAULT_DESIRED_COUNT,
    FargateService,
    fargateKnownArns,
    fargateResourceNames,
    taskDefinitionParameterName,
} from "./service";

/** Default minutes the deploy step waits for its deployment to complete. */
export const DEFAULT_DEPLOYMENT_TIMEOUT_MINUTES = 30;

export interface FargateTargetArgs {
    /** Partition of the stack (from aws.getPartition). Required. */
    readonly partition: string;
    /** Region of the stack. Required. */
    readonly region: string;
    /** This environment's account. Required. */
    readonly accountId: string;
    /** The service: names the ECS service and sizes its tasks. Required. */
    readonly service: ServiceConfig;
    /** The port the running service receives traffic on, when its deploy step recorded one. Default: none. */
    readonly servedContainerPort?: number;
    /** VPC and subnets of the service (ServiceNetwork). Required. */
    readonly network: {
        readonly vpcId: pulumi.Input<string>;
        readonly privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
        readonly publicSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
    };
    /** Key of the service's log group. Required. */
    readonly logKmsKeyArn: pulumi.Input<string>;
    /** Retention of the service's logs, days. Required. */
    readonly logRetentionDays: number;
    /** ACM certificate of the load balancer (HTTPS). Default: none, plain HTTP. */
    readonly certificateArn?: string;
    /** Protect data-bearing resources and retain them on destroy (stage, prod). Default: false. */
    readonly protect?: boolean;
    /** Minutes the deploy step waits for its deployment to complete. Default DEFAULT_DEPLOYMENT_TIMEOUT_MINUTES (30). */
    readonly deploymentTimeoutMinutes?: number;
    /** How deploys reach the service and the thresholds of its alarms. Default: DEFAULT_DELIVERY. */
    readonly delivery?: DeliveryConfig;
}

/** The config's defaults (domain/defaults.ts): blue/green with a bake, and the default thresholds. */
export const DEFAULT_DELIVERY: DeliveryConfig = {
    strategy: DEFAULT_DEPLOYMENT_STRATEGY,
    bakeTimeMinutes: DEFAULT_BAKE_TIME_MINUTES,
    alarms: {
        errorRatePercent: DEFAULT_ALARM_ERROR_RATE_PERCENT,
        latencyP99Ms: DEFAULT_ALARM_LATENCY_P99_MS,
        evaluationMinutes: DEFAULT_ALARM_EVALUATION_MINUTES,
    },
};

/** A pipeline's Fargate target: the service `<pipeline>-service` (FargateService) and its deploy steps. */
export function fargateTarget(args: FargateTargetArgs): DeployTarget<EcsServiceTarget> {
    return {
        kind: "fargate",
        artifact: "image",
        create: (scope: TargetScope) => {
            const delivery = args.delivery ?? DEFAULT_DELIVERY;
            // The alarms' names are known before the service: it lists those that roll back in its deployments.
            const watch = (parts: Parameters<typeof fargateWatchedAlarms>[0]) =>
                fargateWatchedAlarms(parts, delivery.alarms);
            const fargate = serviceOnFargate(args, scope, {
                delivery,
                rollbackAlarmNames: rollbackAlarmNames(scope.name, watch(PLACEHOLDER_PARTS)),
            });
            const facts = ecsServiceTarget(args, scope);
            return {
                build: fargateBuild(facts, fargate.containerName),
                endpoint: fargate.loadBalancerDnsName,
                resources: fargate,
                watched: watch({
                    loadBalancerArnSuffix: fargate.loadBalancerArnSuffix,
                    targetGroupArnSuffixes: fargate.targetGroupArnSuffixes,
                    clusterName: fargate.clusterName,
                    serviceName: args.service.name,
                }),
            };
        },
    };
}

/** Which alarms roll back depends on no resource: the names are listed before the service exists. */
const PLACEHOLDER_PARTS = { loadBalancerArnSuffix: "", targetGroupArnSuffixes: [], clusterName: "", serviceName: "" };

/** The service on Fargate, sized by the service config. */
function serviceOnFargate(
    args: FargateTargetArgs,
    scope: TargetScope,
    deployments: { delivery: DeliveryConfig; rollbackAlarmNames: string[] },
): FargateService {
    const { service } = args;
    return new FargateService(
        `${scope.name}-service`,
        {
            serviceName: service.name,
            repositoryUrl: scope.repositoryUrl,
            repositoryArn: scope.repositoryArn,
            partition: args.partition,
            region: args.region,
            accountId: args.accountId,
            vpcId: args.network.vpcId,
            privateSubnetIds: args.network.privateSubnetIds,
            publicSubnetIds: args.network.publicSubnetIds,
            logKmsKeyArn: args.logKmsKeyArn,
            logRetentionDays: args.logRetentionDays,
            cpu: service.cpu,
            memory: service.memory,
            containerPort: service.containerPort,
            servedContainerPort: args.servedContainerPort,
            desiredCount: service.desiredCount,
            healthCheckPath: service.healthCheckPath,
            secrets: service.secrets,
            secretsKmsKeyArns: service.secretsKmsKeyArns,
            egress: service.egress,
            namePrefix: fargateNamePrefix(scope),
            certificateArn: args.certificateArn,
            protect: args.protect,
            deploymentStrategy: deployments.delivery.strategy,
            bakeTimeMinutes: deployments.delivery.bakeTimeMinutes,
            rollbackAlarmNames: deployments.rollbackAlarmNames,
        },
        { parent: scope.parent },
    );
}

/** Prefix of the names of a pipeline's cluster and roles (`<env>-<service>-service`, as the component is named). */
function fargateNamePrefix(scope: TargetScope): string {
    return `${scope.name}-service`;
}

/**
 * What the deploy and scale-up steps read of the service: names and ARNs computed from the names it gives its
 * cluster and roles, so the steps' policies are known at preview (the build projects wait for the service).
 */
function ecsServiceTarget(args: FargateTargetArgs, scope: TargetScope): EcsServiceTarget {
    const known = fargateKnownArns({
        partition: args.partition,
        region: args.region,
        accountId: args.accountId,
        namePrefix: fargateNamePrefix(scope),
        serviceName: args.service.name,
    });
    return {
        clusterName: fargateResourceNames(fargateNamePrefix(scope)).cluster,
        clusterArn: known.clusterArn,
        serviceName: args.service.name,
        serviceArn: known.serviceArn,
        desiredCount: args.service.desiredCount ?? DEFAULT_DESIRED_COUNT,
        taskDefinitionFamily: args.service.name,
        taskDefinitionParameterName: taskDefinitionParameterName(args.service.name),
        containerPortParameterName: containerPortParameterName(args.service.name),
        taskRoleArns: [known.taskRoleArn, known.executionRoleArn],
        deploymentTimeoutMinutes: args.deploymentTimeoutMinutes ?? DEFAULT_DEPLOYMENT_TIMEOUT_MINUTES,
    };
}
