import * as crypto from "crypto";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { partitionOfRegion, StackConfigError } from "../../domain/config";
import { AliasSpec } from "./aliases";
import { answerInvoke, AwsWorld, dnsSuffixFor } from "./awsAnswers";
import { PROJECT_ROOT, readProjectFile, resolveStack } from "./stackFiles";
import { temporaryProject } from "./temporaryProject";

/** One resource the program registered, with the options the engine would have seen. */
export interface RecordedResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly parent?: string;
    readonly custom: boolean;
    /** A provider-side component (e.g. awsx v3): opaque under mocks. */
    readonly remote: boolean;
    readonly inputs: Record<string, any>;
    /** Outputs the mocks returned (inputs plus ids and ARNs). */
    readonly state: Record<string, any>;
    readonly provider?: string;
    readonly protect: boolean;
    readonly retainOnDelete: boolean;
    readonly ignoreChanges: readonly string[];
    /** Former names (or URNs) the resource answers to. */
    readonly aliases?: readonly string[];
    /** The same aliases as the engine receives them: a URN, or a spec of what differs (see offline/runtime/aliases.ts). */
    readonly aliasSpecs?: readonly AliasSpec[];
    readonly dependencies: readonly string[];
    /** Each input property's dependencies (URNs), as the engine hands them to a stack policy. */
    readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
    /** The plugin version the SDK asked for (set on providers). */
    readonly version?: string;
}

/** The request's dependencies per input property (the SDK sends them for every input it resolved). */
function propertyDependenciesOf(req: any): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((deps: any, key: string) => {
        out[key] = deps.getUrnsList();
    });
    return out;
}

/** One alias of a registration request (the engine's Alias message: a URN, or a spec whose empty fields are unchanged). */
function aliasSpecOf(a: any): AliasSpec {
    if (!a.hasSpec()) return { urn: a.getUrn() };
    const spec = a.getSpec();
    return {
        ...(spec.getName() ? { name: spec.getName() } : {}),
        ...(spec.getType() ? { type: spec.getType() } : {}),
        ...(spec.getStack() ? { stack: spec.getStack() } : {}),
        ...(spec.getProject() ? { project: spec.getProject() } : {}),
        ...(spec.getNoparent() ? { noParent: true } : spec.getParenturn() ? { parentUrn: spec.getParenturn() } : {}),
    };
}

export interface RecordedCall {
    readonly token: string;
    readonly inputs: Record<string, any>;
    readonly provider?: string;
}

export interface StackRun {
    readonly project: string;
    readonly stack: string;
    readonly config: Readonly<Record<string, string>>;
    /** Keys whose values are secure (set with --secret). */
    readonly secretKeys?: readonly string[];
    /**
     * Secure keys the offline reader could not decrypt (see resolveStack): the program got UNDECRYPTED_SECRET and
     * checked nothing of them.
     */
    readonly undecryptedSecrets?: readonly string[];
    /** The stack file's secrets provider, when it names one (e.g. awskms://...). */
    readonly secretsProvider?: string;
    /** Every registered resource except the root `pulumi:pulumi:Stack`. */
    readonly resources: RecordedResource[];
    readonly calls: RecordedCall[];
    readonly outputs?: Record<string, any>;
    /** What the program threw, if it failed. */
    readonly error?: Error;
}

export interface RunOptions {
    /** A stack file other than `Pulumi.<stack>.yaml` (fixtures). */
    readonly stackFile?: string;
    /** Config values replacing or (with undefined) removing the file's. Keys may omit the project namespace. */
    readonly overrides?: Record<string, unknown>;
    /** The partition the mocked provider reports; default: the one of aws:region. */
    readonly reportedPartition?: string;
    /** What AWS-computed outputs (ids, ARNs, URLs) are; default "deployed". */
    readonly outputs?: ComputedOutputs;
    /**
     * Shared values (Pulumi.yaml's `value:`s, e.g. services) replaced for every stack: the run uses a temporary
     * project with its own Pulumi.yaml (a stack file, and so `overrides`, may not contradict them).
     */
    readonly projectValues?: Record<string, unknown>;
    /** What the account holds before the run (data sources answer from it); default: nothing. */
    readonly world?: AwsWorld;
}

/**
 * "preview": unknown, as in `pulumi preview` of a new stack (what the engine and its policy pack see);
 * "deployed": deterministic values shaped like AWS's, as after `pulumi up` (exact statements in tests).
 */
export type ComputedOutputs = "preview" | "deployed";

