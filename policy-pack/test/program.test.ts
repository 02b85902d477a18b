import { expect } from "chai";
import * as path from "path";
import { evaluatePolicies, readPolicyPackConfig } from "../../offline/analysis/policyRunner";
import { planStack } from "../../test/harness";
import { allPolicies } from "../policies";

const STACKS = ["tool", "dev", "qa", "stage", "prod"];
const configFile = (stack: string) => path.join(__dirname, "..", "config", `${stack}.json`);

describe("the real program against the policy pack", () => {
    for (const stack of STACKS) {
        it(`${stack}: no mandatory violation with policy-pack/config/${stack}.json`, async () => {
            const run = await planStack(stack);
            const verdict = await evaluatePolicies(run, { config: readPolicyPackConfig(configFile(stack)) });
            const mandatory = verdict.violations
                .filter((v) => v.enforcementLevel === "mandatory")
                .map((v) => `${v.policyName} on ${v.resourceType ?? "stack"} ${v.resourceName ?? ""}: ${v.message}`);
            expect(mandatory, `mandatory violations in ${stack}`).to.deep.equal([]);
            expect(verdict.mandatory).to.equal(0);
            // The stack's provider is always evaluated: the account guard must see it.
            expect(run.resources.filter((r) => r.type === "pulumi:providers:aws" && r.name === "aws")).to.have.length(
                1,
            );
        });
    }

    it("every shipped config file names only real policies and valid levels; prod relaxes nothing and makes the read-only root filesystem mandatory", () => {
        const names = allPolicies.map((p) => p.name);
        for (const stack of STACKS) {
            const config = readPolicyPackConfig(configFile(stack));
            for (const key of Object.keys(config)) expect(names).to.include(key);
        }
        expect(readPolicyPackConfig(configFile("prod"))).to.deep.equal({
            "ecs-read-only-root-filesystem": "mandatory",
        });
    });
});
