// Every IAM role and user the program registers carries the account's permissions boundary, the managed policy
// bootstrap/account.yaml creates under the same name: the deploy role creates and edits roles and users only with it.
import { expect } from "chai";
import { PERMISSIONS_BOUNDARY_NAME, permissionsBoundaryArn } from "../domain/naming";
import { readTemplate } from "./cfnTemplate";
import { ACCOUNTS } from "./accounts";
import { planStack, StackRun } from "./harness";

const BOUNDED = ["aws:iam/role:Role", "aws:iam/user:User"];

function boundariesOf(run: StackRun): [string, unknown][] {
    return run.resources.filter((r) => BOUNDED.includes(r.type)).map((r) => [r.name, r.inputs.permissionsBoundary]);
}

describe("permissions boundary of the program's roles and users", () => {
    it("bootstrap/account.yaml creates the boundary policy under the name the program uses", () => {
        const template = readTemplate("account.yaml");
        expect(template.Parameters?.BoundaryPolicyName.Default).to.equal(PERMISSIONS_BOUNDARY_NAME);
        expect(template.Resources.ProgramBoundary.Type).to.equal("AWS::IAM::ManagedPolicy");
        expect(template.Resources.ProgramBoundary.Properties.ManagedPolicyName).to.deep.equal({
            Ref: "BoundaryPolicyName",
        });
    });

    for (const stack of Object.keys(ACCOUNTS) as (keyof typeof ACCOUNTS)[]) {
        it(`${stack}: every role and user has exactly the account's boundary, in the stack's partition`, async () => {
            const run = await planStack(stack);
            const found = boundariesOf(run);
            expect(found.length, "roles and users").to.be.greaterThan(0);
            const boundary = `arn:aws-us-gov:iam::${ACCOUNTS[stack]}:policy/cicd-permissions-boundary`;
            expect(permissionsBoundaryArn("aws-us-gov", ACCOUNTS[stack])).to.equal(boundary);
            expect(found).to.deep.equal(found.map(([name]) => [name, boundary]));
        });
    }

    it("dev with its user, in the commercial partition: the boundary follows the partition", async () => {
        const run = await planStack("dev", {
            overrides: { "aws:region": "us-east-1", partition: "aws" },
            reportedPartition: "aws",
        });
        const found = boundariesOf(run);
        expect(run.resources.filter((r) => r.type === "aws:iam/user:User")).to.have.length(1);
        const boundary = `arn:aws:iam::${ACCOUNTS.dev}:policy/cicd-permissions-boundary`;
        expect(found).to.deep.equal(found.map(([name]) => [name, boundary]));
    });
});
