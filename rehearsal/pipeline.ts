/**
 * A local rehearsal of a service's pipeline: the stages and actions the program declares (pipelineStages), in
 * their order, each CodeBuild action running its buildspec with the real tools (npm ci, npm test, secretlint,
 * ESLint with eslint-plugin-security, npm audit, the CycloneDX generator) and only AWS and Docker stood in
 * (standins.ts). The deploy step is a CodeBuild action too; the stand-in ECS starts a task when a service gets tasks
 * (task.ts: the image's command with node, health-checked on the port of the service's load balancer entry). The
 * source action is stood in by a copy of the service's files.
 */
import { createHash, randomUUID } from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { StackRun } from "../offline/runtime/mockRuntime";
import { BuildProjectKey, buildProjectName, stepFacts } from "../components/buildProjects";
import { pipelineStages, SOURCE_ARTIFACT, SOURCE_NAMESPACE } from "../components/servicePipeline";
import {
    BOOTSTRAP_IMAGE_TAG,
    containerDefinitions,
    DEFAULT_CONTAINER_PORT,
    DEFAULT_HEALTH_CHECK_PATH,
    DEPLOY_ENV,
    LOG_GROUP_PREFIX,
    SCALE_UP_ENV,
} from "../targets/fargate/service";
import { EnvironmentName } from "../domain/config";
import { formatArn } from "../domain/naming";
import { FARGATE_PIPELINE_STEPS } from "../targets/fargate/deployStep";
import { startAuthorizer } from "./authorizer";
import { RegisteredEnvironment, registeredEnvironment, registeredRuns } from "./registration";
import { artifactFiles, BuildResult, runBuildspec } from "./runner";
import {
    DescribedTaskDefinition,
    ecsFile,
    EcsLoadBalancer,
    EcsService,
    putParameter,
    readParameter,
    readTaskDefinitions,
    StoredParameter,
    writeTaskDefinitions,
} from "./standins";

/** The example accounts of the checked-in stack files, and their region (GovCloud). */
export const ACCOUNTS: Readonly<Record<"dev" | "qa", string>> = { dev: "271828182845", qa: "161803398874" };
export const REGION = "us-gov-west-1";
export const PARTITION = "aws-us-gov";
/** Files of a working copy that are not part of the commit (CodeCommit's zip holds committed files only). */
const NOT_COMMITTED = ["node_modules", "reports", ".git"];

export interface RehearsalOptions {
    /** The service's directory (its repository's files). */
    readonly serviceDir: string;
    /** Scratch directory for artifacts, state and build copies; emptied first. */
    readonly workDir: string;
    /** Service name (names the repository, release keys). Default: the directory's name. */
    readonly serviceName?: string;
    /** Environments in order; promotion needs the previous one. Default: dev, then qa. */
    readonly environments?: readonly ("dev" | "qa")[];
    /** NPM_AUDIT_REGISTRY of the security scan. Default: unset (npm's configured registry). */
    readonly auditRegistry?: string;
    /** What the ECR scan stand-in reports, e.g. {"HIGH": 1}. Default: no findings. */
    readonly imageFindings?: Record<string, number>;
    /** The stack's containerPort: Pulumi's revision maps it and sets PORT to it. Default DEFAULT_CONTAINER_PORT. */
    readonly containerPort?: number;
    /**
     * The port the running service receives traffic on, as an earlier deploy left it (its revision, its load
     * balancer entry and the container-port parameter). Default: containerPort, and the service is as the first
     * `pulumi up` leaves it (0 tasks on Pulumi's revision); when it differs, the service runs 2 tasks of an earlier
     * deploy on this port and the deploy step must switch it.
     */
    readonly servedContainerPort?: number;
    /** Progress lines. Default: none. */
    readonly log?: (line: string) => void;
    /**
     * A change to a stack's registration (a copy) before the rehearsal, e.g. a role narrowed by one action: the
     * builds run with the changed roles and the authorizer evaluates every call against them. Default: none.
     */
    readonly registration?: (run: StackRun) => StackRun;
}

