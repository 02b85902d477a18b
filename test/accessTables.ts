// The access table: per kind of role, the calls it must be able to make (each `aws ...`/`docker` call of its
// buildspec, or what CodePipeline, ECS, EventBridge or VPC Flow Logs make with it) and those it must not. Every
// name is read from the registered resources of the five stacks (never written here), and each row is evaluated by
// test/access.test.ts against the policies the stacks register, with the target's resource policy.
import { ENVIRONMENTS, EnvironmentName } from "../domain/environments";
import type { RecordedResource, StackRun } from "../offline/runtime/mockRuntime";
import { accountOf, PolicyDocument, RegisteredRole, registeredRoles } from "./iamEvaluator";
import { readTemplate, resolveTemplate } from "./cfnTemplate";

export type Expected = "Allowed" | "Denied" | "ExplicitlyDenied";
export type Context = Record<string, string | string[]>;
/** One call: `[action, resource, context the request carries, expected decision]`. */
export type Row = readonly [action: string, resource: string, context: Context | undefined, expected: Expected];

export { ENVIRONMENTS };
export type Environment = EnvironmentName;

/** What the rows of one environment name, read from its stack's registration. */
export interface EnvFacts {
    readonly env: Environment;
    readonly account: string;
    readonly partition: string;
    readonly region: string;
    readonly service: string;
    readonly bucket: string;
    readonly bucketArn: string;
    readonly keyArn: string;
    readonly repository: string;
    readonly pipeline: string;
    readonly pipelineArn: string;
    /** The key CodePipeline names when it writes artifacts (the artifact store's encryption key id). */
    readonly artifactStoreKey: string;
    /** CodeBuild project name by step (`unit-tests`, `deploy`, ...). */
    readonly projects: Readonly<Record<string, RecordedResource>>;
    readonly reportGroups: readonly string[];
    readonly clusterArn: string;
    readonly serviceArn: string;
    readonly taskFamily: string;
    readonly taskTags: Readonly<Record<string, string>>;
    readonly taskRoleArn: string;
    readonly executionRoleArn: string;
    readonly serviceLogGroup: string;
    readonly flowLogGroup: string;
    readonly topicArn: string;
    readonly parameters: Readonly<Record<"taskDefinition" | "containerPort", string>>;
    readonly busArn: string;
    readonly roles: readonly RegisteredRole[];
}

export interface ToolFacts {
    readonly account: string;
    readonly repository: string;
    readonly roles: readonly RegisteredRole[];
}

export interface Facts {
    readonly runs: readonly StackRun[];
    readonly tool: ToolFacts;
    readonly envs: Readonly<Record<Environment, EnvFacts>>;
}

function one(run: StackRun, type: string, match: (r: RecordedResource) => boolean = () => true): RecordedResource {
    const found = run.resources.filter((r) => r.type === type && match(r));
    if (found.length !== 1) throw new Error(`${run.stack}: expected one ${type}, found ${found.length}`);
    return found[0];
}

function envFacts(run: StackRun, env: Environment): EnvFacts {
    const [service, ...others] = JSON.parse(run.config["devsecops-pipelines:services"]) as string[];
    if (others.length > 0) throw new Error("the access table is written for one service per stack");
    const partition = run.config["devsecops-pipelines:partition"];
    const region = run.config["aws:region"];
    const account = accountOf(run);
    const key = one(run, "aws:kms/key:Key");
    const bucket = one(run, "aws:s3/bucket:Bucket").state.bucket as string;
    const pipeline = one(run, "aws:codepipeline/pipeline:Pipeline");
    const taskDefinition = one(run, "aws:ecs/taskDefinition:TaskDefinition");
    const projects = Object.fromEntries(
        run.resources
            .filter((r) => r.type === "aws:codebuild/project:Project")
            .map((r) => [(r.inputs.name as string).slice(`${service}-${env}-`.length), r]),
    );
    const parameter = (suffix: string) =>
        one(run, "aws:ssm/parameter:Parameter", (r) => (r.inputs.name as string).endsWith(suffix));
    const parameterArn = (r: RecordedResource) =>
        `arn:${partition}:ssm:${region}:${account}:parameter/${(r.inputs.name as string).replace(/^\//, "")}`;
    return {
        env,
        account,
        partition,
        region,
        service,
        bucket,
        bucketArn: `arn:${partition}:s3:::${bucket}`,
        keyArn: key.state.arn,
        repository: one(run, "aws:ecr/repository:Repository").state.arn,
        pipeline: pipeline.state.name,
        pipelineArn: pipeline.state.arn,
        artifactStoreKey: pipeline.inputs.artifactStores[0].encryptionKey.id,
        projects,
        reportGroups: run.resources
            .filter((r) => r.type === "aws:codebuild/reportGroup:ReportGroup")
            .map((r) => r.state.arn),
        clusterArn: one(run, "aws:ecs/cluster:Cluster").state.arn,
        serviceArn: one(run, "aws:ecs/service:Service").state.arn,
        taskFamily: taskDefinition.inputs.family,
        // The revision deploy-task-definition.yml copies carries the provider's default tags and its own.
        taskTags: { ...JSON.parse(run.config["aws:defaultTags"] ?? "{}").tags, ...taskDefinition.inputs.tags },
        taskRoleArn: taskDefinition.inputs.taskRoleArn,
        executionRoleArn: taskDefinition.inputs.executionRoleArn,
        serviceLogGroup: JSON.parse(taskDefinition.inputs.containerDefinitions)[0].logConfiguration.options[
            "awslogs-group"
        ],
        flowLogGroup: one(run, "aws:ec2/flowLog:FlowLog").inputs.logDestination,
        topicArn: one(run, "aws:sns/topic:Topic").state.arn,
        parameters: {
            taskDefinition: parameterArn(parameter("/task-definition")),
            containerPort: parameterArn(parameter("/container-port")),
        },
        busArn: `arn:${partition}:events:${region}:${account}:event-bus/default`,
        roles: bounded(run),
    };
}

/**
 * The permissions boundary of `run`'s account as bootstrap/account.yaml creates it (ProgramBoundary), for the stack's
 * partition and region: every role the program registers carries it, so every row is evaluated within it.
 */
export function accountBoundary(run: StackRun): PolicyDocument {
    const partition = run.config["devsecops-pipelines:partition"];
    const region = run.config["aws:region"];
    const account = accountOf(run);
    const raw = readTemplate("account.yaml");
    const template = resolveTemplate(raw, {
        partition,
        region,
        account,
        parameters: {
            GitHubRepository: "example-org/devsecops-pipelines",
            StackName: run.stack,
            StateBucketName: "pulumi-state-example",
            StateKeyArn: `arn:${partition}:kms:${region}:${account}:key/0a1b2c3d-0000-4000-8000-000000000001`,
            StackConfigKeyArn: `arn:${partition}:kms:${region}:${account}:key/0a1b2c3d-0000-4000-8000-000000000002`,
        },
        // Refs and attributes of the other resources: the boundary names none of them.
        attributes: Object.fromEntries(Object.keys(raw.Resources).map((name) => [name, name])),
    });
    return template.Resources.ProgramBoundary.Properties.PolicyDocument as PolicyDocument;
}

/** The roles of `run`, each with the boundary it carries (the account's; a role registered without one has none). */
function bounded(run: StackRun): RegisteredRole[] {
    const boundary = accountBoundary(run);
    return registeredRoles(run).map((role) => {
        const registered = run.resources.find((r) => r.type === "aws:iam/role:Role" && r.state.arn === role.arn);
        return registered?.inputs.permissionsBoundary ? { ...role, boundary } : role;
    });
}

export function factsOf(runs: readonly StackRun[]): Facts {
    const byStack = (stack: string) => runs.find((r) => r.stack === stack)!;
    const tool = byStack("tool");
    return {
        runs,
        tool: {
            account: accountOf(tool),
            repository: one(tool, "aws:codecommit/repository:Repository").state.arn,
            roles: bounded(tool),
        },
        envs: Object.fromEntries(ENVIRONMENTS.map((env) => [env, envFacts(byStack(env), env)])) as Record<
            Environment,
            EnvFacts
        >,
    };
}

