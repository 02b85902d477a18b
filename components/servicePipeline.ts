import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { EnvironmentName, ServiceConfig } from "../domain/config";
import {
    codeCommitRepositoryArn,
    codePipelineArn,
    pipelineName,
    pipelineRoleName,
    roleArn,
    sourceRoleName,
    startRuleName,
} from "../domain/naming";
import {
    actionEnvironmentVariables,
    BuildProjectKey,
    buildProjectKeys,
    buildProjectName,
    ecrRegistryHost,
    BuildStep,
    PipelineBuildProjects,
    PreviousEnvironment,
    STEP_STAGES,
    StepArtifact,
    StepTable,
} from "./buildProjects";
import { ContainerRegistry, ImagePuller } from "./containerRegistry";
import { CROSS_ACCOUNT_KEY_USE } from "./crossAccountKmsKey";
import { DeployedTarget, DeployTarget } from "./deployTarget";
import { keyByAlias, knownArn, serviceTrustPolicy } from "./policyDocuments";
import { PushEventRule } from "./pushTrigger";
import { ServiceAlarms } from "./serviceAlarms";
import { DEFAULT_ALARM_EVALUATION_MINUTES } from "../domain/defaults";

/** Artifact names passed between actions. */
export const SOURCE_ARTIFACT = "source";
export const IMAGE_ARTIFACT = "image";
export const SBOM_ARTIFACT = "sbom";
/** Variable namespace of the source action (its CommitId names the image and the release). */
export const SOURCE_NAMESPACE = "SourceVariables";
/** The pipeline's component type before deploy targets: its alias, which keeps its resources. */
export const FORMER_PIPELINE_TYPE = "devsecops:pipeline:FargatePipeline";

export interface StageLayoutInput {
    readonly env: EnvironmentName;
    readonly repositoryName: string;
    readonly branch: string;
    /** The tool account's source role the source action runs as. */
    readonly sourceRoleArn: string;
    /** The pipeline's steps (pipelineSteps: the common ones and its target's). */
    readonly steps: StepTable;
    /** The CodeBuild project of each step of this environment, by key. */
    readonly projects: Readonly<Partial<Record<BuildProjectKey, pulumi.Input<string>>>>;
    readonly requireApproval: boolean;
    readonly approvalTopicArn: pulumi.Input<string>;
}

type Stage = aws.types.input.codepipeline.PipelineStage;
type Action = aws.types.input.codepipeline.PipelineStageAction;

/** A CodeBuild action; `environmentVariables` is the action's EnvironmentVariables JSON, when it passes any. */
function codeBuild(
    name: string,
    category: "Build" | "Test",
    project: pulumi.Input<string>,
    inputs: readonly string[],
    runOrder: number,
    options: { output?: string; environmentVariables?: string } = {},
): Action {
    return {
        name,
        category,
        owner: "AWS",
        provider: "CodeBuild",
        version: "1",
        runOrder,
        inputArtifacts: [...inputs],
        ...(options.output ? { outputArtifacts: [options.output] } : {}),
        configuration: {
            ProjectName: project,
            // With several input artifacts CodePipeline requires the one the buildspec runs in.
            ...(inputs.length > 1 ? { PrimarySource: inputs[0] } : {}),
            ...(options.environmentVariables ? { EnvironmentVariables: options.environmentVariables } : {}),
        },
    };
}

const ARTIFACTS: Readonly<Record<StepArtifact, string>> = {
    source: SOURCE_ARTIFACT,
    image: IMAGE_ARTIFACT,
    sbom: SBOM_ARTIFACT,
};

/** The artifacts of one step's action: its input, then each secondary input a step of this environment writes. */
export function stepInputs(key: BuildProjectKey, env: EnvironmentName, steps: StepTable): StepArtifact[] {
    const written = new Set(buildProjectKeys(env, steps).map((k) => steps[k].output));
    const step = steps[key];
    return [step.input, ...(step.secondaryInputs ?? []).filter((artifact) => written.has(artifact))];
}

