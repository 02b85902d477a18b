import * as fs from "fs";
import * as path from "path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { EnvironmentName, LOG_RETENTION_DAYS } from "../domain/config";
import { arnPrefix, bucketArn, buildRoleName, formatArn, NAME_PREFIX, pipelineName } from "../domain/naming";
import { PIPELINE_STEP_TAG, pipelineStepRole } from "../domain/pipelineSteps";
import { ENVIRONMENT_TRAITS, previousEnvironment } from "../domain/environments";
import { RELEASES_PREFIX } from "./artifactBucket";
import { CROSS_ACCOUNT_KEY_USE } from "./crossAccountKmsKey";
import { keyByAlias, knownArn, serviceTrustPolicy } from "./policyDocuments";

/** Tag that declares a privileged project to the policy pack. */
export const PRIVILEGED_MODE_TAG = { PrivilegedMode: "image-build" } as const;

/** File of the same artifact that image-scan-gate, deploy and publish-release read (service, commit, digest, URI). */
export const IMAGE_DETAIL_FILE = "image.json";

/**
 * CodeBuild image of every project (Ubuntu 22.04; Node.js 22, docker, AWS CLI v2, jq): the CodeBuild user guide's
 * "Available runtimes" lists nodejs 22 on standard:7.0, and the GovCloud user guide's CodeBuild page excludes only
 * ARM, GPU, 2xlarge and Windows environments there, so the same image serves both partitions.
 */
export const BUILD_IMAGE = "aws/codebuild/standard:7.0";
/**
 * FIPS 140 endpoints are what federal workloads in GovCloud must use: on by default in aws-us-gov, off elsewhere.
 * The AWS CLI v2 reads AWS_USE_FIPS_ENDPOINT (AWS SDKs and tools reference guide, "Dual-stack and FIPS endpoints");
 * ECR, S3, ECS and Inspector offer FIPS endpoints in both GovCloud regions.
 */
export function fipsEndpointsByDefault(partition: string): boolean {
    return partition === "aws-us-gov";
}
/** Compute of every project but build-image. */
/** Compute of every step but build-image. */
export const DEFAULT_COMPUTE_TYPE = "BUILD_GENERAL1_SMALL";
/** Compute of build-image (docker build). */
export const IMAGE_BUILD_COMPUTE_TYPE = "BUILD_GENERAL1_MEDIUM";
/** Default allowed CRITICAL image findings. */
export const DEFAULT_MAX_CRITICAL_FINDINGS = 0;
/** Default allowed HIGH image findings. */
export const DEFAULT_MAX_HIGH_FINDINGS = 0;

/** Actions of a pipeline role on its own repository: push and pull. */
export const ECR_PUSH_PULL_ACTIONS = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:GetDownloadUrlForLayer",
    "ecr:BatchGetImage",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:PutImage",
];
/** Pull only (the previous environment's repository). */
export const ECR_PULL_ACTIONS = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"];
/** What a build needs to publish test reports into a report group. */
export const REPORT_GROUP_ACTIONS = [
    "codebuild:CreateReport",
    "codebuild:UpdateReport",
    "codebuild:BatchPutTestCases",
    "codebuild:BatchPutCodeCoverages",
];

/** Artifact key use of a project that only reads its input artifact. */
export const ARTIFACT_KEY_READ = ["kms:Decrypt", "kms:DescribeKey"] as const;
/** Length of the pipeline-name prefix of CodePipeline's artifact object keys. */
export const ARTIFACT_PREFIX_LENGTH = 20;
/** Findings API of Amazon Inspector (enhanced scanning): no resource-level permissions. */
export const INSPECTOR_FINDINGS_ACTIONS = ["inspector2:ListFindings"] as const;

/**
 * One build step of a service's pipeline: a CodeBuild project with its own role and log group. Every step's role
 * writes its own log group, reads its input artifact and uses the artifact key (artifactKeyUse); the rest follows
 * from the row.
 */
/** Stages of a service's pipeline that run build steps, in order; the approval, where required, precedes Deploy. */
export const STEP_STAGES = ["Build", "Deploy", "Release"] as const;
export type StepStage = (typeof STEP_STAGES)[number];
/** Artifacts passed between actions: the source, what the image steps write (image.json), the SBOM (dev). */
export type StepArtifact = "source" | "image" | "sbom";

