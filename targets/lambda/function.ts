import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { SERVICE_NAME, URL_PATH } from "../../domain/config";
import {
    DEFAULT_CONTAINER_PORT,
    DEFAULT_HEALTH_CHECK_PATH,
    DEFAULT_LOG_RETENTION_DAYS,
    DEFAULT_MEMORY,
} from "../../domain/defaults";
import { formatArn } from "../../domain/naming";
import { serviceTrustPolicy } from "../../components/policyDocuments";
import {
    HTTP_PORT,
    HTTPS_PORT,
    httpsSslPolicy,
    replacementSafeName,
    secretArnOf,
    TaskEgress,
    taskEgressRule,
    DEFAULT_INGRESS_CIDRS,
    TASK_EGRESS_PORT,
} from "../fargate/service";
import { deployedImageParameterName, LAMBDA_LOG_GROUP_PREFIX, LIVE_ALIAS } from "./contract";

/*
 * How the function and the pipeline share it
 * -------------------------------------------
 * The artifact is the container image the pipeline builds and scans once in dev and promotes by digest to qa, stage
 * and prod (the same build-image, promote-image and scan-gate steps as Fargate). A container image function cannot
 * be created without an image in its repository, so:
 * 1. Before the first deploy, `pulumi up` creates everything but the function: the execution role, the log group,
 *    the load balancer with an empty Lambda target group (it answers 503), the CodeDeploy application and
 *    deployment group, the alarms.
 * 2. The first deploy step finds no function: it records the promoted image in deployedImageParameterName(service)
 *    and fails, asking for `pulumi up` and then "Release change".
 * 3. `pulumi up` reads that record (stacks/lambdaImages.ts) and creates the function from it, version 1 and the
 *    alias `live` on it, and attaches the alias to the target group.
 * 4. Every later deploy step publishes a version with the promoted image (UpdateFunctionCode --publish) and lets
 *    CodeDeploy shift the alias to it gradually (canary), rolled back by the alarms; then records the image.
 * 5. The function ignores changes to imageUri and the alias to its version and weights: the pipeline owns them.
 */

/** Memory of the function, MiB: the service's memory (DEFAULT_MEMORY). Timeout, seconds. */
export const DEFAULT_TIMEOUT_SECONDS = 30;
/**
 * Concurrent executions reserved for the function: a ceiling that keeps one service from taking the account's
 * whole pool (Lambda keeps 100 unreserved; a new account's pool is 1000).
 */
export const DEFAULT_RESERVED_CONCURRENCY = 50;
/** How CodeDeploy shifts the alias: 10 % for 5 minutes, then the rest (a CodeDeploy predefined Lambda config). */
export const DEFAULT_DEPLOYMENT_CONFIG = "CodeDeployDefault.LambdaCanary10Percent5Minutes";
/** The predefined Lambda configs CodeDeploy offers (canary, linear, all at once). */
export const LAMBDA_DEPLOYMENT_CONFIGS = [
    "CodeDeployDefault.LambdaCanary10Percent5Minutes",
    "CodeDeployDefault.LambdaCanary10Percent10Minutes",
    "CodeDeployDefault.LambdaCanary10Percent15Minutes",
    "CodeDeployDefault.LambdaCanary10Percent30Minutes",
    "CodeDeployDefault.LambdaLinear10PercentEvery1Minute",
    "CodeDeployDefault.LambdaLinear10PercentEvery2Minutes",
    "CodeDeployDefault.LambdaLinear10PercentEvery3Minutes",
    "CodeDeployDefault.LambdaLinear10PercentEvery10Minutes",
] as const;
/** The service principals the function's resources name (the same in GovCloud). */
export const LAMBDA_SERVICE = "lambda.amazonaws.com";
export const CODEDEPLOY_SERVICE = "codedeploy.amazonaws.com";
export const ELB_SERVICE = "elasticloadbalancing.amazonaws.com";
/**
 * What Lambda needs to place a function in a VPC (its managed policy AWSLambdaVPCAccessExecutionRole grants the
 * same): the network interfaces Lambda creates with the execution role. These actions are granted on "*": Lambda
 * creates the interfaces in the subnets it is given, and Describe* supports no resource-level permissions.
 */
