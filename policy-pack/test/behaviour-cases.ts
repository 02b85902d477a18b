import type { Policy } from "@pulumi/policy";
import { auditPolicies } from "../policies/audit";
import { codebuildGatesCanFail, codebuildOwnStepRole, codebuildTlsVerified } from "../policies/codebuild";
import { pipelineImageScanBeforeDeploy, pipelineOwnAccounts, pipelineReviewedBranch } from "../policies/codepipeline";
import { ecrNoForceDelete } from "../policies/ecr";
import { ecsCapabilitiesDropped, ecsFargatePlatformVersion } from "../policies/ecs";
import { eventPolicies } from "../policies/events";
import { iamNoPolicyWriteEscalation, iamRoleSessionDuration, iamTriggersScoped } from "../policies/iam";
import { kmsAliasOwnKey, kmsNoLockoutBypass, kmsServiceStatementsNarrowed } from "../policies/kms";
import { elbDesyncMitigation, elbTargetGroupHealthCheck } from "../policies/loadBalancers";
import { sgEgressOnePort } from "../policies/network";
import { sourceRepositoriesProtected } from "../policies/protection";
import { s3LifecycleKeepsReleases, s3UploadsRequireArtifactKey } from "../policies/s3";
import { ACCOUNTS, FixtureOptions, PROJECT, res, Res } from "./fixtures";

// Cases of the policies that judge event routing, the audit trail, privilege escalation, containers and load
// balancers, keys and buckets, and pipeline behaviour: each a small stack, its options and the policies run on it.

const GOV = "arn:aws-us-gov";
const FOREIGN = "999999999999";
const { tool: TOOL, dev: DEV, prod: PROD } = ACCOUNTS;
/** The program's shared config as every stack holds it (Pulumi.yaml). */
export const PROGRAM_CONFIG: Record<string, string> = {
    [`${PROJECT}:toolAccountId`]: TOOL,
    [`${PROJECT}:devAccountId`]: DEV,
    [`${PROJECT}:stageAccountId`]: ACCOUNTS.stage,
    [`${PROJECT}:prodAccountId`]: PROD,
    [`${PROJECT}:devBranch`]: "develop",
    [`${PROJECT}:qaBranch`]: "release/qa",
    [`${PROJECT}:stageBranch`]: "release/stage",
    [`${PROJECT}:prodBranch`]: "main",
};

export interface Case {
    readonly title: string;
    readonly policies: Policy[];
    readonly resources: Res[];
    readonly options?: FixtureOptions & { stack?: string };
}

const pattern = (p: Record<string, unknown>) => JSON.stringify(p);
const PUSHES = {
    source: ["aws.codecommit"],
    "detail-type": ["CodeCommit Repository State Change"],
    resources: [`${GOV}:codecommit:us-gov-west-1:${TOOL}:orders-api`],
    detail: { event: ["referenceCreated", "referenceUpdated"], referenceType: ["branch"], referenceName: ["main"] },
};
const rule = (name: string, p: Record<string, unknown>) =>
    res("aws:cloudwatch/eventRule:EventRule", name, { eventPattern: pattern(p) });
const target = (name: string, arn: string, roleArn?: string) =>
    res("aws:cloudwatch/eventTarget:EventTarget", name, { rule: "r", arn, ...(roleArn ? { roleArn } : {}) });
const rolePolicy = (name: string, statements: object[]) =>
    res("aws:iam/rolePolicy:RolePolicy", name, {
        role: "r",
        policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }),
    });
const container = (extra: Record<string, unknown> = {}) => ({
    name: "app",
    image: `${DEV}.dkr.ecr.us-gov-west-1.amazonaws.com/app@sha256:${"a".repeat(64)}`,
    user: "1000",
    linuxParameters: { capabilities: { drop: ["ALL"] } },
    ...extra,
});
const taskDefinition = (c: object) =>
    res("aws:ecs/taskDefinition:TaskDefinition", "td", { family: "app", containerDefinitions: JSON.stringify([c]) });
const keyPolicy = (statements: object[], extra: Record<string, unknown> = {}) =>
    res("aws:kms/key:Key", "key", {
        policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }),
        ...extra,
    });
const BUCKET = "artifacts";
const OBJECTS = `${GOV}:s3:::${BUCKET}/*`;
const PROD_KEY = `${GOV}:kms:us-gov-west-1:${PROD}:key/1234`;
const bucket = res("aws:s3/bucket:Bucket", "bucket", { bucket: BUCKET });
const bucketPolicy = (statements: object[]) =>
    res(
        "aws:s3/bucketPolicy:BucketPolicy",
        "bucket-policy",
        { bucket: BUCKET, policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }) },
        { dependsOn: [bucket] },
    );
