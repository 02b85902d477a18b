/**
 * What the AWS provider's data sources answer about a region, as data rather than a formula: its partition, the
 * partition's DNS names, and the region's Availability Zones. The zones are the names AWS's CloudFormation
 * validator (@aws/cloudformation-validate, a test reads its bundled list) gives each region; AWS documents that
 * in some older regions an account sees only some of them ("Availability Zones ... may differ for each AWS
 * account", `aws ec2 describe-availability-zones`), so a real account can answer with fewer. GovCloud: three
 * zones in each Region, us-gov-west-1a/b/c and us-gov-east-1a/b/c (AWS GovCloud (US) User Guide).
 */

/** DNS names per partition (AWS SDK partition data: China's suffix differs, GovCloud keeps amazonaws.com). */
export const PARTITION_DNS: Readonly<Record<string, { dnsSuffix: string; reverseDnsPrefix: string }>> = {
    aws: { dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" },
    "aws-us-gov": { dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" },
    "aws-cn": { dnsSuffix: "amazonaws.com.cn", reverseDnsPrefix: "cn.com.amazonaws" },
};

interface RegionFacts {
    readonly partition: string;
    /** Zone letters: each zone is named by the region followed by its letter. */
    readonly zones: string;
}

const commercial = (zones: string): RegionFacts => ({ partition: "aws", zones });

export const REGION_FACTS: Readonly<Record<string, RegionFacts>> = {
    "af-south-1": commercial("abc"),
    "ap-east-1": commercial("abc"),
    "ap-east-2": commercial("abc"),
    "ap-northeast-1": commercial("abcd"),
    "ap-northeast-2": commercial("abcd"),
    "ap-northeast-3": commercial("abc"),
    "ap-south-1": commercial("abc"),
    "ap-south-2": commercial("abc"),
    "ap-southeast-1": commercial("abc"),
    "ap-southeast-2": commercial("abc"),
    "ap-southeast-3": commercial("abc"),
    "ap-southeast-4": commercial("abc"),
    "ap-southeast-5": commercial("abc"),
    "ap-southeast-6": commercial("abc"),
    "ap-southeast-7": commercial("abc"),
    "ca-central-1": commercial("abcd"),
    "ca-west-1": commercial("abc"),
    "eu-central-1": commercial("abc"),
    "eu-central-2": commercial("abc"),
    "eu-north-1": commercial("abc"),
    "eu-south-1": commercial("abc"),
    "eu-south-2": commercial("abc"),
    "eu-west-1": commercial("abc"),
    "eu-west-2": commercial("abc"),
    "eu-west-3": commercial("abc"),
    "il-central-1": commercial("abc"),
    "me-central-1": commercial("abc"),
    "me-south-1": commercial("abc"),
    "mx-central-1": commercial("abc"),
    "sa-east-1": commercial("abc"),
    "us-east-1": commercial("abcdef"),
    "us-east-2": commercial("abc"),
    "us-west-1": commercial("ac"),
    "us-west-2": commercial("abcd"),
    "us-gov-east-1": { partition: "aws-us-gov", zones: "abc" },
    "us-gov-west-1": { partition: "aws-us-gov", zones: "abc" },
    "cn-north-1": { partition: "aws-cn", zones: "abc" },
    "cn-northwest-1": { partition: "aws-cn", zones: "abc" },
};

/** The Availability Zone names of a region, or undefined for a region the table does not hold. */
export function zoneNames(region: string): string[] | undefined {
    const facts = REGION_FACTS[region];
    return facts && [...facts.zones].map((letter) => `${region}${letter}`);
}

/**
 * The real provider's check of the caller's account once it knows it: "AWS account ID not allowed: <id>" when
 * allowedAccountIds is set and does not hold it, or forbiddenAccountIds does (terraform-provider-aws,
 * internal/conns, VerifyAccountIDAllowed; Pulumi's aws provider runs it at Configure).
 */
export function accountRefusal(
    caller: string,
    allowed: readonly string[],
    forbidden: readonly string[] = [],
): string | undefined {
    const refused = (allowed.length > 0 && !allowed.includes(caller)) || forbidden.includes(caller);
    return refused ? `AWS account ID not allowed: ${caller}` : undefined;
}

/** A list-valued provider input as the engine hands it: an array, or its JSON text (`allowedAccountIds`). */
export function listInput(value: unknown): string[] {
    if (Array.isArray(value)) return value.map(String);
    if (typeof value === "string" && value.startsWith("[")) return (JSON.parse(value) as unknown[]).map(String);
    return [];
}

/**
 * The account check of one aws provider, as the real provider makes it at Configure: the caller is the account the
 * credentials belong to (`callerAccount`), else the provider's pinned account (the first of allowedAccountIds).
 */
export function providerAccountRefusal(inputs: Record<string, unknown>, callerAccount?: string): string | undefined {
    const allowed = listInput(inputs.allowedAccountIds);
    const caller = callerAccount ?? allowed[0];
    return caller ? accountRefusal(caller, allowed, listInput(inputs.forbiddenAccountIds)) : undefined;
}
