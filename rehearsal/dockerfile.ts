/**
 * The image half of the service contract, read from a Dockerfile without a Docker engine: base images from a
 * configured registry (never anonymous Docker Hub), a non-root user, node started directly (the root filesystem is
 * read-only), the health path the stack configures, no secrets baked in. The image's ENV PORT does not matter: the
 * task definition sets PORT to the stack's containerPort (targets/fargate/service.ts), which overrides it.
 */
export interface DockerfileFacts {
    /** Base image of each FROM, with ARG defaults and build args substituted; stage references left out. */
    readonly baseImages: string[];
    /** USER of the final stage, if any. */
    readonly user?: string;
    /** CMD or ENTRYPOINT of the final stage in exec form, or undefined (shell form or none). */
    readonly command?: string[];
    /** ENV of the final stage. */
    readonly env: Record<string, string>;
}

/** Hosts that serve Docker Hub: anonymous pulls from CodeBuild's shared addresses hit its rate limits. */
const DOCKER_HUB_HOSTS = ["docker.io", "index.docker.io", "registry-1.docker.io"];
/** Variable names that must never carry a value in an image (secrets come from Secrets Manager at task start). */
const SECRET_NAME = /(SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE_KEY|ACCESS_KEY)/i;

/** Instructions with continuation lines joined and comments dropped. */
function instructions(text: string): { op: string; args: string }[] {
    const joined = text.replace(/\\\r?\n/g, " ");
    return joined
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith("#"))
        .map((l) => {
            const [op, ...rest] = l.split(/\s+/);
            return { op: op.toUpperCase(), args: rest.join(" ") };
        });
}

function substitute(value: string, vars: Record<string, string>): string {
    return value.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => vars[a ?? b] ?? "");
}

/** Key=value pairs of an ENV or ARG instruction (the legacy `ENV KEY value` form too). */
function pairs(args: string): [string, string][] {
    if (!args.includes("=")) {
        const [key, ...value] = args.split(/\s+/);
        return [[key, value.join(" ")]];
    }
    return [...args.matchAll(/(\w+)=("[^"]*"|\S*)/g)].map((m) => [m[1], m[2].replace(/^"|"$/g, "")]);
}

/** What the Dockerfile says, with `buildArgs` overriding ARG defaults as `docker build --build-arg` does. */
export function readDockerfile(text: string, buildArgs: Record<string, string> = {}): DockerfileFacts {
    const globalArgs: Record<string, string> = {};
    const stages: string[] = [];
    const baseImages: string[] = [];
    let user: string | undefined;
    let command: string[] | undefined;
    let env: Record<string, string> = {};
    let inStage = false;
    for (const { op, args } of instructions(text)) {
        if (op === "ARG" && !inStage) {
            for (const [k, v] of pairs(args)) globalArgs[k] = buildArgs[k] ?? v;
        } else if (op === "FROM") {
            inStage = true;
            const words = args.split(/\s+/).filter((w) => !w.startsWith("--"));
            const image = substitute(words[0], globalArgs);
            if (!stages.includes(image) && !baseImages.includes(image)) baseImages.push(image);
            if (words[1]?.toUpperCase() === "AS" && words[2]) stages.push(words[2]);
            user = undefined;
            command = undefined;
            env = {};
        } else if (op === "USER") {
            user = args.trim();
        } else if (op === "ENV") {
            for (const [k, v] of pairs(args)) env[k] = v;
        } else if (op === "CMD" || op === "ENTRYPOINT") {
            try {
                const parsed = JSON.parse(args);
                command = Array.isArray(parsed) ? parsed.map(String) : undefined;
            } catch {
                command = undefined;
            }
        }
    }
    return { baseImages, user, command, env };
}

/** The registry host of an image reference, as Docker resolves it (no host: Docker Hub). */
export function registryHost(image: string): string {
    const first = image.split("/")[0];
    const hasHost = image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
    return hasHost ? first : "docker.io";
}

export interface ContainerSettings {
    /** The stack's healthCheckPath. */
    readonly healthCheckPath: string;
}

/** Every way the Dockerfile breaks the contract, one message each; empty when it meets it. */
export function dockerfileProblems(facts: DockerfileFacts, settings: ContainerSettings): string[] {
    const problems: string[] = [];
    for (const image of facts.baseImages) {
        if (DOCKER_HUB_HOSTS.includes(registryHost(image))) {
            problems.push(
                `FROM ${image}: pulls from Docker Hub anonymously (rate-limited on CodeBuild); take it from ECR Public ` +
                    `(public.ecr.aws/docker/library/...) or an ECR pull-through cache through an ARG such as BASE_IMAGE_REGISTRY`,
            );
        }
    }
    if (facts.user === undefined || ["root", "0", "0:0", "root:root"].includes(facts.user)) {
        problems.push(
            `USER: the final stage runs as ${facts.user ?? "root (no USER)"}; add USER 1000 (the task runs as uid 1000)`,
        );
    }
    if (!facts.command) {
        problems.push('CMD: expected the exec form, e.g. CMD ["node", "src/server.js"] (SIGTERM reaches node)');
    } else if (["npm", "yarn", "npx", "pnpm"].includes(facts.command[0])) {
        problems.push(
            `CMD: ${JSON.stringify(facts.command)} starts ${facts.command[0]}, which writes to the read-only root ` +
                `filesystem; start node directly, e.g. CMD ["node", "src/server.js"]`,
        );
    }
    const health = facts.env.HEALTH_CHECK_PATH;
    if (health !== undefined && health !== settings.healthCheckPath) {
        problems.push(
            `ENV HEALTH_CHECK_PATH=${health}: the stack's healthCheckPath is ${settings.healthCheckPath}; make them equal`,
        );
    }
    for (const [name, value] of Object.entries(facts.env)) {
        if (SECRET_NAME.test(name) && value !== "") {
            problems.push(
                `ENV ${name}: a secret baked into the image; give it to the task from Secrets Manager (the secrets of serviceSettings)`,
            );
        }
    }
    return problems;
}