const denyUnless = (key: string, value: string, action: string = "s3:PutObject") => ({
    Effect: "Deny",
    Principal: "*",
    Action: action,
    Resource: OBJECTS,
    Condition: { StringNotEqualsIfExists: { [key]: value } },
});
const lifecycle = (rules: object[]) =>
    res(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "lifecycle",
        { bucket: BUCKET, rules },
        { dependsOn: [bucket] },
    );
const spec = (...commands: string[]) =>
    `version: 0.2\nphases:\n    build:\n        commands:\n${commands.map((c) => `            - ${c}\n`).join("")}`;
const project = (name: string, buildspec: string, extra: Record<string, unknown> = {}) =>
    res("aws:codebuild/project:Project", name, {
        name,
        serviceRole: `${GOV}:iam::${PROD}:role/${name}`,
        source: { type: "CODEPIPELINE", buildspec },
        tags: { PipelineStep: "test" },
        ...extra,
    });
const codebuild = (name: string, project: string, runOrder = 1, extra: Record<string, unknown> = {}) => ({
    name,
    category: "Build",
    owner: "AWS",
    provider: "CodeBuild",
    version: "1",
    runOrder,
    configuration: { ProjectName: project },
    ...extra,
});
const source = (branch: string, roleArn = `${GOV}:iam::${TOOL}:role/source`) => ({
    name: "Source",
    category: "Source",
    owner: "AWS",
    provider: "CodeCommit",
    version: "1",
    roleArn,
    configuration: { RepositoryName: "orders-api", BranchName: branch, PollForSourceChanges: "false" },
});
const pipeline = (stages: { name: string; actions: object[] }[], extra: Record<string, unknown> = {}) =>
    res("aws:codepipeline/pipeline:Pipeline", "pipeline", {
        roleArn: `${GOV}:iam::${PROD}:role/pipeline`,
        artifactStores: [{ location: BUCKET, type: "S3", encryptionKey: { id: PROD_KEY, type: "KMS" } }],
        stages,
        ...extra,
    });
const imageBuild = project("image", spec('docker push "$REPOSITORY_URI:$TAG"'), { tags: { PipelineStep: "build" } });
const gate = project("gate", spec("aws ecr describe-image-scan-findings --repository-name app"));
const deploy = project("deploy", spec("aws ecs update-service --cluster c --service s"), {
    tags: { PipelineStep: "deploy" },
});
const prod = { stack: "prod", stackConfig: PROGRAM_CONFIG };
const tool = { stack: "tool", stackConfig: PROGRAM_CONFIG };

