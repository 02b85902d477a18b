import { expect } from "chai";
import { resourcePolicyPolicies } from "../policies/resourcePolicies";
import { s3Policies } from "../policies/s3";
import { check, res, Res } from "./fixtures";

const KEY = "arn:aws-us-gov:kms:us-gov-west-1:271828182845:key/1234";
const bucket = res("aws:s3/bucket:Bucket", "artifacts", { bucket: "artifacts-dev" });
const on = (type: string, name: string, inputs: Record<string, any>) =>
    res(`aws:s3/${type}`, name, { bucket: "artifacts-dev", ...inputs }, { dependsOn: [bucket] });
const tlsPolicy = {
    Version: "2012-10-17",
    Statement: [
        {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: ["arn:aws-us-gov:s3:::artifacts-dev", "arn:aws-us-gov:s3:::artifacts-dev/*"],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
        {
            Sid: "DenyOldTls",
            Effect: "Deny",
            Principal: { AWS: "*" },
            Action: "s3:*",
            Resource: ["arn:aws-us-gov:s3:::artifacts-dev", "arn:aws-us-gov:s3:::artifacts-dev/*"],
            Condition: { NumericLessThan: { "s3:TlsVersion": "1.2" } },
        },
    ],
};
const compliant: Res[] = [
    bucket,
    on("bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "artifacts-sse", {
        rules: [
            {
                applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY },
                bucketKeyEnabled: true,
            },
        ],
    }),
    on("bucketVersioning:BucketVersioning", "artifacts-versioning", { versioningConfiguration: { status: "Enabled" } }),
    on("bucketPublicAccessBlock:BucketPublicAccessBlock", "artifacts-pab", {
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
    }),
    on("bucketOwnershipControls:BucketOwnershipControls", "artifacts-ownership", {
        rule: { objectOwnership: "BucketOwnerEnforced" },
    }),
    on("bucketLifecycleConfiguration:BucketLifecycleConfiguration", "artifacts-lifecycle", {
        rules: [{ id: "noncurrent", status: "Enabled", noncurrentVersionExpiration: { noncurrentDays: 90 } }],
    }),
    on("bucketPolicy:BucketPolicy", "artifacts-policy", { policy: JSON.stringify(tlsPolicy) }),
];
const without = (name: string) => compliant.filter((r) => r.name !== name);
const replace = (r: Res) => [...without(r.name), r];