export interface BuildStep<T = unknown> {
    /** Pipeline stage of its action; actions of a stage run one after another in row order. Required. */
    readonly stage: StepStage;
    /** Name of its pipeline action. Required. */
    readonly action: string;
    /** Category of its action (CodeBuild actions take Build or Test). Required. */
    readonly category: "Build" | "Test";
    /** Artifact its action reads, its primary source (the buildspec runs in it). Required. */
    readonly input: StepArtifact;
    /**
     * Artifacts its action reads besides `input`, those a step of the environment writes: CodePipeline passes a
     * CodeBuild action several input artifacts, the first (PrimarySource) is where the buildspec runs, and CodeBuild
     * unpacks each other one into CODEBUILD_SRC_DIR_<artifact> (CodePipeline user guide, CodeBuild action
     * reference, PrimarySource). Default: none.
     */
    readonly secondaryInputs?: readonly StepArtifact[];
    /** Artifact its action writes. Default: none. */
    readonly output?: StepArtifact;
    /**
     * It changes what runs (a deploy target's deploy step; every target has one): its project is tagged
     * PipelineStep "deploy" (domain/pipelineSteps.ts), which the policy pack's deploy gates read. Default false.
     */
    readonly deploys?: boolean;
    /** Suffix of the project's name (and of its role's, when it has its own). Required. */
    readonly suffix: string;
    /** Its buildspec file in `buildspecs/`. Required. */
    readonly buildspec: string;
    /** Only where the image is built (dev) or only where it is promoted (qa, stage, prod). Default: everywhere. */
    readonly runsIn?: "building" | "promoting";
    /** CodeBuild compute type. Required. */
    readonly computeType: string;
    /** Runs docker: privileged mode, tagged PRIVILEGED_MODE_TAG so the policy pack accepts it. Required. */
    readonly privileged: boolean;
    /** Runs the service's own code or its dependencies' install scripts: the npm token and no write. Required. */
    readonly runsUntrustedCode: boolean;
    /** Writes its output artifact (image.json, the SBOM) into the pipeline's artifacts, and no other. Required. */
    readonly writesArtifacts: boolean;
    /** Artifact key actions: ARTIFACT_KEY_READ, or CROSS_ACCOUNT_KEY_USE to encrypt what it writes. Required. */
    readonly artifactKeyUse: readonly string[];
    /**
     * Its role is the service's build role (buildRoleName), the one the previous environment's bucket, key and
     * repository trust for promotion, and keeps the resource names of the single build role it replaced. Default false.
     */
    readonly ownsBuildRole?: boolean;
    /** Report its buildspec writes; CodeBuild resolves it to the report group `<project>-<report>`. Default: none. */
    readonly reportGroup?: string;
    /** Role statements of this step alone, after the shared ones, given the target's resolved facts. Default: none. */
    statements?(input: BuildRolePolicyInput, target: pulumi.Unwrap<T>): aws.iam.PolicyStatement[];
    /** Project environment variables of this step alone, after the shared ones. Default: none. */
    variables?(target: T): ProjectVariable[];
    /** Variables its pipeline action passes, given the source action's variable namespace. Default: none. */
    actionVariables?(sourceNamespace?: string): ActionVariable[];
    /** Build timeout, minutes. Default: CodeBuild's (60). */
    buildTimeoutMinutes?(target: T): number;
}

/** Build steps by key, in pipeline order within each stage. */
export type StepTable = Readonly<Record<string, BuildStep>>;

/** Checks every row against BuildStep; the rows' keys become the table's keys. */
export function stepTable<K extends string, T = unknown>(
    rows: Record<K, BuildStep<T>>,
): Readonly<Record<K, BuildStep<T>>> {
    return rows;
}

/**
 * The build steps every service's pipeline has, whatever its deploy target, in pipeline order within each stage.
 * The target adds its own (DeployTarget.steps). Adding a step is adding a row.
 */
export const BUILD_STEPS = stepTable({
    unitTests: {
        stage: "Build",
        action: "UnitTests",
        category: "Test",
        input: "source",
        suffix: "unit-tests",
        buildspec: "unit-tests.yml",
        computeType: DEFAULT_COMPUTE_TYPE,
        privileged: false,
        runsUntrustedCode: true,
        writesArtifacts: false,
        artifactKeyUse: ARTIFACT_KEY_READ,
        reportGroup: "junit",
    },
    securityScan: {
        stage: "Build",
        action: "SecurityScan",
        category: "Test",
        input: "source",
        suffix: "security-scan",
        buildspec: "security-scan.yml",
        computeType: DEFAULT_COMPUTE_TYPE,
        privileged: false,
        runsUntrustedCode: true,
        writesArtifacts: false,
        artifactKeyUse: ARTIFACT_KEY_READ,
        // The scanners' findings as JUnit test cases.
        reportGroup: "security",
    },
    buildImage: {
        stage: "Build",
        action: "BuildImage",
        category: "Build",
        input: "source",
        output: "image",
        suffix: "build-image",
        buildspec: "build-image.yml",
        runsIn: "building",
        computeType: IMAGE_BUILD_COMPUTE_TYPE,
        privileged: true,
        runsUntrustedCode: false,
        writesArtifacts: true,
        artifactKeyUse: CROSS_ACCOUNT_KEY_USE,
        ownsBuildRole: true,
        statements: pushToOwnRepository,
        actionVariables: commitIdFromSource,
    },
    // The SBOM of the image's commit, apart from the privileged image build: its pinned generator reads the
    // source's lockfile, and its role can neither push images nor write releases, only its own artifact.
    generateSbom: {
        stage: "Build",
        action: "GenerateSbom",
        category: "Build",
        input: "source",
        secondaryInputs: ["image"],
        output: "sbom",
        suffix: "sbom",
        buildspec: "generate-sbom.yml",
        runsIn: "building",
        computeType: DEFAULT_COMPUTE_TYPE,
        privileged: false,
        runsUntrustedCode: false,
        writesArtifacts: true,
        artifactKeyUse: CROSS_ACCOUNT_KEY_USE,
        actionVariables: commitIdFromSource,
    },
    promoteImage: {
        stage: "Build",
        action: "PromoteImage",
        category: "Build",
        input: "source",
        output: "image",
        suffix: "promote-image",
        buildspec: "promote-image.yml",
        runsIn: "promoting",
        computeType: DEFAULT_COMPUTE_TYPE,
        privileged: true,
        runsUntrustedCode: false,
        writesArtifacts: true,
        artifactKeyUse: CROSS_ACCOUNT_KEY_USE,
        ownsBuildRole: true,
        statements: (input) => [...pushToOwnRepository(input), ...previousEnvironmentReads(input)],
        actionVariables: commitIdFromSource,
    },
    imageScanGate: {
        stage: "Build",
        action: "ImageScanGate",
        category: "Test",
        input: "image",
        suffix: "image-scan-gate",
        buildspec: "image-scan-gate.yml",
        computeType: DEFAULT_COMPUTE_TYPE,
        privileged: false,
        runsUntrustedCode: false,
        writesArtifacts: false,
        artifactKeyUse: ARTIFACT_KEY_READ,
        statements: scanFindingsReads,
    },
    publishRelease: {
        stage: "Release",
        action: "PublishRelease",
        category: "Build",
        input: "image",
        // dev's SBOM comes from its own step; promotion carries it in the image artifact.
        secondaryInputs: ["sbom"],
        suffix: "publish-release",
        buildspec: "publish-release.yml",
        computeType: DEFAULT_COMPUTE_TYPE,
        privileged: false,
        runsUntrustedCode: false,
        writesArtifacts: false,
        // It encrypts the release manifest it writes.
        artifactKeyUse: CROSS_ACCOUNT_KEY_USE,
        statements: publishReleases,
        actionVariables: () => [plainText("PIPELINE_EXECUTION_ID", "#{codepipeline.PipelineExecutionId}")],
    },
});
/** Key of a step in a pipeline's step table (BUILD_STEPS and its target's steps). */
export type BuildProjectKey = string;

