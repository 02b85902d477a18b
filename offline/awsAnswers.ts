import { partitionOfRegion } from "../domain/config";

/** The account and region a stack's AWS provider is pinned to: what AWS would answer about "who and where". */
export interface AwsPlacement {
    readonly region: string;
    readonly account: string;
}

/** Partition of a region by AWS's naming: GovCloud, China and ISO regions have partitions of their own. */
export function partitionFor(region: string): string {
    if (region.startsWith("cn-")) return "aws-cn";
    if (region.startsWith("us-isob-")) return "aws-iso-b";
    if (region.startsWith("us-iso-")) return "aws-iso";
    return partitionOfRegion(region) ?? (region.startsWith("us-gov-") ? "aws-us-gov" : "aws");
}

/** DNS suffix of a partition (China's differs; GovCloud keeps amazonaws.com). */
export function dnsSuffixFor(partition: string): string {
    return partition === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
}

/**
 * What the AWS provider returns for the data sources the program and awsx call, answered for the provider's own
 * region and account, as both the mock runtime and the engine's stand-in provider see them. Any other token is
 * undefined: nothing is invented for a call this table does not know.
 */
export function answerInvoke(token: string, at: AwsPlacement): Record<string, unknown> | undefined {
    const partition = partitionFor(at.region);
    switch (token) {
        case "aws:index/getPartition:getPartition":
            return {
                id: partition,
                partition,
                dnsSuffix: dnsSuffixFor(partition),
                reverseDnsPrefix: partition === "aws-cn" ? "cn.com.amazonaws" : "com.amazonaws",
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
            const names = ["a", "b", "c"].map((z) => `${at.region}${z}`);
            return { id: at.region, names, zoneIds: [], groupNames: [at.region] };
        }
        default:
            return undefined;
    }
}