/** The action of one step: its row's stage layout, run order `runOrder` in its stage. */
function stepAction(key: BuildProjectKey, step: BuildStep, input: StageLayoutInput, runOrder: number): Action {
    const inputs = stepInputs(key, input.env, input.steps).map((artifact) => ARTIFACTS[artifact]);
    return codeBuild(step.action, step.category, input.projects[key]!, inputs, runOrder, {
        output: step.output && ARTIFACTS[step.output],
        environmentVariables: actionEnvironmentVariables(key, SOURCE_NAMESPACE, input.steps),
    });
}

/** The stage of each of STEP_STAGES that has steps in this environment, actions in row order. */
function stepStages(input: StageLayoutInput): Stage[] {
    const keys = buildProjectKeys(input.env, input.steps);
    return STEP_STAGES.map((stage) => ({
        name: stage,
        actions: keys
            .filter((key) => input.steps[key].stage === stage)
            .map((key, i) => stepAction(key, input.steps[key], input, i + 1)),
    })).filter((stage) => stage.actions.length > 0);
}

/**
 * The pipeline's stages: Source (cross-account CodeCommit, no polling), then the steps' stages from their rows:
 * Build (unit tests, security scan, image build or promotion, image scan gate, one after another: new accounts may run
 * only one concurrent CodeBuild build, https://docs.aws.amazon.com/codebuild/latest/userguide/limits.html, and the
 * cheap checks fail first), Approval (where required) before Deploy (the target's deploy steps), Release (publishes
 * the manifest the next environment promotes).
 */
export function pipelineStages(input: StageLayoutInput): Stage[] {
    const stages: Stage[] = [
        {
            name: "Source",
            actions: [
                {
                    name: "Source",
                    category: "Source",
                    owner: "AWS",
                    provider: "CodeCommit",
                    version: "1",
                    runOrder: 1,
                    roleArn: input.sourceRoleArn,
                    outputArtifacts: [SOURCE_ARTIFACT],
                    namespace: SOURCE_NAMESPACE,
                    configuration: {
                        RepositoryName: input.repositoryName,
                        BranchName: input.branch,
                        PollForSourceChanges: "false",
                        OutputArtifactFormat: "CODE_ZIP",
                    },
                },
            ],
        },
    ];
    const steps = stepStages(input);
    stages.push(...steps.filter((stage) => stage.name === "Build"));
    if (input.requireApproval) {
        stages.push({
            name: "Approval",
            actions: [
                {
                    name: "ApproveRelease",
                    category: "Approval",
                    owner: "AWS",
                    provider: "Manual",
                    version: "1",
                    runOrder: 1,
                    configuration: {
                        NotificationArn: input.approvalTopicArn,
                        CustomData: `Approve deploying commit #{${SOURCE_NAMESPACE}.CommitId} of ${input.repositoryName} to ${input.env}.`,
                    },
                },
            ],
        });
    }
    stages.push(...steps.filter((stage) => stage.name !== "Build"));
    return stages;
}

export interface PipelineRolePolicyInput {
    readonly partition: string;
    readonly region: string;
    readonly accountId: string;
    readonly sourceRoleArn: string;
    readonly artifactBucketArn: string;
    /** Alias of the artifact key, which scopes it (its id is assigned at creation). */
    readonly kmsKeyAlias: string;
    readonly buildProjectArns: readonly string[];
    readonly approvalTopicArn: string;
}

/**
 * The pipeline service role's permissions: exactly what its actions need. Every action but Source and Approval is
 * a CodeBuild build with its own role, so the pipeline itself touches no ECS resource and passes no role.
 */
export function pipelineRolePolicy(input: PipelineRolePolicyInput): aws.iam.PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "AssumeToolSourceRole", Effect: "Allow", Action: "sts:AssumeRole", Resource: input.sourceRoleArn },
            {
                Sid: "ArtifactObjects",
                Effect: "Allow",
                Action: ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
                Resource: `${input.artifactBucketArn}/*`,
            },
            {
                Sid: "ArtifactBucket",
                Effect: "Allow",
                Action: ["s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:ListBucket"],
                Resource: input.artifactBucketArn,
            },
            {
                Sid: "ArtifactKey",
                Effect: "Allow",
                Action: [...CROSS_ACCOUNT_KEY_USE],
                ...keyByAlias(input.partition, input.region, input.accountId, input.kmsKeyAlias),
            },
            {
                Sid: "RunBuilds",
                Effect: "Allow",
                Action: ["codebuild:StartBuild", "codebuild:BatchGetBuilds", "codebuild:StopBuild"],
                Resource: [...input.buildProjectArns],
            },
            { Sid: "NotifyApprovers", Effect: "Allow", Action: "sns:Publish", Resource: input.approvalTopicArn },
        ],
    };
}

