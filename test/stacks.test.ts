import * as crypto from "crypto";
import { expect } from "chai";
import { planStack, RecordedResource, StackRun } from "./harness";
import { ACCOUNTS } from "./accounts";
import { scopeMismatches } from "./iamEvaluator";

const BRANCHES = { dev: "develop", qa: "release/qa", stage: "release/stage", prod: "main" } as const;
const ENVS = ["dev", "qa", "stage", "prod"] as const;
const P = "aws-us-gov";
const REGION = "us-gov-west-1";
const REPO_ARN = `arn:${P}:codecommit:${REGION}:${ACCOUNTS.tool}:orders-api`;

function all(run: StackRun, type: string): RecordedResource[] {
    return run.resources.filter((r) => r.type === type);
}
function named(run: StackRun, type: string, name: string): RecordedResource {
    const found = all(run, type).filter((r) => r.name === name);
    expect(found, `${type} ${name}`).to.have.length(1);
    return found[0];
}
const json = (text: string) => JSON.parse(text);
const role = (account: string, name: string) => `arn:${P}:iam::${account}:role/${name}`;

function pushPattern(branch: string) {
    return {
        source: ["aws.codecommit"],
        "detail-type": ["CodeCommit Repository State Change"],
        resources: [REPO_ARN],
        detail: { event: ["referenceCreated", "referenceUpdated"], referenceType: ["branch"], referenceName: [branch] },
    };
}

