/**
 * Local stand-ins for the `aws` and `docker` commands the buildspecs call, run as executables on the build's PATH
 * (see shimScript). State lives in files under REHEARSAL_STATE so that dev and qa share one "cloud":
 *   s3/<bucket>/<key> (+ .meta.json), ecr/<registry>/<repository>/tags/<tag>, ecr/<registry>/<repository>/images/<digest>,
 *   docker/local.json (local image references), docker/contexts/<digest>/ (what a built image holds),
 *   ecs/<cluster>/<service>.json, ecs/task-definitions.json (by ARN, with tags),
 *   ssm.json (<account>:<name> -> value and version), keys.json (artifact key ARN per account),
 *   findings.json (ECR scan counts).
 * A service that gets tasks (update-service) starts one from its task definition's image and health-checks it on the
 * port of its load balancer entry (task.ts); a failing task fails the deployment and the circuit breaker rolls the
 * service back.
 * They enforce what AWS would: the artifact bucket policy (SSE-KMS with the bucket's own key, no writes across
 * accounts, cross-account reads of releases/<service>/ only), immutable ECR tags, pulls only of pushed digests.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { dockerfileProblems, readDockerfile } from "./dockerfile";
import type { AuthorizationAnswer } from "./authorizer";
import { accessDeniedMessage, awsRequests, dockerRequests, sessionArn } from "./iamRequests";
import { startTask, TaskSpec } from "./task";
// The deploy contract without the Pulumi SDK: this module runs once per aws or docker call.
import { formatArn } from "../domain/naming";
import { partitionOfRegion } from "../domain/regions";
import { TASK_DEFINITION_SERVICE_TAG } from "../targets/fargate/contract";

export { imageContents } from "./task";

export class StandInError extends Error {
    constructor(
        message: string,
        readonly exitCode = 254,
    ) {
        super(message);
    }
}

/** What a stand-in call sees: its arguments, environment, standard input and the shared state directory. */
export interface Call {
    readonly args: string[];
    readonly env: NodeJS.ProcessEnv;
    readonly cwd: string;
    readonly state: string;
    readonly stdin?: string;
}

function arg(args: string[], name: string): string | undefined {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
}

function required(args: string[], name: string): string {
    const value = arg(args, name);
    if (value === undefined) throw new StandInError(`aws stand-in: ${args.slice(0, 2).join(" ")} needs ${name}`, 2);
    return value;
}

function readJson<T>(file: string, fallback: T): T {
    return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as T) : fallback;
}

function writeFile(file: string, content: string): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
}

/** The account a build runs in: the one of its own ECR registry (ECR_REGISTRY). */
function callerAccount(env: NodeJS.ProcessEnv): string {
    const account = /^(\d{12})\.dkr\.ecr\./.exec(env.ECR_REGISTRY ?? "")?.[1];
    if (!account) throw new StandInError(`aws stand-in: ECR_REGISTRY "${env.ECR_REGISTRY}" names no account`, 2);
    return account;
}

/** The account that owns an artifact bucket (cicd-artifacts-<account>-<region>). */
function bucketAccount(bucket: string): string | undefined {
    return /^cicd-artifacts-(\d{12})-/.exec(bucket)?.[1];
}

const ACCESS_DENIED = (op: string) =>
    new StandInError(`An error occurred (AccessDenied) when calling the ${op} operation: Access Denied`);

function s3Get(call: Call, bucket: string, key: string, out: string): string {
    const account = callerAccount(call.env);
    const owner = bucketAccount(bucket);
    const file = path.join(call.state, "s3", bucket, key);
    // The artifact bucket's policy opens releases/<service>/ to the next environment's build role, nothing else.
    const crossAccountOk = key.startsWith(`releases/${call.env.SERVICE_NAME}/`);
    if (owner !== account && !crossAccountOk) throw ACCESS_DENIED("GetObject");
    // Without s3:ListBucket a missing object answers AccessDenied, as the real bucket does.
    if (!fs.existsSync(file)) throw ACCESS_DENIED("GetObject");
    fs.copyFileSync(file, path.resolve(call.cwd, out));
    return JSON.stringify({ ServerSideEncryption: "aws:kms" });
}