/** Permission of the role EventBridge uses to start one pipeline. */
export function startPipelinePolicy(pipelineArn: string): aws.iam.PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "StartThisPipeline",
                Effect: "Allow",
                Action: "codepipeline:StartPipelineExecution",
                Resource: pipelineArn,
            },
        ],
    };
}

export interface ServicePipelineArgs {
    /** Partition of the stack (from aws.getPartition). Required. */
    readonly partition: string;
    /** Region of the stack. Required. */
    readonly region: string;
    /** DNS suffix of the partition (ECR registry hosts). Required. */
    readonly dnsSuffix: string;
    /** This environment's account. Required. */
    readonly accountId: string;
    /** The tool account (CodeCommit repository and the source role). Required. */
    readonly toolAccountId: string;
    /** This environment: dev builds the image, the others promote it. Required. */
    readonly env: EnvironmentName;
    /** The service: names its repository, pipeline and image. Required. */
    readonly service: ServiceConfig;
    /** Where it deploys: the target creates its resources under the pipeline and adds its deploy steps. Required. */
    readonly target: DeployTarget;
    /** Branch whose pushes start this pipeline. Required. */
    readonly branch: string;
    /** Stop at a manual approval before deploying. Required. */
    readonly requireApproval: boolean;
    /** The environment's artifact bucket (deterministic name). Required. */
    readonly artifactBucketName: string;
    /** The environment's artifact key: artifacts, logs, images and notifications are encrypted with it. Required. */
    readonly kmsKeyArn: pulumi.Input<string>;
    /** Alias of the same key (`alias/...`), by which the roles' policies scope it. Required. */
    readonly kmsKeyAlias: string;
    /** SNS topic (encrypted with the artifact key) for approvals, failures and the failure alarm: its ARN, known
     * before it exists (PipelineNotifications names it). Required. */
    readonly notificationTopicArn: string;
    /** Consecutive one-minute breaches before a service alarm fires. Default DEFAULT_ALARM_EVALUATION_MINUTES. */
    readonly alarmEvaluationMinutes?: number;
    /** Retention of build and service logs, days. Required. */
    readonly logRetentionDays: number;
    /** Where this environment promotes from. Default: none (dev, which builds). */
    readonly previous?: PreviousEnvironment;
    /** The next environment's build role, allowed to pull the images that passed here. Default: none (prod). */
    readonly nextPuller?: ImagePuller;
    /** Protect data-bearing resources and retain them on destroy (stage, prod). Default: false. */
    readonly protect?: boolean;
    /** AWS CLI calls of the builds use FIPS endpoints. Default: fipsEndpointsByDefault(partition) (on in GovCloud). */
    readonly fipsEndpoints?: boolean;
    /** CRITICAL image findings the scan gate allows. Default DEFAULT_MAX_CRITICAL_FINDINGS (0). */
    readonly maxCriticalFindings?: number;
    /** HIGH image findings the scan gate allows. Default DEFAULT_MAX_HIGH_FINDINGS (0). */
    readonly maxHighFindings?: number;
}

/**
 * EventBridge pattern of a failed execution of one pipeline, except the execution CodePipeline starts when the
 * pipeline is created (trigger type CreatePipeline: it fails at Source until the branch has a first push).
 * execution-trigger is optional in the API (ExecutionTrigger, "Required: No"), so an event without it still
 * matches ($or with exists:false, https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html).
 */
