import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { CelEngine, Engine, TemplateFile } from "@aws/cloudformation-validate";
import { deployPermissions, TYPE_PERMISSIONS } from "../engine/deployRole";
import { planStack } from "../offline/plan";
import { PROJECT_ROOT } from "../offline/stackFiles";

const DIR = path.join(PROJECT_ROOT, "bootstrap");
const TEMPLATES = ["account.yaml", "state.yaml"];
const read = (f: string) => fs.readFileSync(path.join(DIR, f), "utf8");
const parse = (f: string) => YAML.parse(read(f));
const STACKS = ["tool", "dev", "qa", "stage", "prod"];
const ACCOUNT_PARAMS = ["Tool", "Dev", "Qa", "Stage", "Prod"];

type Statement = Record<string, any>;
const statements = (doc: { Statement: Statement[] }): Record<string, Statement> =>
    Object.fromEntries(doc.Statement.map((s) => [s.Sid, s]));
const roleArns = (kind: string) =>
    ACCOUNT_PARAMS.map((a) => ({
        "Fn::Sub": `arn:\${AWS::Partition}:iam::\${${a}AccountId}:role/\${${kind}RoleName}`,
    }));
const roots = ACCOUNT_PARAMS.map((a) => ({ "Fn::Sub": `arn:\${AWS::Partition}:iam::\${${a}AccountId}:root` }));

