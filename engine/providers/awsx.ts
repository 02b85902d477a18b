/**
 * Stand-in for the `awsx` provider plugin. awsx v3 components are constructed provider-side: the engine sends
 * Construct and the plugin registers the component's children. This stand-in constructs `awsx:ec2:Vpc` as
 * awsx 3.x does for the arguments this program passes (subnetStrategy "Auto", typed subnet specs without sizes):
 * the same child resources, names, parents, inputs and subnet CIDRs, so that the engine, the plan and the policy
 * pack see them. Every output stays unknown at preview, as with the real plugin. Other components and argument
 * forms are refused by name rather than guessed.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PLUGIN_VERSION } from "./plugin";

interface SubnetSpecInput {
    type: "Public" | "Private" | "Isolated";
    name?: string;
    cidrMask?: number;
    size?: number;
    cidrBlocks?: string[];
}

interface VpcInputs {
    cidrBlock?: string;
    numberOfAvailabilityZones?: number;
    availabilityZoneNames?: string[];
    subnetStrategy?: string;
    subnetSpecs?: SubnetSpecInput[];
    natGateways?: { strategy?: "None" | "Single" | "OnePerAz"; elasticIpAllocationIds?: string[] };
    enableDnsHostnames?: boolean;
    enableDnsSupport?: boolean;
    tags?: Record<string, string>;
}

export interface PlannedSubnet {
    readonly name: string;
    readonly type: SubnetSpecInput["type"];
    readonly zone: string;
    readonly zoneIndex: number;
    readonly cidrBlock: string;
}

const ipToInt = (ip: string) => ip.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
const intToIp = (n: number) => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
const newBits = (count: number) => (count === 0 ? 0 : Math.ceil(Math.log2(count)));

/** awsx's "Auto" layout: one block per zone, the zone's subnets in spec order, each the next aligned block. */
export function planSubnets(
    vpcName: string,
    vpcCidr: string,
    zones: string[],
    specs: SubnetSpecInput[],
): PlannedSubnet[] {
    const unsupported = specs.filter((s) => s.cidrMask !== undefined || s.size !== undefined || s.cidrBlocks);
    if (unsupported.length > 0) {
        throw new Error("stand-in awsx: subnet specs with cidrMask, size or cidrBlocks are not emulated");
    }
    const [base, bits] = vpcCidr.split("/");
    const zoneBits = Number(bits) + newBits(zones.length);
    const subnetBits = zoneBits + newBits(specs.length);
    const zoneSize = 2 ** (32 - zoneBits);
    const subnetSize = 2 ** (32 - subnetBits);
    const start = ipToInt(base) - (ipToInt(base) % zoneSize);
    const planned: PlannedSubnet[] = [];
    zones.forEach((zone, zoneIndex) => {
        specs.forEach((spec, specIndex) => {
            const address = start + zoneIndex * zoneSize + specIndex * subnetSize;
            planned.push({
                name: `${vpcName}-${spec.name ?? spec.type.toLowerCase()}-${zoneIndex + 1}`,
                type: spec.type,
                zone,
                zoneIndex,
                cidrBlock: `${intToIp(address)}/${subnetBits}`,
            });
        });
    });
    return planned;
}

/** awsx creates public subnets first in each zone, then private, then isolated. */
const TYPE_ORDER: Record<SubnetSpecInput["type"], number> = { Public: 0, Private: 1, Isolated: 2 };

class Vpc extends pulumi.ComponentResource {
    public readonly publicSubnetIds: pulumi.Output<string>[] = [];
    public readonly privateSubnetIds: pulumi.Output<string>[] = [];
    public readonly isolatedSubnetIds: pulumi.Output<string>[] = [];

    public vpcId!: pulumi.Output<string>;

    constructor(name: string, opts: pulumi.ComponentResourceOptions) {
        super("awsx:ec2:Vpc", name, {}, opts);
    }

