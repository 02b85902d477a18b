import type { ResourceValidationArgs } from "@pulumi/policy";
import {
    contextOf,
    Deferred,
    isAllow,
    isPublicPrincipal,
    ownAccounts,
    resourcePolicy,
    Statement,
    statementsOf,
    UNKNOWN,
} from "./common";
import { granteesOf, overlyBroad, positiveValues } from "./principals";

/** Resource-based policies other than key policies (kms.ts) and role trust (iam.ts), by type: the document's property. */
export const RESOURCE_POLICY_TYPES: Readonly<Record<string, string>> = {
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
    "aws:ecr/repositoryPolicy:RepositoryPolicy": "policy",
    "aws:ecr/registryPolicy:RegistryPolicy": "policy",
    "aws:sns/topicPolicy:TopicPolicy": "policy",
    "aws:sns/topic:Topic": "policy",
    "aws:cloudwatch/eventBusPolicy:EventBusPolicy": "policy",
    "aws:secretsmanager/secretPolicy:SecretPolicy": "policy",
    "aws:sqs/queuePolicy:QueuePolicy": "policy",
};

const kindOf = (type: string) =>
    type
        .split(":")[2]
        ?.replace(/([a-z])([A-Z])/g, "$1 $2")
        .toLowerCase() ?? type;

function onResourcePolicies(
    check: (args: ResourceValidationArgs, statements: Statement[], own: string[], report: (m: string) => void) => void,
) {
    return (args: ResourceValidationArgs, report: (m: string) => void) => {
        const property = RESOURCE_POLICY_TYPES[args.type];
        if (!property)
            args.notApplicable(`not a resource policy type (${Object.keys(RESOURCE_POLICY_TYPES).join(", ")})`);
        const deferred = new Deferred();
        const doc = deferred.read(() => args.props[property] as unknown);
        if (doc !== UNKNOWN && doc !== undefined && doc !== "") {
            check(args, statementsOf(doc) ?? [], ownAccounts(contextOf(args.provider)), report);
        }
        deferred.finish();
    };
}

export const resourcePolicyNotPublic = resourcePolicy(
    {
        name: "resource-policy-no-public-access",
        summary:
            'Bucket, ECR, SNS, event bus, secret and queue policies never allow Principal "*" (or NotPrincipal) unless a condition narrows the caller (aws:PrincipalArn, aws:PrincipalAccount / aws:SourceAccount of this account, aws:PrincipalOrgID).',
        severity: "critical",
        fsbp: ["S3.2", "S3.3"],
        nist: ["AC-3", "AC-21"],
    },
    onResourcePolicies((args, statements, own, report) => {
        statements.forEach((s, i) => {
            if (!isAllow(s) || !(isPublicPrincipal(s.Principal) || s.NotPrincipal !== undefined)) return;
            const why = overlyBroad(s, i, own);
            if (why) {
                report(
                    `${kindOf(args.type)} "${args.name}": ${why}; required: named principals, or a condition on the ` +
                        `caller; fix: name the account root and add ArnEquals aws:PrincipalArn (aws:SecureTransport ` +
                        `and similar conditions say how, not who).`,
                );
            }
        });
    }),
);

/**
 * Why a statement granting AWS services lets them act on behalf of any account, or undefined: a service principal
 * is narrowed by aws:SourceAccount (this account) or aws:SourceArn (a resource of this account), the confused
 * deputy protection https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
 */
function serviceNotNarrowed(s: Statement, i: number, own: readonly string[]): string | undefined {
    const services = granteesOf(s).services;
    if (!isAllow(s) || services.length === 0) return undefined;
    const accounts = positiveValues(s, "aws:SourceAccount") ?? [];
    const arns = (positiveValues(s, "aws:SourceArn") ?? []).map(
        (a) => /^arn:[\w-]+:[\w-]*:[\w-]*:(\d{12}):/.exec(a)?.[1],
    );
    const narrowed = [...accounts, ...arns];
    if (narrowed.length > 0 && narrowed.every((a) => a !== undefined && own.includes(a))) return undefined;
    const what = s.Sid ? `statement "${s.Sid}"` : `statement ${i + 1}`;
    return (
        `${what} lets ${services.join(", ")} act for ${narrowed.length ? `account ${narrowed.join(", ")}` : "any account"} ` +
        `(no aws:SourceAccount or aws:SourceArn of this account)`
    );
}

export const resourcePolicyCrossAccountNarrowed = resourcePolicy(
    {
        name: "resource-policy-cross-account-narrowed",
        summary:
            "Bucket, ECR, SNS, event bus, secret and queue policies let another account in only for exact roles (aws:PrincipalArn of that account), and AWS services only for this account (aws:SourceAccount or aws:SourceArn).",
        severity: "high",
        nist: ["AC-3", "AC-6"],
    },
    onResourcePolicies((args, statements, own, report) => {
        statements.forEach((s, i) => {
            if (!isAllow(s) || isPublicPrincipal(s.Principal) || s.NotPrincipal !== undefined) return;
            const why = overlyBroad(s, i, own);
            if (why) {
                report(
                    `${kindOf(args.type)} "${args.name}": ${why}; required: ArnEquals aws:PrincipalArn with the exact ` +
                        `caller roles of that account; fix: add the condition or name the roles as principals.`,
                );
            }
            const deputy = serviceNotNarrowed(s, i, own);
            if (deputy) {
                report(
                    `${kindOf(args.type)} "${args.name}": ${deputy}; required: StringEquals aws:SourceAccount with this ` +
                        `account or ArnEquals aws:SourceArn with its resources; fix: add the condition.`,
                );
            }
        });
    }),
);

export const resourcePolicyPolicies = [resourcePolicyNotPublic, resourcePolicyCrossAccountNarrowed];
