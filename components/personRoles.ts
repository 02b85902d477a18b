import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { StackRole } from "../domain/config";
import { hasTrait } from "../domain/environments";
import {
    accountRootArn,
    bucketArn,
    formatArn,
    NAME_PREFIX,
    PERMISSIONS_BOUNDARY_NAME,
    roleArn,
} from "../domain/naming";
import { narrowedAccountPrincipal } from "./policyDocuments";

/**
 * Roles for people in one account: developer, operator, auditor and break-glass, trusted from the organisation's
 * identity source. Every role carries the account's permissions boundary (the program's stack transformation sets
 * it on every role), so what a person role can do is its inline policy within that boundary. The boundary grants no
 * IAM write: nobody signed in through these roles creates, edits or passes a role.
 */

export const PERSON_ROLES = ["developer", "operator", "auditor", "break-glass"] as const;
export type PersonRole = (typeof PERSON_ROLES)[number];

/** How people reach the roles. */
export type IdentitySource =
    /** An IAM SAML provider of this account: the IdP's role mapping picks the role (AssumeRoleWithSAML). */
    | { readonly kind: "saml"; readonly providerArn: string }
    /**
     * IAM Identity Center (in GovCloud too, with its own ARN and portal patterns:
     * https://docs.aws.amazon.com/govcloud-us/latest/UserGuide/govcloud-sso.html): a permission set per person role (named PERMISSION_SET_PREFIX + role) in the
     * organisation's management or delegated administrator account, whose only right is to assume this account's
     * role; the role trusts the session roles Identity Center provisions for that permission set.
     */
    | { readonly kind: "identity-center" };

/** Permission sets expected in Identity Center: `cicd-developer`, `cicd-operator`, ... */
export const PERMISSION_SET_PREFIX = `${NAME_PREFIX}-`;

/** Longest session of a person role (seconds); break-glass gets the shortest IAM allows. */
export const PERSON_SESSION_SECONDS = 3600;
/** IAM's shortest MaxSessionDuration (3600 to 43200 seconds, CreateRole API reference). */
export const BREAK_GLASS_SESSION_SECONDS = 3600;
/** The MFA of a break-glass session is at most this old (seconds) when the role is assumed. */
export const BREAK_GLASS_MFA_MAX_AGE_SECONDS = 900;

/**
 * The SAML audience of console and CLI sign-in per partition (AWS sign-in endpoint of the partition): the trust of
 * a SAML role requires it, so an assertion meant for another service provider is refused.
 */
export const SAML_AUDIENCE: Readonly<Record<string, string>> = {
    aws: "https://signin.aws.amazon.com/saml",
    "aws-us-gov": "https://signin.amazonaws-us-gov.com/saml",
};

/** A person role's IAM name: `cicd-<stack>-<role>`. */
export function personRoleName(stack: StackRole, role: PersonRole): string {
    return `${NAME_PREFIX}-${stack}-${role}`;
}

/** What the policies of an account's person roles name: the account, and the program's resources in it. */
export interface PersonScope {
    readonly partition: string;
    readonly region: string;
    readonly accountId: string;
    readonly stack: StackRole;
    /** The Project tag every resource of the program carries (aws:defaultTags). */
    readonly projectTag: string;
    /** The program's pipelines in this account (empty in tool). */
    readonly pipelineNames: readonly string[];
}

type Statement = aws.iam.PolicyStatement;
type Document = aws.iam.PolicyDocument;