describe("environment stacks from their real stack files", () => {
    for (const env of ENVS) {
        describe(env, () => {
            let run: StackRun;
            before(async () => (run = await planStack(env)));

            it("pipeline: V2, CMK artifact store, stages and actions in order with their configuration", () => {
                const pipeline = named(run, "aws:codepipeline/pipeline:Pipeline", `${env}-orders-api-pipeline`);
                const key = all(run, "aws:kms/key:Key")[0];
                expect(pipeline.inputs).to.include({ name: `orders-api-${env}`, pipelineType: "V2" });
                expect(pipeline.inputs.artifactStores).to.deep.equal([
                    {
                        location: `cicd-artifacts-${ACCOUNTS[env]}-${REGION}`,
                        type: "S3",
                        encryptionKey: { id: key.state.arn, type: "KMS" },
                    },
                ]);
                const approval = env === "stage" || env === "prod";
                const layout = pipeline.inputs.stages.map((s: any) => [
                    s.name,
                    s.actions.map((a: any) => `${a.runOrder}:${a.category}:${a.provider}:${a.name}`),
                ]);
                expect(layout).to.deep.equal([
                    ["Source", ["1:Source:CodeCommit:Source"]],
                    [
                        "Build",
                        [
                            "1:Test:CodeBuild:UnitTests",
                            "2:Test:CodeBuild:SecurityScan",
                            ...(env === "dev"
                                ? ["3:Build:CodeBuild:BuildImage", "4:Build:CodeBuild:GenerateSbom"]
                                : ["3:Build:CodeBuild:PromoteImage"]),
                            `${env === "dev" ? 5 : 4}:Test:CodeBuild:ImageScanGate`,
                        ],
                    ],
                    ...(approval ? [["Approval", ["1:Approval:Manual:ApproveRelease"]]] : []),
                    ["Deploy", ["1:Build:CodeBuild:DeployToFargate", "2:Build:CodeBuild:ScaleUpService"]],
                    ["Release", ["1:Build:CodeBuild:PublishRelease"]],
                ]);
                const source = pipeline.inputs.stages[0].actions[0];
                expect(source.roleArn).to.equal(role(ACCOUNTS.tool, `cicd-${env}-orders-api-source`));
                expect(source.configuration).to.deep.equal({
                    RepositoryName: "orders-api",
                    BranchName: BRANCHES[env],
                    PollForSourceChanges: "false",
                    OutputArtifactFormat: "CODE_ZIP",
                });
                // The deploy step renders Pulumi's revision (its own project), never the ECS action's copy.
                const deploy = pipeline.inputs.stages.find((s: any) => s.name === "Deploy").actions[0];
                expect(deploy.inputArtifacts).to.deep.equal(["image"]);
                expect(deploy.configuration).to.deep.equal({ ProjectName: `orders-api-${env}-deploy` });
                const projects = new Set(all(run, "aws:codebuild/project:Project").map((p) => p.inputs.name));
                for (const stage of pipeline.inputs.stages) {
                    for (const action of stage.actions) {
                        if (action.provider === "CodeBuild")
                            expect(projects).to.include(action.configuration.ProjectName);
                    }
                }
                if (approval) {
                    const topic = all(run, "aws:sns/topic:Topic")[0];
                    const approve = pipeline.inputs.stages[2].actions[0];
                    expect(approve.configuration.NotificationArn).to.equal(topic.state.arn);
                }
            });

            it("trigger: bus policy for the tool account's forwarder, a start rule with the same pattern, a start-only role", () => {
                const busPolicy = json(all(run, "aws:cloudwatch/eventBusPolicy:EventBusPolicy")[0].inputs.policy);
                expect(busPolicy.Statement).to.deep.equal([
                    {
                        Sid: `PushEventsFrom${ACCOUNTS.tool}`,
                        Effect: "Allow",
                        Principal: { AWS: `arn:${P}:iam::${ACCOUNTS.tool}:root` },
                        Condition: {
                            ArnEquals: { "aws:PrincipalArn": [role(ACCOUNTS.tool, `cicd-${env}-orders-api-events`)] },
                        },
                        Action: "events:PutEvents",
                        Resource: `arn:${P}:events:${REGION}:${ACCOUNTS[env]}:event-bus/default`,
                    },
                ]);
                const rule = named(run, "aws:cloudwatch/eventRule:EventRule", `${env}-orders-api-start-rule`);
                expect(rule.inputs.name).to.equal(`cicd-${env}-orders-api-start`);
                expect(json(rule.inputs.eventPattern)).to.deep.equal(pushPattern(BRANCHES[env]));
                const pipeline = all(run, "aws:codepipeline/pipeline:Pipeline")[0];
                const target = named(run, "aws:cloudwatch/eventTarget:EventTarget", `${env}-orders-api-start-target`);
                const startRole = named(run, "aws:iam/role:Role", `${env}-orders-api-start-role`);
                expect([target.inputs.arn, target.inputs.roleArn]).to.deep.equal([
                    pipeline.state.arn,
                    startRole.state.arn,
                ]);
                expect(json(startRole.inputs.assumeRolePolicy).Statement[0].Condition).to.deep.equal({
                    ArnEquals: {
                        "aws:SourceArn": `arn:${P}:events:${REGION}:${ACCOUNTS[env]}:rule/cicd-${env}-orders-api-start`,
                    },
                    StringEquals: { "aws:SourceAccount": ACCOUNTS[env] },
                });
                const startPolicy = named(run, "aws:iam/rolePolicy:RolePolicy", `${env}-orders-api-start-policy`);
                expect(json(startPolicy.inputs.policy).Statement).to.deep.equal([
                    {
                        Sid: "StartThisPipeline",
                        Effect: "Allow",
                        Action: "codepipeline:StartPipelineExecution",
                        Resource: pipeline.state.arn,
                    },
                ]);
            });

            it("failures: an EventBridge rule for this pipeline's failed executions notifies the topic, and an alarm pages on it", () => {
                const pipeline = all(run, "aws:codepipeline/pipeline:Pipeline")[0];
                const topic = all(run, "aws:sns/topic:Topic")[0];
                const rule = named(run, "aws:cloudwatch/eventRule:EventRule", `${env}-orders-api-failed`);
                expect(json(rule.inputs.eventPattern)).to.deep.equal({
                    source: ["aws.codepipeline"],
                    "detail-type": ["CodePipeline Pipeline Execution State Change"],
                    resources: [pipeline.state.arn],
                    detail: {
                        state: ["FAILED"],
                        // Not the execution CodePipeline starts on creation (it fails at Source before the first push).
                        $or: [
                            { "execution-trigger": { "trigger-type": [{ "anything-but": ["CreatePipeline"] }] } },
                            { "execution-trigger": { "trigger-type": [{ exists: false }] } },
                        ],
                    },
                });
                const target = named(run, "aws:cloudwatch/eventTarget:EventTarget", `${env}-orders-api-failed-target`);
                expect([target.inputs.rule, target.inputs.arn]).to.deep.equal([rule.state.name, topic.state.arn]);
                const alarm = named(run, "aws:cloudwatch/metricAlarm:MetricAlarm", `${env}-orders-api-failed-alarm`);
                expect(alarm.inputs).to.deep.include({
                    namespace: "AWS/Events",
                    metricName: "TriggeredRules",
                    dimensions: { RuleName: `orders-api-${env}-failed` },
                    threshold: 1,
                    comparisonOperator: "GreaterThanOrEqualToThreshold",
                    alarmActions: [topic.state.arn],
                });
                expect(topic.inputs.kmsMasterKeyId).to.equal(all(run, "aws:kms/key:Key")[0].state.arn);
            });

            it("ECS service: private subnets, no public IP, circuit breaker with rollback, leaves revision and count to the pipeline", () => {
                const service = all(run, "aws:ecs/service:Service")[0];
                expect(service.inputs).to.include({
                    launchType: "FARGATE",
                    platformVersion: "LATEST",
                    desiredCount: 0,
                });
                expect(service.inputs.networkConfiguration.assignPublicIp).to.equal(false);
                expect(service.inputs.networkConfiguration.subnets).to.have.length(2);
                expect(service.inputs.deploymentCircuitBreaker).to.deep.equal({ enable: true, rollback: true });
                expect(service.ignoreChanges).to.have.members(["taskDefinition", "desiredCount"]);
                const [alb] = all(run, "aws:lb/loadBalancer:LoadBalancer");
                const [tg] = all(run, "aws:lb/targetGroup:TargetGroup");
                // The service's first 23 characters and a hash of what replaces each (see replacementSafeName).
                const hash = (text: string) => crypto.createHash("sha256").update(text).digest("hex").slice(0, 8);
                expect([alb.inputs.name, tg.inputs.name]).to.deep.equal([
                    `orders-api-${hash(`orders-api|${tg.inputs.vpcId}`)}`,
                    `orders-api-${hash(`orders-api|target-group|${tg.inputs.vpcId}`)}`,
                ]);
                const listeners = all(run, "aws:lb/listener:Listener").map((l) => [l.inputs.port, l.inputs.protocol]);
                const https = env === "stage" || env === "prod";
                // Registration order of the listeners is not fixed: compare as a set.
                expect(listeners).to.have.deep.members(
                    https
                        ? [
                              [443, "HTTPS"],
                              [80, "HTTP"],
                          ]
                        : [[80, "HTTP"]],
                );
                expect(listeners).to.have.length(https ? 2 : 1);
                const scaleUp = all(run, "aws:codebuild/project:Project").find(
                    (p) => p.inputs.name === `orders-api-${env}-scale-up`,
                )!;
                const desired = scaleUp.inputs.environment.environmentVariables.find(
                    (v: any) => v.name === "ECS_DESIRED_COUNT",
                );
                expect(desired.value).to.equal(String({ dev: 1, qa: 2, stage: 2, prod: 3 }[env]));
            });

            it("promotion: ECR lets only the next environment's build role pull; the build role reads only the previous release", () => {
                const next = { dev: "qa", qa: "stage", stage: "prod", prod: undefined }[env];
                const repoPolicies = all(run, "aws:ecr/repositoryPolicy:RepositoryPolicy");
                if (!next) {
                    expect(repoPolicies).to.have.length(0);
                } else {
                    const statement = json(repoPolicies[0].inputs.policy).Statement[0];
                    const nextAccount = ACCOUNTS[next as keyof typeof ACCOUNTS];
                    expect(statement.Principal).to.deep.equal({ AWS: `arn:${P}:iam::${nextAccount}:root` });
                    expect(statement.Condition).to.deep.equal({
                        ArnEquals: { "aws:PrincipalArn": role(nextAccount, `cicd-${next}-orders-api-build`) },
                    });
                }
                const build = json(
                    named(run, "aws:iam/rolePolicy:RolePolicy", `${env}-orders-api-builds-policy`).inputs.policy,
                );
                const sids = build.Statement.map((s: any) => s.Sid);
                expect(sids.includes("ReadPreviousReleases")).to.equal(env !== "dev");
            });
        });
    }
});

