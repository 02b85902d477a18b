import { expect } from "chai";
import { vpcFlowLogsAllTraffic, ssmSecretsSecureString } from "../policies/audit";
import { codebuildNoPlaintextSecrets } from "../policies/codebuild";
import { pipelineOwnAccounts } from "../policies/codepipeline";
import { kmsAliasOwnKey } from "../policies/kms";
import { check, res } from "./fixtures";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { unknown } = require("@pulumi/pulumi/output") as { unknown: unknown };

// Values AWS assigns are unknown at preview; a policy decides them by what they depend on (the engine's
// propertyDependencies), and says exactly what it could not see otherwise.
const DEV = "271828182845";
const FOREIGN = "999999999999";
const key = res("aws:kms/key:Key", "key", { enableKeyRotation: true });
const taskDefinition = res("aws:ecs/taskDefinition:TaskDefinition", "task", { family: "orders-api" });
const secret = res("aws:secretsmanager/secretVersion:SecretVersion", "db-password", { secretString: unknown });
const cantRun = (policy: string, what: string) =>
    `can't run policy '${policy}' from policy pack 'devsecops-pipelines@v0.1.0' during preview: ` +
    `string value at .${what} can't be known during preview`;

describe("policies decide at preview what AWS assigns", () => {
    describe("codebuild-no-plaintext-secrets", () => {
        const POLICY = "codebuild-no-plaintext-secrets";
        const project = (variables: object[], source: typeof key) =>
            res(
                "aws:codebuild/project:Project",
                "build",
                { environment: { environmentVariables: variables } },
                { propertyDependsOn: { environment: [source] } },
            );
        const keyArn = { name: "ARTIFACT_KEY_ARN", type: "PLAINTEXT", value: unknown };

        it("a PLAINTEXT value that is an output of the stack's KMS key is decided: no secret", async () => {
            expect(await check([codebuildNoPlaintextSecrets], [key, project([keyArn], key)])).to.deep.equal([]);
        });

        it("a secret-looking name is a finding whatever its value", async () => {
            const variables = [keyArn, { name: "DB_PASSWORD", type: "PLAINTEXT", value: unknown }];
            expect(await check([codebuildNoPlaintextSecrets], [key, project(variables, key)])).to.deep.equal([
                [
                    POLICY,
                    "build",
                    'CodeBuild project "build": environment variable DB_PASSWORD is PLAINTEXT and its name looks like ' +
                        "a secret; required: type SECRETS_MANAGER or PARAMETER_STORE; fix: store the value there and " +
                        "set value to the secret or parameter name.",
                ],
            ]);
        });

        it("an output of a resource that may hold a secret stays undecided, saying which value", async () => {
            const variables = [{ name: "DATABASE", type: "PLAINTEXT", value: unknown }];
            expect(await check([codebuildNoPlaintextSecrets], [secret, project(variables, secret)])).to.deep.equal([
                [POLICY, undefined, cantRun(POLICY, "environment.environmentVariables.0.value")],
            ]);
        });
    });

    describe("ssm-parameter-secrets-secure-string", () => {
        const POLICY = "ssm-parameter-secrets-secure-string";
        const parameter = (source: typeof key) =>
            res(
                "aws:ssm/parameter:Parameter",
                "task-definition-arn",
                { name: "/orders-api/task-definition-arn", type: "String", insecureValue: unknown },
                { propertyDependsOn: { insecureValue: [source] } },
            );

        it("a String whose value is a task definition's output is decided: no secret", async () => {
            expect(await check([ssmSecretsSecureString], [taskDefinition, parameter(taskDefinition)])).to.deep.equal(
                [],
            );
        });

        it("a String whose value is another resource's output stays undecided", async () => {
            expect(await check([ssmSecretsSecureString], [secret, parameter(secret)])).to.deep.equal([
                [POLICY, undefined, cantRun(POLICY, "insecureValue")],
            ]);
        });

        it("a String with a secret-looking name is a finding whatever its value", async () => {
            const named = res(
                "aws:ssm/parameter:Parameter",
                "token",
                { name: "/orders-api/api-token", type: "String", insecureValue: unknown },
                { propertyDependsOn: { insecureValue: [taskDefinition] } },
            );
            expect(await check([ssmSecretsSecureString], [taskDefinition, named])).to.deep.equal([
                [
                    POLICY,
                    "token",
                    'SSM parameter "token" is a String whose name looks like a secret; required: type SecureString ' +
                        'with a customer-managed key (or Secrets Manager); fix: set type "SecureString" and keyId.',
                ],
            ]);
        });
    });

    describe("vpc-flow-logs-all-traffic", () => {
        const POLICY = "vpc-flow-logs-all-traffic";
        const role = res("aws:iam/role:Role", "flow-logs-role", {});
        const flowLog = (inputs: object, propertyDependsOn: Record<string, (typeof role)[]>) =>
            res(
                "aws:ec2/flowLog:FlowLog",
                "flow-log",
                { trafficType: "ALL", vpcId: "vpc-0123", ...inputs },
                { propertyDependsOn },
            );
        const group = `arn:aws-us-gov:logs:us-gov-west-1:${DEV}:log-group:/vpc/flow-logs`;

        it("a delivery role this stack creates is of this account, though its ARN is unknown", async () => {
            const log = flowLog({ logDestination: group, iamRoleArn: unknown }, { iamRoleArn: [role] });
            expect(await check([vpcFlowLogsAllTraffic], [role, log])).to.deep.equal([]);
        });

        it("a role ARN from anything else stays undecided; a known foreign destination is a finding", async () => {
            const log = flowLog(
                { logDestination: group.replace(DEV, FOREIGN), iamRoleArn: unknown },
                { iamRoleArn: [key] },
            );
            expect(await check([vpcFlowLogsAllTraffic], [key, log])).to.deep.equal([
                [
                    POLICY,
                    "flow-log",
                    `Flow log "flow-log" has logDestination ${group.replace(DEV, FOREIGN)} of account ${FOREIGN}; ` +
                        `required: trafficType "ALL" delivered to a log group of this account (${DEV}) by a role of ` +
                        `this account; fix: set trafficType "ALL" and this account's log group and role.`,
                ],
                [POLICY, undefined, cantRun(POLICY, "iamRoleArn")],
            ]);
        });
    });

    describe("codepipeline-own-accounts", () => {
        const POLICY = "codepipeline-own-accounts";
        const pipeline = (source: typeof key) =>
            res(
                "aws:codepipeline/pipeline:Pipeline",
                "pipeline",
                {
                    roleArn: `arn:aws-us-gov:iam::${DEV}:role/pipeline`,
                    artifactStores: [{ location: "bucket", type: "S3", encryptionKey: { id: unknown, type: "KMS" } }],
                    stages: [],
                },
                { propertyDependsOn: { artifactStores: [source] } },
            );

        it("an artifact store key this stack creates is of this account, though its ARN is unknown", async () => {
            expect(await check([pipelineOwnAccounts], [key, pipeline(key)])).to.deep.equal([]);
        });

        it("a key from anything else stays undecided", async () => {
            expect(await check([pipelineOwnAccounts], [secret, pipeline(secret)])).to.deep.equal([
                [POLICY, undefined, cantRun(POLICY, "artifactStores.0.encryptionKey.id")],
            ]);
        });
    });

    describe("kms-alias-own-key", () => {
        const alias = (targetKeyId: unknown) => res("aws:kms/alias:Alias", "alias", { name: "alias/a", targetKeyId });

        it("an unknown target is decided: AWS maps an alias only to a key of its own account", async () => {
            expect(await check([kmsAliasOwnKey], [alias(unknown)])).to.deep.equal([]);
        });

        it("a known key ARN of another account is a finding", async () => {
            const foreign = `arn:aws-us-gov:kms:us-gov-west-1:${FOREIGN}:key/1234`;
            expect(await check([kmsAliasOwnKey], [alias(foreign)])).to.deep.equal([
                [
                    "kms-alias-own-key",
                    "alias",
                    `KMS alias "alias" points at ${foreign} of account ${FOREIGN}; required: a key of this account ` +
                        `(${DEV}); fix: set targetKeyId to this stack's key.`,
                ],
            ]);
        });
    });
});