/** Describe and list calls of the services the program uses: what is there, never what it holds. */
export const METADATA_READS = [
    "cloudwatch:DescribeAlarms",
    "cloudwatch:GetMetricData",
    "cloudwatch:ListMetrics",
    "codebuild:BatchGetBuilds",
    "codebuild:BatchGetProjects",
    "codebuild:ListBuildsForProject",
    "codebuild:ListProjects",
    "codecommit:GetBranch",
    "codecommit:GetRepository",
    "codecommit:ListBranches",
    "codecommit:ListRepositories",
    "codepipeline:GetPipeline",
    "codepipeline:GetPipelineExecution",
    "codepipeline:GetPipelineState",
    "codepipeline:ListActionExecutions",
    "codepipeline:ListPipelineExecutions",
    "codepipeline:ListPipelines",
    "ecr:DescribeImages",
    "ecr:DescribeRepositories",
    "ecr:ListImages",
    "ecs:DescribeClusters",
    "ecs:DescribeServices",
    "ecs:DescribeTaskDefinition",
    "ecs:DescribeTasks",
    "ecs:ListClusters",
    "ecs:ListServices",
    "ecs:ListTaskDefinitions",
    "ecs:ListTasks",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
    "events:DescribeRule",
    "events:ListRules",
    "events:ListTargetsByRule",
    "logs:DescribeLogGroups",
    "logs:DescribeLogStreams",
    "s3:GetBucketLocation",
    "s3:ListAllMyBuckets",
    "sns:ListSubscriptionsByTopic",
    "sns:ListTopics",
    "ssm:DescribeParameters",
    "secretsmanager:ListSecrets",
];

/** What a security audit reads beyond metadata: policies, encryption, findings. No data. */
export const SECURITY_READS = [
    "ecr:DescribeImageScanFindings",
    "ecr:GetLifecyclePolicy",
    "ecr:GetRepositoryPolicy",
    "events:DescribeEventBus",
    "iam:GetRole",
    "inspector2:ListFindings",
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListKeys",
    "s3:GetBucketPolicy",
    "s3:GetBucketPublicAccessBlock",
    "s3:GetBucketVersioning",
    "s3:GetEncryptionConfiguration",
    "s3:GetLifecycleConfiguration",
    "secretsmanager:DescribeSecret",
    "sns:GetTopicAttributes",
];

/** Calls that return data (objects, log events, parameter and secret values, image layers, source). */
export const DATA_READS = [
    "codecommit:GetBlob",
    "codecommit:GetFile",
    "codecommit:GitPull",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
    "kms:Decrypt",
    "logs:FilterLogEvents",
    "logs:GetLogEvents",
    "logs:StartQuery",
    "s3:GetObject",
    "s3:GetObjectVersion",
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
];

/** Identity and key changes: only the deploy role (through the program) makes them. */
export const IDENTITY_AND_KEY_CHANGES = [
    "iam:Add*",
    "iam:Attach*",
    "iam:Create*",
    "iam:Delete*",
    "iam:Detach*",
    "iam:PassRole",
    "iam:Put*",
    "iam:Remove*",
    "iam:Tag*",
    "iam:Untag*",
    "iam:Update*",
    "kms:CancelKeyDeletion",
    "kms:Create*",
    "kms:Delete*",
    "kms:Disable*",
    "kms:Enable*",
    "kms:PutKeyPolicy",
    "kms:ReplicateKey",
    "kms:RetireGrant",
    "kms:RevokeGrant",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:Update*",
];

/** Operating a pipeline: release (start), approve, stop, retry, hold and release stage transitions. */
export const PIPELINE_OPERATIONS = [
    "codepipeline:DisableStageTransition",
    "codepipeline:EnableStageTransition",
    "codepipeline:PutApprovalResult",
    "codepipeline:RetryStageExecution",
    "codepipeline:StopPipelineExecution",
];
/** A release is started on the pipeline itself (its ARN exactly), never on its stages' and actions' ARNs. */
export const PIPELINE_START = "codepipeline:StartPipelineExecution";

/** What break-glass may do to the program's keys: restore their policy, rotation, and cancel a deletion. */
export const KEY_REPAIRS = ["kms:CancelKeyDeletion", "kms:EnableKey", "kms:EnableKeyRotation", "kms:PutKeyPolicy"];

/** Reading the account's logs (operators read what services and builds write). */
export const LOG_READS = ["logs:FilterLogEvents", "logs:GetLogEvents", "logs:GetQueryResults", "logs:StartQuery"];

/**
 * The services a developer experiments with in dev: those of the program's boundary, so the boundary does not
 * silently refuse what the policy grants. (Key management is left out: no developer creates or uses keys.)
 */
