import * as fs from "fs";
import * as path from "path";
import { scaleUpCommands } from "../targets/fargate/service";
import { expect } from "chai";
import { parse } from "yaml";
import {
    BUILDSPEC_DIR,
    BuildRolePolicyInput,
    buildProjectKeys as keysOf,
    projectRolePolicy as rolePolicyOf,
    projectRoleName as roleNameOf,
    PipelineBuildProjects,
    PipelineBuildProjectsArgs,
    readBuildspec as buildspecOf,
    actionEnvironmentVariables,
    stepFacts,
} from "../components/buildProjects";
import { EcsServiceTarget, FARGATE_PIPELINE_STEPS, fargateBuild } from "../targets/fargate/deployStep";
import { LAMBDA_STEPS } from "../targets/lambda/deployStep";

// The steps of a Fargate pipeline: the common ones and the target's deploy and scale-up.
const STEPS = FARGATE_PIPELINE_STEPS;
const BUILD_PROJECTS = stepFacts(STEPS, (step) => step.suffix);
const BUILDSPEC_FILES = stepFacts(STEPS, (step) => step.buildspec);
const buildProjectKeys = (env: "dev" | "qa" | "stage" | "prod") => keysOf(env, STEPS);
const readBuildspec = (key: string) => buildspecOf(key, STEPS);
const projectRoleName = (env: "dev" | "qa" | "stage" | "prod", service: string, key: string) =>
    roleNameOf(env, service, key, STEPS);
/** The role policy of a step, the target's facts taken from the deploy fields of the input (deployTarget). */
const projectRolePolicy = (key: string, input: BuildRolePolicyInput & Partial<ReturnType<typeof deployTarget>>) =>
    rolePolicyOf(key, input, STEPS, {
        serviceArn: input.ecsServiceArn,
        clusterArn: input.ecsClusterArn,
        taskDefinitionFamily: input.taskDefinitionFamily,
        taskDefinitionParameterName: input.taskDefinitionParameterName,
        containerPortParameterName: input.containerPortParameterName,
        taskRoleArns: input.taskRoleArns,
    });
import { runStack } from "../offline/runtime/mockRuntime";
import { RecordedResource, StackRun } from "./harness";
import { scopeMismatches } from "./iamEvaluator";

const DEV = "271828182845";
const QA = "161803398874";
const GOV = "us-gov-west-1";

function byType(run: StackRun, type: string): RecordedResource[] {
    return run.resources.filter((r) => r.type === type);
}

/** All commands of a buildspec, phase by phase, as one text. */
function commands(spec: any, phase?: string): string {
    const phases = phase ? [phase] : Object.keys(spec.phases);
    return phases.flatMap((p) => spec.phases[p]?.commands ?? []).join("\n");
}

const specs = Object.fromEntries(
    Object.entries(BUILDSPEC_FILES).map(([key, file]) => [
        key,
        parse(fs.readFileSync(path.join(BUILDSPEC_DIR, file), "utf8")),
    ]),
) as Record<keyof typeof BUILD_PROJECTS, any>;