/** The kind of a role, from what uses it in the registration; undefined when nothing does (no table). */
export function kindOf(facts: Facts, role: RegisteredRole): string | undefined {
    const person = facts.runs
        .flatMap((run) => run.resources)
        .find((r) => r.type === "aws:iam/role:Role" && r.state.arn === role.arn)?.inputs.tags?.PersonRole;
    if (person) return `person:${person}`;
    const used = (type: string, field: string) =>
        facts.runs.flatMap((run) => run.resources.filter((r) => r.type === type && r.inputs[field] === role.arn));
    const project = used("aws:codebuild/project:Project", "serviceRole")[0];
    if (project) {
        const env = facts.envs[role.stack as Environment];
        return (project.inputs.name as string).slice(`${env.service}-${env.env}-`.length);
    }
    if (used("aws:codepipeline/pipeline:Pipeline", "roleArn").length > 0) return "pipeline";
    const target = used("aws:cloudwatch/eventTarget:EventTarget", "roleArn")[0];
    if (target) return (target.inputs.arn as string).includes(":event-bus/") ? "forwarder" : "start";
    if (used("aws:ecs/taskDefinition:TaskDefinition", "taskRoleArn").length > 0) return "task";
    if (used("aws:ecs/taskDefinition:TaskDefinition", "executionRoleArn").length > 0) return "execution";
    if (used("aws:ec2/flowLog:FlowLog", "iamRoleArn").length > 0) return "flow-logs";
    const shifts = facts.runs.some((run) =>
        run.resources.some(
            (r) =>
                r.type === "aws:ecs/service:Service" &&
                (r.inputs.loadBalancers ?? []).some((lb: any) => lb.advancedConfiguration?.roleArn === role.arn),
        ),
    );
    if (shifts) return "ecs-infrastructure";
    const sourceAction = facts.runs.some((run) =>
        run.resources.some(
            (r) =>
                r.type === "aws:codepipeline/pipeline:Pipeline" &&
                (r.inputs.stages as any[]).some((s) => s.actions.some((a: any) => a.roleArn === role.arn)),
        ),
    );
    return sourceAction ? "source" : undefined;
}

// ---- request contexts AWS sets ----

/** S3 calls KMS on the caller's behalf for SSE-KMS objects (kms:ViaService). */
const viaS3 = (e: EnvFacts): Context => ({ "kms:ViaService": `s3.${e.region}.amazonaws.com` });
const viaSns = (e: EnvFacts): Context => ({ "kms:ViaService": `sns.${e.region}.amazonaws.com` });
/** A PutObject with the SSE-KMS headers the writer sends. */
const sseKms = (keyId: string): Context => ({
    "s3:x-amz-server-side-encryption": "aws:kms",
    "s3:x-amz-server-side-encryption-aws-kms-key-id": keyId,
});
const passedTo = (service: string): Context => ({ "iam:PassedToService": service });

// ---- resources the rows name ----

const object = (e: EnvFacts, key: string) => `${e.bucketArn}/${key}`;
/** CodePipeline's artifact objects: <first 20 characters of the pipeline name>/<artifact>/<id>. */
const artifact = (e: EnvFacts, name = "source") => object(e, `${e.pipeline.slice(0, 20)}/${name}/a1b2c3`);
const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const release = (e: EnvFacts, service = e.service) => object(e, `releases/${service}/${COMMIT}.json`);
const sbom = (e: EnvFacts) => object(e, `releases/${e.service}/${COMMIT}.sbom.cdx.json`);
const logStream = (e: EnvFacts, group: string, stream: string) =>
    `arn:${e.partition}:logs:${e.region}:${e.account}:log-group:${group}:log-stream:${stream}`;
const projectLogStream = (e: EnvFacts, step: string) =>
    logStream(e, `/aws/codebuild/${e.projects[step].inputs.name}`, "5f1e2d3c-build");
const revision = (e: EnvFacts, family = e.taskFamily) =>
    `arn:${e.partition}:ecs:${e.region}:${e.account}:task-definition/${family}:2`;
const approval = (e: EnvFacts) => `${e.pipelineArn}/Approve/Approve`;
const others = (f: Facts, e: EnvFacts) => ENVIRONMENTS.filter((x) => x !== e.env).map((x) => f.envs[x]);
const previous = (f: Facts, e: EnvFacts) => f.envs[ENVIRONMENTS[ENVIRONMENTS.indexOf(e.env) - 1]];
const roleOf = (f: Facts, e: EnvFacts, kind: string) => {
    const found = e.roles.find((r) => kindOf(f, r) === kind);
    if (!found) throw new Error(`${e.env}: no ${kind} role`);
    return found.arn;
};
const toolRoleOf = (f: Facts, env: Environment, kind: string) =>
    f.tool.roles.find((r) => kindOf(f, r) === kind && r.name.startsWith(`cicd-${env}-`))!.arn;

// ---- rows shared by kinds ----

/** What the step of `step` does on every run: write its own log stream, read its input artifact. */
function stepBasics(e: EnvFacts, step: string): Row[] {
    return [
        ["logs:CreateLogStream", projectLogStream(e, step), undefined, "Allowed"],
        ["logs:PutLogEvents", projectLogStream(e, step), undefined, "Allowed"],
        ["s3:GetObject", artifact(e), undefined, "Allowed"],
        ["s3:GetObjectVersion", artifact(e, "image"), undefined, "Allowed"],
        ["s3:GetBucketLocation", e.bucketArn, undefined, "Allowed"],
        ["kms:Decrypt", e.keyArn, viaS3(e), "Allowed"],
        // Another step's log stream is not its own.
        ["logs:PutLogEvents", logStream(e, e.serviceLogGroup, "orders/1"), undefined, "Denied"],
    ];
}

/** What no step but the build, the promotion and the deploy may do. */
function noImageOrDeploy(f: Facts, e: EnvFacts): Row[] {
    return [
        ["ecr:PutImage", e.repository, undefined, "Denied"],
        ["ecr:InitiateLayerUpload", e.repository, undefined, "Denied"],
        ["ecr:CompleteLayerUpload", e.repository, undefined, "Denied"],
        ["ecr:BatchDeleteImage", e.repository, undefined, "Denied"],
        ["ecr:SetRepositoryPolicy", e.repository, undefined, "Denied"],
        ["ecs:RegisterTaskDefinition", revision(e), { "aws:RequestTag/Service": e.service }, "Denied"],
        ["ecs:UpdateService", e.serviceArn, { "ecs:cluster": e.clusterArn }, "Denied"],
        ["iam:PassRole", e.taskRoleArn, passedTo("ecs-tasks.amazonaws.com"), "Denied"],
        ["ssm:PutParameter", e.parameters.containerPort, undefined, "Denied"],
        ["s3:PutObject", release(e), sseKms(e.keyArn), "Denied"],
        ["s3:PutObject", sbom(e), sseKms(e.keyArn), "Denied"],
        ["codepipeline:StartPipelineExecution", e.pipelineArn, undefined, "Denied"],
        ["codepipeline:PutApprovalResult", approval(e), undefined, "Denied"],
        ["sts:AssumeRole", toolRoleOf(f, e.env, "source"), undefined, "Denied"],
    ];
}

/** Keys of the other environments (direct or through S3), and their buckets. */
function noOtherEnvironment(f: Facts, e: EnvFacts, except: EnvFacts[] = []): Row[] {
    return others(f, e)
        .filter((o) => !except.includes(o))
        .flatMap((o): Row[] => [
            ["kms:Decrypt", o.keyArn, viaS3(o), "Denied"],
            ["kms:GenerateDataKey", o.keyArn, viaS3(o), "Denied"],
            ["s3:GetObject", release(o), undefined, "Denied"],
            ["s3:PutObject", artifact(o), sseKms(o.keyArn), "Denied"],
        ]);
}

/** No role of dev, qa or stage (nor the tool account's roles of other environments) writes anything of prod. */
export function noProdWrites(f: Facts): Row[] {
    const p = f.envs.prod;
    return [
        ["s3:PutObject", artifact(p), sseKms(p.keyArn), "Denied"],
        ["s3:PutObject", release(p), sseKms(p.keyArn), "Denied"],
        ["s3:DeleteObject", release(p), undefined, "Denied"],
        ["kms:GenerateDataKey", p.keyArn, viaS3(p), "Denied"],
        ["kms:Encrypt", p.keyArn, undefined, "Denied"],
        ["ecr:PutImage", p.repository, undefined, "Denied"],
        ["ecr:InitiateLayerUpload", p.repository, undefined, "Denied"],
        ["events:PutEvents", p.busArn, undefined, "Denied"],
        ["codepipeline:StartPipelineExecution", p.pipelineArn, undefined, "Denied"],
        ["codepipeline:PutApprovalResult", approval(p), undefined, "Denied"],
        ["ecs:UpdateService", p.serviceArn, { "ecs:cluster": p.clusterArn }, "Denied"],
        ["ecs:RegisterTaskDefinition", revision(p), { "aws:RequestTag/Service": p.service }, "Denied"],
        ["ssm:PutParameter", p.parameters.containerPort, undefined, "Denied"],
        ["sts:AssumeRole", roleOf(f, p, "deploy"), undefined, "Denied"],
        ["sts:AssumeRole", roleOf(f, p, "pipeline"), undefined, "Denied"],
        ["sts:AssumeRole", toolRoleOf(f, "prod", "source"), undefined, "Denied"],
    ];
}

