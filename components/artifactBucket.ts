import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { bucketArn as s3BucketArn } from "../domain/naming";
import { CrossAccountPrincipals, narrowedAccountPrincipal } from "./policyDocuments";

/** Object actions a cross-account CodeCommit source action performs (PutObjectAcl: CDK issue 14156). */
export const SOURCE_WRITER_OBJECT_ACTIONS = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:PutObjectAcl"];
/** Bucket actions the same source action performs. */
export const SOURCE_WRITER_BUCKET_ACTIONS = ["s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:ListBucket"];
/** Prefix where an environment publishes the release manifests the next environment promotes. */
export const RELEASES_PREFIX = "releases/";
/** Writes that create or replace a release manifest. */
export const RELEASE_WRITE_ACTIONS = ["s3:PutObject", "s3:PutObjectAcl"];
/** Default days before a noncurrent object version expires. */
export const DEFAULT_NONCURRENT_VERSION_EXPIRATION_DAYS = 90;
/** Default days before a pipeline's artifacts (current versions) expire; release manifests are kept. */
export const DEFAULT_PIPELINE_ARTIFACT_EXPIRATION_DAYS = 30;
/** Default days before an incomplete multipart upload is aborted. */
export const DEFAULT_ABORT_INCOMPLETE_UPLOAD_DAYS = 7;

export interface ArtifactBucketArgs {
    /** Partition of the stack (from aws.getPartition). Required. */
    readonly partition: string;
    /** Deterministic bucket name (see domain/naming.ts), so the tool account can compute it. Required. */
    readonly bucketName: string;
    /** ARN of the customer-managed key every object must be encrypted with. Required. */
    readonly kmsKeyArn: pulumi.Input<string>;
    /** Other accounts' principals that write source artifacts (the tool account's source roles). Default: none. */
    readonly sourceWriters?: readonly CrossAccountPrincipals[];
    /** Other accounts' principals that read release manifests under `releases/` (promotion). Default: none. */
    readonly releaseReaders?: readonly CrossAccountPrincipals[];
    /** The only principals (exact ARNs) that may write under `releases/`. Default: none, no such restriction. */
    readonly releasePublishers?: readonly string[];
    /** Prefixes of the pipelines' artifacts (pipelineArtifactPrefix), which expire. Default: none expire. */
    readonly pipelineArtifactPrefixes?: readonly string[];
    /** Days before those artifacts expire. Default DEFAULT_PIPELINE_ARTIFACT_EXPIRATION_DAYS (30). */
    readonly pipelineArtifactExpirationDays?: number;
    /** Days before noncurrent versions expire. Default DEFAULT_NONCURRENT_VERSION_EXPIRATION_DAYS (90). */
    readonly noncurrentVersionExpirationDays?: number;
    /** Protect the bucket, retain it on destroy and refuse forceDestroy (stage, prod). Default: false. */
    readonly protect?: boolean;
}

export interface BucketPolicyInput {
    readonly partition: string;
    readonly bucketName: string;
    readonly kmsKeyArn: string;
    readonly sourceWriters: readonly CrossAccountPrincipals[];
    readonly releaseReaders: readonly CrossAccountPrincipals[];
    /** When given, every other principal is denied writes under `releases/`. */
    readonly releasePublishers?: readonly string[];
}

