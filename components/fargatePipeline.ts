import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { EnvironmentName } from "../lib/config";
import {
    codeCommitRepositoryArn,
    pipelineName,
    pipelineRoleName,
    roleArn,
    sourceRoleName,
    startRuleName,
} from "../lib/naming";
import { CROSS_ACCOUNT_KEY_USE } from "./crossAccountKmsKey";
import { serviceTrustPolicy } from "./policyDocuments";
import { PushEventRule } from "./pushTrigger";

/** Artifact names passed between actions. */
export const SOURCE_ARTIFACT = "source";
export const IMAGE_ARTIFACT = "image";
/** File the ECS deploy action reads (written by the build or promotion project). */
export const IMAGE_DEFINITIONS_FILE = "imagedefinitions.json";
/** Default minutes the ECS deploy action waits for the service to be stable. */
export const DEFAULT_DEPLOYMENT_TIMEOUT_MINUTES = 30;

/** The CodeBuild projects of one service's pipeline, by the action they run. */
export interface PipelineProjects {
    readonly unitTests: pulumi.Input<string>;
    readonly securityScan: pulumi.Input<string>;
    /** Builds the image from source (dev) or promotes the previous environment's image (qa, stage, prod). */
    readonly image: pulumi.Input<string>;
    readonly imageScanGate: pulumi.Input<string>;
    readonly publishRelease: pulumi.Input<string>;
}

export interface StageLayoutInput {
    readonly env: EnvironmentName;
    readonly repositoryName: string;
    readonly branch: string;
    /** The tool account's source role the source action runs as. */
    readonly sourceRoleArn: string;
    readonly projects: PipelineProjects;
    readonly requireApproval: boolean;
    readonly approvalTopicArn: pulumi.Input<string>;
    readonly clusterName: pulumi.Input<string>;
    readonly serviceName: pulumi.Input<string>;
    readonly deploymentTimeoutMinutes: number;
}

type Stage = aws.types.input.codepipeline.PipelineStage;
type Action = aws.types.input.codepipeline.PipelineStageAction;

function codeBuild(
    name: string,
    category: "Build" | "Test",
    project: pulumi.Input<string>,
    input: string,
    runOrder: number,
    extra: Partial<Action> = {},
): Action {
    return {
        name,
        category,
        owner: "AWS",
        provider: "CodeBuild",
        version: "1",
        runOrder,
        inputArtifacts: [input],
        configuration: { ProjectName: project },
        ...extra,
    };
}

/**
 * The pipeline's stages: Source (cross-account CodeCommit, no polling) -> Build (unit tests, security scan and
 * image build or promotion in parallel, then the image scan gate) -> Approval (where required) -> Deploy (ECS)
 * -> Release (publishes the manifest the next environment promotes).
 */
export function pipelineStages(input: StageLayoutInput): Stage[] {
    const promotes = input.env !== "dev";
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
                    namespace: "SourceVariables",
                    configuration: {
                        RepositoryName: input.repositoryName,
                        BranchName: input.branch,
                        PollForSourceChanges: "false",
                        OutputArtifactFormat: "CODE_ZIP",
                    },
                },
            ],
        },
        {
            name: "Build",
            actions: [
                codeBuild("UnitTests", "Test", input.projects.unitTests, SOURCE_ARTIFACT, 1),
                codeBuild("SecurityScan", "Test", input.projects.securityScan, SOURCE_ARTIFACT, 1),
                codeBuild(promotes ? "PromoteImage" : "BuildImage", "Build", input.projects.image, SOURCE_ARTIFACT, 1, {
                    outputArtifacts: [IMAGE_ARTIFACT],
                }),
                codeBuild("ImageScanGate", "Test", input.projects.imageScanGate, IMAGE_ARTIFACT, 2),
            ],
        },
    ];
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
                        CustomData: `Approve deploying commit #{SourceVariables.CommitId} of ${input.repositoryName} to ${input.env}.`,
                    },
                },
            ],
        });
    }
    stages.push(
        {
            name: "Deploy",
            actions: [
                {
                    name: "DeployToFargate",
                    category: "Deploy",
                    owner: "AWS",
                    provider: "ECS",
                    version: "1",
                    runOrder: 1,
                    inputArtifacts: [IMAGE_ARTIFACT],
                    configuration: {
                        ClusterName: input.clusterName,
                        ServiceName: input.serviceName,
                        FileName: IMAGE_DEFINITIONS_FILE,
                        DeploymentTimeout: String(input.deploymentTimeoutMinutes),
                    },
                },
            ],
        },
        {
            name: "Release",
            actions: [
                codeBuild("PublishRelease", "Build", input.projects.publishRelease, IMAGE_ARTIFACT, 1, {
                    configuration: {
                        ProjectName: input.projects.publishRelease,
                        EnvironmentVariables: JSON.stringify([
                            { name: "COMMIT_ID", value: "#{SourceVariables.CommitId}", type: "PLAINTEXT" },
                            {
                                name: "PIPELINE_EXECUTION_ID",
                                value: "#{codepipeline.PipelineExecutionId}",
                                type: "PLAINTEXT",
                            },
                        ]),
                    },
                }),
            ],
        },
    );
    return stages;
}

