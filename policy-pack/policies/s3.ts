import * as aws from "@pulumi/aws";
import type { PolicyResource, ReportViolation, StackValidationArgs } from "@pulumi/policy";

import {
    accountOfArn,
    attachments,
    grantsAction,
    ownAccounts,
    contextOf,
    Deferred,
    isProtected,
    isPublicPrincipal,
    keyVerdict,
    known,
    list,
    stackPolicy,
    stackProvider,
    Statement,
    statementsOf,
    UNKNOWN,
} from "./common";

// In @pulumi/aws v7 a bucket's settings are separate resources, so these are stack policies: each finds the
// resources attached to a bucket by dependency (or by the bucket name when it is known).
const BUCKET = "aws:s3/bucket:Bucket";
const T = {
    sse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    versioning: "aws:s3/bucketVersioning:BucketVersioning",
    publicAccess: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    policy: "aws:s3/bucketPolicy:BucketPolicy",
    acl: "aws:s3/bucketAcl:BucketAcl",
};

type BucketCheck = (
    bucket: PolicyResource,
    attached: (type: string) => PolicyResource[],
    report: (message: string) => void,
    args: StackValidationArgs,
) => void;

/** Runs `check` for every bucket of the stack with a finder for its attached settings resources. */
function eachBucket(check: BucketCheck) {
    return (args: StackValidationArgs, reportViolation: ReportViolation) => {
        const buckets = args.resources.filter((r) => r.isType(aws.s3.Bucket));
        if (buckets.length === 0) args.notApplicable(`no ${BUCKET} in the stack`);
        for (const bucket of buckets) {
            const name = known(() => bucket.props.bucket as string | undefined);
            const attached = (type: string) => attachments(args.resources, type, bucket, "bucket", [name]);
            check(bucket, attached, (m) => reportViolation(m, bucket.urn), args);
        }
    };
}

const fixOf = (what: string) => `fix: add ${what} whose bucket is this bucket's id`;

export const s3EncryptionCmk = stackPolicy(
    {
        name: "s3-bucket-sse-kms-cmk",
        summary: "Buckets are encrypted with SSE-KMS under a customer-managed key, with the S3 bucket key on.",
        severity: "high",
        fsbp: ["S3.17"],
        nist: ["SC-28", "SC-12", "SC-13"],
    },
    eachBucket((bucket, attached, report) => {
        const configs = attached(T.sse);
        if (configs.length === 0) {
            return report(
                `Bucket "${bucket.name}" has no server-side encryption configuration; required: SSE-KMS with a ` +
                    `customer-managed key; ${fixOf("an aws.s3.BucketServerSideEncryptionConfiguration (sseAlgorithm aws:kms, kmsMasterKeyId, bucketKeyEnabled true)")}.`,
            );
        }
        const deferred = new Deferred();
        for (const c of configs) {
            const rules = deferred.read(() => (c.props.rules ?? []) as any[]);
            if (rules === UNKNOWN) continue;
            const found = rules.map((r) => {
                const d = r.applyServerSideEncryptionByDefault ?? {};
                // The key may be unknown during preview: decided by what the property depends on.
                const key = keyVerdict(() => d.kmsMasterKeyId, deferred, c, "rules");
                return { sseAlgorithm: d.sseAlgorithm, key, bucketKeyEnabled: r.bucketKeyEnabled };
            });
            const ok = found.some(
                (f) =>
                    String(f.sseAlgorithm ?? "").startsWith("aws:kms") &&
                    f.key.kind !== "missing" &&
                    f.key.kind !== "aws-managed" &&
                    f.bucketKeyEnabled === true,
            );
            const undecided = found.some((f) => f.key.kind === "unknown");
            if (!ok && !undecided) {
                const shown = found.map((f) => ({
                    sseAlgorithm: f.sseAlgorithm,
                    kmsMasterKeyId: "found" in f.key ? f.key.found : "(unknown)",
                    bucketKeyEnabled: f.bucketKeyEnabled,
                }));
                report(
                    `Bucket "${bucket.name}": encryption configuration "${c.name}" has ${JSON.stringify(shown)}; ` +
                        `required: sseAlgorithm "aws:kms", kmsMasterKeyId of a customer-managed key (not alias/aws/s3) ` +
                        `and bucketKeyEnabled true; fix: set them on "${c.name}".`,
                );
            }
        }
        if (configs.length > 0) deferred.finish();
    }),
);

