/**
 * The IAM requests a stand-in `aws` or `docker` call makes, as AWS authorizes them: each action, the target's ARN
 * and the request context AWS sets for it. The rehearsal's authorizer (authorizer.ts) evaluates them with the
 * calling project's role before the stand-in answers. SDK-free and evaluator-free: it runs once per call.
 */
import * as fs from "fs";
import * as path from "path";

export type RequestContext = Record<string, string | string[]>;

export interface IamRequest {
    /** The API operation the CLI calls (`DescribeImages`), for AWS's error message. */
    readonly operation: string;
    readonly action: string;
    /** The target's ARN, or "*" for an action without a resource type. */
    readonly resource: string;
    readonly context?: RequestContext;
}

/** What a call is mapped with: its arguments, environment, working directory and the stand-ins' state. */
export interface CallOf {
    readonly args: string[];
    readonly env: NodeJS.ProcessEnv;
    readonly cwd: string;
    readonly state: string;
}

/** The partition of a region, as the SDKs' partition table has it (GovCloud, China, else the commercial one). */
const PARTITIONS: readonly [prefix: string, partition: string][] = [
    ["us-gov-", "aws-us-gov"],
    ["cn-", "aws-cn"],
    ["", "aws"],
];

export function partitionOf(region: string): string {
    return PARTITIONS.find(([prefix]) => region.startsWith(prefix))![1];
}

function arg(args: string[], name: string): string | undefined {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
}

interface Where {
    readonly partition: string;
    readonly region: string;
    readonly account: string;
}

function whereOf(env: NodeJS.ProcessEnv): Where {
    const region = env.AWS_REGION ?? "";
    const account = (env.REHEARSAL_ROLE_ARN ?? "").split(":")[4] ?? "";
    if (!region || !/^\d{12}$/.test(account)) {
        throw new Error("the build has no AWS_REGION or REHEARSAL_ROLE_ARN: the rehearsal sets both for each build");
    }
    return { partition: partitionOf(region), region, account };
}

const arn = (w: Where, service: string, rest: string, account = w.account) =>
    `arn:${w.partition}:${service}:${w.region}:${account}:${rest}`;

/** A repository named by an image reference `<account>.dkr.ecr.<region>.<suffix>/<name>[:tag|@digest]`. */
function repositoryOfImage(w: Where, reference: string): string {
    const [registry, ...rest] = reference.split("/");
    const name = rest.join("/").split("@")[0].split(":")[0];
    return arn(w, "ecr", `repository/${name}`, registry.split(".")[0]);
}

/** S3 calls KMS on the caller's behalf for an SSE-KMS object: kms:ViaService and the object's encryption context. */
function viaS3(w: Where, bucket: string, key: string): RequestContext {
    return {
        "kms:ViaService": `s3.${w.region}.amazonaws.com`,
        "kms:EncryptionContext:aws:s3:arn": `arn:${w.partition}:s3:::${bucket}/${key}`,
    };
}

/** The key an object was written with, as the S3 stand-in recorded it. */
function objectKey(call: CallOf, bucket: string, key: string): string | undefined {
    const meta = path.join(call.state, "s3", bucket, `${key}.meta.json`);
    return fs.existsSync(meta) ? (JSON.parse(fs.readFileSync(meta, "utf8")).kmsKeyId as string) : undefined;
}

function getObject(call: CallOf, w: Where, bucket: string, key: string): IamRequest[] {
    const kmsKey = objectKey(call, bucket, key);
    return [
        { operation: "GetObject", action: "s3:GetObject", resource: `arn:${w.partition}:s3:::${bucket}/${key}` },
        ...(kmsKey
            ? [{ operation: "GetObject", action: "kms:Decrypt", resource: kmsKey, context: viaS3(w, bucket, key) }]
            : []),
    ];
}

function putObject(call: CallOf, w: Where, bucket: string, key: string): IamRequest[] {
    const sse = arg(call.args, "--sse");
    const kmsKey = arg(call.args, "--sse-kms-key-id");
    const headers: RequestContext = {
        ...(sse ? { "s3:x-amz-server-side-encryption": sse } : {}),
        ...(kmsKey ? { "s3:x-amz-server-side-encryption-aws-kms-key-id": kmsKey } : {}),
    };
    return [
        {
            operation: "PutObject",
            action: "s3:PutObject",
            resource: `arn:${w.partition}:s3:::${bucket}/${key}`,
            context: headers,
        },
        ...(sse === "aws:kms" && kmsKey
            ? [
                  {
                      operation: "PutObject",
                      action: "kms:GenerateDataKey",
                      resource: kmsKey,
                      context: viaS3(w, bucket, key),
                  },
              ]
            : []),
    ];
}