export function failedExecutionPattern(pipelineArn: string): Record<string, unknown> {
    return {
        source: ["aws.codepipeline"],
        "detail-type": ["CodePipeline Pipeline Execution State Change"],
        resources: [pipelineArn],
        detail: {
            state: ["FAILED"],
            $or: [
                { "execution-trigger": { "trigger-type": [{ "anything-but": ["CreatePipeline"] }] } },
                { "execution-trigger": { "trigger-type": [{ exists: false }] } },
            ],
        },
    };
}

/** The failure alarm: one match of the failure rule in five minutes pages. */
export const FAILURE_ALARM = {
    namespace: "AWS/Events",
    metricName: "TriggeredRules",
    statistic: "Sum",
    period: 300,
    evaluationPeriods: 1,
    threshold: 1,
    comparisonOperator: "GreaterThanOrEqualToThreshold",
    treatMissingData: "notBreaching",
} as const;

type Parent = { readonly parent: pulumi.Resource };

/** The service's ECR repository, readable by the next environment's build role. */
function serviceRegistry(name: string, args: ServicePipelineArgs, parent: Parent): ContainerRegistry {
    return new ContainerRegistry(
        `${name}-registry`,
        {
            repositoryName: args.service.name,
            kmsKeyArn: args.kmsKeyArn,
            partition: args.partition,
            protect: args.protect,
            pullers: args.nextPuller ? [args.nextPuller] : [],
        },
        parent,
    );
}

/** The CodeBuild projects of the pipeline's build, release and scale-up actions. */
function pipelineBuilds(
    name: string,
    args: ServicePipelineArgs,
    registry: ContainerRegistry,
    target: DeployedTarget,
    parent: Parent,
): PipelineBuildProjects {
    return new PipelineBuildProjects(
        `${name}-builds`,
        {
            partition: args.partition,
            region: args.region,
            dnsSuffix: args.dnsSuffix,
            accountId: args.accountId,
            env: args.env,
            serviceName: args.service.name,
            artifactBucketName: args.artifactBucketName,
            kmsKeyArn: args.kmsKeyArn,
            kmsKeyAlias: args.kmsKeyAlias,
            ecrRepositoryName: args.service.name,
            logRetentionDays: args.logRetentionDays,
            previous: args.previous,
            fipsEndpoints: args.fipsEndpoints,
            maxCriticalFindings: args.maxCriticalFindings,
            maxHighFindings: args.maxHighFindings,
            target: target.build,
        },
        // The target's facts are names known at preview: the projects still wait for what they name.
        { ...parent, dependsOn: target.resources ? [target.resources] : [] },
    );
}

/** The pipeline's service role        },
        parent,
    );
}

/** The pipeline's service role and its inline policy (pipelineRolePolicy). */
function pipelineServiceRole(
    name: string,
    args: ServicePipelineArgs,
    builds: PipelineBuildProjects,
    parent: Parent,
): { role: aws.iam.Role; policy: aws.iam.RolePolicy } {
    const { env, service } = args;
    const role = new aws.iam.Role(
        `${name}-role`,
        {
            name: pipelineRoleName(env, service.name),
            description: `Service role of the ${env} pipeline of ${service.name}`,
            assumeRolePolicy: pulumi.jsonStringify(
                serviceTrustPolicy("codepipeline.amazonaws.com", { sourceAccount: args.accountId }),
            ),
        },
        parent,
    );
    // Every ARN is computed from names, so the document is known at preview.
    const { partition, region, accountId } = args;
    const document = pipelineRolePolicy({
        partition,
        region,
        accountId,
        sourceRoleArn: sourceRoleArnOf(args),
        artifactBucketArn: knownArn({ partition, service: "s3", resource: args.artifactBucketName }),
        kmsKeyAlias: args.kmsKeyAlias,
        buildProjectArns: buildProjectKeys(env, builds.steps).map((key) =>
            knownArn({
                partition,
                service: "codebuild",
                region,
                accountId,
                resource: `project/${buildProjectName(env, service.name, key, builds.steps)}`,
            }),
        ),
        approvalTopicArn: args.notificationTopicArn,
    });
    const policy = new aws.iam.RolePolicy(
        `${name}-role-policy`,
        { role: role.name, name: "pipeline", policy: pulumi.jsonStringify(document) },
        parent,
    );
    return { role, policy };
}

