import { expect } from "chai";
import { isCompatible } from "../engine/cli";
import { importedFolders, previewArgs, requiredPlugins } from "../engine/preview";
import { configFailures, placementOf } from "../engine/providers/aws";
import { planSubnets } from "../engine/providers/awsx";
import { answerInvoke } from "../offline/runtime/awsAnswers";

describe("real-engine preview parts", () => {
    it("hands the engine as JavaScript exactly the folders the program and the policy pack import", () => {
        expect(importedFolders()).to.deep.equal(["components", "domain", "policy-pack", "stacks", "targets"]);
    });

    it("uses a pulumi on PATH of the locked major version, not older than the lockfile's", () => {
        expect(isCompatible("3.248.0", "3.248.0")).to.equal(true);
        expect(isCompatible("v3.250.1", "3.248.0")).to.equal(true);
        expect(isCompatible("3.248.1-dev.0", "3.248.0")).to.equal(true);
        expect(isCompatible("3.247.9", "3.248.0")).to.equal(false);
        expect(isCompatible("4.0.0", "3.248.0")).to.equal(false);
    });

    it("installs a stand-in for every resource plugin the installed packages require", () => {
        expect(requiredPlugins().map((p) => `${p.name}@${p.version}`)).to.deep.equal([
            "aws@7.48.0",
            "awsx@3.9.0",
            "docker@3.6.1", // awsx's docker-classic alias
            "docker@4.11.2",
            "docker-build@0.0.14",
        ]);
    });

    it("runs the command users run, with the stack's policy config", () => {
        expect(previewArgs("prod")).to.deep.equal([
            "preview",
            "--stack",
            "prod",
            "--policy-pack",
            "policy-pack",
            "--policy-pack-config",
            "policy-pack/config/prod.json",
            "--non-interactive",
            "--diff",
        ]);
        expect(previewArgs("dev", undefined, "json").at(-1)).to.equal("--json");
    });

    it("the aws stand-in refuses a provider config the real provider refuses before calling AWS", () => {
        expect(configFailures({ region: "us-gov-west-1", allowedAccountIds: ["271828182845"] })).to.deep.equal([]);
        expect(configFailures({ allowedAccountIds: '["27182818284"]' })).to.deep.equal([
            {
                property: "region",
                reason: "Missing region: set aws:region in the stack file or the region of the explicit provider.",
            },
            { property: "allowedAccountIds", reason: '"27182818284" is not a 12-digit AWS account id' },
        ]);
        expect(placementOf({ region: "us-gov-east-1", allowedAccountIds: '["314159265358"]' })).to.deep.equal({
            region: "us-gov-east-1",
            account: "314159265358",
        });
        expect(placementOf({ region: "us-gov-east-1" })).to.equal(undefined);
    });

    it("answers data sources for the pinned account and region, and nothing else", () => {
        const at = { region: "us-gov-west-1", account: "314159265358" };
        expect(answerInvoke("aws:index/getPartition:getPartition", at)).to.deep.equal({
            id: "aws-us-gov",
            partition: "aws-us-gov",
            dnsSuffix: "amazonaws.com",
            reverseDnsPrefix: "com.amazonaws",
        });
        expect(answerInvoke("aws:index/getCallerIdentity:getCallerIdentity", at)).to.include({
            accountId: "314159265358",
            arn: "arn:aws-us-gov:iam::314159265358:root",
        });
        expect(answerInvoke("aws:index/getPartition:getPartition", { ...at, region: "cn-north-1" })).to.include({
            partition: "aws-cn",
            dnsSuffix: "amazonaws.com.cn",
        });
        expect(answerInvoke("aws:ec2/getVpc:getVpc", at)).to.equal(undefined);
    });

    it("lays out subnets as awsx's Auto strategy does: a block per zone, the zone's subnets in spec order", () => {
        const zones = ["us-gov-west-1a", "us-gov-west-1b"];
        const specs = [{ type: "Public" as const }, { type: "Private" as const }];
        expect(planSubnets("dev-network-vpc", "10.0.0.0/16", zones, specs)).to.deep.equal([
            {
                name: "dev-network-vpc-public-1",
                type: "Public",
                zone: zones[0],
                zoneIndex: 0,
                cidrBlock: "10.0.0.0/18",
            },
            {
                name: "dev-network-vpc-private-1",
                type: "Private",
                zone: zones[0],
                zoneIndex: 0,
                cidrBlock: "10.0.64.0/18",
            },
            {
                name: "dev-network-vpc-public-2",
                type: "Public",
                zone: zones[1],
                zoneIndex: 1,
                cidrBlock: "10.0.128.0/18",
            },
            {
                name: "dev-network-vpc-private-2",
                type: "Private",
                zone: zones[1],
                zoneIndex: 1,
                cidrBlock: "10.0.192.0/18",
            },
        ]);
        expect(planSubnets("v", "10.20.0.0/20", ["a", "b", "c"], specs).map((s) => s.cidrBlock)).to.deep.equal([
            "10.20.0.0/23",
            "10.20.2.0/23",
            "10.20.4.0/23",
            "10.20.6.0/23",
            "10.20.8.0/23",
            "10.20.10.0/23",
        ]);
        expect(() => planSubnets("v", "10.0.0.0/16", zones, [{ type: "Public", cidrMask: 24 }])).to.throw(
            "stand-in awsx: subnet specs with cidrMask, size or cidrBlocks are not emulated",
        );
    });
});