function s3Put(call: Call, source: string, bucket: string, key: string): string {
    const args = call.args;
    const owner = bucketAccount(bucket);
    if (owner !== callerAccount(call.env)) throw ACCESS_DENIED("PutObject");
    const keys = readJson<Record<string, string>>(path.join(call.state, "keys.json"), {});
    // The bucket policy denies a put without aws:kms or with any other key than the artifact key.
    if (arg(args, "--sse") !== "aws:kms" || arg(args, "--sse-kms-key-id") !== keys[owner])
        throw ACCESS_DENIED("PutObject");
    const file = path.join(call.state, "s3", bucket, key);
    writeFile(file, fs.readFileSync(path.resolve(call.cwd, source), "utf8"));
    const meta = { sse: "aws:kms", kmsKeyId: keys[owner], contentType: arg(args, "--content-type") };
    writeFile(`${file}.meta.json`, JSON.stringify(meta));
    return `upload: ${source} to s3://${bucket}/${key}`;
}

function repositoryDir(call: Call, registry: string, repository: string): string {
    return path.join(call.state, "ecr", registry, repository);
}

function imageTag(spec: string | undefined, prefix: string): string {
    if (!spec?.startsWith(prefix)) throw new StandInError(`aws stand-in: expected ${prefix}..., got ${spec}`, 2);
    return spec.slice(prefix.length);
}

/** `aws ...` as the buildspecs call it. Returns standard output. */
export function aws(call: Call): string {
    const [service, op, ...rest] = call.args;
    const args = call.args;
    switch (`${service} ${op}`) {
        case "ecr get-login-password":
            return "stand-in-token";
        case "ecr describe-images": {
            const tag = imageTag(required(args, "--image-ids"), "imageTag=");
            const dir = repositoryDir(call, call.env.ECR_REGISTRY!, required(args, "--repository-name"));
            const file = path.join(dir, "tags", tag);
            if (!fs.existsSync(file)) {
                throw new StandInError(
                    "An error occurred (ImageNotFoundException) when calling the DescribeImages operation: " +
                        `The image with imageId {imageTag:'${tag}'} does not exist`,
                );
            }
            return fs.readFileSync(file, "utf8");
        }
        case "ecr get-registry-scanning-configuration":
            // The stand-in registry scans on push with basic scanning; Inspector's enhanced scanning is not stood in
            // (test/buildspecBehaviour.test.ts covers the gate's enhanced path).
            return "BASIC";
        case "ecr describe-image-scan-findings": {
            const digest = imageTag(required(args, "--image-id"), "imageDigest=");
            const dir = repositoryDir(call, call.env.ECR_REGISTRY!, required(args, "--repository-name"));
            if (!fs.existsSync(path.join(dir, "images", digest.replace(":", "-")))) {
                throw new StandInError(`An error occurred (ImageNotFoundException): no image ${digest}`);
            }
            // Scan on push completes at once here; the gate asks the status, then the severity counts.
            if (arg(args, "--query") === "imageScanStatus.status") return "COMPLETE";
            return JSON.stringify(readJson(path.join(call.state, "findings.json"), {}));
        }
        case "s3api get-object":
            return s3Get(call, required(args, "--bucket"), required(args, "--key"), rest[rest.length - 1]);
        case "s3 cp": {
            const [from, to] = rest;
            if (to?.startsWith("s3://")) {
                const [bucket, ...key] = to.slice(5).split("/");
                return s3Put(call, from, bucket, key.join("/"));
            }
            if (from?.startsWith("s3://")) {
                const [bucket, ...key] = from.slice(5).split("/");
                return s3Get(call, bucket, key.join("/"), to);
            }
            throw new StandInError(`aws stand-in: unexpected s3 cp ${rest.join(" ")}`, 2);
        }
        case "ecs describe-services": {
            const service = ecsService(call, required(args, "--cluster"), required(args, "--services"));
            // scale-up asks for the count only; the deploy step reads the deployments.
            if (arg(args, "--query") === "services[0].desiredCount") return String(service.desiredCount);
            return JSON.stringify({ services: [service] });
        }
        case "ecs update-service":
            return JSON.stringify({ service: updateService(call) });
        case "ssm get-parameter":
            return getParameter(call);
        case "ssm put-parameter":
            return JSON.stringify(putParameterCall(call));
        case "ecs describe-task-definition": {
            const described = readTaskDefinitions(call.state)[required(args, "--task-definition")];
            if (!described) {
                throw new StandInError(
                    "An error occurred (ClientException) when calling the DescribeTaskDefinition operation: Unable to describe task definition.",
                );
            }
            return JSON.stringify(
                args.includes("--include") ? described : { taskDefinition: described.taskDefinition },
            );
        }
        case "ecs register-task-definition":
            return registerTaskDefinition(call);
        case "ecs wait": {
            const service = ecsService(call, required(args, "--cluster"), required(args, "--services"));
            if (!service.healthy)
                throw new StandInError("Waiter ServicesStable failed: the deployed tasks are not healthy");
            return "";
        }
        default:
            throw new StandInError(`aws stand-in: no stand-in for aws ${args.join(" ")}`, 2);
    }
}

