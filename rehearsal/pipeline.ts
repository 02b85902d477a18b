/**
 * A local rehearsal of a service's pipeline: the stages and actions the program declares (pipelineStages), in
 * their order, each CodeBuild action running its buildspec with the real tools (npm ci, npm test, secretlint,
 * ESLint with eslint-plugin-security, npm audit, the CycloneDX generator) and only AWS and Docker stood in
 * (standins.ts). The ECS deploy action is stood in by starting the image's command with node and calling its
 * health check path; the source action by a copy of the service's files.
 */
import { spawn, spawnSync } from "child_process";
import { createHash, randomUUID } from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import { BUILDSPEC_FILES, BuildProjectKey, ecrRegistryHost } from "../components/buildProjects";
import { IMAGE_ARTIFACT, pipelineStages, SOURCE_ARTIFACT, SOURCE_NAMESPACE } from "../components/fargatePipeline";
import { DEFAULT_CONTAINER_PORT, DEFAULT_HEALTH_CHECK_PATH, SCALE_UP_ENV } from "../components/fargateService";
import { EnvironmentName } from "../domain/config";
import { artifactBucketName } from "../domain/naming";
import { previousEnvironment } from "../domain/promotion";
import { DockerfileFacts } from "./dockerfile";
import { artifactFiles, BuildResult, runBuildspec } from "./runner";
import { ecsFile, EcsService, imageContents } from "./standins";

/** The example accounts of the checked-in stack files, and their region (GovCloud). */
export const ACCOUNTS: Readonly<Record<"dev" | "qa", string>> = { dev: "271828182845", qa: "161803398874" };
export const REGION = "us-gov-west-1";
const PARTITION = "aws-us-gov";
const DNS_SUFFIX = "amazonaws.com";
const CONTAINER_NAME = "app";
/** Files of a working copy that are not part of the commit (CodeCommit's zip holds committed files only). */
const NOT_COMMITTED = ["node_modules", "reports", ".git"];
const HEALTH_TIMEOUT_MS = 15000;

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
    /** Progress lines. Default: none. */
    readonly log?: (line: string) => void;
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
}

/** The artifact key ARN of an account (the stand-in's; real ones are random). */
export function artifactKeyArn(account: string): string {
    return `arn:${PARTITION}:kms:${REGION}:${account}:key/00000000-0000-4000-8000-${account}`;
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

/** Project environment variables of a build, as the component sets them. */
function projectEnv(env: "dev" | "qa", service: string, options: RehearsalOptions): Record<string, string> {
    const account = ACCOUNTS[env];
    const registry = ecrRegistryHost(account, REGION, DNS_SUFFIX);
    const vars: Record<string, string> = {
        SERVICE_NAME: service,
        CONTAINER_NAME,
        ENVIRONMENT: env,
        REPOSITORY_URI: `${registry}/${service}`,
        ECR_REGISTRY: registry,
        RELEASE_BUCKET: artifactBucketName(account, REGION),
        ARTIFACT_KEY_ARN: artifactKeyArn(account),
        MAX_CRITICAL_FINDINGS: "0",
        MAX_HIGH_FINDINGS: "0",
        [SCALE_UP_ENV.cluster]: `${service}-${env}`,
        [SCALE_UP_ENV.service]: service,
        [SCALE_UP_ENV.desiredCount]: "2",
        REHEARSAL_CONTAINER_PORT: String(DEFAULT_CONTAINER_PORT),
        REHEARSAL_HEALTH_CHECK_PATH: DEFAULT_HEALTH_CHECK_PATH,
    };
    const previous = previousEnvironment(env);
    if (previous === "dev") {
        vars.PREVIOUS_ENVIRONMENT = previous;
        vars.PREVIOUS_RELEASE_BUCKET = artifactBucketName(ACCOUNTS.dev, REGION);
        vars.PREVIOUS_REPOSITORY_URI = `${ecrRegistryHost(ACCOUNTS.dev, REGION, DNS_SUFFIX)}/${service}`;
    }
    if (options.auditRegistry) vars.NPM_AUDIT_REGISTRY = options.auditRegistry;
    return vars;
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

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.listen(0, "127.0.0.1", () => {
            const port = (server.address() as net.AddressInfo).port;
            server.close(() => resolve(port));
        });
        server.on("error", reject);
    });
}

function get(port: number, urlPath: string): Promise<number> {
    return new Promise((resolve) => {
        const req = http.get({ host: "127.0.0.1", port, path: urlPath, timeout: 1000 }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
        });
        req.on("error", () => resolve(0));
        req.on("timeout", () => req.destroy());
    });
}

/**
 * The ECS deploy action, stood in: the image named in imagedefinitions.json must be this account's, by digest, and
 * pushed; its command is started with node from what the image holds (dependencies installed as its Dockerfile's
 * `npm ci --omit=dev` would) and must answer the health check path with 200 within 15 seconds.
 */
