import { expect } from "chai";
import { validatePolicyPackConfig } from "../../offline/analysis/policyRunner";
import { allPolicies } from "../policies";
import { ecsPolicies } from "../policies/ecs";
import { iamPolicies } from "../policies/iam";
import { loadBalancerPolicies } from "../policies/loadBalancers";
import { loggingPolicies } from "../policies/logging";
import { resourcePolicyPolicies } from "../policies/resourcePolicies";
import { tagPolicies } from "../policies/tags";
import { check, res } from "./fixtures";

const DEV = "271828182845";
const TOOL = "314159265358";
const FOREIGN = "999999999999";
const root = (account: string) => `arn:aws-us-gov:iam::${account}:root`;
const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const DEV_CONFIG = { "devsecops-pipelines:environment": "dev", "devsecops-pipelines:devAccountId": DEV };

describe("IAM: managed attachments, login profiles, NotAction/NotResource, user policies, PassRole, KMS.2", () => {
    const user = res("aws:iam/user:User", "key-admin", { name: "key-admin" });

    it("a user without access keys or a login profile, a read-only attachment and scoped statements pass", async () => {
        const resources = [
            user,
            res("aws:iam/userPolicy:UserPolicy", "key-admin-policy", {
                user: "key-admin",
                policy: doc({
                    Effect: "Allow",
                    Action: ["kms:Decrypt"],
                    Resource: "arn:aws-us-gov:kms:us-gov-west-1:271828182845:key/*",
                    Condition: { "ForAnyValue:StringEquals": { "kms:ResourceAliases": "alias/artifacts" } },
                }),
            }),
            res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "ro", {
                role: "r",
                policyArn: "arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess",
            }),
            res("aws:iam/rolePolicy:RolePolicy", "pass", {
                role: "r",
                policy: doc({
                    Effect: "Allow",
                    Action: "iam:PassRole",
                    Resource: `arn:aws-us-gov:iam::${DEV}:role/task`,
                    Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
                }),
            }),
        ];
        expect(await check(iamPolicies, resources)).to.deep.equal([]);
    });

    it("AdministratorAccess (attached or in managedPolicyArns), a login profile, NotAction, a user's admin policy, PassRole on * with PassedToService and Decrypt on * fail", async () => {
        const resources = [
            user,
            res("aws:iam/userLoginProfile:UserLoginProfile", "console", { user: "key-admin" }),
            res("aws:iam/userPolicyAttachment:UserPolicyAttachment", "admin", {
                user: "key-admin",
                policyArn: "arn:aws-us-gov:iam::aws:policy/AdministratorAccess",
            }),
            res("aws:iam/role:Role", "deployer", {
                assumeRolePolicy: doc({
                    Effect: "Allow",
                    Principal: { Service: "codebuild.amazonaws.com" },
                    Action: "sts:AssumeRole",
                    Condition: { StringEquals: { "aws:SourceAccount": DEV } },
                }),
                managedPolicyArns: ["arn:aws-us-gov:iam::aws:policy/AmazonS3FullAccess"],
            }),
            res("aws:iam/userPolicy:UserPolicy", "inline", {
                user: "key-admin",
                policy: doc({ Sid: "All", Effect: "Allow", NotAction: "iam:*", Resource: "*" }),
            }),
            res("aws:iam/rolePolicy:RolePolicy", "pass", {
                role: "r",
                policy: doc({
                    Sid: "Pass",
                    Effect: "Allow",
                    Action: "iam:PassRole",
                    Resource: "*",
                    Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
                }),
            }),
            res("aws:iam/policy:Policy", "decrypt", {
                policy: doc({ Sid: "Decrypt", Effect: "Allow", Action: "kms:Decrypt", NotResource: "arn:x" }),
            }),
        ];
        expect(await check(iamPolicies, resources)).to.deep.equal([
            [
                "iam-no-wildcard-actions-on-all-resources",
                "inline",
                'IAM user policy "inline": statement "All" allows NotAction "iam:*" on Resource "*"; required: named actions or named resources; fix: list the actions the role needs and scope Resource to the ARNs it uses.',
            ],
            [
                "iam-passrole-scoped",
                "pass",
                'IAM role policy "pass": statement "Pass" allows iam:PassRole on Resource "*"; required: the ARNs of the roles passed in Resource and StringEquals iam:PassedToService (e.g. ecs-tasks.amazonaws.com); fix: name the roles and add the condition.',
            ],
            [
                "iam-kms-decrypt-scoped",
                "inline",
                'IAM user policy "inline": statement "All" allows kms:Decrypt, kms:ReEncryptFrom on every key ("*"); required: the key ARNs it decrypts, or key/* with a kms:ResourceAliases condition; fix: scope Resource to those keys.',
            ],
            [
                "iam-kms-decrypt-scoped",
                "decrypt",
                'IAM policy "decrypt": statement "Decrypt" allows kms:Decrypt on every key (NotResource "arn:x"); required: the key ARNs it decrypts, or key/* with a kms:ResourceAliases condition; fix: scope Resource to those keys.',
            ],
            [
                "iam-no-console-login",
                "console",
                'Login profile "console" gives user "key-admin" a console password; required: no aws.iam.UserLoginProfile; fix: remove it and sign in through IAM Identity Center or another federated identity provider.',
            ],
            [
                "iam-no-privileged-managed-policies",
                "admin",
                'aws:iam/userPolicyAttachment:UserPolicyAttachment "admin" attaches arn:aws-us-gov:iam::aws:policy/AdministratorAccess; required: a policy that lists the actions and resources needed; fix: replace the managed policy with a scoped inline or customer policy.',
            ],
            [
                "iam-no-privileged-managed-policies",
                "deployer",
                'aws:iam/role:Role "deployer" attaches arn:aws-us-gov:iam::aws:policy/AmazonS3FullAccess; required: a policy that lists the actions and resources needed; fix: replace the managed policy with a scoped inline or customer policy.',
            ],
        ]);
    });

    it("a trust narrowed by a wildcard or foreign aws:PrincipalArn does not count as narrowed", async () => {
        const trust = (arn: string) =>
            res("aws:iam/role:Role", "source", {
                assumeRolePolicy: doc({
                    Sid: "Dev",
                    Effect: "Allow",
                    Principal: { AWS: root(TOOL) },
                    Action: "sts:AssumeRole",
                    Condition: { ArnLike: { "aws:PrincipalArn": arn } },
                }),
            });
        const fix =
            "required: ArnEquals aws:PrincipalArn with the exact caller roles of that account; fix: add the condition (a condition such as aws:SecureTransport or sts:ExternalId does not say who the caller is).";
        expect(await check(iamPolicies, [trust(`arn:aws-us-gov:iam::${TOOL}:role/pipeline`)])).to.deep.equal([]);
        expect(await check(iamPolicies, [trust(`arn:aws-us-gov:iam::${TOOL}:role/*`)])).to.deep.equal([
            [
                "iam-cross-account-trust-narrowed",
                "source",
                `Role "source": trust statement "Dev" lets account ${TOOL} in with wildcard aws:PrincipalArn ["arn:aws-us-gov:iam::${TOOL}:role/*"]; ${fix}`,
            ],
        ]);
        expect(await check(iamPolicies, [trust(`arn:aws-us-gov:iam::${FOREIGN}:role/pipeline`)])).to.deep.equal([
            [
                "iam-cross-account-trust-narrowed",
                "source",
                `Role "source": trust statement "Dev" lets account ${TOOL} in with aws:PrincipalArn ["arn:aws-us-gov:iam::${FOREIGN}:role/pipeline"] of another account; ${fix}`,
            ],
        ]);
    });
});