/** The steps of a pipeline: the common ones and its deploy target's, ordered by stage (row order within one). */
export function pipelineSteps(targetSteps: StepTable): StepTable {
    const all: StepTable = { ...BUILD_STEPS, ...targetSteps };
    const keys = Object.keys(all);
    const stageOf = (key: string) => STEP_STAGES.indexOf(all[key].stage);
    const ordered = [...keys].sort((a, b) => stageOf(a) - stageOf(b) || keys.indexOf(a) - keys.indexOf(b));
    return Object.fromEntries(ordered.map((key) => [key, all[key]]));
}

/** One fact of every step of a table, by key. */
export function stepFacts<T>(steps: StepTable, fact: (step: BuildStep) => T): Readonly<Record<string, T>> {
    return Object.fromEntries(Object.entries(steps).map(([key, step]) => [key, fact(step)]));
}
/** The suffix each common project's name ends with. */
export const BUILD_PROJECTS = stepFacts(BUILD_STEPS, (step) => step.suffix);
/** The buildspec file (in `buildspecs/`) each common project runs. */
export const BUILDSPEC_FILES = stepFacts(BUILD_STEPS, (step) => step.buildspec);
/** Directory of the buildspec files, relative to this module. */
export const BUILDSPEC_DIR = path.join(__dirname, "..", "buildspecs");

/** What promotion reads from the previous environment's account. */
export interface PreviousEnvironment {
    /** The environment promoted from (dev for qa, qa for stage, stage for prod). */
    readonly env: EnvironmentName;
    /** Its account id. */
    readonly accountId: string;
    /** Its artifact bucket, where it publishes release manifests under `releases/`. */
    readonly bucketName: string;
    /** Alias of its artifact key (`alias/...`), which encrypts the manifests. */
    readonly keyAlias: string;
    /** Its ECR repository of the service (same region). */
    readonly repositoryName: string;
}

export interface PipelineBuildProjectsArgs {
    /** Partition of the stack (from aws.getPartition). Required. */
    readonly partition: string;
    /** Region of the stack; the previous environment is assumed to be in the same region. Required. */
    readonly region: string;
    /** DNS suffix of the partition (from aws.getPartition), for the ECR registry host. Required. */
    readonly dnsSuffix: string;
    /** This environment's account id. Required. */
    readonly accountId: string;
    /** This environment: dev builds the image, the others promote it. Required. */
    readonly env: EnvironmentName;
    /** Service name (names the projects, the role and the release manifests). Required. */
    readonly serviceName: string;
    /** This environment's artifact bucket (release manifests are published to it). Required. */
    readonly artifactBucketName: string;
    /** This environment's artifact key: encrypts artifacts, logs and release manifests. Required. */
    readonly kmsKeyArn: pulumi.Input<string>;
    /** Alias of the same key (`alias/...`), which the roles' policies scope it by: known before the key exists. Required. */
    readonly kmsKeyAlias: string;
    /** Name of this environment's ECR repository of the service (same account and region). Required. */
    readonly ecrRepositoryName: string;
    /** Retention of the projects' log groups, days (a CloudWatch Logs value). Required. */
    readonly logRetentionDays: number;
    /** Where promotion reads from. Default: none (dev); required for qa, stage and prod. */
    readonly previous?: PreviousEnvironment;
    /** Secrets Manager ARN of an npm token, exposed as NPM_TOKEN to the npm projects. Default: none. */
    readonly npmTokenSecretArn?: string;
    /** CRITICAL image findings allowed by the scan gate. Default DEFAULT_MAX_CRITICAL_FINDINGS (0). */
    readonly maxCriticalFindings?: number;
    /** HIGH image findings allowed by the scan gate. Default DEFAULT_MAX_HIGH_FINDINGS (0). */
    readonly maxHighFindings?: number;
    /** AWS CLI calls use FIPS endpoints (AWS_USE_FIPS_ENDPOINT). Default fipsEndpointsByDefault(partition). */
    readonly fipsEndpoints?: boolean;
    /** Where the pipeline deploys: its deploy target's steps and what they read. Required. */
    readonly target: TargetBuild;
}

