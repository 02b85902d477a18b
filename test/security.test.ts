import { expect } from "chai";
import {
    ArtifactBucket,
    artifactBucketPolicy,
    DEFAULT_ABORT_INCOMPLETE_UPLOAD_DAYS,
    DEFAULT_NONCURRENT_VERSION_EXPIRATION_DAYS,
} from "../components/artifactBucket";
import {
    artifactKeyPolicy,
    CrossAccountKmsKey,
    keyAdministratorUserPolicy,
    KEY_ADMIN_ACTIONS,
} from "../components/crossAccountKmsKey";
import { crossAccountTrustPolicy, PipelineRoleTrust } from "../components/pipelineRoleTrust";
import { runStack } from "../offline/runtime/mockRuntime";
import { sourceRolePolicy } from "../stacks/toolStack";
import { planStack, RecordedResource, StackRun } from "./harness";
import { ACCOUNTS } from "./accounts";

const TOOL = ACCOUNTS.tool;
const DEV = ACCOUNTS.dev;
const QA = ACCOUNTS.qa;

function byType(run: StackRun, type: string): RecordedResource[] {
    return run.resources.filter((r) => r.type === type);
}
function one(run: StackRun, type: string, name?: string): RecordedResource {
    const found = byType(run, type).filter((r) => name === undefined || r.name === name);
    expect(found, `${type} ${name ?? ""}`).to.have.length(1);
    return found[0];
}

