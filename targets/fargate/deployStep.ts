/**
 * The Fargate target's own build steps: deploy (Pulumi's newest task definition with the promoted image) and scale-up
 * (raises the service from 0 tasks after the first deploy), with exactly the permissions and variables they need.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
    ARTIFACT_KEY_READ,
    BuildRolePolicyInput,
    DEFAULT_COMPUTE_TYPE,
    pipelineSteps,
    ProjectVariable,
    stepTable,
    TargetBuild,
} from "../../components/buildProjects";
import { formatArn, ssmParameterArn } from "../../domain/naming";
import { DEPLOY_ENV, ECS_TASKS_SERVICE, SCALE_UP_ENV, TASK_DEFINITION_SERVICE_TAG } from "./service";

/** EcsServiceTarget with its outputs resolved: what the steps' role statements read. */
export type ResolvedEcsService = pulumi.Unwrap<EcsServiceTarget>;

/** The steps the Fargate target adds to a service's pipeline, in pipeline order. */
export const FARGATE_STEPS = stepTable<"deploy" | "scaleUp", EcsServiceTarget>({
    deploy: {
        stage: "Deploy",
        // Not the ECS deploy action: it copies the service's running revision, so what `pulumi up` registered
        // (secrets, cpu, memory, ports, variables) would never reach the service (see service.ts).
        action: "DeployToFargate",
        category: "Build",
        input: "image",
        deploys: true,
        suffix: "deploy",
        buildspec: "deploy-task-definition.yml",
        computeType: DEFAULT_COMPUTE_TYPE,
        privileged: false,
        runsUntrustedCode: false,
        writesArtifacts: false,
        artifactKeyUse: ARTIFACT_KEY_READ,
        statements: deployRoleStatements,
        variables: deployVariables,
        // The deploy build waits up to the deployment timeout.
        buildTimeoutMinutes: (target) => target.deploymentTimeoutMinutes + DEPLOY_BUILD_MARGIN_MINUTES,
    },
    scaleUp: {
        stage: "Deploy",
        action: "ScaleUpService",
        category: "Build",
        input: "image",
        // It changes what runs too (the service's task count).
        deploys: true,
        suffix: "scale-up",
        buildspec: "scale-up.yml",
        computeType: DEFAULT_COMPUTE_TYPE,
        privileged: false,
        runsUntrustedCode: false,
        writesArtifacts: false,
        artifactKeyUse: ARTIFACT_KEY_READ,
        statements: scaleUpService,
        variables: scaleUpVariables,
    },
});

/** The steps of a Fargate pipeline: the common ones and FARGATE_STEPS, in pipeline order. */
export const FARGATE_PIPELINE_STEPS = pipelineSteps(FARGATE_STEPS);

/** What the build projects need of a Fargate target: its steps, the service they deploy, the container name. */
export function fargateBuild(
    service: EcsServiceTarget,
    containerName: pulumi.Input<string>,
): TargetBuild<EcsServiceTarget> {
    return { steps: FARGATE_STEPS, facts: service, containerName, problems: validateEcsServiceTarget(service) };
}

/** Every problem of the target's deploy settings, each naming the argument, the value found and what is expected. */
export function validateEcsServiceTarget(target: EcsServiceTarget): string[] {
    const timeout = target.deploymentTimeoutMinutes;
    return !Number.isInteger(timeout) || timeout < 1 || timeout > MAX_DEPLOYMENT_TIMEOUT_MINUTES
        ? [
              `ecsService.deploymentTimeoutMinutes is ${timeout}, expected whole minutes from 1 to ${MAX_DEPLOYMENT_TIMEOUT_MINUTES} (CodeBuild builds run at most 2160 minutes)`,
          ]
        : [];
}

/** The service a Fargate pipeline deploys to: what its deploy and scale-up steps read. */
export interface EcsServiceTarget {
    readonly clusterName: pulumi.Input<string>;
    readonly clusterArn: pulumi.Input<string>;
    readonly serviceName: pulumi.Input<string>;
    readonly serviceArn: pulumi.Input<string>;
    /** Tasks once an image is deployed. */
    readonly desiredCount: number;
    /** Family of the service's task definitions (the deploy step registers revisions of it). */
    readonly taskDefinitionFamily: string;
    /** SSM parameter holding the ARN of Pulumi's newest revision (taskDefinitionParameterName). */
    readonly taskDefinitionParameterName: string;
    /** SSM parameter holding the port the service receives traffic on (containerPortParameterName). */
    readonly containerPortParameterName: string;
    /** The task role and the execution role of the service: the only roles the deploy step passes to ECS. */
    readonly taskRoleArns: pulumi.Input<pulumi.Input<string>[]>;
    /** Minutes the deploy step waits for its deployment to complete. */
    readonly deploymentTimeoutMinutes: number;
}

/** Minutes a deploy build may run beyond the deployment timeout (install, render, register). */
export const DEPLOY_BUILD_MARGIN_MINUTES = 10;
/** Longest deployment timeout: CodeBuild's longest build (2160 minutes) less the margin. */
export const MAX_DEPLOYMENT_TIMEOUT_MINUTES = 2160 - DEPLOY_BUILD_MARGIN_MINUTES;

/** ARN pattern of every revision of the service's task definition family. */
function familyRevisions(input: BuildRolePolicyInput, target: ResolvedEcsService): string {
    const { partition, region, accountId } = input;
    const resource = `task-definition/${target.taskDefinitionFamily}:*`;
    return formatArn({ partition, service: "ecs", region, accountId, resource });
}