/** What the build projects need of a deploy target (DeployTarget creates it). */
export interface TargetBuild<T = unknown> {
    /** Its steps (at least one marked `deploys`), placed after the common ones of their stage. Required. */
    readonly steps: Readonly<Record<string, BuildStep<T>>>;
    /** What its steps' statements, variables and timeouts read (resolved for the statements). Required. */
    readonly facts: T;
    /** CONTAINER_NAME of every project: the container whose image the deploy step replaces. Required. */
    readonly containerName: pulumi.Input<string>;
    /** Every problem of the target's own arguments (validateBuildProjectsArgs reports them). Default: none. */
    readonly problems?: readonly string[];
}

/** Name of one CodeBuild project: the pipeline's name and the step's suffix. */
export function buildProjectName(
    env: EnvironmentName,
    service: string,
    key: BuildProjectKey,
    steps: StepTable = BUILD_STEPS,
): string {
    return `${pipelineName(env, service)}-${stepOf(steps, key).suffix}`;
}

/** The row of one step; a key not in the table is a programming error. */
export function stepOf(steps: StepTable, key: BuildProjectKey): BuildStep {
    const step = steps[key];
    if (!step) throw new Error(`no build step "${key}"; the steps are ${Object.keys(steps).join(", ")}`);
    return step;
}

/** CodeBuild's default log group name of a project. */
export function buildLogGroupName(projectName: string): string {
    return `/aws/codebuild/${projectName}`;
}

/** The report group a step publishes to, if any: named as CodeBuild resolves its buildspec's report. */
export function reportGroupNameOf(
    key: BuildProjectKey,
    env: EnvironmentName,
    service: string,
    steps: StepTable = BUILD_STEPS,
): string | undefined {
    const report = stepOf(steps, key).reportGroup;
    return report === undefined ? undefined : `${buildProjectName(env, service, key, steps)}-${report}`;
}

/** The steps of an environment, in pipeline order: dev builds the image, later environments promote it. */
export function buildProjectKeys(env: EnvironmentName, steps: StepTable = BUILD_STEPS): BuildProjectKey[] {
    const imageStep = ENVIRONMENT_TRAITS[env].image;
    return Object.keys(steps).filter((key) => {
        const runsIn = steps[key].runsIn;
        return runsIn === undefined || runsIn === imageStep;
    });
}

/** The content of a project's buildspec file. */
export function readBuildspec(key: BuildProjectKey, steps: StepTable = BUILD_STEPS): string {
    return fs.readFileSync(path.join(BUILDSPEC_DIR, stepOf(steps, key).buildspec), "utf8");
}

/** The ECR registry host of an account: `<account>.dkr.ecr.<region>.<dnsSuffix>`. */
export function ecrRegistryHost(accountId: string, region: string, dnsSuffix: string): string {
    return `${accountId}.dkr.ecr.${region}.${dnsSuffix}`;
}

/** A variable of a pipeline action (CodeBuild action configuration `EnvironmentVariables`). */
export type ActionVariable = { name: string; value: string; type: "PLAINTEXT" };

export function plainText(name: string, value: string): ActionVariable {
    return { name, value, type: "PLAINTEXT" };
}

/**
 * Environment variables a pipeline action passes to a project (CodeBuild action configuration
 * `EnvironmentVariables`, as JSON), or undefined when none: the step's actionVariables.
 */
export function actionEnvironmentVariables(
    key: BuildProjectKey,
    sourceNamespace?: string,
    steps: StepTable = BUILD_STEPS,
): string | undefined {
    const variables = stepOf(steps, key).actionVariables?.(sourceNamespace) ?? [];
    return variables.length > 0 ? JSON.stringify(variables) : undefined;
}

/** Given the source action's variable namespace, the image steps take the commit id from it, not from CodeBuild. */
function commitIdFromSource(sourceNamespace?: string): ActionVariable[] {
    return sourceNamespace ? [plainText("COMMIT_ID", `#{${sourceNamespace}.CommitId}`)] : [];
}

export interface BuildRolePolicyInput {
    readonly partition: string;
    readonly region: string;
    readonly accountId: string;
    readonly env: EnvironmentName;
    readonly serviceName: string;
    readonly artifactBucketArn: string;
    /** Alias of the artifact key: its id is assigned at creation, the alias is known at preview. */
    readonly kmsKeyAlias: string;
    readonly ecrRepositoryArn: string;
    readonly previous?: PreviousEnvironment;
    readonly npmTokenSecretArn?: string;
}

/**
 * Where CodePipeline writes one pipeline's artifacts: `<first 20 characters of the pipeline name>/` (the
 * CloudFormation user guide, ArtifactStore Location; awsdocs/aws-cloudformation-user-guide#733).
 */
export function pipelineArtifactPrefix(env: EnvironmentName, service: string): string {
    return `${pipelineName(env, service).slice(0, ARTIFACT_PREFIX_LENGTH)}/`;
}

/**
 * The objects of one output artifact: CodePipeline writes each under `<pipeline prefix><artifact name>/`, the name
 * cut to its first 10 characters (CodePipeline user guide, Troubleshooting, "Pipeline artifact folder names appear
 * to be truncated"); the step artifacts' names are shorter.
 */