/** One action's outcome. */
export interface ActionResult {
    readonly env: EnvironmentName;
    readonly stage: string;
    readonly action: string;
    readonly ok: boolean;
    /** The failing step and its output, when it failed. */
    readonly failedStep?: string;
    readonly output: string;
}

export interface RehearsalResult {
    readonly ok: boolean;
    readonly actions: ActionResult[];
    /** Where the pipeline stopped: environment, stage and failed actions; undefined when it passed. */
    readonly stoppedAt?: { env: EnvironmentName; stage: string; actions: string[] };
    /** The commit id the rehearsal gave the service's files. */
    readonly commit: string;
    /** The stand-in S3 objects, by `bucket/key`. */
    readonly s3: (bucket: string, key: string) => string | undefined;
    /** Metadata the stand-in S3 keeps of an object (sse, kmsKeyId, contentType). */
    readonly s3Meta: (bucket: string, key: string) => Record<string, string> | undefined;
    /** The stand-in ECS service of an environment: its revision, deployments and image. */
    readonly ecsService: (env: "dev" | "qa") => EcsService;
    /** Every registered task definition (Pulumi's and the deploy step's), by ARN, with tags. */
    readonly taskDefinitions: () => Record<string, DescribedTaskDefinition>;
    /** A stand-in SSM parameter of an environment's account: its value and version. */
    readonly parameter: (env: "dev" | "qa", name: string) => StoredParameter | undefined;
    /** The aws and docker calls of the builds, in order, one line each (`aws ecs update-service ...`). */
    readonly calls: () => string[];
    /** What the stand-in ECS's tasks printed: command, PORT, container ports, output, health check. */
    readonly taskLog: () => string;
    /** The variables each build of an environment got: its projects' registered ones and the rehearsal's. */
    readonly vars: (env: "dev" | "qa") => Readonly<Record<string, string>>;
    /** The revision the (first) `pulumi up` of an environment registered, as the rehearsal seeded it. */
    readonly pulumiRevision: (env: "dev" | "qa") => PulumiRevision;
}

function copyTree(from: string, to: string, skip: readonly string[] = []): void {
    fs.cpSync(from, to, { recursive: true, filter: (src) => !skip.includes(path.basename(src)) || src === from });
}

/** A commit id for the service's files: the sha1 of their paths and contents (the rehearsal needs no git). */
export function commitOf(dir: string): string {
    const hash = createHash("sha1");
    const files = fs
        .readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
        .filter((f) => !f.split(path.sep).some((part) => NOT_COMMITTED.includes(part)))
        .sort();
    for (const f of files) hash.update(`${f}\0`).update(fs.readFileSync(path.join(dir, f)));
    return hash.digest("hex");
}

/**
 * Environment variables of a build: its projects' as the program registers them, with what CodeBuild sets
 * (AWS_REGION) and the rehearsal's own (a short deploy timeout, no polling delay, the audit registry).
 */
function projectEnv(registered: RegisteredEnvironment, options: RehearsalOptions): Record<string, string> {
    const expected = [DEPLOY_ENV.family, DEPLOY_ENV.parameter, DEPLOY_ENV.portParameter, SCALE_UP_ENV.cluster];
    const missing = expected.filter((name) => registered.vars[name] === undefined);
    if (missing.length > 0) throw new Error(`the registered projects set no ${missing.join(", ")}`);
    return {
        ...registered.vars,
        AWS_REGION: REGION,
        [DEPLOY_ENV.timeoutMinutes]: "1",
        DEPLOY_POLL_SECONDS: "0",
        REHEARSAL_HEALTH_CHECK_PATH: DEFAULT_HEALTH_CHECK_PATH,
        ...(options.auditRegistry ? { NPM_AUDIT_REGISTRY: options.auditRegistry } : {}),
    };
}

/** The action's EnvironmentVariables with the pipeline's variables resolved. */
function actionEnv(json: string | undefined, commit: string, executionId: string): Record<string, string> {
    const resolved: Record<string, string> = {};
    for (const v of JSON.parse(json ?? "[]") as { name: string; value: string }[]) {
        resolved[v.name] = v.value
            .replace("#{codepipeline.PipelineExecutionId}", executionId)
            .replace(`#{${SOURCE_NAMESPACE}.CommitId}`, commit);
    }
    return resolved;
}