const policyOf = (type: string, name: string, ...statements: object[]) =>
    res(type, name, { policy: doc(...statements) });
const RESOURCE_POLICY_TYPES: [string, string][] = [
    ["aws:s3/bucketPolicy:BucketPolicy", "bucket policy"],
    ["aws:ecr/repositoryPolicy:RepositoryPolicy", "repository policy"],
    ["aws:sns/topicPolicy:TopicPolicy", "topic policy"],
    ["aws:cloudwatch/eventBusPolicy:EventBusPolicy", "event bus policy"],
];

describe("resource policies: no public access, cross-account narrowed (S3, ECR, SNS, event bus)", () => {
    for (const [type, kind] of RESOURCE_POLICY_TYPES) {
        it(`${kind}: own account, a narrowed foreign account, a service for this account and a TLS deny pass`, async () => {
            const p = policyOf(
                type,
                "p",
                { Sid: "Own", Effect: "Allow", Principal: { AWS: root(DEV) }, Action: "*", Resource: "*" },
                {
                    Sid: "Tool",
                    Effect: "Allow",
                    Principal: { AWS: root(TOOL) },
                    Action: "s3:GetObject",
                    Resource: "*",
                    Condition: { ArnEquals: { "aws:PrincipalArn": `arn:aws-us-gov:iam::${TOOL}:role/source` } },
                },
                {
                    Sid: "Events",
                    Effect: "Allow",
                    Principal: "*",
                    Action: "sns:Publish",
                    Resource: "*",
                    Condition: { StringEquals: { "aws:SourceAccount": DEV } },
                },
                {
                    Sid: "TLS",
                    Effect: "Deny",
                    Principal: "*",
                    Action: "*",
                    Resource: "*",
                    Condition: { Bool: { "aws:SecureTransport": "false" } },
                },
            );
            expect(await check(resourcePolicyPolicies, [p], { stackConfig: DEV_CONFIG })).to.deep.equal([]);
        });

        it(`${kind}: "*" with only aws:SecureTransport, NotPrincipal and a foreign account without narrowing fail`, async () => {
            const p = policyOf(
                type,
                "p",
                {
                    Sid: "Anyone",
                    Effect: "Allow",
                    Principal: { AWS: "*" },
                    Action: "*",
                    Resource: "*",
                    Condition: { Bool: { "aws:SecureTransport": "true" } },
                },
                { Sid: "AllBut", Effect: "Allow", NotPrincipal: { AWS: root(DEV) }, Action: "*", Resource: "*" },
                { Sid: "Foreign", Effect: "Allow", Principal: { AWS: FOREIGN }, Action: "*", Resource: "*" },
            );
            const publicFix =
                "required: named principals, or a condition on the caller; fix: name the account root and add ArnEquals aws:PrincipalArn (aws:SecureTransport and similar conditions say how, not who).";
            expect(await check(resourcePolicyPolicies, [p], { stackConfig: DEV_CONFIG })).to.deep.equal([
                [
                    "resource-policy-no-public-access",
                    "p",
                    `${kind} "p": statement "Anyone" allows Principal "*" with conditions on aws:SecureTransport that do not narrow the caller; ${publicFix}`,
                ],
                [
                    "resource-policy-no-public-access",
                    "p",
                    `${kind} "p": statement "AllBut" allows everyone except NotPrincipal {"AWS":"${root(DEV)}"}; ${publicFix}`,
                ],
                [
                    "resource-policy-cross-account-narrowed",
                    "p",
                    `${kind} "p": statement "Foreign" lets account ${FOREIGN} in without an aws:PrincipalArn condition naming its callers; required: ArnEquals aws:PrincipalArn with the exact caller roles of that account; fix: add the condition or name the roles as principals.`,
                ],
            ]);
        });
    }

    it("a service principal is narrowed to this account by aws:SourceAccount or aws:SourceArn (confused deputy)", async () => {
        const publish = (Condition?: object) =>
            policyOf("aws:sns/topicPolicy:TopicPolicy", "topic-policy", {
                Sid: "ServicePublish",
                Effect: "Allow",
                Principal: { Service: ["events.amazonaws.com"] },
                Action: "sns:Publish",
                Resource: "*",
                ...(Condition ? { Condition } : {}),
            });
        const own = { ArnLike: { "aws:SourceArn": `arn:aws-us-gov:events:us-gov-west-1:${DEV}:rule/*` } };
        expect(await check(resourcePolicyPolicies, [publish(own)], { stackConfig: DEV_CONFIG })).to.deep.equal([]);
        const fix =
            "required: StringEquals aws:SourceAccount with this account or ArnEquals aws:SourceArn with its resources; fix: add the condition.";
        expect(await check(resourcePolicyPolicies, [publish()], { stackConfig: DEV_CONFIG })).to.deep.equal([
            [
                "resource-policy-cross-account-narrowed",
                "topic-policy",
                `topic policy "topic-policy": statement "ServicePublish" lets events.amazonaws.com act for any account (no aws:SourceAccount or aws:SourceArn of this account); ${fix}`,
            ],
        ]);
        const foreign = { StringEquals: { "aws:SourceAccount": FOREIGN } };
        expect((await check(resourcePolicyPolicies, [publish(foreign)], { stackConfig: DEV_CONFIG }))[0][2]).to.equal(
            `topic policy "topic-policy": statement "ServicePublish" lets events.amazonaws.com act for account ${FOREIGN} (no aws:SourceAccount or aws:SourceArn of this account); ${fix}`,
        );
    });

    it("a service principal narrowed to another account's aws:SourceAccount is not this account's", async () => {
        const p = policyOf("aws:sns/topicPolicy:TopicPolicy", "topic-policy", {
            Sid: "Events",
            Effect: "Allow",
            Principal: "*",
            Action: "sns:Publish",
            Resource: "*",
            Condition: { StringEquals: { "aws:SourceAccount": FOREIGN } },
        });
        expect((await check(resourcePolicyPolicies, [p], { stackConfig: DEV_CONFIG })).map((v) => v[2])).to.deep.equal([
            'topic policy "topic-policy": statement "Events" allows Principal "*" with conditions on aws:SourceAccount that do not narrow the caller; required: named principals, or a condition on the caller; fix: name the account root and add ArnEquals aws:PrincipalArn (aws:SecureTransport and similar conditions say how, not who).',
        ]);
    });
});

