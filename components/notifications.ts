import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { UNDECRYPTED_SECRET } from "../domain/config";
import { accountRootArn, NAME_PREFIX } from "../domain/naming";
import { knownArn } from "./policyDocuments";

/** Name of an environment's notification topic, so that its ARN is known at preview. */
export function notificationTopicName(env: string): string {
    return `${NAME_PREFIX}-${env}-notifications`;
}

/** ARN of a topic named by the program. */
export function topicArnOf(partition: string, region: string, accountId: string, topicName: string): string {
    return knownArn({ partition, service: "sns", region, accountId, resource: topicName });
}

/**
 * Services that publish to the topic: EventBridge (pipeline state-change rules) and CloudWatch (alarm actions).
 * Approval requests are published by the pipeline's own role. (CodeStar Notifications does not exist in GovCloud.)
 */
export const DEFAULT_PUBLISHER_SERVICES = ["events.amazonaws.com", "cloudwatch.amazonaws.com"] as const;

/** What the topic owner may do (the statement that replaces SNS's default owner policy). */
const OWNER_ACTIONS = [
    "sns:GetTopicAttributes",
    "sns:SetTopicAttributes",
    "sns:Subscribe",
    "sns:ListSubscriptionsByTopic",
    "sns:Publish",
];

export interface PipelineNotificationsArgs {
    /** ARN (or id) of the customer-managed KMS key that encrypts the topic. Required. */
    readonly kmsKeyArn: pulumi.Input<string>;
    /** This stack's account: topic owner and the only allowed `aws:SourceAccount`. Required. */
    readonly accountId: string;
    /** Partition for ARNs built here. Required. */
    readonly partition: string;
    /** Region of the topic. Required. */
    readonly region: string;
    /** Name of the topic (notificationTopicName): its ARN is then known before it exists. Required. */
    readonly topicName: string;
    /** Email addresses subscribed to the topic (each must confirm). Default none. */
    readonly emails?: readonly string[];
    /**
     * The addresses were set with --secret: each subscription is named by its position (a resource name is plain
     * text in the state) and gets its address as a secret output. Default false.
     */
    readonly secretEmails?: boolean;
    /** Service principals allowed to publish. Default DEFAULT_PUBLISHER_SERVICES. */
    readonly publisherServices?: readonly string[];
}

/**
 * Topic policy: the owning account manages the topic; each publisher service may only `sns:Publish` on behalf of
 * this account (`aws:SourceAccount`, the confused-deputy guard); publishing without TLS is denied.
 */
export function topicPolicyDocument(
    topicArn: pulumi.Input<string>,
    partition: string,
    accountId: string,
    publisherServices: readonly string[],
): aws.iam.PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "OwnerAccess",
                Effect: "Allow",
                Principal: { AWS: accountRootArn(partition, accountId) },
                Action: OWNER_ACTIONS,
                Resource: topicArn,
            },
            {
                Sid: "ServicePublish",
                Effect: "Allow",
                Principal: { Service: [...publisherServices] },
                Action: "sns:Publish",
                Resource: topicArn,
                Condition: { StringEquals: { "aws:SourceAccount": accountId } },
            },
            {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: "sns:Publish",
                Resource: topicArn,
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
        ],
    };
}

/** SNS topic for approvals, pipeline failures and alarms: KMS-encrypted, service publish only, email subscribers. */
export class PipelineNotifications extends pulumi.ComponentResource {
    public readonly topicArn: pulumi.Output<string>;

    constructor(name: string, args: PipelineNotificationsArgs, opts?: pulumi.ComponentResourceOptions) {
        const emails = args.emails ?? [];
        // An address the offline plan could not decrypt is not checked (the plan says so); a secret one not shown.
        const invalid = emails.filter((e) => e !== UNDECRYPTED_SECRET && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(e));
        if (invalid.length > 0) {
            const found = args.secretEmails
                ? invalid.map((e) => `[${emails.indexOf(e)}] [secret]`).join(", ")
                : JSON.stringify(invalid);
            throw new Error(`PipelineNotifications ${name}: emails: found ${found}, expected email addresses`);
        }
        super("devsecops:notifications:PipelineNotifications", name, {}, opts);

        const topic = new aws.sns.Topic(
            `${name}-topic`,
            { name: args.topicName, kmsMasterKeyId: args.kmsKeyArn },
            { parent: this },
        );

        new aws.sns.TopicPolicy(
            `${name}-topic-policy`,
            {
                arn: topic.arn,
                // Known at preview: the topic's ARN from its name.
                policy: pulumi.jsonStringify(
                    topicPolicyDocument(
                        topicArnOf(args.partition, args.region, args.accountId, args.topicName),
                        args.partition,
                        args.accountId,
                        args.publisherServices ?? DEFAULT_PUBLISHER_SERVICES,
                    ),
                ),
            },
            { parent: this },
        );

        // Named by address, so reordering the list replaces nothing; secret addresses by position.
        emails.forEach(
            (email, i) =>
                new aws.sns.TopicSubscription(
                    args.secretEmails ? `${name}-email-${i}` : `${name}-email-${email}`,
                    { topic: topic.arn, protocol: "email", endpoint: args.secretEmails ? pulumi.secret(email) : email },
                    { parent: this },
                ),
        );

        this.topicArn = topic.arn;
        this.registerOutputs({ topicArn: this.topicArn });
    }
}
