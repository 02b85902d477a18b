import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { accountRootArn } from "../domain/naming";

/** Untagged images (failed or superseded builds) are expired after this many days. */
export const DEFAULT_UNTAGGED_EXPIRY_DAYS = 14;
/**
 * Tagged images kept per repository; older ones are expired. Generous: the next environment promotes by digest
 * from this repository, possibly many builds later, and a promoted image must still be here.
 */
export const DEFAULT_KEEP_TAGGED_IMAGES = 500;
/** The only actions another account gets: read one image, nothing else (no push, no list of the registry). */
export const PULL_ACTIONS = [
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
    "ecr:BatchCheckLayerAvailability",
    "ecr:DescribeImages",
] as const;

/** A role in another account allowed to pull from the repository (the next environment's build role). */
export interface ImagePuller {
    /** The role's account; its root is the policy principal, so the policy is valid before the role exists. */
    readonly accountId: string;
    /** The exact role, enforced by an `aws:PrincipalArn` condition. */
    readonly roleArn: string;
}

export interface ContainerRegistryArgs {
    /** Repository name (the service name). Required. */
    readonly repositoryName: string;
    /** ARN of the customer-managed KMS key that encrypts the images. Required. */
    readonly kmsKeyArn: pulumi.Input<string>;
    /** Partition for ARNs built here (`aws`, `aws-us-gov`). Required. */
    readonly partition: string;
    /** Protected: no forceDelete, `protect` and retained on destroy. Default false. */
    readonly protect?: boolean;
    /** Days after which untagged images expire. Default DEFAULT_UNTAGGED_EXPIRY_DAYS (14). */
    readonly untaggedExpiryDays?: number;
    /** Tagged images kept, newest first. Default DEFAULT_KEEP_TAGGED_IMAGES (500). */
    readonly keepTaggedImages?: number;
    /** Cross-account roles allowed to pull (promotion to the next environment). Default none: no repository policy. */
    readonly pullers?: readonly ImagePuller[];
}

/** ECR lifecycle policy: expire untagged images after `untaggedDays`, keep the newest `keepTagged` tagged ones. */
export function lifecyclePolicyDocument(untaggedDays: number, keepTagged: number): object {
    return {
        rules: [
            {
                rulePriority: 1,
                description: `Expire untagged images after ${untaggedDays} days`,
                selection: {
                    tagStatus: "untagged",
                    countType: "sinceImagePushed",
                    countUnit: "days",
                    countNumber: untaggedDays,
                },
                action: { type: "expire" },
            },
            {
                rulePriority: 2,
                description: `Keep the last ${keepTagged} tagged images`,
                selection: {
                    tagStatus: "tagged",
                    tagPatternList: ["*"],
                    countType: "imageCountMoreThan",
                    countNumber: keepTagged,
                },
                action: { type: "expire" },
            },
        ],
    };
}

/**
 * Repository policy that lets each puller read images: principal = the puller's account root (always exists),
 * narrowed to the exact role by `ArnEquals aws:PrincipalArn`. One statement per puller.
 */
export function pullPolicyDocument(partition: string, pullers: readonly ImagePuller[]): aws.iam.PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: pullers.map((p, i) => ({
            Sid: `CrossAccountPull${i}`,
            Effect: "Allow",
            Principal: { AWS: accountRootArn(partition, p.accountId) },
            Action: [...PULL_ACTIONS],
            Condition: { ArnEquals: { "aws:PrincipalArn": p.roleArn } },
        })),
    };
}

/** Checks plain args; throws once listing every problem. */
export function validateContainerRegistryArgs(args: ContainerRegistryArgs): void {
    const problems: string[] = [];
    const whole = (k: string, v: number, min: number) => {
        if (!Number.isInteger(v) || v < min) problems.push(`${k}: found ${v}, expected a whole number >= ${min}`);
    };
    whole("untaggedExpiryDays", args.untaggedExpiryDays ?? DEFAULT_UNTAGGED_EXPIRY_DAYS, 1);
    whole("keepTaggedImages", args.keepTaggedImages ?? DEFAULT_KEEP_TAGGED_IMAGES, 1);
    (args.pullers ?? []).forEach((p, i) => {
        if (!/^\d{12}$/.test(p.accountId)) {
            problems.push(`pullers[${i}].accountId: found ${JSON.stringify(p.accountId)}, expected a 12-digit id`);
        }
        const role = new RegExp(`^arn:${args.partition}:iam::${p.accountId}:role/[\\w+=,.@/-]+$`);
        if (!role.test(p.roleArn)) {
            problems.push(
                `pullers[${i}].roleArn: found ${JSON.stringify(p.roleArn)}, expected a role ARN of account ${p.accountId} in partition ${args.partition}`,
            );
        }
    });
    if (problems.length > 0)
        throw new Error(`ContainerRegistry ${args.repositoryName}:\n  - ${problems.join("\n  - ")}`);
}

/** One service's ECR repository: immutable tags, scan on push, KMS, lifecycle, optional cross-account pull. */
export class ContainerRegistry extends pulumi.ComponentResource {
    public readonly repositoryUrl: pulumi.Output<string>;
    public readonly repositoryArn: pulumi.Output<string>;
    public readonly name: pulumi.Output<string>;

    constructor(name: string, args: ContainerRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
        validateContainerRegistryArgs(args);
        super("devsecops:registry:ContainerRegistry", name, {}, opts);
        const protect = args.protect ?? false;

        const repository = new aws.ecr.Repository(
            `${name}-repo`,
            {
                name: args.repositoryName,
                imageTagMutability: "IMMUTABLE",
                imageScanningConfiguration: { scanOnPush: true },
                encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: args.kmsKeyArn }],
                forceDelete: !protect,
            },
            { parent: this, protect, retainOnDelete: protect },
        );

        new aws.ecr.LifecyclePolicy(
            `${name}-lifecycle`,
            {
                repository: repository.name,
                policy: JSON.stringify(
                    lifecyclePolicyDocument(
                        args.untaggedExpiryDays ?? DEFAULT_UNTAGGED_EXPIRY_DAYS,
                        args.keepTaggedImages ?? DEFAULT_KEEP_TAGGED_IMAGES,
                    ),
                ),
            },
            { parent: this },
        );

        if (args.pullers && args.pullers.length > 0) {
            new aws.ecr.RepositoryPolicy(
                `${name}-policy`,
                {
                    repository: repository.name,
                    policy: pulumi.jsonStringify(pullPolicyDocument(args.partition, args.pullers)),
                },
                { parent: this },
            );
        }

        this.repositoryUrl = repository.repositoryUrl;
        this.repositoryArn = repository.arn;
        this.name = repository.name;
        this.registerOutputs({ repositoryUrl: this.repositoryUrl, repositoryArn: this.repositoryArn, name: this.name });
    }
}
