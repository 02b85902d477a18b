import * as aws from "@pulumi/aws";
import { PolicyResource, validateResourceOfType } from "@pulumi/policy";
import { contextOf, Deferred, isProtected, keyVerdict, resourcePolicy, stackPolicy } from "./common";

/** CloudWatch.16's default: at least a year (or never expire). */
export const ONE_YEAR_RETENTION = 365;
/** The floor everywhere (dev and qa included): a quarter, long enough to investigate an incident. */
export const MIN_RETENTION = 90;

function retentionProblem(days: number | undefined, required: number): string | undefined {
    // Unset (or 0) is "never expire", which keeps every log: compliant with CloudWatch.16.
    if (!days) return undefined;
    return days < required ? `${days} days` : undefined;
}

export const logGroupRetentionOneYear = resourcePolicy(
    {
        name: "cloudwatch-log-group-retention-one-year",
        summary: `In stage, prod and tool, log groups keep logs at least ${ONE_YEAR_RETENTION} days (or never expire).`,
        severity: "medium",
        fsbp: ["CloudWatch.16"],
        nist: ["AU-11"],
    },
    validateResourceOfType(aws.cloudwatch.LogGroup, (group, args, report) => {
        const ctx = contextOf(args.provider);
        if (!isProtected(ctx) && ctx.environment !== "tool")
            args.notApplicable(`${ctx.environment}: see the 90-day floor`);
        const problem = retentionProblem(group.retentionInDays, ONE_YEAR_RETENTION);
        if (problem) {
            report(
                `Log group "${args.name}" keeps logs ${problem} in ${ctx.environment}; required: at least ` +
                    `${ONE_YEAR_RETENTION} days or never expire; fix: set logRetentionDays to ${ONE_YEAR_RETENTION} or more.`,
            );
        }
    }),
);

export const logGroupRetentionMinimum = resourcePolicy(
    {
        name: "cloudwatch-log-group-retention-minimum",
        summary: `Every log group keeps logs at least ${MIN_RETENTION} days (or never expires).`,
        severity: "medium",
        nist: ["AU-11"],
    },
    validateResourceOfType(aws.cloudwatch.LogGroup, (group, args, report) => {
        const problem = retentionProblem(group.retentionInDays, MIN_RETENTION);
        if (problem) {
            report(
                `Log group "${args.name}" keeps logs ${problem}; required: at least ${MIN_RETENTION} days or never ` +
                    `expire; fix: set logRetentionDays to ${MIN_RETENTION} or more.`,
            );
        }
    }),
);

/** A stack policy over every resource of `type` whose key property must name a customer-managed key. */
function cmkPolicy(type: string, property: string, what: (r: PolicyResource) => string, fix: string) {
    return (
        args: { resources: PolicyResource[]; notApplicable: (r?: string) => never },
        report: (m: string, urn?: string) => void,
    ) => {
        const resources = args.resources.filter((r) => r.type === type);
        if (resources.length === 0) args.notApplicable(`no ${type} in the stack`);
        const deferred = new Deferred();
        for (const r of resources) {
            // Unknown during preview: a key of this stack when the property depends on one.
            const verdict = keyVerdict(() => r.props[property], deferred, r, property);
            if (verdict.kind === "missing" || verdict.kind === "aws-managed") {
                report(
                    `${what(r)} has ${property} ${verdict.found}; required: a customer-managed key; fix: ${fix}.`,
                    r.urn,
                );
            }
        }
        deferred.finish();
    };
}

export const logGroupKms = stackPolicy(
    {
        name: "cloudwatch-log-group-kms",
        summary: "Log groups are encrypted with a customer-managed KMS key.",
        severity: "medium",
        nist: ["AU-9", "SC-28"],
    },
    cmkPolicy(
        "aws:cloudwatch/logGroup:LogGroup",
        "kmsKeyId",
        (r) => `Log group "${r.name}"`,
        "set kmsKeyId (the key policy must allow logs.<region>.amazonaws.com)",
    ),
);

export const snsTopicKms = stackPolicy(
    {
        name: "sns-topic-kms",
        summary: "SNS topics are encrypted with a customer-managed KMS key (kmsMasterKeyId set, not alias/aws/sns).",
        severity: "medium",
        fsbp: ["SNS.1"],
        nist: ["SC-28"],
    },
    cmkPolicy(
        "aws:sns/topic:Topic",
        "kmsMasterKeyId",
        (r) => `SNS topic "${r.name}"`,
        "set kmsMasterKeyId to the stack's key (the key policy must allow the publishing services)",
    ),
);

export const secretCmk = resourcePolicy(
    {
        name: "secretsmanager-secret-cmk",
        summary: "Secrets Manager secrets are encrypted with a customer-managed KMS key.",
        severity: "medium",
        nist: ["SC-28", "SC-12"],
    },
    validateResourceOfType(aws.secretsmanager.Secret, (secret, args, report) => {
        if (!secret.kmsKeyId || secret.kmsKeyId.endsWith("alias/aws/secretsmanager")) {
            report(
                `Secret "${args.name}" has kmsKeyId ${secret.kmsKeyId ?? "unset"} (the AWS-managed key); required: a ` +
                    `customer-managed key; fix: set kmsKeyId to the stack's key.`,
            );
        }
    }),
);

export const loggingPolicies = [
    logGroupRetentionOneYear,
    logGroupRetentionMinimum,
    logGroupKms,
    snsTopicKms,
    secretCmk,
];