/** A load balancer entry of a service, as DescribeServices answers it and UpdateService takes it (ALB). */
export interface EcsLoadBalancer {
    targetGroupArn: string;
    containerName: string;
    containerPort: number;
}

/** What the ECS stand-in keeps of a service. */
export interface EcsService {
    desiredCount: number;
    /** The revision the service runs (its primary deployment's). */
    taskDefinition?: string;
    loadBalancers?: EcsLoadBalancer[];
    deployments?: EcsDeployment[];
    imageUri?: string;
    healthy?: boolean;
}

export interface EcsDeployment {
    id: string;
    status: "PRIMARY" | "ACTIVE";
    taskDefinition: string;
    rolloutState: "IN_PROGRESS" | "COMPLETED" | "FAILED";
    rolloutStateReason?: string;
    runningCount: number;
    desiredCount: number;
    /**
     * The load balancers of this deployment's service revision (the stand-in's record; ECS keeps them in the
     * service revision, which a rollback returns to).
     */
    loadBalancers?: EcsLoadBalancer[];
}

/** A registered revision as DescribeTaskDefinition --include TAGS answers it. */
export interface DescribedTaskDefinition {
    taskDefinition: Record<string, any>;
    tags: { key: string; value: string }[];
}

const TASK_DEFINITIONS = ["ecs", "task-definitions.json"];
/** DescribeTaskDefinition's fields that RegisterTaskDefinition does not take. */
const DESCRIBED_ONLY = [
    "taskDefinitionArn",
    "revision",
    "status",
    "requiresAttributes",
    "compatibilities",
    "registeredAt",
    "registeredBy",
];

export function readTaskDefinitions(state: string): Record<string, DescribedTaskDefinition> {
    return readJson(path.join(state, ...TASK_DEFINITIONS), {});
}

export function writeTaskDefinitions(state: string, definitions: Record<string, DescribedTaskDefinition>): void {
    writeFile(path.join(state, ...TASK_DEFINITIONS), JSON.stringify(definitions, null, 2));
}

export function ssmFile(call: Pick<Call, "state">): string {
    return path.join(call.state, "ssm.json");
}

/** A String parameter as the SSM stand-in keeps it: its value and version (1, then one more per write). */
export interface StoredParameter {
    readonly value: string;
    readonly version: number;
}

/** The String parameter `name` of `account`, if it exists. */
export function readParameter(state: string, account: string, name: string): StoredParameter | undefined {
    return readJson<Record<string, StoredParameter>>(ssmFile({ state }), {})[`${account}:${name}`];
}