for (const partition of ["aws", "aws-us-gov"]) {
    describe(`security documents in partition ${partition}`, () => {
        const sourceRole = `arn:${partition}:iam::${TOOL}:role/cicd-dev-orders-api-source`;
        const qaBuild = `arn:${partition}:iam::${QA}:role/cicd-qa-orders-api-build`;

        it("key policy: root administration, administrators denied use, narrowed cross-account use, EventBridge without source conditions", () => {
            const policy = artifactKeyPolicy({
                partition,
                accountId: DEV,
                administratorArns: [`arn:${partition}:iam::${DEV}:role/KeyAdmins`],
                users: [{ accountId: TOOL, principalArns: [sourceRole] }],
                readers: [{ accountId: QA, principalArns: [qaBuild] }],
                viaServices: ["s3.us-east-1.amazonaws.com"],
                servicePrincipals: ["events.amazonaws.com", "cloudwatch.amazonaws.com"],
                logsRegion: "us-east-1",
            });
            expect(policy).to.deep.equal({
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "AccountRootAdministration",
                        Effect: "Allow",
                        Principal: { AWS: `arn:${partition}:iam::${DEV}:root` },
                        Action: "kms:*",
                        Resource: "*",
                    },
                    {
                        Sid: "KeyAdministrationWithoutUse",
                        Effect: "Allow",
                        Principal: { AWS: `arn:${partition}:iam::${DEV}:root` },
                        Condition: {
                            ArnEquals: { "aws:PrincipalArn": [`arn:${partition}:iam::${DEV}:role/KeyAdmins`] },
                        },
                        Action: [...KEY_ADMIN_ACTIONS],
                        Resource: "*",
                    },
                    {
                        Sid: "DenyKeyUseToAdministrators",
                        Effect: "Deny",
                        Principal: { AWS: `arn:${partition}:iam::${DEV}:root` },
                        Condition: {
                            ArnEquals: { "aws:PrincipalArn": [`arn:${partition}:iam::${DEV}:role/KeyAdmins`] },
                        },
                        Action: [
                            "kms:Encrypt",
                            "kms:Decrypt",
                            "kms:ReEncrypt*",
                            "kms:GenerateDataKey*",
                            "kms:CreateGrant",
                        ],
                        Resource: "*",
                    },
                    {
                        Sid: `CrossAccountUse${TOOL}`,
                        Effect: "Allow",
                        Principal: { AWS: `arn:${partition}:iam::${TOOL}:root` },
                        Action: [
                            "kms:Encrypt",
                            "kms:Decrypt",
                            "kms:ReEncrypt*",
                            "kms:GenerateDataKey*",
                            "kms:DescribeKey",
                        ],
                        Resource: "*",
                        Condition: {
                            ArnEquals: { "aws:PrincipalArn": [sourceRole] },
                            StringEquals: { "kms:ViaService": ["s3.us-east-1.amazonaws.com"] },
                        },
                    },
                    {
                        Sid: `CrossAccountRead${QA}`,
                        Effect: "Allow",
                        Principal: { AWS: `arn:${partition}:iam::${QA}:root` },
                        Action: ["kms:Decrypt", "kms:DescribeKey"],
                        Resource: "*",
                        Condition: {
                            ArnEquals: { "aws:PrincipalArn": [qaBuild] },
                            StringEquals: { "kms:ViaService": ["s3.us-east-1.amazonaws.com"] },
                        },
                    },
                    {
                        // CloudWatch alarms support the confused-deputy condition ...
                        Sid: "ServicesOfThisAccount",
                        Effect: "Allow",
                        Principal: { Service: ["cloudwatch.amazonaws.com"] },
                        Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
                        Resource: "*",
                        Condition: { StringEquals: { "aws:SourceAccount": DEV } },
                    },
                    {
                        // ... EventBridge delivering to an encrypted topic does not: no condition, or no delivery.
                        Sid: "EventBridgeToEncryptedTopics",
                        Effect: "Allow",
                        Principal: { Service: ["events.amazonaws.com"] },
                        Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
                        Resource: "*",
                    },
                    {
                        Sid: "CloudWatchLogsOfThisAccount",
                        Effect: "Allow",
                        Principal: { Service: "logs.us-east-1.amazonaws.com" },
                        Action: [
                            "kms:Encrypt*",
                            "kms:Decrypt*",
                            "kms:ReEncrypt*",
                            "kms:GenerateDataKey*",
                            "kms:Describe*",
                        ],
                        Resource: "*",
                        Condition: {
                            ArnLike: {
                                "kms:EncryptionContext:aws:logs:arn": `arn:${partition}:logs:us-east-1:${DEV}:log-group:*`,
                            },
                        },
                    },
                ],
            });
            expect(KEY_ADMIN_ACTIONS).to.not.include.members(["kms:Decrypt", "kms:Encrypt", "kms:*"]);
        });

        it("key administrator user: administration of the one key only, named by its alias", () => {
            expect(keyAdministratorUserPolicy(partition, "us-east-1", DEV, "alias/cicd-dev-artifacts")).to.deep.equal({
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "AdministerArtifactKey",
                        Effect: "Allow",
                        Action: [...KEY_ADMIN_ACTIONS],
                        Resource: `arn:${partition}:kms:us-east-1:${DEV}:key/*`,
                        Condition: {
                            "ForAnyValue:StringEquals": { "kms:ResourceAliases": ["alias/cicd-dev-artifacts"] },
                        },
                    },
                ],
            });
        });

        it("bucket policy: TLS 1.2 only, the pipeline key only, narrowed writers and release readers", () => {
            const bucket = `arn:${partition}:s3:::cicd-artifacts-${DEV}-us-east-1`;
            const keyArn = `arn:${partition}:kms:us-east-1:${DEV}:key/abcd`;
            const policy = artifactBucketPolicy({
                partition,
                bucketName: `cicd-artifacts-${DEV}-us-east-1`,
                kmsKeyArn: keyArn,
                sourceWriters: [{ accountId: TOOL, principalArns: [sourceRole] }],
                releaseReaders: [{ accountId: QA, principalArns: [qaBuild] }],
            });
            const narrowedTool = {
                Principal: { AWS: `arn:${partition}:iam::${TOOL}:root` },
                Condition: { ArnEquals: { "aws:PrincipalArn": [sourceRole] } },
            };
            expect(policy.Statement).to.deep.equal([
                {
                    Sid: "DenyInsecureTransport",
                    Effect: "Deny",
                    Principal: "*",
                    Action: "s3:*",
                    Resource: [bucket, `${bucket}/*`],
                    Condition: { Bool: { "aws:SecureTransport": "false" } },
                },
                {
                    Sid: "DenyTlsBelow12",
                    Effect: "Deny",
                    Principal: "*",
                    Action: "s3:*",
                    Resource: [bucket, `${bucket}/*`],
                    Condition: { NumericLessThan: { "s3:TlsVersion": "1.2" } },
                },
                {
                    Sid: "DenyNonKmsEncryption",
                    Effect: "Deny",
                    Principal: "*",
                    Action: "s3:PutObject",
                    Resource: `${bucket}/*`,
                    Condition: { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption": "aws:kms" } },
                },
                {
                    Sid: "DenyOtherKmsKeys",
                    Effect: "Deny",
                    Principal: "*",
                    Action: "s3:PutObject",
                    Resource: `${bucket}/*`,
                    Condition: {
                        StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption-aws-kms-key-id": keyArn },
                    },
                },
                {
                    Sid: `SourceObjectsFrom${TOOL}`,
                    Effect: "Allow",
                    ...narrowedTool,
                    Action: ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:PutObjectAcl"],
                    Resource: `${bucket}/*`,
                },
                {
                    Sid: `SourceBucketFrom${TOOL}`,
                    Effect: "Allow",
                    ...narrowedTool,
                    Action: ["s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:ListBucket"],
                    Resource: bucket,
                },
                {
                    Sid: `ReleasesReadBy${QA}`,
                    Effect: "Allow",
                    Principal: { AWS: `arn:${partition}:iam::${QA}:root` },
                    Condition: { ArnEquals: { "aws:PrincipalArn": [qaBuild] } },
                    Action: "s3:GetObject",
                    Resource: `${bucket}/releases/*`,
                },
            ]);
        });

        it("trust policy: the other account's root narrowed to exact principals, external id and organization", () => {
            const pipelineRole = `arn:${partition}:iam::${DEV}:role/cicd-dev-orders-api-pipeline`;
            expect(
                crossAccountTrustPolicy(
                    partition,
                    { accountId: DEV, principalArns: [pipelineRole] },
                    {
                        externalId: "ext-1",
                        principalOrgId: "o-abc123",
                    },
                ),
            ).to.deep.equal({
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "TrustNamedPrincipals",
                        Effect: "Allow",
                        Principal: { AWS: `arn:${partition}:iam::${DEV}:root` },
                        Action: "sts:AssumeRole",
                        Condition: {
                            ArnEquals: { "aws:PrincipalArn": [pipelineRole] },
                            StringEquals: { "sts:ExternalId": "ext-1", "aws:PrincipalOrgID": "o-abc123" },
                        },
                    },
                ],
            });
        });

        it("source role: one repository, its pipeline's artifacts in one bucket, one key by alias, never releases/", () => {
            const bucket = `arn:${partition}:s3:::cicd-artifacts-${DEV}-us-east-1`;
            expect(
                sourceRolePolicy({
                    partition,
                    region: "us-east-1",
                    toolAccountId: TOOL,
                    envAccountId: DEV,
                    env: "dev",
                    repositoryName: "orders-api",
                    serviceName: "orders-api",
                }),
            ).to.deep.equal({
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "ReadRepository",
                        Effect: "Allow",
                        Action: [
                            "codecommit:GetBranch",
                            "codecommit:GetCommit",
                            "codecommit:GetRepository",
                            "codecommit:GitPull",
                            "codecommit:UploadArchive",
                            "codecommit:GetUploadArchiveStatus",
                            "codecommit:CancelUploadArchive",
                        ],
                        Resource: `arn:${partition}:codecommit:us-east-1:${TOOL}:orders-api`,
                    },
                    {
                        Sid: "WriteSourceArtifacts",
                        Effect: "Allow",
                        Action: ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:PutObjectAcl"],
                        Resource: `${bucket}/orders-api-dev/*`,
                    },
                    {
                        Sid: "LocateArtifactBucket",
                        Effect: "Allow",
                        Action: ["s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:ListBucket"],
                        Resource: bucket,
                    },
                    {
                        Sid: "UseArtifactKey",
                        Effect: "Allow",
                        Action: [
                            "kms:Encrypt",
                            "kms:Decrypt",
                            "kms:ReEncrypt*",
                            "kms:GenerateDataKey*",
                            "kms:DescribeKey",
                        ],
                        Resource: `arn:${partition}:kms:us-east-1:${DEV}:key/*`,
                        Condition: {
                            "ForAnyValue:StringEquals": { "kms:ResourceAliases": "alias/cicd-dev-artifacts" },
                        },
                    },
                    {
                        Sid: "NeverWriteReleases",
                        Effect: "Deny",
                        Action: ["s3:PutObject", "s3:PutObjectAcl"],
                        Resource: `${bucket}/releases/*`,
                    },
                ],
            });
        });
    });
}

