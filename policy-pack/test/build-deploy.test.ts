import { expect } from "chai";
import { codebuildPolicies } from "../policies/codebuild";
import { codepipelinePolicies } from "../policies/codepipeline";
import { ecrPolicies } from "../policies/ecr";
import { check, res } from "./fixtures";

const KEY = "arn:aws-us-gov:kms:us-gov-west-1:271828182845:key/1234";

const project = (overrides: Record<string, any> = {}, environment: Record<string, any> = {}) =>
    res("aws:codebuild/project:Project", "build", {
        encryptionKey: KEY,
        source: { type: "CODEPIPELINE" },
        environment: {
            computeType: "BUILD_GENERAL1_SMALL",
            image: "aws/codebuild/standard:7.0",
            type: "LINUX_CONTAINER",
            environmentVariables: [
                { name: "STAGE", value: "dev" },
                { name: "NPM_TOKEN", value: "/ci/npm-token", type: "PARAMETER_STORE" },
            ],
            ...environment,
        },
        logsConfig: { cloudwatchLogs: { status: "ENABLED", groupName: "/codebuild/build" } },
        ...overrides,
    });

describe("CodeBuild policies", () => {
    it("an encrypted, logged project with stored secrets passes; privileged mode passes when tagged", async () => {
        expect(await check(codebuildPolicies, [project()])).to.deep.equal([]);
        const imageBuild = project({ tags: { PrivilegedMode: "image-build" } }, { privilegedMode: true });
        expect(await check(codebuildPolicies, [imageBuild])).to.deep.equal([]);
    });

    it("reports every problem of a careless project", async () => {
        const careless = project(
            {
                encryptionKey: undefined,
                logsConfig: { cloudwatchLogs: { status: "DISABLED" } },
                source: { type: "GITHUB", location: "https://bot:hunter2@github.com/org/repo.git" },
                secondarySources: [
                    { sourceIdentifier: "lib", type: "GITHUB", location: "https://host/x.git?access_token=abc" },
                ],
            },
            {
                privilegedMode: true,
                environmentVariables: [
                    { name: "DB_PASSWORD", value: "hunter2" },
                    { name: "DEPLOY_HINT", value: "AKIAABCDEFGHIJKLMNOP" },
                    { name: "STAGE", value: "dev", type: "PLAINTEXT" },
                ],
            },
        );
        expect(await check(codebuildPolicies, [careless])).to.deep.equal([
            [
                "codebuild-project-encryption-key",
                "build",
                'CodeBuild project "build" has no encryptionKey, so it uses the AWS-managed key; required: the ARN of the pipeline\'s customer-managed key; fix: set encryptionKey to the key ARN.',
            ],
            [
                "codebuild-project-logging",
                "build",
                'CodeBuild project "build" has logsConfig.cloudwatchLogs.status DISABLED; required: ENABLED (with a group name of an encrypted log group); fix: set status "ENABLED".',
            ],
            [
                "codebuild-no-plaintext-secrets",
                "build",
                'CodeBuild project "build": environment variable DB_PASSWORD is PLAINTEXT and its name looks like a secret; required: type SECRETS_MANAGER or PARAMETER_STORE; fix: store the value there and set value to the secret or parameter name.',
            ],
            [
                "codebuild-no-plaintext-secrets",
                "build",
                'CodeBuild project "build": environment variable DEPLOY_HINT is PLAINTEXT and its value looks like a secret; required: type SECRETS_MANAGER or PARAMETER_STORE; fix: store the value there and set value to the secret or parameter name.',
            ],
            [
                "codebuild-privileged-mode-declared",
                "build",
                'CodeBuild project "build" sets privilegedMode true without the tag PrivilegedMode=image-build; required: privileged mode only for image builds; fix: turn privilegedMode off, or tag the image-build project PrivilegedMode: "image-build".',
            ],
            [
                "codebuild-source-no-credentials",
                "build",
                'CodeBuild project "build": source location https://***@github.com/org/repo.git holds credentials; required: a location without user info or tokens; fix: use CodeCommit / CODEPIPELINE sources or a CodeConnections connection.',
            ],
            [
                "codebuild-source-no-credentials",
                "build",
                'CodeBuild project "build": source location https://host/x.git?access_token=*** holds credentials; required: a location without user info or tokens; fix: use CodeCommit / CODEPIPELINE sources or a CodeConnections connection.',
            ],
        ]);
    });
});

const action = (name: string, category: string, provider: string, extra: Record<string, any> = {}) => ({
    name,
    category,
    owner: "AWS",
    provider,
    version: "1",
    ...extra,
});
const source = action("Source", "Source", "CodeCommit", {
    configuration: { RepositoryName: "orders-api", BranchName: "main", PollForSourceChanges: "false" },
    outputArtifacts: ["source"],
});
const stages = {
    source: { name: "Source", actions: [source] },
    build: {
        name: "Build",
        actions: [
            action("UnitTests", "Build", "CodeBuild", { runOrder: 1 }),
            action("SecurityScan", "Build", "CodeBuild", { runOrder: 1 }),
            action("BuildImage", "Build", "CodeBuild", { runOrder: 2 }),
        ],
    },
    approve: { name: "Approve", actions: [action("Release", "Approval", "Manual")] },
    deploy: { name: "Deploy", actions: [action("DeployService", "Deploy", "ECS")] },
};
const pipeline = (
    stageList: object[],
    artifactStores: object[] = [{ location: "artifacts-dev", type: "S3", encryptionKey: { id: KEY, type: "KMS" } }],
) => res("aws:codepipeline/pipeline:Pipeline", "pipeline", { artifactStores, stages: stageList });

