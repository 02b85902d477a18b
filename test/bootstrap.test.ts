import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { CelEngine, Engine, TemplateFile } from "@aws/cloudformation-validate";
import { actionsByScope, deployPermissions, TYPE_PERMISSIONS } from "../deploy/role";
import { PERMISSIONS_BOUNDARY_NAME } from "../domain/naming";
import { planStack } from "../offline/analysis/plan";
import { PROJECT_ROOT } from "../offline/runtime/stackFiles";

const DIR = path.join(PROJECT_ROOT, "bootstrap");
const TEMPLATES = ["account.yaml", "state.yaml"];
const read = (f: string) => fs.readFileSync(path.join(DIR, f), "utf8");
const parse = (f: string) => YAML.parse(read(f));
const STACKS = ["tool", "dev", "qa", "stage", "prod"];
const ACCOUNT_PARAMS = ["Tool", "Dev", "Qa", "Stage", "Prod"];

type Statement = Record<string, any>;
const statements = (doc: { Statement: Statement[] }): Record<string, Statement> =>
    Object.fromEntries(doc.Statement.map((s) => [s.Sid, s]));
const roleArn = (a: string, kind: string) => ({
    "Fn::Sub": `arn:\${AWS::Partition}:iam::\${${a}AccountId}:role/\${${kind}RoleName}`,
});
const roleArns = (kind: string) => ACCOUNT_PARAMS.map((a) => roleArn(a, kind));
const sub = (s: string) => ({ "Fn::Sub": s });
const STATE = "arn:${AWS::Partition}:s3:::${StateBucketName}";
const thisStack = (dir: string) =>
    sub(
        `${STATE}/.pulumi/${dir}/${dir === "stacks" ? "${ProjectName}/${StackName}.json*" : dir === "locks" ? "organization/${ProjectName}/${StackName}/*" : "${ProjectName}/${StackName}/*"}`,
    );
const roots = ACCOUNT_PARAMS.map((a) => ({ "Fn::Sub": `arn:\${AWS::Partition}:iam::\${${a}AccountId}:root` }));

