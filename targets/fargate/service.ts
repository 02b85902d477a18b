import * as crypto from "crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CONTAINER_PORTS, isContainerPort, SERVICE_NAME, URL_PATH } from "../../domain/config";
import { DeploymentStrategy, ELB_NAME_PREFIX_LENGTH } from "../../domain/configSchema";
import {
    DEFAULT_BAKE_TIME_MINUTES,
    DEFAULT_CONTAINER_PORT,
    DEFAULT_CPU,
    DEFAULT_DESIRED_COUNT,
    DEFAULT_HEALTH_CHECK_PATH,
    DEFAULT_LOG_RETENTION_DAYS,
    DEFAULT_MEMORY,
} from "../../domain/defaults";
import { arnPattern, formatArn } from "../../domain/naming";
import { SECRET_RESOURCE } from "../../domain/serviceSettings";
import {
    containerPortParameterName,
    LOG_GROUP_PREFIX,
    SCALE_UP_ENV,
    TASK_DEFINITION_SERVICE_TAG,
    taskDefinitionParameterName,
} from "./contract";
import { knownArn, serviceTrustPolicy } from "../../components/policyDocuments";

/*
 * How the service and the pipeline share it (first deploy and every later `pulumi up`)
 * ---------------------------------------------------------------------------------
 * 1. `pulumi up` registers the family's task definition with image `<repository>:bootstrap`, a tag that never
 *    exists, writes its ARN to the SSM parameter taskDefinitionParameterName(service), and creates the service with
 *    desiredCount 0: no task is started, nothing fails, and the load balancer, target group and roles are in place.
 * 2. The pipeline's deploy step (buildspecs/deploy-task-definition.yml) reads that parameter, describes the revision
 *    Pulumi registered, replaces only the service container's image with the promoted `<repository>@sha256:...`,
 *    registers the result (tags, roles, cpu, memory, ports, secrets, variables all as Pulumi registered them) and
 *    updates the service to it. So whatever `pulumi up` changed in the task definition reaches the service with the
 *    next deploy, never silently dropped (the ECS deploy action it replaces copied the *running* revision).
 * 3. A post-deploy step (scaleUpCommands, the scale-up project) raises the desired count to `desiredCount` only
 *    while it is 0, then waits until the service is stable. Later deploys start with running tasks and are guarded
 *    by the deployment circuit breaker with rollback; the deploy step fails when ECS rolls its deployment back.
 * 4. The service ignores changes to `taskDefinition` and `desiredCount`. Pulumi's revision names the bootstrap
 *    image: without ignoreChanges a `pulumi up` would point the service at it (reverting the running image, every
 *    task failing to pull) and scale it to zero. Pulumi's own changes are not lost: they are in its newest revision
 *    and its parameter, which the next pipeline run (a push, or "Release change") renders with the promoted image.
 *
 * 5. A new containerPort reaches the service the same way. The running revision maps only the port it was deployed
 *    with, and ECS refuses a load balancer entry naming a port the service's revision does not map
 *    (pulumi/pulumi-awsx#1172). So the service's load balancer entry keeps the *served* port, the one the deploy step
 *    recorded in containerPortParameterName(service) (read before anything is registered, stacks/servedPorts.ts);
 *    Pulumi's revision maps the configured port and sets PORT to it; the task security group takes both ports while
 *    they differ; and the next deploy switches the revision and the load balancer entry in one UpdateService, then
 *    records the new port. The target group stays: ECS registers each task with its container port, which overrides
 *    the group's own port, so the listener never points at an empty group.
 *
 * Why not an Application Auto Scaling target with min = desiredCount: RegisterScalableTarget moves an active
 * service's capacity into [min, max] at once, i.e. during `pulumi up`, before any image exists. Nor the configured
 * count from the start: every task would fail to pull `bootstrap` until the first build lands.
 */

/** Image tag of the first task definition; it never exists, the service starts at 0 tasks until the first deploy. */
export const BOOTSTRAP_IMAGE_TAG = "bootstrap";
/** Desired count the service is created with (see the note at the top of this file). */
export const INITIAL_DESIRED_COUNT = 0;
/** Service properties the pipeline owns after the first deploy; Pulumi must not reset them (note above, 4). */
export const SERVICE_IGNORE_CHANGES = ["taskDefinition", "desiredCount"];
/** Non-root user the container runs as. */
export const CONTAINER_USER = "1000";
/** The writable scratch volume mounted at /tmp (the root filesystem is read-only). */
export const TMP_VOLUME = "tmp";
// The defaults a stack's config also has: stated once, in domain/defaults.ts.
export {
    DEFAULT_CONTAINER_PORT,
    DEFAULT_CPU,
    DEFAULT_DESIRED_COUNT,
    DEFAULT_HEALTH_CHECK_PATH,
    DEFAULT_LOG_RETENTION_DAYS,
    DEFAULT_MEMORY,
};
export const DEFAULT_HEALTH_CHECK_GRACE_SECONDS = 60;
/** Who may reach the load balancer: the internet (it is the service's public entry point). */
export const DEFAULT_INGRESS_CIDRS = ["0.0.0.0/0"];
/** TLS policy of the HTTPS listener: TLS 1.3 and 1.2 only. */
export const HTTPS_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";
/** The same protocols with FIPS 140 validated cryptography (ELB's FIPS security policies), used in GovCloud. */
export const FIPS_HTTPS_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04";

/** The HTTPS listener's TLS policy: a FIPS policy in aws-us-gov (federal workloads), TLS 1.2+ elsewhere. */
export function httpsSslPolicy(partition: string): string {
    return partition === "aws-us-gov" ? FIPS_HTTPS_SSL_POLICY : HTTPS_SSL_POLICY;
}
/** Tasks may only open HTTPS connections (ECR, Secrets Manager, CloudWatch Logs, AWS APIs). */
export const TASK_EGRESS_PORT = 443;
export * from "./contract";

/** A container secret: an environment variable filled by ECS from Secrets Manager at task start. */
export interface ContainerSecret {
    /** Environment variable name. */
    readonly name: string;
    /** Full secret ARN (with its 6-character suffix), optionally followed by `:json-key:version-stage:version-id`. */
    readonly valueFrom: string;
}

/** An outbound connection of the tasks beyond HTTPS: a TCP port to a CIDR or to a security group. */
export interface TaskEgress {
    readonly port: number;
    /** An IPv4 CIDR; exactly one of cidr and securityGroupId. */
    readonly cidr?: string;
    /** A security group of the same VPC (e.g. the database's). */
    readonly securityGroupId?: string;
}

