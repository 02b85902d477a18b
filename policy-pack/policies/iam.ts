import * as aws from "@pulumi/aws";
import { ResourceValidationArgs, validateResourceOfType } from "@pulumi/policy";
import {
    contextOf,
    Deferred,
    describeStatement,
    grantsAction,
    isAllow,
    known,
    list,
    ownAccounts,
    resourcePolicy,
    Statement,
    statementsOf,
    UNKNOWN,
} from "./common";
import { granteesOf, overlyBroad, positiveValues, sourceNotNarrowed } from "./principals";

interface PermissionDocument {
    where: string;
    statements: Statement[];
}

/**
 * Permission policies of a resource: a Role's inline policies, an aws.iam.RolePolicy, UserPolicy, GroupPolicy or
 * Policy. Unknown documents are deferred (decided at `pulumi up`, when the ARNs they hold are known).
 */
function permissionDocuments(args: ResourceValidationArgs, deferred: Deferred): PermissionDocument[] {
    const read = (where: string, doc: () => unknown): PermissionDocument[] => {
        const d = deferred.read(doc);
        return d === UNKNOWN ? [] : [{ where, statements: statementsOf(d) ?? [] }];
    };
    const role = args.asType(aws.iam.Role);
    if (role) {
        const inline = deferred.read(() => role.inlinePolicies ?? []);
        if (inline === UNKNOWN) return [];
        return inline.flatMap((p, i) =>
            read(`role "${args.name}" inline policy ${known(() => p.name) ? `"${p.name}"` : i + 1}`, () => p.policy),
        );
    }
    if (args.isType(aws.iam.RolePolicy)) return read(`role policy "${args.name}"`, () => args.props.policy);
    if (args.isType(aws.iam.UserPolicy)) return read(`user policy "${args.name}"`, () => args.props.policy);
    if (args.isType(aws.iam.GroupPolicy)) return read(`group policy "${args.name}"`, () => args.props.policy);
    if (args.isType(aws.iam.Policy)) return read(`policy "${args.name}"`, () => args.props.policy);
    return args.notApplicable("Policy only applies to IAM roles, role/user/group policies and managed policies");
}

/** Runs `check` on every Allow statement of the resource's permission policies, then reports what must wait. */
export function eachAllow(check: (s: Statement, i: number, where: string, report: (m: string) => void) => void) {
    return (args: ResourceValidationArgs, report: (m: string) => void) => {
        const deferred = new Deferred();
        for (const { where, statements } of permissionDocuments(args, deferred)) {
            statements.forEach((s, i) => isAllow(s) && check(s, i, where, report));
        }
        deferred.finish();
    };
}

const isWildcardAction = (a: string) => a === "*" || /^[\w-]+:\*$/.test(a);
/** Resource "*" or NotResource (everything but the listed resources). */
const allResources = (s: Statement) => list(s.Resource).includes("*") || s.NotResource !== undefined;
const resourcesText = (s: Statement) =>
    s.NotResource !== undefined ? `NotResource ${JSON.stringify(s.NotResource)}` : 'Resource "*"';

export const iamNoWildcardAdmin = resourcePolicy(
    {
        name: "iam-no-wildcard-actions-on-all-resources",
        summary:
            'No IAM statement allows "*", "<service>:*" or NotAction on all resources (Resource "*" or NotResource).',
        severity: "critical",
        fsbp: ["IAM.1", "IAM.21"],
        nist: ["AC-6"],
    },
    eachAllow((s, i, where, report) => {
        const wild = list(s.Action).filter(isWildcardAction);
        const broad = s.NotAction !== undefined ? `NotAction ${JSON.stringify(s.NotAction)}` : JSON.stringify(wild);
        if ((wild.length > 0 || s.NotAction !== undefined) && allResources(s)) {
            report(
                `IAM ${where}: ${describeStatement(s, i)} allows ${broad} on ${resourcesText(s)}; ` +
                    `required: named actions or named resources; fix: list the actions the role needs and ` +
                    `scope Resource to the ARNs it uses.`,
            );
        }
    }),
);