export const LAMBDA_VPC_ACTIONS = [
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
] as const;
/** The variable a secret's ARN is given in: `<NAME>_SECRET_ARN` (the function reads the value at start). */
export const SECRET_ARN_SUFFIX = "_SECRET_ARN";
/**
 * The image runs the service's HTTP server behind the Lambda Web Adapter extension (docs/lambda.md): PORT is where
 * the server listens, the adapter waits for the health check path before the first request.
 */
export const WEB_ADAPTER_READINESS_VARIABLE = "AWS_LWA_READINESS_CHECK_PATH";

/** The alarms that roll a deployment back, by the metric of the alias they watch. */
export const LAMBDA_ALARMS = {
    errors: { metric: "Errors", statistic: "Sum", threshold: 1, comparison: "GreaterThanOrEqualToThreshold" },
    throttles: { metric: "Throttles", statistic: "Sum", threshold: 1, comparison: "GreaterThanOrEqualToThreshold" },
    // Milliseconds: 80 % of the timeout (set per function, see lambdaAlarms).
    duration: { metric: "Duration", statistic: "Maximum", threshold: 0, comparison: "GreaterThanThreshold" },
} as const;
export type LambdaAlarm = keyof typeof LAMBDA_ALARMS;

export interface LambdaServiceArgs {
    /** Function name, and the name of its log group, alarms and deploy records. Required. */
    readonly serviceName: string;
    /** The service's ECR repository URL (the function's images). Required. */
    readonly repositoryUrl: string;
    /** Partition, region and account for the ARNs built here. Required. */
    readonly partition: string;
    readonly region: string;
    readonly accountId: string;
    /** VPC of the load balancer and the function's security group. Required. */
    readonly vpcId: pulumi.Input<string>;
    /** Subnets of the function (its network interfaces; two zones or more). Required. */
    readonly privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /** Subnets of the internet-facing load balancer. Required. */
    readonly publicSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /** KMS key ARN of the log group. Required. */
    readonly logKmsKeyArn: pulumi.Input<string>;
    /** Log retention, days. Default DEFAULT_LOG_RETENTION_DAYS (365). */
    readonly logRetentionDays?: number;
    /** Memory, MiB. Default DEFAULT_MEMORY (512). */
    readonly memory?: number;
    /** Port the service's HTTP server listens on inside the function (PORT). Default DEFAULT_CONTAINER_PORT (3000). */
    readonly containerPort?: number;
    /** Path the adapter waits for before the first request. Default DEFAULT_HEALTH_CHECK_PATH (/health). */
    readonly healthCheckPath?: string;
    /** Secrets Manager secrets the function may read, by variable. Default none. */
    readonly secrets?: readonly { readonly name: string; readonly valueFrom: string }[];
    /** KMS keys of those secrets; decrypt only via Secrets Manager. Default none. */
    readonly secretsKmsKeyArns?: readonly string[];
    /** Outbound connections beyond HTTPS. Default none. */
    readonly egress?: readonly TaskEgress[];
    /** ACM certificate of the load balancer: HTTPS on 443, HTTP redirected. Default none: plain HTTP on 80. */
    readonly certificateArn?: string;
    /** The account's notification topic: the alarms notify it. Required. */
    readonly alarmTopicArn: string;
    /** Protect the log group and the load balancer. Default false. */
    readonly protect?: boolean;
    /** Names the roles, the CodeDeploy application and its group: `<prefix>-execution`... Required. */
    readonly namePrefix: string;
    /** The image the deploy step recorded (deployedImageParameterName); none: no function yet. Default none. */
    readonly deployedImage?: string;
    /** Reserved concurrency. Default DEFAULT_RESERVED_CONCURRENCY (50). */
    readonly reservedConcurrency?: number;
    /** Timeout, seconds. Default DEFAULT_TIMEOUT_SECONDS (30). */
    readonly timeoutSeconds?: number;
    /** How CodeDeploy shifts traffic. Default DEFAULT_DEPLOYMENT_CONFIG (canary 10 % for 5 minutes). */
    readonly deploymentConfig?: (typeof LAMBDA_DEPLOYMENT_CONFIGS)[number];
}

/** Names of what a Lambda service creates under `prefix`. */
export function lambdaResourceNames(prefix: string): {
    executionRole: string;
    codeDeployRole: string;
    application: string;
    deploymentGroup: string;
} {
    return {
        executionRole: `${prefix}-execution`,
        codeDeployRole: `${prefix}-codedeploy`,
        application: prefix,
        deploymentGroup: prefix,
    };
}