/** The stand-in ECS's state: Pulumi's revision (what `pulumi up` registered) and its SSM parameter. */
export interface PulumiRevision {
    readonly arn: string;
    readonly taskDefinition: Record<string, unknown>;
    readonly tags: { key: string; value: string }[];
}

/**
 * The revision `pulumi up` registers for the service (containerDefinitions of the program, bootstrap image), with a
 * secret, 512 CPU units and 1 GiB that the running service does not have yet: the deploy step must carry them.
 * Its roles and tags are the registered task definition's. `containerPort` is the stack's (default
 * DEFAULT_CONTAINER_PORT), `revision` its number in the family (default 1).
 */
export function pulumiRevision(
    env: "dev" | "qa",
    service: string,
    vars: Readonly<Record<string, string>>,
    task: Pick<RegisteredEnvironment, "taskRoleArn" | "executionRoleArn" | "taskTags">,
    { containerPort = DEFAULT_CONTAINER_PORT, revision = 1 }: { containerPort?: number; revision?: number } = {},
): PulumiRevision {
    const account = ACCOUNTS[env];
    const arn = (service: string, resource: string) =>
        formatArn({ partition: PARTITION, service, region: REGION, accountId: account, resource });
    const taskDefinition = {
        family: service,
        taskRoleArn: task.taskRoleArn,
        executionRoleArn: task.executionRoleArn,
        networkMode: "awsvpc",
        requiresCompatibilities: ["FARGATE"],
        cpu: "512",
        memory: "1024",
        runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
        volumes: [{ name: "tmp" }],
        containerDefinitions: containerDefinitions({
            name: vars.CONTAINER_NAME,
            image: `${vars.REPOSITORY_URI}:${BOOTSTRAP_IMAGE_TAG}`,
            containerPort,
            healthCheckPath: DEFAULT_HEALTH_CHECK_PATH,
            logGroupName: `${LOG_GROUP_PREFIX}${service}`,
            region: REGION,
            secrets: [{ name: "DATABASE_URL", valueFrom: arn("secretsmanager", "secret:db-AbC123") }],
            environment: { NODE_ENV: "production" },
        }),
    };
    return {
        arn: arn("ecs", `task-definition/${service}:${revision}`),
        taskDefinition,
        tags: [...task.taskTags],
    };
}

/** The stand-in target group of a service's load balancer (ELB's ARN form; the id is made up). */
export function targetGroupArn(env: "dev" | "qa", service: string): string {
    return formatArn({
        partition: PARTITION,
        service: "elasticloadbalancing",
        region: REGION,
        accountId: ACCOUNTS[env],
        resource: `targetgroup/${service}/0123456789abcdef`,
    });
}

/** Registers `revision` as the stand-in ECS would (ACTIVE, with its number) and returns its ARN. */
function register(state: string, revision: PulumiRevision, image?: string): string {
    const definitions = readTaskDefinitions(state);
    const taskDefinition = revision.taskDefinition as { containerDefinitions: object[] };
    const containers = image ? taskDefinition.containerDefinitions.map((c) => ({ ...c, image })) : undefined;
    definitions[revision.arn] = {
        taskDefinition: {
            ...taskDefinition,
            ...(containers ? { containerDefinitions: containers } : {}),
            taskDefinitionArn: revision.arn,
            revision: Number(revision.arn.split(":").pop()),
            status: "ACTIVE",
        },
        tags: revision.tags,
    };
    writeTaskDefinitions(state, definitions);
    return revision.arn;
}

/**
 * The service and parameters as `pulumi up` leaves them before this run. The first `pulumi up`: the service at 0
 * tasks on Pulumi's revision, its load balancer entry and the container-port parameter on containerPort. With a
 * servedContainerPort of its own: revision 1 (`pulumi up` on that port), revision 2 (an earlier deploy of it, whose
 * 2 tasks the service runs, its load balancer entry on that port, recorded in the container-port parameter), and
 * revision 3 (this `pulumi up`, on containerPort) in the task definition parameter.
 */