/** Writes the String parameter `name` of `account` (what `pulumi up` does); returns its new version. */
export function putParameter(state: string, account: string, name: string, value: string): number {
    const parameters = readJson<Record<string, StoredParameter>>(ssmFile({ state }), {});
    const version = (parameters[`${account}:${name}`]?.version ?? 0) + 1;
    writeFile(ssmFile({ state }), JSON.stringify({ ...parameters, [`${account}:${name}`]: { value, version } }));
    return version;
}

/** GetParameter; with `--query Parameter.Value --output text` (as the buildspecs ask) the value alone. */
function getParameter(call: Call): string {
    const name = required(call.args, "--name");
    const parameter = readParameter(call.state, callerAccount(call.env), name);
    if (!parameter) {
        throw new StandInError(
            `An error occurred (ParameterNotFound) when calling the GetParameter operation: ${name}`,
        );
    }
    const query = arg(call.args, "--query");
    if (query === "Parameter.Value") return parameter.value;
    if (query !== undefined)
        throw new StandInError(`aws stand-in: ssm get-parameter --query ${query} is not stood in`, 2);
    return JSON.stringify({
        Parameter: { Name: name, Type: "String", Value: parameter.value, Version: parameter.version },
    });
}

/**
 * PutParameter of a String parameter: an existing one only with --overwrite ("Overwrite: ... The default value is
 * false", SSM API reference, PutParameter), which makes a new version; a new one needs --type.
 */
function putParameterCall(call: Call): { Version: number; Tier: string } {
    const name = required(call.args, "--name");
    const value = required(call.args, "--value");
    const account = callerAccount(call.env);
    const existing = readParameter(call.state, account, name);
    if (existing && !call.args.includes("--overwrite")) {
        throw new StandInError(
            "An error occurred (ParameterAlreadyExists) when calling the PutParameter operation: The parameter " +
                "already exists. To overwrite this value, set the overwrite option in the request to true.",
        );
    }
    if (!existing && arg(call.args, "--type") !== "String") {
        throw new StandInError(`aws stand-in: ssm put-parameter of the new parameter ${name} needs --type String`, 2);
    }
    return { Version: putParameter(call.state, account, name, value), Tier: "Standard" };
}

/**
 * RegisterTaskDefinition from --cli-input-json, as ECS and the deploy role allow it: no field of a described
 * revision (ECS refuses unknown parameters), the service's tag (the role's aws:RequestTag condition), and a new
 * revision of the family in the caller's account.
 */
