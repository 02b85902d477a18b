import { PARTITION_DNS, REGION_FACTS, zoneNames } from "../../awsFacts/regions";
import { partitionOfRegion } from "../../domain/config";

/** The account and region a stack's AWS provider is pinned to: what AWS would answer about "who and where". */
export interface AwsPlacement {
    readonly region: string;
    readonly account: string;
}

/** Partition of a region by AWS's naming: GovCloud, China and ISO regions have partitions of their own. */
export function partitionFor(region: string): string {
    if (REGION_FACTS[region]) return REGION_FACTS[region].partition;
    if (region.startsWith("cn-")) return "aws-cn";
    if (region.startsWith("us-isob-")) return "aws-iso-b";
    if (region.startsWith("us-iso-")) return "aws-iso";
    return partitionOfRegion(region) ?? (region.startsWith("us-gov-") ? "aws-us-gov" : "aws");
}

/** DNS suffix of a partition (China's differs; GovCloud keeps amazonaws.com). */
export function dnsSuffixFor(partition: string): string {
    return PARTITION_DNS[partition]?.dnsSuffix ?? "amazonaws.com";
}

/** What exists in the account before the run: by default nothing (a stack that was never deployed). */
export interface AwsWorld {
    /** SSM parameters by name (String values), e.g. what a deploy step recorded. */
    readonly ssmParameters?: Readonly<Record<string, string>>;
    /** The account the credentials belong to; by default the provider's pinned account. */
    readonly callerAccount?: string;
}

/**
 * What the AWS provider returns for the data sources the program and awsx call, answered for the provider's own
 * region and account, as both the mock runtime and the engine's stand-in provider see them. Any other token is
 * undefined: nothing is invented for a call this table does not know.
 */
export function answerInvoke(
    token: string,
    at: AwsPlacement,
    args: Record<string, unknown> = {},
    world: AwsWorld = {},
): Record<string, unknown> | undefined {
    const partition = partitionFor(at.region);
    switch (token) {
        case "aws:index/getPartition:getPartition":
            return {
                id: partition,
                partition,
                dnsSuffix: dnsSuffixFor(partition),
                reverseDnsPrefix: PARTITION_DNS[partition]?.reverseDnsPrefix ?? "com.amazonaws",
            };
        case "aws:index/getCallerIdentity:getCallerIdentity":
            // Without credentials the caller is only known as "someone in the pinned account".
            return {
                id: at.account,
                accountId: at.account,
                arn: `arn:${partition}:iam::${at.account}:root`,
                userId: at.account,
            };
        case "aws:index/getRegion:getRegion":
            return { id: at.region, name: at.region, region: at.region, description: at.region };
        case "aws:index/getAvailabilityZones:getAvailabilityZones": {
            // From the per-region table; a region it does not hold gets no answer rather than an invented one.
            // Zone ids map to names per account, so they are not known without credentials.
            const names = zoneNames(at.region);
            return names && { id: at.region, names, zoneIds: [], groupNames: [at.region] };
        }
        case "aws:ssm/getParametersByPath:getParametersByPath":
            return parametersByPath(args, at, partition, world.ssmParameters ?? {});
        default:
            return undefined;
    }
}

/**
 * GetParametersByPath: the parameters under `path`, one level below it, or every level with `recursive` (SSM
 * API reference). An empty answer when there are none, never an error.
 */
function parametersByPath(
    args: Record<string, unknown>,
    at: AwsPlacement,
    partition: string,
    parameters: Readonly<Record<string, string>>,
): Record<string, unknown> {
    const path = String(args.path ?? "").replace(/\/$/, "");
    const names = Object.keys(parameters)
        .filter((name) => name.startsWith(`${path}/`))
        .filter((name) => args.recursive === true || !name.slice(path.length + 1).includes("/"))
        .sort();
    return {
        id: path,
        path,
        recursive: args.recursive === true,
        withDecryption: args.withDecryption !== false,
        region: at.region,
        arns: names.map((name) => `arn:${partition}:ssm:${at.region}:${at.account}:parameter${name}`),
        names,
        types: names.map(() => "String"),
        values: names.map((name) => parameters[name]),
    };
}
