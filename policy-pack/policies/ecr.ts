import * as aws from "@pulumi/aws";
import { validateResourceOfType } from "@pulumi/policy";
import {
    attachments,
    contextOf,
    Deferred,
    isProtected,
    keyVerdict,
    known,
    resourcePolicy,
    stackPolicy,
    UNKNOWN,
} from "./common";

export const ecrImmutableTags = resourcePolicy(
    {
        name: "ecr-immutable-tags",
        summary: "ECR repositories have IMMUTABLE image tags (the image that passed dev is the one prod runs).",
        severity: "medium",
        fsbp: ["ECR.2"],
        nist: ["SI-7", "CM-2"],
    },
    validateResourceOfType(aws.ecr.Repository, (repo, args, report) => {
        if (repo.imageTagMutability !== "IMMUTABLE") {
            report(
                `ECR repository "${args.name}" has imageTagMutability ${repo.imageTagMutability ?? "unset (MUTABLE)"}; ` +
                    `required: IMMUTABLE; fix: set imageTagMutability: "IMMUTABLE".`,
            );
        }
    }),
);

export const ecrScanOnPush = resourcePolicy(
    {
        name: "ecr-scan-on-push",
        summary: "ECR repositories scan images on push.",
        severity: "high",
        fsbp: ["ECR.1"],
        nist: ["RA-5", "SI-2"],
    },
    validateResourceOfType(aws.ecr.Repository, (repo, args, report) => {
        if (repo.imageScanningConfiguration?.scanOnPush !== true) {
            report(
                `ECR repository "${args.name}" has scanOnPush ${repo.imageScanningConfiguration?.scanOnPush ?? "unset"}; ` +
                    `required: true; fix: set imageScanningConfiguration: { scanOnPush: true }.`,
            );
        }
    }),
);

export const ecrKmsEncryption = stackPolicy(
    {
        name: "ecr-kms-encryption",
        summary: "ECR repositories are encrypted with KMS under a customer-managed key.",
        severity: "medium",
        fsbp: ["ECR.5"],
        nist: ["SC-28", "SC-12"],
    },
    (args, report) => {
        const repos = args.resources.filter((r) => r.isType(aws.ecr.Repository));
        if (repos.length === 0) args.notApplicable("no ECR repository in the stack");
        const deferred = new Deferred();
        for (const repo of repos) {
            const configs = deferred.read(() => (repo.props.encryptionConfigurations ?? []) as any[]);
            if (configs === UNKNOWN) continue;
            // The key is unknown during preview: decided by the key of this stack it depends on.
            const verdicts = configs.map((c) => ({
                type: c.encryptionType,
                key: keyVerdict(() => c.kmsKey, deferred, repo, "encryptionConfigurations"),
            }));
            if (verdicts.some((v) => v.key.kind === "unknown")) continue;
            if (!verdicts.some((v) => v.type === "KMS" && v.key.kind === "cmk")) {
                const found = verdicts.map((v) => ({
                    encryptionType: v.type,
                    kmsKey: "found" in v.key ? v.key.found : undefined,
                }));
                report(
                    `ECR repository "${repo.name}" has encryptionConfigurations ${JSON.stringify(found)}; required: ` +
                        `encryptionType "KMS" with kmsKey a customer-managed key; fix: set encryptionConfigurations: ` +
                        `[{ encryptionType: "KMS", kmsKey }].`,
                    repo.urn,
                );
            }
        }
        deferred.finish();
    },
);

const LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy";

export const ecrLifecyclePolicy = stackPolicy(
    {
        name: "ecr-lifecycle-policy",
        summary: "Every ECR repository has a lifecycle policy.",
        severity: "low",
        fsbp: ["ECR.3"],
        nist: ["CM-2", "SI-12"],
    },
    (args, report) => {
        const repos = args.resources.filter((r) => r.isType(aws.ecr.Repository));
        if (repos.length === 0) args.notApplicable("no ECR repository in the stack");
        for (const repo of repos) {
            const name = known(() => repo.props.name as string | undefined);
            if (attachments(args.resources, LIFECYCLE, repo, "repository", [name]).length === 0) {
                report(
                    `ECR repository "${repo.name}" has no lifecycle policy; required: an aws.ecr.LifecyclePolicy for it; ` +
                        `fix: add one (e.g. expire untagged images after 14 days, keep the last 50 tagged).`,
                    repo.urn,
                );
            }
        }
    },
);

export const ecrNoForceDelete = resourcePolicy(
    {
        name: "ecr-no-force-delete",
        summary: "ECR repositories in stage and prod do not set forceDelete (their images survive a stack destroy).",
        severity: "high",
        nist: ["CP-9", "SI-12"],
    },
    validateResourceOfType(aws.ecr.Repository, (repo, args, report) => {
        const ctx = contextOf(args.provider);
        if (!isProtected(ctx)) args.notApplicable(`${ctx.environment} may delete its repositories`);
        if (repo.forceDelete === true) {
            report(
                `ECR repository "${args.name}" sets forceDelete true in ${ctx.environment}; required: forceDelete ` +
                    `unset or false in stage and prod; fix: remove forceDelete (and protect the repository).`,
            );
        }
    }),
);

export const ecrPolicies = [ecrImmutableTags, ecrScanOnPush, ecrKmsEncryption, ecrLifecyclePolicy];

/** Retention of images in stage and prod. */
export const ecrRetentionPolicies = [ecrNoForceDelete];