/** An untrusted step (it runs the repository's code) assumes no role the program registers. */
function assumesNoRole(f: Facts): Row[] {
    return [...Object.values(f.envs).flatMap((e) => e.roles), ...f.tool.roles].map((r): Row => [
        "sts:AssumeRole",
        r.arn,
        undefined,
        "Denied",
    ]);
}

// ---- the tables, one per kind of role ----

type Table = (f: Facts, e: EnvFacts) => Row[];

/** unit-tests and security-scan run the repository's code: read the source, write logs and reports, nothing else. */
const untrusted =
    (step: string): Table =>
    (f, e) => [
        ...stepBasics(e, step),
        ...e.reportGroups
            .filter((g) => g.includes(`/${e.projects[step].inputs.name}-`))
            .flatMap((g): Row[] => [
                ["codebuild:CreateReport", g, undefined, "Allowed"],
                ["codebuild:UpdateReport", g, undefined, "Allowed"],
                ["codebuild:BatchPutTestCases", g, undefined, "Allowed"],
            ]),
        ["ecr:GetAuthorizationToken", "*", undefined, "Denied"],
        ["s3:PutObject", artifact(e, "image"), sseKms(e.keyArn), "Denied"],
        ["kms:GenerateDataKey", e.keyArn, viaS3(e), "Denied"],
        ["kms:Encrypt", e.keyArn, undefined, "Denied"],
        ["sns:Publish", e.topicArn, undefined, "Denied"],
        ...noImageOrDeploy(f, e),
        ...noOtherEnvironment(f, e),
        ...assumesNoRole(f),
    ];

/** build-image.yml (dev): log in, look up the tag, build, push, read the pushed digest, write image.json. */
const buildImage: Table = (f, e) => [
    ...stepBasics(e, "build-image"),
    ["s3:PutObject", artifact(e, "image"), sseKms(e.projects["build-image"].inputs.encryptionKey), "Allowed"],
    ["kms:GenerateDataKey", e.keyArn, viaS3(e), "Allowed"],
    ["ecr:GetAuthorizationToken", "*", undefined, "Allowed"],
    ["ecr:DescribeImages", e.repository, undefined, "Allowed"],
    ["ecr:BatchCheckLayerAvailability", e.repository, undefined, "Allowed"],
    ["ecr:InitiateLayerUpload", e.repository, undefined, "Allowed"],
    ["ecr:UploadLayerPart", e.repository, undefined, "Allowed"],
    ["ecr:CompleteLayerUpload", e.repository, undefined, "Allowed"],
    ["ecr:PutImage", e.repository, undefined, "Allowed"],
    ["ecr:BatchDeleteImage", e.repository, undefined, "Denied"],
    ["ecr:SetRepositoryPolicy", e.repository, undefined, "Denied"],
    ["s3:PutObject", release(e), sseKms(e.keyArn), "Denied"],
    // Its own artifact only: not the source, not the SBOM step's.
    ["s3:PutObject", artifact(e), sseKms(e.keyArn), "Denied"],
    ["s3:PutObject", artifact(e, "sbom"), sseKms(e.keyArn), "Denied"],
    ["codepipeline:StartPipelineExecution", e.pipelineArn, undefined, "Denied"],
    ["iam:PassRole", e.taskRoleArn, passedTo("ecs-tasks.amazonaws.com"), "Denied"],
    ...others(f, e).map((o): Row => ["ecr:PutImage", o.repository, undefined, "Denied"]),
    ...noOtherEnvironment(f, e),
];

/**
 * generate-sbom.yml (dev): read the source and image.json, write its own SBOM artifact. Its pinned generator reads
 * the source's lockfile: it can neither push an image, nor write a release, nor change another step's artifact.
 */
const generateSbom: Table = (f, e) => [
    ...stepBasics(e, "sbom"),
    ["s3:PutObject", artifact(e, "sbom"), sseKms(e.projects.sbom.inputs.encryptionKey), "Allowed"],
    ["kms:GenerateDataKey", e.keyArn, viaS3(e), "Allowed"],
    // The image.json the scan gate, the deploy and the release read, and the source, are not its own.
    ["s3:PutObject", artifact(e, "image"), sseKms(e.keyArn), "Denied"],
    ["s3:PutObject", artifact(e), sseKms(e.keyArn), "Denied"],
    ["s3:DeleteObject", artifact(e, "image"), undefined, "Denied"],
    ["ecr:GetAuthorizationToken", "*", undefined, "Denied"],
    ["ecr:BatchGetImage", e.repository, undefined, "Denied"],
    ["sns:Publish", e.topicArn, undefined, "Denied"],
    ...noImageOrDeploy(f, e),
    ...noOtherEnvironment(f, e),
    ...assumesNoRole(f),
];

/** promote-image.yml (qa, stage, prod): read the previous release and SBOM, pull by digest there, push here. */
const promoteImage: Table = (f, e) => {
    const p = previous(f, e);
    return [
        ...stepBasics(e, "promote-image"),
        ["s3:GetObject", release(p), undefined, "Allowed"],
        ["s3:GetObject", sbom(p), undefined, "Allowed"],
        ["kms:Decrypt", p.keyArn, viaS3(p), "Allowed"],
        ["ecr:GetAuthorizationToken", "*", undefined, "Allowed"],
        ["ecr:BatchGetImage", p.repository, undefined, "Allowed"],
        ["ecr:GetDownloadUrlForLayer", p.repository, undefined, "Allowed"],
        ["ecr:DescribeImages", e.repository, undefined, "Allowed"],
        ["ecr:BatchCheckLayerAvailability", e.repository, undefined, "Allowed"],
        ["ecr:InitiateLayerUpload", e.repository, undefined, "Allowed"],
        ["ecr:UploadLayerPart", e.repository, undefined, "Allowed"],
        ["ecr:CompleteLayerUpload", e.repository, undefined, "Allowed"],
        ["ecr:PutImage", e.repository, undefined, "Allowed"],
        ["s3:PutObject", artifact(e, "image"), sseKms(e.projects["promote-image"].inputs.encryptionKey), "Allowed"],
        ["kms:GenerateDataKey", e.keyArn, viaS3(e), "Allowed"],
        // The previous environment is read-only, and only its releases are readable.
        ["ecr:PutImage", p.repository, undefined, "Denied"],
        ["ecr:InitiateLayerUpload", p.repository, undefined, "Denied"],
        ["s3:PutObject", release(p), sseKms(p.keyArn), "Denied"],
        ["s3:GetObject", artifact(p), undefined, "Denied"],
        ["kms:Decrypt", p.keyArn, undefined, "Denied"],
        ["kms:GenerateDataKey", p.keyArn, viaS3(p), "Denied"],
        ["s3:PutObject", release(e), sseKms(e.keyArn), "Denied"],
        ["codepipeline:StartPipelineExecution", e.pipelineArn, undefined, "Denied"],
        ["iam:PassRole", e.taskRoleArn, passedTo("ecs-tasks.amazonaws.com"), "Denied"],
        ...noOtherEnvironment(f, e, [p]),
    ];
};

/** image-scan-gate.yml: the registry's scan type, then ECR basic or Inspector findings of the image. */
const imageScanGate: Table = (f, e) => [
    ...stepBasics(e, "image-scan-gate"),
    ["ecr:GetRegistryScanningConfiguration", "*", undefined, "Allowed"],
    ["ecr:DescribeImageScanFindings", e.repository, undefined, "Allowed"],
    ["ecr:DescribeImages", e.repository, undefined, "Allowed"],
    ["inspector2:ListFindings", "*", undefined, "Allowed"],
    ["ecr:PutRegistryScanningConfiguration", "*", undefined, "Denied"],
    ["ecr:StartImageScan", e.repository, undefined, "Denied"],
    ["inspector2:CreateFilter", "*", undefined, "Denied"],
    ["ecr:GetAuthorizationToken", "*", undefined, "Denied"],
    ...noImageOrDeploy(f, e),
    ...noOtherEnvironment(f, e),
];

