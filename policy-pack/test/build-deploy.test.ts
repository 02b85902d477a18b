import { expect } from "chai";
import { codebuildPolicies } from "../policies/codebuild";
import { PIPELINE_STEP_TAG } from "../../domain/pipelineSteps";
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

const DOCKER_SPEC = "version: 0.2\nphases:\n    build:\n        commands:\n            - docker build -t app .\n";
const TEST_SPEC =
    "version: 0.2\n# docker build is only mentioned here\nphases:\n    build:\n        commands:\n            - npm ci\n            - npm test\n";

describe("CodeBuild policies", () => {
    it("an encrypted, logged project with stored secrets passes; privileged mode passes when the buildspec uses Docker", async () => {
        expect(await check(codebuildPolicies, [project()])).to.deep.equal([]);
        const imageBuild = project(
            { source: { type: "CODEPIPELINE", buildspec: DOCKER_SPEC } },
            { privilegedMode: true },
        );
        expect(await check(codebuildPolicies, [imageBuild])).to.deep.equal([]);
    });

    it("a tag does not grant privileged mode; a commented-out docker build does not either", async () => {
        const tagged = project(
            { tags: { PrivilegedMode: "image-build" }, source: { type: "CODEPIPELINE", buildspec: TEST_SPEC } },
            { privilegedMode: true },
        );
        expect(await check(codebuildPolicies, [tagged])).to.deep.equal([
            [
                "codebuild-privileged-mode-docker-only",
                "build",
                'CodeBuild project "build" sets privilegedMode true but its inline buildspec runs no Docker command (\\bdocker\\s+(buildx\\s+)?(build|pull|push|tag|run|load|save)\\b|\\bbuildah\\s+(bud|build)\\b); required: privileged mode only where the buildspec uses the Docker daemon; fix: turn privilegedMode off.',
            ],
        ]);
    });

    it("S3 logs and report exports must stay encrypted (CodeBuild.3, CodeBuild.7)", async () => {
        const logs = project({
            logsConfig: {
                cloudwatchLogs: { status: "ENABLED" },
                s3Logs: { status: "ENABLED", location: "logs-bucket/build", encryptionDisabled: true },
            },
        });
        const group = (encryptionDisabled: boolean) =>
            res("aws:codebuild/reportGroup:ReportGroup", "reports", {
                type: "TEST",
                exportConfig: {
                    type: "S3",
                    s3Destination: { bucket: "reports-bucket", encryptionDisabled, encryptionKey: KEY },
                },
            });
        expect(await check(codebuildPolicies, [logs, group(true)])).to.deep.equal([
            [
                "codebuild-s3-logs-encrypted",
                "build",
                'CodeBuild project "build" writes S3 logs to logs-bucket/build with encryptionDisabled true; required: encrypted S3 logs; fix: remove encryptionDisabled.',
            ],
            [
                "codebuild-report-group-export-encrypted",
                "reports",
                'CodeBuild report group "reports" exports to S3 bucket reports-bucket with encryptionDisabled true; required: an encrypted export; fix: remove encryptionDisabled and set encryptionKey.',
            ],
        ]);
        expect(await check(codebuildPolicies, [project(), group(false)])).to.deep.equal([]);
    });

    it("an AWS-managed key, disabled artifact encryption and a database URL with a password are reported", async () => {
        const p = project(
            { encryptionKey: "alias/aws/s3", artifacts: { type: "CODEPIPELINE", encryptionDisabled: true } },
            {
                environmentVariables: [
                    { name: "DATABASE_URL", value: "postgres://app:s3cret@db.internal:5432/orders" },
                    { name: "REPO_URL", value: "ssh://git@git.example.com/org/repo.git" },
                ],
            },
        );
        expect(await check(codebuildPolicies, [p])).to.deep.equal([
            [
                "codebuild-no-plaintext-secrets",
                "build",
                'CodeBuild project "build": environment variable DATABASE_URL is PLAINTEXT and its value (a URL with credentials) looks like a secret; required: type SECRETS_MANAGER or PARAMETER_STORE; fix: store the value there and set value to the secret or parameter name.',
            ],
            [
                "codebuild-project-encryption-key",
                "build",
                'CodeBuild project "build" has encryptionKey alias/aws/s3 (the AWS-managed key); required: the ARN of the pipeline\'s customer-managed key; fix: set encryptionKey to the key ARN.',
            ],
            [
                "codebuild-project-encryption-key",
                "build",
                'CodeBuild project "build" sets artifacts encryptionDisabled true; required: encrypted artifacts; fix: remove encryptionDisabled.',
            ],
        ]);
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
                "codebuild-privileged-mode-docker-only",
                "build",
                'CodeBuild project "build" sets privilegedMode true but its buildspec (not inline, so unreadable here) runs no Docker command (\\bdocker\\s+(buildx\\s+)?(build|pull|push|tag|run|load|save)\\b|\\bbuildah\\s+(bud|build)\\b); required: privileged mode only where the buildspec uses the Docker daemon; fix: turn privilegedMode off.',
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
            [
                "codebuild-project-encryption-key",
                "build",
                'CodeBuild project "build" has encryptionKey none (the AWS-managed key); required: the ARN of the pipeline\'s customer-managed key; fix: set encryptionKey to the key ARN.',
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
const build = (name: string, projectName: string, runOrder = 1, category = "Build") =>
    action(name, category, "CodeBuild", { runOrder, configuration: { ProjectName: projectName } });
const spec = (...commands: string[]) =>
    `version: 0.2\nphases:\n    build:\n        commands:\n${commands.map((c) => `            - ${c}\n`).join("")}`;
/** A CodeBuild project of the stack: its name, its step mark (PipelineStep tag; none when undefined), its commands. */
const stepProject = (name: string, mark: string | undefined, ...commands: string[]) =>
    res("aws:codebuild/project:Project", name, {
        name: `p-${name}`,
        ...(mark === undefined ? {} : { tags: { [PIPELINE_STEP_TAG]: mark } }),
        source: { type: "CODEPIPELINE", buildspec: spec(...commands) },
    });
/** CodeBuild projects by name and what their inline buildspec runs. */
const projects = [
    stepProject("tests", "test", "npm ci", "npm test"),
    stepProject("scan", "test", "npm audit --omit=dev --audit-level=high"),
    stepProject("image", "build", "docker build -t app ."),
    stepProject("lint", "test", "# npm audit (disabled)", "npx eslint ."),
    // Marked a build step, but its buildspec deploys: the command decides.
    stepProject("scale", "build", "aws ecs update-service --cluster c --service s --desired-count 2"),
];
const stages = {
    source: { name: "Source", actions: [source] },
    build: {
        name: "Build",
        actions: [build("UnitTests", "p-tests"), build("SecurityScan", "p-scan"), build("BuildImage", "p-image", 2)],
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
        const { source: s, build: b, approve, deploy } = stages;
        expect(
            await check(codepipelinePolicies, [...projects, pipeline([s, b, approve, deploy])], { stack: "prod" }),
        ).to.deep.equal([]);
        expect(
            await check(codepipelinePolicies, [...projects, pipeline([s, b, deploy])], { stack: "dev" }),
        ).to.deep.equal([]);
    });

    it("gates are found by what the project runs, not by names: a scan renamed, removed, commented out or moved after deploy fails", async () => {
        const verdict = async (buildStage: object, after: object[] = []) =>
            (
                await check(codepipelinePolicies, [
                    ...projects,
                    pipeline([stages.source, buildStage, stages.deploy, ...after]),
                ])
            ).map((v) => v[2]);
        const missingScan =
            'Pipeline "pipeline" deploys at "Deploy/DeployService" (a Deploy action) without an action whose CodeBuild project runs a security scan (';
        // A lint project named "SecurityScan" runs no scanner: its npm audit is commented out.
        const renamed = { name: "Build", actions: [build("UnitTests", "p-tests"), build("SecurityScan", "p-lint")] };
        expect((await verdict(renamed))[0]).to.contain(missingScan);
        expect((await verdict(renamed))[0]).to.contain(
            '(earlier actions: "Source/Source", "Build/UnitTests" -> tests, "Build/SecurityScan" -> lint)',
        );
        const moved = { name: "Build", actions: [build("UnitTests", "p-tests")] };
        expect((await verdict(moved, [{ name: "Late", actions: [build("Scan", "p-scan")] }]))[0]).to.contain(
            missingScan,
        );
        // Any name works when the project runs the tools.
        const named = { name: "Verify", actions: [build("A", "p-tests", 1, "Test"), build("B", "p-scan", 1, "Test")] };
        expect(await verdict(named)).to.deep.equal([]);
    });

    it("a CodeBuild action that deploys (aws ecs update-service) is a deploy: the approval must precede it", async () => {
        const early = { name: "Build", actions: [...stages.build.actions, build("ScaleUp", "p-scale", 3)] };
        const p = pipeline([stages.source, early, stages.approve, stages.deploy]);
        expect(await check(codepipelinePolicies, [...projects, p], { stack: "prod" })).to.deep.equal([
            [
                "codepipeline-approval-before-deploy",
                "pipeline",
                'Pipeline "pipeline" deploys at "Build/ScaleUp" (project "scale" runs a deploy command (ECS: aws ecs update-service)) in prod without a Manual approval before it; required: an Approval/Manual action before the first deploying action; fix: add an approval stage before "Build".',
            ],
        ]);
    });

    it("reports a missing approval, tests and scans after deploy, polling and an AWS-managed store key", async () => {
        const polling = { name: "Source", actions: [{ ...source, configuration: { RepositoryName: "orders-api" } }] };
        const late = { name: "Verify", actions: [build("UnitTests", "p-tests")] };
        const p = pipeline(
            [polling, stages.deploy, late],
            [{ location: "artifacts-prod", type: "S3", encryptionKey: { id: "alias/aws/s3", type: "KMS" } }],
        );
        expect(await check(codepipelinePolicies, [...projects, p], { stack: "prod" })).to.deep.equal([
            [
                "codepipeline-source-no-polling",
                "pipeline",
                'Pipeline "pipeline": source action "Source/Source" (CodeCommit) has PollForSourceChanges unset (polls by default); required: "false" with an EventBridge rule starting the pipeline; fix: set configuration.PollForSourceChanges "false".',
            ],
            [
                "codepipeline-artifact-store-cmk",
                "pipeline",
                'Pipeline "pipeline": artifact store artifacts-prod has encryptionKey { id: "alias/aws/s3", type: "KMS" }; required: { id: <customer-managed key ARN>, type: "KMS" } (an AWS-managed key such as alias/aws/s3 cannot be shared across accounts); fix: set encryptionKey.',
            ],
            [
                "codepipeline-approval-before-deploy",
                "pipeline",
                'Pipeline "pipeline" deploys at "Deploy/DeployService" (a Deploy action) in prod without a Manual approval before it; required: an Approval/Manual action before the first deploying action; fix: add an approval stage before "Deploy".',
            ],
            [
                "codepipeline-tests-and-scans-before-deploy",
                "pipeline",
                'Pipeline "pipeline" deploys at "Deploy/DeployService" (a Deploy action) without an action whose CodeBuild project runs the unit tests (\\b(npm|yarn|pnpm)\\s+(run\\s+)?test\\b|\\bnpx\\s+(jest|mocha|vitest)\\b) and an action whose CodeBuild project runs a security scan (\\bnpm\\s+audit\\b|\\bsecretlint\\b|\\bsemgrep\\b|\\bgitleaks\\b|\\btrufflehog\\b|\\btrivy\\s+(fs|repo)\\b|\\bosv-scanner\\b|\\bgrype\\b|eslint-plugin-security|\\bsnyk\\s+test\\b) before it (earlier actions: "Source/Source"); required: both before the first deploying action; fix: add the action(s) to an earlier stage, running a project of this stack with an inline buildspec.',
            ],
        ]);
    });

    describe("deploys fail closed and follow the step's mark", () => {
        const lambda = "aws lambda update-function-code --function-name orders-api --image-uri $IMAGE_URI";
        const deployStage = (projectName: string) => ({ name: "Ship", actions: [build("Ship", projectName)] });
        const verdict = async (extra: ReturnType<typeof stepProject>[], stageList: object[], stack = "stage") =>
            await check(codepipelinePolicies, [...projects, ...extra, pipeline(stageList)], { stack });

        it("an unmarked project deploying to Lambda without an approval before it is reported in stage", async () => {
            expect(
                await verdict(
                    [stepProject("lambda", undefined, lambda)],
                    [stages.source, stages.build, deployStage("p-lambda")],
                ),
            ).to.deep.equal([
                [
                    "codepipeline-approval-before-deploy",
                    "pipeline",
                    'Pipeline "pipeline" deploys at "Ship/Ship" (project "lambda" runs a deploy command (Lambda: aws lambda update-function-code)) in stage without a Manual approval before it; required: an Approval/Manual action before the first deploying action; fix: add an approval stage before "Ship".',
                ],
            ]);
        });

        it("an unmarked project is a deploy whatever it runs, and so is a project outside the stack or an unknown mark", async () => {
            const reasons = async (extra: ReturnType<typeof stepProject>[], projectName: string) =>
                (await verdict(extra, [stages.source, stages.build, deployStage(projectName)])).map((v) => v[2]);
            expect(await reasons([stepProject("notify", undefined, "echo deployed")], "p-notify")).to.deep.equal([
                'Pipeline "pipeline" deploys at "Ship/Ship" (project "notify" has no PipelineStep tag, so it counts as deploying) in stage without a Manual approval before it; required: an Approval/Manual action before the first deploying action; fix: add an approval stage before "Ship".',
            ]);
            expect(await reasons([stepProject("odd", "release", "echo released")], "p-odd")).to.deep.equal([
                'Pipeline "pipeline" deploys at "Ship/Ship" (project "odd" has an unknown ("release") PipelineStep tag, so it counts as deploying) in stage without a Manual approval before it; required: an Approval/Manual action before the first deploying action; fix: add an approval stage before "Ship".',
            ]);
            expect(await reasons([], "other-account-project")).to.deep.equal([
                'Pipeline "pipeline" deploys at "Ship/Ship" (project "other-account-project" is not one of this stack, so it counts as deploying) in stage without a Manual approval before it; required: an Approval/Manual action before the first deploying action; fix: add an approval stage before "Ship".',
            ]);
            // The same steps after an approval pass.
            const approved = [stages.source, stages.build, stages.approve, deployStage("p-notify")];
            expect(await verdict([stepProject("notify", undefined, "echo deployed")], approved)).to.deep.equal([]);
        });

        it("a project marked deploying, whatever its commands, needs the tests and scans before it", async () => {
            const early = { name: "Early", actions: [build("Ship", "p-ship")] };
            expect(
                await verdict(
                    [stepProject("ship", "deploy", "./release.sh")],
                    [stages.source, early, stages.build],
                    "dev",
                ),
            ).to.deep.equal([
                [
                    "codepipeline-tests-and-scans-before-deploy",
                    "pipeline",
                    'Pipeline "pipeline" deploys at "Early/Ship" (project "ship" is marked PipelineStep "deploy") without an action whose CodeBuild project runs the unit tests (\\b(npm|yarn|pnpm)\\s+(run\\s+)?test\\b|\\bnpx\\s+(jest|mocha|vitest)\\b) and an action whose CodeBuild project runs a security scan (\\bnpm\\s+audit\\b|\\bsecretlint\\b|\\bsemgrep\\b|\\bgitleaks\\b|\\btrufflehog\\b|\\btrivy\\s+(fs|repo)\\b|\\bosv-scanner\\b|\\bgrype\\b|eslint-plugin-security|\\bsnyk\\s+test\\b) before it (earlier actions: "Source/Source"); required: both before the first deploying action; fix: add the action(s) to an earlier stage, running a project of this stack with an inline buildspec.',
                ],
            ]);
        });

        it("a test step marked as a test is not a deploy: it may run before the approval", async () => {
            const smoke = { name: "Smoke", actions: [build("SmokeTests", "p-smoke", 1, "Test")] };
            const p = [stages.source, stages.build, smoke, stages.approve, stages.deploy];
            expect(await verdict([stepProject("smoke", "test", "npm run smoke")], p, "prod")).to.deep.equal([]);
        });

        it("the broadened table: each kind of deploy command makes a marked build step a deploy", async () => {
            for (const command of [
                "aws cloudformation deploy --template-file t.yml --stack-name s",
                "sam deploy --no-confirm-changeset",
                "npx cdk deploy --require-approval never",
                "kubectl -n prod apply -f k8s/",
                "helm upgrade --install orders-api chart/",
                "aws s3 sync dist/ s3://orders-site --delete",
                "aws deploy create-deployment --application-name a",
                lambda,
            ]) {
                const found = await verdict(
                    [stepProject("ship", "build", command)],
                    [stages.source, stages.build, deployStage("p-ship")],
                );
                expect(
                    found.map((v) => v[0]),
                    command,
                ).to.deep.equal(["codepipeline-approval-before-deploy"]);
            }
            for (const command of ["aws s3 cp release.json s3://bucket/releases/", "kubectl rollout status deploy/x"]) {
                const found = await verdict(
                    [stepProject("ship", "build", command)],
                    [stages.source, stages.build, deployStage("p-ship")],
                );
                expect(found, command).to.deep.equal([]);
            }
        });
    });

    it("an approval in the deploy stage at the same run order does not count", async () => {
        const sameStage = {
            name: "Deploy",
            actions: [action("Release", "Approval", "Manual"), ...stages.deploy.actions],
        };
        const p = pipeline([stages.source, stages.build, sameStage]);
        expect(
            (await check(codepipelinePolicies, [...projects, p], { stack: "stage" })).map((v) => v[0]),
        ).to.deep.equal(["codepipeline-approval-before-deploy"]);
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
                'ECR repository "orders-api" has encryptionConfigurations []; required: encryptionType "KMS" with kmsKey a customer-managed key; fix: set encryptionConfigurations: [{ encryptionType: "KMS", kmsKey }].',
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
