// The documents the program builds from names (known at preview) name exactly what the outputs they replaced
// resolve to: each ARN, URL and name below is compared with the state the mock runtime gives the named resource.
import { expect } from "chai";
import { planStack, RecordedResource, StackRun } from "./harness";

function all(run: StackRun, type: string): RecordedResource[] {
    return run.resources.filter((r) => r.type === type);
}
function one(run: StackRun, type: string, name?: string): RecordedResource {
    const found = all(run, type).filter((r) => name === undefined || r.name === name);
    if (found.length !== 1) throw new Error(`${run.stack}: expected one ${type} ${name ?? ""}, found ${found.length}`);
    return found[0];
}
const statement = (policy: RecordedResource, sid: string) => {
    const found = JSON.parse(policy.inputs.policy).Statement.find((s: { Sid?: string }) => s.Sid === sid);
    if (!found) throw new Error(`${policy.name}: no statement ${sid}`);
    return found;
};

for (const env of ["dev", "qa", "stage", "prod"] as const) {
    describe(`documents known at preview name what the outputs resolve to (${env})`, () => {
        let run: StackRun;
        let state: (type: string, name?: string) => Record<string, any>;
        const policyOf = (name: string) => {
            const [found] = [
                ...all(run, "aws:iam/rolePolicy:RolePolicy"),
                ...all(run, "aws:iam/userPolicy:UserPolicy"),
            ].filter((r) => r.name === name);
            if (!found) throw new Error(`${env}: no policy ${name}`);
            return found;
        };
        before(async () => {
            run = await planStack(env);
            state = (type, name) => one(run, type, name).state;
        });

        it("the artifact key: every identity policy scopes it by the alias that names it, in its account and region", () => {
            const key = state("aws:kms/key:Key");
            const alias = one(run, "aws:kms/alias:Alias");
            expect(alias.inputs.targetKeyId).to.equal(key.keyId ?? key.id);
            const pattern = key.arn.replace(/key\/.*$/, "key/*");
            const byAlias = { "ForAnyValue:StringEquals": { "kms:ResourceAliases": [alias.inputs.name] } };
            const scoped = [
                ...all(run, "aws:iam/rolePolicy:RolePolicy"),
                ...all(run, "aws:iam/userPolicy:UserPolicy"),
            ].flatMap((p) =>
                JSON.parse(p.inputs.policy).Statement.filter(
                    (s: { Sid?: string }) => s.Sid === "UseArtifactKey" || s.Sid === "ArtifactKey",
                ),
            );
            expect(scoped.length).to.be.greaterThan(5);
            for (const s of scoped) expect([s.Resource, s.Condition]).to.deep.equal([pattern, byAlias]);
        });

        it("the key policy names the key administrator user by the ARN the user resolves to", () => {
            const users = all(run, "aws:iam/user:User");
            const named = JSON.parse(one(run, "aws:kms/key:Key").inputs.policy).Statement.find(
                (s: { Sid?: string }) => s.Sid === "KeyAdministrationWithoutUse",
            );
            const expected = [...(users.length ? [users[0].state.arn] : [])];
            const found = (named?.Condition.ArnEquals["aws:PrincipalArn"] ?? []) as string[];
            expect(found.filter((arn) => arn.includes(":user/"))).to.deep.equal(expected);
        });

        it("the topic policy and the pipeline role name the topic, bucket, projects and pipeline as resolved", () => {
            const topic = state("aws:sns/topic:Topic").arn;
            const topicPolicy = one(run, "aws:sns/topicPolicy:TopicPolicy");
            for (const s of JSON.parse(topicPolicy.inputs.policy).Statement) expect(s.Resource).to.equal(topic);
            const bucket = state("aws:s3/bucket:Bucket").arn;
            const role = policyOf(`${env}-orders-api-role-policy`);
            expect(statement(role, "ArtifactObjects").Resource).to.equal(`${bucket}/*`);
            expect(statement(role, "ArtifactBucket").Resource).to.equal(bucket);
            expect(statement(role, "NotifyApprovers").Resource).to.equal(topic);
            expect([...statement(role, "RunBuilds").Resource].sort()).to.deep.equal(
                all(run, "aws:codebuild/project:Project")
                    .map((p) => p.state.arn)
                    .sort(),
            );
            expect(statement(policyOf(`${env}-orders-api-start-policy`), "StartThisPipeline").Resource).to.equal(
                state("aws:codepipeline/pipeline:Pipeline").arn,
            );
        });

        it("build roles, deploy steps and the service name the bucket, repository, cluster, service and roles as resolved", () => {
            const bucket = state("aws:s3/bucket:Bucket").arn;
            const repository = state("aws:ecr/repository:Repository");
            const image = env === "dev" ? "build-image" : "promote-image";
            const build = policyOf(`${env}-orders-api-builds-policy`);
            expect(statement(build, "ArtifactBucket").Resource).to.equal(bucket);
            expect(statement(build, "PushPullOwnRepository").Resource).to.equal(repository.arn);
            const deploy = policyOf(`${env}-orders-api-builds-deploy-policy`);
            const service = state("aws:ecs/service:Service");
            const cluster = state("aws:ecs/cluster:Cluster");
            const roles = ["execution", "task"].map((r) =>
                state("aws:iam/role:Role", `${env}-orders-api-service-${r}`),
            );
            expect(statement(deploy, "WatchService").Resource).to.equal(service.arn);
            const update = JSON.parse(deploy.inputs.policy).Statement.find(
                (s: { Action?: unknown }) => s.Action === "ecs:UpdateService",
            );
            expect([update.Resource, update.Condition.ArnEquals["ecs:cluster"]]).to.deep.equal([
                service.arn,
                cluster.arn,
            ]);
            const passRole = JSON.parse(deploy.inputs.policy).Statement.find(
                (s: { Action?: unknown }) => s.Action === "iam:PassRole",
            );
            expect([...passRole.Resource].sort()).to.deep.equal(roles.map((r) => r.arn).sort());
            const projects = Object.fromEntries(
                all(run, "aws:codebuild/project:Project").map((p) => [
                    p.name,
                    p.inputs.environment.environmentVariables,
                ]),
            );
            const variable = (project: string, name: string) =>
                projects[`${env}-orders-api-builds-${project}`].find((v: { name: string }) => v.name === name)?.value;
            expect(variable(image, "REPOSITORY_URI")).to.equal(repository.repositoryUrl);
            expect(variable("deploy", "ECS_CLUSTER_NAME")).to.equal(cluster.name);

            const logs = state("aws:cloudwatch/logGroup:LogGroup", `${env}-orders-api-service-logs`);
            const execution = policyOf(`${env}-orders-api-service-execution-policy`);
            expect(statement(execution, "PullImage").Resource).to.equal(repository.arn);
            expect(statement(execution, "WriteLogs").Resource).to.equal(`${logs.arn}:log-stream:*`);
            const [container] = JSON.parse(
                one(run, "aws:ecs/taskDefinition:TaskDefinition").inputs.containerDefinitions,
            );
            expect(container.image.startsWith(`${repository.repositoryUrl}:`)).to.equal(true);
            expect(container.logConfiguration.options["awslogs-group"]).to.equal(logs.name);
        });

        it("the flow log role names the flow log group as resolved", () => {
            const logs = all(run, "aws:cloudwatch/logGroup:LogGroup").find(
                (g) => g.name === `${env}-network-flow-logs`,
            )!;
            const policy = policyOf(`${env}-network-flow-logs-policy`);
            expect(statement(policy, "DeliverFlowLogs").Resource).to.deep.equal([
                logs.state.arn,
                `${logs.state.arn}:log-stream:*`,
            ]);
        });
    });
}