export const s3Versioning = stackPolicy(
    {
        name: "s3-bucket-versioning",
        summary: "Buckets have versioning Enabled.",
        severity: "medium",
        fsbp: ["S3.14"],
        nist: ["CP-9", "SI-12"],
    },
    eachBucket((bucket, attached, report) => {
        const statuses = attached(T.versioning).map(
            (v) => v.asType(aws.s3.BucketVersioning)?.versioningConfiguration?.status,
        );
        if (!statuses.includes("Enabled")) {
            report(
                `Bucket "${bucket.name}" has versioning ${statuses.length ? `status ${statuses.join(", ")}` : "not configured"}; ` +
                    `required: status "Enabled"; ${fixOf('an aws.s3.BucketVersioning with versioningConfiguration.status "Enabled"')}.`,
            );
        }
    }),
);

const PUBLIC_ACCESS_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];

export const s3BlockPublicAccess = stackPolicy(
    {
        name: "s3-bucket-public-access-block",
        summary: "Buckets block all public access (all four public access block flags true).",
        severity: "critical",
        fsbp: ["S3.8"],
        nist: ["AC-3", "AC-21", "SC-7"],
    },
    eachBucket((bucket, attached, report) => {
        const blocks = attached(T.publicAccess);
        const missing = (b?: PolicyResource) =>
            PUBLIC_ACCESS_FLAGS.filter((f) => (b?.props as Record<string, unknown> | undefined)?.[f] !== true);
        const best = blocks.map((b) => missing(b)).sort((a, b) => a.length - b.length)[0] ?? missing();
        if (best.length > 0) {
            report(
                `Bucket "${bucket.name}" does not block public access (${blocks.length ? "not true" : "no public access block"}: ` +
                    `${best.join(", ")}); required: all four flags true; ${fixOf("an aws.s3.BucketPublicAccessBlock with all four flags true")}.`,
            );
        }
    }),
);

export const s3OwnershipEnforced = stackPolicy(
    {
        name: "s3-bucket-owner-enforced",
        summary: "Buckets disable ACLs (object ownership BucketOwnerEnforced).",
        severity: "medium",
        fsbp: ["S3.12"],
        nist: ["AC-3", "AC-6"],
    },
    eachBucket((bucket, attached, report) => {
        const owners = attached(T.ownership).map(
            (o) => o.asType(aws.s3.BucketOwnershipControls)?.rule?.objectOwnership,
        );
        if (!owners.includes("BucketOwnerEnforced")) {
            report(
                `Bucket "${bucket.name}" has object ownership ${owners.length ? owners.join(", ") : "not configured"}; ` +
                    `required: BucketOwnerEnforced (ACLs disabled); ${fixOf('an aws.s3.BucketOwnershipControls with rule.objectOwnership "BucketOwnerEnforced"')}.`,
            );
        }
    }),
);

/** A Deny on every principal when `aws:SecureTransport` is false. */
const deniesInsecureTransport = (s: Statement) =>
    s.Effect === "Deny" &&
    isPublicPrincipal(s.Principal) &&
    Object.entries(s.Condition ?? {}).some(
        ([op, block]) =>
            /^Bool(IfExists)?$/.test(op) &&
            Object.entries(block ?? {}).some(
                ([k, v]) => k.toLowerCase() === "aws:securetransport" && list(v).includes("false"),
            ),
    );
/** A Deny on every principal when `s3:TlsVersion` is below 1.2. */
const deniesOldTls = (s: Statement) =>
    s.Effect === "Deny" &&
    isPublicPrincipal(s.Principal) &&
    Object.entries(s.Condition ?? {}).some(
        ([op, block]) =>
            /^NumericLessThan(IfExists)?$/.test(op) &&
            Object.entries(block ?? {}).some(
                ([k, v]) => k.toLowerCase() === "s3:tlsversion" && list(v).some((x) => Number(x) >= 1.2),
            ),
    );

function bucketStatements(attached: (type: string) => PolicyResource[]): Statement[] {
    return attached(T.policy).flatMap((p) => statementsOf(p.asType(aws.s3.BucketPolicy)?.policy) ?? []);
}