/**
 * The calls an experiment makes, per service, verb by verb: never a whole service (`<service>:*`, which takes in its
 * future actions too). Each pattern names actions with a resource type, as the Resource it is scoped to needs;
 * account-wide reads (Describe*, List* without a resource type) come from the metadata reads on "*". Starting a
 * pipeline and putting events are granted apart, on named pipelines and the account's bus (the pack's scoping).
 */
const COMMON_VERBS = ["Create*", "Delete*", "Describe*", "Get*", "List*", "Put*", "Update*", "Tag*", "Untag*"];
export const EXPERIMENT_ACTIONS: Readonly<Record<string, readonly string[]>> = {
    cloudwatch: ["Delete*", "Describe*", "Get*", "List*", "Put*", "Tag*", "Untag*", "Enable*", "Disable*"],
    codebuild: ["Create*", "Delete*", "Describe*", "Get*", "List*", "Put*", "Update*", "Start*", "Stop*", "Retry*"],
    codecommit: [...COMMON_VERBS, "Merge*"],
    codepipeline: ["Create*", "Delete*", "Get*", "List*", "Put*", "Update*", "Tag*", "Untag*", "Stop*"],
    ecr: [
        ...COMMON_VERBS,
        "Start*",
        "BatchGetImage",
        "BatchCheckLayerAvailability",
        "InitiateLayerUpload",
        "UploadLayerPart",
        "CompleteLayerUpload",
    ],
    ecs: [...COMMON_VERBS, "Start*", "Stop*", "Run*", "Register*", "Deregister*"],
    elasticloadbalancing: [
        "Create*",
        "Delete*",
        "Modify*",
        "Set*",
        "AddTags",
        "RemoveTags",
        "Register*",
        "Deregister*",
    ],
    events: [
        "Create*",
        "Delete*",
        "Describe*",
        "List*",
        "PutRule",
        "PutTargets",
        "RemoveTargets",
        "Update*",
        "Tag*",
        "Untag*",
        "Enable*",
        "Disable*",
    ],
    logs: [...COMMON_VERBS, "Start*"],
    s3: [...COMMON_VERBS, "Abort*", "Restore*"],
    secretsmanager: [...COMMON_VERBS, "Stop*", "Restore*", "Rotate*"],
    sns: [
        "Create*",
        "Delete*",
        "Get*",
        "List*",
        "Put*",
        "Tag*",
        "Untag*",
        "Set*",
        "Subscribe",
        "Unsubscribe",
        "Publish",
    ],
    ssm: [
        "Create*",
        "Delete*",
        "Describe*",
        "Get*",
        "List*",
        "Put*",
        "Update*",
        "Start*",
        "Stop*",
        "AddTagsToResource",
        "RemoveTagsFromResource",
    ],
};

export const EXPERIMENT_SERVICES = [
    "cloudwatch",
    "codebuild",
    "codecommit",
    "codepipeline",
    "ecr",
    "ecs",
    "elasticloadbalancing",
    "events",
    "logs",
    "secretsmanager",
    "sns",
    "ssm",
];

const arn = (s: PersonScope, service: string, resource: string) =>
    formatArn({ partition: s.partition, service, region: s.region, accountId: s.accountId, resource });

/**
 * Actions of these lists without a resource type (the Service Authorization Reference lists none for them): they
 * only match `"Resource": "*"`; every other action is scoped to this account's ARNs.
 */
export const ACCOUNT_LEVEL_ACTIONS = new Set([
    "codebuild:ListProjects",
    "codecommit:ListRepositories",
    "codepipeline:ListPipelines",
    "ecr:GetAuthorizationToken",
    "ecs:DescribeTaskDefinition",
    "ecs:ListClusters",
    "ecs:ListServices",
    "ecs:ListTaskDefinitions",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
    "events:ListRules",
    "inspector2:ListFindings",
    "kms:ListAliases",
    "kms:ListKeys",
    "logs:DescribeLogGroups",
    "logs:DescribeQueries",
    "s3:ListAllMyBuckets",
    "secretsmanager:ListSecrets",
    "sns:ListTopics",
    "ssm:DescribeParameters",
]);