function seedService(
    state: string,
    env: "dev" | "qa",
    service: string,
    vars: Record<string, string>,
    registered: RegisteredEnvironment,
    options: RehearsalOptions,
): PulumiRevision {
    const containerPort = options.containerPort ?? DEFAULT_CONTAINER_PORT;
    const served = options.servedContainerPort ?? containerPort;
    const loadBalancers: EcsLoadBalancer[] = [
        { targetGroupArn: targetGroupArn(env, service), containerName: vars.CONTAINER_NAME, containerPort: served },
    ];
    let running: EcsService;
    let latest: string;
    if (served === containerPort) {
        latest = register(state, pulumiRevision(env, service, vars, registered, { containerPort }));
        running = { desiredCount: 0, taskDefinition: latest, loadBalancers };
    } else {
        register(state, pulumiRevision(env, service, vars, registered, { containerPort: served }));
        const earlier = pulumiRevision(env, service, vars, registered, { containerPort: served, revision: 2 });
        const deployed = register(state, earlier, `${vars.REPOSITORY_URI}@sha256:${"e".repeat(64)}`);
        latest = register(state, pulumiRevision(env, service, vars, registered, { containerPort, revision: 3 }));
        const deployment = {
            id: "ecs-svc/1000000000000000000",
            status: "PRIMARY" as const,
            taskDefinition: deployed,
            rolloutState: "COMPLETED" as const,
            runningCount: 2,
            desiredCount: 2,
            loadBalancers,
        };
        running = { desiredCount: 2, taskDefinition: deployed, loadBalancers, deployments: [deployment] };
    }
    const ecs = ecsFile({ state }, vars[SCALE_UP_ENV.cluster], vars[SCALE_UP_ENV.service]);
    fs.mkdirSync(path.dirname(ecs), { recursive: true });
    fs.writeFileSync(ecs, JSON.stringify(running));
    putParameter(state, ACCOUNTS[env], vars[DEPLOY_ENV.parameter], latest);
    putParameter(state, ACCOUNTS[env], vars[DEPLOY_ENV.portParameter], String(served));
    return pulumiRevision(env, service, vars, registered, { containerPort: served });
}

/** Rehearses the pipeline of `options.serviceDir` for each environment in order; stops where the pipeline would. */
export async function rehearse(options: RehearsalOptions): Promise<RehearsalResult> {
    const log = options.log ?? (() => undefined);
    const service = options.serviceName ?? path.basename(path.resolve(options.serviceDir));
    const work = path.resolve(options.workDir);
    fs.rmSync(work, { recursive: true, force: true });
    const state = path.join(work, "state");
    fs.mkdirSync(state, { recursive: true });
    fs.writeFileSync(path.join(state, "calls.log"), "");
    fs.writeFileSync(path.join(state, "findings.json"), JSON.stringify(options.imageFindings ?? {}));
    const environments = options.environments ?? ["dev", "qa"];
    const runs = (await registration()).map((run) => (options.registration ?? ((r) => r))(structuredClone(run)));
    const registered = Object.fromEntries(
        runs.map((run) => [run.stack, registeredEnvironment(run, service)]),
    ) as Record<"dev" | "qa", RegisteredEnvironment>;
    const envVars = Object.fromEntries(
        (["dev", "qa"] as const).map((env) => [env, projectEnv(registered[env], options)]),
    ) as Record<"dev" | "qa", Record<string, string>>;
    // The artifact key of each account, for the stand-in bucket policy (SSE-KMS with the bucket's own key).
    const keys = Object.fromEntries(
        (["dev", "qa"] as const).map((env) => [ACCOUNTS[env], envVars[env].ARTIFACT_KEY_ARN]),
    );
    fs.writeFileSync(path.join(state, "keys.json"), JSON.stringify(keys));
    const authorizer = await startAuthorizer(runs);
    try {
        return await rehearseEnvironments({
            options,
            service,
            state,
            environments,
            registered,
            envVars,
            log,
            authorizerUrl: authorizer.url,
        });
    } finally {
        await authorizer.close();
    }
}