async function deployStandIn(
    imageDir: string,
    vars: Record<string, string>,
    state: string,
    taskDir: string,
): Promise<{ ok: boolean; output: string }> {
    const definitions = JSON.parse(fs.readFileSync(path.join(imageDir, "imagedefinitions.json"), "utf8"));
    const entry = definitions.find((d: { name: string }) => d.name === vars.CONTAINER_NAME);
    if (!entry) return { ok: false, output: `imagedefinitions.json names no container "${vars.CONTAINER_NAME}"` };
    const match = /^([^/]+)\/([^@]+)@(sha256:[0-9a-f]{64})$/.exec(entry.imageUri);
    if (!match || match[1] !== vars.ECR_REGISTRY) {
        return { ok: false, output: `imageUri ${entry.imageUri} is not an image of ${vars.ECR_REGISTRY} by digest` };
    }
    const contents = imageContents(state, match[3]);
    const facts = JSON.parse(fs.readFileSync(path.join(contents, ".dockerfile.json"), "utf8")) as DockerfileFacts;
    fs.rmSync(taskDir, { recursive: true, force: true });
    copyTree(contents, taskDir);
    const install = spawnSync("npm", ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund"], {
        cwd: taskDir,
        encoding: "utf8",
    });
    if (install.status !== 0) return { ok: false, output: `npm ci --omit=dev failed:\n${install.stderr}` };
    const command = facts.command ?? [];
    const port = await freePort();
    const healthPath = facts.env.HEALTH_CHECK_PATH ?? vars.REHEARSAL_HEALTH_CHECK_PATH;
    const program = command[0] === "node" ? process.execPath : command[0];
    const task = spawn(program, command.slice(1), {
        cwd: taskDir,
        env: { PATH: process.env.PATH, ...facts.env, PORT: String(port), HOME: "/nonexistent" },
    });
    let output = `${command.join(" ")} (PORT=${port})\n`;
    task.stdout.on("data", (d) => (output += d));
    task.stderr.on("data", (d) => (output += d));
    let status = 0;
    const deadline = Date.now() + HEALTH_TIMEOUT_MS;
    while (Date.now() < deadline && task.exitCode === null) {
        status = await get(port, healthPath);
        if (status === 200) break;
        await new Promise((r) => setTimeout(r, 200));
    }
    task.kill("SIGTERM");
    const ok = status === 200;
    output += ok
        ? `GET ${healthPath}: 200\n`
        : `The task did not answer GET ${healthPath} with 200 within ${HEALTH_TIMEOUT_MS / 1000} s (last status ${status}${task.exitCode !== null ? `, exited ${task.exitCode}` : ""})\n`;
    const file = ecsFile({ state }, vars[SCALE_UP_ENV.cluster], vars[SCALE_UP_ENV.service]);
    const service = JSON.parse(fs.readFileSync(file, "utf8")) as EcsService;
    fs.writeFileSync(file, JSON.stringify({ ...service, imageUri: entry.imageUri, healthy: ok }));
    return { ok, output };
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
    const keys = Object.fromEntries(Object.values(ACCOUNTS).map((a) => [a, artifactKeyArn(a)]));
    fs.writeFileSync(path.join(state, "keys.json"), JSON.stringify(keys));
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
        s3Meta: (bucket, key) => {
            const f = path.join(state, "s3", bucket, `${key}.meta.json`);
            return fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, "utf8")) : undefined;
        },
    });

    for (const env of options.environments ?? ["dev", "qa"]) {
        const vars = projectEnv(env, service, options);
        const executionId = createHash("sha256").update(`${env}${commit}`).digest("hex").slice(0, 36);
        // The first `pulumi up` leaves the service at 0 tasks.
        const ecs = ecsFile({ state }, vars[SCALE_UP_ENV.cluster], vars[SCALE_UP_ENV.service]);
        fs.mkdirSync(path.dirname(ecs), { recursive: true });
        fs.writeFileSync(ecs, JSON.stringify({ desiredCount: 0 }));
        const image: BuildProjectKey = env === "dev" ? "buildImage" : "promoteImage";
        const projects = {
            unitTests: "unitTests",
            securityScan: "securityScan",
            image,
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
            projects,
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
        state: string;
        artifacts: string;
        commit: string;
        executionId: string;
        options: RehearsalOptions;
    },
): Promise<{ ok: boolean; failedStep?: string; output: string }> {
    const config = action.configuration as Record<string, string>;
    const input = (action.inputArtifacts as string[] | undefined)?.[0];
    const inputDir = input ? path.join(ctx.artifacts, input) : undefined;
    if (action.provider === "CodeCommit") {
        const out = path.join(ctx.artifacts, SOURCE_ARTIFACT);
        copyTree(ctx.options.serviceDir, out, NOT_COMMITTED);
        return { ok: true, output: `source: ${ctx.commit}` };
    }
    if (action.provider === "ECS") {
        const r = await deployStandIn(inputDir!, ctx.vars, ctx.state, path.join(ctx.artifacts, "..", "task"));
        return { ...r, failedStep: r.ok ? undefined : "deploy: health check" };
    }
    if (action.provider !== "CodeBuild")
        return { ok: false, failedStep: "stand-in", output: `no stand-in for ${action.provider}` };
    const key = config.ProjectName as BuildProjectKey;
    // CodeBuild gives each build its own copy of the input artifact.
    const buildDir = path.join(ctx.artifacts, "..", "builds", action.name as string);
    fs.rmSync(buildDir, { recursive: true, force: true });
    copyTree(inputDir!, buildDir);
    const env = {
        ...ctx.vars,
        CODEBUILD_RESOLVED_SOURCE_VERSION: ctx.commit,
        CODEBUILD_BUILD_ID: `${key}:${randomUUID()}`,
        ...actionEnv(config.EnvironmentVariables, ctx.commit, ctx.executionId),
    };
    const r: BuildResult = await runBuildspec(BUILDSPEC_FILES[key], buildDir, env, ctx.state);
    const outputs = (action.outputArtifacts as string[] | undefined) ?? [];
    if (r.status === 0 && outputs.includes(IMAGE_ARTIFACT)) {
        const out = path.join(ctx.artifacts, IMAGE_ARTIFACT);
        fs.mkdirSync(out, { recursive: true });
        for (const f of artifactFiles(BUILDSPEC_FILES[key])) fs.copyFileSync(path.join(buildDir, f), path.join(out, f));
    }
    return { ok: r.status === 0, failedStep: r.failedStep, output: r.output };
}
