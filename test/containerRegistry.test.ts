import * as aws from "@pulumi/aws";
import { expect } from "chai";
import {
    ContainerRegistry,
    lifecyclePolicyDocument,
    pullPolicyDocument,
    validateContainerRegistryArgs,
} from "../components/containerRegistry";
import { RecordedResource, runStack } from "../offline/runtime/mockRuntime";

const KEY = "arn:aws-us-gov:kms:us-gov-west-1:271828182845:key/11111111-2222-3333-4444-555555555555";
const QA_BUILD_ROLE = "arn:aws-us-gov:iam::161803398874:role/cicd-qa-orders-api-build";

async function plan(args: Partial<ConstructorParameters<typeof ContainerRegistry>[1]> = {}) {
    const run = await runStack("dev", async () => {
        const provider = new aws.Provider("aws", { region: "us-gov-west-1" });
        new ContainerRegistry(
            "orders-api",
            { repositoryName: "orders-api", kmsKeyArn: KEY, partition: "aws-us-gov", ...args },
            { provider },
        );
    });
    if (run.error) throw run.error;
    const of = (type: string): RecordedResource[] => run.resources.filter((r) => r.type === type);
    return { run, of };
}

describe("ContainerRegistry", () => {
    it("creates an immutable, scanned, KMS-encrypted repository with a lifecycle policy and no repository policy", async () => {
        const { run, of } = await plan();
        const [repo] = of("aws:ecr/repository:Repository");
        expect(repo.inputs).to.deep.include({
            name: "orders-api",
            imageTagMutability: "IMMUTABLE",
            imageScanningConfiguration: { scanOnPush: true },
            encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: KEY }],
            forceDelete: true,
        });
        expect([repo.protect, repo.retainOnDelete]).to.deep.equal([false, false]);
        const [lifecycle] = of("aws:ecr/lifecyclePolicy:LifecyclePolicy");
        expect(lifecycle.inputs.repository).to.equal("orders-api");
        expect(JSON.parse(lifecycle.inputs.policy)).to.deep.equal(lifecyclePolicyDocument(14, 500));
        expect(of("aws:ecr/repositoryPolicy:RepositoryPolicy")).to.have.length(0);
        // Every child sits under the component and resolves the explicit provider through it.
        const component = run.resources.find((r) => r.type === "devsecops:registry:ContainerRegistry")!;
        for (const child of [repo, lifecycle]) {
            expect(child.parent).to.equal(component.urn);
            expect(child.provider).to.match(/::aws::/);
        }
    });

    it("protected repositories are not force-deleted, are protected and retained", async () => {
        const { of } = await plan({ protect: true, untaggedExpiryDays: 7, keepTaggedImages: 50 });
        const [repo] = of("aws:ecr/repository:Repository");
        expect(repo.inputs.forceDelete).to.equal(false);
        expect([repo.protect, repo.retainOnDelete]).to.deep.equal([true, true]);
        const policy = JSON.parse(of("aws:ecr/lifecyclePolicy:LifecyclePolicy")[0].inputs.policy);
        expect(policy.rules.map((r: any) => r.selection.countNumber)).to.deep.equal([7, 50]);
    });

    it("lets the next environment's build role pull, through its account root narrowed to the exact role", async () => {
        const { of } = await plan({ pullers: [{ accountId: "161803398874", roleArn: QA_BUILD_ROLE }] });
        const [policy] = of("aws:ecr/repositoryPolicy:RepositoryPolicy");
        expect(policy.inputs.repository).to.equal("orders-api");
        expect(JSON.parse(policy.inputs.policy)).to.deep.equal({
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "CrossAccountPull0",
                    Effect: "Allow",
                    Principal: { AWS: "arn:aws-us-gov:iam::161803398874:root" },
                    Action: [
                        "ecr:BatchGetImage",
                        "ecr:GetDownloadUrlForLayer",
                        "ecr:BatchCheckLayerAvailability",
                        "ecr:DescribeImages",
                    ],
                    Condition: { ArnEquals: { "aws:PrincipalArn": QA_BUILD_ROLE } },
                },
            ],
        });
    });

    it("lifecycle policy: untagged by age first, then tagged by count", () => {
        expect(lifecyclePolicyDocument(3, 10)).to.deep.equal({
            rules: [
                {
                    rulePriority: 1,
                    description: "Expire untagged images after 3 days",
                    selection: {
                        tagStatus: "untagged",
                        countType: "sinceImagePushed",
                        countUnit: "days",
                        countNumber: 3,
                    },
                    action: { type: "expire" },
                },
                {
                    rulePriority: 2,
                    description: "Keep the last 10 tagged images",
                    selection: {
                        tagStatus: "tagged",
                        tagPatternList: ["*"],
                        countType: "imageCountMoreThan",
                        countNumber: 10,
                    },
                    action: { type: "expire" },
                },
            ],
        });
    });

    it("builds commercial-partition principals from the partition", () => {
        const doc = pullPolicyDocument("aws", [
            { accountId: "111111111111", roleArn: "arn:aws:iam::111111111111:role/b" },
        ]) as any;
        expect(doc.Statement[0].Principal).to.deep.equal({ AWS: "arn:aws:iam::111111111111:root" });
    });

    it("rejects bad counts and pullers, listing every problem", () => {
        expect(() =>
            validateContainerRegistryArgs({
                repositoryName: "orders-api",
                kmsKeyArn: KEY,
                partition: "aws-us-gov",
                untaggedExpiryDays: 0,
                pullers: [{ accountId: "161803398874", roleArn: "arn:aws:iam::161803398874:role/x" }],
            }),
        ).to.throw(
            "ContainerRegistry orders-api:\n" +
                "  - untaggedExpiryDays: found 0, expected a whole number >= 1\n" +
                '  - pullers[0].roleArn: found "arn:aws:iam::161803398874:role/x", expected a role ARN of account 161803398874 in partition aws-us-gov',
        );
    });
});