describe("security components under mocks", () => {
    it("CrossAccountKmsKey: rotation, window, alias, admin user without access keys, protection", async () => {
        const run = await runStack("dev", async () => {
            new CrossAccountKmsKey("k", {
                partition: "aws-us-gov",
                accountId: DEV,
                region: "us-east-1",
                alias: "alias/test-artifacts",
                deletionWindowInDays: 7,
                adminUserName: "key-admin",
                protect: true,
            });
        });
        const key = one(run, "aws:kms/key:Key");
        expect(key.inputs).to.include({
            enableKeyRotation: true,
            deletionWindowInDays: 7,
            keyUsage: "ENCRYPT_DECRYPT",
            customerMasterKeySpec: "SYMMETRIC_DEFAULT",
        });
        expect([key.protect, key.retainOnDelete]).to.deep.equal([true, true]);
        const statements = JSON.parse(key.inputs.policy).Statement;
        expect(statements[1].Condition.ArnEquals["aws:PrincipalArn"]).to.deep.equal([
            `arn:aws-us-gov:iam::${DEV}:user/key-admin`,
        ]);
        expect(one(run, "aws:kms/alias:Alias").inputs.name).to.equal("alias/test-artifacts");
        expect(one(run, "aws:iam/user:User").inputs.name).to.equal("key-admin");
        expect(byType(run, "aws:iam/accessKey:AccessKey")).to.have.length(0);
        const userPolicy = JSON.parse(one(run, "aws:iam/userPolicy:UserPolicy").inputs.policy);
        // The user's ARN in the key policy is the one the user resolves to; its policy names the key by alias.
        expect(one(run, "aws:iam/user:User").state.arn).to.equal(`arn:aws-us-gov:iam::${DEV}:user/key-admin`);
        expect(key.dependencies).to.include(one(run, "aws:iam/user:User").urn);
        expect(userPolicy.Statement[0]).to.deep.include({
            Resource: `arn:aws-us-gov:kms:us-east-1:${DEV}:key/*`,
            Condition: { "ForAnyValue:StringEquals": { "kms:ResourceAliases": ["alias/test-artifacts"] } },
        });
    });

    it("CrossAccountKmsKey rejects a deletion window AWS does not allow", async () => {
        const run = await runStack("dev", async () => {
            new CrossAccountKmsKey("k", {
                partition: "aws",
                accountId: DEV,
                region: "us-east-1",
                alias: "alias/x",
                deletionWindowInDays: 5,
            });
        });
        expect(run.error?.message).to.equal("k: deletionWindowInDays is 5, expected 7 to 30");
    });

    it("ArtifactBucket: versioning, SSE-KMS with bucket key, all four public-access flags, owner enforced, lifecycle", async () => {
        const run = await runStack("dev", async () => {
            new ArtifactBucket("b", {
                partition: "aws",
                bucketName: "cicd-artifacts-x",
                kmsKeyArn: "arn:aws:kms:us-east-1:1:key/k",
            });
        });
        const bucket = one(run, "aws:s3/bucket:Bucket");
        expect(bucket.inputs).to.include({ bucket: "cicd-artifacts-x", forceDestroy: true });
        expect([bucket.protect, bucket.retainOnDelete]).to.deep.equal([false, false]);
        expect(one(run, "aws:s3/bucketVersioning:BucketVersioning").inputs.versioningConfiguration).to.deep.equal({
            status: "Enabled",
        });
        expect(
            one(run, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs
                .rules,
        ).to.deep.equal([
            {
                applyServerSideEncryptionByDefault: {
                    sseAlgorithm: "aws:kms",
                    kmsMasterKeyId: "arn:aws:kms:us-east-1:1:key/k",
                },
                bucketKeyEnabled: true,
            },
        ]);
        expect(one(run, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs).to.deep.include({
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        });
        expect(one(run, "aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs.rule).to.deep.equal({
            objectOwnership: "BucketOwnerEnforced",
        });
        expect(one(run, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules).to.deep.equal(
            [
                {
                    id: "expire-noncurrent-versions",
                    status: "Enabled",
                    filter: {},
                    noncurrentVersionExpiration: { noncurrentDays: DEFAULT_NONCURRENT_VERSION_EXPIRATION_DAYS },
                },
                {
                    id: "abort-incomplete-multipart-uploads",
                    status: "Enabled",
                    filter: {},
                    abortIncompleteMultipartUpload: { daysAfterInitiation: DEFAULT_ABORT_INCOMPLETE_UPLOAD_DAYS },
                },
            ],
        );
        const policy = one(run, "aws:s3/bucketPolicy:BucketPolicy");
        expect(policy.dependencies).to.include(one(run, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").urn);
    });

    it("PipelineRoleTrust: named role, bounded session, the caller's policies, and input checks", async () => {
        const run = await runStack("tool", async () => {
            new PipelineRoleTrust("r", {
                partition: "aws-us-gov",
                roleName: "cicd-dev-x-source",
                trusted: { accountId: DEV, principalArns: [`arn:aws-us-gov:iam::${DEV}:role/p`] },
                policies: {
                    read: {
                        Version: "2012-10-17",
                        Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws-us-gov:s3:::b/*" }],
                    },
                },
            });
        });
        const role = one(run, "aws:iam/role:Role");
        expect(role.inputs).to.include({ name: "cicd-dev-x-source", maxSessionDuration: 3600 });
        expect(JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Principal).to.deep.equal({
            AWS: `arn:aws-us-gov:iam::${DEV}:root`,
        });
        expect(one(run, "aws:iam/rolePolicy:RolePolicy").inputs).to.include({
            name: "read",
            role: "cicd-dev-x-source",
        });

        const empty = await runStack("tool", async () => {
            new PipelineRoleTrust("r", {
                partition: "aws",
                roleName: "x",
                trusted: { accountId: DEV, principalArns: [] },
                policies: {},
            });
        });
        expect(empty.error?.message).to.equal(
            "r: trusted.principalArns is empty, expected the exact principals to trust",
        );
    });
});

describe("security components in the real stacks", () => {
    it("the artifact bucket expires each pipeline's artifacts after 30 days and never the release manifests", async () => {
        const run = await planStack("qa");
        const rules = one(run, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules;
        expect(rules).to.deep.equal([
            {
                id: "expire-pipeline-artifacts-orders-api-qa",
                status: "Enabled",
                filter: { prefix: "orders-api-qa/" },
                expiration: { days: 30 },
            },
            {
                id: "expire-noncurrent-versions",
                status: "Enabled",
                filter: {},
                noncurrentVersionExpiration: { noncurrentDays: 90 },
            },
            {
                id: "abort-incomplete-multipart-uploads",
                status: "Enabled",
                filter: {},
                abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
            },
        ]);
        // The only expiring prefix is the pipeline's own, never releases/ (what promotion reads).
        for (const rule of rules.filter((r: any) => r.expiration)) expect(rule.filter.prefix).not.to.match(/^releases/);
    });

    it("only the publish-release role of each service may write releases/: the bucket denies everyone else", async () => {
        for (const [env, account] of [
            ["dev", DEV],
            ["qa", QA],
        ] as const) {
            const run = await planStack(env);
            const policy = JSON.parse(one(run, "aws:s3/bucketPolicy:BucketPolicy").inputs.policy);
            const bucket = `arn:aws-us-gov:s3:::cicd-artifacts-${account}-us-gov-west-1`;
            expect(policy.Statement.find((st: any) => st.Sid === "DenyReleaseWritesButPublishers")).to.deep.equal({
                Sid: "DenyReleaseWritesButPublishers",
                Effect: "Deny",
                Principal: "*",
                Action: ["s3:PutObject", "s3:PutObjectAcl"],
                Resource: `${bucket}/releases/*`,
                Condition: {
                    ArnNotEquals: {
                        "aws:PrincipalArn": [
                            `arn:aws-us-gov:iam::${account}:role/cicd-${env}-orders-api-publish-release`,
                        ],
                    },
                },
            });
        }
    });

    it("the tool stack registers a protected repository and one source role per environment and service", async () => {
        const run = await planStack("tool");
        const repo = one(run, "aws:codecommit/repository:Repository");
        expect([repo.inputs.repositoryName, repo.protect, repo.retainOnDelete]).to.deep.equal([
            "orders-api",
            true,
            true,
        ]);
        expect(byType(run, "devsecops:security:PipelineRoleTrust").map((r) => r.name)).to.deep.equal([
            "dev-orders-api-source",
            "qa-orders-api-source",
            "stage-orders-api-source",
            "prod-orders-api-source",
        ]);
        const trust = JSON.parse(one(run, "aws:iam/role:Role", "qa-orders-api-source-role").inputs.assumeRolePolicy);
        expect(trust.Statement[0].Condition).to.deep.equal({
            ArnEquals: { "aws:PrincipalArn": [`arn:aws-us-gov:iam::${QA}:role/cicd-qa-orders-api-pipeline`] },
        });
    });

    for (const [env, protect, window] of [
        ["dev", false, 14],
        ["qa", false, 14],
        ["stage", true, 30],
        ["prod", true, 30],
    ] as const) {
        it(`${env} registers its key and bucket (protected: ${protect}, deletion window ${window})`, async () => {
            const run = await planStack(env);
            const key = one(run, "aws:kms/key:Key");
            const bucket = one(run, "aws:s3/bucket:Bucket");
            expect(key.inputs.deletionWindowInDays).to.equal(window);
            expect([key.protect, key.retainOnDelete, bucket.protect, bucket.retainOnDelete]).to.deep.equal([
                protect,
                protect,
                protect,
                protect,
            ]);
            expect(bucket.inputs.forceDestroy).to.equal(!protect);
            expect(one(run, "aws:kms/alias:Alias").inputs.name).to.equal(`alias/cicd-${env}-artifacts`);
            expect(byType(run, "aws:iam/user:User")).to.have.length(env === "dev" ? 1 : 0);
            const keyPolicy = JSON.parse(key.inputs.policy);
            const sids = keyPolicy.Statement.map((s: any) => s.Sid);
            expect(sids).to.include(`CrossAccountUse${TOOL}`);
            expect(sids.some((s: string) => s.startsWith("CrossAccountRead"))).to.equal(env !== "prod");
        });
    }

    it("deploy order tool, dev, qa, stage, prod works from empty accounts: every principal is an account root or a service", async () => {
        const principals: string[] = [];
        for (const stack of ["tool", "dev", "qa", "stage", "prod"]) {
            const run = await planStack(stack);
            const documents = [
                ...byType(run, "aws:kms/key:Key").map((r) => r.inputs.policy),
                ...byType(run, "aws:s3/bucketPolicy:BucketPolicy").map((r) => r.inputs.policy),
                ...byType(run, "aws:iam/role:Role").map((r) => r.inputs.assumeRolePolicy),
            ];
            expect(documents.length).to.be.greaterThan(0);
            for (const doc of documents) {
                for (const statement of JSON.parse(doc).Statement) {
                    const p = statement.Principal;
                    if (p === "*") {
                        expect(statement.Effect, "a * principal only in deny statements").to.equal("Deny");
                        continue;
                    }
                    for (const arn of [p.AWS ?? []].flat()) {
                        expect(arn).to.match(/^arn:aws-us-gov:iam::\d{12}:root$/);
                        principals.push(arn);
                    }
                    for (const service of [p.Service ?? []].flat())
                        expect(service).to.match(/^[a-z-]+(\.[a-z0-9-]+)?\.amazonaws\.com$/);
                }
            }
        }
        expect(new Set(principals).size).to.equal(5);
    });
});