const IMAGE = `${DEV}.dkr.ecr.us-gov-west-1.amazonaws.com/orders-api`;
const task = (container: Record<string, unknown>) =>
    res("aws:ecs/taskDefinition:TaskDefinition", "task", {
        containerDefinitions: JSON.stringify([
            {
                name: "app",
                image: `${IMAGE}@sha256:${"ab".repeat(32)}`,
                user: "1000",
                readonlyRootFilesystem: true,
                logConfiguration: { logDriver: "awslogs" },
                ...container,
            },
        ]),
    });
const repository = (imageTagMutability: string) =>
    res("aws:ecr/repository:Repository", "repo", { name: "orders-api", imageTagMutability });
const cluster = (value?: string) =>
    res("aws:ecs/cluster:Cluster", "cluster", { settings: value ? [{ name: "containerInsights", value }] : [] });
const service = (inputs: Record<string, unknown> = {}) =>
    res("aws:ecs/service:Service", "svc", {
        networkConfiguration: { subnets: ["subnet-1"], assignPublicIp: false },
        deploymentCircuitBreaker: { enable: true, rollback: true },
        ...inputs,
    });

describe("ECS: root user, ECS Exec, Container Insights, images", () => {
    const ecs = (resources: ReturnType<typeof res>[]) => check(ecsPolicies, resources, { stackConfig: DEV_CONFIG });

    it("a non-root container, no ECS Exec, Container Insights and an image by digest or immutable tag pass", async () => {
        expect(await ecs([task({}), cluster("enhanced"), service()])).to.deep.equal([]);
        expect(
            await ecs([task({ image: `${IMAGE}:abc123-7` }), repository("IMMUTABLE"), cluster("enabled")]),
        ).to.deep.equal([]);
    });

    it("root, ECS Exec and Container Insights off fail", async () => {
        expect(
            await ecs([task({ user: "0:0" }), cluster("disabled"), service({ enableExecuteCommand: true })]),
        ).to.deep.equal([
            [
                "ecs-container-non-root-user",
                "task",
                'Task definition "task": container app runs as user "0:0"; required: a non-root user; fix: set user to the image\'s unprivileged uid (e.g. "1000").',
            ],
            [
                "ecs-service-no-execute-command",
                "svc",
                'ECS service "svc" sets enableExecuteCommand true; required: false (debug through logs, not a shell in production tasks); fix: remove enableExecuteCommand.',
            ],
            [
                "ecs-cluster-container-insights",
                "cluster",
                'ECS cluster "cluster" has containerInsights disabled; required: "enabled" or "enhanced"; fix: set settings: [{ name: "containerInsights", value: "enabled" }].',
            ],
        ]);
        expect((await ecs([task({ user: undefined })])).map((v) => v[2])).to.deep.equal([
            'Task definition "task": container app runs as root (no user set); required: a non-root user; fix: set user to the image\'s unprivileged uid (e.g. "1000").',
        ]);
    });

    it("public, latest, mutable, foreign and outside-the-stack images fail", async () => {
        const fix =
            "required: an image of this account's ECR, by digest or by tag from an IMMUTABLE repository; fix: push it to the service's repository (or pull-through cache) and reference it there.";
        const cases: [string, string][] = [
            [
                "public.ecr.aws/docker/library/node:22",
                "is not in this account's private ECR registry (a public or third-party image)",
            ],
            [`${IMAGE}:latest`, "has the latest tag, so it resolves to whatever was pushed last"],
            [`${IMAGE}:abc123-7`, 'is referenced by tag from repository "orders-api" with mutable tags'],
            [
                `${FOREIGN}.dkr.ecr.us-gov-west-1.amazonaws.com/orders-api@sha256:${"ab".repeat(32)}`,
                `comes from another account's registry (${FOREIGN})`,
            ],
            [
                `${IMAGE.replace("orders-api", "other")}:v1`,
                "is referenced by tag from a repository outside this stack (its tags may be mutable); pin it by digest",
            ],
        ];
        for (const [image, problem] of cases) {
            expect(await ecs([task({ image }), repository("MUTABLE")]), image).to.deep.equal([
                [
                    "ecs-images-private-immutable",
                    "task",
                    `Task definition "task": container app image ${image} ${problem}; ${fix}`,
                ],
            ]);
        }
    });
});