/** Name of an alarm of the function. */
export function lambdaAlarmName(serviceName: string, alarm: LambdaAlarm): string {
    return `${serviceName}-lambda-${alarm}`;
}

/** ARNs of what a Lambda service creates, computed from their names (known at preview). */
export function lambdaKnownArns(p: {
    readonly partition: string;
    readonly region: string;
    readonly accountId: string;
    readonly namePrefix: string;
    readonly serviceName: string;
    readonly deploymentConfig?: string;
}): {
    functionArn: string;
    executionRoleArn: string;
    applicationArn: string;
    deploymentGroupArn: string;
    deploymentConfigArn: string;
    logGroupArn: string;
    alarmArns: string[];
} {
    const names = lambdaResourceNames(p.namePrefix);
    const at = { partition: p.partition, region: p.region, accountId: p.accountId };
    return {
        functionArn: formatArn({ ...at, service: "lambda", resource: `function:${p.serviceName}` }),
        executionRoleArn: formatArn({
            partition: p.partition,
            service: "iam",
            accountId: p.accountId,
            resource: `role/${names.executionRole}`,
        }),
        applicationArn: formatArn({ ...at, service: "codedeploy", resource: `application:${names.application}` }),
        deploymentGroupArn: formatArn({
            ...at,
            service: "codedeploy",
            resource: `deploymentgroup:${names.application}/${names.deploymentGroup}`,
        }),
        deploymentConfigArn: formatArn({
            ...at,
            service: "codedeploy",
            resource: `deploymentconfig:${p.deploymentConfig ?? DEFAULT_DEPLOYMENT_CONFIG}`,
        }),
        logGroupArn: formatArn({ ...at, service: "logs", resource: `log-group:${lambdaLogGroupName(p.serviceName)}` }),
        alarmArns: (Object.keys(LAMBDA_ALARMS) as LambdaAlarm[]).map((alarm) =>
            formatArn({ ...at, service: "cloudwatch", resource: `alarm:${lambdaAlarmName(p.serviceName, alarm)}` }),
        ),
    };
}

/** Name of the function's log group. */
export function lambdaLogGroupName(serviceName: string): string {
    return `${LAMBDA_LOG_GROUP_PREFIX}${serviceName}`;
}

/**
 * Trust of the execution role: Lambda, without a source condition, as the Lambda developer guide's execution role
 * trusts it: Lambda is not documented to set aws:SourceAccount or aws:SourceArn when it assumes the role (the pack's
 * iam-service-trust-narrowed-to-account leaves it out for that reason). What narrows it is iam:PassRole: only a
 * caller allowed to pass this role can give it to a function (the deploy step passes none).
 */
export function lambdaExecutionTrustPolicy(): aws.iam.PolicyDocument {
    return serviceTrustPolicy(LAMBDA_SERVICE);
}

/**
 * The execution role's permissions: write its own log group, manage the network interfaces of its VPC placement,
 * read exactly its secrets and decrypt them only via Secrets Manager. Nothing with a wildcard action. A container
 * image function needs no ECR permission here: Lambda pulls the image when the function is created or updated, with
 * the caller's permissions ("Amazon ECR permissions", Lambda developer guide, container images).
 */
export function lambdaExecutionPolicyDocument(p: {
    readonly logGroupArn: string;
    readonly secretArns: readonly string[];
    readonly secretsKmsKeyArns: readonly string[];
    readonly region: string;
}): aws.iam.PolicyDocument {
    const statements: aws.iam.PolicyStatement[] = [
        {
            Sid: "WriteLogs",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: `${p.logGroupArn}:log-stream:*`,
        },
        { Sid: "VpcNetworkInterfaces", Effect: "Allow", Action: [...LAMBDA_VPC_ACTIONS], Resource: "*" },
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
 * The CodeDeploy role's permissions: read and move this function's alias, and read its alarms. The narrow form of
 * the managed policy AWSCodeDeployRoleForLambdaLimited (no SNS, no hook functions: the group has neither).
 */
export function codeDeployPolicyDocument(p: {
    readonly functionArn: string;
    readonly alarmArns: readonly string[];
}): aws.iam.PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ShiftAlias",
                Effect: "Allow",
                Action: ["lambda:GetAlias", "lambda:UpdateAlias", "lambda:GetProvisionedConcurrencyConfig"],
                Resource: [p.functionArn, `${p.functionArn}:*`],
            },
            { Sid: "ReadAlarms", Effect: "Allow", Action: "cloudwatch:DescribeAlarms", Resource: [...p.alarmArns] },
        ],
    };
}

