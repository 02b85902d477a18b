import * as pulumi from "@pulumi/pulumi";
import type { PolicyResource } from "@pulumi/policy";
import {
    AWS_PROVIDER_TYPE,
    known,
    parseJsonish,
    providerSettings,
    stackConfig,
    stackPolicy,
    stackProvider,
} from "./common";

/** Tags every taggable resource carries (through the provider's defaultTags or its own `tags`). */
export const REQUIRED_TAGS = ["Project", "Environment", "CostCenter", "Owner", "ManagedBy"];

/**
 * The taggable resource types this project uses. A resource is also taggable when its props include `tags`.
 * Components, providers and settings resources (bucket policies, aliases, role policies, targets) are not.
 */
export const TAGGABLE_TYPES = [
    "aws:s3/bucket:Bucket",
    "aws:kms/key:Key",
    "aws:iam/role:Role",
    "aws:iam/policy:Policy",
    "aws:iam/user:User",
    "aws:codecommit/repository:Repository",
    "aws:codebuild/project:Project",
    "aws:codepipeline/pipeline:Pipeline",
    "aws:ecr/repository:Repository",
    "aws:ecs/cluster:Cluster",
    "aws:ecs/service:Service",
    "aws:ecs/taskDefinition:TaskDefinition",
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:cloudwatch/eventRule:EventRule",
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:sns/topic:Topic",
    "aws:secretsmanager/secret:Secret",
    "aws:codestarnotifications/notificationRule:NotificationRule",
    "aws:ec2/vpc:Vpc",
    "aws:ec2/subnet:Subnet",
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/natGateway:NatGateway",
    "aws:ec2/eip:Eip",
    "aws:ec2/routeTable:RouteTable",
    "aws:ec2/vpcEndpoint:VpcEndpoint",
    "aws:lb/loadBalancer:LoadBalancer",
    "aws:lb/targetGroup:TargetGroup",
    "aws:lb/listener:Listener",
    "aws:budgets/budget:Budget",
];

function isTaggable(r: PolicyResource): boolean {
    if (!r.type.startsWith("aws:")) return false; // components and providers
    return TAGGABLE_TYPES.includes(r.type) || known(() => r.props.tags) !== undefined;
}

export const requiredTags = stackPolicy(
    {
        name: "required-tags",
        summary: `Every taggable resource carries ${REQUIRED_TAGS.join(", ")} (its own tags merged over the provider's defaultTags).`,
        severity: "low",
        nist: ["CM-8"],
    },
    (args, report) => {
        const fallback = stackProvider(args.resources);
        const taggable = args.resources.filter(isTaggable);
        if (taggable.length === 0) args.notApplicable("no taggable resource in the stack");
        for (const r of taggable) {
            const own = (known(() => r.props.tags) ?? {}) as Record<string, unknown>;
            const tags = { ...providerSettings(r.provider ?? fallback).defaultTags, ...own };
            const missing = REQUIRED_TAGS.filter((t) => typeof tags[t] !== "string" || String(tags[t]).trim() === "");
            if (missing.length > 0) {
                report(
                    `${r.type} "${r.name}" lacks tag${missing.length === 1 ? "" : "s"} ${missing.join(", ")} ` +
                        `(provider defaultTags merged with its tags); required: ${REQUIRED_TAGS.join(", ")}; fix: set ` +
                        `them in aws:defaultTags of the stack file or in the resource's tags.`,
                    r.urn,
                );
            }
        }
    },
);

/** The account of a role ARN. */
const accountOfRole = (arn: string) => /^arn:[\w-]+:iam::(\d{12}):/.exec(arn)?.[1];

export const providerAccountGuard = stackPolicy(
    {
        name: "aws-provider-allowed-account-ids",
        summary:
            "Every AWS provider of the stack pins allowedAccountIds to exactly the stack's own account (its <environment>AccountId config) and assumes no role in another account.",
        severity: "high",
        nist: ["AC-3", "CM-6"],
    },
    (args, report) => {
        const providers = args.resources.filter((r) => r.type === AWS_PROVIDER_TYPE);
        if (providers.length === 0) args.notApplicable("no AWS provider in the stack");
        const own = stackConfig().account;
        // AWS Budgets does not exist in GovCloud: a GovCloud stack keeps its budget in its paired standard account
        // (the stack's budgetBillingAccountId config), through a provider that may hold nothing but budgets.
        const billing = new pulumi.Config(pulumi.getProject()).get("budgetBillingAccountId");
        const onlyBudgets = (p: PolicyResource) => {
            const used = args.resources.filter((r) => r.provider?.urn === p.urn);
            return used.length > 0 && used.every((r) => r.type.startsWith("aws:budgets/"));
        };
        for (const p of providers) {
            const ids = providerSettings(p).allowedAccountIds ?? [];
            const account = billing && onlyBudgets(p) ? billing : own;
            const expected = account ? `["${account}"]` : "exactly the stack's account id";
            const wrong = ids.length === 0 || (account !== undefined && (ids.length !== 1 || ids[0] !== account));
            if (wrong) {
                report(
                    `AWS provider "${p.name}" ${ids.length ? `pins allowedAccountIds ${JSON.stringify(ids)}` : "sets no allowedAccountIds"}; ` +
                        `required: ${expected}; fix: set aws:allowedAccountIds in the stack file (or allowedAccountIds ` +
                        `on the provider) to the stack's own account.`,
                    p.urn,
                );
            }
            const roles = (parseJsonish(known(() => p.props.assumeRoles)) ?? []) as { roleArn?: string }[];
            const foreign = (Array.isArray(roles) ? roles : [])
                .map((r) => String(r?.roleArn ?? ""))
                .filter(
                    (arn) =>
                        account !== undefined && accountOfRole(arn) !== undefined && accountOfRole(arn) !== account,
                );
            if (foreign.length > 0) {
                report(
                    `AWS provider "${p.name}" assumes ${foreign.join(", ")} in another account; required: roles of ` +
                        `the stack's own account ${account}; fix: deploy that account's resources from its own stack.`,
                    p.urn,
                );
            }
        }
    },
);

export const tagPolicies = [requiredTags, providerAccountGuard];