/** A cluster shared by the environment's services. */
export interface ExistingCluster {
    readonly arn: pulumi.Input<string>;
    readonly name: pulumi.Input<string>;
}

export interface FargateServiceArgs {
    /** ECS service name, task family and container name (the container the deploy step gives the promoted image). Required. */
    readonly serviceName: string;
    /** The service's ECR repository URL (ContainerRegistry.repositoryUrl). Required. */
    readonly repositoryUrl: pulumi.Input<string>;
    /** The service's ECR repository ARN: the only repository the execution role can pull from. Required. */
    readonly repositoryArn: pulumi.Input<string>;
    /** Partition for ARNs built here. Required. */
    readonly partition: string;
    /** The stack's region (awslogs driver, trust and KMS conditions). Required. */
    readonly region: string;
    /** The stack's account (trust conditions). Required. */
    readonly accountId: string;
    /** VPC of the load balancer's target group and the security groups. Required. */
    readonly vpcId: pulumi.Input<string>;
    /** Subnets of the tasks (no public IP). Required. */
    readonly privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /** Subnets of the internet-facing load balancer. Required. */
    readonly publicSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /** KMS key ARN that encrypts the log group (its policy must allow CloudWatch Logs). Required. */
    readonly logKmsKeyArn: pulumi.Input<string>;
    /** Log retention in days. Default DEFAULT_LOG_RETENTION_DAYS (365). */
    readonly logRetentionDays?: number;
    /** Fargate CPU units. Default DEFAULT_CPU (256). */
    readonly cpu?: number;
    /** Fargate memory in MiB. Default DEFAULT_MEMORY (512). */
    readonly memory?: number;
    /** Port the container listens on (the task definition sets PORT to it). Default DEFAULT_CONTAINER_PORT (3000). */
    readonly containerPort?: number;
    /**
     * Port the running service receives load balancer traffic on, as its deploy step recorded it
     * (containerPortParameterName); it differs from containerPort until the next deploy switches the service to
     * the new port. Default: containerPort (no running service, or no port change pending).
     */
    readonly servedContainerPort?: number;
    /** Tasks once an image is deployed (the scale-up step sets it). Default DEFAULT_DESIRED_COUNT (2). */
    readonly desiredCount?: number;
    /** Path of the load balancer and container health checks. Default DEFAULT_HEALTH_CHECK_PATH (/health). */
    readonly healthCheckPath?: string;
    /** Secrets Manager secrets injected as environment variables. Default none. */
    readonly secrets?: readonly ContainerSecret[];
    /** KMS keys of those secrets (customer-managed); decrypt only via Secrets Manager. Default none. */
    readonly secretsKmsKeyArns?: readonly pulumi.Input<string>[];
    /** Outbound connections beyond HTTPS (TASK_EGRESS_PORT) to anywhere, e.g. a database. Default none. */
    readonly egress?: readonly TaskEgress[];
    /** Plain, non-secret environment variables. Default none. */
    readonly environment?: Readonly<Record<string, string>>;
    /** ACM certificate: HTTPS on 443 and HTTP 80 redirected to it. Default none: plain HTTP on 80 only. */
    readonly certificateArn?: pulumi.Input<string>;
    /** CIDRs allowed to reach the load balancer. Default DEFAULT_INGRESS_CIDRS (the internet). */
    readonly ingressCidrs?: readonly string[];
    /** Bucket (and prefix) for load balancer access logs. Default none: access logs off. */
    readonly accessLogs?: { readonly bucket: pulumi.Input<string>; readonly prefix?: string };
    /** Run in this cluster. Default: create a cluster with Container Insights. */
    readonly cluster?: ExistingCluster;
    /**
     * Names the created cluster and the execution and task roles (fargateResourceNames), so their ARNs, and the
     * deploy step's policy that names them, are known at preview. Default: Pulumi's auto-names.
     */
    readonly namePrefix?: string;
    /** Seconds the service ignores failing load balancer health checks of a new task. Default 60. */
    readonly healthCheckGracePeriodSeconds?: number;
    /** Protect data: log group protected and retained, load balancer deletion protection. Default false. */
    readonly protect?: boolean;
    /**
     * How deploys reach the service: blueGreen or rolling. Default rolling, the component alone; the stacks pass
     * the config's deploymentStrategy (DEFAULT_DEPLOYMENT_STRATEGY, blueGreen, unless a stack file says otherwise).
     */
    readonly deploymentStrategy?: DeploymentStrategy;
    /** With blueGreen: minutes the new revision bakes before the old is stopped. Default DEFAULT_BAKE_TIME_MINUTES. */
    readonly bakeTimeMinutes?: number;
    /** CloudWatch alarms whose breach during a deployment rolls it back (serviceAlarmName). Default none. */
    readonly rollbackAlarmNames?: readonly string[];
}

/** Everything a container definition needs; Inputs allowed so the component can pass Outputs. */
export interface ContainerSpec {
    readonly name: string;
    readonly image: pulumi.Input<string>;
    readonly containerPort: number;
    readonly healthCheckPath: string;
    readonly logGroupName: pulumi.Input<string>;
    readonly region: string;
    readonly secrets: readonly ContainerSecret[];
    readonly environment: Readonly<Record<string, string>>;
}

/**
 * The task's single container: non-root, read-only root filesystem with a writable /tmp, all Linux capabilities
 * dropped, logs to CloudWatch, secrets only from Secrets Manager, and a health check that needs nothing but node.
 */
export function containerDefinitions(spec: ContainerSpec): object[] {
    const url = `http://localhost:${spec.containerPort}${spec.healthCheckPath}`;
    // PORT from the stack's containerPort: the port is the stack's to change, not baked into the image.
    const environment = Object.entries({ ...spec.environment, [PORT_VARIABLE]: String(spec.containerPort) })
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, value]) => ({ name, value }));
    const secrets = spec.secrets.map((s) => ({ name: s.name, valueFrom: s.valueFrom }));
    return [
        {
            name: spec.name,
            image: spec.image,
            essential: true,
            user: CONTAINER_USER,
            readonlyRootFilesystem: true,
            privileged: false,
            linuxParameters: { capabilities: { drop: ["ALL"] }, initProcessEnabled: true },
            portMappings: [{ containerPort: spec.containerPort, protocol: "tcp" }],
            mountPoints: [{ sourceVolume: TMP_VOLUME, containerPath: "/tmp", readOnly: false }],
            // Empty lists are left out: ECS drops them, and keeping them would show a diff on every preview.
            ...(environment.length > 0 ? { environment } : {}),
            ...(secrets.length > 0 ? { secrets } : {}),
            logConfiguration: {
                logDriver: "awslogs",
                options: {
                    "awslogs-group": spec.logGroupName,
                    "awslogs-region": spec.region,
                    "awslogs-stream-prefix": spec.name,
                },
            },
            healthCheck: {
                command: [
                    "CMD-SHELL",
                    `node -e "require('http').get('${url}',r=>process.exit(r.statusCode<400?0:1)).on('error',()=>process.exit(1))"`,
                ],
                interval: 30,
                timeout: 5,
                retries: 3,
                startPeriod: 60,
            },
        },
    ];
}