function s3Url(url: string): { bucket: string; key: string } {
    const [bucket, ...key] = url.slice("s3://".length).split("/");
    return { bucket, key: key.join("/") };
}

function serviceRequest(w: Where, args: string[], operation: string, servicesFlag: string): IamRequest {
    const cluster = arg(args, "--cluster") ?? "default";
    const clusterArn = arn(w, "ecs", `cluster/${cluster}`);
    const taskDefinition = arg(args, "--task-definition");
    return {
        operation,
        action: `ecs:${operation}`,
        resource: arn(w, "ecs", `service/${cluster}/${arg(args, servicesFlag)}`),
        context: { "ecs:cluster": clusterArn, ...(taskDefinition ? { "ecs:task-definition": taskDefinition } : {}) },
    };
}

function parameter(w: Where, name: string | undefined): string {
    return arn(w, "ssm", `parameter/${(name ?? "").replace(/^\//, "")}`);
}

/**
 * RegisterTaskDefinition from --cli-input-json: the new revision of the family with the request's tags
 * (aws:RequestTag, aws:TagKeys, and ecs:TagResource for tagging on create), and each role it names passed to ECS
 * tasks ("To pass a role to a task, the principal needs iam:PassRole for it", ECS developer guide, task IAM role).
 */
function registerTaskDefinition(call: CallOf, w: Where): IamRequest[] {
    const file = (arg(call.args, "--cli-input-json") ?? "").replace(/^file:\/\//, "");
    const input = JSON.parse(fs.readFileSync(path.resolve(call.cwd, file), "utf8")) as Record<string, any>;
    const family = String(input.family);
    const registered = fs.existsSync(path.join(call.state, "ecs", "task-definitions.json"))
        ? Object.keys(JSON.parse(fs.readFileSync(path.join(call.state, "ecs", "task-definitions.json"), "utf8")))
        : [];
    const next = 1 + registered.filter((a) => a.includes(`:task-definition/${family}:`)).length;
    const revision = arn(w, "ecs", `task-definition/${family}:${next}`);
    const tags = (input.tags ?? []) as { key: string; value: string }[];
    const tagContext: RequestContext = {
        ...Object.fromEntries(tags.map((t) => [`aws:RequestTag/${t.key}`, t.value])),
        ...(tags.length > 0 ? { "aws:TagKeys": tags.map((t) => t.key) } : {}),
    };
    const roles = [input.taskRoleArn, input.executionRoleArn].filter((r): r is string => typeof r === "string");
    return [
        {
            operation: "RegisterTaskDefinition",
            action: "ecs:RegisterTaskDefinition",
            resource: revision,
            context: tagContext,
        },
        ...(tags.length > 0
            ? [
                  {
                      operation: "RegisterTaskDefinition",
                      action: "ecs:TagResource",
                      resource: revision,
                      context: { ...tagContext, "ecs:CreateAction": "RegisterTaskDefinition" },
                  },
              ]
            : []),
        ...roles.map((role) => ({
            operation: "RegisterTaskDefinition",
            action: "iam:PassRole",
            resource: role,
            context: { "iam:PassedToService": "ecs-tasks.amazonaws.com" },
        })),
    ];
}

/** The IAM requests of `aws <args>`. A command the table does not know is an error: every call is authorized. */
export function awsRequests(call: CallOf): IamRequest[] {
    const w = whereOf(call.env);
    const args = call.args;
    const [service, op, ...rest] = args;
    const repository = () =>
        arn(w, "ecr", `repository/${arg(args, "--repository-name")}`, arg(args, "--registry-id") ?? w.account);
    switch (`${service} ${op}`) {
        case "ecr get-login-password":
            return [{ operation: "GetAuthorizationToken", action: "ecr:GetAuthorizationToken", resource: "*" }];
        case "ecr describe-images":
            return [{ operation: "DescribeImages", action: "ecr:DescribeImages", resource: repository() }];
        case "ecr get-registry-scanning-configuration":
            return [
                {
                    operation: "GetRegistryScanningConfiguration",
                    action: "ecr:GetRegistryScanningConfiguration",
                    resource: "*",
                },
            ];
        case "ecr describe-image-scan-findings":
            return [
                {
                    operation: "DescribeImageScanFindings",
                    action: "ecr:DescribeImageScanFindings",
                    resource: repository(),
                },
            ];
        case "inspector2 list-findings":
            return [{ operation: "ListFindings", action: "inspector2:ListFindings", resource: "*" }];
        case "s3api get-object":
            return getObject(call, w, arg(args, "--bucket") ?? "", arg(args, "--key") ?? "");
        case "s3 cp": {
            const [from, to] = rest;
            if (to?.startsWith("s3://")) return putObject(call, w, s3Url(to).bucket, s3Url(to).key);
            if (from?.startsWith("s3://")) return getObject(call, w, s3Url(from).bucket, s3Url(from).key);
            break;
        }
        case "ecs describe-services":
            return [serviceRequest(w, args, "DescribeServices", "--services")];
        case "ecs wait":
            return [serviceRequest(w, args, "DescribeServices", "--services")];
        case "ecs update-service":
            return [serviceRequest(w, args, "UpdateService", "--service")];
        case "ecs describe-task-definition":
            return [{ operation: "DescribeTaskDefinition", action: "ecs:DescribeTaskDefinition", resource: "*" }];
        case "ecs register-task-definition":
            return registerTaskDefinition(call, w);
        case "ssm get-parameter":
            return [
                { operation: "GetParameter", action: "ssm:GetParameter", resource: parameter(w, arg(args, "--name")) },
            ];
        case "ssm put-parameter":
            return [
                { operation: "PutParameter", action: "ssm:PutParameter", resource: parameter(w, arg(args, "--name")) },
            ];
    }
    throw new Error(`no IAM requests known for aws ${args.join(" ")}: add them to rehearsal/iamRequests.ts`);
}

/** ECR's actions of a push and of a pull (ECR user guide, "Private repository policy examples": push and pull). */
const PUSH = [
    "BatchCheckLayerAvailability",
    "InitiateLayerUpload",
    "UploadLayerPart",
    "CompleteLayerUpload",
    "PutImage",
];
const PULL = ["BatchGetImage", "GetDownloadUrlForLayer"];

/** The IAM requests of `docker <args>`: a push or pull of an ECR image; login, build, tag and inspect are local. */
export function dockerRequests(call: CallOf): IamRequest[] {
    const [command, ...rest] = call.args;
    const actions = command === "push" ? PUSH : command === "pull" ? PULL : [];
    if (actions.length === 0) return [];
    const w = whereOf(call.env);
    const resource = repositoryOfImage(w, rest[0]);
    return actions.map((a) => ({ operation: a, action: `ecr:${a}`, resource }));
}

/** The error code AWS answers a denied request with, by service (S3's is AccessDenied). */
const DENIED_CODE: Readonly<Record<string, string>> = { s3: "AccessDenied" };

/**
 * What the CLI (or docker, for a push or pull) prints when AWS denies `request` to the role's session, as AWS words
 * it: "User: <assumed role> is not authorized to perform: <action> on resource: <arn> because ...".
 */
export function accessDeniedMessage(
    tool: "aws" | "docker",
    request: IamRequest,
    session: string,
    explicit: boolean,
): string {
    const service = request.operation === "GetObject" || request.operation === "PutObject" ? "s3" : "";
    const reason = explicit
        ? "with an explicit deny in a policy"
        : `because no identity-based policy allows the ${request.action} action`;
    const text = `User: ${session} is not authorized to perform: ${request.action} on resource: ${request.resource} ${reason}`;
    if (tool === "docker") return `denied: ${text}`;
    const code = DENIED_CODE[service] ?? "AccessDeniedException";
    return `An error occurred (${code}) when calling the ${request.operation} operation: ${text}`;
}

/** The session a CodeBuild build's role runs under: assumed-role/<role>/AWSCodeBuild-<build uuid>. */
export function sessionArn(roleArn: string, buildId: string): string {
    const [, partition, , , account, resource] = roleArn.split(":");
    const role = resource.split("/").pop();
    return `arn:${partition}:sts::${account}:assumed-role/${role}/AWSCodeBuild-${buildId.split(":").pop()}`;
}
