import * as aws from "@pulumi/aws";
import { ResourceValidationArgs, validateResourceOfType } from "@pulumi/policy";
import {
    CONTEXT_SCHEMA,
    conditionKeys,
    contextOf,
    describeStatement,
    isAllow,
    isPublicPrincipal,
    known,
    list,
    principalAccounts,
    resourcePolicy,
    Statement,
    statementsOf,
} from "./common";

/** Permission policies of a resource: inline policies of a Role, an aws.iam.RolePolicy or aws.iam.Policy. */
function permissionPolicies(args: ResourceValidationArgs): { where: string; document: unknown }[] {
    const role = args.asType(aws.iam.Role);
    if (role) {
        return (role.inlinePolicies ?? []).map((p, i) => ({
            where: `role "${args.name}" inline policy ${p.name ? `"${p.name}"` : i + 1}`,
            document: p.policy,
        }));
    }
    const rolePolicy = args.asType(aws.iam.RolePolicy);
    if (rolePolicy) return [{ where: `role policy "${args.name}"`, document: rolePolicy.policy }];
    const policy = args.asType(aws.iam.Policy);
    if (policy) return [{ where: `policy "${args.name}"`, document: policy.policy }];
    return args.notApplicable("Policy only applies to aws.iam.Role, aws.iam.RolePolicy and aws.iam.Policy");
}

const isWildcardAction = (a: string) => a === "*" || /^[\w-]+:\*$/.test(a);

export const iamNoWildcardAdmin = resourcePolicy(
    {
        name: "iam-no-wildcard-actions-on-all-resources",
        summary: 'No IAM statement allows "*" or "<service>:*" actions on Resource "*".',
        severity: "critical",
        fsbp: ["IAM.1", "IAM.21"],
        nist: ["AC-6"],
    },
    (args, report) => {
        for (const { where, document } of permissionPolicies(args)) {
            (statementsOf(document) ?? []).forEach((s, i) => {
                const wild = list(s.Action).filter(isWildcardAction);
                if (isAllow(s) && wild.length > 0 && list(s.Resource).includes("*")) {
                    report(
                        `IAM ${where}: ${describeStatement(s, i)} allows ${JSON.stringify(wild)} on Resource "*"; ` +
                            `required: named actions or named resources; fix: list the actions the role needs and ` +
                            `scope Resource to the ARNs it uses.`,
                    );
                }
            });
        }
    },
);

/** Glob match of an IAM action pattern against an action. */
const covers = (pattern: string, action: string) =>
    new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`, "i").test(action);

export const iamPassRoleScoped = resourcePolicy(
    {
        name: "iam-passrole-needs-passed-to-service",
        summary: "Every statement allowing iam:PassRole has an iam:PassedToService condition.",
        severity: "high",
        nist: ["AC-6"],
    },
    (args, report) => {
        for (const { where, document } of permissionPolicies(args)) {
            (statementsOf(document) ?? []).forEach((s, i) => {
                const passes = list(s.Action).some((a) => covers(a, "iam:PassRole"));
                if (isAllow(s) && passes && !conditionKeys(s).includes("iam:passedtoservice")) {
                    report(
                        `IAM ${where}: ${describeStatement(s, i)} allows iam:PassRole without an iam:PassedToService ` +
                            `condition; required: StringEquals iam:PassedToService (e.g. ecs-tasks.amazonaws.com); ` +
                            `fix: add the condition and name the roles in Resource.`,
                    );
                }
            });
        }
    },
);

function trustStatements(args: ResourceValidationArgs): Statement[] {
    const role = args.asType(aws.iam.Role);
    if (!role) args.notApplicable("Policy only applies to aws.iam.Role");
    return statementsOf(role!.assumeRolePolicy) ?? [];
}

export const iamTrustNotPublic = resourcePolicy(
    {
        name: "iam-trust-policy-not-public",
        summary: 'No role trust policy allows Principal "*".',
        severity: "critical",
        nist: ["AC-3", "AC-6"],
    },
    (args, report) => {
        trustStatements(args).forEach((s, i) => {
            if (isAllow(s) && isPublicPrincipal(s.Principal)) {
                report(
                    `Role "${args.name}": trust ${describeStatement(s, i)} allows Principal "*"; required: a named ` +
                        `service, account or role; fix: name the principal that assumes this role.`,
                );
            }
        });
    },
);

/** Condition keys that pin a cross-account trust to a caller. */
export const CROSS_ACCOUNT_TRUST_KEYS = ["aws:PrincipalArn", "sts:ExternalId", "aws:PrincipalOrgID"];

export const iamCrossAccountTrustNarrowed = resourcePolicy(
    {
        name: "iam-cross-account-trust-narrowed",
        summary: `A trust to another account is narrowed by a condition on ${CROSS_ACCOUNT_TRUST_KEYS.join(", ")}.`,
        severity: "high",
        nist: ["AC-3", "AC-6"],
    },
    (args, report) => {
        const own = contextOf(args.provider).allowedAccountIds ?? [];
        trustStatements(args).forEach((s, i) => {
            const foreign = principalAccounts(s.Principal).filter((a) => !own.includes(a));
            const keys = conditionKeys(s);
            if (
                isAllow(s) &&
                foreign.length > 0 &&
                !CROSS_ACCOUNT_TRUST_KEYS.some((k) => keys.includes(k.toLowerCase()))
            ) {
                report(
                    `Role "${args.name}": trust ${describeStatement(s, i)} lets account ${foreign.join(", ")} assume it ` +
                        `without a narrowing condition; required: a condition on ${CROSS_ACCOUNT_TRUST_KEYS.join(", ")}; ` +
                        `fix: add e.g. ArnEquals aws:PrincipalArn with the exact caller role.`,
                );
            }
        });
    },
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
            `Access key "${args.name}" for user ${JSON.stringify(key.user)} creates a long-lived credential; required: ` +
                `no aws.iam.AccessKey; fix: remove it and let the workload assume a role.`,
        );
    }),
);

/** The commercial partition's ARN prefix, built so that this file holds no such literal. */
const COMMERCIAL_ARN = ["arn", "aws", ""].join(":");

/** Paths of string values (at any depth) that contain `needle`; unknown values are skipped. */
function findStrings(value: unknown, needle: string, at = ""): string[] {
    if (typeof value === "string") return value.includes(needle) ? [at || "."] : [];
    if (typeof value !== "object" || value === null) return [];
    const keys = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
    return keys.flatMap((k) => {
        const child = known(() => (value as any)[k]);
        return findStrings(child, needle, Array.isArray(value) ? `${at}[${k}]` : at ? `${at}.${k}` : String(k));
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
        const ctx = contextOf(args.provider, args.getConfig());
        if (!ctx.partition || ctx.partition === "aws") args.notApplicable(`partition ${ctx.partition ?? "unknown"}`);
        const paths = findStrings(args.props, COMMERCIAL_ARN);
        if (paths.length > 0) {
            report(
                `${args.type} "${args.name}" holds ${COMMERCIAL_ARN} ARNs at ${paths.join(", ")} in partition ` +
                    `${ctx.partition}; required: ARNs of the stack's partition; fix: build ARNs from aws.getPartition() ` +
                    `(arn:\${partition}:...).`,
            );
        }
    },
    CONTEXT_SCHEMA,
);

export const iamPolicies = [
    iamNoWildcardAdmin,
    iamPassRoleScoped,
    iamTrustNotPublic,
    iamCrossAccountTrustNarrowed,
    iamNoAccessKeys,
    noCommercialArnsInOtherPartitions,
];