describe("CodePipeline policies", () => {
    it("source, tests and scans, approval, deploy passes in prod; dev needs no approval", async () => {
        const { source: s, build, approve, deploy } = stages;
        expect(
            await check(codepipelinePolicies, [pipeline([s, build, approve, deploy])], { stack: "prod" }),
        ).to.deep.equal([]);
        expect(await check(codepipelinePolicies, [pipeline([s, build, deploy])], { stack: "dev" })).to.deep.equal([]);
    });

    it("a Test-category action counts as the unit tests", async () => {
        const build = {
            name: "Verify",
            actions: [action("Jest", "Test", "CodeBuild"), action("DependencyAudit", "Test", "CodeBuild")],
        };
        expect(await check(codepipelinePolicies, [pipeline([stages.source, build, stages.deploy])])).to.deep.equal([]);
    });

    it("reports a missing approval, tests and scans after deploy, polling and an unencrypted store", async () => {
        const polling = { name: "Source", actions: [{ ...source, configuration: { RepositoryName: "orders-api" } }] };
        const late = { name: "Verify", actions: [action("UnitTests", "Build", "CodeBuild")] };
        const p = pipeline([polling, stages.deploy, late], [{ location: "artifacts-prod", type: "S3" }]);
        expect(await check(codepipelinePolicies, [p], { stack: "prod" })).to.deep.equal([
            [
                "codepipeline-artifact-store-cmk",
                "pipeline",
                'Pipeline "pipeline": artifact store artifacts-prod has encryptionKey null; required: { id: <customer-managed key ARN>, type: "KMS" } (the AWS-managed key cannot be shared across accounts); fix: set encryptionKey.',
            ],
            [
                "codepipeline-approval-before-deploy",
                "pipeline",
                'Pipeline "pipeline" deploys at "Deploy/DeployService" in prod without a Manual approval in an earlier stage; required: an Approval/Manual action in a stage before the first Deploy action; fix: add an approval stage before "Deploy".',
            ],
            [
                "codepipeline-tests-and-scans-before-deploy",
                "pipeline",
                'Pipeline "pipeline" deploys at "Deploy/DeployService" without a unit-test action (category Test, or a Build action named like /unit[-_ ]?test/i) and a security-scan action (Build or Test, named like /security|scan|sast|dependency[-_ ]?audit|npm[-_ ]?audit/i) before it; required: both before the first Deploy action; fix: add the action(s) to an earlier stage.',
            ],
            [
                "codepipeline-source-no-polling",
                "pipeline",
                'Pipeline "pipeline": source action "Source/Source" (CodeCommit) has PollForSourceChanges unset (polls by default); required: "false" with an EventBridge rule starting the pipeline; fix: set configuration.PollForSourceChanges "false".',
            ],
        ]);
    });

    it("an approval in the deploy stage itself does not count", async () => {
        const sameStage = {
            name: "Deploy",
            actions: [action("Release", "Approval", "Manual"), ...stages.deploy.actions],
        };
        const p = pipeline([stages.source, stages.build, sameStage]);
        expect((await check(codepipelinePolicies, [p], { stack: "stage" })).map((v) => v[0])).to.deep.equal([
            "codepipeline-approval-before-deploy",
        ]);
    });
});

const repo = (inputs: Record<string, any> = {}) =>
    res("aws:ecr/repository:Repository", "orders-api", {
        name: "orders-api",
        imageTagMutability: "IMMUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: KEY }],
        ...inputs,
    });

describe("ECR policies", () => {
    it("an immutable, scanned, KMS-encrypted repository with a lifecycle policy passes", async () => {
        const r = repo();
        const lifecycle = res("aws:ecr/lifecyclePolicy:LifecyclePolicy", "lc", {
            repository: "orders-api",
            policy: "{}",
        });
        expect(await check(ecrPolicies, [r, lifecycle])).to.deep.equal([]);
    });

    it("a default repository reports each missing control", async () => {
        const r = res("aws:ecr/repository:Repository", "orders-api", { name: "orders-api" });
        expect(await check(ecrPolicies, [r])).to.deep.equal([
            [
                "ecr-immutable-tags",
                "orders-api",
                'ECR repository "orders-api" has imageTagMutability unset (MUTABLE); required: IMMUTABLE; fix: set imageTagMutability: "IMMUTABLE".',
            ],
            [
                "ecr-scan-on-push",
                "orders-api",
                'ECR repository "orders-api" has scanOnPush unset; required: true; fix: set imageScanningConfiguration: { scanOnPush: true }.',
            ],
            [
                "ecr-kms-encryption",
                "orders-api",
                'ECR repository "orders-api" has encryptionConfigurations []; required: encryptionType "KMS" with kmsKey set; fix: set encryptionConfigurations: [{ encryptionType: "KMS", kmsKey }].',
            ],
            [
                "ecr-lifecycle-policy",
                "orders-api",
                'ECR repository "orders-api" has no lifecycle policy; required: an aws.ecr.LifecyclePolicy for it; fix: add one (e.g. expire untagged images after 14 days, keep the last 50 tagged).',
            ],
        ]);
    });

    it("a lifecycle policy of another repository does not count", async () => {
        const lifecycle = res("aws:ecr/lifecyclePolicy:LifecyclePolicy", "lc", { repository: "other", policy: "{}" });
        expect((await check(ecrPolicies, [repo(), lifecycle])).map((v) => v[0])).to.deep.equal([
            "ecr-lifecycle-policy",
        ]);
    });
});