export const s3TlsOnly = stackPolicy(
    {
        name: "s3-bucket-tls-only",
        summary: "Bucket policies deny requests without TLS (aws:SecureTransport false) and below TLS 1.2.",
        severity: "high",
        fsbp: ["S3.5"],
        nist: ["SC-8", "SC-13"],
    },
    eachBucket((bucket, attached, report) => {
        const statements = bucketStatements(attached);
        const missing = [
            statements.some(deniesInsecureTransport) ? undefined : 'Deny with Bool "aws:SecureTransport": "false"',
            statements.some(deniesOldTls) ? undefined : 'Deny with NumericLessThan "s3:TlsVersion": "1.2"',
        ].filter((m): m is string => !!m);
        if (missing.length > 0) {
            report(
                `Bucket "${bucket.name}" ${attached(T.policy).length ? "has a bucket policy without" : "has no bucket policy, so no"} ` +
                    `${missing.join(" and ")} statement; required: both denies for Principal "*" on the bucket and its objects; ` +
                    `fix: add them to the bucket's aws.s3.BucketPolicy.`,
            );
        }
    }),
);

const PUBLIC_ACLS = ["public-read", "public-read-write", "authenticated-read"];

export const s3NoPublicGrants = stackPolicy(
    {
        name: "s3-bucket-no-public-grants",
        summary:
            "No public bucket ACL (public-read, public-read-write, authenticated-read); bucket policies: resource-policy-no-public-access.",
        severity: "critical",
        fsbp: ["S3.2", "S3.3"],
        nist: ["AC-3", "AC-21"],
    },
    eachBucket((bucket, attached, report) => {
        const aclOf = (r: PolicyResource) => known(() => r.props.acl as string | undefined);
        for (const r of [bucket, ...attached(T.acl)]) {
            const acl = aclOf(r);
            if (acl && PUBLIC_ACLS.includes(acl)) {
                report(
                    `Bucket "${bucket.name}": ${r.type === BUCKET ? "the bucket" : `ACL "${r.name}"`} sets acl "${acl}"; ` +
                        `required: no public ACL (ownership BucketOwnerEnforced); fix: remove the acl and grant access by IAM.`,
                );
            }
        }
    }),
);

export const s3Lifecycle = stackPolicy(
    {
        name: "s3-bucket-lifecycle",
        summary: "Buckets have a lifecycle configuration (expire noncurrent versions, abort incomplete uploads).",
        severity: "low",
        fsbp: ["S3.13"],
        nist: ["SI-12", "AU-11"],
    },
    eachBucket((bucket, attached, report) => {
        if (attached(T.lifecycle).length === 0) {
            report(
                `Bucket "${bucket.name}" has no lifecycle configuration; required: one with at least one rule; ` +
                    `${fixOf("an aws.s3.BucketLifecycleConfiguration")}.`,
            );
        }
    }),
);

export const s3NoForceDestroy = stackPolicy(
    {
        name: "s3-bucket-no-force-destroy",
        summary: "Buckets in stage and prod do not set forceDestroy (their objects survive a stack destroy).",
        severity: "high",
        nist: ["CP-9", "SI-12"],
    },
    (args, reportViolation) => {
        const ctx = contextOf(stackProvider(args.resources));
        if (!isProtected(ctx)) args.notApplicable(`environment ${ctx.environment} may destroy its buckets`);
        eachBucket((bucket, _attached, report) => {
            if (bucket.asType(aws.s3.Bucket)?.forceDestroy === true) {
                report(
                    `Bucket "${bucket.name}" sets forceDestroy true in ${ctx.environment}; required: forceDestroy unset ` +
                        `or false in stage and prod; fix: remove forceDestroy (and protect the bucket).`,
                );
            }
        })(args, reportViolation);
    },
);

/** A Deny for everyone of s3:PutObject (wildcards expanded) when `key` is not one of the values, by a negated operator. */
function deniesUploadsUnless(s: Statement, key: string): string[] | undefined {
    if (s.Effect !== "Deny" || !isPublicPrincipal(s.Principal) || !grantsAction(s, "s3:PutObject")) return undefined;
    for (const [op, block] of Object.entries(s.Condition ?? {})) {
        if (!/^StringNotEquals(IfExists)?$/.test(op)) continue;
        for (const [k, v] of Object.entries(block ?? {})) if (k.toLowerCase() === key) return list(v);
    }
    return undefined;
}