describe("the tool stack from its real stack file", () => {
    let run: StackRun;
    before(async () => (run = await planStack("tool")));

    for (const env of ENVS) {
        it(`forwards pushes to ${BRANCHES[env]} to the ${env} bus through a PutEvents-only role`, () => {
            const rule = named(run, "aws:cloudwatch/eventRule:EventRule", `${env}-orders-api-forward-rule`);
            expect(rule.inputs.name).to.equal(`cicd-${env}-orders-api-forward`);
            expect(json(rule.inputs.eventPattern)).to.deep.equal(pushPattern(BRANCHES[env]));
            const bus = `arn:${P}:events:${REGION}:${ACCOUNTS[env]}:event-bus/default`;
            const target = named(run, "aws:cloudwatch/eventTarget:EventTarget", `${env}-orders-api-forward-target`);
            const forwarder = named(run, "aws:iam/role:Role", `${env}-orders-api-forward-role`);
            expect([target.inputs.arn, target.inputs.roleArn]).to.deep.equal([bus, forwarder.state.arn]);
            expect(forwarder.inputs.name).to.equal(`cicd-${env}-orders-api-events`);
            expect(json(forwarder.inputs.assumeRolePolicy).Statement).to.deep.equal([
                {
                    Effect: "Allow",
                    Principal: { Service: "events.amazonaws.com" },
                    Action: "sts:AssumeRole",
                    Condition: {
                        ArnEquals: {
                            "aws:SourceArn": `arn:${P}:events:${REGION}:${ACCOUNTS.tool}:rule/cicd-${env}-orders-api-forward`,
                        },
                        StringEquals: { "aws:SourceAccount": ACCOUNTS.tool },
                    },
                },
            ]);
            const policy = named(run, "aws:iam/rolePolicy:RolePolicy", `${env}-orders-api-forward-policy`);
            expect(json(policy.inputs.policy).Statement).to.deep.equal([
                { Sid: "ForwardToEnvironmentBus", Effect: "Allow", Action: "events:PutEvents", Resource: bus },
            ]);
        });
    }
});