export const iamPassRoleScoped = resourcePolicy(
    {
        name: "iam-passrole-scoped",
        summary:
            'iam:PassRole is allowed only on named roles (not Resource "*") and with an iam:PassedToService condition.',
        severity: "high",
        nist: ["AC-6"],
    },
    eachAllow((s, i, where, report) => {
        if (!grantsAction(s, "iam:PassRole")) return;
        const services = positiveValues(s, "iam:PassedToService");
        const problems = [
            allResources(s) ? `on ${resourcesText(s)}` : undefined,
            !allResources(s) && [s.Resource].flat().some((r) => typeof r === "string" && r.includes("*"))
                ? `on a wildcard of roles ${JSON.stringify(s.Resource)}`
                : undefined,
            services === undefined ? "without an iam:PassedToService condition" : undefined,
        ].filter((p): p is string => !!p);
        if (problems.length > 0) {
            report(
                `IAM ${where}: ${describeStatement(s, i)} allows iam:PassRole ${problems.join(" and ")}; required: the ` +
                    `ARNs of the roles passed in Resource and StringEquals iam:PassedToService (e.g. ` +
                    `ecs-tasks.amazonaws.com); fix: name the roles and add the condition.`,
            );
        }
    }),
);

/** KMS.2 flags kms:Decrypt and kms:ReEncryptFrom on all keys. */
const DECRYPT_ACTIONS = ["kms:Decrypt", "kms:ReEncryptFrom"];
const ALL_KEYS = /^arn:[\w-]+:kms:[^:]*:[^:]*:key\/\*$/;

export const iamKmsDecryptScoped = resourcePolicy(
    {
        name: "iam-kms-decrypt-scoped",
        summary:
            'IAM policies allow kms:Decrypt / kms:ReEncryptFrom only on named keys (or key/* narrowed by kms:ResourceAliases), never on Resource "*".',
        severity: "high",
        fsbp: ["KMS.2"],
        nist: ["AC-6", "SC-12"],
    },
    eachAllow((s, i, where, report) => {
        const actions = DECRYPT_ACTIONS.filter((a) => grantsAction(s, a));
        if (actions.length === 0) return;
        const byAlias = positiveValues(s, "kms:ResourceAliases") ?? [];
        const everyKey = allResources(s) || list(s.Resource).some((r) => ALL_KEYS.test(r) && byAlias.length === 0);
        if (everyKey) {
            const found = s.NotResource !== undefined ? resourcesText(s) : JSON.stringify(s.Resource);
            report(
                `IAM ${where}: ${describeStatement(s, i)} allows ${actions.join(", ")} on every key (${found}); ` +
                    `required: the key ARNs it decrypts, or key/* with a kms:ResourceAliases condition; fix: scope ` +
                    `Resource to those keys.`,
            );
        }
    }),
);

/** Runs `check` on every Allow statement of a role's trust policy, with the stack's own accounts. */
function forEachAllowedTrust(
    args: ResourceValidationArgs,
    check: (s: Statement, i: number, own: readonly string[]) => void,
): void {
    const role = args.asType(aws.iam.Role);
    if (!role) args.notApplicable("Policy only applies to aws.iam.Role");
    const deferred = new Deferred();
    const own = ownAccounts(contextOf(args.provider));
    const doc = deferred.read(() => role!.assumeRolePolicy);
    const statements = doc === UNKNOWN ? [] : (statementsOf(doc) ?? []);
    statements.forEach((s, i) => {
        if (isAllow(s)) check(s, i, own);
    });
    deferred.finish();
}

export const iamTrustNotPublic = resourcePolicy(
    {
        name: "iam-trust-policy-not-public",
        summary: 'No role trust policy allows Principal "*" (or NotPrincipal) unless a condition narrows the caller.',
        severity: "critical",
        nist: ["AC-3", "AC-6"],
    },
    (args, report) =>
        forEachAllowedTrust(args, (s, i, own) => {
            const problem = s.NotPrincipal !== undefined || list(principalAws(s)).includes("*");
            const why = problem ? overlyBroad(s, i, own) : undefined;
            if (why) {
                report(
                    `Role "${args.name}": trust ${why}; required: a named service, account or role; fix: name the ` +
                        `principal that assumes this role.`,
                );
            }
        }),
);

const principalAws = (s: Statement): unknown =>
    s.Principal === "*" ? "*" : (s.Principal as Record<string, unknown> | undefined)?.AWS;