/** Every resource of `service` in the scope's account (S3 bucket ARNs carry no account or region). */
function ofThisAccount(s: PersonScope, service: string): string {
    if (service === "s3") return bucketArn(s.partition, `*`);
    if (service === "iam")
        return formatArn({ partition: s.partition, service: "iam", accountId: s.accountId, resource: "*" });
    return arn(s, service, "*");
}

/** Allow statements of `actions`: those with a resource type on this account's resources, the rest on "*". */
function reads(s: PersonScope, sid: string, actions: readonly string[]): Statement[] {
    const scoped = actions.filter((a) => !ACCOUNT_LEVEL_ACTIONS.has(a));
    const accountLevel = actions.filter((a) => ACCOUNT_LEVEL_ACTIONS.has(a));
    const services = [...new Set(scoped.map((a) => a.split(":")[0]))];
    return [
        ...(scoped.length > 0
            ? [
                  <Statement>{
                      Sid: sid,
                      Effect: "Allow",
                      Action: scoped,
                      Resource: services.map((x) => ofThisAccount(s, x)),
                  },
              ]
            : []),
        ...(accountLevel.length > 0
            ? [<Statement>{ Sid: `${sid}AccountLevel`, Effect: "Allow", Action: accountLevel, Resource: "*" }]
            : []),
    ];
}

const noIdentityOrKeyChanges: Statement = {
    Sid: "NoIdentityOrKeyChanges",
    Effect: "Deny",
    Action: IDENTITY_AND_KEY_CHANGES,
    Resource: "*",
};

const noData: Statement = { Sid: "NoData", Effect: "Deny", Action: DATA_READS, Resource: "*" };

/** The program's pipelines and their approval actions. */
function pipelineArns(s: PersonScope): string[] {
    return s.pipelineNames.flatMap((p) => [arn(s, "codepipeline", p), arn(s, "codepipeline", `${p}/*`)]);
}

/** The developer: broad in dev (the services of the boundary, in this account), metadata elsewhere. */
function developerStatements(s: PersonScope): Statement[] {
    if (!hasTrait(s.stack, (t) => t.developerOwned))
        return [...reads(s, "MetadataReads", METADATA_READS), noData, noIdentityOrKeyChanges];
    const everyService = EXPERIMENT_SERVICES.map((svc) => `${svc}:*`);
    const experimentActions = (svc: string) => EXPERIMENT_ACTIONS[svc].map((verb) => `${svc}:${verb}`);
    // Developers own dev: they start its pipelines (a release of their branch) on the pipelines' exact ARNs.
    const startTheirPipelines: Statement[] =
        s.pipelineNames.length === 0
            ? []
            : [
                  {
                      Sid: "StartTheirPipelines",
                      Effect: "Allow",
                      Action: PIPELINE_START,
                      Resource: s.pipelineNames.map((p) => arn(s, "codepipeline", p)),
                  },
              ];
    return [
        {
            Sid: "Experiments",
            Effect: "Allow",
            Action: EXPERIMENT_SERVICES.flatMap(experimentActions),
            Resource: EXPERIMENT_SERVICES.map((svc) => arn(s, svc, "*")),
        },
        {
            Sid: "ExperimentBuckets",
            Effect: "Allow",
            Action: experimentActions("s3"),
            Resource: [bucketArn(s.partition, `*`), bucketArn(s.partition, `*/*`)],
        },
        ...reads(s, "MetadataReads", [...METADATA_READS, "ecr:GetAuthorizationToken", "logs:DescribeQueries"]),
        ...startTheirPipelines,
        // Events for their experiments' rules, on the account's default bus only. No one forges the pushes the
        // pipelines' rules match: a put event's source cannot start with "aws."
        // (https://docs.aws.amazon.com/scheduler/latest/APIReference/API_EventBridgePutEventsV2Parameters.html).
        {
            Sid: "PutEventsOnTheAccountsBus",
            Effect: "Allow",
            Action: "events:PutEvents",
            Resource: arn(s, "events", "event-bus/default"),
        },
        {
            Sid: "NotTheProgramsTaggedResources",
            Effect: "Deny",
            NotAction: [...METADATA_READS, PIPELINE_START],
            Resource: "*",
            Condition: { StringEquals: { "aws:ResourceTag/Project": s.projectTag } },
        },
        {
            Sid: "NotTheProgramsNamedResources",
            Effect: "Deny",
            NotAction: [...METADATA_READS, PIPELINE_START],
            Resource: [
                bucketArn(s.partition, `${NAME_PREFIX}-*`),
                bucketArn(s.partition, `${NAME_PREFIX}-*/*`),
                arn(s, "ssm", `parameter/${NAME_PREFIX}/*`),
                arn(s, "events", `rule/${NAME_PREFIX}-*`),
                ...pipelineArns(s),
            ],
        },
        {
            Sid: "OnlyThisAccount",
            Effect: "Deny",
            Action: [...everyService, "s3:*", "sts:*"],
            Resource: "*",
            // A call on a resource of another account; calls without a resource (no aws:ResourceAccount) stay.
            Condition: {
                StringNotEquals: { "aws:ResourceAccount": s.accountId },
                Null: { "aws:ResourceAccount": "false" },
            },
        },
        noIdentityOrKeyChanges,
    ];
}