describe("organization guard", () => {
    it("with organizationId, every source role also requires the caller's organization", async () => {
        const run = await planStack("tool", { projectValues: { organizationId: "o-abcde12345" } });
        const trusts = all(run, "aws:iam/role:Role")
            .filter((r) => r.inputs.name.endsWith("-source"))
            .map((r) => json(r.inputs.assumeRolePolicy).Statement[0].Condition.StringEquals);
        expect(trusts).to.deep.equal(ENVS.map(() => ({ "aws:PrincipalOrgID": "o-abcde12345" })));
    });
});

describe("the tool and environment stacks agree", () => {
    it("each pipeline refers only to tool-account resources the tool stack creates for that environment", async () => {
        const tool = await planStack("tool");
        const toolRoles = new Map(all(tool, "aws:iam/role:Role").map((r) => [r.state.arn, r]));
        const repositories = all(tool, "aws:codecommit/repository:Repository").map((r) => r.state.arn);
        const rolePolicies = all(tool, "aws:iam/rolePolicy:RolePolicy");
        for (const env of ENVS) {
            const run = await planStack(env);
            const pipeline = all(run, "aws:codepipeline/pipeline:Pipeline")[0];
            const pipelineRole = all(run, "aws:iam/role:Role").find((r) => r.state.arn === pipeline.inputs.roleArn)!;
            const source = pipeline.inputs.stages[0].actions[0];

            // The source role exists in the tool stack and trusts exactly this pipeline's role.
            const sourceRole = toolRoles.get(source.roleArn);
            expect(sourceRole, `tool role ${source.roleArn}`).to.not.equal(undefined);
            const trust = json(sourceRole!.inputs.assumeRolePolicy).Statement[0];
            expect(trust.Principal.AWS).to.equal(`arn:${P}:iam::${ACCOUNTS[env]}:root`);
            expect(trust.Condition.ArnEquals["aws:PrincipalArn"]).to.deep.equal([pipelineRole.state.arn]);

            // It reads the repository the tool stack creates and writes to this environment's bucket and key.
            const access = json(rolePolicies.find((p) => p.parent === sourceRole!.parent)!.inputs.policy).Statement;
            const bucket = all(run, "aws:s3/bucket:Bucket")[0];
            const alias = all(run, "aws:kms/alias:Alias")[0];
            expect(repositories).to.include(access[0].Resource);
            expect(repositories).to.include(REPO_ARN);
            expect(access[1].Resource).to.equal(`${bucket.state.arn}/orders-api-${env}/*`);
            // ... and the pipeline reads and writes its artifacts under the same prefix.
            const imageProject = all(run, "aws:iam/rolePolicy:RolePolicy").find(
                (p) => p.inputs.role === `cicd-${env}-orders-api-build`,
            )!;
            expect(json(imageProject.inputs.policy).Statement[1].Resource).to.equal(access[1].Resource);
            expect(access[3].Condition["ForAnyValue:StringEquals"]["kms:ResourceAliases"]).to.equal(alias.inputs.name);
            expect(source.configuration.RepositoryName).to.equal(access[0].Resource.split(":").pop());

            // The pipeline role may assume exactly that source role.
            const pipelinePolicy = json(
                all(run, "aws:iam/rolePolicy:RolePolicy").find((p) => p.inputs.name === "pipeline")!.inputs.policy,
            ).Statement[0];
            expect(pipelinePolicy).to.deep.equal({
                Sid: "AssumeToolSourceRole",
                Effect: "Allow",
                Action: "sts:AssumeRole",
                Resource: source.roleArn,
            });

            // The bucket and key let the tool source role in; the bus lets the tool forwarder in.
            const keyPolicy = json(all(run, "aws:kms/key:Key")[0].inputs.policy).Statement;
            const use = keyPolicy.find((s: any) => s.Sid === `CrossAccountUse${ACCOUNTS.tool}`);
            expect(use.Condition.ArnEquals["aws:PrincipalArn"]).to.deep.equal([source.roleArn]);
            const bucketPolicy = json(all(run, "aws:s3/bucketPolicy:BucketPolicy")[0].inputs.policy).Statement;
            const write = bucketPolicy.find((s: any) => s.Sid === `SourceObjectsFrom${ACCOUNTS.tool}`);
            expect(write.Condition.ArnEquals["aws:PrincipalArn"]).to.deep.equal([source.roleArn]);
            const forwarderArn = json(all(run, "aws:cloudwatch/eventBusPolicy:EventBusPolicy")[0].inputs.policy)
                .Statement[0].Condition.ArnEquals["aws:PrincipalArn"][0];
            expect(toolRoles.has(forwarderArn), `tool forwarder ${forwarderArn}`).to.equal(true);
            const forwardTarget = named(
                tool,
                "aws:cloudwatch/eventTarget:EventTarget",
                `${env}-orders-api-forward-target`,
            );
            expect(forwardTarget.inputs.roleArn).to.equal(forwarderArn);
        }
    });

    it("each promotion reads the bucket, key alias and repository the previous environment creates and opens to it", async () => {
        for (const [prev, env] of [
            ["dev", "qa"],
            ["qa", "stage"],
            ["stage", "prod"],
        ] as const) {
            const previous = await planStack(prev);
            const run = await planStack(env);
            const buildRole = all(run, "aws:iam/role:Role").find(
                (r) => r.inputs.name === `cicd-${env}-orders-api-build`,
            )!;
            const build = json(
                all(run, "aws:iam/rolePolicy:RolePolicy").find((p) => p.inputs.role === buildRole.inputs.name)!.inputs
                    .policy,
            );
            const sid = (id: string) => build.Statement.find((s: any) => s.Sid === id);
            const prevBucket = all(previous, "aws:s3/bucket:Bucket")[0];
            const prevRepo = all(previous, "aws:ecr/repository:Repository")[0];
            expect(sid("ReadPreviousReleases").Resource).to.equal(`${prevBucket.state.arn}/releases/orders-api/*`);
            expect(
                sid("DecryptPreviousReleases").Condition["ForAnyValue:StringEquals"]["kms:ResourceAliases"],
            ).to.deep.equal([all(previous, "aws:kms/alias:Alias")[0].inputs.name]);
            expect(sid("PullPreviousImage").Resource).to.equal(prevRepo.state.arn);
            const prevBucketPolicy = json(all(previous, "aws:s3/bucketPolicy:BucketPolicy")[0].inputs.policy).Statement;
            expect(
                prevBucketPolicy.find((s: any) => s.Sid === `ReleasesReadBy${ACCOUNTS[env]}`).Condition.ArnEquals[
                    "aws:PrincipalArn"
                ],
            ).to.deep.equal([buildRole.state.arn]);
            const prevKey = json(all(previous, "aws:kms/key:Key")[0].inputs.policy).Statement;
            expect(
                prevKey.find((s: any) => s.Sid === `CrossAccountRead${ACCOUNTS[env]}`).Condition.ArnEquals[
                    "aws:PrincipalArn"
                ],
            ).to.deep.equal([buildRole.state.arn]);
        }
    });
});