describe("bootstrap templates", () => {
    describe("offline validation with @aws/cloudformation-validate", () => {
        let engine: Engine;
        let dir: string;
        before(function () {
            this.timeout(60000);
            engine = new CelEngine();
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "bootstrap-test-"));
        });
        after(() => {
            engine.free();
            fs.rmSync(dir, { recursive: true, force: true });
        });

        const findings = (file: string, partition: string, region: string) =>
            engine
                .validateStandard(new TemplateFile(file), {
                    severityLevel: "WARN",
                    pseudoParameterOverrides: { partition, region },
                })
                .diagnostics.map((d) => `${d.ruleId} ${d.entity?.logicalId ?? ""}: ${d.message}`);

        it("the validator is live: it reports a misspelt property and a missing statement", () => {
            const broken = path.join(dir, "broken.yaml");
            fs.writeFileSync(
                broken,
                [
                    'AWSTemplateFormatVersion: "2010-09-09"',
                    "Resources:",
                    "    Bucket:",
                    "        Type: AWS::S3::Bucket",
                    "        Properties:",
                    "            BucketNam: x",
                    "    Role:",
                    "        Type: AWS::IAM::Role",
                    "        Properties:",
                    "            AssumeRolePolicyDocument: {}",
                ].join("\n"),
            );
            expect(findings(broken, "aws-us-gov", "us-gov-west-1")).to.deep.equal([
                "F3002 Bucket: Additional properties are not allowed ('BucketNam' was unexpected. Did you mean 'BucketName'?)",
                "E3530 Role: 'Statement' is a required property",
            ]);
        });

        for (const template of TEMPLATES) {
            for (const [partition, region] of [
                ["aws-us-gov", "us-gov-west-1"],
                ["aws", "us-east-1"],
            ]) {
                it(`${template} has no warning or error in ${partition} (${region})`, () => {
                    expect(findings(path.join(DIR, template), partition, region)).to.deep.equal([]);
                });
            }
        }
    });

    it("cfn-lint, where installed, also passes them (it checks every IAM action name: W3037)", function () {
        this.timeout(60000); // a Python process: several seconds
        const version = spawnSync("cfn-lint", ["--version"], { encoding: "utf8" });
        if (version.status !== 0) this.skip(); // not an npm package: an extra check on machines that have it
        const files = TEMPLATES.map((t) => path.join(DIR, t));
        const result = spawnSync("cfn-lint", ["--regions", "us-gov-west-1", "us-east-1", "--", ...files], {
            encoding: "utf8",
        });
        expect(result.stdout + result.stderr).to.equal("");
        expect(result.status).to.equal(0);
    });

    it("build every ARN from AWS::Partition: no literal commercial ARN", () => {
        for (const template of TEMPLATES) expect(read(template), template).not.to.include("arn:aws:");
    });

    describe("account.yaml", () => {
        const t = parse("account.yaml");
        const federated = {
            Federated: {
                "Fn::Sub":
                    "arn:${AWS::Partition}:iam::${AWS::AccountId}:oidc-provider/token.actions.githubusercontent.com",
            },
        };
        const audience = { "Fn::FindInMap": ["Partition", { Ref: "AWS::Partition" }, "Audience"] };

        it("GitHub's OIDC provider with the STS audience of each partition (GovCloud included)", () => {
            expect(t.Mappings.Partition).to.deep.equal({
                aws: { Audience: "sts.amazonaws.com" },
                "aws-us-gov": { Audience: "sts.amazonaws.com" },
            });
            const oidc = t.Resources.GitHubOidcProvider;
            expect(oidc.Condition).to.equal("CreateProvider");
            expect(oidc.Properties.Url).to.equal("https://token.actions.githubusercontent.com");
            expect(oidc.Properties.ClientIdList).to.deep.equal([audience]);
            expect(oidc.Properties.ThumbprintList).to.deep.equal([
                "6938fd4d98bab03faadb97b34396831e3780aea1",
                "1c58a3a8518e8759bf075b76b750d4f2df264fcd",
            ]);
        });

        it("the preview role: pull requests and main only, read-only plus state reads and lock files", () => {
            const role = t.Resources.PreviewRole.Properties;
            expect(role.AssumeRolePolicyDocument.Statement).to.deep.equal([
                {
                    Sid: "GitHubPullRequestsAndMain",
                    Effect: "Allow",
                    Principal: federated,
                    Action: "sts:AssumeRoleWithWebIdentity",
                    Condition: {
                        StringEquals: {
                            "token.actions.githubusercontent.com:aud": audience,
                            "token.actions.githubusercontent.com:sub": [
                                { "Fn::Sub": "repo:${GitHubRepository}:pull_request" },
                                { "Fn::Sub": "repo:${GitHubRepository}:ref:refs/heads/${MainBranch}" },
                            ],
                        },
                    },
                },
            ]);
            expect(role.ManagedPolicyArns).to.deep.equal([
                { "Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/ReadOnlyAccess" },
                { Ref: "PreviewStatePolicy" },
            ]);
            const s = statements(t.Resources.PreviewStatePolicy.Properties.PolicyDocument);
            expect(Object.keys(s)).to.deep.equal([
                "ListState",
                "ReadState",
                "LockState",
                "StateKey",
                "DecryptStackSecrets",
            ]);
            expect(s.LockState).to.deep.equal({
                Sid: "LockState",
                Effect: "Allow",
                Action: ["s3:DeleteObject", "s3:PutObject"],
                Resource: { "Fn::Sub": "arn:${AWS::Partition}:s3:::${StateBucketName}/.pulumi/locks/*" },
            });
            expect(s.DecryptStackSecrets.Action).to.equal("kms:Decrypt");
        });

        it("the deploy role: only the GitHub environment named like the stack", () => {
            const role = t.Resources.DeployRole.Properties;
            expect(role.AssumeRolePolicyDocument.Statement[0].Condition).to.deep.equal({
                StringEquals: {
                    "token.actions.githubusercontent.com:aud": audience,
                    "token.actions.githubusercontent.com:sub": {
                        "Fn::Sub": "repo:${GitHubRepository}:environment:${StackName}",
                    },
                },
            });
            expect(t.Parameters.StackName.AllowedValues).to.deep.equal(STACKS);
            expect(role.ManagedPolicyArns).to.deep.equal([
                { "Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/ReadOnlyAccess" },
                { Ref: "DeployStatePolicy" },
                { Ref: "DeployProgramPolicy" },
            ]);
            const s = statements(t.Resources.DeployStatePolicy.Properties.PolicyDocument);
            expect(s.ReadWriteState.Action).to.deep.equal(["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]);
            expect(s.StackSecrets.Action).to.deep.equal(["kms:Decrypt", "kms:Encrypt"]);
        });

        describe("the deploy policy is derived from the resource types the program registers", function () {
            this.timeout(120000);
            let types: string[];
            before(async () => {
                // One at a time: the mock runtime is process-wide.
                const plans = [];
                for (const stack of STACKS) plans.push(await planStack(stack, { evaluate: null }));
                // A commercial stack with a budget: the one type the GovCloud stack files do not create.
                plans.push(
                    await planStack("dev", {
                        evaluate: null,
                        stackFile: path.join(PROJECT_ROOT, "test", "fixtures", "Pulumi.commercial.yaml"),
                        overrides: { budgetMonthlyLimitUsd: 100 },
                    }),
                );
                for (const plan of plans)
                    expect(plan.status, `${plan.stack}: ${JSON.stringify(plan)}`).to.equal("clean");
                types = [...new Set(plans.flatMap((p) => Object.keys(p.resources.byType)))].sort();
            });

            it("TYPE_PERMISSIONS lists exactly the registered types", () => {
                expect(types).to.include("aws:budgets/budget:Budget");
                expect(types).to.include("awsx:ec2:Vpc");
                expect(Object.keys(TYPE_PERMISSIONS).sort()).to.deep.equal(types);
            });

            it("the template grants exactly their actions, role passing and service-linked roles", () => {
                const expected = deployPermissions(types);
                const s = statements(t.Resources.DeployProgramPolicy.Properties.PolicyDocument);
                expect(Object.keys(s)).to.deep.equal([
                    "ProgramResources",
                    "PassProgramRoles",
                    "ServiceLinkedRoles",
                    "GrantsForAwsResources",
                    "NotTheBootstrapIdentities",
                ]);
                expect(s.ProgramResources).to.deep.equal({
                    Sid: "ProgramResources",
                    Effect: "Allow",
                    Action: expected.actions,
                    Resource: "*",
                });
                expect(s.PassProgramRoles.Action).to.equal("iam:PassRole");
                expect(s.PassProgramRoles.Condition).to.deep.equal({
                    StringEquals: { "iam:PassedToService": expected.passRoleTo },
                });
                expect(s.ServiceLinkedRoles.Condition).to.deep.equal({
                    StringEquals: { "iam:AWSServiceName": expected.serviceLinkedRoles },
                });
                expect(expected.kmsGrants).to.equal(true);
                expect(s.GrantsForAwsResources.Condition).to.deep.equal({
                    Bool: { "kms:GrantIsForAWSResource": "true" },
                });
            });

            it("no statement allows * or a service's every action, and the bootstrap identities are denied to it", () => {
                const s = statements(t.Resources.DeployProgramPolicy.Properties.PolicyDocument);
                for (const st of Object.values(s).filter((x) => x.Effect === "Allow")) {
                    for (const action of [st.Action].flat()) expect(action, st.Sid).to.match(/^[a-z0-9-]+:[A-Za-z]+$/);
                }
                expect(s.NotTheBootstrapIdentities.Effect).to.equal("Deny");
                expect(s.NotTheBootstrapIdentities.Resource).to.deep.equal([
                    { "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${PreviewRoleName}" },
                    { "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${DeployRoleName}" },
                    {
                        "Fn::Sub":
                            "arn:${AWS::Partition}:iam::${AWS::AccountId}:oidc-provider/token.actions.githubusercontent.com",
                    },
                    { "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/*" },
                ]);
            });

            it("fits a managed policy (6,144 characters without whitespace)", () => {
                const size = JSON.stringify(t.Resources.DeployProgramPolicy.Properties.PolicyDocument).length;
                expect(size).to.be.below(6144);
            });
        });

        it("an unregistered type is an error that says where to add it", () => {
            expect(() => deployPermissions(["aws:ecs/service:Service", "aws:rds/instance:Instance"])).to.throw(
                "no deploy permissions for aws:rds/instance:Instance: add the IAM actions that create, update, tag " +
                    "and delete them to TYPE_PERMISSIONS in engine/deployRole.ts and to the deploy policy of " +
                    "bootstrap/account.yaml",
            );
        });
    });

    describe("state.yaml", () => {
        const t = parse("state.yaml");
        const narrowed = (kinds: string[]) => ({
            ArnEquals: { "aws:PrincipalArn": kinds.flatMap(roleArns) },
        });

        it("a versioned, KMS-encrypted bucket with public access blocked, kept on stack deletion", () => {
            const bucket = t.Resources.StateBucket;
            expect(bucket.DeletionPolicy).to.equal("Retain");
            expect(bucket.Properties.VersioningConfiguration).to.deep.equal({ Status: "Enabled" });
            expect(bucket.Properties.BucketEncryption).to.deep.equal({
                ServerSideEncryptionConfiguration: [
                    {
                        ServerSideEncryptionByDefault: {
                            SSEAlgorithm: "aws:kms",
                            KMSMasterKeyID: { "Fn::GetAtt": ["StateKey", "Arn"] },
                        },
                        BucketKeyEnabled: true,
                    },
                ],
            });
            expect(bucket.Properties.PublicAccessBlockConfiguration).to.deep.equal({
                BlockPublicAcls: true,
                BlockPublicPolicy: true,
                IgnorePublicAcls: true,
                RestrictPublicBuckets: true,
            });
        });

        it("TLS 1.2 or later only, and the ten roles by exact ARN: all read, previews write only locks, deploys write", () => {
            const s = statements(t.Resources.StateBucketPolicy.Properties.PolicyDocument);
            expect(Object.keys(s)).to.deep.equal([
                "DenyInsecureTransport",
                "DenyOutdatedTls",
                "StackRolesList",
                "StackRolesRead",
                "PreviewRolesLock",
                "DeployRolesWrite",
            ]);
            expect(s.DenyInsecureTransport).to.deep.equal({
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: "s3:*",
                Resource: [{ "Fn::GetAtt": ["StateBucket", "Arn"] }, { "Fn::Sub": "${StateBucket.Arn}/*" }],
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            });
            expect(s.DenyOutdatedTls.Condition).to.deep.equal({ NumericLessThan: { "s3:TlsVersion": 1.2 } });
            expect(s.StackRolesRead).to.deep.equal({
                Sid: "StackRolesRead",
                Effect: "Allow",
                Principal: { AWS: roots },
                Action: "s3:GetObject",
                Resource: { "Fn::Sub": "${StateBucket.Arn}/*" },
                Condition: narrowed(["Preview", "Deploy"]),
            });
            expect(s.PreviewRolesLock.Resource).to.deep.equal({ "Fn::Sub": "${StateBucket.Arn}/.pulumi/locks/*" });
            expect(s.PreviewRolesLock.Condition).to.deep.equal(narrowed(["Preview"]));
            expect(s.DeployRolesWrite.Action).to.deep.equal(["s3:DeleteObject", "s3:PutObject"]);
            expect(s.DeployRolesWrite.Condition).to.deep.equal(narrowed(["Deploy"]));
        });

        it("the state key serves the ten roles only through S3; the secrets key decrypts for previews, encrypts for deploys", () => {
            const state = statements(t.Resources.StateKey.Properties.KeyPolicy);
            expect(t.Resources.StateKey.Properties.EnableKeyRotation).to.equal(true);
            expect(state.StackRolesThroughS3).to.deep.equal({
                Sid: "StackRolesThroughS3",
                Effect: "Allow",
                Principal: { AWS: roots },
                Action: ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"],
                Resource: "*",
                Condition: {
                    StringEquals: { "kms:ViaService": { "Fn::Sub": "s3.${AWS::Region}.amazonaws.com" } },
                    ...narrowed(["Preview", "Deploy"]),
                },
            });
            const secrets = statements(t.Resources.SecretsKey.Properties.KeyPolicy);
            expect(secrets.PreviewRolesDecrypt.Action).to.deep.equal(["kms:Decrypt", "kms:DescribeKey"]);
            expect(secrets.PreviewRolesDecrypt.Condition).to.deep.equal(narrowed(["Preview"]));
            expect(secrets.DeployRolesEncryptAndDecrypt.Action).to.deep.equal([
                "kms:Decrypt",
                "kms:DescribeKey",
                "kms:Encrypt",
            ]);
            expect(secrets.DeployRolesEncryptAndDecrypt.Condition).to.deep.equal(narrowed(["Deploy"]));
        });

        it("outputs the login URL and the awskms:// secrets provider by key ARN (an alias does not cross accounts)", () => {
            expect(t.Outputs.BackendUrl.Value).to.deep.equal({
                "Fn::Sub": "s3://${StateBucket}?region=${AWS::Region}",
            });
            expect(t.Outputs.SecretsProvider.Value).to.deep.equal({
                "Fn::Sub": "awskms:///${SecretsKey.Arn}?region=${AWS::Region}",
            });
        });
    });
});