export const iamCrossAccountTrustNarrowed = resourcePolicy(
    {
        name: "iam-cross-account-trust-narrowed",
        summary:
            "A trust to another account names exact roles: the role's ARN as principal, or the account root with aws:PrincipalArn equal to exact ARNs of that account.",
        severity: "high",
        nist: ["AC-3", "AC-6"],
    },
    (args, report) =>
        forEachAllowedTrust(args, (s, i, own) => {
            if (s.NotPrincipal !== undefined || list(principalAws(s)).includes("*")) return;
            const why = overlyBroad(s, i, own);
            if (why) {
                report(
                    `Role "${args.name}": trust ${why}; required: ArnEquals aws:PrincipalArn with the exact caller ` +
                        `roles of that account; fix: add the condition (a condition such as aws:SecureTransport or ` +
                        `sts:ExternalId does not say who the caller is).`,
                );
            }
        }),
);

/**
 * Service principals that AWS documents with aws:SourceAccount / aws:SourceArn in the trust of the roles they
 * assume (the service sets both keys when it assumes the role for a resource):
 * - codebuild: https://docs.aws.amazon.com/codebuild/latest/userguide/cross-service-confused-deputy-prevention.html
 * - codepipeline: the general rule of https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html; the
 *   program's pipeline roles have trusted it with aws:SourceAccount from the start
 * - events: https://docs.aws.amazon.com/eventbridge/latest/userguide/policy-keys-eventbridge.html (the rule's ARN
 *   and account)
 * - ecs-tasks: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html
 * - vpc-flow-logs: https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html
 * Other services are not judged: ec2.amazonaws.com (instance profiles) sets neither key, so such a condition only
 * breaks the role (prowler-cloud/prowler#2810).
 */
export const SOURCE_AWARE_SERVICES: readonly string[] = [
    "codebuild.amazonaws.com",
    "codepipeline.amazonaws.com",
    "events.amazonaws.com",
    "ecs-tasks.amazonaws.com",
    "vpc-flow-logs.amazonaws.com",
];

export const iamServiceTrustNarrowed = resourcePolicy(
    {
        name: "iam-service-trust-narrowed-to-account",
        summary:
            "A role trust to CodeBuild, CodePipeline, EventBridge, ECS tasks or VPC flow logs requires aws:SourceAccount of this account or aws:SourceArn of its resources (StringEquals / ArnEquals / ArnLike, no wildcard or other account): the confused-deputy guard.",
        severity: "high",
        nist: ["AC-3", "AC-6"],
    },
    (args, report) =>
        forEachAllowedTrust(args, (s, i, own) => {
            const services = granteesOf(s).services.filter((x) => SOURCE_AWARE_SERVICES.includes(x.toLowerCase()));
            const why = services.length > 0 ? sourceNotNarrowed(s, own) : undefined;
            if (why) {
                const account = own.length > 0 ? `this account (${own.join(", ")})` : "this account";
                report(
                    `Role "${args.name}": trust ${describeStatement(s, i)} lets ${services.join(", ")} assume the ` +
                        `role on behalf of any account: ${why}; required: StringEquals aws:SourceAccount with ` +
                        `${account}, or ArnEquals / ArnLike aws:SourceArn with resources of ${account}; fix: add the ` +
                        `condition (serviceTrustPolicy(service, { sourceAccount }) does).`,
                );
            }
        }),
);

export const iamNoAccessKeys = resourcePolicy(
    {
        name: "iam-no-access-keys",
        summary: "No long-lived IAM access keys (aws.iam.AccessKey); use roles.",
        severity: "high",
        fsbp: ["IAM.3"],
        nist: ["IA-5", "AC-2"],
    },
    validateResourceOfType(aws.iam.AccessKey, (key, args, report) => {
        report(
            `Access key "${args.name}" for user ${JSON.stringify(known(() => key.user) ?? "(unknown)")} creates a ` +
                `long-lived credential; required: no aws.iam.AccessKey; fix: remove it and let the workload assume a role.`,
        );
    }),
);

export const iamNoConsoleLogin = resourcePolicy(
    {
        name: "iam-no-console-login",
        summary: "No IAM user gets a console password (aws.iam.UserLoginProfile); people sign in through federation.",
        severity: "high",
        nist: ["IA-2", "AC-2"],
    },
    validateResourceOfType(aws.iam.UserLoginProfile, (profile, args, report) => {
        report(
            `Login profile "${args.name}" gives user ${JSON.stringify(known(() => profile.user) ?? "(unknown)")} a ` +
                `console password; required: no aws.iam.UserLoginProfile; fix: remove it and sign in through IAM ` +
                `Identity Center or another federated identity provider.`,
        );
    }),
);

/** AWS-managed policies that grant administration (or full access to a service). */
export const PRIVILEGED_MANAGED_POLICY =
    /:iam::aws:policy\/(.*\/)?(AdministratorAccess|PowerUserAccess|IAMFullAccess|[\w-]*FullAccess)$/;