export function outputArtifactObjects(input: BuildRolePolicyInput, output: StepArtifact): string {
    return `${input.artifactBucketArn}/${pipelineArtifactPrefix(input.env, input.serviceName)}${output}/*`;
}

/**
 * Name of the role of one project. The image step keeps the service's build role name (buildRoleName): the
 * previous environment's bucket, key and repository trust exactly that role for promotion.
 */
export function projectRoleName(
    env: EnvironmentName,
    service: string,
    key: BuildProjectKey,
    steps: StepTable = BUILD_STEPS,
): string {
    const step = stepOf(steps, key);
    return step.ownsBuildRole ? buildRoleName(env, service) : `${NAME_PREFIX}-${env}-${service}-${step.suffix}`;
}

/**
 * The permissions of one project's role: exactly what its step needs. Every step writes its own log group, reads its
 * input artifacts (a step that writesArtifacts also writes its output, and no other) and uses the artifact key (artifactKeyUse); then come
 * the step's own statements, its report group and, for untrusted code, the npm token. Tests and scans get nothing
 * else; only the image steps push to the repository (and, promoting, read the previous environment); the scan gate
 * reads findings; only publish-release writes `releases/`; only deploy registers task definitions and passes the
 * task roles (deployRoleStatements); only deploy and scale-up update the service.
 */
export function projectRolePolicy(
    key: BuildProjectKey,
    input: BuildRolePolicyInput,
    steps: StepTable = BUILD_STEPS,
    target?: unknown,
): aws.iam.PolicyDocument {
    const { partition: p, region, accountId, env, serviceName } = input;
    const step = stepOf(steps, key);
    const projectName = buildProjectName(env, serviceName, key, steps);
    const artifacts = `${input.artifactBucketArn}/${pipelineArtifactPrefix(env, serviceName)}*`;
    const ownArtifact = step.writesArtifacts && step.output ? outputArtifactObjects(input, step.output) : undefined;
    const statements: aws.iam.PolicyStatement[] = [
        {
            Sid: "WriteOwnLogs",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: formatArn({
                partition: p,
                service: "logs",
                region,
                accountId,
                resource: `log-group:${buildLogGroupName(projectName)}:*`,
            }),
        },
        {
            Sid: "ReadPipelineArtifacts",
            Effect: "Allow",
            Action: ["s3:GetObject", "s3:GetObjectVersion"],
            Resource: artifacts,
        },
        // Its own output artifact only: never an artifact a later step reads from another step (image.json).
        ...(ownArtifact
            ? [{ Sid: "WriteOwnArtifact", Effect: "Allow" as const, Action: "s3:PutObject", Resource: ownArtifact }]
            : []),
        { Sid: "ArtifactBucket", Effect: "Allow", Action: "s3:GetBucketLocation", Resource: input.artifactBucketArn },
        {
            Sid: "UseArtifactKey",
            Effect: "Allow",
            Action: [...step.artifactKeyUse],
            ...keyByAlias(p, region, accountId, input.kmsKeyAlias),
        },
        ...(step.statements?.(input, target as never) ?? []),
    ];
    const reportGroup = reportGroupNameOf(key, env, serviceName, steps);
    if (reportGroup) {
        statements.push({
            Sid: "PublishTestReports",
            Effect: "Allow",
            Action: [...REPORT_GROUP_ACTIONS],
            Resource: formatArn({
                partition: p,
                service: "codebuild",
                region,
                accountId,
                resource: `report-group/${reportGroup}`,
            }),
        });
    }
    if (step.runsUntrustedCode && input.npmTokenSecretArn) {
        statements.push({
            Sid: "ReadNpmToken",
            Effect: "Allow",
            Action: "secretsmanager:GetSecretValue",
            Resource: input.npmTokenSecretArn,
        });
    }
    return { Version: "2012-10-17", Statement: statements };
}