describe("service secrets", () => {
    it("reach the container only as Secrets Manager references, readable by the execution role alone", async () => {
        const run = await planStack("prod");
        const secret = `arn:${P}:secretsmanager:${REGION}:${ACCOUNTS.prod}:secret:orders-api/database-url-Ab12Cd`;
        const [task] = all(run, "aws:ecs/taskDefinition:TaskDefinition");
        const [container] = json(task.inputs.containerDefinitions);
        expect(container.secrets).to.deep.equal([{ name: "DATABASE_URL", valueFrom: secret }]);
        expect(JSON.stringify(container.environment ?? [])).to.not.include("secretsmanager");
        const readers = all(run, "aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.policy.includes(secret));
        expect(readers.map((p) => p.name)).to.deep.equal(["prod-orders-api-service-execution-policy"]);
    });
});

describe("GovCloud availability", () => {
    /** AWS services of the resource types used here that exist in us-gov-west-1. */
    const GOVCLOUD_SERVICES = new Set([
        "kms",
        "s3",
        "ssm",
        "iam",
        "codecommit",
        "codepipeline",
        "codebuild",
        "ecr",
        "ecs",
        "lb",
        "ec2",
        "vpc",
        "cloudwatch",
        "sns",
    ]);
    it("every AWS resource of the GovCloud stacks is of a service GovCloud has; budgets only through a commercial provider", async () => {
        for (const stack of ["tool", ...ENVS]) {
            const run = await planStack(stack, {
                overrides: { budgetBillingAccountId: "555566667777", budgetBillingProfile: "billing" },
            });
            const providers = new Map(
                run.resources.filter((r) => r.type === "pulumi:providers:aws").map((p) => [p.urn, p]),
            );
            for (const r of run.resources.filter((x) => x.custom && x.type.startsWith("aws:"))) {
                const service = r.type.split(/[:/]/)[1];
                if (service === "budgets") {
                    const provider = providers.get(r.provider!.split("::").slice(0, -1).join("::"))!;
                    expect(provider.inputs.region, `${stack} ${r.name}`).to.equal("us-east-1");
                } else {
                    expect(GOVCLOUD_SERVICES, `${stack} ${r.type}`).to.include(service);
                }
            }
        }
    });
});

describe("least privilege across all five stacks", () => {
    it("no Allow grants * or service:* actions; Resource * exactly for the actions AWS's catalogue gives no resource type", async () => {
        let checked = 0;
        for (const stack of ["tool", ...ENVS]) {
            const run = await planStack(stack);
            for (const r of [
                ...all(run, "aws:iam/rolePolicy:RolePolicy"),
                ...all(run, "aws:iam/userPolicy:UserPolicy"),
            ]) {
                for (const s of json(r.inputs.policy).Statement) {
                    if (s.Effect !== "Allow") continue; // a Deny may name a whole service: it only narrows
                    checked++;
                    const actions: string[] = [s.Action].flat();
                    for (const action of actions) expect(action, `${r.name}`).to.not.match(/^(\*|[a-z0-9-]+:\*)$/);
                    expect(await scopeMismatches([s]), r.name).to.deep.equal([]);
                }
            }
        }
        expect(checked).to.be.greaterThan(40);
    });
});

describe("several services per account", () => {
    it("one repository, four source roles and four forwarders per service in tool; one pipeline per service per environment", async () => {
        const services = ["orders-api", "billing-api", "catalog-api"];
        const tool = await planStack("tool", { projectValues: { services } });
        expect(all(tool, "aws:codecommit/repository:Repository").map((r) => r.inputs.repositoryName)).to.deep.equal(
            services,
        );
        expect(all(tool, "devsecops:security:PipelineRoleTrust")).to.have.length(12);
        expect(all(tool, "devsecops:events:PushEventRule")).to.have.length(12);
        const stage = await planStack("stage", { projectValues: { services } });
        // Registration order across services is not fixed: compare as sets.
        expect(all(stage, "aws:codepipeline/pipeline:Pipeline").map((p) => p.inputs.name)).to.have.members(
            services.map((s) => `${s}-stage`),
        );
        expect(all(stage, "aws:kms/key:Key")).to.have.length(1);
        expect(all(stage, "aws:cloudwatch/eventBusPolicy:EventBusPolicy")).to.have.length(1);
        const busPolicy = json(all(stage, "aws:cloudwatch/eventBusPolicy:EventBusPolicy")[0].inputs.policy);
        expect(busPolicy.Statement[0].Condition.ArnEquals["aws:PrincipalArn"]).to.have.members(
            services.map((s) => role(ACCOUNTS.tool, `cicd-stage-${s}-events`)),
        );
        expect(new Set(stage.resources.map((r) => r.urn)).size).to.equal(stage.resources.length);
    });
});

describe("account budget", () => {
    const budget = { budgetMonthlyLimitUsd: 500 };
    it("the checked-in GovCloud stacks ask for a budget but create none until a paired standard account is configured", async () => {
        for (const stack of ["tool", ...ENVS]) {
            const run = await planStack(stack);
            expect(all(run, "aws:budgets/budget:Budget"), stack).to.have.length(0);
            expect(run.outputs?.budget).to.equal(
                `skipped: AWS Budgets is not available in aws-us-gov (us-gov-west-1); the budget of GovCloud account ` +
                    `${ACCOUNTS[stack as keyof typeof ACCOUNTS]} belongs in its paired standard account: set ` +
                    `budgetBillingAccountId and budgetBillingRoleArn (or budgetBillingProfile) to create it there`,
            );
        }
    });

    it("GovCloud without a paired standard account: no budget resource, and the stack says why", async () => {
        const run = await planStack("qa", { overrides: budget });
        expect(all(run, "aws:budgets/budget:Budget")).to.have.length(0);
        expect(run.outputs?.budget).to.match(/^skipped: /);
    });

    it("GovCloud with a paired standard account (the checked-in stacks): the budget goes there, through a us-east-1 provider pinned to it", async () => {
        const run = await planStack("qa", {
            overrides: { ...budget, budgetBillingAccountId: "555566667777", budgetBillingProfile: "qa-billing" },
        });
        const [b] = all(run, "aws:budgets/budget:Budget");
        expect(b.inputs).to.include({ accountId: "555566667777", budgetType: "COST", limitAmount: "500" });
        const provider = run.resources.find((r) => r.urn === b.provider?.split("::").slice(0, -1).join("::"));
        // Provider inputs reach the engine as strings (lists JSON-encoded).
        expect([
            provider?.inputs.region,
            JSON.parse(provider?.inputs.allowedAccountIds),
            provider?.inputs.profile,
        ]).to.deep.equal(["us-east-1", ["555566667777"], "qa-billing"]);
    });

    it("commercial partition: the budget is in the stack's own account", async () => {
        const run = await planStack("dev", {
            overrides: { ...budget, "aws:region": "us-east-1", partition: "aws" },
            reportedPartition: "aws",
        });
        const [b] = all(run, "aws:budgets/budget:Budget");
        expect(b.inputs.accountId).to.equal(ACCOUNTS.dev);
        expect(b.inputs.notifications.map((n: any) => [n.threshold, n.notificationType])).to.deep.equal([
            [80, "ACTUAL"],
            [80, "FORECASTED"],
            [100, "ACTUAL"],
            [100, "FORECASTED"],
        ]);
    });
});
