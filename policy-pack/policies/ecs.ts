import * as aws from "@pulumi/aws";
import { ResourceValidationArgs, validateResourceOfType } from "@pulumi/policy";
import { resourcePolicy } from "./common";

/** Environment variable names that must come from `secrets` (Secrets Manager / SSM), not `environment`. */
export const SECRET_ENV_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL)/i;

interface Container {
    name?: string;
    privileged?: boolean;
    readonlyRootFilesystem?: boolean;
    logConfiguration?: { logDriver?: string };
    environment?: { name?: string; value?: string }[];
}

/** The containers of a task definition (containerDefinitions is JSON text); reports when it cannot be read. */
function containersOf(containerDefinitions: unknown, args: ResourceValidationArgs, report: (m: string) => void) {
    let parsed: unknown = containerDefinitions;
    if (typeof parsed === "string") {
        try {
            parsed = JSON.parse(parsed);
        } catch {
            parsed = undefined;
        }
    }
    if (!Array.isArray(parsed)) {
        report(
            `Task definition "${args.name}": containerDefinitions is not a JSON array of containers; required: ` +
                `valid JSON; fix: build it with pulumi.jsonStringify([...]).`,
        );
        return [];
    }
    return parsed as Container[];
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
        summary: "Secret-looking variables come from container secrets, not plain environment.",
        severity: "critical",
        fsbp: ["ECS.8"],
        nist: ["IA-5", "SC-28"],
    },
    eachContainer((c, args, report) => {
        const names = (c.environment ?? []).map((e) => e.name ?? "").filter((n) => SECRET_ENV_NAME.test(n));
        if (names.length > 0) {
            report(
                `Task definition "${args.name}": container ${c.name} passes ${names.join(", ")} in plain environment; ` +
                    `required: secrets from Secrets Manager or SSM Parameter Store; fix: move them to the container's ` +
                    `secrets: [{ name, valueFrom }].`,
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
];