/** The image steps: log in to ECR and push to (and pull from) the service's own repository. */
function pushToOwnRepository(input: BuildRolePolicyInput): aws.iam.PolicyStatement[] {
    return [
        // GetAuthorizationToken has no resource type: it stands alone on "*".
        { Sid: "EcrLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
        {
            Sid: "PushPullOwnRepository",
            Effect: "Allow",
            Action: [...ECR_PUSH_PULL_ACTIONS, "ecr:DescribeImages"],
            Resource: input.ecrRepositoryArn,
        },
    ];
}

/** The scan gate: the image's scan findings, in the registry's basic scanning or in Inspector's enhanced scanning. */
function scanFindingsReads(input: BuildRolePolicyInput): aws.iam.PolicyStatement[] {
    return [
        {
            Sid: "ReadScanFindings",
            Effect: "Allow",
            Action: ["ecr:DescribeImages", "ecr:DescribeImageScanFindings"],
            Resource: input.ecrRepositoryArn,
        },
        // Which scan the registry runs. Registry-level: the action has no resource type, so it matches only
        // "*" (Service Authorization Reference, Amazon ECR); scoped to the repository it is implicitly denied.
        {
            Sid: "ReadRegistryScanType",
            Effect: "Allow",
            Action: "ecr:GetRegistryScanningConfiguration",
            Resource: "*",
        },
        // Enhanced scanning reports through Inspector, whose ListFindings has no resource-level permissions.
        { Sid: "ReadInspectorFindings", Effect: "Allow", Action: [...INSPECTOR_FINDINGS_ACTIONS], Resource: "*" },
    ];
}

/** publish-release: the service's release manifests under `releases/`, and nothing else of the bucket. */
function publishReleases(input: BuildRolePolicyInput): aws.iam.PolicyStatement[] {
    return [
        {
            Sid: "PublishReleases",
            Effect: "Allow",
            Action: "s3:PutObject",
            Resource: `${input.artifactBucketArn}/${RELEASES_PREFIX}${input.serviceName}/*`,
        },
    ];
}

/** What promotion reads from the previous environment: its release manifests, their key (by alias), its image. */
function previousEnvironmentReads(input: BuildRolePolicyInput): aws.iam.PolicyStatement[] {
    const { partition: p, region, previous: prev } = input;
    if (!prev) return [];
    return [
        {
            Sid: "ReadPreviousReleases",
            Effect: "Allow",
            Action: "s3:GetObject",
            Resource: bucketArn(p, prev.bucketName, `/${RELEASES_PREFIX}${input.serviceName}/*`),
        },
        {
            // The previous key's id is random: scope by its deterministic alias.
            Sid: "DecryptPreviousReleases",
            Effect: "Allow",
            Action: "kms:Decrypt",
            Resource: formatArn({ partition: p, service: "kms", region, accountId: prev.accountId, resource: "key/*" }),
            Condition: { "ForAnyValue:StringEquals": { "kms:ResourceAliases": [prev.keyAlias] } },
        },
        {
            Sid: "PullPreviousImage",
            Effect: "Allow",
            Action: [...ECR_PULL_ACTIONS],
            Resource: formatArn({
                partition: p,
                service: "ecr",
                region,
                accountId: prev.accountId,
                resource: `repository/${prev.repositoryName}`,
            }),
        },
    ];
}

/** Every problem of the plain arguments, each naming the argument, the value found and what is expected. */
export function validateBuildProjectsArgs(args: PipelineBuildProjectsArgs): string[] {
    const problems: string[] = [];
    const expectedPrevious = previousEnvironment(args.env);
    if (!/^\d{12}$/.test(args.accountId)) problems.push(`accountId is "${args.accountId}", expected 12 digits`);
    if (!/^[a-z][a-z0-9-]*$/.test(args.serviceName)) {
        problems.push(`serviceName is "${args.serviceName}", expected lowercase letters, digits and hyphens`);
    }
    if (!LOG_RETENTION_DAYS.includes(args.logRetentionDays)) {
        problems.push(`logRetentionDays is ${args.logRetentionDays}, expected one of ${LOG_RETENTION_DAYS.join(", ")}`);
    }
    if (expectedPrevious === undefined && args.previous) {
        problems.push(`previous is set for ${args.env}, expected none: ${args.env} builds the image`);
    }
    if (expectedPrevious !== undefined) {
        if (!args.previous) {
            problems.push(`previous is missing, expected where ${args.env} promotes from (${expectedPrevious})`);
        } else {
            if (args.previous.env !== expectedPrevious) {
                problems.push(`previous.env is "${args.previous.env}", expected "${expectedPrevious}"`);
            }
            if (!/^\d{12}$/.test(args.previous.accountId)) {
                problems.push(`previous.accountId is "${args.previous.accountId}", expected 12 digits`);
            }
            if (!args.previous.keyAlias.startsWith("alias/")) {
                problems.push(`previous.keyAlias is "${args.previous.keyAlias}", expected "alias/..."`);
            }
        }
    }
    const secretPrefix = arnPrefix(args.partition, "secretsmanager");
    if (args.npmTokenSecretArn !== undefined && !args.npmTokenSecretArn.startsWith(secretPrefix)) {
        problems.push(`npmTokenSecretArn is "${args.npmTokenSecretArn}", expected a secret ARN (${secretPrefix}...)`);
    }
    problems.push(...(args.target.problems ?? []));
    if (!Object.values(args.target.steps).some((step) => step.deploys)) {
        problems.push(`target.steps has no step marked deploys, expected the target's deploy step`);
    }
    for (const [arg, value] of [
        ["maxCriticalFindings", args.maxCriticalFindings],
        ["maxHighFindings", args.maxHighFindings],
    ] as const) {
        if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
            problems.push(`${arg} is ${value}, expected a whole number >= 0`);
        }
    }
    return problems;
}

type Parent = { readonly parent: pulumi.Resource };

/** The steps of the pipeline these projects serve: the common ones and the target's. */
function stepsOf(args: PipelineBuildProjectsArgs): StepTable {
    return pipelineSteps(args.target.steps);
}

/** The role of one project and its inline policy (projectRolePolicy): no project borrows another's rights. */
function projectRole(
    name: string,
    key: BuildProjectKey,
    args: PipelineBuildProjectsArgs,
    parent: Parent,
): { role: aws.iam.Role; policy: aws.iam.RolePolicy } {
    const { env, serviceName } = args;
    const steps = stepsOf(args);
    const { suffix, ownsBuildRole } = stepOf(steps, key);
    // The image step keeps the resource names of the single build role it replaces.
    const resource = ownsBuildRole ? name : `${name}-${suffix}`;
    const role = new aws.iam.Role(
        `${resource}-role`,
        {
            name: projectRoleName(env, serviceName, key, steps),
            description: `CodeBuild project ${suffix} of ${serviceName} in ${env}`,
            assumeRolePolicy: pulumi.jsonStringify(
                serviceTrustPolicy("codebuild.amazonaws.com", { sourceAccount: args.accountId }),
            ),
        },
        parent,
    );
    // Every ARN but the target's facts is computed from names, so the document is known at preview; only the
    // target's own steps read its facts.
    const facts = key in args.target.steps ? pulumi.output(args.target.facts) : pulumi.output(undefined);
    const document = facts.apply((target) => projectRolePolicy(key, buildRolePolicyInput(args), steps, target));
    const policy = new aws.iam.RolePolicy(
        `${resource}-policy`,
        { role: role.name, name: "build", policy: pulumi.jsonStringify(document) },
        parent,
    );
    return { role, policy };
}