/** The pipeline's ARN, from its name. */
function pipelineArnOf(args: ServicePipelineArgs): string {
    return codePipelineArn(args.partition, args.region, args.accountId, pipelineName(args.env, args.service.name));
}

/** The tool account's source role of this environment and service. */
function sourceRoleArnOf(args: ServicePipelineArgs): string {
    return roleArn(args.partition, args.toolAccountId, sourceRoleName(args.env, args.service.name));
}

/** The pipeline (V2, queued executions) with its KMS-encrypted artifact store and pipelineStages. */
function codePipeline(
    name: string,
    args: ServicePipelineArgs,
    parts: {
        role: aws.iam.Role;
        rolePolicy: aws.iam.RolePolicy;
        builds: PipelineBuildProjects;
    },
    parent: Parent,
): aws.codepipeline.Pipeline {
    const { env, service } = args;
    return new aws.codepipeline.Pipeline(
        `${name}-pipeline`,
        {
            name: pipelineName(env, service.name),
            pipelineType: "V2",
            executionMode: "QUEUED",
            // Known at preview: the role's ARN from its name (the pipeline waits for the role and its policy).
            roleArn: roleArn(args.partition, args.accountId, pipelineRoleName(env, service.name)),
            artifactStores: [
                {
                    location: args.artifactBucketName,
                    type: "S3",
                    encryptionKey: { id: args.kmsKeyArn, type: "KMS" },
                },
            ],
            stages: pipelineStages({
                env,
                repositoryName: service.repositoryName,
                branch: args.branch,
                sourceRoleArn: sourceRoleArnOf(args),
                steps: parts.builds.steps,
                projects: parts.builds.projectNames,
                requireApproval: args.requireApproval,
                approvalTopicArn: args.notificationTopicArn,
            }),
        },
        { ...parent, dependsOn: [parts.role, parts.rolePolicy] },
    );
}

/** The rule that starts the pipeline when the tool account forwards a push to its branch. */
function pipelineStartRule(
    name: string,
    args: ServicePipelineArgs,
    pipeline: aws.codepipeline.Pipeline,
    parent: Parent,
): PushEventRule {
    const { env, service } = args;
    return new PushEventRule(
        `${name}-start`,
        {
            partition: args.partition,
            region: args.region,
            accountId: args.accountId,
            ruleName: startRuleName(env, service.name),
            description: `Starts the ${env} pipeline of ${service.name} on pushes forwarded by the tool account`,
            repositoryArn: codeCommitRepositoryArn(
                args.partition,
                args.region,
                args.toolAccountId,
                service.repositoryName,
            ),
            branch: args.branch,
            roleName: startRuleName(env, service.name),
            // Known at preview: the pipeline's ARN from its name.
            targetArn: pipelineArnOf(args),
            targetPolicy: startPipelinePolicy(pipelineArnOf(args)),
            // Created after the pipeline it starts, as when it read the pipeline's ARN.
            targetDependsOn: [pipeline],
        },
        parent,
    );
}

/**
 * Failures: an EventBridge rule notifies the topic, and an alarm on that rule's matches pages as well. Approval
 * requests reach the topic through the approval action itself. (CodeStar Notifications would be simpler but does
 * not exist in GovCloud.)
 */
function failureNotifications(
    name: string,
    args: ServicePipelineArgs,
    pipeline: aws.codepipeline.Pipeline,
    parent: Parent,
): void {
    const { env, service } = args;
    const failedRuleName = `${pipelineName(env, service.name)}-failed`;
    const failed = new aws.cloudwatch.EventRule(
        `${name}-failed`,
        {
            name: failedRuleName,
            description: `Failed executions of the ${env} pipeline of ${service.name}`,
            // Known at preview: the pipeline's ARN from its name.
            eventPattern: JSON.stringify(failedExecutionPattern(pipelineArnOf(args))),
            state: "ENABLED",
        },
        { ...parent, dependsOn: [pipeline] },
    );
    new aws.cloudwatch.EventTarget(
        `${name}-failed-target`,
        { rule: failed.name, targetId: "notify", arn: args.notificationTopicArn },
        parent,
    );
    new aws.cloudwatch.MetricAlarm(
        `${name}-failed-alarm`,
        {
            name: `${pipelineName(env, service.name)}-failed-executions`,
            alarmDescription: `The ${env} pipeline of ${service.name} failed`,
            namespace: FAILURE_ALARM.namespace,
            metricName: FAILURE_ALARM.metricName,
            dimensions: { RuleName: failedRuleName },
            statistic: FAILURE_ALARM.statistic,
            period: FAILURE_ALARM.period,
            evaluationPeriods: FAILURE_ALARM.evaluationPeriods,
            threshold: FAILURE_ALARM.threshold,
            comparisonOperator: FAILURE_ALARM.comparisonOperator,
            treatMissingData: FAILURE_ALARM.treatMissingData,
            alarmActions: [args.notificationTopicArn],
        },
        { ...parent, dependsOn: [failed] },
    );
}

