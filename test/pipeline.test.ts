import { expect } from "chai";
import { pipelineRolePolicy, pipelineStages, startPipelinePolicy } from "../components/servicePipeline";
import { eventBusPolicy, pushEventPattern } from "../components/pushTrigger";
import { serviceTrustPolicy } from "../components/policyDocuments";
import { forwardEventsPolicy } from "../stacks/toolStack";
import { FARGATE_PIPELINE_STEPS } from "../targets/fargate/deployStep";
import { ACCOUNTS } from "./accounts";

const TOOL = ACCOUNTS.tool;
const DEV = ACCOUNTS.dev;

const projects = {
    unitTests: "orders-api-dev-unit-tests",
    securityScan: "orders-api-dev-security-scan",
    image: "orders-api-dev-build-image",
    generateSbom: "orders-api-dev-sbom",
    imageScanGate: "orders-api-dev-image-scan-gate",
    deploy: "orders-api-dev-deploy",
    publishRelease: "orders-api-dev-publish-release",
    scaleUp: "orders-api-dev-scale-up",
};
const layout = (env: "dev" | "stage", requireApproval: boolean) =>
    pipelineStages({
        env,
        repositoryName: "orders-api",
        branch: env === "dev" ? "develop" : "release/stage",
        sourceRoleArn: `arn:aws-us-gov:iam::${TOOL}:role/cicd-${env}-orders-api-source`,
        steps: FARGATE_PIPELINE_STEPS,
        projects: { ...projects, buildImage: projects.image, promoteImage: projects.image },
        requireApproval,
        approvalTopicArn: "topic-arn",
    });