/** deploy-task-definition.yml: render Pulumi's revision with the image, register it, update the service, wait. */
const deploy: Table = (f, e) => {
    const tags: Context = {
        ...Object.fromEntries(Object.entries(e.taskTags).map(([k, v]) => [`aws:RequestTag/${k}`, v])),
    };
    const tagKeys = Object.keys(e.taskTags);
    const update: Context = { "ecs:cluster": e.clusterArn, "ecs:task-definition": revision(e) };
    return [
        ...stepBasics(e, "deploy"),
        ["ssm:GetParameter", e.parameters.taskDefinition, undefined, "Allowed"],
        ["ssm:GetParameter", e.parameters.containerPort, undefined, "Allowed"],
        ["ecs:DescribeTaskDefinition", "*", undefined, "Allowed"],
        ["ecs:RegisterTaskDefinition", revision(e), { ...tags, "aws:TagKeys": tagKeys }, "Allowed"],
        [
            "ecs:TagResource",
            revision(e),
            { ...tags, "aws:TagKeys": tagKeys, "ecs:CreateAction": "RegisterTaskDefinition" },
            "Allowed",
        ],
        ["iam:PassRole", e.taskRoleArn, passedTo("ecs-tasks.amazonaws.com"), "Allowed"],
        ["iam:PassRole", e.executionRoleArn, passedTo("ecs-tasks.amazonaws.com"), "Allowed"],
        ["ecs:DescribeServices", e.serviceArn, undefined, "Allowed"],
        ["ecs:UpdateService", e.serviceArn, update, "Allowed"],
        ["ssm:PutParameter", e.parameters.containerPort, undefined, "Allowed"],
        // Its service's two roles, only to ECS tasks; no other role; its family, its cluster, its tag.
        ["iam:PassRole", e.taskRoleArn, passedTo("lambda.amazonaws.com"), "Denied"],
        ["iam:PassRole", e.executionRoleArn, passedTo("ecs.amazonaws.com"), "Denied"],
        ["iam:PassRole", e.taskRoleArn, undefined, "Denied"],
        ...e.roles
            .filter((r) => r.arn !== e.taskRoleArn && r.arn !== e.executionRoleArn)
            .map((r): Row => ["iam:PassRole", r.arn, passedTo("ecs-tasks.amazonaws.com"), "Denied"]),
        ["ecs:RegisterTaskDefinition", revision(e, "another-family"), { ...tags, "aws:TagKeys": tagKeys }, "Denied"],
        ["ecs:RegisterTaskDefinition", revision(e), { "aws:RequestTag/Service": "another-service" }, "Denied"],
        [
            "ecs:UpdateService",
            e.serviceArn,
            { ...update, "ecs:task-definition": revision(e, "another-family") },
            "Denied",
        ],
        ["ecs:UpdateService", e.serviceArn, { ...update, "ecs:cluster": `${e.clusterArn}-other` }, "Denied"],
        ["ssm:PutParameter", e.parameters.taskDefinition, undefined, "Denied"],
        ["ecr:PutImage", e.repository, undefined, "Denied"],
        ["s3:PutObject", release(e), sseKms(e.keyArn), "Denied"],
        ["codepipeline:StartPipelineExecution", e.pipelineArn, undefined, "Denied"],
        ["sts:AssumeRole", toolRoleOf(f, e.env, "source"), undefined, "Denied"],
        ...noOtherEnvironment(f, e),
    ];
};

/** publish-release.yml: the SBOM, then the release manifest, under releases/<service>/, with this key. */
const publishRelease: Table = (f, e) => {
    const keyId = e.projects["publish-release"].inputs.environment.environmentVariables.find(
        (v: { name: string }) => v.name === "ARTIFACT_KEY_ARN",
    ).value;
    return [
        ...stepBasics(e, "publish-release"),
        ["s3:PutObject", sbom(e), sseKms(keyId), "Allowed"],
        ["s3:PutObject", release(e), sseKms(keyId), "Allowed"],
        ["kms:GenerateDataKey", e.keyArn, viaS3(e), "Allowed"],
        ["s3:PutObject", release(e), { "s3:x-amz-server-side-encryption": "AES256" }, "ExplicitlyDenied"],
        ["s3:PutObject", release(e), sseKms(`${e.keyArn.split("key/")[0]}key/another`), "ExplicitlyDenied"],
        ["s3:PutObject", release(e, "another-service"), sseKms(keyId), "Denied"],
        ["s3:PutObject", artifact(e, "image"), sseKms(keyId), "Denied"],
        ["s3:DeleteObject", release(e), undefined, "Denied"],
        ...noOtherEnvironment(f, e),
        ["ecr:PutImage", e.repository, undefined, "Denied"],
        ["codepipeline:StartPipelineExecution", e.pipelineArn, undefined, "Denied"],
        ["iam:PassRole", e.taskRoleArn, passedTo("ecs-tasks.amazonaws.com"), "Denied"],
    ];
};

/** scale-up.yml: read the desired count, raise it once, wait until stable. */
const scaleUp: Table = (f, e) => [
    ...stepBasics(e, "scale-up"),
    ["ecs:DescribeServices", e.serviceArn, undefined, "Allowed"],
    // A desired count alone: the request carries the cluster and no task definition.
    ["ecs:UpdateService", e.serviceArn, { "ecs:cluster": e.clusterArn }, "Allowed"],
    ["ecs:UpdateService", e.serviceArn, { "ecs:cluster": e.clusterArn, "ecs:task-definition": revision(e) }, "Allowed"],
    // Never to a task definition of another family, nor in another cluster.
    [
        "ecs:UpdateService",
        e.serviceArn,
        { "ecs:cluster": e.clusterArn, "ecs:task-definition": revision(e, "another-family") },
        "Denied",
    ],
    ["ecs:UpdateService", e.serviceArn, { "ecs:cluster": `${e.clusterArn}-other` }, "Denied"],
    ["ecs:RegisterTaskDefinition", revision(e), { "aws:RequestTag/Service": e.service }, "Denied"],
    ["iam:PassRole", e.taskRoleArn, passedTo("ecs-tasks.amazonaws.com"), "Denied"],
    ["ecr:PutImage", e.repository, undefined, "Denied"],
    ["s3:PutObject", release(e), sseKms(e.keyArn), "Denied"],
    ["codepipeline:StartPipelineExecution", e.pipelineArn, undefined, "Denied"],
    ...noOtherEnvironment(f, e),
];

/** CodePipeline with the pipeline role: the source role in tool, artifacts, builds, approval notifications. */
const pipelineRole: Table = (f, e) => [
    ["sts:AssumeRole", toolRoleOf(f, e.env, "source"), undefined, "Allowed"],
    ["s3:GetObject", artifact(e), undefined, "Allowed"],
    ["s3:PutObject", artifact(e, "image"), sseKms(e.artifactStoreKey), "Allowed"],
    ["s3:GetBucketVersioning", e.bucketArn, undefined, "Allowed"],
    ["kms:Decrypt", e.keyArn, viaS3(e), "Allowed"],
    ["kms:GenerateDataKey", e.keyArn, viaS3(e), "Allowed"],
    ...Object.values(e.projects).flatMap((p): Row[] => [
        ["codebuild:StartBuild", p.state.arn, undefined, "Allowed"],
        ["codebuild:BatchGetBuilds", p.state.arn, undefined, "Allowed"],
    ]),
    ["sns:Publish", e.topicArn, undefined, "Allowed"],
    ["kms:GenerateDataKey", e.keyArn, viaSns(e), "Allowed"],
    ["s3:PutObject", release(e), sseKms(e.artifactStoreKey), "ExplicitlyDenied"],
    ["iam:PassRole", roleOf(f, e, "deploy"), undefined, "Denied"],
    ["ecr:PutImage", e.repository, undefined, "Denied"],
    ["codepipeline:PutApprovalResult", approval(e), undefined, "Denied"],
    ...others(f, e).flatMap((o): Row[] => [
        ["sts:AssumeRole", toolRoleOf(f, o.env, "source"), undefined, "Denied"],
        ["codebuild:StartBuild", Object.values(o.projects)[0].state.arn, undefined, "Denied"],
    ]),
    ...noOtherEnvironment(f, e),
];