describe("buildspecs", () => {
    it("every project key has a version 0.2 buildspec that runs in bash, and no partition-specific literal", () => {
        // The Fargate pipeline's buildspecs and the Lambda target's deploy step.
        const lambdaOnly = Object.values(stepFacts(LAMBDA_STEPS, (step) => step.buildspec));
        expect(lambdaOnly).to.deep.equal(["deploy-lambda.yml"]);
        expect(fs.readdirSync(BUILDSPEC_DIR).sort()).to.deep.equal(
            [...Object.values(BUILDSPEC_FILES), ...lambdaOnly].sort(),
        );
        for (const [key, spec] of Object.entries(specs)) {
            expect(spec.version, key).to.equal(0.2);
            expect(spec.env.shell, key).to.equal("bash");
            const text = readBuildspec(key as keyof typeof BUILD_PROJECTS);
            expect(text, key).not.to.include("amazonaws.com");
            expect(text, key).not.to.include("arn:aws");
            // A multi-line command fails on its first failing line, not only on its last.
            for (const command of commands(spec)
                .split("\n")
                .filter((l) => l.startsWith("set "))) {
                expect(command).to.equal("set -eo pipefail");
            }
            for (const phase of Object.values<any>(spec.phases)) {
                for (const command of phase.commands ?? []) {
                    if (command.includes("\n")) expect(command.split("\n")[0], key).to.equal("set -eo pipefail");
                }
            }
        }
    });

    it("unit-tests: npm ci, npm test, and a JUnit report into the pre-created report group", () => {
        const spec = specs.unitTests;
        expect(spec.phases.install["runtime-versions"]).to.deep.equal({ nodejs: 22 });
        expect(spec.phases.pre_build.commands).to.deep.equal(["npm ci"]);
        expect(spec.phases.build.commands.slice(0, 2)).to.deep.equal(["mkdir -p reports", "npm test"]);
        expect(commands(spec, "build")).to.include('compgen -G "reports/*.xml"');
        expect(spec.env.variables).to.deep.equal({
            MOCHA_FILE: "reports/junit.xml",
            JEST_JUNIT_OUTPUT_DIR: "reports",
            JEST_JUNIT_OUTPUT_NAME: "junit.xml",
        });
        expect(spec.reports).to.deep.equal({
            junit: { files: ["**/*.xml"], "base-directory": "reports", "file-format": "JUNITXML" },
        });
    });

    it("security-scan: pinned secretlint, npm audit of production dependencies, eslint-plugin-security failing on warnings", () => {
        const spec = specs.securityScan;
        expect(spec.phases.install["runtime-versions"]).to.deep.equal({ nodejs: 22 });
        expect(spec.env.variables).to.include({
            SECRETLINT_VERSION: "11.7.1",
            ESLINT_VERSION: "9.39.5",
            ESLINT_PLUGIN_SECURITY_VERSION: "4.1.0",
        });
        const install = commands(spec, "install");
        expect(install).to.include('"secretlint@$SECRETLINT_VERSION"');
        expect(install).to.include('"@secretlint/secretlint-rule-preset-recommend@$SECRETLINT_VERSION"');
        expect(install).to.include('"eslint-plugin-security@$ESLINT_PLUGIN_SECURITY_VERSION"');
        expect(install).to.include("security.configs.recommended");
        expect(install).to.include('"@secretlint/secretlint-formatter-sarif@$SECRETLINT_VERSION"');
        expect(install).to.include('"@microsoft/eslint-formatter-sarif@$ESLINT_FORMATTER_SARIF_VERSION"');
        // Every scan runs in the build phase (its report is uploaded even when it fails); secrets first, before npm ci
        // adds node_modules.
        expect(Object.keys(spec.phases)).to.deep.equal(["install", "build"]);
        expect(spec.phases.build.commands[0]).to.include(
            '"$SCANNERS_DIR/node_modules/.bin/secretlint" --secretlintrc "$SCANNERS_DIR/.secretlintrc.json" \\\n' +
                '  --format @secretlint/secretlint-formatter-sarif "**/*" > "$SCANNERS_DIR/secretlint.sarif" || SECRETS=$?',
        );
        const build = commands(spec, "build");
        // The audit report is read with jq: a registry that serves no audit endpoint fails the scan closed.
        expect(build).to.include(
            'npm audit --omit=dev --json --registry "$AUDIT_REGISTRY" > "$AUDIT" 2> "$SCANNERS_DIR/audit.log" || true',
        );
        expect(build).to.include('select(.severity == "high" or .severity == "critical")');
        expect(build).to.include("npm ci");
        expect(build).to.include('--config "$SCANNERS_DIR/eslint.config.mjs" --max-warnings 0 \\\n');
        expect(build).to.include('--output-file "$SCANNERS_DIR/eslint.sarif" . || LINT=$?');
    });

    it("build-image: ECR login on the configured registry, commit tag, push, digest from ECR, image.json as its artifact", () => {
        const spec = specs.buildImage;
        const all = commands(spec);
        expect(all).to.include(
            'aws ecr get-login-password | docker login --username AWS --password-stdin "$ECR_REGISTRY"',
        );
        expect(all).to.include('export COMMIT="${COMMIT_ID:-${CODEBUILD_RESOLVED_SOURCE_VERSION:-}}"');
        expect(all).to.include('export IMAGE_TAG="$COMMIT-$BUILD_UUID"');
        expect(all).to.include('docker build --pull --tag "$REPOSITORY_URI:$IMAGE_TAG" .');
        expect(all).to.include('docker push "$REPOSITORY_URI:$IMAGE_TAG"');
        expect(all).to.include("--query 'imageDetails[0].imageDigest' --output text");
        expect(all).to.include('IMAGE_URI="$REPOSITORY_URI@$DIGEST"');
        expect(all).to.include("> image.json");
        expect(spec.artifacts).to.deep.equal({ files: ["image.json"] });
    });

    it("promote-image: reads the previous release manifest, pulls by digest, pushes with the commit and digest tag, checks the digest", () => {
        const spec = specs.promoteImage;
        const all = commands(spec);
        expect(all).to.include('export RELEASE_KEY="releases/$SERVICE_NAME/$COMMIT.json"');
        expect(all).to.include(
            'aws s3api get-object --bucket "$PREVIOUS_RELEASE_BUCKET" --key "$RELEASE_KEY" previous-release.json',
        );
        expect(all).to.include("has not passed $PREVIOUS_ENVIRONMENT");
        expect(all).to.include('docker pull "$PREVIOUS_REPOSITORY_URI@$DIGEST"');
        expect(all).to.include('export IMAGE_TAG="$COMMIT-${DIGEST#sha256:}"');
        expect(all).to.include('docker tag "$PREVIOUS_REPOSITORY_URI@$DIGEST" "$REPOSITORY_URI:$IMAGE_TAG"');
        expect(all).to.include('docker push "$REPOSITORY_URI:$IMAGE_TAG"');
        expect(all).to.include('if [[ "$PUSHED" != "$DIGEST" ]]; then');
        expect(spec.artifacts).to.deep.equal({ files: ["image.json", "sbom.cdx.json"] });
    });

    it("image-scan-gate: waits for the scan on push and compares CRITICAL and HIGH with the thresholds", () => {
        const all = commands(specs.imageScanGate);
        expect(all).to.include(
            "aws ecr get-registry-scanning-configuration --query 'scanningConfiguration.scanType' --output text",
        );
        expect(all).to.include("aws inspector2 list-findings");
        expect(all).to.include("--query 'imageScanStatus.status' --output text");
        expect(all).to.include("--query 'imageScanFindings.findingSeverityCounts' --output json");
        expect(all).to.include("if (( CRITICAL > MAX_CRITICAL_FINDINGS || HIGH > MAX_HIGH_FINDINGS )); then");
    });

    it("scale-up: runs exactly the commands the Fargate service's design requires", () => {
        const spec = parse(readBuildspec("scaleUp"));
        expect(spec.version).to.equal(0.2);
        expect(spec.phases.build.commands[0].trim().split("\n")).to.deep.equal([
            "set -eo pipefail",
            ...scaleUpCommands(),
        ]);
    });

    it("publish-release: the manifest fields, at releases/<service>/<commit>.json, SSE-KMS with the artifact key", () => {
        const all = commands(specs.publishRelease);
        for (const field of [
            "service",
            "commitId",
            "imageDigest",
            "imageUri",
            "environment",
            "pipelineExecutionId",
            "publishedAt",
        ]) {
            expect(all).to.match(new RegExp(`\\b${field}: \\$`));
        }
        expect(all).to.include('aws s3 cp release.json "s3://$RELEASE_BUCKET/releases/$SERVICE_NAME/$COMMIT.json"');
        expect(all).to.include('--sse aws:kms --sse-kms-key-id "$ARTIFACT_KEY_ARN"');
        expect(actionEnvironmentVariables("publishRelease")).to.equal(
            '[{"name":"PIPELINE_EXECUTION_ID","value":"#{codepipeline.PipelineExecutionId}","type":"PLAINTEXT"}]',
        );
        expect(actionEnvironmentVariables("unitTests", "SourceVariables")).to.equal(undefined);
        expect(actionEnvironmentVariables("promoteImage", "SourceVariables")).to.equal(
            '[{"name":"COMMIT_ID","value":"#{SourceVariables.CommitId}","type":"PLAINTEXT"}]',
        );
        expect(actionEnvironmentVariables("buildImage")).to.equal(undefined);
    });
});

