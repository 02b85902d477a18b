import * as aws from "@pulumi/aws";
import { validateResourceOfType } from "@pulumi/policy";
import { resourcePolicy } from "./common";

export const logGroupRetention = resourcePolicy(
    {
        name: "cloudwatch-log-group-retention",
        summary: "Log groups set a retention period (never expire is not allowed).",
        severity: "medium",
        fsbp: ["CloudWatch.16"],
        nist: ["AU-11"],
    },
    validateResourceOfType(aws.cloudwatch.LogGroup, (group, args, report) => {
        if (!group.retentionInDays) {
            report(
                `Log group "${args.name}" has retentionInDays ${group.retentionInDays ?? "unset"} (never expire); ` +
                    `required: a retention period; fix: set retentionInDays (e.g. the stack's logRetentionDays).`,
            );
        }
    }),
);

export const logGroupKms = resourcePolicy(
    {
        name: "cloudwatch-log-group-kms",
        summary: "Log groups are encrypted with a customer-managed KMS key.",
        severity: "medium",
        nist: ["AU-9", "SC-28"],
    },
    validateResourceOfType(aws.cloudwatch.LogGroup, (group, args, report) => {
        if (!group.kmsKeyId) {
            report(
                `Log group "${args.name}" has no kmsKeyId; required: a customer-managed key ARN; fix: set kmsKeyId ` +
                    `(the key policy must allow logs.<region>.amazonaws.com).`,
            );
        }
    }),
);

export const snsTopicKms = resourcePolicy(
    {
        name: "sns-topic-kms",
        summary: "SNS topics are encrypted with KMS (kmsMasterKeyId set).",
        severity: "medium",
        fsbp: ["SNS.1"],
        nist: ["SC-28"],
    },
    validateResourceOfType(aws.sns.Topic, (topic, args, report) => {
        if (!topic.kmsMasterKeyId) {
            report(
                `SNS topic "${args.name}" has no kmsMasterKeyId; required: a KMS key; fix: set kmsMasterKeyId to the ` +
                    `stack's key (the key policy must allow the publishing services).`,
            );
        }
    }),
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

export const loggingPolicies = [logGroupRetention, logGroupKms, snsTopicKms, secretCmk];