const registrationOnce: { runs?: Promise<StackRun[]> } = {};

/** The dev and qa stacks as the program registers them, run once per process. */
function registration(): Promise<StackRun[]> {
    registrationOnce.runs ??= registeredRuns(["dev", "qa"]);
    return registrationOnce.runs;
}

async function rehearseEnvironments(ctx: {
    options: RehearsalOptions;
    service: string;
    state: string;
    environments: readonly ("dev" | "qa")[];
    registered: Record<"dev" | "qa", RegisteredEnvironment>;
    envVars: Record<"dev" | "qa", Record<string, string>>;
    log: (line: string) => void;
    authorizerUrl: string;
}): Promise<RehearsalResult> {
    const { options, service, state, log } = ctx;
    const work = path.resolve(options.workDir);
    const seeded: Partial<Record<"dev" | "qa", PulumiRevision>> = {};
    const commit = commitOf(options.serviceDir);
    const actions: ActionResult[] = [];
    const result = (stoppedAt?: RehearsalResult["stoppedAt"]): RehearsalResult => ({
        ok: !stoppedAt,
        actions,
        stoppedAt,
        commit,
        s3: (bucket, key) => {
            const f = path.join(state, "s3", bucket, key);
            return fs.existsSync(f) ? fs.readFileSync(f, "utf8") : undefined;
        },
        ecsService: (env) => {
            const vars = ctx.envVars[env];
            const file = ecsFile({ state }, vars[SCALE_UP_ENV.cluster], vars[SCALE_UP_ENV.service]);
            return JSON.parse(fs.readFileSync(file, "utf8"));
        },
        taskDefinitions: () => readTaskDefinitions(state),
        s3Meta: (bucket, key) => {
            const f = path.join(state, "s3", bucket, `${key}.meta.json`);
            return fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, "utf8")) : undefined;
        },
        parameter: (env, name) => readParameter(state, ACCOUNTS[env], name),
        calls: () => fs.readFileSync(path.join(state, "calls.log"), "utf8").split("\n").filter(Boolean),
        taskLog: () => {
            const f = path.join(state, "tasks.log");
            return fs.existsSync(f) ? fs.readFileSync(f, "utf8") : "";
        },
        vars: (env) => ctx.envVars[env],
        pulumiRevision: (env) => {
            const revision = seeded[env];
            if (!revision) throw new Error(`${env} was not rehearsed`);
            return revision;
        },
    });

    for (const env of ctx.environments) {
        const vars = ctx.envVars[env];
        const executionId = createHash("sha256").update(`${env}${commit}`).digest("hex").slice(0, 36);
        seeded[env] = seedService(state, env, service, vars, ctx.registered[env], options);
        const image: BuildProjectKey = env === "dev" ? "buildImage" : "promoteImage";
        const projects = {
            unitTests: "unitTests",
            securityScan: "securityScan",
            image,
            generateSbom: "generateSbom",
            imageScanGate: "imageScanGate",
            deploy: "deploy",
            publishRelease: "publishRelease",
            scaleUp: "scaleUp",
        };
        const stages = pipelineStages({
            env,
            repositoryName: service,
            branch: env,
            sourceRoleArn: "source-role",
            steps: FARGATE_PIPELINE_STEPS,
            projects: { ...projects, [image]: image },
            requireApproval: false,
            approvalTopicArn: "approval-topic",
        });
        const artifacts = path.join(work, env, "artifacts");
        for (const stage of stages) {
            const stageActions = stage.actions as Action[];
            const groups = [...new Set(stageActions.map((a) => Number(a.runOrder ?? 1)))].sort((a, b) => a - b);
            for (const order of groups) {
                const failed: string[] = [];
                for (const action of stageActions.filter((a) => Number(a.runOrder ?? 1) === order)) {
                    const outcome = await runAction(action, {
                        env,
                        vars,
                        service,
                        registered: ctx.registered[env],
                        authorizerUrl: ctx.authorizerUrl,
                        state,
                        artifacts,
                        commit,
                        executionId,
                        options,
                    });
                    actions.push({ env, stage: stage.name as string, action: action.name as string, ...outcome });
                    log(
                        `${env} ${stage.name}/${action.name}: ${outcome.ok ? "passed" : `FAILED at ${outcome.failedStep}`}`,
                    );
                    if (!outcome.ok) failed.push(action.name as string);
                }
                // Parallel actions all finish; then a failure stops the pipeline at this stage.
                if (failed.length > 0) return result({ env, stage: stage.name as string, actions: failed });
            }
        }
    }
    return result();
}