const bucketArn = (p: string, account: string) => `arn:${p}:s3:::cicd-artifacts-${account}-${GOV}`;
const keyArn = (p: string, account: string) =>
    `arn:${p}:kms:${GOV}:${account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const repoArn = (p: string, account: string) => `arn:${p}:ecr:${GOV}:${account}:repository/orders-api`;
const serviceArn = (p: string, account: string) => `arn:${p}:ecs:${GOV}:${account}:service/orders-api/orders-api`;
const clusterArn = (p: string, account: string) => `arn:${p}:ecs:${GOV}:${account}:cluster/orders-api`;
const taskRoles = (p: string, account: string) => [
    `arn:${p}:iam::${account}:role/orders-api-task`,
    `arn:${p}:iam::${account}:role/orders-api-execution`,
];
/** What the deploy step's role needs of the service beyond the project basics. */
const deployTarget = (p: string, account: string) => ({
    ecsServiceArn: serviceArn(p, account),
    ecsClusterArn: clusterArn(p, account),
    taskDefinitionFamily: "orders-api",
    taskDefinitionParameterName: "/cicd/ecs/orders-api/task-definition",
    containerPortParameterName: "/cicd/ecs/orders-api/container-port",
    taskRoleArns: taskRoles(p, account),
});

for (const partition of ["aws", "aws-us-gov"]) {
    describe(`project role policies in partition ${partition}`, () => {
        const input = (env: "dev" | "qa", account: string) => ({
            partition,
            region: GOV,
            accountId: account,
            env,
            serviceName: "orders-api",
            artifactBucketArn: bucketArn(partition, account),
            kmsKeyAlias: `alias/cicd-${env}-artifacts`,
            ecrRepositoryArn: repoArn(partition, account),
            ...deployTarget(partition, account),
            ...(env === "qa"
                ? {
                      previous: {
                          env: "dev" as const,
                          accountId: DEV,
                          bucketName: `cicd-artifacts-${DEV}-${GOV}`,
                          keyAlias: "alias/cicd-dev-artifacts",
                          repositoryName: "orders-api",
                      },
                      npmTokenSecretArn: `arn:${partition}:secretsmanager:${GOV}:${QA}:secret:npm-token-AbCdEf`,
                  }
                : {}),
        });
        /**
         * The statements every project has: its own log group, its input artifacts (read), the objects of its output
         * artifact `writes` (written), the bucket's location.
         */
        const base = (env: "dev" | "qa", account: string, suffix: string, writes?: string) => [
            {
                Sid: "WriteOwnLogs",
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                Resource: `arn:${partition}:logs:${GOV}:${account}:log-group:/aws/codebuild/orders-api-${env}-${suffix}:*`,
            },
            {
                Sid: "ReadPipelineArtifacts",
                Effect: "Allow",
                Action: ["s3:GetObject", "s3:GetObjectVersion"],
                Resource: `${bucketArn(partition, account)}/orders-api-${env}/*`,
            },
            ...(writes
                ? [
                      {
                          Sid: "WriteOwnArtifact",
                          Effect: "Allow",
                          Action: "s3:PutObject",
                          Resource: `${bucketArn(partition, account)}/orders-api-${env}/${writes}/*`,
                      },
                  ]
                : []),
            {
                Sid: "ArtifactBucket",
                Effect: "Allow",
                Action: "s3:GetBucketLocation",
                Resource: bucketArn(partition, account),
            },
        ];
        // The key by its alias: its id is assigned at creation, the alias is known at preview.
        const byAlias = (account: string) => ({
            Resource: `arn:${partition}:kms:${GOV}:${account}:key/*`,
            Condition: {
                "ForAnyValue:StringEquals": {
                    "kms:ResourceAliases": [`alias/cicd-${account === DEV ? "dev" : "qa"}-artifacts`],
                },
            },
        });
        const keyUse = (account: string) => ({
            Sid: "UseArtifactKey",
            Effect: "Allow",
            Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
            ...byAlias(account),
        });
        const keyRead = (account: string) => ({
            Sid: "UseArtifactKey",
            Effect: "Allow",
            Action: ["kms:Decrypt", "kms:DescribeKey"],
            ...byAlias(account),
        });
        /** The statement of a project that publishes test reports to its one report group. */
        const publishReports = (account: string, group: string) => ({
            Sid: "PublishTestReports",
            Effect: "Allow",
            Action: [
                "codebuild:CreateReport",
                "codebuild:UpdateReport",
                "codebuild:BatchPutTestCases",
                "codebuild:BatchPutCodeCoverages",
            ],
            Resource: `arn:${partition}:codebuild:${GOV}:${account}:report-group/${group}`,
        });
        const npmToken = {
            Sid: "ReadNpmToken",
            Effect: "Allow",
            Action: "secretsmanager:GetSecretValue",
            Resource: `arn:${partition}:secretsmanager:${GOV}:${QA}:secret:npm-token-AbCdEf`,
        };
        const pushPull = (account: string) => [
            { Sid: "EcrLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
            {
                Sid: "PushPullOwnRepository",
                Effect: "Allow",
                Action: [
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:GetDownloadUrlForLayer",
                    "ecr:BatchGetImage",
                    "ecr:InitiateLayerUpload",
                    "ecr:UploadLayerPart",
                    "ecr:CompleteLayerUpload",
                    "ecr:PutImage",
                    "ecr:DescribeImages",
                ],
                Resource: repoArn(partition, account),
            },
        ];

        it("unit tests run untrusted code: read their input, write their logs and test report, read the npm token; nothing else", () => {
            expect(projectRolePolicy("unitTests", input("qa", QA)).Statement).to.deep.equal([
                ...base("qa", QA, "unit-tests"),
                keyRead(QA),
                publishReports(QA, "orders-api-qa-unit-tests-junit"),
                npmToken,
            ]);
        });

        it("the security scan reads its input, writes its scanners' report and reads the npm token; without a token, not that", () => {
            const publish = (env: string, account: string) =>
                publishReports(account, `orders-api-${env}-security-scan-security`);
            expect(projectRolePolicy("securityScan", input("qa", QA)).Statement).to.deep.equal([
                ...base("qa", QA, "security-scan"),
                keyRead(QA),
                publish("qa", QA),
                npmToken,
            ]);
            expect(projectRolePolicy("securityScan", input("dev", DEV)).Statement).to.deep.equal([
                ...base("dev", DEV, "security-scan"),
                keyRead(DEV),
                publish("dev", DEV),
            ]);
        });

        it("only the image projects write pipeline artifacts and push to the repository; promotion also reads the previous environment", () => {
            expect(projectRolePolicy("buildImage", input("dev", DEV)).Statement).to.deep.equal([
                ...base("dev", DEV, "build-image", "image"),
                keyUse(DEV),
                ...pushPull(DEV),
            ]);
            expect(projectRolePolicy("promoteImage", input("qa", QA)).Statement).to.deep.equal([
                ...base("qa", QA, "promote-image", "image"),
                keyUse(QA),
                ...pushPull(QA),
                {
                    Sid: "ReadPreviousReleases",
                    Effect: "Allow",
                    Action: "s3:GetObject",
                    Resource: `arn:${partition}:s3:::cicd-artifacts-${DEV}-${GOV}/releases/orders-api/*`,
                },
                {
                    Sid: "DecryptPreviousReleases",
                    Effect: "Allow",
                    Action: "kms:Decrypt",
                    Resource: `arn:${partition}:kms:${GOV}:${DEV}:key/*`,
                    Condition: { "ForAnyValue:StringEquals": { "kms:ResourceAliases": ["alias/cicd-dev-artifacts"] } },
                },
                {
                    Sid: "PullPreviousImage",
                    Effect: "Allow",
                    Action: ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
                    Resource: `arn:${partition}:ecr:${GOV}:${DEV}:repository/orders-api`,
                },
            ]);
        });

        it("the SBOM step reads the source and image.json, writes its own artifact with the key, nothing else", () => {
            expect(projectRolePolicy("generateSbom", input("dev", DEV)).Statement).to.deep.equal([
                ...base("dev", DEV, "sbom", "sbom"),
                keyUse(DEV),
            ]);
        });

        it("the scan gate reads the image's findings (basic and Inspector), nothing else", () => {
            expect(projectRolePolicy("imageScanGate", input("qa", QA)).Statement).to.deep.equal([
                ...base("qa", QA, "image-scan-gate"),
                keyRead(QA),
                {
                    Sid: "ReadScanFindings",
                    Effect: "Allow",
                    Action: ["ecr:DescribeImages", "ecr:DescribeImageScanFindings"],
                    Resource: repoArn(partition, QA),
                },
                {
                    Sid: "ReadRegistryScanType",
                    Effect: "Allow",
                    Action: "ecr:GetRegistryScanningConfiguration",
                    Resource: "*",
                },
                { Sid: "ReadInspectorFindings", Effect: "Allow", Action: ["inspector2:ListFindings"], Resource: "*" },
            ]);
        });

        it("deploy: reads Pulumi's revision from its parameter, registers in the family with the service tag, updates one service, passes exactly the two task roles, records the served port", () => {
            const family = `arn:${partition}:ecs:${GOV}:${QA}:task-definition/orders-api:*`;
            expect(projectRolePolicy("deploy", input("qa", QA)).Statement).to.deep.equal([
                ...base("qa", QA, "deploy"),
                keyRead(QA),
                {
                    Sid: "ReadPulumiTaskDefinitionArn",
                    Effect: "Allow",
                    Action: "ssm:GetParameter",
                    Resource: `arn:${partition}:ssm:${GOV}:${QA}:parameter/cicd/ecs/orders-api/task-definition`,
                },
                {
                    Sid: "RecordServedContainerPort",
                    Effect: "Allow",
                    Action: ["ssm:GetParameter", "ssm:PutParameter"],
                    Resource: `arn:${partition}:ssm:${GOV}:${QA}:parameter/cicd/ecs/orders-api/container-port`,
                },
                {
                    Sid: "DescribeTaskDefinitions",
                    Effect: "Allow",
                    Action: "ecs:DescribeTaskDefinition",
                    Resource: "*",
                },
                {
                    Sid: "RegisterServiceTaskDefinitions",
                    Effect: "Allow",
                    Action: "ecs:RegisterTaskDefinition",
                    Resource: family,
                    Condition: { StringEquals: { "aws:RequestTag/Service": "orders-api" } },
                },
                {
                    Sid: "TagServiceTaskDefinitions",
                    Effect: "Allow",
                    Action: "ecs:TagResource",
                    Resource: family,
                    Condition: { StringEquals: { "ecs:CreateAction": "RegisterTaskDefinition" } },
                },
                {
                    Sid: "DeployService",
                    Effect: "Allow",
                    Action: "ecs:UpdateService",
                    Resource: serviceArn(partition, QA),
                    Condition: {
                        ArnEquals: { "ecs:cluster": clusterArn(partition, QA) },
                        ArnLike: { "ecs:task-definition": family },
                    },
                },
                {
                    Sid: "WatchService",
                    Effect: "Allow",
                    Action: "ecs:DescribeServices",
                    Resource: serviceArn(partition, QA),
                },
                {
                    Sid: "PassTaskRoles",
                    Effect: "Allow",
                    Action: "iam:PassRole",
                    Resource: taskRoles(partition, QA),
                    Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
                },
            ]);
            // No other project reads the parameter, registers task definitions or passes a role.
            for (const key of buildProjectKeys("qa").filter((k) => k !== "deploy")) {
                const actions = (projectRolePolicy(key, input("qa", QA)).Statement as any[]).flatMap((st) =>
                    [st.Action].flat(),
                );
                expect(
                    actions.filter((a: string) =>
                        /^(ssm:|iam:|ecs:(Describe|Register)TaskDefinition|ecs:TagResource)/.test(a),
                    ),
                    key,
                ).to.deep.equal([]);
            }
        });

        it("only publish-release writes releases/<service>/, and only deploy and scale-up touch ECS", () => {
            expect(projectRolePolicy("publishRelease", input("qa", QA)).Statement).to.deep.equal([
                ...base("qa", QA, "publish-release"),
                keyUse(QA),
                {
                    Sid: "PublishReleases",
                    Effect: "Allow",
                    Action: "s3:PutObject",
                    Resource: `${bucketArn(partition, QA)}/releases/orders-api/*`,
                },
            ]);
            expect(projectRolePolicy("scaleUp", input("qa", QA)).Statement).to.deep.equal([
                ...base("qa", QA, "scale-up"),
                keyRead(QA),
                {
                    Sid: "WatchService",
                    Effect: "Allow",
                    Action: "ecs:DescribeServices",
                    Resource: serviceArn(partition, QA),
                },
                {
                    // Its cluster, and no task definition but one of the family's (a desired count alone sends none).
                    Sid: "ScaleUpService",
                    Effect: "Allow",
                    Action: "ecs:UpdateService",
                    Resource: serviceArn(partition, QA),
                    Condition: {
                        ArnEquals: { "ecs:cluster": clusterArn(partition, QA) },
                        ArnLikeIfExists: {
                            "ecs:task-definition": `arn:${partition}:ecs:${GOV}:${QA}:task-definition/orders-api:*`,
                        },
                    },
                },
            ]);
            for (const key of buildProjectKeys("qa").filter((k) => k !== "publishRelease")) {
                const writes = (projectRolePolicy(key, input("qa", QA)).Statement as any[]).filter((st) =>
                    [st.Action].flat().includes("s3:PutObject"),
                );
                for (const st of writes) expect(st.Resource, key).not.to.include("/releases/");
            }
            for (const key of buildProjectKeys("qa").filter((k) => k !== "scaleUp" && k !== "deploy")) {
                const actions = (projectRolePolicy(key, input("qa", QA)).Statement as any[]).flatMap((st) =>
                    [st.Action].flat(),
                );
                expect(
                    actions.filter((a: string) => a.startsWith("ecs:")),
                    key,
                ).to.deep.equal([]);
            }
        });

        it("no statement allows * actions; Resource * exactly for the actions AWS's catalogue gives no resource type", async () => {
            for (const key of buildProjectKeys("qa")) {
                const statements = projectRolePolicy(key, input("qa", QA)).Statement as any[];
                for (const statement of statements) {
                    for (const action of [statement.Action ?? []].flat()) expect(action).not.to.match(/(^\*|:\*)$/);
                }
                expect(await scopeMismatches(statements), key).to.deep.equal([]);
            }
        });
    });
}