/** The function's variables: PORT and the readiness path of the adapter, and each secret's ARN. */
export function lambdaEnvironment(args: LambdaServiceArgs): Record<string, string> {
    const secrets = (args.secrets ?? []).map((s) => [`${s.name}${SECRET_ARN_SUFFIX}`, s.valueFrom]);
    return Object.fromEntries(
        [
            ["PORT", String(args.containerPort ?? DEFAULT_CONTAINER_PORT)],
            [WEB_ADAPTER_READINESS_VARIABLE, args.healthCheckPath ?? DEFAULT_HEALTH_CHECK_PATH],
            ...secrets,
        ].sort(([a], [b]) => a.localeCompare(b)),
    );
}

/** Checks plain args; throws once listing every problem. */
export function validateLambdaServiceArgs(args: LambdaServiceArgs): void {
    const problems: string[] = [];
    const problem = (k: string, found: unknown, expected: string) =>
        problems.push(`${k}: found ${JSON.stringify(found)}, expected ${expected}`);
    if (!SERVICE_NAME.test(args.serviceName)) {
        problem("serviceName", args.serviceName, "3-32 lowercase letters, digits or hyphens");
    }
    const path = args.healthCheckPath ?? DEFAULT_HEALTH_CHECK_PATH;
    if (!URL_PATH.test(path)) problem("healthCheckPath", path, 'a URL path starting with "/"');
    const memory = args.memory ?? DEFAULT_MEMORY;
    if (!Number.isInteger(memory) || memory < 128 || memory > 10240) {
        problem("memory", memory, "whole MiB from 128 to 10240 (Lambda's range)");
    }
    const timeout = args.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
    if (!Number.isInteger(timeout) || timeout < 1 || timeout > 900) {
        problem("timeoutSeconds", timeout, "whole seconds from 1 to 900 (Lambda's range)");
    }
    const reserved = args.reservedConcurrency ?? DEFAULT_RESERVED_CONCURRENCY;
    if (!Number.isInteger(reserved) || reserved < 1) {
        problem("reservedConcurrency", reserved, "a whole number >= 1 (0 would stop every invocation)");
    }
    if (args.deployedImage !== undefined && !args.deployedImage.startsWith(`${args.repositoryUrl}@sha256:`)) {
        problem(
            `${deployedImageParameterName(args.serviceName)}`,
            args.deployedImage,
            `an image of ${args.repositoryUrl} by digest (${args.repositoryUrl}@sha256:<64 hex>), as the deploy step records it`,
        );
    }
    if (problems.length > 0) throw new Error(`LambdaService ${args.serviceName}:\n  - ${problems.join("\n  - ")}`);
}

type Parent = { readonly parent: pulumi.Resource };

/**
 * One NodeJS service as a container image Lambda function behind an internet-facing ALB, its versions shifted by
 * CodeDeploy with alarms as rollback triggers (see the note at the top of this file).
 */
export class LambdaService extends pulumi.ComponentResource {
    public readonly functionName: string;
    public readonly loadBalancerDnsName: pulumi.Output<string>;
    public readonly executionRoleArn: pulumi.Output<string>;
    public readonly logGroupName: pulumi.Output<string>;
    /** Whether the function exists yet (an image was recorded). */
    public readonly created: boolean;