type Action = {
    name: string;
    provider: string;
    runOrder?: number;
    configuration?: Record<string, string>;
    inputArtifacts?: string[];
    outputArtifacts?: string[];
};

async function runAction(
    action: Action,
    ctx: {
        env: "dev" | "qa";
        vars: Record<string, string>;
        service: string;
        registered: RegisteredEnvironment;
        authorizerUrl: string;
        state: string;
        artifacts: string;
        commit: string;
        executionId: string;
        options: RehearsalOptions;
    },
): Promise<{ ok: boolean; failedStep?: string; output: string }> {
    const config = action.configuration as Record<string, string>;
    const [input, ...secondaryInputs] = (action.inputArtifacts as string[] | undefined) ?? [];
    const inputDir = input ? path.join(ctx.artifacts, input) : undefined;
    if (action.provider === "CodeCommit") {
        const out = path.join(ctx.artifacts, SOURCE_ARTIFACT);
        copyTree(ctx.options.serviceDir, out, NOT_COMMITTED);
        return { ok: true, output: `source: ${ctx.commit}` };
    }
    if (action.provider !== "CodeBuild")
        return { ok: false, failedStep: "stand-in", output: `no stand-in for ${action.provider}` };
    const key = config.ProjectName as BuildProjectKey;
    const BUILDSPEC_FILES = stepFacts(FARGATE_PIPELINE_STEPS, (step) => step.buildspec);
    // CodeBuild gives each build its own copy of the input artifact.
    const buildDir = path.join(ctx.artifacts, "..", "builds", action.name as string);
    fs.rmSync(buildDir, { recursive: true, force: true });
    copyTree(inputDir!, buildDir);
    // Each secondary input in its own copy, named as CodeBuild names it: CODEBUILD_SRC_DIR_<artifact>.
    const secondaryDirs: Record<string, string> = {};
    for (const artifact of secondaryInputs) {
        const dir = `${buildDir}-${artifact}`;
        fs.rmSync(dir, { recursive: true, force: true });
        copyTree(path.join(ctx.artifacts, artifact), dir);
        secondaryDirs[`CODEBUILD_SRC_DIR_${artifact}`] = dir;
    }
    const projectName = buildProjectName(ctx.env, ctx.service, key, FARGATE_PIPELINE_STEPS);
    const env = {
        ...ctx.vars,
        // The build's credentials: its project's service role, as the program registers it.
        REHEARSAL_ROLE_ARN: ctx.registered.roleOfProject(projectName),
        REHEARSAL_AUTHORIZER: ctx.authorizerUrl,
        CODEBUILD_RESOLVED_SOURCE_VERSION: ctx.commit,
        CODEBUILD_BUILD_ID: `${projectName}:${randomUUID()}`,
        ...secondaryDirs,
        ...actionEnv(config.EnvironmentVariables, ctx.commit, ctx.executionId),
    };
    const r: BuildResult = await runBuildspec(BUILDSPEC_FILES[key], buildDir, env, ctx.state);
    const outputs = (action.outputArtifacts as string[] | undefined) ?? [];
    for (const output of r.status === 0 ? outputs : []) {
        const out = path.join(ctx.artifacts, output);
        fs.mkdirSync(out, { recursive: true });
        for (const f of artifactFiles(BUILDSPEC_FILES[key])) fs.copyFileSync(path.join(buildDir, f), path.join(out, f));
    }
    return { ok: r.status === 0, failedStep: r.failedStep, output: r.output };
}
