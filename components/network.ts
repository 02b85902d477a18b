// The ec2 module alone: the package root also loads the classic, ECS and load balancer components.
import * as awsxEc2 from "@pulumi/awsx/ec2";
import * as pulumi from "@pulumi/pulumi";
import { EnvironmentName } from "../domain/config";

/** CIDR of a new VPC. */
export const DEFAULT_VPC_CIDR = "10.0.0.0/16";
/** Zones of a new VPC: the load balancer and the service need two. */
export const AVAILABILITY_ZONES = 2;

/** One NAT gateway for the VPC (cheap, one zone's outage cuts egress) or one per zone (highly available). */
export type NatGateways = "Single" | "OnePerAz";

/** An existing VPC, passed through as is (nothing is looked up). */
export interface ExistingVpc {
    readonly vpcId: string;
    /** At least two, in different zones: the tasks. */
    readonly privateSubnetIds: readonly string[];
    /** At least two, in different zones: the load balancer. */
    readonly publicSubnetIds: readonly string[];
}

export interface ServiceNetworkArgs {
    /** Use this VPC instead of creating one. Default: create a VPC. */
    readonly existing?: ExistingVpc;
    /** CIDR of the created VPC. Default DEFAULT_VPC_CIDR (10.0.0.0/16). Ignored with `existing`. */
    readonly cidrBlock?: string;
    /** NAT gateways of the created VPC. Default "Single"; see natGatewaysFor. Ignored with `existing`. */
    readonly natGateways?: NatGateways;
}

/** dev and qa share one NAT gateway; stage and prod get one per zone so a zone outage keeps egress. */
export function natGatewaysFor(env: EnvironmentName): NatGateways {
    return env === "stage" || env === "prod" ? "OnePerAz" : "Single";
}

/** The awsx VPC arguments for a new VPC: two zones, public and private subnets, NAT for the private ones. */
export function newVpcArgs(cidrBlock: string, natGateways: NatGateways): awsxEc2.VpcArgs {
    return {
        cidrBlock,
        numberOfAvailabilityZones: AVAILABILITY_ZONES,
        subnetStrategy: "Auto",
        subnetSpecs: [{ type: "Public" }, { type: "Private" }],
        natGateways: { strategy: natGateways },
        enableDnsHostnames: true,
        enableDnsSupport: true,
    };
}

/**
 * The network a service runs in: an existing VPC from config, or a new awsx VPC. awsx v3 is a provider-side
 * component, so under mocks the new VPC is one opaque resource whose arguments are what tests can check.
 */
export class ServiceNetwork extends pulumi.ComponentResource {
    public readonly vpcId: pulumi.Output<string>;
    public readonly privateSubnetIds: pulumi.Output<string[]>;
    public readonly publicSubnetIds: pulumi.Output<string[]>;

    constructor(name: string, args: ServiceNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        const existing = args.existing;
        if (existing && (existing.privateSubnetIds.length < 2 || existing.publicSubnetIds.length < 2)) {
            throw new Error(
                `ServiceNetwork ${name}: existing VPC ${existing.vpcId} has ${existing.privateSubnetIds.length} private and ` +
                    `${existing.publicSubnetIds.length} public subnets, expected at least two of each (two availability zones)`,
            );
        }
        super("devsecops:network:ServiceNetwork", name, {}, opts);

        if (existing) {
            this.vpcId = pulumi.output(existing.vpcId);
            this.privateSubnetIds = pulumi.output([...existing.privateSubnetIds]);
            this.publicSubnetIds = pulumi.output([...existing.publicSubnetIds]);
        } else {
            const vpc = new awsxEc2.Vpc(
                `${name}-vpc`,
                newVpcArgs(args.cidrBlock ?? DEFAULT_VPC_CIDR, args.natGateways ?? "Single"),
                { parent: this },
            );
            this.vpcId = vpc.vpcId;
            this.privateSubnetIds = vpc.privateSubnetIds;
            this.publicSubnetIds = vpc.publicSubnetIds;
        }
        this.registerOutputs({
            vpcId: this.vpcId,
            privateSubnetIds: this.privateSubnetIds,
            publicSubnetIds: this.publicSubnetIds,
        });
    }
}