    constructor(name: string, args: LambdaServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        validateLambdaServiceArgs(args);
        super("devsecops:service:LambdaService", name, {}, opts);
        const parent = { parent: this };
        const known = lambdaKnownArns(args);

        const logGroup = functionLogGroup(name, args, parent);
        const executionRole = functionExecutionRole(name, args, known.logGroupArn, parent);
        const securityGroup = functionSecurityGroup(name, args, parent);
        const lb = functionLoadBalancing(name, args, parent);
        functionAlarms(name, args, parent);
        functionCodeDeploy(name, args, known, parent);
        if (args.deployedImage) {
            const fn = lambdaFunction(
                name,
                args,
                { executionRole, securityGroup, logGroup, image: args.deployedImage },
                parent,
            );
            liveAlias(name, args, fn, lb.targetGroup, parent);
        }

        this.functionName = args.serviceName;
        this.loadBalancerDnsName = lb.loadBalancer.dnsName;
        this.executionRoleArn = executionRole.arn;
        this.logGroupName = logGroup.name;
        this.created = args.deployedImage !== undefined;
        this.registerOutputs({
            functionName: this.functionName,
            loadBalancerDnsName: this.loadBalancerDnsName,
            executionRoleArn: this.executionRoleArn,
            logGroupName: this.logGroupName,
            created: this.created,
        });
    }
}

/** The function's KMS-encrypted log group, protected and retained with `protect`. */
function functionLogGroup(name: string, args: LambdaServiceArgs, parent: Parent): aws.cloudwatch.LogGroup {
    const protect = args.protect ?? false;
    return new aws.cloudwatch.LogGroup(
        `${name}-logs`,
        {
            name: lambdaLogGroupName(args.serviceName),
            retentionInDays: args.logRetentionDays ?? DEFAULT_LOG_RETENTION_DAYS,
            kmsKeyId: args.logKmsKeyArn,
        },
        { ...parent, protect, retainOnDelete: protect },
    );
}

/** The execution role and its one inline policy (lambdaExecutionPolicyDocument). */
function functionExecutionRole(
    name: string,
    args: LambdaServiceArgs,
    logGroupArn: string,
    parent: Parent,
): aws.iam.Role {
    const roleName = lambdaResourceNames(args.namePrefix).executionRole;
    const role = new aws.iam.Role(
        `${name}-execution`,
        {
            name: roleName,
            description: `Lambda function ${args.serviceName}: write its logs, its VPC interfaces, read its secrets`,
            assumeRolePolicy: pulumi.jsonStringify(lambdaExecutionTrustPolicy()),
        },
        parent,
    );
    new aws.iam.RolePolicy(
        `${name}-execution-policy`,
        {
            // The role's name, known at preview, so the pack can judge the role with its policy.
            role: roleName,
            policy: pulumi.jsonStringify(
                lambdaExecutionPolicyDocument({
                    logGroupArn,
                    secretArns: (args.secrets ?? []).map((s) => secretArnOf(s.valueFrom)),
                    secretsKmsKeyArns: args.secretsKmsKeyArns ?? [],
                    region: args.region,
                }),
            ),
        },
        { ...parent, dependsOn: [role] },
    );
    return role;
}

/** The function's security group: no ingress (the load balancer invokes it through Lambda), HTTPS and egress out. */
function functionSecurityGroup(name: string, args: LambdaServiceArgs, parent: Parent): aws.ec2.SecurityGroup {
    const group = new aws.ec2.SecurityGroup(
        `${name}-function-sg`,
        { vpcId: args.vpcId, description: `Lambda function ${args.serviceName}` },
        parent,
    );
    new aws.vpc.SecurityGroupEgressRule(
        `${name}-function-out`,
        {
            securityGroupId: group.id,
            ipProtocol: "tcp",
            fromPort: TASK_EGRESS_PORT,
            toPort: TASK_EGRESS_PORT,
            cidrIpv4: "0.0.0.0/0",
            description: "HTTPS to AWS APIs (Secrets Manager, Logs) through NAT",
        },
        parent,
    );
    (args.egress ?? []).forEach(
        (egress, i) =>
            new aws.vpc.SecurityGroupEgressRule(`${name}-function-out-${i}`, taskEgressRule(group.id, egress), parent),
    );
    return group;
}

/**
 * The internet-facing ALB and its Lambda target group. Lambda function URLs are not available in AWS GovCloud (US)
 * ("AWS Lambda in AWS GovCloud (US)", GovCloud user guide), so the load balancer is the entry point in both
 * partitions. The load balancer invokes the function directly, not over the network, so its security group needs no
 * outbound rule, and the group's health check stays off (ELB user guide, "Use Lambda functions as targets").
 */
