import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { accountRefusal, REGION_FACTS, zoneNames } from "../awsFacts/regions";
import { REGIONS } from "../domain/regions";
import { answerInvoke } from "../offline/runtime/awsAnswers";

/** The validator's module, which carries the zone names it knows per region as plain text. */
const BUNDLE = fs.readFileSync(
    path.join(path.dirname(require.resolve("@aws/cloudformation-validate/package.json")), "bindings_wasm_bg.wasm"),
    "latin1",
);

describe("per-region answers from data", () => {
    it("holds every region the project supports", () => {
        expect(
            Object.keys(REGION_FACTS)
                .filter((r) => !r.startsWith("cn-"))
                .sort(),
        ).to.deep.equal([...REGIONS.aws, ...REGIONS["aws-us-gov"]].sort());
        for (const [partition, regions] of Object.entries(REGIONS)) {
            for (const r of regions) expect(REGION_FACTS[r].partition, r).to.equal(partition);
        }
    });

    it("each region's zones are the ones AWS's CloudFormation validator lists for it, no more and no fewer", () => {
        for (const region of Object.keys(REGION_FACTS)) {
            const names = zoneNames(region)!.join("");
            const listed = new RegExp(`(?:${region.replace(/-/g, "\\-")}[a-z])+`, "g");
            const longest = (BUNDLE.match(listed) ?? []).sort((a, b) => b.length - a.length)[0];
            expect(longest, region).to.equal(names);
        }
    });

    it("GovCloud has zones a, b and c in each region; commercial regions differ", () => {
        const zones = (region: string) =>
            answerInvoke("aws:index/getAvailabilityZones:getAvailabilityZones", { region, account: "111111111111" })!
                .names;
        expect(zones("us-gov-west-1")).to.deep.equal(["us-gov-west-1a", "us-gov-west-1b", "us-gov-west-1c"]);
        expect(zones("us-gov-east-1")).to.deep.equal(["us-gov-east-1a", "us-gov-east-1b", "us-gov-east-1c"]);
        expect(zones("us-east-1")).to.have.length(6);
        expect(zones("us-west-1")).to.deep.equal(["us-west-1a", "us-west-1c"]);
        expect(
            answerInvoke("aws:index/getAvailabilityZones:getAvailabilityZones", {
                region: "xx-nowhere-1",
                account: "1",
            }),
        ).to.equal(undefined);
    });

    it("partition and DNS names per partition", () => {
        const partition = (region: string) =>
            answerInvoke("aws:index/getPartition:getPartition", { region, account: "111111111111" });
        expect(partition("us-gov-west-1")).to.deep.include({ partition: "aws-us-gov", dnsSuffix: "amazonaws.com" });
        expect(partition("cn-north-1")).to.deep.include({
            partition: "aws-cn",
            dnsSuffix: "amazonaws.com.cn",
            reverseDnsPrefix: "cn.com.amazonaws",
        });
    });

    it("the account check as the real provider prints it", () => {
        expect(accountRefusal("111111111111", ["111111111111"])).to.equal(undefined);
        expect(accountRefusal("222222222222", ["111111111111"])).to.equal("AWS account ID not allowed: 222222222222");
        expect(accountRefusal("222222222222", [], ["222222222222"])).to.equal(
            "AWS account ID not allowed: 222222222222",
        );
        expect(accountRefusal("222222222222", [])).to.equal(undefined);
    });
});