/** The variable the task definition sets to containerPort; the service listens on it. */
export const PORT_VARIABLE = "PORT";

/** The secret's own ARN, without the optional `:json-key:version-stage:version-id` of a container secret. */
export function secretArnOf(valueFrom: string): string {
    return valueFrom.split(":").slice(0, 7).join(":");
}

/**
 * A name of at most 32 characters (ELB's limit) that changes with what forces a replacement: the first 23
 * characters of the service and 8 hex characters of a hash of the service and `parts`. Pulumi creates the
 * replacement before deleting the old resource, and ELB names are unique per account and region, so a fixed name
 * would collide ("DuplicateTargetGroupName"); deleteBeforeReplace would fail instead, as a listener still uses the
 * old target group (ResourceInUse).
 */
export function replacementSafeName(serviceName: string, ...parts: (string | number)[]): string {
    const hash = crypto
        .createHash("sha256")
        .update([serviceName, ...parts].join("|"))
        .digest("hex");
    return `${serviceName.slice(0, ELB_NAME_PREFIX_LENGTH)}-${hash.slice(0, 8)}`;
}

/** Name of a service's load balancer: new with a new VPC (a load balancer cannot move between VPCs). */
export function loadBalancerName(serviceName: string, vpcId: string): string {
    return replacementSafeName(serviceName, vpcId);
}

/**
 * Name of a service's target group: new with a new VPC, the one property of it the program changes that replaces
 * it (its port stays, see serviceLoadBalancing).
 */
export function targetGroupName(serviceName: string, vpcId: string): string {
    return replacementSafeName(serviceName, "target-group", vpcId);
}

/** The service principal of ECS tasks (the same in GovCloud). */
export const ECS_TASKS_SERVICE = "ecs-tasks.amazonaws.com";

/** Trust policy of the task role: ECS tasks of this account and region only (confused-deputy guard). */
export function taskRoleTrustPolicy(partition: string, region: string, accountId: string): aws.iam.PolicyDocument {
    return serviceTrustPolicy(ECS_TASKS_SERVICE, {
        sourceArn: formatArn({ partition, service: "ecs", region, accountId, resource: "*" }),
        sourceAccount: accountId,
    });
}

/**
 * Trust policy of the execution role: the ECS agent, for tasks of this account and region only. The ECS developer
 * guide documents `aws:SourceAccount`/`aws:SourceArn` for the task role; ECS assumes the execution role for the same
 * task, so the same confused-deputy guard applies. Should a first task ever fail with AccessDenied on
 * sts:AssumeRole for this role, this trust is the first thing to check (README, "Deploying for real").
 */
export function executionRoleTrustPolicy(partition: string, region: string, accountId: string): aws.iam.PolicyDocument {
    return taskRoleTrustPolicy(partition, region, accountId);
}

/**
 * The execution role's permissions: pull from one repository (the registry token is account-wide and has no
 * resource), write to one log group, read exactly the service's secrets and decrypt them only via Secrets Manager.
 */