describe("pipeline layout", () => {
    it("dev: Source -> Build (tests, scan, image in parallel, then the scan gate) -> Deploy -> Release", () => {
        const stages = layout("dev", false);
        expect(stages.map((s: any) => s.name)).to.deep.equal(["Source", "Build", "Deploy", "Release"]);
        expect(stages[0]).to.deep.equal({
            name: "Source",
            actions: [
                {
                    name: "Source",
                    category: "Source",
                    owner: "AWS",
                    provider: "CodeCommit",
                    version: "1",
                    runOrder: 1,
                    roleArn: `arn:aws-us-gov:iam::${TOOL}:role/cicd-dev-orders-api-source`,
                    outputArtifacts: ["source"],
                    namespace: "SourceVariables",
                    configuration: {
                        RepositoryName: "orders-api",
                        BranchName: "develop",
                        PollForSourceChanges: "false",
                        OutputArtifactFormat: "CODE_ZIP",
                    },
                },
            ],
        });
        const build = (stages[1] as any).actions.map((a: any) => [
            a.name,
            a.category,
            a.runOrder,
            a.inputArtifacts,
            a.outputArtifacts,
            a.configuration.ProjectName,
        ]);
        expect(build).to.deep.equal([
            ["UnitTests", "Test", 1, ["source"], undefined, projects.unitTests],
            ["SecurityScan", "Test", 2, ["source"], undefined, projects.securityScan],
            ["BuildImage", "Build", 3, ["source"], ["image"], projects.image],
            // The SBOM of the source, beside the image it built: the source is where its buildspec runs.
            ["GenerateSbom", "Build", 4, ["source", "image"], ["sbom"], projects.generateSbom],
            ["ImageScanGate", "Test", 5, ["image"], undefined, projects.imageScanGate],
        ]);
        expect((stages[1] as any).actions[3].configuration.PrimarySource).to.equal("source");
        // The deploy is a CodeBuild build of Pulumi's revision with the promoted image, not the ECS deploy action.
        expect((stages[2] as any).actions).to.deep.equal([
            {
                name: "DeployToFargate",
                category: "Build",
                owner: "AWS",
                provider: "CodeBuild",
                version: "1",
                runOrder: 1,
                inputArtifacts: ["image"],
                configuration: { ProjectName: projects.deploy },
            },
            {
                name: "ScaleUpService",
                category: "Build",
                owner: "AWS",
                provider: "CodeBuild",
                version: "1",
                runOrder: 2,
                inputArtifacts: ["image"],
                configuration: { ProjectName: projects.scaleUp },
            },
        ]);
        const release = (stages[3] as any).actions[0];
        expect([
            release.name,
            release.category,
            release.inputArtifacts,
            release.configuration.PrimarySource,
        ]).to.deep.equal(["PublishRelease", "Build", ["image", "sbom"], "image"]);
        expect(JSON.parse(release.configuration.EnvironmentVariables)).to.deep.equal([
            { name: "PIPELINE_EXECUTION_ID", value: "#{codepipeline.PipelineExecutionId}", type: "PLAINTEXT" },
        ]);
        expect(JSON.parse((stages[1] as any).actions[2].configuration.EnvironmentVariables)).to.deep.equal([
            { name: "COMMIT_ID", value: "#{SourceVariables.CommitId}", type: "PLAINTEXT" },
        ]);
    });

    it("stage: promotes instead of building, and stops at a manual approval that notifies the topic", () => {
        const stages = layout("stage", true);
        expect(stages.map((s: any) => s.name)).to.deep.equal(["Source", "Build", "Approval", "Deploy", "Release"]);
        expect((stages[1] as any).actions.map((a: any) => a.name)).to.deep.equal([
            "UnitTests",
            "SecurityScan",
            "PromoteImage",
            "ImageScanGate",
        ]);
        expect(
            stages.flatMap((s: any) => s.actions.map((a: any) => `${s.name}/${a.name}/${a.runOrder}`)),
        ).to.deep.equal([
            "Source/Source/1",
            "Build/UnitTests/1",
            "Build/SecurityScan/2",
            "Build/PromoteImage/3",
            "Build/ImageScanGate/4",
            "Approval/ApproveRelease/1",
            "Deploy/DeployToFargate/1",
            "Deploy/ScaleUpService/2",
            "Release/PublishRelease/1",
        ]);
        // Promotion carries the SBOM in the image artifact: no SBOM artifact, so the release reads one input.
        const release = (stages[4] as any).actions[0];
        expect([release.inputArtifacts, release.configuration.PrimarySource]).to.deep.equal([["image"], undefined]);
        expect(stages.flatMap((s: any) => s.actions.map((a: any) => a.provider))).not.to.include("ECS");
        expect((stages[2] as any).actions).to.deep.equal([
            {
                name: "ApproveRelease",
                category: "Approval",
                owner: "AWS",
                provider: "Manual",
                version: "1",
                runOrder: 1,
                configuration: {
                    NotificationArn: "topic-arn",
                    CustomData: "Approve deploying commit #{SourceVariables.CommitId} of orders-api to stage.",
                },
            },
        ]);
    });
});

