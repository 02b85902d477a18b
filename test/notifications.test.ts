import * as aws from "@pulumi/aws";
import { expect } from "chai";
import { PipelineNotifications } from "../components/notifications";
import { runStack } from "../offline/runtime/mockRuntime";

const KEY = "arn:aws-us-gov:kms:us-gov-west-1:271828182845:key/11111111-2222-3333-4444-555555555555";

describe("PipelineNotifications", () => {
    it("creates a KMS-encrypted topic, a service-publish policy scoped to this account, and email subscriptions", async () => {
        let topicArn: unknown;
        const run = await runStack("dev", async () => {
            const provider = new aws.Provider("aws", { region: "us-gov-west-1" });
            const n = new PipelineNotifications(
                "orders-api-notify",
                {
                    kmsKeyArn: KEY,
                    accountId: "271828182845",
                    partition: "aws-us-gov",
                    region: "us-gov-west-1",
                    topicName: "cicd-dev-notifications",
                    emails: ["dev-pipeline@example.gov", "oncall@example.gov"],
                },
                { provider },
            );
            n.topicArn.apply((a) => (topicArn = a));
        });
        if (run.error) throw run.error;
        const [topic] = run.resources.filter((r) => r.type === "aws:sns/topic:Topic");
        expect(topic.inputs.kmsMasterKeyId).to.equal(KEY);
        // The policy names the topic by the ARN computed from its name, the one the topic resolves to.
        const arn = "arn:aws-us-gov:sns:us-gov-west-1:271828182845:cicd-dev-notifications";
        expect(topic.inputs.name).to.equal("cicd-dev-notifications");
        expect(topic.state.arn).to.equal(arn);
        expect(topicArn).to.equal(arn);

        const [policy] = run.resources.filter((r) => r.type === "aws:sns/topicPolicy:TopicPolicy");
        expect(policy.inputs.arn).to.equal(arn);
        expect(JSON.parse(policy.inputs.policy)).to.deep.equal({
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "OwnerAccess",
                    Effect: "Allow",
                    Principal: { AWS: "arn:aws-us-gov:iam::271828182845:root" },
                    Action: [
                        "sns:GetTopicAttributes",
                        "sns:SetTopicAttributes",
                        "sns:Subscribe",
                        "sns:ListSubscriptionsByTopic",
                        "sns:Publish",
                    ],
                    Resource: arn,
                },
                {
                    Sid: "ServicePublish",
                    Effect: "Allow",
                    Principal: {
                        Service: ["events.amazonaws.com", "cloudwatch.amazonaws.com"],
                    },
                    Action: "sns:Publish",
                    Resource: arn,
                    Condition: { StringEquals: { "aws:SourceAccount": "271828182845" } },
                },
                {
                    Sid: "DenyInsecureTransport",
                    Effect: "Deny",
                    Principal: "*",
                    Action: "sns:Publish",
                    Resource: arn,
                    Condition: { Bool: { "aws:SecureTransport": "false" } },
                },
            ],
        });

        const subs = run.resources.filter((r) => r.type === "aws:sns/topicSubscription:TopicSubscription");
        expect(subs.map((s) => [s.name, s.inputs.protocol, s.inputs.endpoint, s.inputs.topic]).sort()).to.deep.equal([
            ["orders-api-notify-email-dev-pipeline@example.gov", "email", "dev-pipeline@example.gov", arn],
            ["orders-api-notify-email-oncall@example.gov", "email", "oncall@example.gov", arn],
        ]);
    });

    it("rejects a malformed email before creating anything", async () => {
        const run = await runStack("dev", async () => {
            new PipelineNotifications("n", {
                kmsKeyArn: KEY,
                accountId: "271828182845",
                partition: "aws-us-gov",
                region: "us-gov-west-1",
                topicName: "cicd-dev-notifications",
                emails: ["not-an-email"],
            });
        });
        expect(run.error?.message).to.equal(
            'PipelineNotifications n: emails: found ["not-an-email"], expected email addresses',
        );
        expect(run.resources).to.deep.equal([]);
    });
});