export interface PipelineRolePolicyInput {
    readonly sourceRoleArn: string;
    readonly artifactBucketArn: string;
    readonly kmsKeyArn: string;
    readonly buildProjectArns: readonly string[];
    readonly clusterArn: string;
    readonly serviceArn: string;
    /** Task and execution roles the ECS deploy action registers task definitions with. */
    readonly taskRoleArns: readonly string[];
    readonly approvalTopicArn: string;
}

/** The pipeline service role's permissions: exactly what its actions need. */
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
            { Sid: "ArtifactKey", Effect: "Allow", Action: [...CROSS_ACCOUNT_KEY_USE], Resource: input.kmsKeyArn },
            {
                Sid: "RunBuilds",
                Effect: "Allow",
                Action: ["codebuild:StartBuild", "codebuild:BatchGetBuilds", "codebuild:StopBuild"],
                Resource: [...input.buildProjectArns],
            },
            {
                Sid: "UpdateService",
                Effect: "Allow",
                Action: ["ecs:DescribeServices", "ecs:UpdateService"],
                Resource: input.serviceArn,
            },
            {
                // These ECS actions support no resource-level permissions.
                Sid: "RegisterTaskDefinitions",
                Effect: "Allow",
                Action: ["ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition", "ecs:TagResource"],
                Resource: "*",
            },
            {
                Sid: "WatchDeployment",
                Effect: "Allow",
                Action: ["ecs:DescribeTasks", "ecs:ListTasks"],
                Resource: "*",
                Condition: { ArnEquals: { "ecs:cluster": input.clusterArn } },
            },
            {
                Sid: "PassTaskRoles",
                Effect: "Allow",
                Action: "iam:PassRole",
                Resource: [...input.taskRoleArns],
                Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
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

export interface FargatePipelineArgs {
    readonly partition: string;
    readonly region: string;
    /** This environment's account. */
    readonly accountId: string;
    readonly toolAccountId: string;
    readonly env: EnvironmentName;
    readonly serviceName: string;
    /** CodeCommit repository of the service in the tool account. */
    readonly repositoryName: string;
    /** Branch whose pushes start this pipeline. */
    readonly branch: string;
    /** Stop at a manual approval before deploying. */
    readonly requireApproval: boolean;
    readonly artifactBucketName: pulumi.Input<string>;
    readonly artifactBucketArn: pulumi.Input<string>;
    readonly kmsKeyArn: pulumi.Input<string>;
    readonly projects: PipelineProjects;
    readonly buildProjectArns: pulumi.Input<string>[];
    readonly clusterName: pulumi.Input<string>;
    readonly clusterArn: pulumi.Input<string>;
    readonly serviceArn: pulumi.Input<string>;
    readonly ecsServiceName: pulumi.Input<string>;
    readonly taskRoleArns: pulumi.Input<string>[];
    /** SNS topic (encrypted with the artifact key) for approvals and failures. */
    readonly notificationTopicArn: pulumi.Input<string>;
    /** Minutes the deploy action waits for a stable service. Default: 30. */
    readonly deploymentTimeoutMinutes?: number;
}

/**
 * One service's delivery pipeline in an environment account: the service role, the CodePipeline (V2) with the
 * cross-account source, and the rule that starts it when the tool account forwards a push.
 */
export class FargatePipeline extends pulumi.ComponentResource {
    public readonly pipelineArn: pulumi.Output<string>;
    public readonly pipelineName: pulumi.Output<string>;
    public readonly roleArn: pulumi.Output<string>;

    constructor(name: string, args: FargatePipelineArgs, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:pipeline:FargatePipeline", name, {}, opts);
        const sourceRoleArn = roleArn(args.partition, args.toolAccountId, sourceRoleName(args.env, args.serviceName));

        const role = new aws.iam.Role(
            `${name}-role`,
            {
                name: pipelineRoleName(args.env, args.serviceName),
                description: `Service role of the ${args.env} pipeline of ${args.serviceName}`,
                assumeRolePolicy: pulumi.jsonStringify(
                    serviceTrustPolicy("codepipeline.amazonaws.com", { sourceAccount: args.accountId }),
                ),
            },
            { parent: this },
        );
        const rolePolicy = new aws.iam.RolePolicy(
            `${name}-role-policy`,
            {
                role: role.name,
                name: "pipeline",
                policy: pulumi.jsonStringify(
                    pulumi
                        .all([
                            args.artifactBucketArn,
                            args.kmsKeyArn,
                            pulumi.all(args.buildProjectArns),
                            args.clusterArn,
                            args.serviceArn,
                            pulumi.all(args.taskRoleArns),
                            args.notificationTopicArn,
                        ])
                        .apply(([bucketArn, keyArn, projectArns, clusterArn, serviceArn, taskRoleArns, topicArn]) =>
                            pipelineRolePolicy({
                                sourceRoleArn,
                                artifactBucketArn: bucketArn,
                                kmsKeyArn: keyArn,
                                buildProjectArns: projectArns,
                                clusterArn,
                                serviceArn,
                                taskRoleArns,
                                approvalTopicArn: topicArn,
                            }),
                        ),
                ),
            },
            { parent: this },
        );
        const pipeline = new aws.codepipeline.Pipeline(
            `${name}-pipeline`,
            {
                name: pipelineName(args.env, args.serviceName),
                pipelineType: "V2",
                executionMode: "QUEUED",
                roleArn: role.arn,
                artifactStores: [
                    {
                        location: args.artifactBucketName,
                        type: "S3",
                        encryptionKey: { id: args.kmsKeyArn, type: "KMS" },
                    },
                ],
                stages: pipelineStages({
                    env: args.env,
                    repositoryName: args.repositoryName,
                    branch: args.branch,
                    sourceRoleArn,
                    projects: args.projects,
                    requireApproval: args.requireApproval,
                    approvalTopicArn: args.notificationTopicArn,
                    clusterName: args.clusterName,
                    serviceName: args.ecsServiceName,
                    deploymentTimeoutMinutes: args.deploymentTimeoutMinutes ?? DEFAULT_DEPLOYMENT_TIMEOUT_MINUTES,
                }),
            },
            { parent: this, dependsOn: [rolePolicy] },
        );

        new PushEventRule(
            `${name}-start`,
            {
                partition: args.partition,
                region: args.region,
                accountId: args.accountId,
                ruleName: startRuleName(args.env, args.serviceName),
                description: `Starts the ${args.env} pipeline of ${args.serviceName} on pushes forwarded by the tool account`,
                repositoryArn: codeCommitRepositoryArn(
                    args.partition,
                    args.region,
                    args.toolAccountId,
                    args.repositoryName,
                ),
                branch: args.branch,
                targetArn: pipeline.arn,
                roleName: startRuleName(args.env, args.serviceName),
                targetPolicy: pipeline.arn.apply(startPipelinePolicy),
            },
            { parent: this },
        );

        new aws.codestarnotifications.NotificationRule(
            `${name}-notifications`,
            {
                name: `${pipelineName(args.env, args.serviceName)}-events`,
                resource: pipeline.arn,
                detailType: "FULL",
                eventTypeIds: [
                    "codepipeline-pipeline-pipeline-execution-failed",
                    "codepipeline-pipeline-manual-approval-needed",
                    "codepipeline-pipeline-pipeline-execution-succeeded",
                ],
                targets: [{ address: args.notificationTopicArn, type: "SNS" }],
            },
            { parent: this },
        );

        this.pipelineArn = pipeline.arn;
        this.pipelineName = pipeline.name;
        this.roleArn = role.arn;
        this.registerOutputs({ pipelineArn: this.pipelineArn, pipelineName: this.pipelineName, roleArn: this.roleArn });
    }
}
