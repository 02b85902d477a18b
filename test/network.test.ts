import * as aws from "@pulumi/aws";
import { expect } from "chai";
import { natGatewaysFor, ServiceNetwork, ServiceNetworkArgs } from "../components/network";
import * as pulumi from "@pulumi/pulumi";
import { runStack } from "../offline/runtime/mockRuntime";

const PRIVATE = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"];
const PUBLIC = ["subnet-0a1b2c3d4e5f60003", "subnet-0a1b2c3d4e5f60004"];

async function plan(args: ServiceNetworkArgs) {
    let outputs: Record<string, unknown> = {};
    const run = await runStack("dev", async () => {
        const provider = new aws.Provider("aws", { region: "us-gov-west-1" });
        const net = new ServiceNetwork("svc-net", args, { provider });
        // Not awaited: a remote component's outputs settle only when the run completes.
        pulumi
            .all([net.vpcId, net.privateSubnetIds, net.publicSubnetIds])
            .apply(
                ([vpcId, privateSubnetIds, publicSubnetIds]) =>
                    (outputs = { vpcId, privateSubnetIds, publicSubnetIds }),
            );
    });
    if (run.error) throw run.error;
    return { run, outputs };
}

describe("ServiceNetwork", () => {
    it("passes an existing VPC through without creating or looking up anything", async () => {
        const { run, outputs } = await plan({
            existing: { vpcId: "vpc-0123456789abcdef0", privateSubnetIds: PRIVATE, publicSubnetIds: PUBLIC },
        });
        expect(outputs).to.deep.equal({
            vpcId: "vpc-0123456789abcdef0",
            privateSubnetIds: PRIVATE,
            publicSubnetIds: PUBLIC,
        });
        expect(run.resources.map((r) => r.type)).to.deep.equal([
            "pulumi:providers:aws",
            "devsecops:network:ServiceNetwork",
        ]);
        expect(run.calls).to.deep.equal([]);
    });

    for (const [env, strategy] of [
        ["dev", "Single"],
        ["qa", "Single"],
        ["stage", "OnePerAz"],
        ["prod", "OnePerAz"],
    ] as const) {
        it(`creates a two-zone awsx VPC with private subnets behind NAT (${env}: ${strategy})`, async () => {
            expect(natGatewaysFor(env)).to.equal(strategy);
            const { run } = await plan({ cidrBlock: "10.20.0.0/16", natGateways: natGatewaysFor(env) });
            const vpcs = run.resources.filter((r) => r.type === "awsx:ec2:Vpc");
            expect(vpcs).to.have.length(1);
            expect(vpcs[0].remote).to.equal(true);
            expect(vpcs[0].name).to.equal("svc-net-vpc");
            expect(vpcs[0].inputs).to.deep.equal({
                cidrBlock: "10.20.0.0/16",
                numberOfAvailabilityZones: 2,
                subnetStrategy: "Auto",
                subnetSpecs: [{ type: "Public" }, { type: "Private" }],
                natGateways: { strategy },
                enableDnsHostnames: true,
                enableDnsSupport: true,
            });
            const component = run.resources.find((r) => r.type === "devsecops:network:ServiceNetwork")!;
            expect(vpcs[0].parent).to.equal(component.urn);
        });
    }

    it("defaults to 10.0.0.0/16 with a single NAT gateway", async () => {
        const { run } = await plan({});
        const vpc = run.resources.find((r) => r.type === "awsx:ec2:Vpc")!;
        expect([vpc.inputs.cidrBlock, vpc.inputs.natGateways]).to.deep.equal(["10.0.0.0/16", { strategy: "Single" }]);
    });

    const FLOW_LOGS = {
        partition: "aws-us-gov",
        region: "us-gov-west-1",
        accountId: "271828182845",
        kmsKeyArn: "arn:aws-us-gov:kms:us-gov-west-1:271828182845:key/0f0e0d0c-0b0a-0908-0706-050403020100",
        retentionInDays: 365,
    };

    it("sends all traffic of a created VPC to a KMS-encrypted log group through a role of its own", async () => {
        const { run } = await plan({ cidrBlock: "10.20.0.0/16", flowLogs: FLOW_LOGS });
        const component = run.resources.find((r) => r.type === "devsecops:network:ServiceNetwork")!;
        const ofType = (t: string) => run.resources.filter((r) => r.type === t);
        const [logGroup] = ofType("aws:cloudwatch/logGroup:LogGroup");
        expect(logGroup.inputs).to.deep.equal({
            name: "/vpc/flow-logs/svc-net",
            retentionInDays: 365,
            kmsKeyId: FLOW_LOGS.kmsKeyArn,
        });
        const [role] = ofType("aws:iam/role:Role");
        expect(JSON.parse(role.inputs.assumeRolePolicy)).to.deep.equal({
            Version: "2012-10-17",
            Statement: [
                {
                    Effect: "Allow",
                    Principal: { Service: "vpc-flow-logs.amazonaws.com" },
                    Action: "sts:AssumeRole",
                    Condition: {
                        ArnLike: { "aws:SourceArn": "arn:aws-us-gov:ec2:us-gov-west-1:271828182845:vpc-flow-log/*" },
                        StringEquals: { "aws:SourceAccount": "271828182845" },
                    },
                },
            ],
        });
        const [policy] = ofType("aws:iam/rolePolicy:RolePolicy");
        const groupArn = "arn:aws-us-gov:logs:us-gov-west-1:271828182845:log-group:/vpc/flow-logs/svc-net";
        expect(JSON.parse(policy.inputs.policy)).to.deep.equal({
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "DeliverFlowLogs",
                    Effect: "Allow",
                    Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    Resource: [groupArn, `${groupArn}:log-stream:*`],
                },
            ],
        });
        const [flowLog] = ofType("aws:ec2/flowLog:FlowLog");
        expect(flowLog.inputs).to.deep.equal({
            vpcId: "vpc-" + flowLog.inputs.vpcId.slice(4),
            trafficType: "ALL",
            logDestinationType: "cloud-watch-logs",
            logDestination: groupArn,
            iamRoleArn: role.state.arn,
            maxAggregationInterval: 60,
        });
        expect(flowLog.inputs.vpcId).to.match(/^vpc-[0-9a-f]{17}$/);
        expect(flowLog.dependencies).to.include(policy.urn);
        for (const r of [logGroup, role, policy, flowLog]) expect(r.parent).to.equal(component.urn);
    });

    it("adds no flow log to an existing VPC (its owner logs it)", async () => {
        const { run } = await plan({
            existing: { vpcId: "vpc-0123456789abcdef0", privateSubnetIds: PRIVATE, publicSubnetIds: PUBLIC },
            flowLogs: FLOW_LOGS,
        });
        expect(run.resources.filter((r) => r.type === "aws:ec2/flowLog:FlowLog")).to.deep.equal([]);
    });

    it("rejects an existing VPC with fewer than two subnets of a kind", async () => {
        const run = await runStack("dev", async () => {
            new ServiceNetwork("svc-net", {
                existing: {
                    vpcId: "vpc-0123456789abcdef0",
                    privateSubnetIds: PRIVATE.slice(0, 1),
                    publicSubnetIds: PUBLIC,
                },
            });
        });
        expect(run.error?.message).to.equal(
            "ServiceNetwork svc-net: existing VPC vpc-0123456789abcdef0 has 1 private and 2 public subnets, " +
                "expected at least two of each (two availability zones)",
        );
        expect(run.resources).to.deep.equal([]);
    });
});