const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";

/**
 * Runs the program for one stack under Pulumi's mock runtime, fed exactly as `pulumi preview` would feed it
 * (project and stack names, Pulumi.yaml defaults and the stack file's values), and records what it registers.
 */
export async function runStack(
    stack: string,
    program: () => Promise<Record<string, any> | void>,
    options: RunOptions = {},
): Promise<StackRun> {
    const root = options.projectValues ? temporaryProject(options.projectValues) : PROJECT_ROOT;
    const { config, secretKeys, undecrypted, secretsProvider } = resolveStack(stack, {
        root,
        stackFile: options.stackFile,
        overrides: options.overrides,
    });
    // The SDK records a stack trace for every promise and resource (leak reports and source positions that
    // only the engine shows). Offline they are never read, and they cost most of a run: skip the frames.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
        const secrets = {
            secretKeys,
            undecryptedSecrets: undecrypted,
            ...(secretsProvider ? { secretsProvider } : {}),
        };
        return await runRecorded(stack, program, config, options, root, secrets);
    } finally {
        Error.stackTraceLimit = stackTraceLimit;
    }
}

async function runRecorded(
    stack: string,
    program: () => Promise<Record<string, any> | void>,
    config: Record<string, string>,
    options: RunOptions,
    root: string,
    secrets: Pick<StackRun, "secretKeys" | "undecryptedSecrets" | "secretsProvider">,
): Promise<StackRun> {
    const project = readProjectFile(root).name;
    const region = config["aws:region"] ?? "us-east-1";
    const partition = options.reportedPartition ?? partitionOfRegion(region) ?? "aws";
    // The stack's own account, for ARNs; a config too broken to name one gets a placeholder (it fails validation).
    const account = config[`${project}:${config[`${project}:environment`]}AccountId`] ?? "123456789012";

    const resources: RecordedResource[] = [];
    const calls: RecordedCall[] = [];
    const mocks = new AwsMocks(partition, region, account, options.outputs, options.world);

    pulumi.runtime.setAllConfig(config, [...(secrets.secretKeys ?? [])]);
    await pulumi.runtime.setMocks(mocks, project, stack, true);
    // The project's directory, as the engine hands it to the program (getRootDirectory): it reads Pulumi.yaml there.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the SDK's internal settings store
    (require("@pulumi/pulumi/runtime/state").getStore().settings.options as { rootDirectory: string }).rootDirectory =
        root;
    const monitor = pulumi.runtime.getMonitor() as any;
    monitor.newUrn = engineUrn;
    let pending = 0;
    let settled: () => void = () => undefined;
    const track = <T>(promise: Promise<T>): Promise<T> => {
        pending++;
        return promise.finally(() => {
            pending--;
            if (pending === 0) settled();
        });
    };

    const registerResource = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: (err: any, res: any) => void) =>
        track(
            new Promise<void>((resolve) => {
                registerResource(req, (err: any, res: any) => {
                    if (!err && req.getType() !== ROOT_STACK_TYPE) {
                        const urn = res.getUrn();
                        resources.push({
                            urn,
                            type: req.getType(),
                            name: req.getName(),
                            parent: req.getParent() || undefined,
                            custom: req.getCustom(),
                            remote: req.getRemote(),
                            inputs: pulumi.runtime.deserializeProperties(req.getObject()),
                            state: pulumi.runtime.deserializeProperties(res.getObject()),
                            provider: req.getProvider() || undefined,
                            protect: req.getProtect() === true,
                            retainOnDelete: req.getRetainondelete() === true,
                            ignoreChanges: req.getIgnorechangesList(),
                            aliases: req
                                .getAliasesList()
                                .map((a: any) => (a.hasSpec() ? a.getSpec().getName() : a.getUrn())),
                            aliasSpecs: req.getAliasesList().map(aliasSpecOf),
                            dependencies: req.getDependenciesList(),
                            propertyDependencies: propertyDependenciesOf(req),
                            ...(req.getVersion() ? { version: req.getVersion() } : {}),
                        });
                    }
                    callback(err, res);
                    resolve();
                });
            }),
        );
    const invoke = monitor.invoke.bind(monitor);
    monitor.invoke = (req: any, callback: (err: any, res: any) => void) => {
        calls.push({
            token: req.getTok(),
            inputs: pulumi.runtime.deserializeProperties(req.getArgs()),
            provider: req.getProvider() || undefined,
        });
        return track(
            new Promise<void>((resolve) =>
                invoke(req, (err: any, res: any) => {
                    callback(err, res);
                    resolve();
                }),
            ),
        );
    };

    let outputs: Record<string, any> | undefined;
    let error: Error | undefined;
    const fail = (e: unknown) => {
        error ??= e instanceof Error ? e : new Error(String(e));
        return {};
    };
    // The program's error is caught inside the stack's init so that no rejection escapes the runtime.
    await pulumi.runtime
        .runInPulumiStack(async () => {
            try {
                return (await program()) ?? {};
            } catch (e) {
                return fail(e);
            }
        })
        .then((o) => (outputs = error ? undefined : (o as Record<string, any>)), fail);
    // Registrations started by the program may still be in flight: wait until the monitor is idle.
    for (let idle = 0; idle < 3;) {
        if (pending > 0) {
            await new Promise<void>((resolve) => (settled = resolve));
            idle = 0;
        } else {
            await new Promise((resolve) => setImmediate(resolve));
            idle++;
        }
    }
    // The program names Pulumi.<stack>.yaml, as the CLI reads it; a fixture run names the file it really read.
    if (error instanceof StackConfigError && options.stackFile) {
        error = new StackConfigError(path.basename(options.stackFile), error.problems);
    }
    return { project, stack, config, ...secrets, resources, calls, outputs, error };
}