describe("provider pinned to the stack's account", () => {
    it("the stack's own account passes; another account or a role in another account fails", async () => {
        expect(await check(tagPolicies, [], { stackConfig: DEV_CONFIG })).to.deep.equal([]);
        expect(await check(tagPolicies, [], { stackConfig: DEV_CONFIG, allowedAccountIds: [TOOL] })).to.deep.equal([
            [
                "aws-provider-allowed-account-ids",
                "aws",
                `AWS provider "aws" pins allowedAccountIds ["${TOOL}"]; required: ["${DEV}"]; fix: set aws:allowedAccountIds in the stack file (or allowedAccountIds on the provider) to the stack's own account.`,
            ],
        ]);
        expect(
            await check(tagPolicies, [], { stackConfig: DEV_CONFIG, allowedAccountIds: [DEV, TOOL] }),
        ).to.have.length(1);
    });

    it("the paired billing account's provider may pin that account while it holds only budgets", async () => {
        const billing = { ...DEV_CONFIG, "devsecops-pipelines:budgetBillingAccountId": FOREIGN };
        const budget = res("aws:budgets/budget:Budget", "budget", { budgetType: "COST" });
        const topic = res("aws:sns/topic:Topic", "topic", {});
        const options = { stackConfig: billing, allowedAccountIds: [FOREIGN] };
        expect(await check(tagPolicies, [budget], options)).to.deep.equal([]);
        expect((await check(tagPolicies, [budget, topic], options)).map((v) => v[2])).to.deep.equal([
            `AWS provider "aws" pins allowedAccountIds ["${FOREIGN}"]; required: ["${DEV}"]; fix: set aws:allowedAccountIds in the stack file (or allowedAccountIds on the provider) to the stack's own account.`,
        ]);
    });
});

