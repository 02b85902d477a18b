/**
 * The regions of the two partitions this project deploys to. Source: AWS's list of Regions
 * (https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html), the same as the `Region`
 * enum of @pulumi/aws 7.48.0 for these partitions (a test checks the two agree). A region that AWS opens later
 * is added here: a list, not a pattern, so that `us-west-3` or `eu-east-1` is refused before anything is
 * registered instead of failing at deploy.
 */
export const REGIONS = {
    aws: [
        "af-south-1",
        "ap-east-1",
        "ap-east-2",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-south-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-6",
        "ap-southeast-7",
        "ca-central-1",
        "ca-west-1",
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "il-central-1",
        "me-central-1",
        "me-south-1",
        "mx-central-1",
        "sa-east-1",
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
    ],
    "aws-us-gov": ["us-gov-east-1", "us-gov-west-1"],
} as const;

export type PartitionName = keyof typeof REGIONS;
export const PARTITIONS = Object.keys(REGIONS) as PartitionName[];

/** The partition a region belongs to, or undefined for regions this project does not support. */
export function partitionOfRegion(region: string): PartitionName | undefined {
    return PARTITIONS.find((p) => (REGIONS[p] as readonly string[]).includes(region));
}