/**
 * One service's delivery in an environment account: its ECR repository, its deploy target (e.g. a Fargate service),
 * CodeBuild projects (the common steps and the target's),
 * the pipeline (V2) with its service role and cross-account source, the rule that starts it when the tool
 * account forwards a push, and notifications (approvals, failures, a failure alarm).
 */
export class ServicePipeline extends pulumi.ComponentResource {
    public readonly pipelineArn: pulumi.Output<string>;
    public readonly pipelineName: pulumi.Output<string>;
    public readonly roleArn: pulumi.Output<string>;
    public readonly repositoryUrl: pulumi.Output<string>;
    /** Where the deployed service answers (the target's endpoint, e.g. its load balancer's DNS name). */
    public readonly endpoint: pulumi.Output<string>;
    /** The service's alarms (ServiceAlarms), routed to the notification topic. */
    public readonly alarmNames: string[];

    constructor(name: string, args: ServicePipelineArgs, opts?: pulumi.ComponentResourceOptions) {
        // Its resources were created under the FargatePipeline type: the alias keeps them (and their children).
        super("devsecops:pipeline:ServicePipeline", name, {}, withFormerType(opts));
        const parent = { parent: this };

        const registry = serviceRegistry(name, args, parent);
        const target = args.target.create({
            name,
            parent: this,
            env: args.env,
            // Known at preview: the repository is named after the service.
            repositoryUrl: `${ecrRegistryHost(args.accountId, args.region, args.dnsSuffix)}/${args.service.name}`,
            repositoryArn: knownArn({
                partition: args.partition,
                service: "ecr",
                region: args.region,
                accountId: args.accountId,
                resource: `repository/${args.service.name}`,
            }),
        });
        const builds = pipelineBuilds(name, args, registry, target, parent);
        const { role, policy } = pipelineServiceRole(name, args, builds, parent);
        const pipeline = codePipeline(name, args, { role, rolePolicy: policy, builds }, parent);
        pipelineStartRule(name, args, pipeline, parent);
        failureNotifications(name, args, pipeline, parent);
        const alarms = new ServiceAlarms(
            `${name}-alarms`,
            {
                pipeline: name,
                watched: target.watched ?? [],
                notificationTopicArn: args.notificationTopicArn,
                thresholds: { evaluationMinutes: args.alarmEvaluationMinutes ?? DEFAULT_ALARM_EVALUATION_MINUTES },
            },
            parent,
        );

        this.pipelineArn = pipeline.arn;
        this.pipelineName = pipeline.name;
        this.roleArn = role.arn;
        this.repositoryUrl = registry.repositoryUrl;
        this.endpoint = target.endpoint;
        this.alarmNames = alarms.alarmNames;
        this.registerOutputs({
            pipelineArn: this.pipelineArn,
            pipelineName: this.pipelineName,
            roleArn: this.roleArn,
            repositoryUrl: this.repositoryUrl,
            endpoint: this.endpoint,
        });
    }
}

/** The options with an alias to FORMER_PIPELINE_TYPE added to the caller's. */
function withFormerType(opts?: pulumi.ComponentResourceOptions): pulumi.ComponentResourceOptions {
    return { ...opts, aliases: [...(opts?.aliases ?? []), { type: FORMER_PIPELINE_TYPE }] };
}