/**
 * A resource's URN as the engine forms it: the parent's whole qualified type, then the resource's type, except
 * under the root stack, whose type is left out (the SDK's mock monitor keeps only the parent's last type and
 * prefixes the root's).
 */
export function engineUrn(parent: string | undefined, type: string, name: string): string {
    const parentType = parent ? parent.split("::")[2] : undefined;
    const qualified = parentType && parentType !== ROOT_STACK_TYPE ? `${parentType}$${type}` : type;
    return `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${qualified}::${name}`;
}

/** Mocks that answer like AWS in the stack's partition: ids, ARNs, names. */
export class AwsMocks implements pulumi.runtime.Mocks {
    private serial = 0;

    constructor(
        readonly partition: string,
        readonly region: string,
        readonly account: string,
        readonly outputs: ComputedOutputs = "deployed",
        readonly world: AwsWorld = {},
    ) {}

    newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
        // As the engine's stand-in providers answer a preview: the inputs back, every computed output unknown.
        if (this.outputs === "preview") return { id: undefined, state: args.custom ? { ...(args.inputs ?? {}) } : {} };
        if (!args.custom) return { id: undefined, state: this.componentState(args) };
        const inputs = args.inputs ?? {};
        const [pkg, module] = args.type.split(/[:/]/);
        if (pkg === "pulumi") return { id: `${args.name}-provider-id`, state: inputs };
        const id = this.idFor(args.type, args.name, inputs);
        const arn = this.arnFor(args.type, module, id, inputs);
        const state: Record<string, any> = { ...inputs, id, arn };
        if (inputs.name === undefined && inputs.namePrefix === undefined) state.name = id;
        switch (args.type) {
            case "aws:s3/bucket:Bucket":
                Object.assign(state, { bucket: id, bucketDomainName: `${id}.s3.amazonaws.com` });
                break;
            case "aws:kms/key:Key":
                Object.assign(state, { keyId: id });
                break;
            case "aws:iam/role:Role":
            case "aws:iam/user:User":
                Object.assign(state, { name: id, uniqueId: `AROA${this.hash(id, 16).toUpperCase()}` });
                break;
            case "aws:ecr/repository:Repository":
                Object.assign(state, {
                    name: id,
                    repositoryUrl: `${this.account}.dkr.ecr.${this.region}.${this.dnsSuffix}/${id}`,
                    registryId: this.account,
                });
                break;
            case "aws:codecommit/repository:Repository":
                Object.assign(state, {
                    repositoryName: inputs.repositoryName,
                    cloneUrlHttp: `https://git-codecommit.${this.region}.${this.dnsSuffix}/v1/repos/${inputs.repositoryName}`,
                });
                break;
            case "aws:lb/loadBalancer:LoadBalancer":
                Object.assign(state, { dnsName: `${id}-1234567890.${this.region}.elb.${this.dnsSuffix}` });
                break;
            case "aws:ec2/vpc:Vpc":
                Object.assign(state, { id: `vpc-${this.hash(args.name, 17)}` });
                break;
        }
        return { id: state.id, state };
    }

    /** Outputs of provider-side (remote) components, which have no children under mocks. */
    private componentState(args: pulumi.runtime.MockResourceArgs): Record<string, any> {
        if (args.type !== "awsx:ec2:Vpc") return {};
        const subnet = (kind: string, zone: number) => `subnet-${this.hash(`${args.name}-${kind}-${zone}`, 17)}`;
        const privateSubnetIds = [0, 1].map((z) => subnet("private", z));
        const publicSubnetIds = [0, 1].map((z) => subnet("public", z));
        return {
            vpcId: `vpc-${this.hash(args.name, 17)}`,
            privateSubnetIds,
            publicSubnetIds,
            isolatedSubnetIds: [],
        };
    }

    call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
        const at = { region: this.region, account: this.account };
        const answer = answerInvoke(args.token, at, args.inputs, this.world);
        // As the engine's stand-in provider: nothing is invented for a data source the table does not know.
        if (answer === undefined) throw new Error(`no offline answer for ${args.token}`);
        // A test may make the provider report another partition than the region's.
        if (args.token === "aws:index/getPartition:getPartition") {
            return { ...answer, id: this.partition, partition: this.partition };
        }
        return answer;
    }

    private get dnsSuffix(): string {
        return dnsSuffixFor(this.partition);
    }

    private idFor(type: string, name: string, inputs: Record<string, any>): string {
        const explicit =
            inputs.bucket ?? inputs.name ?? inputs.repositoryName ?? inputs.roleName ?? inputs.functionName;
        if (typeof explicit === "string") return explicit;
        if (type === "aws:kms/key:Key") return this.uuid(name);
        if (typeof inputs.namePrefix === "string") return `${inputs.namePrefix}${this.hash(name, 8)}`;
        return `${name}-${this.hash(name, 7)}`;
    }

    private arnFor(type: string, module: string, id: string, inputs: Record<string, any>): string {
        const p = this.partition;
        const resourceKind = type.split(":")[2] ?? "";
        const kind = resourceKind.charAt(0).toLowerCase() + resourceKind.slice(1);
        switch (module) {
            case "s3":
                return `arn:${p}:s3:::${inputs.bucket ?? id}`;
            case "iam":
                return `arn:${p}:iam::${this.account}:${kind}/${inputs.path && inputs.path !== "/" ? inputs.path.replace(/^\/|\/$/g, "") + "/" : ""}${id}`;
            case "sns":
                return `arn:${p}:sns:${this.region}:${this.account}:${id}`;
            case "codecommit":
            case "codepipeline":
                return `arn:${p}:${module}:${this.region}:${this.account}:${id}`;
            case "cloudwatch":
                if (kind === "logGroup") return `arn:${p}:logs:${this.region}:${this.account}:log-group:${id}`;
                if (kind === "metricAlarm") return `arn:${p}:cloudwatch:${this.region}:${this.account}:alarm:${id}`;
                if (kind === "eventBus") return `arn:${p}:events:${this.region}:${this.account}:event-bus/${id}`;
                return `arn:${p}:events:${this.region}:${this.account}:rule/${id}`;
            case "codebuild":
                return `arn:${p}:codebuild:${this.region}:${this.account}:${kind === "reportGroup" ? "report-group" : "project"}/${id}`;
            case "ecr":
                return `arn:${p}:ecr:${this.region}:${this.account}:repository/${id}`;
            case "ecs":
                // As ECS names them: a service under its cluster, a task definition by family and revision.
                if (kind === "service" && typeof inputs.cluster === "string") {
                    return `arn:${p}:ecs:${this.region}:${this.account}:service/${inputs.cluster.split("/").pop()}/${id}`;
                }
                if (kind === "taskDefinition" && typeof inputs.family === "string") {
                    return `arn:${p}:ecs:${this.region}:${this.account}:task-definition/${inputs.family}:1`;
                }
                return `arn:${p}:ecs:${this.region}:${this.account}:${kind}/${id}`;
            default:
                return `arn:${p}:${module}:${this.region}:${this.account}:${kind}/${id}`;
        }
    }

    private uuid(seed: string): string {
        const h = this.hash(`${seed}-${this.serial++}`, 32);
        return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
    }

    private hash(value: string, length: number): string {
        return crypto.createHash("sha256").update(value).digest("hex").slice(0, length);
    }
}

/** Resolves an Output (or a plain value) to its value; unknown values resolve to undefined. */
export function promiseOf<T>(output: pulumi.Input<T>): Promise<T> {
    return new Promise((resolve) => pulumi.output(output).apply((v) => resolve(v as T)));
}
