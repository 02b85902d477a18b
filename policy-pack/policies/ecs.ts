import * as aws from "@pulumi/aws";
import { PolicyResource, ResourceValidationArgs, validateResourceOfType } from "@pulumi/policy";
import { contextOf, Deferred, ownAccounts, resourcePolicy, stackPolicy, stackProvider, UNKNOWN } from "./common";
import { secretLooking } from "./codebuild";

/** Environment variable names that must come from `secrets` (Secrets Manager / SSM), not `environment`. */
export const SECRET_ENV_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL)/i;

interface Container {
    name?: string;
    image?: string;
    user?: string;
    privileged?: boolean;
    readonlyRootFilesystem?: boolean;
    logConfiguration?: { logDriver?: string };
    environment?: { name?: string; value?: string }[];
    linuxParameters?: { capabilities?: { add?: string[]; drop?: string[] } };
}

/** The containers of JSON text, or undefined when it is not a JSON array. */
function parseContainers(containerDefinitions: unknown): Container[] | undefined {
    let parsed: unknown = containerDefinitions;
    if (typeof parsed === "string") {
        try {
            parsed = JSON.parse(parsed);
        } catch {
            return undefined;
        }
    }
    return Array.isArray(parsed) ? (parsed as Container[]) : undefined;
}

/** The containers of a task definition (containerDefinitions is JSON text); reports when it cannot be read. */
function containersOf(containerDefinitions: unknown, args: ResourceValidationArgs, report: (m: string) => void) {
    const containers = parseContainers(containerDefinitions);
    if (!containers) {
        report(
            `Task definition "${args.name}": containerDefinitions is not a JSON array of containers; required: ` +
                `valid JSON; fix: build it with pulumi.jsonStringify([...]).`,
        );
        return [];
    }
    return containers;
}

function eachContainer(check: (c: Container, args: ResourceValidationArgs, report: (m: string) => void) => void) {
    return validateResourceOfType(aws.ecs.TaskDefinition, (td, args, report) => {
        for (const c of containersOf(td.containerDefinitions, args, report)) check(c, args, report);
    });
}

export const ecsNoPublicIp = resourcePolicy(
    {
        name: "ecs-service-no-public-ip",
        summary: "ECS services do not assign public IPs (private subnets behind a load balancer).",
        severity: "high",
        fsbp: ["ECS.2"],
        nist: ["AC-21", "SC-7"],
    },
    validateResourceOfType(aws.ecs.Service, (service, args, report) => {
        if (service.networkConfiguration?.assignPublicIp === true) {
            report(
                `ECS service "${args.name}" sets networkConfiguration.assignPublicIp true; required: false (private ` +
                    `subnets, egress through NAT or VPC endpoints); fix: remove assignPublicIp.`,
            );
        }
    }),
);

export const ecsCircuitBreaker = resourcePolicy(
    {
        name: "ecs-service-circuit-breaker",
        summary: "ECS services have the deployment circuit breaker with rollback on.",
        severity: "medium",
        nist: ["CM-3", "CP-10"],
    },
    validateResourceOfType(aws.ecs.Service, (service, args, report) => {
        const cb = service.deploymentCircuitBreaker;
        if (cb?.enable !== true || cb?.rollback !== true) {
            report(
                `ECS service "${args.name}" has deploymentCircuitBreaker ${JSON.stringify(cb ?? null)}; required: ` +
                    `{ enable: true, rollback: true }; fix: set deploymentCircuitBreaker: { enable: true, rollback: true }.`,
            );
        }
    }),
);

export const ecsNoPrivileged = resourcePolicy(
    {
        name: "ecs-no-privileged-containers",
        summary: "No container runs privileged.",
        severity: "high",
        fsbp: ["ECS.4"],
        nist: ["AC-6", "CM-7"],
    },
    eachContainer((c, args, report) => {
        if (c.privileged === true) {
            report(
                `Task definition "${args.name}": container ${c.name} sets privileged true; required: not privileged ` +
                    `(Fargate rejects it); fix: remove privileged.`,
            );
        }
    }),
);

export const ecsReadOnlyRoot = resourcePolicy(
    {
        name: "ecs-read-only-root-filesystem",
        summary: "Containers mount their root filesystem read-only.",
        severity: "medium",
        fsbp: ["ECS.5"],
        nist: ["AC-6", "CM-7"],
        enforcementLevel: "advisory",
    },
    eachContainer((c, args, report) => {
        if (c.readonlyRootFilesystem !== true) {
            report(
                `Task definition "${args.name}": container ${c.name} has readonlyRootFilesystem ` +
                    `${c.readonlyRootFilesystem ?? "unset"}; required: true; fix: set readonlyRootFilesystem: true and ` +
                    `mount a volume for paths the app writes (e.g. /tmp).`,
            );
        }
    }),
);