describe("the environment comes from the stack, never from policy config", () => {
    const lb = res("aws:lb/loadBalancer:LoadBalancer", "alb", {
        loadBalancerType: "application",
        dropInvalidHeaderFields: true,
    });
    const unprotected = [
        "elb-deletion-protection",
        "alb",
        'Load balancer "alb" has enableDeletionProtection unset in prod; required: true; fix: set enableDeletionProtection: true.',
    ];

    it('{"environment": "dev"} in a prod policy config is refused, and ignored when handed to the policy anyway', async () => {
        const config = { "elb-deletion-protection": { enforcementLevel: "mandatory" as const, environment: "dev" } };
        expect(validatePolicyPackConfig(config, allPolicies)).to.deep.equal([
            "elb-deletion-protection.environment: not a property of this policy (it has waivers)",
        ]);
        expect(await check(loadBalancerPolicies, [lb], { stack: "prod", config })).to.deep.equal([unprotected]);
    });

    it("the stack's environment config decides over its name; an unknown stack gets the strict rules", async () => {
        const prodConfig = { "devsecops-pipelines:environment": "prod" };
        expect(await check(loadBalancerPolicies, [lb], { stack: "sandbox", stackConfig: prodConfig })).to.deep.equal([
            unprotected,
        ]);
        expect((await check(loadBalancerPolicies, [lb], { stack: "sandbox" })).map((v) => v[2])).to.deep.equal([
            'Load balancer "alb" has enableDeletionProtection unset in unknown; required: true; fix: set enableDeletionProtection: true.',
        ]);
        const devConfig = { "devsecops-pipelines:environment": "dev" };
        expect(await check(loadBalancerPolicies, [lb], { stack: "prod", stackConfig: devConfig })).to.deep.equal([]);
    });
});

describe("CloudWatch.16 in stage and prod", () => {
    it("a year or more passes in prod and tool; 90 days fails there", async () => {
        const group = (retentionInDays: number) =>
            res("aws:cloudwatch/logGroup:LogGroup", "logs", {
                retentionInDays,
                kmsKeyId: "arn:aws-us-gov:kms:us-gov-west-1:1:key/k",
            });
        expect(await check(loggingPolicies, [group(400)], { stack: "prod" })).to.deep.equal([]);
        expect(await check(loggingPolicies, [group(90)], { stack: "tool" })).to.deep.equal([
            [
                "cloudwatch-log-group-retention-one-year",
                "logs",
                'Log group "logs" keeps logs 90 days in tool; required: at least 365 days or never expire; fix: set logRetentionDays to 365 or more.',
            ],
        ]);
    });
});