/** The managed-policy ARNs a resource attaches: attachments, and a Role's managedPolicyArns. */
function attachedPolicyArns(args: ResourceValidationArgs, deferred: Deferred): string[] {
    const attachment =
        args.isType(aws.iam.RolePolicyAttachment) ||
        args.isType(aws.iam.UserPolicyAttachment) ||
        args.isType(aws.iam.GroupPolicyAttachment) ||
        args.isType(aws.iam.PolicyAttachment);
    if (attachment) {
        const arn = deferred.read(() => args.props.policyArn as string);
        return arn === UNKNOWN ? [] : [String(arn)];
    }
    if (args.isType(aws.iam.Role)) {
        const arns = deferred.read(() => (args.props.managedPolicyArns ?? []) as string[]);
        return arns === UNKNOWN ? [] : arns.map((a) => deferred.read(() => String(a))).filter((a) => a !== UNKNOWN);
    }
    return args.notApplicable("Policy only applies to IAM roles and policy attachments");
}

export const iamNoPrivilegedManagedPolicies = resourcePolicy(
    {
        name: "iam-no-privileged-managed-policies",
        summary:
            "No role, user or group gets AdministratorAccess, PowerUserAccess, IAMFullAccess or another AWS-managed *FullAccess policy.",
        severity: "critical",
        fsbp: ["IAM.1"],
        nist: ["AC-6", "AC-2"],
    },
    (args, report) => {
        const deferred = new Deferred();
        for (const arn of attachedPolicyArns(args, deferred)) {
            if (PRIVILEGED_MANAGED_POLICY.test(arn)) {
                report(
                    `${args.type} "${args.name}" attaches ${arn}; required: a policy that lists the actions and ` +
                        `resources needed; fix: replace the managed policy with a scoped inline or customer policy.`,
                );
            }
        }
        deferred.finish();
    },
);

/** The commercial partition's ARN prefix, built so that this file holds no such literal. */
const COMMERCIAL_ARN = ["arn", "aws", ""].join(":");

/** Paths of string values (at any depth) that contain `needle`; unknown values are skipped. */
function findStrings(value: unknown, needle: string, deferred: Deferred, at = ""): string[] {
    if (typeof value === "string") return value.includes(needle) ? [at || "."] : [];
    if (typeof value !== "object" || value === null) return [];
    const keys = Array.isArray(value) ? Array.from({ length: value.length }, (_, i) => i) : Object.keys(value);
    return keys.flatMap((k) => {
        // An unknown value (computed from another resource) is checked at `pulumi up`; a notice for each would
        // drown the preview, and a literal commercial ARN in the program is always known.
        const child = deferred.peek(() => (value as any)[k]);
        if (child === UNKNOWN) return [];
        const path = Array.isArray(value) ? `${at}[${k}]` : at ? `${at}.${k}` : String(k);
        return findStrings(child, needle, deferred, path);
    });
}

export const noCommercialArnsInOtherPartitions = resourcePolicy(
    {
        name: "arns-match-stack-partition",
        summary: `In a partition other than aws (GovCloud), no resource property holds a commercial ${COMMERCIAL_ARN} ARN.`,
        severity: "high",
        nist: ["CM-6"],
    },
    (args, report) => {
        if (args.type.startsWith("pulumi:")) args.notApplicable("providers and stacks hold no ARNs");
        const ctx = contextOf(args.provider);
        if (!ctx.partition || ctx.partition === "aws") args.notApplicable(`partition ${ctx.partition ?? "unknown"}`);
        // Known values are checked now; values unknown during preview are checked at `pulumi up`.
        const deferred = new Deferred();
        const paths = findStrings(args.props, COMMERCIAL_ARN, deferred);
        if (paths.length > 0) {
            report(
                `${args.type} "${args.name}" holds ${COMMERCIAL_ARN} ARNs at ${paths.join(", ")} in partition ` +
                    `${ctx.partition}; required: ARNs of the stack's partition; fix: build ARNs from aws.getPartition() ` +
                    `(arn:\${partition}:...).`,
            );
        }
        deferred.finish();
    },
);

/**
 * Actions that let a principal give itself or another role more permissions: write or attach a policy to a
 * role, user or group, or change what a managed policy says (privilege escalation paths, AWS IAM User Guide:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_manage-attach-detach.html).
 */
