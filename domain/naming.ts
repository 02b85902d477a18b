import { EnvironmentName } from "./configSchema";

/**
 * Deterministic names shared by the tool and environment stacks. Each side computes the other side's role,
 * bucket and alias names from config alone, so no stack reads another stack's outputs and the accounts can be
 * deployed from empty in one pass.
 */
export const NAME_PREFIX = "cicd";

/** Artifact bucket of an environment account (S3 names are global: account and region make it unique). */
export function artifactBucketName(envAccountId: string, region: string): string {
    return `${NAME_PREFIX}-artifacts-${envAccountId}-${region}`;
}

/** Alias of an environment's artifact key. */
export function artifactKeyAlias(env: EnvironmentName): string {
    return `alias/${NAME_PREFIX}-${env}-artifacts`;
}

/** Tool-account role an environment's pipeline assumes to read one service's repository. */
export function sourceRoleName(env: EnvironmentName, service: string): string {
    return `${NAME_PREFIX}-${env}-${service}-source`;
}

/** Tool-account role EventBridge uses to forward one service's pushes to an environment's event bus. */
export function eventForwarderRoleName(env: EnvironmentName, service: string): string {
    return `${NAME_PREFIX}-${env}-${service}-events`;
}

/** Environment-account service role of one service's pipeline. */
export function pipelineRoleName(env: EnvironmentName, service: string): string {
    return `${NAME_PREFIX}-${env}-${service}-pipeline`;
}

/** Environment-account pipeline of one service. */
export function pipelineName(env: EnvironmentName, service: string): string {
    return `${service}-${env}`;
}

/** Environment-account CodeBuild role of one service (build, tests, scans, promotion). */
export function buildRoleName(env: EnvironmentName, service: string): string {
    return `${NAME_PREFIX}-${env}-${service}-build`;
}

/**
 * The permissions boundary every IAM role and user the program creates carries: a managed policy of each account,
 * created by bootstrap/account.yaml (its BoundaryPolicyName). The deploy role creates roles and users only with it.
 */
export const PERMISSIONS_BOUNDARY_NAME = `${NAME_PREFIX}-permissions-boundary`;

/**
 * The parts of an ARN, `arn:<partition>:<service>:<region>:<account>:<resource>`
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html). Global services leave the region empty
 * (IAM), S3 buckets the region and the account.
 */
export interface ArnParts {
    /** aws or aws-us-gov: never spelled in an ARN by hand (GovCloud). */
    readonly partition: string;
    /** The service namespace: iam, kms, s3, logs, ecs, ... */
    readonly service: string;
    /** Empty (or absent) for a global resource. */
    readonly region?: string;
    /** Empty (or absent) for an S3 bucket. */
    readonly accountId?: string;
    /** The resource, with its type as the service writes it: `role/<name>`, `log-group:<name>:*`, `<bucket>/<key>`. */
    readonly resource: string;
}

/** The one ARN formatter: every ARN the program, the rehearsal and the tests build goes through it. */
export function formatArn({ partition, service, region = "", accountId = "", resource }: ArnParts): string {
    return `arn:${partition}:${service}:${region}:${accountId}:${resource}`;
}

/** What every ARN of `service` in `partition` starts with, `arn:<partition>:<service>:` (the formatter's text up to the region). */
export function arnPrefix(partition: string, service: string): string {
    return formatArn({ partition, service, resource: "" }).slice(0, -"::".length);
}

/** ARN of an account's permissions boundary policy, in the given partition. */
export function permissionsBoundaryArn(partition: string, accountId: string): string {
    return formatArn({ partition, service: "iam", accountId, resource: `policy/${PERMISSIONS_BOUNDARY_NAME}` });
}

/** ARN of an IAM role, in the given partition. */
export function roleArn(partition: string, accountId: string, roleName: string): string {
    return formatArn({ partition, service: "iam", accountId, resource: `role/${roleName}` });
}

/** ARN of an account's root principal, in the given partition. */
export function accountRootArn(partition: string, accountId: string): string {
    return formatArn({ partition, service: "iam", accountId, resource: "root" });
}

/** ARN of an S3 bucket (S3 ARNs name neither region nor account), or of keys under it (`/<prefix>*`). */
export function bucketArn(partition: string, bucketName: string, keys = ""): string {
    return formatArn({ partition, service: "s3", resource: `${bucketName}${keys}` });
}

/** ARN of an account's default event bus. */
export function defaultEventBusArn(partition: string, region: string, accountId: string): string {
    return formatArn({ partition, service: "events", region, accountId, resource: "event-bus/default" });
}

/** ARN of an EventBridge rule on the default bus. */
export function eventRuleArn(partition: string, region: string, accountId: string, ruleName: string): string {
    return formatArn({ partition, service: "events", region, accountId, resource: `rule/${ruleName}` });
}

/** ARN of an SSM parameter: a name starting with "/" loses it in the ARN (parameter/<name without the slash>). */
export function ssmParameterArn(partition: string, region: string, accountId: string, name: string): string {
    return formatArn({
        partition,
        service: "ssm",
        region,
        accountId,
        resource: `parameter/${name.replace(/^\//, "")}`,
    });
}

/** ARN of a CodePipeline pipeline (`arn:<partition>:codepipeline:<region>:<account>:<name>`). */
export function codePipelineArn(partition: string, region: string, accountId: string, name: string): string {
    return formatArn({ partition, service: "codepipeline", region, accountId, resource: name });
}

/** ARN of a CloudWatch Logs log group, as a flow log's logDestination names it (no trailing `:*`). */
export function logGroupArn(partition: string, region: string, accountId: string, name: string): string {
    return formatArn({ partition, service: "logs", region, accountId, resource: `log-group:${name}` });
}

/** ARN of a CodeCommit repository. */
export function codeCommitRepositoryArn(partition: string, region: string, accountId: string, name: string): string {
    return formatArn({ partition, service: "codecommit", region, accountId, resource: name });
}

/** Tool-account rule that forwards one service's pushes for an environment to that environment's bus. */
export function forwardRuleName(env: EnvironmentName, service: string): string {
    return `${NAME_PREFIX}-${env}-${service}-forward`;
}

/** Environment-account rule (and its role) that starts one service's pipeline on a forwarded push. */
export function startRuleName(env: EnvironmentName, service: string): string {
    return `${NAME_PREFIX}-${env}-${service}-start`;
}

/** Where an ARN points: the partition, and the region and account once known. */
export interface ArnScope {
    readonly partition: string;
    readonly region?: string;
    readonly accountId?: string;
}

/**
 * A pattern of the ARNs of `service` in `scope` whose resource part matches `resource` (a regular expression);
 * while the region or account is unknown, any. `regional: false` for a global service (IAM: no region).
 */
export function arnPattern(scope: ArnScope, service: string, resource: string, regional = true): RegExp {
    const region = regional ? (scope.region ?? "[a-z0-9-]+") : "";
    const accountId = scope.accountId ?? "\\d{12}";
    return new RegExp(`^${formatArn({ partition: scope.partition, service, region, accountId, resource })}$`);
}

/** Such an ARN as a message shows it (`resource` a placeholder such as `key/<key id>`). */
export function arnExample(scope: ArnScope, service: string, resource: string, regional = true): string {
    const region = regional ? scope.region : "";
    return formatArn({
        partition: scope.partition,
        service,
        region,
        accountId: scope.accountId ?? "<account>",
        resource,
    });
}