for (const partition of ["aws", "aws-us-gov"]) {
    describe(`pipeline documents in partition ${partition}`, () => {
        const repo = `arn:${partition}:codecommit:us-east-1:${TOOL}:orders-api`;
        const devBus = `arn:${partition}:events:us-east-1:${DEV}:event-bus/default`;

        it("push pattern: branch created or updated, one repository, one branch", () => {
            expect(pushEventPattern(repo, "develop")).to.deep.equal({
                source: ["aws.codecommit"],
                "detail-type": ["CodeCommit Repository State Change"],
                resources: [repo],
                detail: {
                    event: ["referenceCreated", "referenceUpdated"],
                    referenceType: ["branch"],
                    referenceName: ["develop"],
                },
            });
        });

        it("environment bus policy: only the tool account's forwarder roles may put events", () => {
            const forwarder = `arn:${partition}:iam::${TOOL}:role/cicd-dev-orders-api-events`;
            expect(
                eventBusPolicy(partition, "us-east-1", DEV, { accountId: TOOL, principalArns: [forwarder] }),
            ).to.deep.equal({
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: `PushEventsFrom${TOOL}`,
                        Effect: "Allow",
                        Principal: { AWS: `arn:${partition}:iam::${TOOL}:root` },
                        Condition: { ArnEquals: { "aws:PrincipalArn": [forwarder] } },
                        Action: "events:PutEvents",
                        Resource: devBus,
                    },
                ],
            });
        });

        it("forwarder and starter roles: one action on one resource, trusted by EventBridge for one rule", () => {
            expect(forwardEventsPolicy(devBus).Statement).to.deep.equal([
                { Sid: "ForwardToEnvironmentBus", Effect: "Allow", Action: "events:PutEvents", Resource: devBus },
            ]);
            const pipelineArn = `arn:${partition}:codepipeline:us-east-1:${DEV}:orders-api-dev`;
            expect(startPipelinePolicy(pipelineArn).Statement).to.deep.equal([
                {
                    Sid: "StartThisPipeline",
                    Effect: "Allow",
                    Action: "codepipeline:StartPipelineExecution",
                    Resource: pipelineArn,
                },
            ]);
            const rule = `arn:${partition}:events:us-east-1:${TOOL}:rule/cicd-dev-orders-api-forward`;
            expect(serviceTrustPolicy("events.amazonaws.com", { sourceArn: rule, sourceAccount: TOOL })).to.deep.equal({
                Version: "2012-10-17",
                Statement: [
                    {
                        Effect: "Allow",
                        Principal: { Service: "events.amazonaws.com" },
                        Action: "sts:AssumeRole",
                        Condition: {
                            ArnEquals: { "aws:SourceArn": rule },
                            StringEquals: { "aws:SourceAccount": TOOL },
                        },
                    },
                ],
            });
        });

        it("pipeline role: the tool source role, its bucket and key, its builds, its topic; no ECS right, no PassRole", () => {
            const p = (s: string) => `arn:${partition}:${s}`;
            const policy = pipelineRolePolicy({
                partition,
                region: "us-east-1",
                accountId: DEV,
                sourceRoleArn: p(`iam::${TOOL}:role/cicd-dev-orders-api-source`),
                artifactBucketArn: p("s3:::bucket"),
                kmsKeyAlias: "alias/cicd-dev-artifacts",
                buildProjectArns: [p(`codebuild:us-east-1:${DEV}:project/a`)],
                approvalTopicArn: p(`sns:us-east-1:${DEV}:topic`),
            });
            expect(policy.Statement).to.deep.equal([
                {
                    Sid: "AssumeToolSourceRole",
                    Effect: "Allow",
                    Action: "sts:AssumeRole",
                    Resource: p(`iam::${TOOL}:role/cicd-dev-orders-api-source`),
                },
                {
                    Sid: "ArtifactObjects",
                    Effect: "Allow",
                    Action: ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
                    Resource: p("s3:::bucket/*"),
                },
                {
                    Sid: "ArtifactBucket",
                    Effect: "Allow",
                    Action: ["s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:ListBucket"],
                    Resource: p("s3:::bucket"),
                },
                {
                    Sid: "ArtifactKey",
                    Effect: "Allow",
                    Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                    // By its alias: the key's id is assigned at creation.
                    Resource: p(`kms:us-east-1:${DEV}:key/*`),
                    Condition: { "ForAnyValue:StringEquals": { "kms:ResourceAliases": ["alias/cicd-dev-artifacts"] } },
                },
                {
                    Sid: "RunBuilds",
                    Effect: "Allow",
                    Action: ["codebuild:StartBuild", "codebuild:BatchGetBuilds", "codebuild:StopBuild"],
                    Resource: [p(`codebuild:us-east-1:${DEV}:project/a`)],
                },
                {
                    Sid: "NotifyApprovers",
                    Effect: "Allow",
                    Action: "sns:Publish",
                    Resource: p(`sns:us-east-1:${DEV}:topic`),
                },
            ]);
        });
    });
}
