import { expect } from "chai";
import { planStack, providerAccountRefusals } from "../offline/analysis/plan";
import { providerAccountRefusal } from "../awsFacts/regions";
import type { RecordedResource } from "../offline/runtime/mockRuntime";
import { ACCOUNTS } from "./accounts";

const NS = "devsecops-pipelines";

describe("the account check of the aws provider, offline as the real provider makes it", () => {
    it("refuses a caller outside allowedAccountIds, in either form the engine hands the list", () => {
        const inputs = { region: "us-gov-west-1", allowedAccountIds: JSON.stringify([ACCOUNTS.dev]) };
        expect(providerAccountRefusal(inputs)).to.equal(undefined);
        expect(providerAccountRefusal(inputs, ACCOUNTS.dev)).to.equal(undefined);
        expect(providerAccountRefusal(inputs, ACCOUNTS.prod)).to.equal(`AWS account ID not allowed: ${ACCOUNTS.prod}`);
        expect(providerAccountRefusal({ allowedAccountIds: [ACCOUNTS.qa] }, ACCOUNTS.tool)).to.equal(
            `AWS account ID not allowed: ${ACCOUNTS.tool}`,
        );
        expect(providerAccountRefusal({ forbiddenAccountIds: [ACCOUNTS.qa] }, ACCOUNTS.qa)).to.equal(
            `AWS account ID not allowed: ${ACCOUNTS.qa}`,
        );
        expect(providerAccountRefusal({ region: "us-gov-west-1" }, ACCOUNTS.qa)).to.equal(undefined);
    });

    it("names each aws provider the caller may not use, and no other resource", () => {
        const resource = (urn: string, type: string, inputs: Record<string, unknown>) =>
            ({ urn, type, name: urn.split("::").pop(), inputs }) as unknown as RecordedResource;
        const resources = [
            resource(`urn:pulumi:dev::${NS}::pulumi:providers:aws::aws`, "pulumi:providers:aws", {
                allowedAccountIds: JSON.stringify([ACCOUNTS.dev]),
            }),
            resource(`urn:pulumi:dev::${NS}::pulumi:providers:aws::billing`, "pulumi:providers:aws", {
                allowedAccountIds: JSON.stringify([ACCOUNTS.tool]),
            }),
            resource(`urn:pulumi:dev::${NS}::aws:s3/bucket:Bucket::b`, "aws:s3/bucket:Bucket", {
                allowedAccountIds: JSON.stringify([ACCOUNTS.tool]),
            }),
        ];
        expect(providerAccountRefusals(resources)).to.deep.equal([]);
        expect(providerAccountRefusals(resources, ACCOUNTS.dev)).to.deep.equal([
            `urn:pulumi:dev::${NS}::pulumi:providers:aws::billing: AWS account ID not allowed: ${ACCOUNTS.dev}`,
        ]);
    });

    it("fails the plan of a stack run with another account's credentials, before any policy is evaluated", async () => {
        const plan = await planStack("prod", { world: { callerAccount: ACCOUNTS.dev }, evaluate: null });
        expect(plan.status).to.equal("error");
        expect(plan.error).to.deep.equal({
            kind: "program",
            message: `urn:pulumi:prod::${NS}::pulumi:providers:aws::aws: AWS account ID not allowed: ${ACCOUNTS.dev}`,
        });
        const own = await planStack("prod", { world: { callerAccount: ACCOUNTS.prod }, evaluate: null });
        expect(own.status).to.equal("clean");
    });
});
