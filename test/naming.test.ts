/** The one ARN formatter of domain/naming.ts and the named ARNs built with it, in both partitions. */
import { expect } from "chai";
import {
    arnExample,
    arnPattern,
    arnPrefix,
    bucketArn,
    eventRuleArn,
    formatArn,
    roleArn,
    ssmParameterArn,
} from "../domain/naming";

describe("ARNs (domain/naming.ts)", () => {
    it("formats regional, global (IAM) and account-less (S3) ARNs from their parts", () => {
        const gov = { partition: "aws-us-gov", region: "us-gov-west-1", accountId: "271828182845" };
        expect(formatArn({ ...gov, service: "logs", resource: "log-group:/aws/codebuild/x:*" })).to.equal(
            "arn:aws-us-gov:logs:us-gov-west-1:271828182845:log-group:/aws/codebuild/x:*",
        );
        expect(roleArn("aws-us-gov", "271828182845", "cicd-dev-orders-api-build")).to.equal(
            "arn:aws-us-gov:iam::271828182845:role/cicd-dev-orders-api-build",
        );
        expect(bucketArn("aws", "cicd-artifacts-1-us-east-1", "/releases/*")).to.equal(
            "arn:aws:s3:::cicd-artifacts-1-us-east-1/releases/*",
        );
        expect(eventRuleArn("aws", "us-east-1", "123456789012", "r")).to.equal(
            "arn:aws:events:us-east-1:123456789012:rule/r",
        );
        expect(ssmParameterArn("aws-us-gov", "us-gov-west-1", "271828182845", "/cicd/ecs/a/task-definition")).to.equal(
            "arn:aws-us-gov:ssm:us-gov-west-1:271828182845:parameter/cicd/ecs/a/task-definition",
        );
        expect(arnPrefix("aws-us-gov", "secretsmanager")).to.equal("arn:aws-us-gov:secretsmanager:");
    });

    it("patterns and examples follow the same format; an unknown region or account matches any", () => {
        const pattern = arnPattern({ partition: "aws-us-gov" }, "kms", "key/[0-9a-f-]+");
        expect(pattern.test("arn:aws-us-gov:kms:us-gov-east-1:271828182845:key/0a1b")).to.equal(true);
        expect(pattern.test("arn:aws:kms:us-east-1:271828182845:key/0a1b")).to.equal(false);
        expect(arnExample({ partition: "aws", accountId: "123456789012" }, "iam", "role/KeyAdmins", false)).to.equal(
            "arn:aws:iam::123456789012:role/KeyAdmins",
        );
    });
});