function functionLoadBalancing(
    name: string,
    args: LambdaServiceArgs,
    parent: Parent,
): { loadBalancer: aws.lb.LoadBalancer; targetGroup: aws.lb.TargetGroup } {
    const albGroup = new aws.ec2.SecurityGroup(
        `${name}-alb-sg`,
        { vpcId: args.vpcId, description: `Load balancer of ${args.serviceName}` },
        parent,
    );
    const listenerPorts = args.certificateArn ? [HTTPS_PORT, HTTP_PORT] : [HTTP_PORT];
    for (const port of listenerPorts) {
        DEFAULT_INGRESS_CIDRS.forEach(
            (cidr, i) =>
                new aws.vpc.SecurityGroupIngressRule(
                    `${name}-alb-in-${port}-${i}`,
                    {
                        securityGroupId: albGroup.id,
                        ipProtocol: "tcp",
                        fromPort: port,
                        toPort: port,
                        cidrIpv4: cidr,
                        description: `Clients on ${port}`,
                    },
                    parent,
                ),
        );
    }
    const loadBalancer = new aws.lb.LoadBalancer(
        `${name}-alb`,
        {
            name: pulumi.output(args.vpcId).apply((vpcId) => replacementSafeName(args.serviceName, vpcId)),
            loadBalancerType: "application",
            internal: false,
            securityGroups: [albGroup.id],
            subnets: args.publicSubnetIds,
            dropInvalidHeaderFields: true,
            enableDeletionProtection: args.protect ?? false,
        },
        parent,
    );
    const targetGroup = new aws.lb.TargetGroup(
        `${name}-tg`,
        {
            name: replacementSafeName(args.serviceName, "lambda-target-group"),
            targetType: "lambda",
            healthCheck: { enabled: false },
        },
        parent,
    );
    const forward = [{ type: "forward", targetGroupArn: targetGroup.arn }];
    if (!args.certificateArn) {
        new aws.lb.Listener(
            `${name}-http`,
            { loadBalancerArn: loadBalancer.arn, port: HTTP_PORT, protocol: "HTTP", defaultActions: forward },
            parent,
        );
    } else {
        new aws.lb.Listener(
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
                    {
                        type: "redirect",
                        redirect: { port: String(HTTPS_PORT), protocol: "HTTPS", statusCode: "HTTP_301" },
                    },
                ],
            },
            parent,
        );
    }
    return { loadBalancer, targetGroup };
}

/**
 * The alarms CodeDeploy watches during a deployment and rolls back on: errors, throttles and a duration near the
 * timeout, of the alias (the Resource dimension `<function>:live`), over one minute.
 */