/** EventBridge with the start role: start this pipeline, nothing else. */
const startRole: Table = (f, e) => [
    ["codepipeline:StartPipelineExecution", e.pipelineArn, undefined, "Allowed"],
    ["codepipeline:PutApprovalResult", approval(e), undefined, "Denied"],
    ["codepipeline:UpdatePipeline", e.pipelineArn, undefined, "Denied"],
    ["iam:PassRole", roleOf(f, e, "pipeline"), undefined, "Denied"],
    ...others(f, e).map((o): Row => ["codepipeline:StartPipelineExecution", o.pipelineArn, undefined, "Denied"]),
    ["sts:AssumeRole", toolRoleOf(f, e.env, "source"), undefined, "Denied"],
];

/** The service's task role: the service calls no AWS API. */
const taskRole: Table = (f, e) => [
    ["s3:GetObject", artifact(e), undefined, "Denied"],
    ["s3:GetObject", release(e), undefined, "Denied"],
    ["kms:Decrypt", e.keyArn, viaS3(e), "Denied"],
    ["ssm:GetParameter", e.parameters.taskDefinition, undefined, "Denied"],
    ["ecr:PutImage", e.repository, undefined, "Denied"],
    ["ecs:UpdateService", e.serviceArn, { "ecs:cluster": e.clusterArn }, "Denied"],
    ["iam:PassRole", e.taskRoleArn, passedTo("ecs-tasks.amazonaws.com"), "Denied"],
    ["codepipeline:StartPipelineExecution", e.pipelineArn, undefined, "Denied"],
    ["sts:AssumeRole", roleOf(f, e, "deploy"), undefined, "Denied"],
    ["sts:AssumeRole", toolRoleOf(f, e.env, "source"), undefined, "Denied"],
];

/** ECS with the blue/green infrastructure role: read load balancing, shift the service's own traffic only. */
const ecsInfrastructureRole: Table = (f, e) => {
    const elb = (resource: string) => `arn:${e.partition}:elasticloadbalancing:${e.region}:${e.account}:${resource}`;
    const otherRule = elb("listener-rule/app/another/0123456789abcdef/0123456789abcdef/0123456789abcdef");
    const otherGroup = elb("targetgroup/another/0123456789abcdef");
    return [
        ["elasticloadbalancing:DescribeTargetHealth", "*", undefined, "Allowed"],
        ["elasticloadbalancing:DescribeRules", "*", undefined, "Allowed"],
        ["elasticloadbalancing:ModifyRule", otherRule, undefined, "Denied"],
        ["elasticloadbalancing:RegisterTargets", otherGroup, undefined, "Denied"],
        ["elasticloadbalancing:DeleteLoadBalancer", "*", undefined, "Denied"],
        ["ecs:UpdateService", e.serviceArn, { "ecs:cluster": e.clusterArn }, "Denied"],
        ["iam:PassRole", e.taskRoleArn, passedTo("ecs-tasks.amazonaws.com"), "Denied"],
        ["s3:GetObject", artifact(e), undefined, "Denied"],
        ["sts:AssumeRole", roleOf(f, e, "deploy"), undefined, "Denied"],
    ];
};

/** ECS with the execution role: pull the service's image, write its container logs. */
const executionRole: Table = (f, e) => [
    ["ecr:GetAuthorizationToken", "*", undefined, "Allowed"],
    ["ecr:BatchCheckLayerAvailability", e.repository, undefined, "Allowed"],
    ["ecr:GetDownloadUrlForLayer", e.repository, undefined, "Allowed"],
    ["ecr:BatchGetImage", e.repository, undefined, "Allowed"],
    ["logs:CreateLogStream", logStream(e, e.serviceLogGroup, `${e.service}/${e.service}/0a1b2c`), undefined, "Allowed"],
    ["logs:PutLogEvents", logStream(e, e.serviceLogGroup, `${e.service}/${e.service}/0a1b2c`), undefined, "Allowed"],
    ["ecr:PutImage", e.repository, undefined, "Denied"],
    ["logs:PutLogEvents", projectLogStream(e, "deploy"), undefined, "Denied"],
    ["s3:GetObject", artifact(e), undefined, "Denied"],
    ["kms:Decrypt", e.keyArn, viaS3(e), "Denied"],
    ["ssm:GetParameter", e.parameters.taskDefinition, undefined, "Denied"],
    ["sts:AssumeRole", roleOf(f, e, "deploy"), undefined, "Denied"],
    ...others(f, e).map((o): Row => ["ecr:BatchGetImage", o.repository, undefined, "Denied"]),
];

/** VPC Flow Logs with the flow-logs role: its log group only. */
const flowLogsRole: Table = (f, e) => {
    const group = e.flowLogGroup.split(":log-group:")[1];
    return [
        ["logs:CreateLogStream", logStream(e, group, "eni-0a1b2c3d-all"), undefined, "Allowed"],
        ["logs:PutLogEvents", logStream(e, group, "eni-0a1b2c3d-all"), undefined, "Allowed"],
        ["logs:DescribeLogStreams", e.flowLogGroup, undefined, "Allowed"],
        ["logs:PutLogEvents", logStream(e, e.serviceLogGroup, "orders/1"), undefined, "Denied"],
        ["logs:DeleteLogGroup", e.flowLogGroup, undefined, "Denied"],
        ["s3:GetObject", artifact(e), undefined, "Denied"],
        ["kms:Decrypt", e.keyArn, undefined, "Denied"],
        ["sts:AssumeRole", roleOf(f, e, "deploy"), undefined, "Denied"],
    ];
};

/** The tool account's source role of `e`: CodePipeline reads the repository and writes the source artifact. */
const sourceRole: Table = (f, e) => [
    ...[
        "GetBranch",
        "GetCommit",
        "GetRepository",
        "UploadArchive",
        "GetUploadArchiveStatus",
        "CancelUploadArchive",
    ].map((a): Row => [`codecommit:${a}`, f.tool.repository, undefined, "Allowed"]),
    ["s3:PutObject", artifact(e), sseKms(e.artifactStoreKey), "Allowed"],
    ["s3:PutObjectAcl", artifact(e), undefined, "Allowed"],
    ["s3:GetObject", artifact(e), undefined, "Allowed"],
    ["s3:GetBucketLocation", e.bucketArn, undefined, "Allowed"],
    ["kms:GenerateDataKey", e.keyArn, viaS3(e), "Allowed"],
    ["kms:Encrypt", e.keyArn, viaS3(e), "Allowed"],
    ["kms:Decrypt", e.keyArn, viaS3(e), "Allowed"],
    // Only through S3, only this environment, never its releases, never a push to the repository.
    ["kms:Decrypt", e.keyArn, undefined, "Denied"],
    ["kms:Decrypt", e.keyArn, { "kms:ViaService": `ssm.${e.region}.amazonaws.com` }, "Denied"],
    ["kms:CreateGrant", e.keyArn, viaS3(e), "Denied"],
    ["s3:PutObject", release(e), sseKms(e.artifactStoreKey), "ExplicitlyDenied"],
    ["s3:PutObject", artifact(e), { "s3:x-amz-server-side-encryption": "AES256" }, "ExplicitlyDenied"],
    ["s3:DeleteObject", artifact(e), undefined, "Denied"],
    ["codecommit:GitPush", f.tool.repository, undefined, "Denied"],
    ["codecommit:PutFile", f.tool.repository, undefined, "Denied"],
    ["codecommit:DeleteBranch", f.tool.repository, undefined, "Denied"],
    ["ecr:PutImage", e.repository, undefined, "Denied"],
    ["codepipeline:StartPipelineExecution", e.pipelineArn, undefined, "Denied"],
    ["sts:AssumeRole", roleOf(f, e, "deploy"), undefined, "Denied"],
    ...noOtherEnvironment(f, e),
];

/** EventBridge in tool with the forwarder role of `e`: put events on that environment's default bus only. */
const forwarderRole: Table = (f, e) => [
    ["events:PutEvents", e.busArn, undefined, "Allowed"],
    ...others(f, e).map((o): Row => ["events:PutEvents", o.busArn, undefined, "Denied"]),
    [
        "events:PutEvents",
        `arn:${e.partition}:events:${e.region}:${f.tool.account}:event-bus/default`,
        undefined,
        "Denied",
    ],
    ["codepipeline:StartPipelineExecution", e.pipelineArn, undefined, "Denied"],
    ["sts:AssumeRole", toolRoleOf(f, e.env, "source"), undefined, "Denied"],
];