/** What every project's role policy reads of the arguments: names, and the ARNs computed from them. */
export function buildRolePolicyInput(args: PipelineBuildProjectsArgs): BuildRolePolicyInput {
    const { partition, region, accountId } = args;
    return {
        partition,
        region,
        accountId,
        env: args.env,
        serviceName: args.serviceName,
        artifactBucketArn: knownArn({ partition, service: "s3", resource: args.artifactBucketName }),
        kmsKeyAlias: args.kmsKeyAlias,
        ecrRepositoryArn: knownArn({
            partition,
            service: "ecr",
            region,
            accountId,
            resource: `repository/${args.ecrRepositoryName}`,
        }),
        previous: args.previous,
        npmTokenSecretArn: args.npmTokenSecretArn,
    };
}

/** The report group a step's buildspec report resolves to (its reportGroup). */
function reportGroup(
    name: string,
    key: BuildProjectKey,
    args: PipelineBuildProjectsArgs,
    parent: Parent,
): aws.codebuild.ReportGroup {
    return new aws.codebuild.ReportGroup(
        `${name}-${stepOf(stepsOf(args), key).suffix}-report`,
        {
            name: reportGroupNameOf(key, args.env, args.serviceName, stepsOf(args))!,
            type: "TEST",
            // Reports stay in CodeBuild; the JUnit XML is not exported to the artifact bucket (an export would need the
            // project's role to write there, and these projects run untrusted code).
            exportConfig: { type: "NO_EXPORT" },
            deleteReports: true,
        },
        parent,
    );
}

/** The project environment variables of one step: the shared settings, its own, and the npm token for untrusted code. */
function projectVariables(key: BuildProjectKey, args: PipelineBuildProjectsArgs): ProjectVariable[] {
    const step = stepOf(stepsOf(args), key);
    return [
        ...environmentVariables(args),
        ...(step.variables?.(args.target.facts) ?? []),
        ...(step.runsUntrustedCode ? npmTokenVariable(args) : []),
    ];
}

/** One CodeBuild project running its buildspec, with its own KMS-encrypted log group. */
function buildProject(
    name: string,
    key: BuildProjectKey,
    args: PipelineBuildProjectsArgs,
    parent: Parent,
): { project: aws.codebuild.Project; logGroup: aws.cloudwatch.LogGroup; role: aws.iam.Role } {
    const { env, serviceName } = args;
    const steps = stepsOf(args);
    const projectName = buildProjectName(env, serviceName, key, steps);
    const step = stepOf(steps, key);
    const suffix = step.suffix;
    const logGroup = new aws.cloudwatch.LogGroup(
        `${name}-${suffix}-logs`,
        { name: buildLogGroupName(projectName), retentionInDays: args.logRetentionDays, kmsKeyId: args.kmsKeyArn },
        parent,
    );
    const role = projectRole(name, key, args, parent);
    const project = new aws.codebuild.Project(
        `${name}-${suffix}`,
        {
            name: projectName,
            description: `${serviceName} ${env}: ${suffix} (${step.buildspec})`,
            serviceRole: role.role.arn,
            source: { type: "CODEPIPELINE", buildspec: readBuildspec(key, steps) },
            artifacts: { type: "CODEPIPELINE" },
            encryptionKey: args.kmsKeyArn,
            // CodeBuild's default build timeout (60 minutes) unless the step sets its own.
            ...(step.buildTimeoutMinutes ? { buildTimeout: step.buildTimeoutMinutes(args.target.facts) } : {}),
            environment: {
                type: "LINUX_CONTAINER",
                computeType: step.computeType,
                image: BUILD_IMAGE,
                imagePullCredentialsType: "CODEBUILD",
                privilegedMode: step.privileged,
                environmentVariables: projectVariables(key, args),
            },
            logsConfig: {
                cloudwatchLogs: { status: "ENABLED", groupName: logGroup.name },
                s3Logs: { status: "DISABLED" },
            },
            // The step's role, which the policy pack's deploy gates read (an unmarked project counts as a deploy).
            tags: { [PIPELINE_STEP_TAG]: pipelineStepRole(step), ...(step.privileged ? PRIVILEGED_MODE_TAG : {}) },
        },
        // The inline policy is in place before any build can run with the role.
        { ...parent, dependsOn: [role.policy] },
    );
    return { project, logGroup, role: role.role };
}

/**
 * The CodeBuild side of one service's pipeline in one environment: per project its own least-privilege role and a
 * KMS-encrypted log group, the report groups (unit tests, security scan) and the projects (dev builds the image, later
 * environments promote the digest that passed the previous one).
 */