function functionAlarms(name: string, args: LambdaServiceArgs, parent: Parent): aws.cloudwatch.MetricAlarm[] {
    const timeoutMs = (args.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
    return (Object.entries(LAMBDA_ALARMS) as [LambdaAlarm, (typeof LAMBDA_ALARMS)[LambdaAlarm]][]).map(
        ([alarm, row]) =>
            new aws.cloudwatch.MetricAlarm(
                `${name}-alarm-${alarm}`,
                {
                    name: lambdaAlarmName(args.serviceName, alarm),
                    alarmDescription: `${row.metric} of ${args.serviceName}:${LIVE_ALIAS}; rolls a deployment back`,
                    namespace: "AWS/Lambda",
                    metricName: row.metric,
                    dimensions: { FunctionName: args.serviceName, Resource: `${args.serviceName}:${LIVE_ALIAS}` },
                    statistic: row.statistic,
                    period: 60,
                    evaluationPeriods: 1,
                    threshold: alarm === "duration" ? Math.round(timeoutMs * 0.8) : row.threshold,
                    comparisonOperator: row.comparison,
                    treatMissingData: "notBreaching",
                    actionsEnabled: true,
                    alarmActions: [args.alarmTopicArn],
                },
                parent,
            ),
    );
}

/**
 * CodeDeploy for Lambda: the application, its service role and the deployment group that shifts the alias
 * gradually and rolls back on a failed deployment or an alarm. CloudFormation's per-region type list (awsFacts/schemas.json,
 * from @aws/cloudformation-validate) has AWS::CodeDeploy::Application and DeploymentGroup in both GovCloud regions.
 */
function functionCodeDeploy(
    name: string,
    args: LambdaServiceArgs,
    known: ReturnType<typeof lambdaKnownArns>,
    parent: Parent,
): void {
    const names = lambdaResourceNames(args.namePrefix);
    const application = new aws.codedeploy.Application(
        `${name}-codedeploy`,
        { name: names.application, computePlatform: "Lambda" },
        parent,
    );
    const role = new aws.iam.Role(
        `${name}-codedeploy-role`,
        {
            name: names.codeDeployRole,
            description: `CodeDeploy for ${args.serviceName}: shift its alias, read its alarms`,
            assumeRolePolicy: pulumi.jsonStringify(
                serviceTrustPolicy(CODEDEPLOY_SERVICE, { sourceAccount: args.accountId }),
            ),
        },
        parent,
    );
    new aws.iam.RolePolicy(
        `${name}-codedeploy-policy`,
        {
            role: names.codeDeployRole,
            policy: pulumi.jsonStringify(
                codeDeployPolicyDocument({ functionArn: known.functionArn, alarmArns: known.alarmArns }),
            ),
        },
        { ...parent, dependsOn: [role] },
    );
    new aws.codedeploy.DeploymentGroup(
        `${name}-deployment-group`,
        {
            appName: application.name,
            deploymentGroupName: names.deploymentGroup,
            serviceRoleArn: role.arn,
            deploymentConfigName: args.deploymentConfig ?? DEFAULT_DEPLOYMENT_CONFIG,
            deploymentStyle: { deploymentOption: "WITH_TRAFFIC_CONTROL", deploymentType: "BLUE_GREEN" },
            autoRollbackConfiguration: { enabled: true, events: ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"] },
            alarmConfiguration: {
                enabled: true,
                alarms: (Object.keys(LAMBDA_ALARMS) as LambdaAlarm[]).map((a) => lambdaAlarmName(args.serviceName, a)),
            },
        },
        parent,
    );
}

/** The function from the recorded image: in the VPC, reserved concurrency, version 1 published on creation. */
function lambdaFunction(
    name: string,
    args: LambdaServiceArgs,
    parts: {
        executionRole: aws.iam.Role;
        securityGroup: aws.ec2.SecurityGroup;
        logGroup: aws.cloudwatch.LogGroup;
        image: string;
    },
    parent: Parent,
): aws.lambda.Function {
    return new aws.lambda.Function(
        `${name}-function`,
        {
            name: args.serviceName,
            packageType: "Image",
            imageUri: parts.image,
            // Known at preview, from the role's name: the pack judges the role's policy with the function.
            role: lambdaKnownArns(args).executionRoleArn,
            memorySize: args.memory ?? DEFAULT_MEMORY,
            timeout: args.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
            reservedConcurrentExecutions: args.reservedConcurrency ?? DEFAULT_RESERVED_CONCURRENCY,
            architectures: ["x86_64"],
            publish: true,
            vpcConfig: { subnetIds: args.privateSubnetIds, securityGroupIds: [parts.securityGroup.id] },
            environment: { variables: lambdaEnvironment(args) },
            loggingConfig: { logFormat: "Text", logGroup: lambdaLogGroupName(args.serviceName) },
        },
        // The pipeline publishes the versions (note 4 and 5 at the top of this file).
        { ...parent, dependsOn: [parts.logGroup, parts.executionRole], ignoreChanges: ["imageUri", "publish"] },
    );
}

/** The alias `live`, invocable by the load balancer's target group alone, and attached to it. */
function liveAlias(
    name: string,
    args: LambdaServiceArgs,
    fn: aws.lambda.Function,
    targetGroup: aws.lb.TargetGroup,
    parent: Parent,
): aws.lambda.Alias {
    const alias = new aws.lambda.Alias(
        `${name}-alias`,
        { name: LIVE_ALIAS, functionName: fn.name, functionVersion: fn.version },
        { ...parent, ignoreChanges: ["functionVersion", "routingConfig"] },
    );
    const permission = new aws.lambda.Permission(
        `${name}-alb-invoke`,
        {
            action: "lambda:InvokeFunction",
            function: fn.name,
            qualifier: LIVE_ALIAS,
            principal: ELB_SERVICE,
            sourceArn: targetGroup.arn,
        },
        { ...parent, dependsOn: [alias] },
    );
    new aws.lb.TargetGroupAttachment(
        `${name}-alb-target`,
        { targetGroupArn: targetGroup.arn, targetId: alias.arn },
        { ...parent, dependsOn: [permission] },
    );
    return alias;
}
