import * as aws from "@pulumi/aws";
import { ResourceValidationArgs, ReportViolation, validateResourceOfType } from "@pulumi/policy";
import {
    contextOf,
    Deferred,
    describeStatement,
    isAllow,
    isPublicPrincipal,
    isProtected,
    list,
    ownAccounts,
    resourcePolicy,
    Statement,
    statementsOf,
    UNKNOWN,
} from "./common";
import { foreignAccountsOf, overlyBroad, positiveValues } from "./principals";

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
        const ctx = contextOf(args.provider);
        const required = isProtected(ctx) ? PROTECTED_DELETION_WINDOW : MIN_DELETION_WINDOW;
        const days = key.deletionWindowInDays ?? DEFAULT_DELETION_WINDOW;
        if (days < required) {
            report(
                `KMS key "${args.name}" has deletionWindowInDays ${days} in ${ctx.environment}; required: at least ` +
                    `${required}; fix: set deletionWindowInDays: ${required}.`,
            );
        }
    }),
);

function onKeyPolicies(
    check: (args: ResourceValidationArgs, report: ReportViolation, statements: Statement[]) => void,
) {
    return (args: ResourceValidationArgs, report: ReportViolation) => {
        if (!args.isType(aws.kms.Key) && !args.isType(aws.kms.KeyPolicy)) {
            args.notApplicable("Policy only applies to aws.kms.Key and aws.kms.KeyPolicy");
        }
        const deferred = new Deferred();
        const doc = deferred.read(() => args.props.policy as unknown);
        if (doc !== UNKNOWN && doc !== undefined) check(args, report, statementsOf(doc) ?? []);
        deferred.finish();
    };
}

export const kmsNoPublicPrincipal = resourcePolicy(
    {
        name: "kms-key-policy-no-public-principal",
        summary: 'Key policies never allow Principal "*" (or NotPrincipal) unless a condition narrows the caller.',
        severity: "critical",
        nist: ["AC-3", "AC-6"],
    },
    onKeyPolicies((args, report, statements) => {
        const own = ownAccounts(contextOf(args.provider));
        statements.forEach((s, i) => {
            if (!isAllow(s) || !(isPublicPrincipal(s.Principal) || s.NotPrincipal !== undefined)) return;
            const why = overlyBroad(s, i, own);
            if (why) {
                report(
                    `Key policy of "${args.name}": ${why}; required: named principals or a condition on the caller ` +
                        `(aws:PrincipalArn, kms:CallerAccount); fix: name the account root and add aws:PrincipalArn.`,
                );
            }
        });
    }),
);

/** True when the action is one of the use actions (patterns compared as written). */
const allowedAction = (action: string) =>
    CROSS_ACCOUNT_KEY_ACTIONS.some((a) => a.toLowerCase() === action.toLowerCase());

export const kmsCrossAccountLeastPrivilege = resourcePolicy(
    {
        name: "kms-key-policy-cross-account-use-only",
        summary:
            `Other accounts get only ${CROSS_ACCOUNT_KEY_ACTIONS.join(", ")} on a key, narrowed to exact roles by ` +
            "aws:PrincipalArn and to one service by kms:ViaService.",
        severity: "high",
        nist: ["AC-6", "SC-12"],
    },
    onKeyPolicies((args, report, statements) => {
        const own = ownAccounts(contextOf(args.provider));
        statements.forEach((s, i) => {
            if (!isAllow(s)) return;
            const foreign = foreignAccountsOf(s, own);
            if (foreign.length === 0) return;
            const extra = list(s.Action).filter((a) => !allowedAction(a));
            const via = positiveValues(s, "kms:ViaService") ?? [];
            const problems = [
                s.NotAction !== undefined ? `NotAction ${JSON.stringify(s.NotAction)}` : undefined,
                extra.length > 0 ? `actions ${JSON.stringify(extra)}` : undefined,
                overlyBroad(s, i, own)?.replace(`${describeStatement(s, i)} `, ""),
                via.length === 0 || via.some((v) => v.includes("*")) ? "no kms:ViaService condition" : undefined,
            ].filter((p): p is string => !!p);
            if (problems.length > 0) {
                report(
                    `Key policy of "${args.name}": ${describeStatement(s, i)} for account ${foreign.join(", ")} has ` +
                        `${problems.join("; ")}; required: only ${CROSS_ACCOUNT_KEY_ACTIONS.join(", ")}, ArnEquals ` +
                        `aws:PrincipalArn with exact roles of that account and StringEquals kms:ViaService; fix: ` +
                        `narrow the statement (administration stays with the owning account).`,
                );
            }
        });
    }),
);

export const kmsPolicies = [kmsRotation, kmsDeletionWindow, kmsNoPublicPrincipal, kmsCrossAccountLeastPrivilege];