export const CASES: Case[] = [
    // Event routing.
    {
        title: "a push rule naming the repository and the branch",
        policies: eventPolicies,
        resources: [rule("start", PUSHES)],
        options: prod,
    },
    {
        title: "push rules for every branch, every repository, a branch prefix, or every source",
        policies: eventPolicies,
        resources: [
            rule("every-branch", { ...PUSHES, detail: { referenceType: ["branch"] } }),
            rule("every-repository", { source: PUSHES.source, detail: PUSHES.detail }),
            rule("prefix", { ...PUSHES, detail: { referenceName: [{ prefix: "release/" }] } }),
            rule("any-source", { detail: PUSHES.detail }),
            rule("pipeline-failures", { source: ["aws.codepipeline"], detail: { state: ["FAILED"] } }),
        ],
        options: prod,
    },
    {
        title: "the tool stack forwards to an environment's default bus with its own role; a start target of this account",
        policies: eventPolicies,
        resources: [
            target("forward", `${GOV}:events:us-gov-west-1:${PROD}:event-bus/default`, `${GOV}:iam::${TOOL}:role/fwd`),
        ],
        options: tool,
    },
    {
        title: "targets in another account: a foreign bus from tool, a bus of another environment from prod, a foreign role",
        policies: eventPolicies,
        resources: [
            target("foreign-bus", `${GOV}:events:us-gov-west-1:${FOREIGN}:event-bus/default`),
            target("foreign-role", `${GOV}:codepipeline:us-gov-west-1:${TOOL}:p`, `${GOV}:iam::${FOREIGN}:role/x`),
        ],
        options: tool,
    },
    {
        title: "a prod target on the dev bus",
        policies: eventPolicies,
        resources: [target("dev-bus", `${GOV}:events:us-gov-west-1:${DEV}:event-bus/default`)],
        options: prod,
    },
    {
        title: "a start role for one pipeline and a forward role for one bus",
        policies: [iamTriggersScoped],
        resources: [
            rolePolicy("start", [
                {
                    Effect: "Allow",
                    Action: "codepipeline:StartPipelineExecution",
                    Resource: `${GOV}:codepipeline:us-gov-west-1:${PROD}:orders-api-prod`,
                },
            ]),
        ],
        options: prod,
    },
    {
        title: "a start role for every pipeline, and codepipeline:* on *",
        policies: [iamTriggersScoped],
        resources: [
            rolePolicy("start", [
                {
                    Sid: "StartAny",
                    Effect: "Allow",
                    Action: "codepipeline:StartPipelineExecution",
                    Resource: `${GOV}:codepipeline:us-gov-west-1:${PROD}:*`,
                },
                { Effect: "Allow", Action: ["codepipeline:*", "events:Put*"], Resource: "*" },
            ]),
        ],
        options: prod,
    },
    // Audit trail.
    {
        title: "a VPC with a flow log of all traffic into this account, an alarm notifying this account's topic, an email subscription, a plain parameter",
        policies: auditPolicies,
        resources: [
            res("awsx:ec2:Vpc", "vpc", {}, { custom: false }),
            res(
                "aws:ec2/flowLog:FlowLog",
                "flow-log",
                {
                    trafficType: "ALL",
                    logDestination: `${GOV}:logs:us-gov-west-1:${PROD}:log-group:/vpc/flow-logs`,
                    iamRoleArn: `${GOV}:iam::${PROD}:role/flow-logs`,
                },
                { dependsOn: [res("awsx:ec2:Vpc", "vpc")] },
            ),
            res("aws:cloudwatch/metricAlarm:MetricAlarm", "alarm", {
                alarmActions: [`${GOV}:sns:us-gov-west-1:${PROD}:topic`],
            }),
            res("aws:sns/topicSubscription:TopicSubscription", "email", {
                protocol: "email",
                endpoint: "oncall@example.gov",
            }),
            res("aws:ssm/parameter:Parameter", "port", {
                name: "/cicd/ecs/app/container-port",
                type: "String",
                insecureValue: "3000",
            }),
        ],
        options: prod,
    },
    {
        title: "a VPC without a flow log, a flow log of accepted traffic to another account, an alarm without action, HTTP and foreign subscriptions, plaintext secrets",
        policies: auditPolicies,
        resources: [
            res("awsx:ec2:Vpc", "vpc", {}, { custom: false }),
            res("aws:ec2/flowLog:FlowLog", "flow-log", {
                trafficType: "ACCEPT",
                logDestination: `${GOV}:logs:us-gov-west-1:${FOREIGN}:log-group:/vpc/flow-logs`,
                iamRoleArn: `${GOV}:iam::${PROD}:role/flow-logs`,
            }),
            res("aws:cloudwatch/metricAlarm:MetricAlarm", "alarm", { actionsEnabled: false }),
            res("aws:sns/topicSubscription:TopicSubscription", "hook", {
                protocol: "http",
                endpoint: "http://hooks.example.com/x",
            }),
            res("aws:sns/topicSubscription:TopicSubscription", "queue", {
                protocol: "sqs",
                endpoint: `${GOV}:sqs:us-gov-west-1:${FOREIGN}:copy`,
            }),
            res("aws:ssm/parameter:Parameter", "password", {
                name: "/app/db-password",
                type: "String",
                insecureValue: "x",
            }),
            res("aws:ssm/parameter:Parameter", "url", {
                name: "/app/db",
                type: "String",
                insecureValue: "postgres://app:hunter2@db:5432/o",
            }),
            res("aws:ssm/parameter:Parameter", "secure", { name: "/app/token", type: "SecureString", value: "x" }),
        ],
        options: prod,
    },
    // Privilege escalation and sessions.
    {
        title: "a role that reads IAM, and writes the policy of one named role; a one-hour session",
        policies: [iamNoPolicyWriteEscalation, iamRoleSessionDuration],
        resources: [
            rolePolicy("admin", [
                { Effect: "Allow", Action: "iam:Get*", Resource: "*" },
                { Effect: "Allow", Action: "iam:PutRolePolicy", Resource: `${GOV}:iam::${PROD}:role/app` },
            ]),
            res("aws:iam/role:Role", "role", { assumeRolePolicy: "{}", maxSessionDuration: 3600 }),
        ],
        options: prod,
    },
    {
        title: "policy writes on role/* and policy/*, iam:* wildcards and NotAction; 12-hour sessions",
        policies: [iamNoPolicyWriteEscalation, iamRoleSessionDuration],
        resources: [
            rolePolicy("escalate", [
                { Sid: "Put", Effect: "Allow", Action: "iam:PutRolePolicy", Resource: `${GOV}:iam::${PROD}:role/*` },
                {
                    Sid: "Version",
                    Effect: "Allow",
                    Action: "iam:CreatePolicyVersion",
                    Resource: `${GOV}:iam::${PROD}:policy/*`,
                },
                { Sid: "Attach", Effect: "Allow", Action: "iam:Attach*", Resource: "*" },
                { Sid: "Not", Effect: "Allow", NotAction: "s3:*", Resource: `${GOV}:iam::${PROD}:role/cicd-*` },
            ]),
            res("aws:iam/role:Role", "role", { assumeRolePolicy: "{}", maxSessionDuration: 43200 }),
        ],
        options: prod,
    },
    // Containers and load balancers.
    {
        title: "a container dropping all capabilities (adding NET_BIND_SERVICE), Fargate LATEST and 1.4.0, a health check, defensive desync mitigation, egress on one port",
        policies: [
            ecsCapabilitiesDropped,
            ecsFargatePlatformVersion,
            elbTargetGroupHealthCheck,
            elbDesyncMitigation,
            sgEgressOnePort,
        ],
        resources: [
            taskDefinition(
                container({ linuxParameters: { capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] } } }),
            ),
            res("aws:ecs/service:Service", "latest", { launchType: "FARGATE", platformVersion: "LATEST" }),
            res("aws:ecs/service:Service", "pinned", { launchType: "FARGATE", platformVersion: "1.4.0" }),
            res("aws:lb/targetGroup:TargetGroup", "tg", { healthCheck: { enabled: true, path: "/health" } }),
            res("aws:lb/loadBalancer:LoadBalancer", "alb", { loadBalancerType: "application" }),
            res("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "out", {
                ipProtocol: "tcp",
                fromPort: 443,
                toPort: 443,
                cidrIpv4: "0.0.0.0/0",
            }),
        ],
        options: prod,
    },
    {
        title: "SYS_ADMIN added, the drop-all removed, Fargate 1.3.0, the health check off, desync monitor, all-traffic and all-port egress",
        policies: [
            ecsCapabilitiesDropped,
            ecsFargatePlatformVersion,
            elbTargetGroupHealthCheck,
            elbDesyncMitigation,
            sgEgressOnePort,
        ],
        resources: [
            taskDefinition(container({ linuxParameters: { capabilities: { add: ["SYS_ADMIN"] } } })),
            res("aws:ecs/service:Service", "old", { launchType: "FARGATE", platformVersion: "1.3.0" }),
            res("aws:lb/targetGroup:TargetGroup", "tg", { healthCheck: { enabled: false } }),
            res("aws:lb/loadBalancer:LoadBalancer", "alb", {
                loadBalancerType: "application",
                desyncMitigationMode: "monitor",
            }),
            res("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "all", {
                ipProtocol: "-1",
                cidrIpv4: "0.0.0.0/0",
            }),
            res("aws:ec2/securityGroup:SecurityGroup", "sg", {
                egress: [{ protocol: "tcp", fromPort: 0, toPort: 65535, cidrBlocks: ["0.0.0.0/0"] }],
            }),
        ],
        options: prod,
    },
    // Keys and buckets.
    {
        title: "a key policy with narrowed services (source account, the logs context, EventBridge with data keys only) and an alias of this account's key",
        policies: [kmsNoLockoutBypass, kmsServiceStatementsNarrowed, kmsAliasOwnKey],
        resources: [
            keyPolicy([
                { Effect: "Allow", Principal: { AWS: `${GOV}:iam::${PROD}:root` }, Action: "kms:*", Resource: "*" },
                {
                    Effect: "Allow",
                    Principal: { Service: "cloudwatch.amazonaws.com" },
                    Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
                    Resource: "*",
                    Condition: { StringEquals: { "aws:SourceAccount": PROD } },
                },
                {
                    Effect: "Allow",
                    Principal: { Service: "logs.us-gov-west-1.amazonaws.com" },
                    Action: ["kms:Encrypt*", "kms:Decrypt*"],
                    Resource: "*",
                    Condition: {
                        ArnLike: {
                            "kms:EncryptionContext:aws:logs:arn": `${GOV}:logs:us-gov-west-1:${PROD}:log-group:*`,
                        },
                    },
                },
                {
                    Effect: "Allow",
                    Principal: { Service: ["events.amazonaws.com"] },
                    Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
                    Resource: "*",
                },
            ]),
            res("aws:kms/alias:Alias", "alias", { name: "alias/app", targetKeyId: PROD_KEY }),
        ],
        options: prod,
    },
    {
        title: "the lockout check bypassed, a service statement without aws:SourceAccount, EventBridge given kms:*, an alias of a foreign key",
        policies: [kmsNoLockoutBypass, kmsServiceStatementsNarrowed, kmsAliasOwnKey],
        resources: [
            keyPolicy(
                [
                    {
                        Sid: "Services",
                        Effect: "Allow",
                        Principal: { Service: "cloudwatch.amazonaws.com" },
                        Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
                        Resource: "*",
                    },
                    {
                        Sid: "Events",
                        Effect: "Allow",
                        Principal: { Service: "events.amazonaws.com" },
                        Action: "kms:*",
                        Resource: "*",
                    },
                    {
                        Sid: "Logs",
                        Effect: "Allow",
                        Principal: { Service: "logs.us-gov-west-1.amazonaws.com" },
                        Action: "kms:Decrypt*",
                        Resource: "*",
                        Condition: {
                            ArnLike: {
                                "kms:EncryptionContext:aws:logs:arn": `${GOV}:logs:us-gov-west-1:${FOREIGN}:log-group:*`,
                            },
                        },
                    },
                ],
                { bypassPolicyLockoutSafetyCheck: true },
            ),
            res("aws:kms/alias:Alias", "alias", {
                name: "alias/app",
                targetKeyId: `${GOV}:kms:us-gov-west-1:${FOREIGN}:key/1`,
            }),
        ],
        options: prod,
    },
    {
        title: "a bucket denying uploads without SSE-KMS and without this account's key; a lifecycle expiring one pipeline's artifacts",
        policies: [s3UploadsRequireArtifactKey, s3LifecycleKeepsReleases],
        resources: [
            bucket,
            bucketPolicy([
                denyUnless("s3:x-amz-server-side-encryption", "aws:kms"),
                denyUnless("s3:x-amz-server-side-encryption-aws-kms-key-id", PROD_KEY, "s3:Put*"),
            ]),
            lifecycle([
                {
                    id: "artifacts",
                    status: "Enabled",
                    filter: { prefix: "orders-api-prod/" },
                    expiration: { days: 30 },
                },
                {
                    id: "noncurrent",
                    status: "Enabled",
                    filter: {},
                    noncurrentVersionExpiration: { noncurrentDays: 90 },
                },
            ]),
        ],
        options: prod,
    },
    {
        title: "a bucket policy without the key deny (its key deny on GetObject), lifecycles expiring every object and the releases",
        policies: [s3UploadsRequireArtifactKey, s3LifecycleKeepsReleases],
        resources: [
            bucket,
            bucketPolicy([
                denyUnless("s3:x-amz-server-side-encryption", "aws:kms"),
                denyUnless("s3:x-amz-server-side-encryption-aws-kms-key-id", PROD_KEY, "s3:GetObject"),
            ]),
            lifecycle([
                { id: "everything", status: "Enabled", filter: {}, expiration: { days: 30 } },
                { id: "releases", status: "Enabled", filter: { prefix: "releases/" }, expiration: { days: 7 } },
            ]),
        ],
        options: prod,
    },
    {
        title: "a bucket policy whose key deny names a key of another account, and no SSE deny, in dev (lifecycle rules not judged)",
        policies: [s3UploadsRequireArtifactKey, s3LifecycleKeepsReleases],
        resources: [
            bucket,
            bucketPolicy([
                denyUnless(
                    "s3:x-amz-server-side-encryption-aws-kms-key-id",
                    `${GOV}:kms:us-gov-west-1:${FOREIGN}:key/1`,
                ),
            ]),
            lifecycle([{ id: "everything", status: "Enabled", filter: {}, expiration: { days: 30 } }]),
        ],
    },
    {
        title: "ECR forceDelete in prod and a tool repository without protect; forceDelete in dev and a protected repository",
        policies: [ecrNoForceDelete, sourceRepositoriesProtected],
        resources: [
            res("aws:ecr/repository:Repository", "repo", { name: "app", forceDelete: true }),
            res("aws:codecommit/repository:Repository", "source", { repositoryName: "app" }),
        ],
        options: prod,
    },
    {
        title: "ECR forceDelete in dev; a protected source repository",
        policies: [ecrNoForceDelete, sourceRepositoriesProtected],
        resources: [
            res("aws:ecr/repository:Repository", "repo", { name: "app", forceDelete: true }),
            res("aws:codecommit/repository:Repository", "source", { repositoryName: "app" }, { protect: true }),
        ],
    },
    {
        title: "an ECR repository without forceDelete in prod",
        policies: [ecrNoForceDelete],
        resources: [res("aws:ecr/repository:Repository", "repo", { name: "app", forceDelete: false })],
        options: prod,
    },
    // Pipelines.
    {
        title: "projects under roles of their own, fetching with TLS, whose gates can fail (an npm audit JSON report judged afterwards)",
        policies: [codebuildGatesCanFail, codebuildTlsVerified, codebuildOwnStepRole],
        resources: [
            project("unit-tests", spec("npm ci", "npm test")),
            project(
                "scan",
                spec(
                    'npm audit --omit=dev --json > "$AUDIT" || true',
                    'test "$(jq .metadata.vulnerabilities.total "$AUDIT")" = 0',
                    "npx secretlint '**/*'",
                ),
            ),
            gate,
        ],
        options: prod,
    },
    {
        title: "a test project under the deploy role, insecureSsl, curl -k, npm test || true, secretlint ; exit 0, set +e, on-failure CONTINUE",
        policies: [codebuildGatesCanFail, codebuildTlsVerified, codebuildOwnStepRole],
        resources: [
            deploy,
            project("unit-tests", spec("curl -k -o x.sh https://tools.example.com/x.sh", "npm test || true"), {
                serviceRole: `${GOV}:iam::${PROD}:role/deploy`,
                source: {
                    type: "CODEPIPELINE",
                    insecureSsl: true,
                    buildspec: spec("curl -k -o x.sh https://tools.example.com/x.sh", "npm test || true"),
                },
            }),
            project("unit-tests-2", spec("npm test || true")),
            project("scan", spec("npx secretlint '**/*'; exit 0", "npm config set strict-ssl false")),
            project("scan-2", spec("set +e", "npm audit --audit-level=high")),
            project(
                "gate",
                "version: 0.2\nphases:\n    build:\n        on-failure: CONTINUE\n        commands:\n            - aws ecr describe-image-scan-findings --repository-name app\n",
            ),
        ],
        options: prod,
    },
    {
        title: "a prod pipeline following main, of this account, scanning its image between push and deploy",
        policies: [pipelineImageScanBeforeDeploy, pipelineOwnAccounts, pipelineReviewedBranch],
        resources: [
            imageBuild,
            gate,
            deploy,
            pipeline([
                { name: "Source", actions: [source("main")] },
                { name: "Build", actions: [codebuild("Image", "image", 1), codebuild("Gate", "gate", 2)] },
                { name: "Deploy", actions: [codebuild("Deploy", "deploy")] },
            ]),
        ],
        options: prod,
    },
    {
        title: "a prod pipeline following develop, with a foreign key and roles, a build role in the tool account, its gate after deploy",
        policies: [pipelineImageScanBeforeDeploy, pipelineOwnAccounts, pipelineReviewedBranch],
        resources: [
            imageBuild,
            gate,
            deploy,
            pipeline(
                [
                    { name: "Source", actions: [source("develop", `${GOV}:iam::${FOREIGN}:role/source`)] },
                    {
                        name: "Build",
                        actions: [codebuild("Image", "image", 1, { roleArn: `${GOV}:iam::${TOOL}:role/build` })],
                    },
                    { name: "Deploy", actions: [codebuild("Deploy", "deploy")] },
                    { name: "After", actions: [codebuild("Gate", "gate")] },
                ],
                {
                    roleArn: `${GOV}:iam::${FOREIGN}:role/pipeline`,
                    artifactStores: [
                        {
                            location: BUCKET,
                            type: "S3",
                            encryptionKey: { id: `${GOV}:kms:us-gov-west-1:${FOREIGN}:key/1`, type: "KMS" },
                        },
                    ],
                },
            ),
        ],
        options: prod,
    },
    {
        title: "a dev pipeline may follow any branch; a stage pipeline following a feature branch",
        policies: [pipelineReviewedBranch],
        resources: [pipeline([{ name: "Source", actions: [source("feature/x")] }])],
        options: { stack: "stage", stackConfig: PROGRAM_CONFIG },
    },
];