// ---- person roles (components/personRoles.ts): what each person can do in each account ----

/** A person role's account: the stack it is registered by. */
type PersonTable = (f: Facts, role: RegisteredRole) => Row[];

const projectTag = (e: EnvFacts): Context => ({ "aws:ResourceTag/Project": e.taskTags.Project });
const personRoleArn = (f: Facts, stack: string, person: string) => {
    const roles = stack === "tool" ? f.tool.roles : f.envs[stack as Environment].roles;
    const found = roles.find((r) => kindOf(f, r) === `person:${person}`);
    if (!found) throw new Error(`${stack}: no ${person} role`);
    return found;
};
const roleArnIn = (account: string, partition: string, name: string) => `arn:${partition}:iam::${account}:role/${name}`;
/** The boundary every role of the account carries (bootstrap/account.yaml's ProgramBoundary). */
const boundaryArn = (account: string, partition: string) =>
    `arn:${partition}:iam::${account}:policy/cicd-permissions-boundary`;

/** What no person does anywhere: change identities or the program's keys' use, assume the program's roles. */
function nobodyEscalates(f: Facts, role: RegisteredRole): Row[] {
    const e = role.stack === "tool" ? f.envs.dev : f.envs[role.stack as Environment];
    const account = role.arn.split(":")[4];
    const p = e.partition;
    const env = role.stack === "tool" ? undefined : e;
    return [
        [
            "iam:CreateRole",
            roleArnIn(account, p, "experiment"),
            { "iam:PermissionsBoundary": boundaryArn(account, p) },
            "ExplicitlyDenied",
        ],
        ["iam:CreateRole", roleArnIn(account, p, "experiment"), undefined, "ExplicitlyDenied"],
        ["iam:PutRolePolicy", role.arn, undefined, "ExplicitlyDenied"],
        ["iam:AttachRolePolicy", role.arn, undefined, "ExplicitlyDenied"],
        ["iam:DeleteRolePermissionsBoundary", role.arn, undefined, "ExplicitlyDenied"],
        ["iam:UpdateAssumeRolePolicy", role.arn, undefined, "ExplicitlyDenied"],
        ["iam:CreateUser", `arn:${p}:iam::${account}:user/experiment`, undefined, "ExplicitlyDenied"],
        ["iam:CreateAccessKey", `arn:${p}:iam::${account}:user/experiment`, undefined, "ExplicitlyDenied"],
        ...(env
            ? ([
                  ["iam:PutRolePolicy", roleOf(f, env, "pipeline"), undefined, "ExplicitlyDenied"],
                  ["iam:PutRolePolicy", roleOf(f, env, "deploy"), undefined, "ExplicitlyDenied"],
                  ["iam:PassRole", env.taskRoleArn, passedTo("ecs-tasks.amazonaws.com"), "ExplicitlyDenied"],
                  ["iam:PassRole", roleOf(f, env, "deploy"), passedTo("codebuild.amazonaws.com"), "ExplicitlyDenied"],
                  ["sts:AssumeRole", roleOf(f, env, "deploy"), undefined, "Denied"],
                  ["sts:AssumeRole", roleOf(f, env, "pipeline"), undefined, "Denied"],
                  ["kms:Decrypt", env.keyArn, viaS3(env), "Denied"],
                  ["kms:ScheduleKeyDeletion", env.keyArn, projectTag(env), "ExplicitlyDenied"],
                  ["s3:GetObject", release(env), undefined, "Denied"],
                  ["ssm:GetParameter", env.parameters.taskDefinition, undefined, "Denied"],
                  ["ecr:BatchGetImage", env.repository, projectTag(env), "Denied"],
              ] as Row[])
            : []),
        // Nothing of another account: its person roles, its program's roles, its keys and buckets.
        ...ENVIRONMENTS.filter((x) => x !== role.stack).flatMap((x): Row[] => [
            ["sts:AssumeRole", personRoleArn(f, x, "operator").arn, undefined, "Denied"],
            ["sts:AssumeRole", roleOf(f, f.envs[x], "deploy"), undefined, "Denied"],
            ["s3:PutObject", artifact(f.envs[x]), sseKms(f.envs[x].keyArn), "Denied"],
            ["kms:GenerateDataKey", f.envs[x].keyArn, viaS3(f.envs[x]), "Denied"],
        ]),
        ...ENVIRONMENTS.map((x): Row => ["sts:AssumeRole", toolRoleOf(f, x, "source"), undefined, "Denied"]),
    ];
}

/** Metadata of the program's resources in the account: readable by every person. */
function metadata(e: EnvFacts): Row[] {
    return [
        ["codepipeline:GetPipelineState", e.pipelineArn, undefined, "Allowed"],
        ["ecs:DescribeServices", e.serviceArn, undefined, "Allowed"],
        ["ecr:DescribeImages", e.repository, undefined, "Allowed"],
        ["logs:DescribeLogGroups", "*", undefined, "Allowed"],
    ];
}

/** Operating the account's pipelines and services: the operator and break-glass. */
function operates(f: Facts, e: EnvFacts): Row[] {
    return [
        ["codepipeline:StartPipelineExecution", e.pipelineArn, undefined, "Allowed"],
        ["codepipeline:PutApprovalResult", approval(e), undefined, "Allowed"],
        ["codepipeline:StopPipelineExecution", e.pipelineArn, undefined, "Allowed"],
        ["codepipeline:RetryStageExecution", `${e.pipelineArn}/Deploy`, undefined, "Allowed"],
        [
            "ecs:UpdateService",
            e.serviceArn,
            { "ecs:cluster": e.clusterArn, "ecs:task-definition": revision(e) },
            "Allowed",
        ],
        ["logs:GetLogEvents", logStream(e, e.serviceLogGroup, "orders/1"), undefined, "Allowed"],
        [
            "logs:FilterLogEvents",
            `arn:${e.partition}:logs:${e.region}:${e.account}:log-group:${e.serviceLogGroup}`,
            undefined,
            "Allowed",
        ],
        ["codepipeline:UpdatePipeline", e.pipelineArn, undefined, "Denied"],
        ["codepipeline:DeletePipeline", e.pipelineArn, undefined, "Denied"],
        ["ecs:RegisterTaskDefinition", revision(e), { "aws:RequestTag/Service": e.service }, "Denied"],
        ["ecs:DeleteService", e.serviceArn, undefined, "Denied"],
        ["s3:PutObject", release(e), sseKms(e.keyArn), "Denied"],
        ["ssm:PutParameter", e.parameters.containerPort, undefined, "Denied"],
        ...others(f, e).map((o): Row => ["codepipeline:StartPipelineExecution", o.pipelineArn, undefined, "Denied"]),
    ];
}