export class PipelineBuildProjects extends pulumi.ComponentResource {
    /** The image project's role (the one the previous environment trusts for promotion). */
    public readonly buildRoleArn: pulumi.Output<string>;
    /** Each project's own role. */
    public readonly roleArns: Readonly<Partial<Record<BuildProjectKey, pulumi.Output<string>>>>;
    public readonly projectNames: Readonly<Partial<Record<BuildProjectKey, pulumi.Output<string>>>>;
    public readonly projectArns: Readonly<Partial<Record<BuildProjectKey, pulumi.Output<string>>>>;
    public readonly logGroupArns: Readonly<Partial<Record<BuildProjectKey, pulumi.Output<string>>>>;
    public readonly reportGroupArn: pulumi.Output<string>;
    /** The security scan's report group (its scanners' findings as JUnit test cases). */
    public readonly securityReportGroupArn: pulumi.Output<string>;
    /** The steps these projects run: the common ones and the target's (pipelineSteps). */
    public readonly steps: StepTable;

    constructor(name: string, args: PipelineBuildProjectsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:pipeline:PipelineBuildProjects", name, {}, opts);
        const problems = validateBuildProjectsArgs(args);
        if (problems.length > 0) {
            throw new Error(
                `${name}: invalid PipelineBuildProjects arguments:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
            );
        }
        const parent = { parent: this };

        const steps = stepsOf(args);
        this.steps = steps;
        const keys = buildProjectKeys(args.env, steps);
        const reportGroupArns: Partial<Record<BuildProjectKey, pulumi.Output<string>>> = {};
        for (const key of keys.filter((k) => steps[k].reportGroup !== undefined)) {
            reportGroupArns[key] = reportGroup(name, key, args, parent).arn;
        }
        const projectNames: Partial<Record<BuildProjectKey, pulumi.Output<string>>> = {};
        const projectArns: Partial<Record<BuildProjectKey, pulumi.Output<string>>> = {};
        const logGroupArns: Partial<Record<BuildProjectKey, pulumi.Output<string>>> = {};
        const roleArns: Partial<Record<BuildProjectKey, pulumi.Output<string>>> = {};
        for (const key of keys) {
            const { project, logGroup, role } = buildProject(name, key, args, parent);
            roleArns[key] = role.arn;
            projectNames[key] = project.name;
            projectArns[key] = project.arn;
            logGroupArns[key] = logGroup.arn;
        }

        this.buildRoleArn = roleArns[keys.find((key) => steps[key].ownsBuildRole)!]!;
        this.roleArns = roleArns;
        this.projectNames = projectNames;
        this.projectArns = projectArns;
        this.logGroupArns = logGroupArns;
        this.reportGroupArn = reportGroupArns.unitTests!;
        this.securityReportGroupArn = reportGroupArns.securityScan!;
        this.registerOutputs({
            buildRoleArn: this.buildRoleArn,
            roleArns: this.roleArns,
            projectNames: this.projectNames,
            projectArns: this.projectArns,
            logGroupArns: this.logGroupArns,
            reportGroupArn: this.reportGroupArn,
            securityReportGroupArn: this.securityReportGroupArn,
        });
    }
}

export type ProjectVariable = aws.types.input.codebuild.ProjectEnvironmentEnvironmentVariable;

/** The projects' non-secret settings, all PLAINTEXT. */
function environmentVariables(args: PipelineBuildProjectsArgs): ProjectVariable[] {
    const plain = (name: string, value: pulumi.Input<string>): ProjectVariable => ({ name, value, type: "PLAINTEXT" });
    const variables = [
        plain("SERVICE_NAME", args.serviceName),
        plain("CONTAINER_NAME", args.target.containerName),
        plain("ENVIRONMENT", args.env),
        plain(
            "REPOSITORY_URI",
            `${ecrRegistryHost(args.accountId, args.region, args.dnsSuffix)}/${args.ecrRepositoryName}`,
        ),
        plain("ECR_REGISTRY", ecrRegistryHost(args.accountId, args.region, args.dnsSuffix)),
        plain("RELEASE_BUCKET", args.artifactBucketName),
        plain("ARTIFACT_KEY_ARN", args.kmsKeyArn),
        plain("MAX_CRITICAL_FINDINGS", String(args.maxCriticalFindings ?? DEFAULT_MAX_CRITICAL_FINDINGS)),
        plain("MAX_HIGH_FINDINGS", String(args.maxHighFindings ?? DEFAULT_MAX_HIGH_FINDINGS)),
        plain("AWS_USE_FIPS_ENDPOINT", String(args.fipsEndpoints ?? fipsEndpointsByDefault(args.partition))),
    ];
    const prev = args.previous;
    if (prev) {
        variables.push(
            plain("PREVIOUS_ENVIRONMENT", prev.env),
            plain("PREVIOUS_RELEASE_BUCKET", prev.bucketName),
            plain(
                "PREVIOUS_REPOSITORY_URI",
                `${ecrRegistryHost(prev.accountId, args.region, args.dnsSuffix)}/${prev.repositoryName}`,
            ),
        );
    }
    return variables;
}

/** NPM_TOKEN resolved by CodeBuild from Secrets Manager at build start, when a secret is configured. */
function npmTokenVariable(args: PipelineBuildProjectsArgs): ProjectVariable[] {
    return args.npmTokenSecretArn
        ? [{ name: "NPM_TOKEN", value: args.npmTokenSecretArn, type: "SECRETS_MANAGER" }]
        : [];
}