/**
 * The scale-up step after the first deploy: read this one service and update it in its cluster, narrowed like the
 * deploy step's DeployService so it cannot switch the service to a task definition of another family. The scale-up
 * sends a desired count only, without ecs:task-definition, hence ArnLikeIfExists.
 */
function scaleUpService(input: BuildRolePolicyInput, target: ResolvedEcsService): aws.iam.PolicyStatement[] {
    return [
        { Sid: "WatchService", Effect: "Allow", Action: "ecs:DescribeServices", Resource: target.serviceArn },
        {
            Sid: "ScaleUpService",
            Effect: "Allow",
            Action: "ecs:UpdateService",
            Resource: target.serviceArn,
            Condition: {
                ArnEquals: { "ecs:cluster": target.clusterArn },
                ArnLikeIfExists: { "ecs:task-definition": familyRevisions(input, target) },
            },
        },
    ];
}

/**
 * What the deploy step needs beyond its input artifact: read Pulumi's revision (its ARN from one SSM parameter),
 * register a copy with the promoted image in the service's family, pass exactly the service's two roles to ECS
 * tasks, update and watch one service (its load balancer entry too, when the revision's port is new), and read and
 * record the port the service receives traffic on (one more SSM parameter). ecs:DescribeTaskDefinition supports no
 * resource-level permissions; ecs:RegisterTaskDefinition has the task-definition resource type (Service
 * Authorization Reference, "Actions, resources, and condition keys for Amazon Elastic Container Service"), so
 * registration is allowed in the family only, with the service's tag (aws:RequestTag); a tagged registration also
 * needs ecs:TagResource on the new revision (ECS developer guide, "Grant permission to tag resources on creation"),
 * also only in the family. UpdateService is narrowed by ecs:cluster and ecs:task-definition.
 */
export function deployRoleStatements(
    input: BuildRolePolicyInput,
    target: ResolvedEcsService,
): aws.iam.PolicyStatement[] {
    const { partition: p, region, accountId } = input;
    const family = familyRevisions(input, target);
    const parameter = (name: string) => ssmParameterArn(p, region, accountId, name);
    return [
        {
            Sid: "ReadPulumiTaskDefinitionArn",
            Effect: "Allow",
            Action: "ssm:GetParameter",
            Resource: parameter(target.taskDefinitionParameterName),
        },
        {
            Sid: "RecordServedContainerPort",
            Effect: "Allow",
            Action: ["ssm:GetParameter", "ssm:PutParameter"],
            Resource: parameter(target.containerPortParameterName),
        },
        { Sid: "DescribeTaskDefinitions", Effect: "Allow", Action: "ecs:DescribeTaskDefinition", Resource: "*" },
        {
            Sid: "RegisterServiceTaskDefinitions",
            Effect: "Allow",
            Action: "ecs:RegisterTaskDefinition",
            Resource: family,
            Condition: { StringEquals: { [`aws:RequestTag/${TASK_DEFINITION_SERVICE_TAG}`]: input.serviceName } },
        },
        {
            Sid: "TagServiceTaskDefinitions",
            Effect: "Allow",
            Action: "ecs:TagResource",
            Resource: family,
            Condition: { StringEquals: { "ecs:CreateAction": "RegisterTaskDefinition" } },
        },
        {
            Sid: "DeployService",
            Effect: "Allow",
            Action: "ecs:UpdateService",
            Resource: target.serviceArn,
            Condition: {
                ArnEquals: { "ecs:cluster": target.clusterArn },
                ArnLike: { "ecs:task-definition": family },
            },
        },
        { Sid: "WatchService", Effect: "Allow", Action: "ecs:DescribeServices", Resource: target.serviceArn },
        {
            Sid: "PassTaskRoles",
            Effect: "Allow",
            Action: "iam:PassRole",
            Resource: [...target.taskRoleArns],
            Condition: { StringEquals: { "iam:PassedToService": ECS_TASKS_SERVICE } },
        },
    ];
}

/** Which service the scale-up step raises, and to how many tasks. */
function scaleUpVariables(target: EcsServiceTarget): ProjectVariable[] {
    return [
        { name: SCALE_UP_ENV.cluster, value: target.clusterName, type: "PLAINTEXT" },
        { name: SCALE_UP_ENV.service, value: target.serviceName, type: "PLAINTEXT" },
        { name: SCALE_UP_ENV.desiredCount, value: String(target.desiredCount), type: "PLAINTEXT" },
    ];
}

/** Which service the deploy step updates, where Pulumi's revision is, and how long it waits. */
function deployVariables(target: EcsServiceTarget): ProjectVariable[] {
    return [
        { name: DEPLOY_ENV.cluster, value: target.clusterName, type: "PLAINTEXT" },
        { name: DEPLOY_ENV.service, value: target.serviceName, type: "PLAINTEXT" },
        { name: DEPLOY_ENV.family, value: target.taskDefinitionFamily, type: "PLAINTEXT" },
        { name: DEPLOY_ENV.parameter, value: target.taskDefinitionParameterName, type: "PLAINTEXT" },
        { name: DEPLOY_ENV.portParameter, value: target.containerPortParameterName, type: "PLAINTEXT" },
        { name: DEPLOY_ENV.timeoutMinutes, value: String(target.deploymentTimeoutMinutes), type: "PLAINTEXT" },
    ];
}