/** The developer in dev: experiments in the account, nothing of the program's, no role, no other account. */
function developerInDev(f: Facts, e: EnvFacts): Row[] {
    const here = (service: string, resource: string) =>
        `arn:${e.partition}:${service}:${e.region}:${e.account}:${resource}`;
    return [
        ["ecs:CreateCluster", here("ecs", "cluster/experiment"), undefined, "Allowed"],
        ["ecs:CreateService", here("ecs", "service/experiment/web"), undefined, "Allowed"],
        ["logs:CreateLogGroup", here("logs", "log-group:/experiment/web"), undefined, "Allowed"],
        ["ssm:PutParameter", here("ssm", "parameter/experiment/flag"), undefined, "Allowed"],
        ["codebuild:CreateProject", here("codebuild", "project/experiment"), undefined, "Allowed"],
        ["events:PutRule", here("events", "rule/experiment"), undefined, "Allowed"],
        ["cloudwatch:PutMetricAlarm", here("cloudwatch", "alarm:experiment"), undefined, "Allowed"],
        ["ecr:GetAuthorizationToken", "*", undefined, "Allowed"],
        ...metadata(e),
        // Developers own dev: they start its pipelines and put events on its bus, nowhere else.
        ["codepipeline:StartPipelineExecution", e.pipelineArn, projectTag(e), "Allowed"],
        ["events:PutEvents", here("events", "event-bus/default"), undefined, "Allowed"],
        ["events:PutEvents", here("events", "event-bus/experiment"), undefined, "Denied"],
        ...others(f, e).flatMap((o): Row[] => [
            ["codepipeline:StartPipelineExecution", o.pipelineArn, undefined, "Denied"],
            [
                "events:PutEvents",
                `arn:${o.partition}:events:${o.region}:${o.account}:event-bus/default`,
                undefined,
                "Denied",
            ],
        ]),
        // The program's own, by name or by its Project tag.
        ["codepipeline:UpdatePipeline", e.pipelineArn, undefined, "ExplicitlyDenied"],
        ["codepipeline:PutApprovalResult", approval(e), undefined, "ExplicitlyDenied"],
        ["ecs:UpdateService", e.serviceArn, { "ecs:cluster": e.clusterArn, ...projectTag(e) }, "ExplicitlyDenied"],
        ["ecr:PutImage", e.repository, projectTag(e), "ExplicitlyDenied"],
        ["sns:Publish", e.topicArn, projectTag(e), "ExplicitlyDenied"],
        ["s3:PutObject", artifact(e), sseKms(e.keyArn), "ExplicitlyDenied"],
        ["s3:PutBucketPolicy", e.bucketArn, undefined, "ExplicitlyDenied"],
        ["s3:DeleteBucket", e.bucketArn, undefined, "ExplicitlyDenied"],
        ["ssm:PutParameter", e.parameters.containerPort, undefined, "ExplicitlyDenied"],
        ["events:PutRule", here("events", `rule/cicd-dev-${e.service}-start`), undefined, "ExplicitlyDenied"],
        // A role named as one another account trusts (the pipeline role the tool account's source role trusts).
        [
            "iam:CreateRole",
            roleOf(f, e, "pipeline"),
            { "iam:PermissionsBoundary": boundaryArn(e.account, e.partition) },
            "ExplicitlyDenied",
        ],
        ["kms:PutKeyPolicy", e.keyArn, projectTag(e), "ExplicitlyDenied"],
        // Experiments stay in dev.
        [
            "ecs:CreateCluster",
            `arn:${e.partition}:ecs:${e.region}:${f.envs.qa.account}:cluster/experiment`,
            undefined,
            "Denied",
        ],
    ];
}

/** The developer outside dev: metadata, nothing else. */
function developerElsewhere(f: Facts, e: EnvFacts): Row[] {
    return [
        ...metadata(e),
        [
            "ecs:CreateCluster",
            `arn:${e.partition}:ecs:${e.region}:${e.account}:cluster/experiment`,
            undefined,
            "Denied",
        ],
        ["codepipeline:StartPipelineExecution", e.pipelineArn, undefined, "Denied"],
        ["codepipeline:PutApprovalResult", approval(e), undefined, "Denied"],
        ["ecs:UpdateService", e.serviceArn, { "ecs:cluster": e.clusterArn }, "Denied"],
        ["kms:GetKeyPolicy", e.keyArn, undefined, "Denied"],
        ["logs:GetLogEvents", logStream(e, e.serviceLogGroup, "orders/1"), undefined, "ExplicitlyDenied"],
        ["s3:GetObject", release(e), undefined, "ExplicitlyDenied"],
    ];
}

/** The auditor: metadata and security configuration, no data, no change. */
function auditorIn(f: Facts, e: EnvFacts): Row[] {
    return [
        ...metadata(e),
        ["kms:GetKeyPolicy", e.keyArn, undefined, "Allowed"],
        ["kms:GetKeyRotationStatus", e.keyArn, undefined, "Allowed"],
        ["s3:GetBucketPolicy", e.bucketArn, undefined, "Allowed"],
        ["s3:GetEncryptionConfiguration", e.bucketArn, undefined, "Allowed"],
        ["ecr:GetRepositoryPolicy", e.repository, undefined, "Allowed"],
        ["ecr:DescribeImageScanFindings", e.repository, undefined, "Allowed"],
        ["iam:GetRole", roleOf(f, e, "deploy"), undefined, "Allowed"],
        ["inspector2:ListFindings", "*", undefined, "Allowed"],
        ["sns:GetTopicAttributes", e.topicArn, undefined, "Allowed"],
        ["s3:GetObject", release(e), undefined, "ExplicitlyDenied"],
        ["s3:GetObject", artifact(e), undefined, "ExplicitlyDenied"],
        ["logs:GetLogEvents", logStream(e, e.serviceLogGroup, "orders/1"), undefined, "ExplicitlyDenied"],
        ["ssm:GetParameter", e.parameters.containerPort, undefined, "ExplicitlyDenied"],
        ["kms:Decrypt", e.keyArn, viaS3(e), "ExplicitlyDenied"],
        ["ecr:GetDownloadUrlForLayer", e.repository, undefined, "ExplicitlyDenied"],
        ["codepipeline:StartPipelineExecution", e.pipelineArn, undefined, "Denied"],
        ["codepipeline:PutApprovalResult", approval(e), undefined, "Denied"],
        ["ecs:UpdateService", e.serviceArn, { "ecs:cluster": e.clusterArn }, "Denied"],
        ["s3:PutBucketPolicy", e.bucketArn, undefined, "Denied"],
    ];
}

/** Break-glass: the operator's rights, and repairs of the program's key and bucket policy; no IAM, no data. */
function breakGlassIn(f: Facts, e: EnvFacts): Row[] {
    return [
        ...operates(f, e),
        ["kms:PutKeyPolicy", e.keyArn, projectTag(e), "Allowed"],
        ["kms:EnableKeyRotation", e.keyArn, projectTag(e), "Allowed"],
        ["kms:CancelKeyDeletion", e.keyArn, projectTag(e), "Allowed"],
        ["s3:PutBucketPolicy", e.bucketArn, undefined, "Allowed"],
        ["kms:GetKeyPolicy", e.keyArn, undefined, "Allowed"],
        // Not a key of another account, not the key's data, not its deletion.
        ["kms:PutKeyPolicy", others(f, e)[0].keyArn, projectTag(others(f, e)[0]), "Denied"],
        ["kms:ScheduleKeyDeletion", e.keyArn, projectTag(e), "Denied"],
        ["s3:DeleteBucket", e.bucketArn, undefined, "Denied"],
        ["s3:GetObject", release(e), undefined, "ExplicitlyDenied"],
    ];
}

/** The tool account: repositories' metadata for everyone, never their content or a push. */
function inTool(f: Facts, person: string, role: RegisteredRole): Row[] {
    const repo = f.tool.repository;
    const [, , , region, account] = repo.split(":");
    const partition = repo.split(":")[1];
    const logs = `arn:${partition}:logs:${region}:${account}:log-group:/aws/events/x:log-stream:y`;
    const data: Expected = person === "operator" ? "Denied" : "ExplicitlyDenied";
    return [
        ["codecommit:GetRepository", repo, undefined, "Allowed"],
        ["codecommit:ListBranches", repo, undefined, "Allowed"],
        ["codecommit:GitPull", repo, undefined, data],
        ["codecommit:GetFile", repo, undefined, data],
        ["codecommit:GitPush", repo, undefined, "Denied"],
        ["codecommit:DeleteRepository", repo, undefined, "Denied"],
        ["logs:GetLogEvents", logs, undefined, person === "operator" ? "Allowed" : "ExplicitlyDenied"],
        ...(person === "auditor" ? ([["iam:GetRole", f.tool.roles[0].arn, undefined, "Allowed"]] as Row[]) : []),
        ["sts:AssumeRole", role.arn, undefined, "Denied"],
    ];
}

const PERSON_TABLES: Readonly<Record<string, (f: Facts, e: EnvFacts) => Row[]>> = {
    developer: (f, e) => (e.env === "dev" ? developerInDev(f, e) : developerElsewhere(f, e)),
    operator: (f, e) => [...metadata(e), ...operates(f, e)],
    auditor: auditorIn,
    "break-glass": breakGlassIn,
};

/** Every row of a person role: its table in its account, and what nobody escalates to. */
export const personRows: PersonTable = (f, role) => {
    const person = kindOf(f, role)!.slice("person:".length);
    const own =
        role.stack === "tool" ? inTool(f, person, role) : PERSON_TABLES[person](f, f.envs[role.stack as Environment]);
    return [...own, ...nobodyEscalates(f, role)];
};

/** The table of each kind of role. A registered role of a kind not listed here fails the suite. */
export const TABLES: Readonly<Record<string, Table>> = {
    "unit-tests": untrusted("unit-tests"),
    "security-scan": untrusted("security-scan"),
    "build-image": buildImage,
    sbom: generateSbom,
    "promote-image": promoteImage,
    "image-scan-gate": imageScanGate,
    deploy,
    "publish-release": publishRelease,
    "scale-up": scaleUp,
    pipeline: pipelineRole,
    start: startRole,
    task: taskRole,
    execution: executionRole,
    "ecs-infrastructure": ecsInfrastructureRole,
    "flow-logs": flowLogsRole,
    source: sourceRole,
    forwarder: forwarderRole,
};