const devArgs: PipelineBuildProjectsArgs = {
    partition: "aws-us-gov",
    region: GOV,
    dnsSuffix: "amazonaws.com",
    accountId: DEV,
    env: "dev",
    serviceName: "orders-api",
    artifactBucketName: `cicd-artifacts-${DEV}-${GOV}`,
    kmsKeyArn: keyArn("aws-us-gov", DEV),
    kmsKeyAlias: "alias/cicd-dev-artifacts",
    ecrRepositoryName: "orders-api",
    target: fargateBuild(
        {
            clusterName: "orders-api",
            clusterArn: clusterArn("aws-us-gov", DEV),
            serviceName: "orders-api",
            serviceArn: serviceArn("aws-us-gov", DEV),
            desiredCount: 2,
            taskDefinitionFamily: "orders-api",
            taskDefinitionParameterName: "/cicd/ecs/orders-api/task-definition",
            containerPortParameterName: "/cicd/ecs/orders-api/container-port",
            taskRoleArns: taskRoles("aws-us-gov", DEV),
            deploymentTimeoutMinutes: 30,
        },
        "app",
    ),
    logRetentionDays: 90,
};
const qaArgs: PipelineBuildProjectsArgs = {
    ...devArgs,
    accountId: QA,
    env: "qa",
    artifactBucketName: `cicd-artifacts-${QA}-${GOV}`,
    kmsKeyArn: keyArn("aws-us-gov", QA),
    kmsKeyAlias: "alias/cicd-qa-artifacts",
    target: fargateBuild(
        {
            ...(devArgs.target.facts as EcsServiceTarget),
            clusterArn: clusterArn("aws-us-gov", QA),
            serviceArn: serviceArn("aws-us-gov", QA),
            taskRoleArns: taskRoles("aws-us-gov", QA),
        },
        "app",
    ),
    previous: {
        env: "dev",
        accountId: DEV,
        bucketName: `cicd-artifacts-${DEV}-${GOV}`,
        keyAlias: "alias/cicd-dev-artifacts",
        repositoryName: "orders-api",
    },
    npmTokenSecretArn: `arn:aws-us-gov:secretsmanager:${GOV}:${QA}:secret:npm-token-AbCdEf`,
    maxHighFindings: 3,
};