describe("S3 policies (stack level, v7 split bucket resources)", () => {
    for (const stack of ["dev", "prod"]) {
        it(`a fully hardened bucket passes every S3 policy in ${stack}`, async () => {
            expect(await check(s3Policies, compliant, { stack })).to.deep.equal([]);
        });
    }

    it("settings found by bucket name when there is no dependency", async () => {
        const byName = compliant.map((r) => (r.dependsOn ? { ...r, dependsOn: [] } : r));
        expect(await check(s3Policies, byName)).to.deep.equal([]);
    });

    it("a bare bucket reports every missing setting", async () => {
        expect(await check(s3Policies, [bucket], { stack: "prod" })).to.deep.equal([
            [
                "s3-bucket-sse-kms-cmk",
                "artifacts",
                'Bucket "artifacts" has no server-side encryption configuration; required: SSE-KMS with a customer-managed key; fix: add an aws.s3.BucketServerSideEncryptionConfiguration (sseAlgorithm aws:kms, kmsMasterKeyId, bucketKeyEnabled true) whose bucket is this bucket\'s id.',
            ],
            [
                "s3-bucket-versioning",
                "artifacts",
                'Bucket "artifacts" has versioning not configured; required: status "Enabled"; fix: add an aws.s3.BucketVersioning with versioningConfiguration.status "Enabled" whose bucket is this bucket\'s id.',
            ],
            [
                "s3-bucket-public-access-block",
                "artifacts",
                'Bucket "artifacts" does not block public access (no public access block: blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets); required: all four flags true; fix: add an aws.s3.BucketPublicAccessBlock with all four flags true whose bucket is this bucket\'s id.',
            ],
            [
                "s3-bucket-owner-enforced",
                "artifacts",
                'Bucket "artifacts" has object ownership not configured; required: BucketOwnerEnforced (ACLs disabled); fix: add an aws.s3.BucketOwnershipControls with rule.objectOwnership "BucketOwnerEnforced" whose bucket is this bucket\'s id.',
            ],
            [
                "s3-bucket-tls-only",
                "artifacts",
                'Bucket "artifacts" has no bucket policy, so no Deny with Bool "aws:SecureTransport": "false" and Deny with NumericLessThan "s3:TlsVersion": "1.2" statement; required: both denies for Principal "*" on the bucket and its objects; fix: add them to the bucket\'s aws.s3.BucketPolicy.',
            ],
            [
                "s3-bucket-lifecycle",
                "artifacts",
                'Bucket "artifacts" has no lifecycle configuration; required: one with at least one rule; fix: add an aws.s3.BucketLifecycleConfiguration whose bucket is this bucket\'s id.',
            ],
        ]);
    });

    it("SSE with the AWS-managed key or without the bucket key fails", async () => {
        const sse = on(
            "bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "artifacts-sse",
            { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
        );
        expect(await check(s3Policies, replace(sse))).to.deep.equal([
            [
                "s3-bucket-sse-kms-cmk",
                "artifacts",
                'Bucket "artifacts": encryption configuration "artifacts-sse" has [{"sseAlgorithm":"AES256","kmsMasterKeyId":"none"}]; required: sseAlgorithm "aws:kms", kmsMasterKeyId of a customer-managed key (not alias/aws/s3) and bucketKeyEnabled true; fix: set them on "artifacts-sse".',
            ],
        ]);
    });

    it("suspended versioning, a partial public access block and ObjectWriter ownership fail", async () => {
        const resources = [
            ...compliant.filter(
                (r) => !["artifacts-versioning", "artifacts-pab", "artifacts-ownership"].includes(r.name),
            ),
            on("bucketVersioning:BucketVersioning", "v", { versioningConfiguration: { status: "Suspended" } }),
            on("bucketPublicAccessBlock:BucketPublicAccessBlock", "p", {
                blockPublicAcls: true,
                ignorePublicAcls: true,
            }),
            on("bucketOwnershipControls:BucketOwnershipControls", "o", { rule: { objectOwnership: "ObjectWriter" } }),
        ];
        expect((await check(s3Policies, resources)).map((v) => v[2])).to.deep.equal([
            'Bucket "artifacts" has versioning status Suspended; required: status "Enabled"; fix: add an aws.s3.BucketVersioning with versioningConfiguration.status "Enabled" whose bucket is this bucket\'s id.',
            'Bucket "artifacts" does not block public access (not true: blockPublicPolicy, restrictPublicBuckets); required: all four flags true; fix: add an aws.s3.BucketPublicAccessBlock with all four flags true whose bucket is this bucket\'s id.',
            'Bucket "artifacts" has object ownership ObjectWriter; required: BucketOwnerEnforced (ACLs disabled); fix: add an aws.s3.BucketOwnershipControls with rule.objectOwnership "BucketOwnerEnforced" whose bucket is this bucket\'s id.',
        ]);
    });

    it("a bucket policy with only the SecureTransport deny fails the TLS 1.2 check; a public Allow fails", async () => {
        const policy = on("bucketPolicy:BucketPolicy", "artifacts-policy", {
            policy: JSON.stringify({
                Statement: [
                    tlsPolicy.Statement[0],
                    { Sid: "Public", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*" },
                ],
            }),
        });
        expect(await check([...resourcePolicyPolicies, ...s3Policies], replace(policy))).to.deep.equal([
            [
                "resource-policy-no-public-access",
                "artifacts-policy",
                'bucket policy "artifacts-policy": statement "Public" allows Principal "*" without conditions; required: named principals, or a condition on the caller; fix: name the account root and add ArnEquals aws:PrincipalArn (aws:SecureTransport and similar conditions say how, not who).',
            ],
            [
                "s3-bucket-tls-only",
                "artifacts",
                'Bucket "artifacts" has a bucket policy without Deny with NumericLessThan "s3:TlsVersion": "1.2" statement; required: both denies for Principal "*" on the bucket and its objects; fix: add them to the bucket\'s aws.s3.BucketPolicy.',
            ],
        ]);
    });

    it("a public ACL on the bucket or a BucketAcl fails", async () => {
        const publicBucket = res("aws:s3/bucket:Bucket", "artifacts", { bucket: "artifacts-dev", acl: "public-read" });
        const acl = on("bucketAcl:BucketAcl", "artifacts-acl", { acl: "public-read-write" });
        const resources = [publicBucket, ...compliant.slice(1), acl];
        expect(await check(s3Policies, resources)).to.deep.equal([
            [
                "s3-bucket-no-public-grants",
                "artifacts",
                'Bucket "artifacts": the bucket sets acl "public-read"; required: no public ACL (ownership BucketOwnerEnforced); fix: remove the acl and grant access by IAM.',
            ],
            [
                "s3-bucket-no-public-grants",
                "artifacts",
                'Bucket "artifacts": ACL "artifacts-acl" sets acl "public-read-write"; required: no public ACL (ownership BucketOwnerEnforced); fix: remove the acl and grant access by IAM.',
            ],
        ]);
    });

    it("forceDestroy fails in stage and prod only", async () => {
        const destroyable = [{ ...bucket, inputs: { ...bucket.inputs, forceDestroy: true } }, ...compliant.slice(1)];
        expect(await check(s3Policies, destroyable, { stack: "dev" })).to.deep.equal([]);
        expect(await check(s3Policies, destroyable, { stack: "stage" })).to.deep.equal([
            [
                "s3-bucket-no-force-destroy",
                "artifacts",
                'Bucket "artifacts" sets forceDestroy true in stage; required: forceDestroy unset or false in stage and prod; fix: remove forceDestroy (and protect the bucket).',
            ],
        ]);
        // Policy config cannot change the environment: it comes from the stack being previewed.
        const config = { "s3-bucket-no-force-destroy": { environment: "prod" } } as any;
        expect(await check(s3Policies, destroyable, { stack: "dev", config })).to.deep.equal([]);
    });
});