// ---- service principals: what AWS services do as themselves, judged by the resource policies alone ----

/** One call of a service principal: `[service, action, resource, context, expected]`. */
export type ServiceRow = readonly [
    service: string,
    action: string,
    resource: string,
    context: Context | undefined,
    expected: Expected,
];

const sourceAccount = (account: string): Context => ({ "aws:SourceAccount": account });
const ruleArn = (e: EnvFacts, rule: string) => `arn:${e.partition}:events:${e.region}:${e.account}:rule/${rule}`;

/**
 * What CodeBuild, CodePipeline, ECS tasks, EventBridge, CloudWatch and CloudWatch Logs do in an environment as
 * service principals: assume the roles whose trust names them (for this account, this rule, these tasks only), use
 * the artifact key where its policy names them, publish to the topic; and what no service may do (another account's
 * calls, another service's roles, the bucket, the bus), which the services do through roles.
 */
export function serviceRows(f: Facts, e: EnvFacts): ServiceRow[] {
    const other = others(f, e)[0];
    const projectRoles = Object.values(e.projects).map((p) => p.inputs.serviceRole as string);
    const startRule = ruleArn(e, `cicd-${e.env}-${e.service}-start`);
    const task: Context = {
        ...sourceAccount(e.account),
        "aws:SourceArn": `arn:${e.partition}:ecs:${e.region}:${e.account}:task/${e.service}/0a1b2c3d`,
    };
    const logGroup = (account: string): Context => ({
        "kms:EncryptionContext:aws:logs:arn": `arn:${e.partition}:logs:${e.region}:${account}:log-group:/aws/codebuild/x`,
    });
    const logs = `logs.${e.region}.amazonaws.com`;
    const via = { ...viaSns(e) };
    return [
        // Trust: each service assumes its own roles, for this account (and this rule, these tasks) only.
        ...projectRoles.flatMap((role): ServiceRow[] => [
            ["codebuild.amazonaws.com", "sts:AssumeRole", role, sourceAccount(e.account), "Allowed"],
            ["codebuild.amazonaws.com", "sts:AssumeRole", role, sourceAccount(other.account), "Denied"],
            ["codepipeline.amazonaws.com", "sts:AssumeRole", role, sourceAccount(e.account), "Denied"],
        ]),
        ["codepipeline.amazonaws.com", "sts:AssumeRole", roleOf(f, e, "pipeline"), sourceAccount(e.account), "Allowed"],
        [
            "codepipeline.amazonaws.com",
            "sts:AssumeRole",
            roleOf(f, e, "pipeline"),
            sourceAccount(other.account),
            "Denied",
        ],
        ["codebuild.amazonaws.com", "sts:AssumeRole", roleOf(f, e, "pipeline"), sourceAccount(e.account), "Denied"],
        ["ecs-tasks.amazonaws.com", "sts:AssumeRole", e.taskRoleArn, task, "Allowed"],
        ["ecs-tasks.amazonaws.com", "sts:AssumeRole", e.executionRoleArn, task, "Allowed"],
        [
            "ecs-tasks.amazonaws.com",
            "sts:AssumeRole",
            e.taskRoleArn,
            { ...task, ...sourceAccount(other.account) },
            "Denied",
        ],
        ["ecs-tasks.amazonaws.com", "sts:AssumeRole", roleOf(f, e, "deploy"), task, "Denied"],
        ["codebuild.amazonaws.com", "sts:AssumeRole", e.taskRoleArn, sourceAccount(e.account), "Denied"],
        [
            "events.amazonaws.com",
            "sts:AssumeRole",
            roleOf(f, e, "start"),
            { ...sourceAccount(e.account), "aws:SourceArn": startRule },
            "Allowed",
        ],
        [
            "events.amazonaws.com",
            "sts:AssumeRole",
            roleOf(f, e, "start"),
            { ...sourceAccount(e.account), "aws:SourceArn": ruleArn(e, "another-rule") },
            "Denied",
        ],
        ["events.amazonaws.com", "sts:AssumeRole", roleOf(f, e, "pipeline"), sourceAccount(e.account), "Denied"],
        // Key: EventBridge and CloudWatch encrypt what they publish to the topic; Logs encrypts this account's logs.
        ["events.amazonaws.com", "kms:GenerateDataKey", e.keyArn, via, "Allowed"],
        ["events.amazonaws.com", "kms:Decrypt", e.keyArn, via, "Allowed"],
        ["events.amazonaws.com", "kms:Encrypt", e.keyArn, via, "Denied"],
        ["events.amazonaws.com", "kms:CreateGrant", e.keyArn, via, "Denied"],
        ["cloudwatch.amazonaws.com", "kms:GenerateDataKey", e.keyArn, sourceAccount(e.account), "Allowed"],
        ["cloudwatch.amazonaws.com", "kms:GenerateDataKey", e.keyArn, sourceAccount(other.account), "Denied"],
        [logs, "kms:Encrypt", e.keyArn, logGroup(e.account), "Allowed"],
        [logs, "kms:GenerateDataKey", e.keyArn, logGroup(e.account), "Allowed"],
        [logs, "kms:Decrypt", e.keyArn, logGroup(e.account), "Allowed"],
        [logs, "kms:Encrypt", e.keyArn, logGroup(other.account), "Denied"],
        ["codebuild.amazonaws.com", "kms:Decrypt", e.keyArn, viaS3(e), "Denied"],
        ["codepipeline.amazonaws.com", "kms:GenerateDataKey", e.keyArn, viaS3(e), "Denied"],
        ["ecs-tasks.amazonaws.com", "kms:Decrypt", e.keyArn, sourceAccount(e.account), "Denied"],
        // Topic: EventBridge rules and CloudWatch alarms of this account publish, over TLS; no other service.
        ["events.amazonaws.com", "sns:Publish", e.topicArn, sourceAccount(e.account), "Allowed"],
        ["cloudwatch.amazonaws.com", "sns:Publish", e.topicArn, sourceAccount(e.account), "Allowed"],
        ["events.amazonaws.com", "sns:Publish", e.topicArn, sourceAccount(other.account), "Denied"],
        [
            "events.amazonaws.com",
            "sns:Publish",
            e.topicArn,
            { ...sourceAccount(e.account), "aws:SecureTransport": "false" },
            "ExplicitlyDenied",
        ],
        ["codepipeline.amazonaws.com", "sns:Publish", e.topicArn, sourceAccount(e.account), "Denied"],
        ["events.amazonaws.com", "sns:Subscribe", e.topicArn, sourceAccount(e.account), "Denied"],
        // Bucket and bus: the services reach them through their roles only, never as themselves.
        ["codepipeline.amazonaws.com", "s3:GetObject", artifact(e), sourceAccount(e.account), "Denied"],
        ["codebuild.amazonaws.com", "s3:PutObject", artifact(e, "image"), sseKms(e.keyArn), "Denied"],
        ["events.amazonaws.com", "s3:GetObject", release(e), sourceAccount(e.account), "Denied"],
        ["events.amazonaws.com", "events:PutEvents", e.busArn, sourceAccount(f.tool.account), "Denied"],
        ["codepipeline.amazonaws.com", "events:PutEvents", e.busArn, sourceAccount(e.account), "Denied"],
    ];
}

/** The environment a role acts for: its stack's, or for the tool account's roles the one they are named after. */
export function environmentOf(f: Facts, role: RegisteredRole): EnvFacts {
    if (role.stack !== "tool") return f.envs[role.stack as Environment];
    const env = ENVIRONMENTS.find((x) => role.name.startsWith(`cicd-${x}-`));
    if (!env) throw new Error(`tool: role ${role.name} names no environment`);
    return f.envs[env];
}

/** Every row of `role`: its kind's table, and for every role not of prod, the prod writes it must not make. */
export function rowsOf(f: Facts, role: RegisteredRole): Row[] | undefined {
    const kind = kindOf(f, role);
    if (kind?.startsWith("person:")) return [...personRows(f, role), ...(role.stack === "prod" ? [] : noProdWrites(f))];
    const table = kind === undefined ? undefined : TABLES[kind];
    if (!table) return undefined;
    const e = environmentOf(f, role);
    return [...table(f, e), ...(e.env === "prod" ? [] : noProdWrites(f))];
}