/** The operator: release, approve, roll back (a service to an earlier revision), read logs. */
function operatorStatements(s: PersonScope): Statement[] {
    const operate: Statement[] =
        s.pipelineNames.length === 0
            ? []
            : [
                  { Sid: "OperatePipelines", Effect: "Allow", Action: PIPELINE_OPERATIONS, Resource: pipelineArns(s) },
                  {
                      Sid: "StartReleases",
                      Effect: "Allow",
                      Action: PIPELINE_START,
                      Resource: s.pipelineNames.map((p) => arn(s, "codepipeline", p)),
                  },
                  {
                      Sid: "RollBackServices",
                      Effect: "Allow",
                      Action: "ecs:UpdateService",
                      Resource: arn(s, "ecs", "service/*"),
                  },
              ];
    return [
        ...reads(s, "MetadataReads", METADATA_READS),
        ...operate,
        { Sid: "ReadLogs", Effect: "Allow", Action: LOG_READS, Resource: arn(s, "logs", "log-group:*") },
        noIdentityOrKeyChanges,
    ];
}

/** The auditor: metadata and security configuration, no data, no change. */
function auditorStatements(s: PersonScope): Statement[] {
    return [
        ...reads(s, "MetadataReads", METADATA_READS),
        ...reads(s, "SecurityReads", SECURITY_READS),
        noData,
        noIdentityOrKeyChanges,
    ];
}

/**
 * Break-glass: the operator's rights, and the repair of the program's keys (policy, rotation, scheduled deletion)
 * and bucket policies when the deploy path is down. No IAM change (the boundary grants none), no data.
 */
function breakGlassStatements(s: PersonScope): Statement[] {
    return [
        ...operatorStatements(s).filter((x) => x.Sid !== "NoIdentityOrKeyChanges"),
        ...reads(s, "SecurityReads", SECURITY_READS),
        {
            Sid: "RepairProgramKeys",
            Effect: "Allow",
            Action: [...KEY_REPAIRS],
            Resource: arn(s, "kms", "key/*"),
            Condition: { StringEquals: { "aws:ResourceTag/Project": s.projectTag } },
        },
        {
            Sid: "RepairProgramBucketPolicies",
            Effect: "Allow",
            Action: ["s3:PutBucketPolicy", "s3:PutBucketPublicAccessBlock"],
            Resource: bucketArn(s.partition, `${NAME_PREFIX}-*`),
        },
        {
            Sid: "NoOtherIdentityOrKeyChanges",
            Effect: "Deny",
            Action: IDENTITY_AND_KEY_CHANGES.filter((a) => !KEY_REPAIRS.some((r) => r.startsWith(a.replace("*", "")))),
            Resource: "*",
        },
        { Sid: "NoData", Effect: "Deny", Action: DATA_READS.filter((a) => !LOG_READS.includes(a)), Resource: "*" },
    ];
}