async function plan(stack: string, args: PipelineBuildProjectsArgs): Promise<StackRun> {
    const run = await runStack(stack, async () => {
        new PipelineBuildProjects(`orders-api-${args.env}`, args);
    });
    if (run.error) throw run.error;
    return run;
}

/** Registration order is not deterministic under mocks: names in the order of buildProjectKeys. */
function projectNames(run: StackRun): string[] {
    const order = Object.values(BUILD_PROJECTS) as string[];
    const rank = (name: string) => order.findIndex((suffix) => name.endsWith(`-${suffix}`));
    return byType(run, "aws:codebuild/project:Project")
        .map((p) => p.inputs.name as string)
        .sort((a, b) => rank(a) - rank(b));
}

function variables(project: RecordedResource): Record<string, { value: string; type: string }> {
    return Object.fromEntries(
        project.inputs.environment.environmentVariables.map((v: any) => [v.name, { value: v.value, type: v.type }]),
    );
}

describe("PipelineBuildProjects under mocks", () => {
    let dev: StackRun;
    let qa: StackRun;
    before(async () => {
        dev = await plan("dev", devArgs);
        qa = await plan("qa", qaArgs);
    });

    it("dev builds the image and qa promotes it: the project set per environment", () => {
        expect(buildProjectKeys("dev")).to.deep.equal([
            "unitTests",
            "securityScan",
            "buildImage",
            "generateSbom",
            "imageScanGate",
            "deploy",
            "scaleUp",
            "publishRelease",
        ]);
        expect(projectNames(dev)).to.deep.equal([
            "orders-api-dev-unit-tests",
            "orders-api-dev-security-scan",
            "orders-api-dev-build-image",
            "orders-api-dev-sbom",
            "orders-api-dev-image-scan-gate",
            "orders-api-dev-deploy",
            "orders-api-dev-scale-up",
            "orders-api-dev-publish-release",
        ]);
        expect(projectNames(qa)).to.deep.equal([
            "orders-api-qa-unit-tests",
            "orders-api-qa-security-scan",
            "orders-api-qa-promote-image",
            "orders-api-qa-image-scan-gate",
            "orders-api-qa-deploy",
            "orders-api-qa-scale-up",
            "orders-api-qa-publish-release",
        ]);
        for (const env of ["stage", "prod"] as const) expect(buildProjectKeys(env)).to.include("promoteImage");
    });

    it("each project has its own role: deterministic name, trusts CodeBuild of its own account, its own policy", () => {
        for (const [run, args, account] of [
            [dev, devArgs, DEV],
            [qa, qaArgs, QA],
        ] as const) {
            const roles = byType(run, "aws:iam/role:Role");
            expect(roles.map((r) => r.inputs.name).sort()).to.deep.equal(
                buildProjectKeys(args.env)
                    .map((key) => projectRoleName(args.env, "orders-api", key))
                    .sort(),
            );
            expect(
                projectRoleName(args.env, "orders-api", args.env === "dev" ? "buildImage" : "promoteImage"),
            ).to.equal(`cicd-${args.env}-orders-api-build`);
            expect(projectRoleName(args.env, "orders-api", "publishRelease")).to.equal(
                `cicd-${args.env}-orders-api-publish-release`,
            );
            for (const role of roles) {
                expect(JSON.parse(role.inputs.assumeRolePolicy)).to.deep.equal({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Effect: "Allow",
                            Principal: { Service: "codebuild.amazonaws.com" },
                            Action: "sts:AssumeRole",
                            Condition: { StringEquals: { "aws:SourceAccount": account } },
                        },
                    ],
                });
            }
            for (const key of buildProjectKeys(args.env)) {
                const project = byType(run, "aws:codebuild/project:Project").find(
                    (p) => p.inputs.name === `orders-api-${args.env}-${BUILD_PROJECTS[key]}`,
                )!;
                const roleName = projectRoleName(args.env, "orders-api", key);
                expect(project.inputs.serviceRole).to.equal(`arn:aws-us-gov:iam::${account}:role/${roleName}`);
                const role = roles.find((r) => r.inputs.name === roleName)!;
                const policy = byType(run, "aws:iam/rolePolicy:RolePolicy").find((p) => p.inputs.role === roleName)!;
                expect(policy.parent).to.equal(role.parent);
                // The project waits for its own role's policy.
                expect(project.dependencies).to.include(policy.urn);
                expect(JSON.parse(policy.inputs.policy)).to.deep.equal(
                    projectRolePolicy(key, {
                        partition: "aws-us-gov",
                        region: GOV,
                        accountId: account,
                        env: args.env,
                        serviceName: "orders-api",
                        artifactBucketArn: bucketArn("aws-us-gov", account),
                        kmsKeyAlias: `alias/cicd-${args.env}-artifacts`,
                        ecrRepositoryArn: repoArn("aws-us-gov", account),
                        ...deployTarget("aws-us-gov", account),
                        previous: args.previous,
                        npmTokenSecretArn: args.npmTokenSecretArn,
                    }),
                );
            }
        }
    });

    it("privileged mode and the PrivilegedMode tag exactly on the image projects; MEDIUM compute only for build-image", () => {
        const privileged = (run: StackRun) =>
            byType(run, "aws:codebuild/project:Project")
                .filter((p) => p.inputs.environment.privilegedMode === true)
                .map((p) => p.inputs.name);
        const tagged = (run: StackRun) =>
            byType(run, "aws:codebuild/project:Project")
                .filter((p) => p.inputs.tags?.PrivilegedMode === "image-build")
                .map((p) => p.inputs.name);
        expect(privileged(dev)).to.deep.equal(["orders-api-dev-build-image"]);
        expect(tagged(dev)).to.deep.equal(["orders-api-dev-build-image"]);
        expect(privileged(qa)).to.deep.equal(["orders-api-qa-promote-image"]);
        expect(tagged(qa)).to.deep.equal(["orders-api-qa-promote-image"]);
        const compute = Object.fromEntries(
            byType(dev, "aws:codebuild/project:Project").map((p) => [p.inputs.name, p.inputs.environment.computeType]),
        );
        expect(compute).to.deep.equal({
            "orders-api-dev-unit-tests": "BUILD_GENERAL1_SMALL",
            "orders-api-dev-security-scan": "BUILD_GENERAL1_SMALL",
            "orders-api-dev-build-image": "BUILD_GENERAL1_MEDIUM",
            "orders-api-dev-sbom": "BUILD_GENERAL1_SMALL",
            "orders-api-dev-image-scan-gate": "BUILD_GENERAL1_SMALL",
            "orders-api-dev-deploy": "BUILD_GENERAL1_SMALL",
            "orders-api-dev-publish-release": "BUILD_GENERAL1_SMALL",
            "orders-api-dev-scale-up": "BUILD_GENERAL1_SMALL",
        });
    });

    it("every project carries its step's PipelineStep mark: deploy and scale-up deploy, the checks are tests", () => {
        const marks = (run: StackRun) =>
            Object.fromEntries(
                byType(run, "aws:codebuild/project:Project").map((p) => [p.inputs.name, p.inputs.tags?.PipelineStep]),
            );
        expect(marks(dev)).to.deep.equal({
            "orders-api-dev-unit-tests": "test",
            "orders-api-dev-security-scan": "test",
            "orders-api-dev-build-image": "build",
            "orders-api-dev-sbom": "build",
            "orders-api-dev-image-scan-gate": "test",
            "orders-api-dev-deploy": "deploy",
            "orders-api-dev-scale-up": "deploy",
            "orders-api-dev-publish-release": "build",
        });
        expect(marks(qa)["orders-api-qa-promote-image"]).to.equal("build");
    });

    it("every project: CodePipeline source with its buildspec, artifact key, its own encrypted log group, standard:7.0", () => {
        for (const [run, args] of [
            [dev, devArgs],
            [qa, qaArgs],
        ] as const) {
            const logGroups = byType(run, "aws:cloudwatch/logGroup:LogGroup");
            // dev's SBOM step is the eighth.
            expect(logGroups).to.have.length(args.env === "dev" ? 8 : 7);
            for (const group of logGroups) {
                expect(group.inputs).to.deep.include({ retentionInDays: 90, kmsKeyId: args.kmsKeyArn });
            }
            for (const key of buildProjectKeys(args.env)) {
                const name = `orders-api-${args.env}-${BUILD_PROJECTS[key]}`;
                const project = byType(run, "aws:codebuild/project:Project").find((p) => p.inputs.name === name)!;
                expect(project.inputs.source).to.deep.equal({ type: "CODEPIPELINE", buildspec: readBuildspec(key) });
                expect(project.inputs.artifacts).to.deep.equal({ type: "CODEPIPELINE" });
                expect(project.inputs.encryptionKey).to.equal(args.kmsKeyArn);
                expect(project.inputs.logsConfig).to.deep.equal({
                    cloudwatchLogs: { status: "ENABLED", groupName: `/aws/codebuild/${name}` },
                    s3Logs: { status: "DISABLED" },
                });
                expect(logGroups.map((g) => g.inputs.name)).to.include(`/aws/codebuild/${name}`);
                expect(project.inputs.environment).to.deep.include({
                    type: "LINUX_CONTAINER",
                    image: "aws/codebuild/standard:7.0",
                    imagePullCredentialsType: "CODEBUILD",
                });
                expect(project.inputs.serviceRole).to.equal(
                    `arn:aws-us-gov:iam::${args.accountId}:role/${projectRoleName(args.env, "orders-api", key)}`,
                );
            }
        }
    });

    it("environment variables: the non-secret settings as PLAINTEXT, the npm token only from Secrets Manager", () => {
        const gate = byType(qa, "aws:codebuild/project:Project").find(
            (p) => p.inputs.name === "orders-api-qa-image-scan-gate",
        )!;
        const plain = (value: string) => ({ value, type: "PLAINTEXT" });
        expect(variables(gate)).to.deep.equal({
            SERVICE_NAME: plain("orders-api"),
            CONTAINER_NAME: plain("app"),
            ENVIRONMENT: plain("qa"),
            REPOSITORY_URI: plain(`${QA}.dkr.ecr.${GOV}.amazonaws.com/orders-api`),
            ECR_REGISTRY: plain(`${QA}.dkr.ecr.${GOV}.amazonaws.com`),
            RELEASE_BUCKET: plain(`cicd-artifacts-${QA}-${GOV}`),
            ARTIFACT_KEY_ARN: plain(keyArn("aws-us-gov", QA)),
            MAX_CRITICAL_FINDINGS: plain("0"),
            MAX_HIGH_FINDINGS: plain("3"),
            AWS_USE_FIPS_ENDPOINT: plain("true"),
            PREVIOUS_ENVIRONMENT: plain("dev"),
            PREVIOUS_RELEASE_BUCKET: plain(`cicd-artifacts-${DEV}-${GOV}`),
            PREVIOUS_REPOSITORY_URI: plain(`${DEV}.dkr.ecr.${GOV}.amazonaws.com/orders-api`),
        });
        const npm = (run: StackRun) =>
            byType(run, "aws:codebuild/project:Project")
                .filter((p) => variables(p).NPM_TOKEN)
                .map((p) => [p.inputs.name, variables(p).NPM_TOKEN])
                .sort();
        expect(npm(qa)).to.deep.equal([
            ["orders-api-qa-security-scan", { value: qaArgs.npmTokenSecretArn, type: "SECRETS_MANAGER" }],
            ["orders-api-qa-unit-tests", { value: qaArgs.npmTokenSecretArn, type: "SECRETS_MANAGER" }],
        ]);
        expect(npm(dev)).to.deep.equal([]);
        expect(Object.keys(variables(byType(dev, "aws:codebuild/project:Project")[0]))).not.to.include(
            "PREVIOUS_RELEASE_BUCKET",
        );
        for (const run of [dev, qa]) {
            for (const project of byType(run, "aws:codebuild/project:Project")) {
                for (const v of project.inputs.environment.environmentVariables) {
                    if (v.type === "PLAINTEXT") {
                        expect(v.name).not.to.match(
                            /TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE|API_KEY|ACCESS_KEY/,
                        );
                    }
                }
            }
        }
    });

    it("deploy project: the service, Pulumi's parameters and the timeout as variables; a build timeout beyond the deployment's", () => {
        const deploy = byType(qa, "aws:codebuild/project:Project").find(
            (p) => p.inputs.name === "orders-api-qa-deploy",
        )!;
        const plain = (value: string) => ({ value, type: "PLAINTEXT" });
        expect(variables(deploy)).to.deep.include({
            ECS_CLUSTER_NAME: plain("orders-api"),
            ECS_SERVICE_NAME: plain("orders-api"),
            ECS_TASK_FAMILY: plain("orders-api"),
            TASK_DEFINITION_PARAMETER: plain("/cicd/ecs/orders-api/task-definition"),
            CONTAINER_PORT_PARAMETER: plain("/cicd/ecs/orders-api/container-port"),
            DEPLOYMENT_TIMEOUT_MINUTES: plain("30"),
            AWS_USE_FIPS_ENDPOINT: plain("true"),
        });
        expect(deploy.inputs.buildTimeout).to.equal(40);
        expect(deploy.inputs.environment.privilegedMode).to.equal(false);
        const others = byType(qa, "aws:codebuild/project:Project").filter((p) => p !== deploy);
        expect(others.map((p) => p.inputs.buildTimeout)).to.deep.equal(others.map(() => undefined));
        const otherVariables = others.flatMap((p) => Object.keys(variables(p)));
        expect(otherVariables).not.to.include("TASK_DEFINITION_PARAMETER");
        expect(otherVariables).not.to.include("CONTAINER_PORT_PARAMETER");
    });

    it("two report groups, unit tests and security scan, named as CodeBuild resolves the buildspecs' reports, not exported", () => {
        const groups = byType(dev, "aws:codebuild/reportGroup:ReportGroup");
        expect(groups.map((g) => [g.name, g.inputs])).to.deep.equal([
            [
                "orders-api-dev-unit-tests-report",
                {
                    name: "orders-api-dev-unit-tests-junit",
                    type: "TEST",
                    exportConfig: { type: "NO_EXPORT" },
                    deleteReports: true,
                },
            ],
            [
                "orders-api-dev-security-scan-report",
                {
                    name: "orders-api-dev-security-scan-security",
                    type: "TEST",
                    exportConfig: { type: "NO_EXPORT" },
                    deleteReports: true,
                },
            ],
        ]);
        expect(Object.keys(specs.unitTests.reports)).to.deep.equal(["junit"]);
        expect(specs.securityScan.reports).to.deep.equal({
            security: { files: ["*.xml"], "base-directory": "reports/security/junit", "file-format": "JUNITXML" },
        });
    });

    it("children are parented to the component and named from its name", () => {
        const component = byType(dev, "devsecops:pipeline:PipelineBuildProjects");
        expect(component.map((c) => c.name)).to.deep.equal(["orders-api-dev"]);
        for (const child of dev.resources.filter((r) => r !== component[0])) {
            expect(child.parent).to.equal(component[0].urn);
            expect(child.name.startsWith("orders-api-dev-")).to.equal(true);
        }
    });

    it("rejects inconsistent arguments with every problem at once", async () => {
        const run = await runStack("qa", async () => {
            new PipelineBuildProjects("bad", {
                ...qaArgs,
                accountId: "123",
                logRetentionDays: 10,
                previous: { ...qaArgs.previous!, env: "stage", keyAlias: "cicd-dev-artifacts" },
                npmTokenSecretArn: "arn:aws:secretsmanager:us-east-1:1:secret:x",
                maxCriticalFindings: -1,
                target: fargateBuild(
                    { ...(qaArgs.target.facts as EcsServiceTarget), deploymentTimeoutMinutes: 0 },
                    "app",
                ),
            });
        });
        expect(run.error?.message).to.equal(
            [
                "bad: invalid PipelineBuildProjects arguments:",
                '  - accountId is "123", expected 12 digits',
                "  - logRetentionDays is 10, expected one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653",
                '  - previous.env is "stage", expected "dev"',
                '  - previous.keyAlias is "cicd-dev-artifacts", expected "alias/..."',
                '  - npmTokenSecretArn is "arn:aws:secretsmanager:us-east-1:1:secret:x", expected a secret ARN (arn:aws-us-gov:secretsmanager:...)',
                "  - ecsService.deploymentTimeoutMinutes is 0, expected whole minutes from 1 to 2150 (CodeBuild builds run at most 2160 minutes)",
                "  - maxCriticalFindings is -1, expected a whole number >= 0",
            ].join("\n"),
        );
        const devWithPrevious = await runStack("dev", async () => {
            new PipelineBuildProjects("d", { ...devArgs, previous: qaArgs.previous });
        });
        expect(devWithPrevious.error?.message).to.equal(
            "d: invalid PipelineBuildProjects arguments:\n  - previous is set for dev, expected none: dev builds the image",
        );
        const qaWithout = await runStack("qa", async () => {
            new PipelineBuildProjects("q", { ...qaArgs, previous: undefined });
        });
        expect(qaWithout.error?.message).to.equal(
            "q: invalid PipelineBuildProjects arguments:\n  - previous is missing, expected where qa promotes from (dev)",
        );
        expect(byType(qaWithout, "aws:codebuild/project:Project")).to.have.length(0);
    });
});
