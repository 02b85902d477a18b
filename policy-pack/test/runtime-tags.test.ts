import { expect } from "chai";
import { ecsPolicies } from "../policies/ecs";
import { loggingPolicies } from "../policies/logging";
import { tagPolicies } from "../policies/tags";
import { evaluatePolicies } from "../../offline/analysis/policyRunner";
import { check, res, stackRun } from "./fixtures";

const KEY = "arn:aws-us-gov:kms:us-gov-west-1:271828182845:key/1234";
const container = (extra: Record<string, any> = {}) => ({
    name: "app",
    image: `271828182845.dkr.ecr.us-gov-west-1.amazonaws.com/orders-api@sha256:${"ab".repeat(32)}`,
    user: "1000",
    readonlyRootFilesystem: true,
    logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": "/ecs/orders-api" } },
    environment: [{ name: "PORT", value: "3000" }],
    secrets: [{ name: "DB_PASSWORD", valueFrom: "arn:aws-us-gov:secretsmanager:us-gov-west-1:271828182845:secret:db" }],
    ...extra,
});
const taskDefinition = (...containers: object[]) =>
    res("aws:ecs/taskDefinition:TaskDefinition", "task", {
        family: "orders-api",
        containerDefinitions: JSON.stringify(containers),
    });
const service = (inputs: Record<string, any> = {}) =>
    res("aws:ecs/service:Service", "svc", {
        networkConfiguration: { subnets: ["subnet-1"], assignPublicIp: false },
        deploymentCircuitBreaker: { enable: true, rollback: true },
        ...inputs,
    });

describe("ECS policies", () => {
    it("a private service with a breaker and a hardened, logged container passes", async () => {
        expect(await check(ecsPolicies, [service(), taskDefinition(container())])).to.deep.equal([]);
    });

    it("reports a public IP, no rollback and each container problem", async () => {
        const bad = container({
            name: "sidecar",
            privileged: true,
            readonlyRootFilesystem: undefined,
            logConfiguration: undefined,
            environment: [
                { name: "API_KEY", value: "x" },
                { name: "PORT", value: "3000" },
                { name: "GITHUB_TOKEN", value: "y" },
            ],
        });
        const resources = [
            service({
                networkConfiguration: { subnets: ["s"], assignPublicIp: true },
                deploymentCircuitBreaker: { enable: true, rollback: false },
            }),
            taskDefinition(container(), bad),
        ];
        const violations = await check(ecsPolicies, resources);
        expect(violations).to.deep.equal([
            [
                "ecs-service-no-public-ip",
                "svc",
                'ECS service "svc" sets networkConfiguration.assignPublicIp true; required: false (private subnets, egress through NAT or VPC endpoints); fix: remove assignPublicIp.',
            ],
            [
                "ecs-service-circuit-breaker",
                "svc",
                'ECS service "svc" has deploymentCircuitBreaker {"enable":true,"rollback":false}; required: { enable: true, rollback: true }; fix: set deploymentCircuitBreaker: { enable: true, rollback: true }.',
            ],
            [
                "ecs-no-privileged-containers",
                "task",
                'Task definition "task": container sidecar sets privileged true; required: not privileged (Fargate rejects it); fix: remove privileged.',
            ],
            [
                "ecs-read-only-root-filesystem",
                "task",
                'Task definition "task": container sidecar has readonlyRootFilesystem unset; required: true; fix: set readonlyRootFilesystem: true and mount a volume for paths the app writes (e.g. /tmp).',
            ],
            [
                "ecs-container-logging",
                "task",
                'Task definition "task": container sidecar has no logConfiguration; required: a log driver (awslogs to an encrypted log group); fix: add logConfiguration: { logDriver: "awslogs", options }.',
            ],
            [
                "ecs-no-secrets-in-environment",
                "task",
                'Task definition "task": container sidecar passes API_KEY (by its name), GITHUB_TOKEN (by its name) in plain environment; required: secrets from Secrets Manager or SSM Parameter Store; fix: move them to the container\'s secrets: [{ name, valueFrom }].',
            ],
        ]);
    });

    it("read-only root filesystem is advisory by default; everything else is mandatory", async () => {
        const verdict = await evaluatePolicies(
            stackRun([
                service({ deploymentCircuitBreaker: undefined }),
                taskDefinition(container({ readonlyRootFilesystem: false })),
            ]),
            { policies: ecsPolicies },
        );
        expect(verdict.violations.map((v) => [v.policyName, v.enforcementLevel])).to.deep.equal([
            ["ecs-service-circuit-breaker", "mandatory"],
            ["ecs-read-only-root-filesystem", "advisory"],
        ]);
    });

    it("unreadable containerDefinitions are reported by each container policy", async () => {
        const td = res("aws:ecs/taskDefinition:TaskDefinition", "task", {
            family: "f",
            containerDefinitions: "{not json",
        });
        const violations = await check(ecsPolicies, [td]);
        expect(violations.length).to.equal(5);
        expect(violations[0]).to.deep.equal([
            "ecs-no-privileged-containers",
            "task",
            'Task definition "task": containerDefinitions is not a JSON array of containers; required: valid JSON; fix: build it with pulumi.jsonStringify([...]).',
        ]);
    });
});