export const s3UploadsRequireArtifactKey = stackPolicy(
    {
        name: "s3-bucket-uploads-require-stack-key",
        summary:
            "Bucket policies deny s3:PutObject unless it is encrypted with SSE-KMS (s3:x-amz-server-side-encryption aws:kms) under a customer-managed key of this account (s3:x-amz-server-side-encryption-aws-kms-key-id).",
        severity: "high",
        nist: ["SC-28", "SC-12"],
    },
    (args, reportViolation) => {
        const own = ownAccounts(contextOf(stackProvider(args.resources)));
        eachBucket((bucket, attached, report) => {
            const statements = bucketStatements(attached);
            const sse = statements.map((s) => deniesUploadsUnless(s, "s3:x-amz-server-side-encryption"));
            const keys = statements.map((s) =>
                deniesUploadsUnless(s, "s3:x-amz-server-side-encryption-aws-kms-key-id"),
            );
            const kmsOnly = sse.some((v) => v && v.length > 0 && v.every((x) => x.startsWith("aws:kms")));
            const ownKey = keys.some(
                (v) =>
                    v && v.length > 0 && v.every((x) => own.includes(accountOfArn(x) ?? "") && /:key\/[^*?]+$/.test(x)),
            );
            const missing = [
                kmsOnly ? undefined : 'StringNotEquals "s3:x-amz-server-side-encryption": "aws:kms"',
                ownKey
                    ? undefined
                    : `StringNotEquals "s3:x-amz-server-side-encryption-aws-kms-key-id" with a key ARN of this account (${own.join(", ") || "unknown"})`,
            ].filter((m): m is string => !!m);
            if (missing.length > 0) {
                report(
                    `Bucket "${bucket.name}" accepts uploads not encrypted with its key: no Deny of s3:PutObject ` +
                        `for Principal "*" with ${missing.join(", nor with ")}; required: both denies; fix: add them ` +
                        `to the bucket's aws.s3.BucketPolicy.`,
                );
            }
        })(args, reportViolation);
    },
);

/** Where release manifests live: the record of what each environment promoted. */
const RELEASES_PREFIX = "releases/";

export const s3LifecycleKeepsReleases = stackPolicy(
    {
        name: "s3-lifecycle-keeps-current-versions",
        summary:
            "In stage and prod no lifecycle rule expires current object versions across the bucket or of the release manifests (releases/): only a rule limited to a pipeline's artifact prefix may.",
        severity: "high",
        nist: ["CP-9", "AU-11", "SI-12"],
    },
    (args, reportViolation) => {
        const ctx = contextOf(stackProvider(args.resources));
        if (!isProtected(ctx)) args.notApplicable(`${ctx.environment} may expire its objects`);
        eachBucket((bucket, attached, report) => {
            for (const lc of attached(T.lifecycle)) {
                const rules = (known(() => lc.props.rules) ?? []) as any[];
                for (const rule of rules) {
                    const e = rule.expiration;
                    if (rule.status !== "Enabled" || !e || (e.days === undefined && e.date === undefined)) continue;
                    const prefix = String(rule.filter?.prefix ?? rule.filter?.and?.prefix ?? rule.prefix ?? "");
                    if (prefix === "" || RELEASES_PREFIX.startsWith(prefix) || prefix.startsWith(RELEASES_PREFIX)) {
                        report(
                            `Bucket "${bucket.name}": lifecycle rule ${JSON.stringify(rule.id ?? "(no id)")} expires ` +
                                `current versions ${prefix ? `under ${JSON.stringify(prefix)}` : "of every object"} in ` +
                                `${ctx.environment}; required: expiration only under a pipeline's artifact prefix, never ` +
                                `of ${RELEASES_PREFIX}; fix: add a filter prefix or expire noncurrent versions only.`,
                        );
                    }
                }
            }
        })(args, reportViolation);
    },
);

export const s3Policies = [
    s3EncryptionCmk,
    s3Versioning,
    s3BlockPublicAccess,
    s3OwnershipEnforced,
    s3TlsOnly,
    s3NoPublicGrants,
    s3Lifecycle,
    s3NoForceDestroy,
];

/** What uploads must be encrypted with, and what a lifecycle may expire. */
export const s3ContentPolicies = [s3UploadsRequireArtifactKey, s3LifecycleKeepsReleases];