export function executionRolePolicyDocument(p: {
    readonly repositoryArn: pulumi.Input<string>;
    readonly logGroupArn: pulumi.Input<string>;
    readonly secretArns: readonly string[];
    readonly secretsKmsKeyArns: readonly pulumi.Input<string>[];
    readonly region: string;
}): aws.iam.PolicyDocument {
    const statements: aws.iam.PolicyStatement[] = [
        { Sid: "RegistryToken", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
        {
            Sid: "PullImage",
            Effect: "Allow",
            Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
            Resource: p.repositoryArn,
        },
        {
            Sid: "WriteLogs",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: pulumi.interpolate`${p.logGroupArn}:log-stream:*`,
        },
    ];
    const secretArns = [...new Set(p.secretArns)];
    if (secretArns.length > 0) {
        statements.push({
            Sid: "ReadSecrets",
            Effect: "Allow",
            Action: "secretsmanager:GetSecretValue",
            Resource: secretArns,
        });
    }
    if (p.secretsKmsKeyArns.length > 0) {
        statements.push({
            Sid: "DecryptSecrets",
            Effect: "Allow",
            Action: "kms:Decrypt",
            Resource: [...p.secretsKmsKeyArns],
            Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${p.region}.amazonaws.com` } },
        });
    }
    return { Version: "2012-10-17", Statement: statements };
}

/**
 * Shell commands of the pipeline's post-deploy step: raise the desired count to the configured one only while it is
 * 0 (the first deploy), then wait for a steady service. Reads SCALE_UP_ENV variables, so the buildspec holds no
 * Outputs.
 */
export function scaleUpCommands(): string[] {
    const { cluster, service, desiredCount } = SCALE_UP_ENV;
    const target = `--cluster "$${cluster}"`;
    return [
        `current=$(aws ecs describe-services ${target} --services "$${service}" --query 'services[0].desiredCount' --output text)`,
        `if [ "$current" = "0" ]; then aws ecs update-service ${target} --service "$${service}" --desired-count "$${desiredCount}" > /dev/null; fi`,
        `aws ecs wait services-stable ${target} --services "$${service}"`,
    ];
}

/** Checks plain args; throws once listing every problem. */
export function validateFargateServiceArgs(args: FargateServiceArgs): void {
    const problems: string[] = [];
    const problem = (k: string, found: unknown, expected: string) =>
        problems.push(`${k}: found ${JSON.stringify(found)}, expected ${expected}`);
    if (!SERVICE_NAME.test(args.serviceName)) {
        problem("serviceName", args.serviceName, "3-32 lowercase letters, digits or hyphens");
    }
    const ports = { containerPort: args.containerPort, servedContainerPort: args.servedContainerPort };
    for (const [key, port] of Object.entries(ports)) {
        if (port !== undefined && !isContainerPort(port)) {
            const { min, max } = CONTAINER_PORTS;
            problem(key, port, `a non-privileged port from ${min} to ${max} (the container is not root)`);
        }
    }
    const count = args.desiredCount ?? DEFAULT_DESIRED_COUNT;
    if (!Number.isInteger(count) || count < 0) problem("desiredCount", count, "a whole number >= 0");
    const path = args.healthCheckPath ?? DEFAULT_HEALTH_CHECK_PATH;
    if (!URL_PATH.test(path)) problem("healthCheckPath", path, 'a URL path starting with "/"');
    const secretArn = arnPattern({ partition: args.partition }, "secretsmanager", SECRET_RESOURCE);
    if (Object.keys(args.environment ?? {}).includes(PORT_VARIABLE)) {
        problem(
            "environment.PORT",
            args.environment?.[PORT_VARIABLE],
            "no PORT (the task definition sets it to containerPort)",
        );
    }
    const names = new Set(Object.keys(args.environment ?? {}));
    (args.secrets ?? []).forEach((s, i) => {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(s.name))
            problem(`secrets[${i}].name`, s.name, "an environment variable name");
        else if (s.name === PORT_VARIABLE) {
            problem(
                `secrets[${i}].name`,
                s.name,
                "a name other than PORT (the task definition sets it to containerPort)",
            );
        } else if (names.has(s.name)) problem(`secrets[${i}].name`, s.name, "a name no other secret or variable uses");
        names.add(s.name);
        if (!secretArn.test(s.valueFrom)) {
            problem(
                `secrets[${i}].valueFrom`,
                s.valueFrom,
                `the full ARN of a Secrets Manager secret in partition ${args.partition} (with its 6-character suffix)`,
            );
        }
    });
    (args.egress ?? []).forEach((e, i) => {
        if (!Number.isInteger(e.port) || e.port < 1 || e.port > 65535) {
            problem(`egress[${i}].port`, e.port, "a TCP port from 1 to 65535");
        }
        if ((e.cidr === undefined) === (e.securityGroupId === undefined)) {
            problem(`egress[${i}]`, e, "exactly one of cidr and securityGroupId");
        }
    });
    if ((args.ingressCidrs ?? DEFAULT_INGRESS_CIDRS).length === 0) {
        problem("ingressCidrs", [], "at least one CIDR (or no value for the internet)");
    }
    if (problems.length > 0) throw new Error(`FargateService ${args.serviceName}:\n  - ${problems.join("\n  - ")}`);
}

/** Seconds the target group waits for in-flight requests before a task is deregistered. */
export const DEREGISTRATION_DELAY_SECONDS = 30;
/** The load balancer's health check of the tasks (path from args). */
export const TARGET_HEALTH_CHECK = {
    protocol: "HTTP",
    matcher: "200-399",
    interval: 30,
    timeout: 5,
    healthyThreshold: 2,
    unhealthyThreshold: 3,
} as const;
/** Rolling deploys keep every running task until its replacement is healthy. */
export const DEPLOYMENT_MINIMUM_HEALTHY_PERCENT = 100;
export const DEPLOYMENT_MAXIMUM_PERCENT = 200;
/** Listener ports: plain HTTP (redirected when a certificate is set) and HTTPS. */
export const HTTP_PORT = 80;
export const HTTPS_PORT = 443;

type Parent = { readonly parent: pulumi.Resource };

/** Names of the cluster and roles a service creates under `prefix` (FargateServiceArgs.namePrefix). */
export function fargateResourceNames(prefix: string): { cluster: string; executionRole: string; taskRole: string } {
    return { cluster: prefix, executionRole: `${prefix}-execution`, taskRole: `${prefix}-task` };
}

/** ARNs of a service's cluster, ECS service and roles, computed from their names (known at preview). */
export function fargateKnownArns(p: {
    readonly partition: string;
    readonly region: string;
    readonly accountId: string;
    readonly namePrefix: string;
    readonly serviceName: string;
}): { clusterArn: string; serviceArn: string; executionRoleArn: string; taskRoleArn: string } {
    const names = fargateResourceNames(p.namePrefix);
    const ecs = (resource: string) =>
        knownArn({ partition: p.partition, service: "ecs", region: p.region, accountId: p.accountId, resource });
    const role = (name: string) =>
        knownArn({ partition: p.partition, service: "iam", accountId: p.accountId, resource: `role/${name}` });
    return {
        clusterArn: ecs(`cluster/${names.cluster}`),
        // The long ARN format, with the cluster's name (default for services created since 2021).
        serviceArn: ecs(`service/${names.cluster}/${p.serviceName}`),
        executionRoleArn: role(names.executionRole),
        taskRoleArn: role(names.taskRole),
    };
}

/** The cluster the service runs in: the given one, or a new cluster with Container Insights. */
function serviceCluster(
    name: string,
    args: FargateServiceArgs,
    parent: Parent,
): { arn: pulumi.Output<string>; name: pulumi.Output<string> } {
    if (args.cluster) return { arn: pulumi.output(args.cluster.arn), name: pulumi.output(args.cluster.name) };
    const cluster = new aws.ecs.Cluster(
        `${name}-cluster`,
        {
            ...(args.namePrefix ? { name: fargateResourceNames(args.namePrefix).cluster } : {}),
            settings: [{ name: "containerInsights", value: "enabled" }],
        },
        parent,
    );
    return { arn: cluster.arn, name: cluster.name };
}

/** Name of the service's log group. */
export function serviceLogGroupName(serviceName: string): string {
    return `${LOG_GROUP_PREFIX}${serviceName}`;
}

/** The service's KMS-encrypted log group, protected and retained with `protect`. */
function serviceLogGroup(name: string, args: FargateServiceArgs, parent: Parent): aws.cloudwatch.LogGroup {
    const protect = args.protect ?? false;
    return new aws.cloudwatch.LogGroup(
        `${name}-logs`,
        {
            name: serviceLogGroupName(args.serviceName),
            retentionInDays: args.logRetentionDays ?? DEFAULT_LOG_RETENTION_DAYS,
            kmsKeyId: args.logKmsKeyArn,
        },
        { ...parent, protect, retainOnDelete: protect },
    );
}

/** The execution role (ECS agent: image, logs, secrets) and the task role (the application, no permissions). */
function serviceRoles(
    name: string,
    args: FargateServiceArgs,
    logGroup: aws.cloudwatch.LogGroup,
    parent: Parent,
): { execution: aws.iam.Role; task: aws.iam.Role } {
    const execution = new aws.iam.Role(
        `${name}-execution`,
        {
            ...(args.namePrefix ? { name: fargateResourceNames(args.namePrefix).executionRole } : {}),
            description: `ECS agent for ${args.serviceName}: pull its image, write its logs, read its secrets`,
            assumeRolePolicy: pulumi.jsonStringify(
                executionRoleTrustPolicy(args.partition, args.region, args.accountId),
            ),
        },
        parent,
    );
    new aws.iam.RolePolicy(
        `${name}-execution-policy`,
        {
            role: execution.id,
            policy: pulumi.jsonStringify(
                executionRolePolicyDocument({
                    repositoryArn: args.repositoryArn,
                    // Known at preview: the log group's ARN from its name.
                    logGroupArn: knownArn({
                        partition: args.partition,
                        service: "logs",
                        region: args.region,
                        accountId: args.accountId,
                        resource: `log-group:${serviceLogGroupName(args.serviceName)}`,
                    }),
                    secretArns: (args.secrets ?? []).map((s) => secretArnOf(s.valueFrom)),
                    secretsKmsKeyArns: args.secretsKmsKeyArns ?? [],
                    region: args.region,
                }),
            ),
        },
        parent,
    );
    // No permissions: the application gets what it needs through policies attached to taskRoleName.
    const task = new aws.iam.Role(
        `${name}-task`,
        {
            ...(args.namePrefix ? { name: fargateResourceNames(args.namePrefix).taskRole } : {}),
            description: `Application role of ${args.serviceName}`,
            assumeRolePolicy: pulumi.jsonStringify(taskRoleTrustPolicy(args.partition, args.region, args.accountId)),
        },
        parent,
    );
    return { execution, task };
}

/** Pulumi's revision of the family: the bootstrap image (see the note at the top of this file). */
function serviceTaskDefinition(
    name: string,
    args: FargateServiceArgs,
    roles: { execution: aws.iam.Role; task: aws.iam.Role },
    logGroup: aws.cloudwatch.LogGroup,
    parent: Parent,
): aws.ecs.TaskDefinition {
    return new aws.ecs.TaskDefinition(
        `${name}-task-definition`,
        {
            family: args.serviceName,
            requiresCompatibilities: ["FARGATE"],
            networkMode: "awsvpc",
            cpu: String(args.cpu ?? DEFAULT_CPU),
            memory: String(args.memory ?? DEFAULT_MEMORY),
            runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
            executionRoleArn: roles.execution.arn,
            taskRoleArn: roles.task.arn,
            volumes: [{ name: TMP_VOLUME }],
            tags: { [TASK_DEFINITION_SERVICE_TAG]: args.serviceName },
            containerDefinitions: pulumi.jsonStringify(
                containerDefinitions({
                    name: args.serviceName,
                    image: pulumi.interpolate`${args.repositoryUrl}:${BOOTSTRAP_IMAGE_TAG}`,
                    containerPort: args.containerPort ?? DEFAULT_CONTAINER_PORT,
                    healthCheckPath: args.healthCheckPath ?? DEFAULT_HEALTH_CHECK_PATH,
                    logGroupName: serviceLogGroupName(args.serviceName),
                    region: args.region,
                    secrets: args.secrets ?? [],
                    environment: args.environment ?? {},
                }),
            ),
        },
        // After the log group its containers write to, as when it read the group's name.
        { ...parent, dependsOn: [logGroup] },
    );
}

/** Where the deploy step finds Pulumi's newest revision: its ARN in taskDefinitionParameterName. */
function taskDefinitionParameter(
    name: string,
    args: FargateServiceArgs,
    taskDefinition: aws.ecs.TaskDefinition,
    parent: Parent,
): aws.ssm.Parameter {
    return new aws.ssm.Parameter(
        `${name}-task-definition-arn`,
        {
            name: taskDefinitionParameterName(args.serviceName),
            description: `Task definition of ${args.serviceName} that pulumi up registered; the pipeline deploys it`,
            type: "String",
            tier: "Standard",
            // insecureValue, not value (which the provider always marks secret): an ARN is no secret, and the plan
            // and diffs should show which revision the pipeline will deploy.
            insecureValue: taskDefinition.arn,
        },
        parent,
    );
}

/**
 * The port the service receives traffic on, for the deploy step to compare and rewrite: created with the served
 * port, then the deploy step's alone (ignoreChanges), so `pulumi up` never undoes a switch it has not read yet.
 */
function containerPortParameter(name: string, args: FargateServiceArgs, parent: Parent): aws.ssm.Parameter {
    return new aws.ssm.Parameter(
        `${name}-container-port`,
        {
            name: containerPortParameterName(args.serviceName),
            description: `Container port ${args.serviceName} receives load balancer traffic on; its deploy step records it`,
            type: "String",
            tier: "Standard",
            insecureValue: String(servedPort(args)),
        },
        { ...parent, ignoreChanges: ["insecureValue"] },
    );
}

/** The egress rule of one configured connection: its port, to its CIDR or security group. */
export function taskEgressRule(
    securityGroupId: pulumi.Input<string>,
    egress: TaskEgress,
): aws.vpc.SecurityGroupEgressRuleArgs {
    const peer = egress.securityGroupId
        ? { referencedSecurityGroupId: egress.securityGroupId }
        : { cidrIpv4: egress.cidr };
    return {
        securityGroupId,
        ipProtocol: "tcp",
        fromPort: egress.port,
        toPort: egress.port,
        ...peer,
        description: `Configured egress on ${egress.port} (serviceEgress)`,
    };
}

/**
 * The container ports the load balancer must reach: the served one, and the configured one while a deploy has yet
 * to switch the service to it (both, so neither the running tasks nor the deploy's new ones are cut off).
 */
export function loadBalancedPorts(args: FargateServiceArgs): number[] {
    return [...new Set([servedPort(args), args.containerPort ?? DEFAULT_CONTAINER_PORT])];
}

/** The port the running service receives traffic on: the recorded one, else the configured one. */
function servedPort(args: FargateServiceArgs): number {
    return args.servedContainerPort ?? args.containerPort ?? DEFAULT_CONTAINER_PORT;
}

/**
 * Security groups: the ALB takes the listener ports from ingressCidrs and talks only to the tasks; the tasks take
 * only the container ports (loadBalancedPorts) from the ALB and only open HTTPS connections.
 */
function serviceSecurityGroups(
    name: string,
    args: FargateServiceArgs,
    parent: Parent,
): { alb: aws.ec2.SecurityGroup; service: aws.ec2.SecurityGroup } {
    const alb = new aws.ec2.SecurityGroup(
        `${name}-alb-sg`,
        { vpcId: args.vpcId, description: `Load balancer of ${args.serviceName}` },
        parent,
    );
    const service = new aws.ec2.SecurityGroup(
        `${name}-service-sg`,
        { vpcId: args.vpcId, description: `Tasks of ${args.serviceName}` },
        parent,
    );
    const listenerPorts = args.certificateArn ? [HTTPS_PORT, HTTP_PORT] : [HTTP_PORT];
    for (const listenerPort of listenerPorts) {
        (args.ingressCidrs ?? DEFAULT_INGRESS_CIDRS).forEach(
            (cidr, i) =>
                new aws.vpc.SecurityGroupIngressRule(
                    `${name}-alb-in-${listenerPort}-${i}`,
                    {
                        securityGroupId: alb.id,
                        ipProtocol: "tcp",
                        fromPort: listenerPort,
                        toPort: listenerPort,
                        cidrIpv4: cidr,
                        description: `Clients on ${listenerPort}`,
                    },
                    parent,
                ),
        );
    }
    const rule = (groupId: pulumi.Input<string>, peerId: pulumi.Input<string>, port: number, text: string) => ({
        securityGroupId: groupId,
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
        referencedSecurityGroupId: peerId,
        description: text,
    });
    // Named by port: a port change adds the new rules and later drops the old ones, never rewriting a rule that
    // running tasks depend on. The served port's rules answer to the names they had before ports were in them.
    for (const port of loadBalancedPorts(args)) {
        const formerly = (old: string) => ({ ...parent, aliases: port === servedPort(args) ? [{ name: old }] : [] });
        new aws.vpc.SecurityGroupEgressRule(
            `${name}-alb-out-${port}`,
            rule(alb.id, service.id, port, "To the tasks"),
            formerly(`${name}-alb-out`),
        );
        new aws.vpc.SecurityGroupIngressRule(
            `${name}-service-in-${port}`,
            rule(service.id, alb.id, port, "From the load balancer only"),
            formerly(`${name}-service-in`),
        );
    }
    new aws.vpc.SecurityGroupEgressRule(
        `${name}-service-out`,
        {
            securityGroupId: service.id,
            ipProtocol: "tcp",
            fromPort: TASK_EGRESS_PORT,
            toPort: TASK_EGRESS_PORT,
            cidrIpv4: "0.0.0.0/0",
            description: "HTTPS to AWS APIs (ECR, Secrets Manager, Logs) through NAT",
        },
        parent,
    );
    (args.egress ?? []).forEach(
        (egress, i) =>
            new aws.vpc.SecurityGroupEgressRule(`${name}-service-out-${i}`, taskEgressRule(service.id, egress), parent),
    );
    return { alb, service };
}

/** The service's load balancer, target group(s) and the listener it depends on. */
interface LoadBalancing {
    loadBalancer: aws.lb.LoadBalancer;
    targetGroup: aws.lb.TargetGroup;
    forwardListener: aws.lb.Listener;
    /** With blueGreen: the second target group and the rule whose weights ECS shifts. */
    blueGreen?: { green: aws.lb.TargetGroup; productionRule: aws.lb.ListenerRule };
}

/**
 * The internet-facing ALB, its target group and listeners; with blueGreen, a second target group and the
 * production rule. Returns the listener the service depends on.
 */
function serviceLoadBalancing(
    name: string,
    args: FargateServiceArgs,
    albSecurityGroup: aws.ec2.SecurityGroup,
    parent: Parent,
): LoadBalancing {
    const loadBalancer = new aws.lb.LoadBalancer(
        `${name}-alb`,
        {
            // Names are limited to 32 characters (auto-naming from the component name would pass it) and must not
            // collide when a replacement is created before the old one is deleted: see replacementSafeName.
            name: pulumi.output(args.vpcId).apply((vpcId) => loadBalancerName(args.serviceName, vpcId)),
            loadBalancerType: "application",
            internal: false,
            securityGroups: [albSecurityGroup.id],
            subnets: args.publicSubnetIds,
            dropInvalidHeaderFields: true,
            enableDeletionProtection: args.protect ?? false,
            accessLogs: args.accessLogs
                ? { bucket: args.accessLogs.bucket, prefix: args.accessLogs.prefix, enabled: true }
                : undefined,
        },
        parent,
    );
    const targetGroup = serviceTargetGroup(`${name}-tg`, args, targetGroupName, parent);
    const forwardListener = serviceListeners(name, args, loadBalancer, targetGroup, parent);
    if (deploymentStrategyOf(args) !== "blueGreen") return { loadBalancer, targetGroup, forwardListener };
    const green = serviceTargetGroup(`${name}-tg-green`, args, greenTargetGroupName, parent);
    // ECS blue/green shifts traffic by rewriting the weights of a listener rule that forwards to both groups (ECS
    // developer guide, "Application Load Balancer resources for blue/green, linear, and canary deployments"): the
    // rule starts with all traffic on the first group; its actions are ECS's after that.
    const productionRule = new aws.lb.ListenerRule(
        `${name}-production-rule`,
        {
            listenerArn: forwardListener.arn,
            priority: PRODUCTION_RULE_PRIORITY,
            conditions: [{ pathPattern: { values: ["/*"] } }],
            actions: [
                {
                    type: "forward",
                    forward: {
                        targetGroups: [
                            { arn: targetGroup.arn, weight: 100 },
                            { arn: green.arn, weight: 0 },
                        ],
                    },
                },
            ],
        },
        { ...parent, ignoreChanges: ["actions"] },
    );
    return { loadBalancer, targetGroup, forwardListener, blueGreen: { green, productionRule } };
}

/** Priority of the production listener rule ECS blue/green shifts (the only rule of the listener). */
export const PRODUCTION_RULE_PRIORITY = 1;
/** The service principal ECS itself assumes roles as (the infrastructure role of blue/green deployments). */
export const ECS_SERVICE = "ecs.amazonaws.com";

/** The deployment strategy of the service (args, else the config's default). */
export function deploymentStrategyOf(args: Pick<FargateServiceArgs, "deploymentStrategy">): DeploymentStrategy {
    return args.deploymentStrategy ?? "rolling";
}

/** Name of a service's second (green) target group of blue/green deployments. */
export function greenTargetGroupName(serviceName: string, vpcId: string): string {
    return replacementSafeName(serviceName, "target-group-green", vpcId);
}

/** A target group of the service (blue, or blue/green's green): tasks by IP, its health check, named by `nameOf`. */
function serviceTargetGroup(
    resourceName: string,
    args: FargateServiceArgs,
    nameOf: (serviceName: string, vpcId: string) => string,
    parent: Parent,
): aws.lb.TargetGroup {
    return new aws.lb.TargetGroup(
        resourceName,
        {
            name: pulumi.output(args.vpcId).apply((vpcId) => nameOf(args.serviceName, vpcId)),
            port: args.containerPort ?? DEFAULT_CONTAINER_PORT,
            protocol: "HTTP",
            targetType: "ip",
            vpcId: args.vpcId,
            deregistrationDelay: DEREGISTRATION_DELAY_SECONDS,
            healthCheck: {
                enabled: true,
                path: args.healthCheckPath ?? DEFAULT_HEALTH_CHECK_PATH,
                ...TARGET_HEALTH_CHECK,
            },
        },
        // The group's port is only the default of targets registered without one ("used unless you specify a port
        // override when registering the target", ELB CreateTargetGroup); ECS registers each task with its
        // container port, and the health check uses the traffic port. Replacing the group for a new containerPort
        // would point the listener at an empty group until the next deploy.
        { ...parent, ignoreChanges: ["port"] },
    );
}

/**
 * The role ECS assumes to move traffic between the target groups during a blue/green deployment (ECS developer
 * guide, "Amazon ECS infrastructure IAM role for load balancers"), trusted by ECS of this account only. Its policy
 * is the AWS-managed AmazonECSInfrastructureRolePolicyForLoadBalancers narrowed to this service: the ELB describe
 * calls (no resource-level permissions), targets of its target groups, its load balancer's listeners and rules,
 * by name (serviceLoadBalancingArn), so the policy is known at preview.
 */
function loadBalancerInfrastructureRole(name: string, args: FargateServiceArgs, parent: Parent): aws.iam.Role {
    const role = new aws.iam.Role(
        `${name}-ecs-infrastructure`,
        {
            ...(args.namePrefix ? { name: `${args.namePrefix}-ecs-infrastructure` } : {}),
            description: `ECS shifts the load balancer traffic of ${args.serviceName} during blue/green deployments`,
            assumeRolePolicy: JSON.stringify(serviceTrustPolicy(ECS_SERVICE, { sourceAccount: args.accountId })),
        },
        parent,
    );
    new aws.iam.RolePolicy(
        `${name}-ecs-infrastructure-policy`,
        {
            role: role.id,
            policy: pulumi.jsonStringify({
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "ReadLoadBalancing",
                        Effect: "Allow",
                        Action: [
                            "elasticloadbalancing:DescribeListeners",
                            "elasticloadbalancing:DescribeRules",
                            "elasticloadbalancing:DescribeTargetGroups",
                            "elasticloadbalancing:DescribeTargetHealth",
                        ],
                        Resource: "*",
                    },
                    {
                        Sid: "ServiceTargets",
                        Effect: "Allow",
                        Action: ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
                        Resource: serviceLoadBalancingArn(args, "targetgroup/"),
                    },
                    {
                        Sid: "ShiftProductionTraffic",
                        Effect: "Allow",
                        Action: ["elasticloadbalancing:ModifyListener", "elasticloadbalancing:ModifyRule"],
                        Resource: [
                            serviceLoadBalancingArn(args, "listener/app/"),
                            serviceLoadBalancingArn(args, "listener-rule/app/"),
                        ],
                    },
                ],
            }),
        },
        parent,
    );
    return role;
}

/**
 * The ARNs of this service's target groups, or of its load balancer's listeners or rules (`kind`), known at preview:
 * their names start with the service's first ELB_NAME_PREFIX_LENGTH characters (replacementSafeName), and the rest
 * (the name's hash of the VPC id, the ids ELB assigns) is matched by `*`. ARN formats: Elastic Load Balancing's
 * resource types in the Service Authorization Reference (targetgroup/<name>/<id>,
 * listener/app/<load balancer name>/<id>/<id>, listener-rule/app/<load balancer name>/<id>/<id>/<id>).
 */
function serviceLoadBalancingArn(
    args: Pick<FargateServiceArgs, "partition" | "region" | "accountId" | "serviceName">,
    kind: "targetgroup/" | "listener/app/" | "listener-rule/app/",
): string {
    const { partition, region, accountId, serviceName } = args;
    const resource = `${kind}${serviceName.slice(0, ELB_NAME_PREFIX_LENGTH)}-*/*`;
    return formatArn({ partition, service: "elasticloadbalancing", region, accountId, resource });
}

/** With a certificate: HTTPS on 443 and a permanent redirect on 80. Without: plain HTTP on 80 (dev only). */
function serviceListeners(
    name: string,
    args: FargateServiceArgs,
    loadBalancer: aws.lb.LoadBalancer,
    targetGroup: aws.lb.TargetGroup,
    parent: Parent,
): aws.lb.Listener {
    const forward = [{ type: "forward", targetGroupArn: targetGroup.arn }];
    if (!args.certificateArn) {
        return new aws.lb.Listener(
            `${name}-http`,
            { loadBalancerArn: loadBalancer.arn, port: HTTP_PORT, protocol: "HTTP", defaultActions: forward },
            parent,
        );
    }
    const https = new aws.lb.Listener(
        `${name}-https`,
        {
            loadBalancerArn: loadBalancer.arn,
            port: HTTPS_PORT,
            protocol: "HTTPS",
            sslPolicy: httpsSslPolicy(args.partition),
            certificateArn: args.certificateArn,
            defaultActions: forward,
        },
        parent,
    );
    new aws.lb.Listener(
        `${name}-http`,
        {
            loadBalancerArn: loadBalancer.arn,
            port: HTTP_PORT,
            protocol: "HTTP",
            defaultActions: [
                { type: "redirect", redirect: { port: String(HTTPS_PORT), protocol: "HTTPS", statusCode: "HTTP_301" } },
            ],
        },
        parent,
    );
    return https;
}

/** The ECS service: created at 0 tasks, then owned by the pipeline (task definition and count are ignored). */
function ecsService(
    name: string,
    args: FargateServiceArgs,
    parts: {
        clusterArn: pulumi.Input<string>;
        taskDefinition: aws.ecs.TaskDefinition;
        serviceSecurityGroup: aws.ec2.SecurityGroup;
        targetGroup: aws.lb.TargetGroup;
        forwardListener: aws.lb.Listener;
        blueGreen?: LoadBalancing["blueGreen"];
        infrastructureRole?: aws.iam.Role;
    },
    parent: Parent,
): aws.ecs.Service {
    const blueGreen =
        parts.blueGreen && parts.infrastructureRole
            ? {
                  alternateTargetGroupArn: parts.blueGreen.green.arn,
                  productionListenerRule: parts.blueGreen.productionRule.arn,
                  roleArn: parts.infrastructureRole.arn,
              }
            : undefined;
    const alarmNames = [...(args.rollbackAlarmNames ?? [])];
    return new aws.ecs.Service(
        `${name}-service`,
        {
            name: args.serviceName,
            cluster: parts.clusterArn,
            launchType: "FARGATE",
            platformVersion: "LATEST",
            taskDefinition: parts.taskDefinition.arn,
            desiredCount: INITIAL_DESIRED_COUNT,
            networkConfiguration: {
                subnets: args.privateSubnetIds,
                securityGroups: [parts.serviceSecurityGroup.id],
                assignPublicIp: false,
            },
            loadBalancers: [
                {
                    targetGroupArn: parts.targetGroup.arn,
                    containerName: args.serviceName,
                    // The port the running revision maps; the deploy step switches it (note 5 at the top).
                    containerPort: servedPort(args),
                    ...(blueGreen ? { advancedConfiguration: blueGreen } : {}),
                },
            ],
            deploymentCircuitBreaker: { enable: true, rollback: true },
            // ECS's own blue/green (no CodeDeploy): the new revision beside the old, all traffic shifted, then a
            // bake with the alarms as rollback triggers ("Amazon ECS blue/green deployments", ECS developer guide).
            ...(blueGreen
                ? {
                      deploymentConfiguration: {
                          strategy: "BLUE_GREEN",
                          bakeTimeInMinutes: String(args.bakeTimeMinutes ?? DEFAULT_BAKE_TIME_MINUTES),
                      },
                  }
                : {}),
            ...(alarmNames.length > 0 ? { alarms: { alarmNames, enable: true, rollback: true } } : {}),
            deploymentMinimumHealthyPercent: DEPLOYMENT_MINIMUM_HEALTHY_PERCENT,
            deploymentMaximumPercent: DEPLOYMENT_MAXIMUM_PERCENT,
            healthCheckGracePeriodSeconds: args.healthCheckGracePeriodSeconds ?? DEFAULT_HEALTH_CHECK_GRACE_SECONDS,
            propagateTags: "SERVICE",
            enableEcsManagedTags: true,
            enableExecuteCommand: false,
            waitForSteadyState: false,
        },
        // The target groups must be attached to the load balancer before the service registers with them.
        {
            ...parent,
            dependsOn: [parts.forwardListener, ...(parts.blueGreen ? [parts.blueGreen.productionRule] : [])],
            ignoreChanges: SERVICE_IGNORE_CHANGES,
        },
    );
}

/**
 * One NodeJS service on Fargate behind an internet-facing ALB, deployed by the pipeline (see the note at the top of
 * this file for how the first deploy and later `pulumi up` runs share the service with the pipeline).
 */
export class FargateService extends pulumi.ComponentResource {
    public readonly clusterName: pulumi.Output<string>;
    public readonly clusterArn: pulumi.Output<string>;
    public readonly serviceName: pulumi.Output<string>;
    public readonly serviceArn: pulumi.Output<string>;
    /** The container whose image the deploy step replaces. */
    public readonly containerName: string;
    public readonly loadBalancerDnsName: pulumi.Output<string>;
    /** The load balancer's and target groups' ARN suffixes: the dimensions of their CloudWatch metrics. */
    public readonly loadBalancerArnSuffix: pulumi.Output<string>;
    public readonly targetGroupArnSuffixes: pulumi.Output<string>[];
    public readonly taskRoleArn: pulumi.Output<string>;
    public readonly taskRoleName: pulumi.Output<string>;
    public readonly executionRoleArn: pulumi.Output<string>;
    public readonly taskDefinitionFamily: pulumi.Output<string>;
    /** SSM parameter holding the ARN of Pulumi's newest task definition (the deploy step reads it). */
    public readonly taskDefinitionParameterName: pulumi.Output<string>;
    /** SSM parameter holding the port the service receives traffic on (the deploy step rewrites it). */
    public readonly containerPortParameterName: pulumi.Output<string>;
    public readonly serviceSecurityGroupId: pulumi.Output<string>;
    public readonly logGroupName: pulumi.Output<string>;
    /** The count the pipeline's scale-up step sets (SCALE_UP_ENV.desiredCount). */
    public readonly desiredCount: number;

    constructor(name: string, args: FargateServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        validateFargateServiceArgs(args);
        super("devsecops:service:FargateService", name, {}, opts);
        const parent = { parent: this };

        const cluster = serviceCluster(name, args, parent);
        const logGroup = serviceLogGroup(name, args, parent);
        const roles = serviceRoles(name, args, logGroup, parent);
        const taskDefinition = serviceTaskDefinition(name, args, roles, logGroup, parent);
        const parameter = taskDefinitionParameter(name, args, taskDefinition, parent);
        const portParameter = containerPortParameter(name, args, parent);
        const securityGroups = serviceSecurityGroups(name, args, parent);
        const lb = serviceLoadBalancing(name, args, securityGroups.alb, parent);
        const service = ecsService(
            name,
            args,
            {
                clusterArn: cluster.arn,
                taskDefinition,
                serviceSecurityGroup: securityGroups.service,
                targetGroup: lb.targetGroup,
                forwardListener: lb.forwardListener,
                blueGreen: lb.blueGreen,
                infrastructureRole: lb.blueGreen ? loadBalancerInfrastructureRole(name, args, parent) : undefined,
            },
            parent,
        );

        this.clusterName = cluster.name;
        this.clusterArn = cluster.arn;
        this.serviceName = service.name;
        this.serviceArn = service.arn;
        this.containerName = args.serviceName;
        this.loadBalancerDnsName = lb.loadBalancer.dnsName;
        this.loadBalancerArnSuffix = lb.loadBalancer.arnSuffix;
        this.targetGroupArnSuffixes = [lb.targetGroup, ...(lb.blueGreen ? [lb.blueGreen.green] : [])].map(
            (group) => group.arnSuffix,
        );
        this.taskRoleArn = roles.task.arn;
        this.taskRoleName = roles.task.name;
        this.executionRoleArn = roles.execution.arn;
        this.taskDefinitionFamily = taskDefinition.family;
        this.taskDefinitionParameterName = parameter.name;
        this.containerPortParameterName = portParameter.name;
        this.serviceSecurityGroupId = securityGroups.service.id;
        this.logGroupName = logGroup.name;
        this.desiredCount = args.desiredCount ?? DEFAULT_DESIRED_COUNT;
        this.registerOutputs({
            clusterName: this.clusterName,
            clusterArn: this.clusterArn,
            serviceName: this.serviceName,
            serviceArn: this.serviceArn,
            containerName: this.containerName,
            loadBalancerDnsName: this.loadBalancerDnsName,
            taskRoleArn: this.taskRoleArn,
            taskRoleName: this.taskRoleName,
            executionRoleArn: this.executionRoleArn,
            taskDefinitionFamily: this.taskDefinitionFamily,
            taskDefinitionParameterName: this.taskDefinitionParameterName,
            containerPortParameterName: this.containerPortParameterName,
            serviceSecurityGroupId: this.serviceSecurityGroupId,
            logGroupName: this.logGroupName,
            desiredCount: this.desiredCount,
        });
    }
}