    /** The children, as awsx's Vpc creates them once it knows the zones. */
    async build(name: string, args: VpcInputs): Promise<void> {
        if (args.availabilityZoneNames && args.numberOfAvailabilityZones) {
            throw new Error("Only one of [availabilityZoneNames] and [numberOfAvailabilityZones] can be specified");
        }
        const zones =
            args.availabilityZoneNames ??
            (await aws.getAvailabilityZones({}, { parent: this })).names.slice(0, args.numberOfAvailabilityZones ?? 3);
        if (args.subnetStrategy !== "Auto") {
            throw new Error(`stand-in awsx: subnetStrategy "${args.subnetStrategy ?? "Legacy"}" is not emulated`);
        }
        const natStrategy = args.natGateways?.strategy ?? "OnePerAz";
        const sharedTags = { Name: name, ...args.tags };
        const cidrBlock = args.cidrBlock ?? "10.0.0.0/16";
        const specs = args.subnetSpecs ?? [{ type: "Private" }, { type: "Public" }];
        const subnets = planSubnets(name, cidrBlock, zones, specs);

        const vpc = new aws.ec2.Vpc(
            name,
            {
                cidrBlock,
                enableDnsHostnames: args.enableDnsHostnames,
                enableDnsSupport: args.enableDnsSupport,
                tags: sharedTags,
            },
            { parent: this },
        );
        const igw = new aws.ec2.InternetGateway(
            name,
            { vpcId: vpc.id, tags: sharedTags },
            { parent: vpc, dependsOn: [vpc] },
        );
        const natGateways: aws.ec2.NatGateway[] = [];

        zones.forEach((_zone, i) => {
            for (const spec of subnets
                .filter((s) => s.zoneIndex === i)
                .sort((a, b) => TYPE_ORDER[a.type] - TYPE_ORDER[b.type])) {
                const subnet = new aws.ec2.Subnet(
                    spec.name,
                    {
                        vpcId: vpc.id,
                        availabilityZone: spec.zone,
                        mapPublicIpOnLaunch: spec.type === "Public",
                        cidrBlock: spec.cidrBlock,
                        tags: { ...sharedTags, Name: spec.name, SubnetType: spec.type },
                    },
                    { parent: vpc, dependsOn: [vpc] },
                );
                ({ Public: this.publicSubnetIds, Private: this.privateSubnetIds, Isolated: this.isolatedSubnetIds })[
                    spec.type
                ].push(subnet.id);
                const routeTable = new aws.ec2.RouteTable(
                    spec.name,
                    { vpcId: vpc.id, tags: { ...sharedTags, Name: spec.name, SubnetType: spec.type } },
                    { parent: subnet, dependsOn: [subnet] },
                );
                new aws.ec2.RouteTableAssociation(
                    spec.name,
                    { routeTableId: routeTable.id, subnetId: subnet.id },
                    { parent: routeTable, dependsOn: [routeTable] },
                );
                const needsNat =
                    spec.type === "Public" &&
                    (natStrategy === "OnePerAz" || (natStrategy === "Single" && natGateways.length === 0));
                if (needsNat) {
                    const eip = new aws.ec2.Eip(
                        `${name}-${i + 1}`,
                        { tags: { ...args.tags, Name: `${name}-${i + 1}` } },
                        { parent: subnet, dependsOn: [subnet] },
                    );
                    natGateways.push(
                        new aws.ec2.NatGateway(
                            `${name}-${i + 1}`,
                            {
                                subnetId: subnet.id,
                                allocationId: eip.allocationId,
                                tags: { ...args.tags, Name: `${name}-${i + 1}` },
                            },
                            { parent: subnet, dependsOn: [subnet] },
                        ),
                    );
                }
                if (spec.type === "Public") {
                    new aws.ec2.Route(
                        spec.name,
                        { routeTableId: routeTable.id, gatewayId: igw.id, destinationCidrBlock: "0.0.0.0/0" },
                        { parent: routeTable, dependsOn: [routeTable] },
                    );
                } else if (spec.type === "Private" && natStrategy !== "None") {
                    const nat = natStrategy === "Single" ? natGateways[0] : natGateways[i];
                    new aws.ec2.Route(
                        spec.name,
                        { routeTableId: routeTable.id, natGatewayId: nat.id, destinationCidrBlock: "0.0.0.0/0" },
                        { parent: routeTable, dependsOn: [routeTable] },
                    );
                }
            }
        });
        this.vpcId = vpc.id;
        this.registerOutputs({});
    }
}

async function constructVpc(name: string, inputs: pulumi.Inputs, options: pulumi.ComponentResourceOptions) {
    // The program passes plain values: they are known even at preview.
    const args = await new Promise<VpcInputs>((resolve) => pulumi.output(inputs).apply((v) => resolve(v as VpcInputs)));
    const vpc = new Vpc(name, options);
    await vpc.build(name, args);
    return {
        urn: vpc.urn,
        state: {
            vpcId: vpc.vpcId,
            publicSubnetIds: vpc.publicSubnetIds,
            privateSubnetIds: vpc.privateSubnetIds,
            isolatedSubnetIds: vpc.isolatedSubnetIds,
        },
    };
}

if (require.main === module) {
    void pulumi.provider.main(
        {
            version: PLUGIN_VERSION,
            async construct(name, type, inputs, options) {
                if (type !== "awsx:ec2:Vpc") throw new Error(`stand-in awsx: ${type} is not emulated`);
                return constructVpc(name, inputs, options);
            },
        },
        process.argv.slice(2),
    );
}
