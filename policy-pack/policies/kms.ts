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
    accountOfArn,
    ownAccounts,
    resourcePolicy,
    Statement,
    statementsOf,
    UNKNOWN,
} from "./common";
import { foreignAccountsOf, granteesOf, overlyBroad, positiveValues, sourceNotNarrowed } from "./principals";

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

export const kmsNoLockoutBypass = resourcePolicy(
    {
        name: "kms-key-policy-lockout-check",
        summary:
            "Keys and key policies never set bypassPolicyLockoutSafetyCheck: KMS refuses a policy that would lock the account out of its key.",
        severity: "high",
        nist: ["AC-3", "SC-12"],
    },
    (args, report) => {
        if (!args.isType(aws.kms.Key) && !args.isType(aws.kms.KeyPolicy)) {
            args.notApplicable("Policy only applies to aws.kms.Key and aws.kms.KeyPolicy");
        }
        if (args.props.bypassPolicyLockoutSafetyCheck === true) {
            report(
                `${args.isType(aws.kms.Key) ? "KMS key" : "Key policy"} "${args.name}" sets ` +
                    `bypassPolicyLockoutSafetyCheck true; required: unset or false (the account must keep ` +
                    `administering the key); fix: remove bypassPolicyLockoutSafetyCheck.`,
            );
        }
    },
);

/**
 * Service principals AWS documents as not sending aws:SourceAccount / aws:SourceArn to KMS, and the most they may
 * get: EventBridge delivering to an encrypted SNS topic (SNS developer guide, "Configure KMS permissions for AWS
 * services": the key policy of such a topic cannot use these conditions for events.amazonaws.com).
 */
export const SERVICES_WITHOUT_SOURCE_KEYS: Readonly<Record<string, readonly string[]>> = {
    "events.amazonaws.com": ["kms:GenerateDataKey*", "kms:Decrypt"],
};
/** CloudWatch Logs names the log group in the encryption context; its ARN narrows the key to this account's groups. */
const LOGS_CONTEXT = "kms:EncryptionContext:aws:logs:arn";

export const kmsServiceStatementsNarrowed = resourcePolicy(
    {
        name: "kms-key-policy-service-narrowed",
        summary:
            "A key policy statement for an AWS service requires aws:SourceAccount or aws:SourceArn of this account (CloudWatch Logs: its log-group encryption context of this account); a service that cannot send them (EventBridge to encrypted topics) gets only kms:GenerateDataKey* and kms:Decrypt.",
        severity: "high",
        nist: ["AC-3", "AC-6", "SC-12"],
    },
    onKeyPolicies((args, report, statements) => {
        const own = ownAccounts(contextOf(args.provider));
        statements.forEach((s, i) => {
            const services = granteesOf(s).services.map((x) => x.toLowerCase());
            if (!isAllow(s) || services.length === 0) return;
            const why = sourceNotNarrowed(s, own);
            if (!why) return;
            const logs = positiveValues(s, LOGS_CONTEXT) ?? [];
            if (logs.length > 0 && logs.every((a) => own.includes(accountOfArn(a) ?? ""))) return;
            const context = logs.length > 0 ? `; ${LOGS_CONTEXT} ${JSON.stringify(logs)} is not of this account` : "";
            const exempt = services.every((x) => SERVICES_WITHOUT_SOURCE_KEYS[x]);
            const allowed = services.flatMap((x) => SERVICES_WITHOUT_SOURCE_KEYS[x] ?? []);
            const extra = list(s.Action).filter((a) => !allowed.some((x) => x.toLowerCase() === a.toLowerCase()));
            if (exempt && s.NotAction === undefined && extra.length === 0) return;
            report(
                `Key policy of "${args.name}": ${describeStatement(s, i)} lets ${services.join(", ")} use the key on ` +
                    `behalf of any account (${why}${context}${exempt ? `; and it grants ${s.NotAction !== undefined ? "NotAction" : JSON.stringify(extra)} beyond ${JSON.stringify(allowed)}` : ""}); ` +
                    `required: StringEquals aws:SourceAccount of this account (${own.join(", ") || "unknown"}) or ` +
                    `aws:SourceArn of its resources; fix: add the condition.`,
            );
        });
    }),
);

export const kmsAliasOwnKey = resourcePolicy(
    {
        name: "kms-alias-own-key",
        summary:
            "KMS aliases point at a key of this account (the roles that find the artifact key by alias, kms:ResourceAliases, must reach this account's key).",
        severity: "high",
        nist: ["SC-12", "AC-3"],
    },
    validateResourceOfType(aws.kms.Alias, (alias, args, report) => {
        const own = ownAccounts(contextOf(args.provider));
        // An id AWS assigns (unknown at preview) decides too: an alias and its key are always of the same account
        // and Region, AWS refuses any other target (AWS::KMS::Alias, CloudFormation template reference), so only
        // a known ARN of another account is a finding, caught here before AWS refuses it at `pulumi up`.
        const target = new Deferred().peek(() => alias.targetKeyId);
        const account = typeof target === "string" ? accountOfArn(target) : undefined;
        if (account && !own.includes(account)) {
            report(
                `KMS alias "${args.name}" points at ${String(target)} of account ${account}; required: a key of this account ` +
                    `(${own.join(", ") || "unknown"}); fix: set targetKeyId to this stack's key.`,
            );
        }
    }),
);

export const kmsPolicies = [kmsRotation, kmsDeletionWindow, kmsNoPublicPrincipal, kmsCrossAccountLeastPrivilege];

/** The lockout check, service statements and aliases. */
export const kmsKeyPolicyPolicies = [kmsNoLockoutBypass, kmsServiceStatementsNarrowed, kmsAliasOwnKey];