describe("bootstrap templates", () => {
    describe("offline validation with @aws/cloudformation-validate", () => {
        let engine: Engine;
        let dir: string;
        before(function () {
            // Compiling the validator's WebAssembly takes seconds of CPU; on a busy shared runner, minutes.
            this.timeout(300000);
            engine = new CelEngine();
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "bootstrap-test-"));
        });
        after(() => {
            engine.free();
            fs.rmSync(dir, { recursive: true, force: true });
        });

        const findings = (
            file: string,
            partition: string,
            region: string,
            parameterOverrides?: Record<string, string>,
        ) =>
            engine
                .validateStandard(new TemplateFile(file), {
                    severityLevel: "WARN",
                    pseudoParameterOverrides: { partition, region },
                    ...(parameterOverrides ? { parameterOverrides } : {}),
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

        // account.yaml once per stack: the validator expands StackName's allowed values across every Fn::Sub and
        // condition that names it and does not finish in minutes when left to try them all at once.
        const runs: [string, Record<string, string> | undefined][] = [
            ["state.yaml", undefined],
            ...STACKS.map((stack): [string, Record<string, string>] => ["account.yaml", { StackName: stack }]),
        ];
        for (const [template, parameters] of runs) {
            for (const [partition, region] of [
                ["aws-us-gov", "us-gov-west-1"],
                ["aws", "us-east-1"],
            ]) {
                const as = parameters ? ` as ${parameters.StackName}` : "";
                it(`${template}${as} has no warning or error in ${partition} (${region})`, () => {
                    expect(findings(path.join(DIR, template), partition, region, parameters)).to.deep.equal([]);
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
        // The state statements both roles share: their own stack's files only, the state key only through S3, their
        // own stack's secrets only (KMS encryption context pulumi_stack=<stack>).
        const stateReads = [
            { Sid: "ListState", Effect: "Allow", Action: "s3:ListBucket", Resource: sub(STATE) },
            {
                Sid: "ReadThisStack",
                Effect: "Allow",
                Action: "s3:GetObject",
                Resource: [
                    sub(`${STATE}/.pulumi/meta.yaml`),
                    ...["stacks", "history", "backups", "locks"].map(thisStack),
                ],
            },
        ];
        const stateKey = {
            Sid: "StateKeyThroughS3",
            Effect: "Allow",
            Action: ["kms:Decrypt", "kms:GenerateDataKey"],
            Resource: { Ref: "StateKeyArn" },
            Condition: { StringLike: { "kms:ViaService": "s3.*.amazonaws.com" } },
        };
        const stackSecrets = {
            Sid: "ThisStackSecrets",
            Effect: "Allow",
            Resource: { Ref: "StackConfigKeyArn" },
            Condition: { StringEquals: { "kms:EncryptionContext:pulumi_stack": { Ref: "StackName" } } },
        };

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

        it("the preview role: pull requests and main only; metadata reads, this stack's state and locks, this stack's secrets", () => {
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
                { Ref: "ProgramMetadataReads" },
                { Ref: "PreviewStatePolicy" },
            ]);
            expect(JSON.stringify(t)).not.to.include("ReadOnlyAccess");
            expect(t.Resources.PreviewStatePolicy.Properties.PolicyDocument.Statement).to.deep.equal([
                ...stateReads,
                {
                    Sid: "LockThisStack",
                    Effect: "Allow",
                    Action: ["s3:DeleteObject", "s3:PutObject"],
                    Resource: thisStack("locks"),
                },
                stateKey,
                { ...stackSecrets, Action: "kms:Decrypt" },
            ]);
        });

        it("metadata reads: no data (objects, log events, parameter or secret values, image layers, files)", () => {
            const [describe, records] = t.Resources.ProgramMetadataReads.Properties.PolicyDocument.Statement;
            expect(records).to.deep.equal({
                Sid: "DeployRecords",
                Effect: "Allow",
                Action: "ssm:GetParametersByPath",
                Resource: sub("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/cicd/ecs"),
            });
            expect(describe.Sid).to.equal("DescribeProgramTypes");
            expect(describe.Resource).to.equal("*");
            for (const action of describe.Action) {
                expect(action).to.match(/^[a-z0-9-]+:(Describe|List|Get|BatchGet|View)[A-Za-z]*$/);
                expect(action).not.to.match(
                    /^(s3:GetObject|logs:GetLogEvents|ssm:GetParameters?|secretsmanager:GetSecretValue|ecr:GetDownloadUrlForLayer|ecr:BatchGetImage|codecommit:GetFile|codecommit:GetBlob)$/,
                );
            }
        });

        it("the deploy role: only the GitHub environment named like the stack; this stack's state, history, backups and locks", () => {
            const role = t.Resources.DeployRole.Properties;
            expect(role.AssumeRolePolicyDocument.Statement).to.deep.equal([
                {
                    Sid: "GitHubEnvironmentOfThisStack",
                    Effect: "Allow",
                    Principal: federated,
                    Action: "sts:AssumeRoleWithWebIdentity",
                    Condition: {
                        StringEquals: {
                            "token.actions.githubusercontent.com:aud": audience,
                            "token.actions.githubusercontent.com:sub": {
                                "Fn::Sub": "repo:${GitHubRepository}:environment:${StackName}",
                            },
                        },
                    },
                },
            ]);
            expect(t.Parameters.StackName.AllowedValues).to.deep.equal(STACKS);
            expect(role.ManagedPolicyArns).to.deep.equal([
                { Ref: "ProgramMetadataReads" },
                { Ref: "DeployStatePolicy" },
                { Ref: "DeployProgramPolicy" },
                { Ref: "DeployIdentityPolicy" },
            ]);
            const written = ["stacks", "history", "backups", "locks"].map(thisStack);
            expect(t.Resources.DeployStatePolicy.Properties.PolicyDocument.Statement).to.deep.equal([
                ...stateReads,
                { Sid: "WriteThisStack", Effect: "Allow", Action: "s3:PutObject", Resource: written },
                {
                    Sid: "DeleteThisStackCheckpointAndLocks",
                    Effect: "Allow",
                    Action: "s3:DeleteObject",
                    Resource: [thisStack("stacks"), thisStack("locks")],
                },
                stateKey,
                { ...stackSecrets, Action: ["kms:Decrypt", "kms:Encrypt"] },
            ]);
        });

        it("the permissions boundary: the policy named as the program's roles and users carry it, never removable", () => {
            expect(t.Parameters.BoundaryPolicyName.Default).to.equal(PERMISSIONS_BOUNDARY_NAME);
            expect(t.Resources.ProgramBoundary.Properties.ManagedPolicyName).to.deep.equal({
                Ref: "BoundaryPolicyName",
            });
            const s = statements(t.Resources.ProgramBoundary.Properties.PolicyDocument);
            expect(Object.keys(s)).to.deep.equal(["ProgramServices", "NotTheBootstrapRoles", "NotTheState"]);
            expect(s.ProgramServices.Action.filter((a: string) => a.startsWith("iam:"))).to.deep.equal([
                "iam:GetRole",
                "iam:PassRole",
            ]);
            const identity = statements(t.Resources.DeployIdentityPolicy.Properties.PolicyDocument);
            expect(identity.BoundaryStays).to.deep.equal({
                Sid: "BoundaryStays",
                Effect: "Deny",
                Action: ["iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary"],
                Resource: "*",
            });
            const withBoundary = {
                StringEquals: {
                    "iam:PermissionsBoundary": sub(
                        "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/${BoundaryPolicyName}",
                    ),
                },
            };
            expect(identity.BoundedRoles.Condition).to.deep.equal(withBoundary);
            expect(identity.BoundedUsers.Condition).to.deep.equal(withBoundary);
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

            it("the template grants exactly their actions, each in its scope, role passing and service-linked roles", () => {
                const expected = deployPermissions(types);
                const program = statements(t.Resources.DeployProgramPolicy.Properties.PolicyDocument);
                const identity = statements(t.Resources.DeployIdentityPolicy.Properties.PolicyDocument);
                expect(Object.keys(program)).to.deep.equal([
                    "ProgramResources",
                    "ServiceLinkedRoles",
                    "GrantsForAwsResources",
                ]);
                expect(Object.keys(identity)).to.deep.equal([
                    "BoundedRoles",
                    "ProgramRoles",
                    "BoundedUsers",
                    "ProgramUsers",
                    "PassToCodebuild",
                    "PassToCodepipeline",
                    "PassToEcsTasks",
                    "PassToEvents",
                    "PassToVpcFlowLogs",
                    "ProgramBuckets",
                    "NewKeys",
                    "ProgramKeys",
                    "ProgramAliases",
                    "KeysOfProgramAliases",
                    "ProgramParameters",
                    "ProgramParameterValues",
                    "BoundaryStays",
                    "NotTheBootstrapIdentities",
                    "NotTheBootstrapStack",
                    "NotTheStateBucketConfiguration",
                    "NotTheStateKeys",
                ]);
                expect(program.ProgramResources).to.deep.equal({
                    Sid: "ProgramResources",
                    Effect: "Allow",
                    Action: actionsByScope(expected.actions).ProgramResources,
                    Resource: "*",
                });
                const all = { ...program, ...identity };
                const granted = Object.fromEntries(
                    Object.keys(actionsByScope(expected.actions)).map((scope) => [scope, [all[scope].Action].flat()]),
                );
                expect(granted).to.deep.equal(actionsByScope(expected.actions));
                const passedTo = Object.values(identity)
                    .filter((st) => st.Sid.startsWith("PassTo"))
                    .map((st) => [st.Action, st.Condition.StringEquals["iam:PassedToService"]]);
                expect(passedTo).to.deep.equal(expected.passRoleTo.map((service) => ["iam:PassRole", service]));
                expect(program.ServiceLinkedRoles.Condition).to.deep.equal({
                    StringEquals: { "iam:AWSServiceName": expected.serviceLinkedRoles },
                });
                expect(expected.kmsGrants).to.equal(true);
                expect(program.GrantsForAwsResources).to.deep.equal({
                    Sid: "GrantsForAwsResources",
                    Effect: "Allow",
                    Action: ["kms:CreateGrant", "kms:RetireGrant"],
                    Resource: "*",
                    Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } },
                });
            });

            it("no statement allows * or a service's every action, and the bootstrap identities are denied to it", () => {
                for (const policy of ["DeployProgramPolicy", "DeployIdentityPolicy"]) {
                    const s = statements(t.Resources[policy].Properties.PolicyDocument);
                    for (const st of Object.values(s).filter((x) => x.Effect === "Allow")) {
                        for (const action of [st.Action].flat())
                            expect(action, st.Sid).to.match(/^[a-z0-9-]+:[A-Za-z]+$/);
                    }
                }
                const s = statements(t.Resources.DeployIdentityPolicy.Properties.PolicyDocument);
                expect(s.NotTheBootstrapIdentities).to.deep.equal({
                    Sid: "NotTheBootstrapIdentities",
                    Effect: "Deny",
                    Action: "iam:*",
                    Resource: [
                        sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${PreviewRoleName}"),
                        sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${DeployRoleName}"),
                        sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:oidc-provider/*"),
                        sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/*"),
                    ],
                });
                expect(s.NotTheBootstrapStack).to.deep.equal({
                    Sid: "NotTheBootstrapStack",
                    Effect: "Deny",
                    Action: "cloudformation:*",
                    Resource: { Ref: "AWS::StackId" },
                });
                expect(s.NotTheStateBucketConfiguration).to.deep.equal({
                    Sid: "NotTheStateBucketConfiguration",
                    Effect: "Deny",
                    NotAction: ["s3:DeleteObject", "s3:GetObject", "s3:ListBucket", "s3:PutObject"],
                    Resource: [STATE, `${STATE}/*`].map(sub),
                });
                expect(s.NotTheStateKeys).to.deep.equal({
                    Sid: "NotTheStateKeys",
                    Effect: "Deny",
                    NotAction: ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
                    Resource: [{ Ref: "StateKeyArn" }, { Ref: "StackConfigKeyArn" }],
                });
            });

            it("fits managed policies (6,144 characters without whitespace)", () => {
                for (const policy of ["DeployProgramPolicy", "DeployIdentityPolicy", "ProgramMetadataReads"]) {
                    const size = JSON.stringify(t.Resources[policy].Properties.PolicyDocument).length;
                    expect(size, policy).to.be.below(6144);
                }
            });
        });
        it("an unregistered type is an error that says where to add it", () => {
            expect(() => deployPermissions(["aws:ecs/service:Service", "aws:rds/instance:Instance"])).to.throw(
                "no deploy permissions for aws:rds/instance:Instance: add the IAM actions that create, update, tag " +
                    "and delete them to TYPE_PERMISSIONS in deploy/role.ts and to the deploy policy of " +
                    "bootstrap/account.yaml",
            );
        });
    });

    describe("state.yaml", () => {
        const t = parse("state.yaml");
        const anyAccountRoles = ["Preview", "Deploy"].map((kind) =>
            sub(`arn:\${AWS::Partition}:iam::*:role/\${${kind}RoleName}`),
        );
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

        it("TLS 1.2 or later only; each stack's two roles read and lock only their stack, its deploy role writes it", () => {
            const both = (a: string) => ({
                ArnEquals: { "aws:PrincipalArn": [roleArn(a, "Preview"), roleArn(a, "Deploy")] },
            });
            const deploy = (a: string) => ({ ArnEquals: { "aws:PrincipalArn": [roleArn(a, "Deploy")] } });
            const root = (a: string) => ({ AWS: sub(`arn:\${AWS::Partition}:iam::\${${a}AccountId}:root`) });
            const files = (stack: string) => ({
                stacks: sub(`\${StateBucket.Arn}/.pulumi/stacks/\${ProjectName}/${stack}.json*`),
                history: sub(`\${StateBucket.Arn}/.pulumi/history/\${ProjectName}/${stack}/*`),
                backups: sub(`\${StateBucket.Arn}/.pulumi/backups/\${ProjectName}/${stack}/*`),
                locks: sub(`\${StateBucket.Arn}/.pulumi/locks/organization/\${ProjectName}/${stack}/*`),
            });
            const bucketAndObjects = [{ "Fn::GetAtt": ["StateBucket", "Arn"] }, sub("${StateBucket.Arn}/*")];
            const perStack = ACCOUNT_PARAMS.flatMap((a, i) => {
                const f = files(STACKS[i]);
                return [
                    {
                        Sid: `${a}Read`,
                        Effect: "Allow",
                        Principal: root(a),
                        Action: "s3:GetObject",
                        Resource: [f.stacks, f.history, f.backups, f.locks],
                        Condition: both(a),
                    },
                    {
                        Sid: `${a}Lock`,
                        Effect: "Allow",
                        Principal: root(a),
                        Action: ["s3:DeleteObject", "s3:PutObject"],
                        Resource: f.locks,
                        Condition: both(a),
                    },
                    {
                        Sid: `${a}Write`,
                        Effect: "Allow",
                        Principal: root(a),
                        Action: "s3:PutObject",
                        Resource: [f.stacks, f.history, f.backups],
                        Condition: deploy(a),
                    },
                    {
                        Sid: `${a}DeleteCheckpoint`,
                        Effect: "Allow",
                        Principal: root(a),
                        Action: "s3:DeleteObject",
                        Resource: f.stacks,
                        Condition: deploy(a),
                    },
                ];
            });
            expect(t.Resources.StateBucketPolicy.Properties.PolicyDocument.Statement).to.deep.equal([
                {
                    Sid: "DenyInsecureTransport",
                    Effect: "Deny",
                    Principal: "*",
                    Action: "s3:*",
                    Resource: bucketAndObjects,
                    Condition: { Bool: { "aws:SecureTransport": "false" } },
                },
                {
                    Sid: "DenyOutdatedTls",
                    Effect: "Deny",
                    Principal: "*",
                    Action: "s3:*",
                    Resource: bucketAndObjects,
                    Condition: { NumericLessThan: { "s3:TlsVersion": 1.2 } },
                },
                {
                    Sid: "StackRolesList",
                    Effect: "Allow",
                    Principal: { AWS: roots },
                    Action: "s3:ListBucket",
                    Resource: { "Fn::GetAtt": ["StateBucket", "Arn"] },
                    Condition: narrowed(["Preview", "Deploy"]),
                },
                {
                    Sid: "StackRolesReadMeta",
                    Effect: "Allow",
                    Principal: { AWS: roots },
                    Action: "s3:GetObject",
                    Resource: sub("${StateBucket.Arn}/.pulumi/meta.yaml"),
                    Condition: narrowed(["Preview", "Deploy"]),
                },
                ...perStack,
                {
                    Sid: "StackRolesOnlyObjects",
                    Effect: "Deny",
                    Principal: "*",
                    NotAction: ["s3:DeleteObject", "s3:GetObject", "s3:ListBucket", "s3:PutObject"],
                    Resource: bucketAndObjects,
                    Condition: { ArnLike: { "aws:PrincipalArn": anyAccountRoles } },
                },
            ]);
        });

        it("the state key serves the ten roles only through S3; the secrets key each stack's roles for its own context only", () => {
            const stateKey = t.Resources.StateKey.Properties;
            expect(stateKey.EnableKeyRotation).to.equal(true);
            const state = statements(stateKey.KeyPolicy);
            expect(Object.keys(state)).to.deep.equal([
                "ThisAccountAdministers",
                "StackRolesThroughS3",
                "StackRolesOnlyUse",
            ]);
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
            const onlyUse = {
                Sid: "StackRolesOnlyUse",
                Effect: "Deny",
                Principal: "*",
                NotAction: ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
                Resource: "*",
                Condition: { ArnLike: { "aws:PrincipalArn": anyAccountRoles } },
            };
            expect(state.StackRolesOnlyUse).to.deep.equal(onlyUse);

            const secrets = t.Resources.SecretsKey.Properties;
            expect(secrets.EnableKeyRotation).to.equal(true);
            const [administers, describe, ...rest] = secrets.KeyPolicy.Statement;
            expect(administers.Sid).to.equal("ThisAccountAdministers");
            expect(state.ThisAccountAdministers).to.deep.equal(administers);
            expect(describe).to.deep.equal({
                Sid: "StackRolesDescribe",
                Effect: "Allow",
                Principal: { AWS: roots },
                Action: "kms:DescribeKey",
                Resource: "*",
                Condition: narrowed(["Preview", "Deploy"]),
            });
            const context = (stack: string) => ({ "kms:EncryptionContext:pulumi_stack": stack });
            expect(rest).to.deep.equal([
                ...ACCOUNT_PARAMS.flatMap((a, i) => [
                    {
                        Sid: `${a}Decrypt`,
                        Effect: "Allow",
                        Principal: { AWS: sub(`arn:\${AWS::Partition}:iam::\${${a}AccountId}:root`) },
                        Action: "kms:Decrypt",
                        Resource: "*",
                        Condition: {
                            StringEquals: context(STACKS[i]),
                            ArnEquals: { "aws:PrincipalArn": [roleArn(a, "Preview"), roleArn(a, "Deploy")] },
                        },
                    },
                    {
                        Sid: `${a}Encrypt`,
                        Effect: "Allow",
                        Principal: { AWS: sub(`arn:\${AWS::Partition}:iam::\${${a}AccountId}:root`) },
                        Action: "kms:Encrypt",
                        Resource: "*",
                        Condition: {
                            StringEquals: context(STACKS[i]),
                            ArnEquals: { "aws:PrincipalArn": [roleArn(a, "Deploy")] },
                        },
                    },
                ]),
                onlyUse,
            ]);
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