export const ecsContainerLogging = resourcePolicy(
    {
        name: "ecs-container-logging",
        summary: "Every container has a logConfiguration.",
        severity: "medium",
        fsbp: ["ECS.9"],
        nist: ["AU-2", "AU-12"],
    },
    eachContainer((c, args, report) => {
        if (!c.logConfiguration?.logDriver) {
            report(
                `Task definition "${args.name}": container ${c.name} has no logConfiguration; required: a log driver ` +
                    `(awslogs to an encrypted log group); fix: add logConfiguration: { logDriver: "awslogs", options }.`,
            );
        }
    }),
);

export const ecsNoSecretsInEnvironment = resourcePolicy(
    {
        name: "ecs-no-secrets-in-environment",
        summary:
            "Container environment variables hold no secrets: no secret-like names, credential-like values or URLs with credentials (use container secrets).",
        severity: "critical",
        fsbp: ["ECS.8"],
        nist: ["IA-5", "SC-28"],
    },
    eachContainer((c, args, report) => {
        const found = (c.environment ?? [])
            .map((e) => ({ name: e.name ?? "", what: secretLooking(e.name ?? "", e.value) }))
            .filter((e) => e.what);
        if (found.length > 0) {
            report(
                `Task definition "${args.name}": container ${c.name} passes ${found.map((e) => `${e.name} (by its ${e.what})`).join(", ")} ` +
                    `in plain environment; required: secrets from Secrets Manager or SSM Parameter Store; fix: move ` +
                    `them to the container's secrets: [{ name, valueFrom }].`,
            );
        }
    }),
);

const ROOT_USER = /^(root|0)(:.*)?$/;

export const ecsNonRootUser = resourcePolicy(
    {
        name: "ecs-container-non-root-user",
        summary: "Every container runs as a non-root user (user set, not root or 0).",
        severity: "high",
        nist: ["AC-6", "CM-7"],
    },
    eachContainer((c, args, report) => {
        if (!c.user || ROOT_USER.test(String(c.user))) {
            report(
                `Task definition "${args.name}": container ${c.name} runs as ${c.user ? `user "${c.user}"` : "root (no user set)"}; ` +
                    `required: a non-root user; fix: set user to the image's unprivileged uid (e.g. "1000").`,
            );
        }
    }),
);

export const ecsNoExecuteCommand = resourcePolicy(
    {
        name: "ecs-service-no-execute-command",
        summary: "ECS services do not enable ECS Exec (enableExecuteCommand): no interactive shells in running tasks.",
        severity: "high",
        nist: ["AC-17", "AC-6"],
    },
    validateResourceOfType(aws.ecs.Service, (service, args, report) => {
        if (service.enableExecuteCommand === true) {
            report(
                `ECS service "${args.name}" sets enableExecuteCommand true; required: false (debug through logs, ` +
                    `not a shell in production tasks); fix: remove enableExecuteCommand.`,
            );
        }
    }),
);

export const ecsContainerInsights = resourcePolicy(
    {
        name: "ecs-cluster-container-insights",
        summary: 'ECS clusters have Container Insights on (setting containerInsights "enabled" or "enhanced").',
        severity: "medium",
        fsbp: ["ECS.12"],
        nist: ["AU-6", "SI-4"],
    },
    validateResourceOfType(aws.ecs.Cluster, (cluster, args, report) => {
        const value = (cluster.settings ?? []).find((s) => s.name === "containerInsights")?.value;
        if (value !== "enabled" && value !== "enhanced") {
            report(
                `ECS cluster "${args.name}" has containerInsights ${value ?? "unset"}; required: "enabled" or ` +
                    `"enhanced"; fix: set settings: [{ name: "containerInsights", value: "enabled" }].`,
            );
        }
    }),
);

/** `<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>[:tag|@digest]`. */
const PRIVATE_ECR =
    /^(\d{12})\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/([^:@]+)(:([^@]+))?(@sha256:[0-9a-f]{64})?$/;

/** Why an image reference may change under the service, or undefined. */
function imageProblem(
    image: string,
    own: readonly string[],
    repos: PolicyResource[],
    deferred: Deferred,
): string | undefined {
    const m = PRIVATE_ECR.exec(image);
    if (!m) return "is not in this account's private ECR registry (a public or third-party image)";
    const [, account, , , repository, , tag, digest] = m;
    if (own.length > 0 && !own.includes(account)) return `comes from another account's registry (${account})`;
    if (digest) return undefined;
    if (!tag || tag === "latest")
        return `has ${tag ? "the latest tag" : "no tag"}, so it resolves to whatever was pushed last`;
    const repo = repos.find((r) => deferred.read(() => r.props.name) === repository);
    if (!repo)
        return `is referenced by tag from a repository outside this stack (its tags may be mutable); pin it by digest`;
    const mutability = deferred.read(() => repo.props.imageTagMutability);
    if (mutability !== UNKNOWN && mutability !== "IMMUTABLE")
        return `is referenced by tag from repository "${repository}" with mutable tags`;
    return undefined;
}