describe("CloudWatch Logs, SNS and Secrets Manager policies", () => {
    it("encrypted log group with retention, topic and secret with a CMK pass", async () => {
        const resources = [
            res("aws:cloudwatch/logGroup:LogGroup", "logs", { retentionInDays: 365, kmsKeyId: KEY }),
            res("aws:sns/topic:Topic", "topic", { kmsMasterKeyId: KEY }),
            res("aws:secretsmanager/secret:Secret", "secret", { kmsKeyId: KEY }),
        ];
        expect(await check(loggingPolicies, resources)).to.deep.equal([]);
    });

    it("unencrypted resources and short retention fail; never expire passes (CloudWatch.16)", async () => {
        const resources = [
            res("aws:cloudwatch/logGroup:LogGroup", "logs", { retentionInDays: 1 }),
            res("aws:cloudwatch/logGroup:LogGroup", "forever", { kmsKeyId: KEY }),
            res("aws:sns/topic:Topic", "topic", { kmsMasterKeyId: "alias/aws/sns" }),
            res("aws:secretsmanager/secret:Secret", "secret", { kmsKeyId: "alias/aws/secretsmanager" }),
        ];
        expect(await check(loggingPolicies, resources, { stack: "prod" })).to.deep.equal([
            [
                "cloudwatch-log-group-retention-one-year",
                "logs",
                'Log group "logs" keeps logs 1 days in prod; required: at least 365 days or never expire; fix: set logRetentionDays to 365 or more.',
            ],
            [
                "cloudwatch-log-group-retention-minimum",
                "logs",
                'Log group "logs" keeps logs 1 days; required: at least 90 days or never expire; fix: set logRetentionDays to 90 or more.',
            ],
            [
                "secretsmanager-secret-cmk",
                "secret",
                'Secret "secret" has kmsKeyId alias/aws/secretsmanager (the AWS-managed key); required: a customer-managed key; fix: set kmsKeyId to the stack\'s key.',
            ],
            [
                "cloudwatch-log-group-kms",
                "logs",
                'Log group "logs" has kmsKeyId none; required: a customer-managed key; fix: set kmsKeyId (the key policy must allow logs.<region>.amazonaws.com).',
            ],
            [
                "sns-topic-kms",
                "topic",
                'SNS topic "topic" has kmsMasterKeyId alias/aws/sns; required: a customer-managed key; fix: set kmsMasterKeyId to the stack\'s key (the key policy must allow the publishing services).',
            ],
        ]);
    });

    it("a year applies in stage and prod only; 90 days passes in dev", async () => {
        const group = res("aws:cloudwatch/logGroup:LogGroup", "logs", { retentionInDays: 90, kmsKeyId: KEY });
        expect(await check(loggingPolicies, [group], { stack: "dev" })).to.deep.equal([]);
        expect((await check(loggingPolicies, [group], { stack: "stage" })).map((v) => v[0])).to.deep.equal([
            "cloudwatch-log-group-retention-one-year",
        ]);
    });
});

describe("tag and account guard policies", () => {
    const component = res("devsecops:pipeline:EnvironmentPipeline", "pipeline", {}, { custom: false });
    const taggable = [
        res("aws:s3/bucket:Bucket", "bucket", {}),
        res("aws:kms/key:Key", "key", { tags: { Owner: "other-team@example.gov" } }),
        res("aws:s3/bucketPolicy:BucketPolicy", "bucket-policy", { bucket: "b", policy: "{}" }),
        component,
    ];

    it("the provider's defaultTags tag every resource; components and settings resources are not taggable", async () => {
        expect(await check(tagPolicies, taggable)).to.deep.equal([]);
    });

    it("missing default tags are reported per taggable resource, merged with the resource's own tags", async () => {
        const violations = await check(tagPolicies, taggable, {
            defaultTags: { CostCenter: undefined, Owner: undefined },
        });
        expect(violations).to.deep.equal([
            [
                "required-tags",
                "bucket",
                'aws:s3/bucket:Bucket "bucket" lacks tags CostCenter, Owner (provider defaultTags merged with its tags); required: Project, Environment, CostCenter, Owner, ManagedBy; fix: set them in aws:defaultTags of the stack file or in the resource\'s tags.',
            ],
            [
                "required-tags",
                "key",
                'aws:kms/key:Key "key" lacks tag CostCenter (provider defaultTags merged with its tags); required: Project, Environment, CostCenter, Owner, ManagedBy; fix: set them in aws:defaultTags of the stack file or in the resource\'s tags.',
            ],
        ]);
    });

    it("a provider without allowedAccountIds fails", async () => {
        expect(await check(tagPolicies, [], { allowedAccountIds: null })).to.deep.equal([
            [
                "aws-provider-allowed-account-ids",
                "aws",
                "AWS provider \"aws\" sets no allowedAccountIds; required: exactly the stack's account id; fix: set aws:allowedAccountIds in the stack file (or allowedAccountIds on the provider) to the stack's own account.",
            ],
        ]);
    });
});