const STATEMENTS: Readonly<Record<PersonRole, (s: PersonScope) => Statement[]>> = {
    developer: developerStatements,
    operator: operatorStatements,
    auditor: auditorStatements,
    "break-glass": breakGlassStatements,
};

/** The inline policy of a person role in the account of `scope`. */
export function personRolePolicy(role: PersonRole, scope: PersonScope): Document {
    return { Version: "2012-10-17", Statement: STATEMENTS[role](scope) };
}

/** Trust of a person role from the identity source. */
export function personTrustPolicy(
    partition: string,
    accountId: string,
    role: PersonRole,
    source: IdentitySource,
): Document {
    if (source.kind === "saml") {
        return {
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "IdentityProvider",
                    Effect: "Allow",
                    Principal: { Federated: source.providerArn },
                    Action: "sts:AssumeRoleWithSAML",
                    Condition: { StringEquals: { "SAML:aud": SAML_AUDIENCE[partition] } },
                },
            ],
        };
    }
    // Identity Center provisions role aws-reserved/sso.amazonaws.com/[<region>/]AWSReservedSSO_<set>_<suffix> in
    // each account a permission set is assigned to.
    const sessionRole = roleArn(
        partition,
        accountId,
        `aws-reserved/sso.amazonaws.com/*AWSReservedSSO_${PERMISSION_SET_PREFIX}${role}_*`,
    );
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "IdentityCenterPermissionSet",
                Effect: "Allow",
                Principal: { AWS: accountRootArn(partition, accountId) },
                Action: "sts:AssumeRole",
                Condition: { ArnLike: { "aws:PrincipalArn": sessionRole } },
            },
        ],
    };
}

/**
 * Break-glass trust: named IAM users of the same partition (no role delegates across partitions:
 * https://docs.aws.amazon.com/govcloud-us/latest/UserGuide/govcloud-iam.html) (who still sign in when the identity source is down), each through their
 * account's root narrowed by aws:PrincipalArn, only with MFA used within BREAK_GLASS_MFA_MAX_AGE_SECONDS.
 */
export function breakGlassTrustPolicy(partition: string, userArns: readonly string[]): Document {
    const byAccount = new Map<string, string[]>();
    for (const user of userArns)
        byAccount.set(user.split(":")[4], [...(byAccount.get(user.split(":")[4]) ?? []), user]);
    return {
        Version: "2012-10-17",
        Statement: [...byAccount].map(([accountId, principalArns]) => {
            const { Principal, Condition } = narrowedAccountPrincipal(partition, { accountId, principalArns });
            return {
                Sid: `BreakGlassUsers${accountId}`,
                Effect: "Allow",
                Principal,
                Action: "sts:AssumeRole",
                Condition: {
                    ...Condition,
                    Bool: { "aws:MultiFactorAuthPresent": "true" },
                    NumericLessThan: { "aws:MultiFactorAuthAge": String(BREAK_GLASS_MFA_MAX_AGE_SECONDS) },
                },
            };
        }),
    };
}

/**
 * What the Identity Center permission set of `role` needs for this account (its inline policy, set in the
 * management or delegated administrator account): assume this account's role, nothing else.
 */
export function permissionSetPolicy(
    partition: string,
    accountId: string,
    stack: StackRole,
    role: PersonRole,
): Document {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "AssumeTheAccountsRole",
                Effect: "Allow",
                Action: "sts:AssumeRole",
                Resource: roleArn(partition, accountId, personRoleName(stack, role)),
            },
        ],
    };
}

/**
 * The EventBridge pattern of a break-glass sign-in: CloudTrail's AssumeRole event of the role, which CloudTrail
 * records in the role's account too (https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html).
 * STS is regional, unlike IAM (whose events arrive in us-east-1, or us-gov-west-1): the event arrives in the region
 * that served the call, the regional endpoint's, the only kind outside the commercial partition; the commercial
 * global endpoint serves a call in the region it comes from, or in us-east-1 from an opt-in region
 * (https://docs.aws.amazon.com/sdkref/latest/guide/feature-sts-regionalized-endpoints.html). The rule listens in
 * the stack's region: break-glass users call that region's endpoint (docs/access.md).
 */
