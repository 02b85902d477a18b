/**
 * Local stand-ins for the `aws` and `docker` commands the buildspecs call, run as executables on the build's PATH
 * (see shimScript). State lives in files under REHEARSAL_STATE so that dev and qa share one "cloud":
 *   s3/<bucket>/<key> (+ .meta.json), ecr/<registry>/<repository>/tags/<tag>, ecr/<registry>/<repository>/images/<digest>,
 *   docker/local.json (local image references), docker/contexts/<digest>/ (what a built image holds),
 *   ecs/<cluster>/<service>.json, keys.json (artifact key ARN per account), findings.json (ECR scan counts).
 * They enforce what AWS would: the artifact bucket policy (SSE-KMS with the bucket's own key, no writes across
 * accounts, cross-account reads of releases/<service>/ only), immutable ECR tags, pulls only of pushed digests.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { dockerfileProblems, readDockerfile } from "./dockerfile";

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
        case "ecr wait":
        case "ecr describe-image-scan-findings": {
            const digest = imageTag(required(args, "--image-id"), "imageDigest=");
            const dir = repositoryDir(call, call.env.ECR_REGISTRY!, required(args, "--repository-name"));
            if (!fs.existsSync(path.join(dir, "images", digest.replace(":", "-")))) {
                throw new StandInError(`An error occurred (ImageNotFoundException): no image ${digest}`);
            }
            if (op === "wait") return "";
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
            return String(service.desiredCount);
        }
        case "ecs update-service": {
            const file = ecsFile(call, required(args, "--cluster"), required(args, "--service"));
            const service = readJson<EcsService>(file, { desiredCount: 0 });
            writeFile(file, JSON.stringify({ ...service, desiredCount: Number(required(args, "--desired-count")) }));
            return "{}";
        }
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

/** What the ECS stand-in keeps of a service. */
export interface EcsService {
    desiredCount: number;
    imageUri?: string;
    healthy?: boolean;
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
                containerPort: Number(call.env.REHEARSAL_CONTAINER_PORT),
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

/** The directory holding what the stand-in image `digest` contains (its build context and Dockerfile facts). */
export function imageContents(state: string, digest: string): string {
    return path.join(state, "docker", "contexts", digest.replace(":", "-"));
}

/** A bash shim that runs `tool` through this module, for the build's PATH. */
export function shimScript(tool: "aws" | "docker"): string {
    const register = path.join(__dirname, "..", "scripts", "register.js");
    return `#!/usr/bin/env bash\nexec "${process.execPath}" -r "${register}" "${__filename}" ${tool} "$@"\n`;
}

function main(): void {
    const [tool, ...args] = process.argv.slice(2);
    const state = process.env.REHEARSAL_STATE;
    if (!state) throw new Error("REHEARSAL_STATE is not set");
    fs.appendFileSync(path.join(state, "calls.log"), `${tool} ${args.join(" ")}\n`);
    const stdin = tool === "docker" && args[0] === "login" ? fs.readFileSync(0, "utf8") : undefined;
    const call: Call = { args, env: process.env, cwd: process.cwd(), state, stdin };
    try {
        const out = tool === "aws" ? aws(call) : docker(call);
        if (out) process.stdout.write(`${out}\n`);
    } catch (err) {
        if (!(err instanceof StandInError)) throw err;
        process.stderr.write(`${err.message}\n`);
        process.exit(err.exitCode);
    }
}

if (require.main === module) main();