/** Bucket policy: TLS 1.2 only, SSE-KMS with the pipeline key only, narrowed cross-account access. */
export function artifactBucketPolicy(input: BucketPolicyInput): aws.iam.PolicyDocument {
    const bucketArn = s3BucketArn(input.partition, input.bucketName);
    const objects = `${bucketArn}/*`;
    const statements: aws.iam.PolicyStatement[] = [
        {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [bucketArn, objects],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
        {
            Sid: "DenyTlsBelow12",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [bucketArn, objects],
            Condition: { NumericLessThan: { "s3:TlsVersion": "1.2" } },
        },
        {
            Sid: "DenyNonKmsEncryption",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:PutObject",
            Resource: objects,
            Condition: { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption": "aws:kms" } },
        },
        {
            Sid: "DenyOtherKmsKeys",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:PutObject",
            Resource: objects,
            Condition: {
                StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption-aws-kms-key-id": input.kmsKeyArn },
            },
        },
    ];
    if (input.releasePublishers && input.releasePublishers.length > 0) {
        // A release manifest is what the next environment promotes: only the publish-release roles may write one,
        // whatever else a role (or another account's source role) is allowed on the bucket.
        statements.push({
            Sid: "DenyReleaseWritesButPublishers",
            Effect: "Deny",
            Principal: "*",
            Action: RELEASE_WRITE_ACTIONS,
            Resource: `${bucketArn}/${RELEASES_PREFIX}*`,
            Condition: { ArnNotEquals: { "aws:PrincipalArn": [...input.releasePublishers] } },
        });
    }
    for (const writer of input.sourceWriters) {
        const principal = narrowedAccountPrincipal(input.partition, writer);
        statements.push(
            {
                Sid: `SourceObjectsFrom${writer.accountId}`,
                Effect: "Allow",
                ...principal,
                Action: SOURCE_WRITER_OBJECT_ACTIONS,
                Resource: objects,
            },
            {
                Sid: `SourceBucketFrom${writer.accountId}`,
                Effect: "Allow",
                ...principal,
                Action: SOURCE_WRITER_BUCKET_ACTIONS,
                Resource: bucketArn,
            },
        );
    }
    for (const reader of input.releaseReaders) {
        statements.push({
            Sid: `ReleasesReadBy${reader.accountId}`,
            Effect: "Allow",
            ...narrowedAccountPrincipal(input.partition, reader),
            Action: "s3:GetObject",
            Resource: `${bucketArn}/${RELEASES_PREFIX}*`,
        });
    }
    return { Version: "2012-10-17", Statement: statements };
}

type Parent = { readonly parent: pulumi.Resource };

/** Versioning, default SSE-KMS with the pipeline key, all public access blocked, bucket-owner-enforced objects. */
function bucketControls(
    name: string,
    args: ArtifactBucketArgs,
    bucket: aws.s3.Bucket,
    parent: Parent,
): { publicAccessBlock: aws.s3.BucketPublicAccessBlock } {
    new aws.s3.BucketVersioning(
        `${name}-versioning`,
        { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
        parent,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
        `${name}-encryption`,
        {
            bucket: bucket.id,
            rules: [
                {
                    applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn },
                    bucketKeyEnabled: true,
                },
            ],
        },
        parent,
    );
    const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
        `${name}-public-access-block`,
        {
            bucket: bucket.id,
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        },
        parent,
    );
    new aws.s3.BucketOwnershipControls(
        `${name}-ownership`,
        { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
        parent,
    );
    return { publicAccessBlock };
}

/**
 * Lifecycle: each pipeline's artifacts expire (by prefix: S3 lifecycle filters cannot exclude `releases/`, so the
 * release manifests, which promotion reads for as long as a commit may be promoted, are simply not matched);
 * noncurrent versions expire, incomplete multipart uploads are aborted.
 */
export function bucketLifecycleRules(
    args: Pick<
        ArtifactBucketArgs,
        "pipelineArtifactPrefixes" | "pipelineArtifactExpirationDays" | "noncurrentVersionExpirationDays"
    >,
): aws.types.input.s3.BucketLifecycleConfigurationRule[] {
    const prefixes = [...new Set(args.pipelineArtifactPrefixes ?? [])];
    return [
        ...prefixes.map((prefix) => ({
            id: `expire-pipeline-artifacts-${prefix.replace(/\/$/, "")}`,
            status: "Enabled",
            filter: { prefix },
            expiration: { days: args.pipelineArtifactExpirationDays ?? DEFAULT_PIPELINE_ARTIFACT_EXPIRATION_DAYS },
        })),
        {
            id: "expire-noncurrent-versions",
            status: "Enabled",
            filter: {},
            noncurrentVersionExpiration: {
                noncurrentDays: args.noncurrentVersionExpirationDays ?? DEFAULT_NONCURRENT_VERSION_EXPIRATION_DAYS,
            },
        },
        {
            id: "abort-incomplete-multipart-uploads",
            status: "Enabled",
            filter: {},
            abortIncompleteMultipartUpload: { daysAfterInitiation: DEFAULT_ABORT_INCOMPLETE_UPLOAD_DAYS },
        },
    ];
}

/** The bucket's lifecycle configuration (bucketLifecycleRules). */
function bucketLifecycle(name: string, args: ArtifactBucketArgs, bucket: aws.s3.Bucket, parent: Parent): void {
    new aws.s3.BucketLifecycleConfiguration(
        `${name}-lifecycle`,
        { bucket: bucket.id, rules: bucketLifecycleRules(args) },
        parent,
    );
}

/** The bucket policy (artifactBucketPolicy), applied once public access is blocked. */
function bucketPolicy(
    name: string,
    args: ArtifactBucketArgs,
    bucket: aws.s3.Bucket,
    publicAccessBlock: aws.s3.BucketPublicAccessBlock,
    parent: Parent,
): void {
    new aws.s3.BucketPolicy(
        `${name}-policy`,
        {
            bucket: bucket.id,
            policy: pulumi.jsonStringify(
                pulumi.output(args.kmsKeyArn).apply((kmsKeyArn) =>
                    artifactBucketPolicy({
                        partition: args.partition,
                        bucketName: args.bucketName,
                        kmsKeyArn,
                        sourceWriters: args.sourceWriters ?? [],
                        releaseReaders: args.releaseReaders ?? [],
                        releasePublishers: args.releasePublishers,
                    }),
                ),
            ),
        },
        // A policy naming other accounts is applied once public access is blocked.
        { ...parent, dependsOn: [publicAccessBlock] },
    );
}

/** An environment's pipeline artifact store, hardened as the strongest public designs do (ADF). */
export class ArtifactBucket extends pulumi.ComponentResource {
    public readonly bucketName: pulumi.Output<string>;
    public readonly bucketArn: pulumi.Output<string>;

    constructor(name: string, args: ArtifactBucketArgs, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:security:ArtifactBucket", name, {}, opts);
        const protect = args.protect ?? false;
        const parent = { parent: this };

        const bucket = new aws.s3.Bucket(
            `${name}-bucket`,
            { bucket: args.bucketName, forceDestroy: !protect },
            { ...parent, protect, retainOnDelete: protect },
        );
        const { publicAccessBlock } = bucketControls(name, args, bucket, parent);
        bucketLifecycle(name, args, bucket, parent);
        bucketPolicy(name, args, bucket, publicAccessBlock, parent);

        this.bucketName = bucket.bucket;
        this.bucketArn = bucket.arn;
        this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn });
    }
}