export const POLICY_WRITE_ACTIONS = [
    "iam:PutRolePolicy",
    "iam:AttachRolePolicy",
    "iam:PutUserPolicy",
    "iam:AttachUserPolicy",
    "iam:PutGroupPolicy",
    "iam:AttachGroupPolicy",
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:UpdateAssumeRolePolicy",
    "iam:DeleteRolePermissionsBoundary",
    "iam:PutRolePermissionsBoundary",
];

/** Resources of a statement that name more than one resource: a wildcard anywhere in the ARN, or NotResource. */
const wildcardResources = (s: Statement): string[] =>
    s.NotResource !== undefined
        ? [`NotResource ${JSON.stringify(s.NotResource)}`]
        : list(s.Resource).filter((r) => /[*?]/.test(r));

export const iamNoPolicyWriteEscalation = resourcePolicy(
    {
        name: "iam-no-policy-write-escalation",
        summary:
            'No IAM statement allows writing, attaching or versioning policies (iam:PutRolePolicy, AttachRolePolicy, CreatePolicyVersion, ...; wildcards such as iam:Put* and iam:* expanded) on a wildcard of roles, users, groups or policies (role/*, policy/*, "*").',
        severity: "critical",
        nist: ["AC-6", "AC-3"],
    },
    eachAllow((s, i, where, report) => {
        const actions = POLICY_WRITE_ACTIONS.filter((a) => grantsAction(s, a));
        const wide = wildcardResources(s);
        if (actions.length > 0 && wide.length > 0) {
            report(
                `IAM ${where}: ${describeStatement(s, i)} allows ${actions.join(", ")} on ${wide.join(", ")}; ` +
                    `required: no policy writes on a wildcard of principals or policies (whoever holds it can grant ` +
                    `itself anything); fix: remove the actions, or name the one role or policy they manage.`,
            );
        }
    }),
);

/** One hour: the AWS default, and the longest a chained role session lasts anyway. */
export const MAX_SESSION_SECONDS = 3600;

export const iamRoleSessionDuration = resourcePolicy(
    {
        name: "iam-role-session-duration",
        summary: `Roles keep the default session length: maxSessionDuration at most ${MAX_SESSION_SECONDS} seconds (one hour).`,
        severity: "medium",
        nist: ["AC-12", "AC-2"],
    },
    validateResourceOfType(aws.iam.Role, (role, args, report) => {
        const seconds = role.maxSessionDuration;
        if (seconds !== undefined && seconds > MAX_SESSION_SECONDS) {
            report(
                `Role "${args.name}" has maxSessionDuration ${seconds} (${(seconds / 3600).toFixed(1)} h); required: at ` +
                    `most ${MAX_SESSION_SECONDS}; fix: remove maxSessionDuration or set it to ${MAX_SESSION_SECONDS}.`,
            );
        }
    }),
);

/** Actions that start a pipeline or route events into a bus: each names the one pipeline or bus it reaches. */
export const TRIGGER_ACTIONS = ["codepipeline:StartPipelineExecution", "events:PutEvents"];

export const iamTriggersScoped = resourcePolicy(
    {
        name: "iam-pipeline-triggers-scoped",
        summary:
            'codepipeline:StartPipelineExecution and events:PutEvents (wildcards expanded) are allowed only on named pipelines and event buses, never on a wildcard or Resource "*".',
        severity: "high",
        nist: ["AC-6", "CM-5"],
    },
    eachAllow((s, i, where, report) => {
        const actions = TRIGGER_ACTIONS.filter((a) => grantsAction(s, a));
        const wide = wildcardResources(s);
        if (actions.length > 0 && wide.length > 0) {
            report(
                `IAM ${where}: ${describeStatement(s, i)} allows ${actions.join(", ")} on ${wide.join(", ")}; ` +
                    `required: the ARN of the one pipeline or event bus it triggers; fix: scope Resource to that ARN.`,
            );
        }
    }),
);

export const iamPolicies = [
    iamNoWildcardAdmin,
    iamPassRoleScoped,
    iamKmsDecryptScoped,
    iamTrustNotPublic,
    iamCrossAccountTrustNarrowed,
    iamServiceTrustNarrowed,
    iamNoAccessKeys,
    iamNoConsoleLogin,
    iamNoPrivilegedManagedPolicies,
    noCommercialArnsInOtherPartitions,
];

/** Privilege escalation, sessions and pipeline triggers. */
export const iamEscalationPolicies = [iamNoPolicyWriteEscalation, iamRoleSessionDuration, iamTriggersScoped];
