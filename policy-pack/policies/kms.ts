import * as aws from "@pulumi/aws";
import { ResourceValidationArgs, ReportViolation, validateResourceOfType } from "@pulumi/policy";
import {
    CONTEXT_SCHEMA,
    contextOf,
    describeStatement,
    hasCondition,
    isAllow,
    isPublicPrincipal,
    list,
    principalAccounts,
    resourcePolicy,
    statementsOf,
    isProtected,
} from "./common";

/** What another account may do with a key: use it, never administer it. */
export const CROSS_ACCOUNT_KEY_ACTIONS = [
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:DescribeKey",
];
const MIN_DELETION_WINDOW = 7;
const PROTECTED_DELETION_WINDOW = 30;
/** AWS's default when deletionWindowInDays is unset. */
const DEFAULT_DELETION_WINDOW = 30;

export const kmsRotation = resourcePolicy(
    {
        name: "kms-key-rotation",
        summary: "Customer-managed keys rotate their key material yearly.",
        severity: "medium",
        fsbp: ["KMS.4"],
        nist: ["SC-12"],
    },
    validateResourceOfType(aws.kms.Key, (key, args, report) => {
        if (key.enableKeyRotation !== true) {
            report(
                `KMS key "${args.name}" has enableKeyRotation ${key.enableKeyRotation ?? "unset"}; required: true; ` +
                    `fix: set enableKeyRotation: true.`,
            );
        }
    }),
);

export const kmsDeletionWindow = resourcePolicy(
    {
        name: "kms-key-deletion-window",
        summary: `Keys have a deletion window of at least ${MIN_DELETION_WINDOW} days (${PROTECTED_DELETION_WINDOW} in stage and prod).`,
        severity: "high",
        fsbp: ["KMS.3"],
        nist: ["SC-12", "CP-9"],
    },
    validateResourceOfType(aws.kms.Key, (key, args, report) => {
        const ctx = contextOf(args.provider, args.getConfig());
        const required = isProtected(ctx) ? PROTECTED_DELETION_WINDOW : MIN_DELETION_WINDOW;
        const days = key.deletionWindowInDays ?? DEFAULT_DELETION_WINDOW;
        if (days < required) {
            report(
                `KMS key "${args.name}" has deletionWindowInDays ${days} in ${ctx.environment}; required: at least ` +
                    `${required}; fix: set deletionWindowInDays: ${required}.`,
            );
        }
    }),
    CONTEXT_SCHEMA,
);

/** The key policy of an aws.kms.Key or aws.kms.KeyPolicy, or undefined for other types. */
function keyPolicyOf(args: ResourceValidationArgs): unknown {
    return args.asType(aws.kms.Key)?.policy ?? args.asType(aws.kms.KeyPolicy)?.policy;
}

function onKeyPolicies(
    check: (args: ResourceValidationArgs, report: ReportViolation, statements: ReturnType<typeof statementsOf>) => void,
) {
    return (args: ResourceValidationArgs, report: ReportViolation) => {
        if (!args.isType(aws.kms.Key) && !args.isType(aws.kms.KeyPolicy)) {
            args.notApplicable("Policy only applies to aws.kms.Key and aws.kms.KeyPolicy");
        }
        const doc = keyPolicyOf(args);
        if (doc === undefined) return;
        check(args, report, statementsOf(doc));
    };
}

export const kmsNoPublicPrincipal = resourcePolicy(
    {
        name: "kms-key-policy-no-public-principal",
        summary: 'Key policies never allow Principal "*" without a condition.',
        severity: "critical",
        nist: ["AC-3", "AC-6"],
    },
    onKeyPolicies((args, report, statements) => {
        (statements ?? []).forEach((s, i) => {
            if (isAllow(s) && isPublicPrincipal(s.Principal) && !hasCondition(s)) {
                report(
                    `Key policy of "${args.name}": ${describeStatement(s, i)} allows ${JSON.stringify(s.Action)} to ` +
                        `Principal "*" without conditions; required: named principals or a narrowing condition; ` +
                        `fix: name the account root and add a condition such as aws:PrincipalArn.`,
                );
            }
        });
    }),
);

/** True when a pattern such as `kms:ReEncrypt*` covers the action (or is it). */
const allowedAction = (action: string) =>
    CROSS_ACCOUNT_KEY_ACTIONS.some((a) => a.toLowerCase() === action.toLowerCase());

export const kmsCrossAccountLeastPrivilege = resourcePolicy(
    {
        name: "kms-key-policy-cross-account-use-only",
        summary: `Other accounts get only ${CROSS_ACCOUNT_KEY_ACTIONS.join(", ")} on a key, never kms:*.`,
        severity: "high",
        nist: ["AC-6", "SC-12"],
    },
    onKeyPolicies((args, report, statements) => {
        const own = contextOf(args.provider).allowedAccountIds ?? [];
        (statements ?? []).forEach((s, i) => {
            if (!isAllow(s)) return;
            const foreign = principalAccounts(s.Principal).filter((a) => !own.includes(a));
            if (foreign.length === 0) return;
            const extra = list(s.Action).filter((a) => !allowedAction(a));
            if (s.NotAction !== undefined || extra.length > 0) {
                report(
                    `Key policy of "${args.name}": ${describeStatement(s, i)} allows account ${foreign.join(", ")} ` +
                        `${s.NotAction !== undefined ? "NotAction " + JSON.stringify(s.NotAction) : JSON.stringify(extra)}; ` +
                        `required: only ${CROSS_ACCOUNT_KEY_ACTIONS.join(", ")} for another account; ` +
                        `fix: move administration to the owning account and list only those actions.`,
                );
            }
        });
    }),
);

export const kmsPolicies = [kmsRotation, kmsDeletionWindow, kmsNoPublicPrincipal, kmsCrossAccountLeastPrivilege];