export function breakGlassUsePattern(breakGlassRoleArn: string): Record<string, unknown> {
    return {
        source: ["aws.sts"],
        "detail-type": ["AWS API Call via CloudTrail"],
        detail: {
            eventSource: ["sts.amazonaws.com"],
            eventName: ["AssumeRole"],
            requestParameters: { roleArn: [breakGlassRoleArn] },
        },
    };
}

export interface PersonRolesArgs {
    /** The account and the program's resources in it. Required. */
    readonly scope: PersonScope;
    /** Where people sign in. Required. */
    readonly identitySource: IdentitySource;
    /** IAM users (any account of the partition) that may assume break-glass with MFA. Default none: no break-glass. */
    readonly breakGlassUserArns?: readonly string[];
    /** SNS topic alerted when break-glass is assumed. Required with breakGlassUserArns. */
    readonly alarmTopicArn?: pulumi.Input<string>;
    /** Resources the alarm's target waits for (the topic, when its ARN is built from its name). Default: none. */
    readonly alarmTopicDependsOn?: pulumi.Resource[];
}

/** The person roles of one account, their inline policies, and the alarm on a break-glass sign-in. */
export class PersonRoles extends pulumi.ComponentResource {
    /** Role ARN by person role. */
    public readonly roleArns: Record<string, pulumi.Output<string>>;

    constructor(name: string, args: PersonRolesArgs, opts?: pulumi.ComponentResourceOptions) {
        const breakGlassUsers = args.breakGlassUserArns ?? [];
        if (breakGlassUsers.length > 0 && args.alarmTopicArn === undefined) {
            throw new Error(
                `PersonRoles ${name}: alarmTopicArn: found nothing, expected the topic alerted on break-glass use`,
            );
        }
        super("devsecops:security:PersonRoles", name, {}, opts);
        const { partition, accountId, stack } = args.scope;
        const roles = PERSON_ROLES.filter((r) => r !== "break-glass" || breakGlassUsers.length > 0);
        this.roleArns = {};
        for (const person of roles) {
            const breakGlass = person === "break-glass";
            const role = new aws.iam.Role(
                `${name}-${person}`,
                {
                    name: personRoleName(stack, person),
                    description: `People: ${person} of the ${stack} account (within ${PERMISSIONS_BOUNDARY_NAME})`,
                    maxSessionDuration: breakGlass ? BREAK_GLASS_SESSION_SECONDS : PERSON_SESSION_SECONDS,
                    assumeRolePolicy: JSON.stringify(
                        breakGlass
                            ? breakGlassTrustPolicy(partition, breakGlassUsers)
                            : personTrustPolicy(partition, accountId, person, args.identitySource),
                    ),
                    tags: { PersonRole: person },
                },
                { parent: this },
            );
            new aws.iam.RolePolicy(
                `${name}-${person}-policy`,
                { role: role.name, name: person, policy: JSON.stringify(personRolePolicy(person, args.scope)) },
                { parent: this },
            );
            this.roleArns[person] = role.arn;
        }
        if (breakGlassUsers.length > 0) {
            const ruleName = `${personRoleName(stack, "break-glass")}-used`;
            const rule = new aws.cloudwatch.EventRule(
                `${name}-break-glass-used`,
                {
                    name: ruleName,
                    description: `Sign-ins to the break-glass role of the ${stack} account`,
                    eventPattern: JSON.stringify(
                        breakGlassUsePattern(roleArn(partition, accountId, personRoleName(stack, "break-glass"))),
                    ),
                    state: "ENABLED",
                },
                { parent: this },
            );
            new aws.cloudwatch.EventTarget(
                `${name}-break-glass-used-target`,
                { rule: rule.name, targetId: "notify", arn: args.alarmTopicArn! },
                { parent: this, dependsOn: args.alarmTopicDependsOn ?? [] },
            );
        }
        this.registerOutputs({ roleArns: this.roleArns });
    }
}