function registerTaskDefinition(call: Call): string {
    const file = required(call.args, "--cli-input-json").replace(/^file:\/\//, "");
    const input = JSON.parse(fs.readFileSync(path.resolve(call.cwd, file), "utf8")) as Record<string, any>;
    const unknown = DESCRIBED_ONLY.filter((k) => k in input);
    if (unknown.length > 0)
        throw new StandInError(`Parameter validation failed: Unknown parameter in input: "${unknown[0]}"`);
    const { tags = [], ...definition } = input;
    const family = String(definition.family);
    if (
        !tags.some((t: { key: string; value: string }) => t.key === TASK_DEFINITION_SERVICE_TAG && t.value === family)
    ) {
        throw ACCESS_DENIED("RegisterTaskDefinition");
    }
    const region = call.env.AWS_REGION ?? "us-gov-west-1";
    const prefix = formatArn({
        partition: partitionOfRegion(region) ?? "aws",
        service: "ecs",
        region,
        accountId: callerAccount(call.env),
        resource: `task-definition/${family}:`,
    });
    const definitions = readTaskDefinitions(call.state);
    const revision =
        1 +
        Math.max(
            0,
            ...Object.keys(definitions)
                .filter((a) => a.startsWith(prefix))
                .map((a) => Number(a.slice(prefix.length))),
        );
    const arn = `${prefix}${revision}`;
    definitions[arn] = { taskDefinition: { ...definition, taskDefinitionArn: arn, revision, status: "ACTIVE" }, tags };
    writeTaskDefinitions(call.state, definitions);
    return arn;
}

/** A JSON parameter of the AWS CLI: inline, or `file://<path>` read relative to the working directory. */
function cliJson<T>(call: Call, value: string): T {
    const text = value.startsWith("file://")
        ? fs.readFileSync(path.resolve(call.cwd, value.slice("file://".length)), "utf8")
        : value;
    try {
        return JSON.parse(text) as T;
    } catch {
        throw new StandInError(`aws stand-in: ${value} is not JSON (the shorthand syntax is not stood in)`, 2);
    }
}

const INVALID_PARAMETER = (message: string) =>
    new StandInError(
        `An error occurred (InvalidParameterException) when calling the UpdateService operation: ${message}`,
    );

/**
 * ECS checks a service's load balancer entries against the revision it is to run: each names a container of it
 * and a port that container maps, else UpdateService fails (pulumi/pulumi-awsx#1172: "The container app did not
 * have a container port 80 defined"). So a new port needs the new revision and the new entry in one call.
 */
function checkLoadBalancers(loadBalancers: EcsLoadBalancer[], revision: Record<string, any>): void {
    for (const lb of loadBalancers) {
        const container = (revision.containerDefinitions ?? []).find(
            (c: { name: string }) => c.name === lb.containerName,
        );
        if (!container)
            throw INVALID_PARAMETER(`The container ${lb.containerName} does not exist in the task definition.`);
        const ports = (container.portMappings ?? []).map((m: { containerPort: number }) => m.containerPort);
        if (!ports.includes(lb.containerPort)) {
            throw INVALID_PARAMETER(
                `The container ${lb.containerName} did not have a container port ${lb.containerPort} defined.`,
            );
        }
    }
}

/**
 * UpdateService: a new task definition or new load balancers start a deployment (IN_PROGRESS until its tasks are
 * checked). --load-balancers replaces the service's entries; "when you add, update, or remove a load balancer
 * configuration, Amazon ECS starts new tasks with the updated Elastic Load Balancing configuration" (ECS API
 * reference, UpdateService, loadBalancers).
 */
function updateService(call: Call): EcsService {
    const args = call.args;
    const file = ecsFile(call, required(args, "--cluster"), required(args, "--service"));
    const service = ecsService(call, required(args, "--cluster"), required(args, "--service"));
    const count = arg(args, "--desired-count");
    if (count !== undefined) service.desiredCount = Number(count);
    const newTaskDefinition = arg(args, "--task-definition");
    const newLoadBalancers = arg(args, "--load-balancers");
    const taskDefinition = newTaskDefinition ?? service.taskDefinition;
    const described = taskDefinition === undefined ? undefined : readTaskDefinitions(call.state)[taskDefinition];
    if (!described) {
        throw new StandInError(`An error occurred (ClientException): TaskDefinition not found: ${taskDefinition}`);
    }
    const loadBalancers =
        newLoadBalancers === undefined
            ? (service.loadBalancers ?? [])
            : cliJson<EcsLoadBalancer[]>(call, newLoadBalancers);
    checkLoadBalancers(loadBalancers, described.taskDefinition);
    if (newTaskDefinition !== undefined || newLoadBalancers !== undefined) {
        const previous = (service.deployments ?? []).filter((d) => d.status === "PRIMARY");
        service.deployments = [
            {
                id: `ecs-svc/${(service.deployments ?? []).length + 1}${Date.now()}`,
                status: "PRIMARY",
                taskDefinition: taskDefinition!,
                rolloutState: "IN_PROGRESS",
                runningCount: 0,
                desiredCount: service.desiredCount,
                loadBalancers,
            },
            ...previous.map((d) => ({ ...d, status: "ACTIVE" as const })),
        ];
        service.taskDefinition = taskDefinition;
        service.loadBalancers = loadBalancers;
    }
    for (const d of service.deployments ?? []) if (d.status === "PRIMARY") d.desiredCount = service.desiredCount;
    writeFile(file, JSON.stringify(service));
    return service;
}

/**
 * What ECS does after an UpdateService: with tasks wanted, start one from the primary deployment's revision and
 * health-check it; a failing task fails the deployment and the circuit breaker rolls back to the previous one.
 */
async function settleService(call: Call): Promise<void> {
    const cluster = required(call.args, "--cluster");
    const name = required(call.args, "--service");
    const file = ecsFile(call, cluster, name);
    const service = ecsService(call, cluster, name);
    const primary = (service.deployments ?? []).find((d) => d.status === "PRIMARY");
    if (!primary) return;
    const described = readTaskDefinitions(call.state)[primary.taskDefinition];
    const container = (described?.taskDefinition.containerDefinitions ?? []).find(
        (c: { name: string }) => c.name === call.env.CONTAINER_NAME,
    );
    let ok = true;
    let output = "";
    if (service.desiredCount > 0) {
        const taskDir = path.join(call.state, "tasks", cluster, name);
        ({ ok, output } = container
            ? await startTask(call.state, taskSpec(call, container, service), taskDir)
            : { ok: false, output: `no container ${call.env.CONTAINER_NAME}` });
        fs.appendFileSync(path.join(call.state, "tasks.log"), output);
    }
    const previous = (service.deployments ?? []).find((d) => d.status === "ACTIVE");
    if (ok) {
        service.deployments = [{ ...primary, rolloutState: "COMPLETED", runningCount: service.desiredCount }];
        service.imageUri = container?.image;
    } else if (previous) {
        // The circuit breaker fails the deployment and rolls back to the last completed service revision: its task
        // definition and its load balancers (ECS developer guide, "Amazon ECS service revisions").
        service.loadBalancers = previous.loadBalancers ?? service.loadBalancers;
        service.deployments = [
            { ...previous, status: "PRIMARY" },
            {
                ...primary,
                status: "ACTIVE",
                rolloutState: "FAILED",
                rolloutStateReason: `ECS deployment circuit breaker: tasks failed to start. ${output.trim().split("\n").pop()}`,
            },
        ];
        service.taskDefinition = previous.taskDefinition;
    } else {
        service.deployments = [
            {
                ...primary,
                rolloutState: "FAILED",
                rolloutStateReason: "ECS deployment circuit breaker: tasks failed to start.",
            },
        ];
    }
    service.healthy = ok;
    writeFile(file, JSON.stringify(service));
}

/**
 * The task of `container` (a container definition) for the service: its environment (secrets are not stood in),
 * its mapped ports, and the port the load balancer checks, its entry's (ELB health checks use the traffic port,
 * i.e. the port a target is registered with, which ECS takes from the service's load balancer entry).
 */
function taskSpec(call: Call, container: Record<string, any>, service: EcsService): TaskSpec {
    const containerPorts = (container.portMappings ?? []).map((m: { containerPort: number }) => m.containerPort);
    const entry = (service.loadBalancers ?? []).find((lb) => lb.containerName === container.name);
    return {
        image: container.image,
        registry: call.env.ECR_REGISTRY ?? "",
        environment: Object.fromEntries(
            (container.environment ?? []).map((v: { name: string; value: string }) => [v.name, v.value]),
        ),
        containerPorts,
        healthCheckPort: entry?.containerPort ?? containerPorts[0],
        healthCheckPath: call.env.REHEARSAL_HEALTH_CHECK_PATH ?? "",
    };
}

export function ecsFile(call: Pick<Call, "state">, cluster: string, service: string): string {
    return path.join(call.state, "ecs", cluster, `${service}.json`);
}

function ecsService(call: Call, cluster: string, service: string): EcsService {
    const file = ecsFile(call, cluster, service);
    if (!fs.existsSync(file)) throw new StandInError(`An error occurred (ServiceNotFoundException): ${service}`);
    return readJson<EcsService>(file, { desiredCount: 0 });
}

/** Files of a build context, as `docker build` sends them (.dockerignore honoured for names and top folders). */
function contextFiles(dir: string): string[] {
    const ignoreFile = path.join(dir, ".dockerignore");
    const ignored = fs.existsSync(ignoreFile)
        ? fs
              .readFileSync(ignoreFile, "utf8")
              .split("\n")
              .map((l) => l.trim())
              .filter((l) => l && !l.startsWith("#"))
        : [];
    const glob = (p: string) => new RegExp(`^${p.replace(/[.+^$()|[\]]/g, "\\$&").replace(/\*/g, "[^/]*")}(/|$)`);
    const patterns = ignored.map(glob);
    return fs
        .readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
        .filter((f) => !patterns.some((p) => p.test(f) || p.test(path.basename(f))))
        .sort();
}

interface LocalImages {
    [reference: string]: string;
}

function parseReference(ref: string): { registry: string; repository: string; tag?: string; digest?: string } {
    const [registry, ...rest] = ref.split("/");
    const remainder = rest.join("/");
    if (remainder.includes("@")) {
        const [repository, digest] = remainder.split("@");
        return { registry, repository, digest };
    }
    const [repository, tag] = remainder.split(":");
    return { registry, repository, tag };
}

/** `docker ...` as the buildspecs call it: login, build (checks the Dockerfile contract), push, pull, tag. */
export function docker(call: Call): string {
    const [command, ...rest] = call.args;
    const localFile = path.join(call.state, "docker", "local.json");
    const local = readJson<LocalImages>(localFile, {});
    const save = () => writeFile(localFile, JSON.stringify(local, null, 2));
    switch (command) {
        case "login":
            return "Login Succeeded";
        case "build": {
            const tag = arg(rest, "--tag") ?? arg(rest, "-t");
            if (!tag) throw new StandInError("docker stand-in: build needs --tag", 2);
            const buildArgs: Record<string, string> = {};
            rest.forEach((a, i) => {
                if (a === "--build-arg") {
                    const [k, ...v] = rest[i + 1].split("=");
                    buildArgs[k] = v.join("=");
                }
            });
            const context = path.resolve(call.cwd, rest[rest.length - 1]);
            const dockerfile = path.join(context, "Dockerfile");
            if (!fs.existsSync(dockerfile))
                throw new StandInError("docker stand-in: no Dockerfile in the build context", 1);
            const text = fs.readFileSync(dockerfile, "utf8");
            const problems = dockerfileProblems(readDockerfile(text, buildArgs), {
                healthCheckPath: call.env.REHEARSAL_HEALTH_CHECK_PATH ?? "",
            });
            if (problems.length > 0) {
                throw new StandInError(
                    `The Dockerfile breaks the service contract:\n  - ${problems.join("\n  - ")}`,
                    1,
                );
            }
            const files = contextFiles(context);
            const hash = createHash("sha256").update(JSON.stringify(buildArgs));
            for (const f of files) hash.update(`${f}\0`).update(fs.readFileSync(path.join(context, f)));
            const digest = `sha256:${hash.digest("hex")}`;
            const image = path.join(call.state, "docker", "contexts", digest.replace(":", "-"));
            if (!fs.existsSync(image)) {
                for (const f of files) writeFile(path.join(image, f), fs.readFileSync(path.join(context, f), "utf8"));
                fs.writeFileSync(path.join(image, ".dockerfile.json"), JSON.stringify(readDockerfile(text, buildArgs)));
            }
            local[tag] = digest;
            save();
            return `Successfully tagged ${tag} (stand-in image ${digest})`;
        }
        case "push": {
            const ref = parseReference(rest[0]);
            const digest = local[rest[0]];
            if (!digest || !ref.tag)
                throw new StandInError(`An image does not exist locally with the tag: ${rest[0]}`, 1);
            const dir = repositoryDir(call, ref.registry, ref.repository);
            const tagFile = path.join(dir, "tags", ref.tag);
            if (fs.existsSync(tagFile) && fs.readFileSync(tagFile, "utf8") !== digest) {
                throw new StandInError(
                    `tag invalid: The image tag '${ref.tag}' already exists in the '${ref.repository}' repository ` +
                        "and cannot be overwritten because the repository is immutable.",
                    1,
                );
            }
            writeFile(tagFile, digest);
            writeFile(path.join(dir, "images", digest.replace(":", "-")), "");
            return `${ref.tag}: digest: ${digest}`;
        }
        case "pull": {
            const ref = parseReference(rest[0]);
            const dir = repositoryDir(call, ref.registry, ref.repository);
            if (!ref.digest || !fs.existsSync(path.join(dir, "images", ref.digest.replace(":", "-")))) {
                throw new StandInError(
                    `Error response from daemon: manifest for ${rest[0]} not found: manifest unknown`,
                    1,
                );
            }
            local[rest[0]] = ref.digest;
            save();
            return `Status: Downloaded newer image for ${rest[0]}`;
        }
        case "inspect": {
            // Only the RepoDigests of a pushed reference, as build-image asks for it.
            const ref = rest[rest.length - 1];
            const { registry, repository, tag } = parseReference(ref);
            const tagFile = path.join(repositoryDir(call, registry, repository), "tags", tag ?? "");
            if (!fs.existsSync(tagFile)) throw new StandInError(`Error: No such object: ${ref}`, 1);
            return `${registry}/${repository}@${fs.readFileSync(tagFile, "utf8")}`;
        }
        case "tag": {
            const digest = local[rest[0]];
            if (!digest) throw new StandInError(`Error response from daemon: No such image: ${rest[0]}`, 1);
            local[rest[1]] = digest;
            save();
            return "";
        }
        default:
            throw new StandInError(`docker stand-in: no stand-in for docker ${call.args.join(" ")}`, 2);
    }
}

/** A bash shim that runs `tool` through this module, for the build's PATH. */
export function shimScript(tool: "aws" | "docker"): string {
    const register = path.join(__dirname, "..", "scripts", "register.js");
    return `#!/usr/bin/env bash\nexec "${process.execPath}" -r "${register}" "${__filename}" ${tool} "$@"\n`;
}

/**
 * Asks the rehearsal's authorizer (REHEARSAL_AUTHORIZER) whether AWS allows each IAM request of the call to the
 * build's role (REHEARSAL_ROLE_ARN); a denied request fails the call with AWS's AccessDenied message, as the CLI or
 * docker prints it, before the stand-in does anything.
 */
async function authorizeCall(tool: "aws" | "docker", call: Call): Promise<void> {
    const url = call.env.REHEARSAL_AUTHORIZER;
    const role = call.env.REHEARSAL_ROLE_ARN;
    if (!url || !role)
        throw new Error("REHEARSAL_AUTHORIZER or REHEARSAL_ROLE_ARN is not set: every call is authorized");
    const requests = tool === "aws" ? awsRequests(call) : dockerRequests(call);
    if (requests.length === 0) return;
    const response = await fetch(url, { method: "POST", body: JSON.stringify({ role, requests }) });
    if (!response.ok) throw new Error(`the rehearsal's authorizer failed: ${await response.text()}`);
    const { denied } = (await response.json()) as AuthorizationAnswer;
    if (denied) {
        const session = sessionArn(role, call.env.CODEBUILD_BUILD_ID ?? "");
        throw new StandInError(
            accessDeniedMessage(tool, denied.request, session, denied.explicit),
            tool === "aws" ? 254 : 1,
        );
    }
}

async function main(): Promise<void> {
    const [tool, ...args] = process.argv.slice(2);
    const state = process.env.REHEARSAL_STATE;
    if (!state) throw new Error("REHEARSAL_STATE is not set");
    fs.appendFileSync(path.join(state, "calls.log"), `${tool} ${args.join(" ")}\n`);
    const stdin = tool === "docker" && args[0] === "login" ? fs.readFileSync(0, "utf8") : undefined;
    const call: Call = { args, env: process.env, cwd: process.cwd(), state, stdin };
    try {
        await authorizeCall(tool as "aws" | "docker", call);
        const out = tool === "aws" ? aws(call) : docker(call);
        if (tool === "aws" && args[0] === "ecs" && args[1] === "update-service") await settleService(call);
        if (out) process.stdout.write(`${out}\n`);
    } catch (err) {
        if (!(err instanceof StandInError)) throw err;
        process.stderr.write(`${err.message}\n`);
        process.exit(err.exitCode);
    }
}

if (require.main === module) void main();
