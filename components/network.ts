import * as aws from "@pulumi/aws";
// The ec2 module alone: the package root also loads the classic, ECS and load balancer components.
import * as awsxEc2 from "@pulumi/awsx/ec2";
import * as pulumi from "@pulumi/pulumi";
import { EnvironmentName } from "../domain/config";
import { DEFAULT_VPC_CIDR } from "../domain/defaults";
import { ENVIRONMENT_TRAITS } from "../domain/environments";
import { formatArn, logGroupArn } from "../domain/naming";
import { serviceTrustPolicy } from "./policyDocuments";

/** CIDR of a new VPC (stated once, in domain/defaults.ts, for the config too). */
export { DEFAULT_VPC_CIDR };
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

/** The service principal that delivers VPC flow logs (the same in GovCloud). */
export const FLOW_LOGS_SERVICE = "vpc-flow-logs.amazonaws.com";
/** Flow log records of all traffic, accepted and rejected (FSBP EC2.6 asks for at least rejected traffic). */
export const FLOW_LOG_TRAFFIC_TYPE = "ALL";
/** Seconds over which flow records are aggregated: the shortest interval AWS offers. */
export const FLOW_LOG_AGGREGATION_SECONDS = 60;
/** Log groups of the flow logs are `/vpc/flow-logs/<component name>`. */
export const FLOW_LOG_GROUP_PREFIX = "/vpc/flow-logs/";
/** What the delivery role does in its log group (VPC user guide, IAM role for publishing flow logs). */
export const FLOW_LOG_DELIVERY_ACTIONS = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"];

/** Where the flow logs of a created VPC go: a KMS-encrypted log group of this account. */
export interface FlowLogSettings {
    /** Partition of the stack, for the ARNs of the trust conditions. Required. */
    readonly partition: string;
    /** The stack's region. Required. */
    readonly region: string;
    /** The stack's account. Required. */
    readonly accountId: string;
    /** KMS key of the log group (its policy must let CloudWatch Logs of this account use it). Required. */
    readonly kmsKeyArn: pulumi.Input<string>;
    /** Retention of the flow log records, days (a CloudWatch Logs period). Required. */
    readonly retentionInDays: number;
}

/**
 * Trust of the flow-log delivery role: the VPC flow logs service, for flow logs of this account and region only
 * (confused-deputy guard with aws:SourceAccount and aws:SourceArn, as the VPC user guide's
 * https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html shows).
 */
export function flowLogTrustPolicy(partition: string, region: string, accountId: string): aws.iam.PolicyDocument {
    return serviceTrustPolicy(FLOW_LOGS_SERVICE, {
        sourceArn: formatArn({ partition, service: "ec2", region, accountId, resource: "vpc-flow-log/*" }),
        sourceAccount: accountId,
    });
}

/** The delivery role's permissions: write streams of its one log group, nothing else. */
export function flowLogDeliveryPolicy(logGroupArn: string): aws.iam.PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "DeliverFlowLogs",
                Effect: "Allow",
                Action: [...FLOW_LOG_DELIVERY_ACTIONS],
                Resource: [logGroupArn, `${logGroupArn}:log-stream:*`],
            },
        ],
    };
}

export interface ServiceNetworkArgs {
    /** Use this VPC instead of creating one. Default: create a VPC. */
    readonly existing?: ExistingVpc;
    /** CIDR of the created VPC. Default DEFAULT_VPC_CIDR (10.0.0.0/16). Ignored with `existing`. */
    readonly cidrBlock?: string;
    /** NAT gateways of the created VPC. Default "Single"; see natGatewaysFor. Ignored with `existing`. */
    readonly natGateways?: NatGateways;
    /** Flow logs of the created VPC (FSBP EC2.6). Default: none. Ignored with `existing` (its owner logs it). */
    readonly flowLogs?: FlowLogSettings;
}

/** dev and qa share one NAT gateway; stage and prod get one per zone so a zone outage keeps egress. */
export function natGatewaysFor(env: EnvironmentName): NatGateways {
    return ENVIRONMENT_TRAITS[env].natGateways;
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

/** A flow log of the whole VPC into its own KMS-encrypted log group, delivered by a role of its own. */
export function vpcFlowLogs(
    name: string,
    vpcId: pulumi.Input<string>,
    settings: FlowLogSettings,
    parent: pulumi.Resource,
): aws.ec2.FlowLog {
    const logGroup = new aws.cloudwatch.LogGroup(
        `${name}-flow-logs`,
        {
            name: `${FLOW_LOG_GROUP_PREFIX}${name}`,
            retentionInDays: settings.retentionInDays,
            kmsKeyId: settings.kmsKeyArn,
        },
        { parent },
    );
    // Known at preview: the log group's ARN from its name.
    const groupArn = logGroupArn(
        settings.partition,
        settings.region,
        settings.accountId,
        `${FLOW_LOG_GROUP_PREFIX}${name}`,
    );
    const role = new aws.iam.Role(
        `${name}-flow-logs-role`,
        {
            description: `VPC flow logs of ${name} into their log group`,
            assumeRolePolicy: pulumi.jsonStringify(
                flowLogTrustPolicy(settings.partition, settings.region, settings.accountId),
            ),
        },
        { parent },
    );
    const policy = new aws.iam.RolePolicy(
        `${name}-flow-logs-policy`,
        {
            role: role.id,
            policy: pulumi.jsonStringify(flowLogDeliveryPolicy(groupArn)),
        },
        { parent },
    );
    return new aws.ec2.FlowLog(
        `${name}-flow-log`,
        {
            vpcId,
            trafficType: FLOW_LOG_TRAFFIC_TYPE,
            logDestinationType: "cloud-watch-logs",
            logDestination: groupArn,
            iamRoleArn: role.arn,
            maxAggregationInterval: FLOW_LOG_AGGREGATION_SECONDS,
        },
        { parent, dependsOn: [logGroup, policy] },
    );
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
            if (args.flowLogs) vpcFlowLogs(name, vpc.vpcId, args.flowLogs, this);
        }
        this.registerOutputs({
            vpcId: this.vpcId,
            privateSubnetIds: this.privateSubnetIds,
            publicSubnetIds: this.publicSubnetIds,
        });
    }
}