export const ecsImagesImmutable = stackPolicy(
    {
        name: "ecs-images-private-immutable",
        summary:
            "Containers run images from the account's own private ECR registry, by digest or by tag from an IMMUTABLE repository of the stack (no public, latest or mutable images).",
        severity: "high",
        nist: ["SI-7", "CM-14", "SR-11"],
    },
    (args, report) => {
        const tasks = args.resources.filter((r) => r.isType(aws.ecs.TaskDefinition));
        if (tasks.length === 0) args.notApplicable("no ECS task definition in the stack");
        const own = ownAccounts(contextOf(stackProvider(args.resources)));
        const repos = args.resources.filter((r) => r.isType(aws.ecr.Repository));
        const deferred = new Deferred();
        for (const td of tasks) {
            const defs = deferred.read(() => td.props.containerDefinitions);
            if (defs === UNKNOWN) continue;
            for (const c of parseContainers(defs) ?? []) {
                const problem = imageProblem(String(c.image ?? ""), own, repos, deferred);
                if (problem) {
                    report(
                        `Task definition "${td.name}": container ${c.name} image ${c.image} ${problem}; required: an ` +
                            `image of this account's ECR, by digest or by tag from an IMMUTABLE repository; fix: push ` +
                            `it to the service's repository (or pull-through cache) and reference it there.`,
                        td.urn,
                    );
                }
            }
        }
        deferred.finish();
    },
);

/** Linux capabilities a container may add back after dropping all: binding a port below 1024. */
export const ALLOWED_ADDED_CAPABILITIES = ["NET_BIND_SERVICE"];

export const ecsCapabilitiesDropped = resourcePolicy(
    {
        name: "ecs-container-capabilities-dropped",
        summary: `Every container drops all Linux capabilities (linuxParameters.capabilities.drop ["ALL"]) and adds back none but ${ALLOWED_ADDED_CAPABILITIES.join(", ")} (no SYS_ADMIN, SYS_PTRACE, NET_ADMIN, ...).`,
        severity: "high",
        nist: ["AC-6", "CM-7"],
    },
    eachContainer((c, args, report) => {
        const caps = c.linuxParameters?.capabilities ?? {};
        const drop = (caps.drop ?? []).map((x) => String(x).toUpperCase());
        const added = (caps.add ?? [])
            .map((x) => String(x).toUpperCase().replace(/^CAP_/, ""))
            .filter((x) => !ALLOWED_ADDED_CAPABILITIES.includes(x));
        const problems = [
            drop.includes("ALL") ? undefined : `drops ${drop.length ? JSON.stringify(drop) : "no capabilities"}`,
            added.length > 0 ? `adds ${JSON.stringify(added)}` : undefined,
        ].filter((p): p is string => !!p);
        if (problems.length > 0) {
            report(
                `Task definition "${args.name}": container ${c.name} ${problems.join(" and ")}; required: ` +
                    `linuxParameters.capabilities { drop: ["ALL"] } and no added capability but ` +
                    `${ALLOWED_ADDED_CAPABILITIES.join(", ")}; fix: set capabilities { drop: ["ALL"] }.`,
            );
        }
    }),
);

/**
 * The oldest Fargate Linux platform version accepted: 1.4.0 (ephemeral storage encrypted with AES-256, task
 * metadata v4, the network stack Fargate patches; FSBP ECS.10 asks for the latest). LATEST resolves to it or newer.
 */
export const MIN_FARGATE_PLATFORM = [1, 4, 0];

export const ecsFargatePlatformVersion = resourcePolicy(
    {
        name: "ecs-fargate-platform-version",
        summary: `Fargate services run platform version LATEST or ${MIN_FARGATE_PLATFORM.join(".")} and newer.`,
        severity: "medium",
        fsbp: ["ECS.10"],
        nist: ["SI-2", "CM-6"],
    },
    validateResourceOfType(aws.ecs.Service, (service, args, report) => {
        if (service.launchType !== "FARGATE" && !service.capacityProviderStrategies?.length) return;
        const version = service.platformVersion ?? "LATEST";
        if (version === "LATEST") return;
        const parts = version.split(".").map(Number);
        const old = MIN_FARGATE_PLATFORM.some((min, i) => {
            const earlier = MIN_FARGATE_PLATFORM.slice(0, i).every((m, j) => (parts[j] ?? 0) === m);
            return earlier && (parts[i] ?? 0) < min;
        });
        if (old || parts.some(Number.isNaN)) {
            report(
                `ECS service "${args.name}" runs Fargate platform version ${version}; required: LATEST or ` +
                    `${MIN_FARGATE_PLATFORM.join(".")} and newer; fix: set platformVersion "LATEST".`,
            );
        }
    }),
);

export const ecsPolicies = [
    ecsNoPublicIp,
    ecsCircuitBreaker,
    ecsNoPrivileged,
    ecsReadOnlyRoot,
    ecsContainerLogging,
    ecsNoSecretsInEnvironment,
    ecsNonRootUser,
    ecsNoExecuteCommand,
    ecsContainerInsights,
    ecsImagesImmutable,
];

/** Linux capabilities and the Fargate platform. */
export const ecsRuntimePolicies = [ecsCapabilitiesDropped, ecsFargatePlatformVersion];
