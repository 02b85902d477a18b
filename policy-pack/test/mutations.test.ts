import { expect } from "chai";
import * as path from "path";
import { runStack, StackRun } from "../../offline/runtime/mockRuntime";
import { evaluatePolicies, PolicyPackConfig, readPolicyPackConfig } from "../../offline/analysis/policyRunner";
import { defineStack } from "../../stacks/program";
import { allMutationsOf, Mutation, mutationsOf } from "./mutations";

const STACKS = ["tool", "dev", "qa", "stage", "prod"];
/** The share of mutations the pack must block (a mandatory violation). */
const REQUIRED_BLOCK_RATE = 0.9;

const configOf = (stack: string) => readPolicyPackConfig(path.join(__dirname, "..", "config", `${stack}.json`));
const mandatory = async (run: StackRun, config: PolicyPackConfig) =>
    (await evaluatePolicies(run, { config })).violations.filter((v) => v.enforcementLevel === "mandatory");

describe("mutation suite: the pack blocks security-relevant changes to the real stacks", function () {
    // Over a thousand mutations, each a full evaluation of the pack: minutes on a shared machine.
    this.timeout(900000);
    const deployed = new Map<string, StackRun>();

    before(async () => {
        // Run each stack once; every mutation is an in-memory copy of its recorded resources.
        for (const stack of STACKS) {
            const run = await runStack(stack, defineStack, { outputs: "deployed" });
            if (run.error) throw run.error;
            deployed.set(stack, run);
        }
    });

    for (const outputs of ["preview", "deployed"] as const) {
        it(`the unmutated stacks have no mandatory violation (${outputs} outputs)`, async () => {
            for (const stack of STACKS) {
                const run =
                    outputs === "deployed" ? deployed.get(stack)! : await runStack(stack, defineStack, { outputs });
                if (run.error) throw run.error;
                const found = (await mandatory(run, configOf(stack))).map((v) => `${v.policyName}: ${v.message}`);
                expect(found, `${stack} (${outputs})`).to.deep.equal([]);
            }
        });
    }

    it("every resource type the five stacks register has a mutation", () => {
        // Custom resources and provider-side components (awsx); the program's own components hold nothing but
        // their children.
        const registered = new Set(
            STACKS.flatMap((stack) =>
                deployed
                    .get(stack)!
                    .resources.filter((r) => r.custom || r.remote)
                    .map((r) => r.type),
            ),
        );
        const mutated = new Set(
            STACKS.flatMap((stack) => allMutationsOf(deployed.get(stack)!, stack).map((m) => m.type)),
        );
        expect([...registered].filter((t) => !mutated.has(t)).sort()).to.deep.equal([]);
        expect(registered.size).to.be.greaterThan(30);
    });

    it(`at least ${REQUIRED_BLOCK_RATE * 100}% of several hundred mutations raise a mandatory violation`, async () => {
        const results: { mutation: Mutation; blocked: boolean }[] = [];
        for (const stack of STACKS) {
            const config = configOf(stack);
            for (const mutation of mutationsOf(deployed.get(stack)!, stack)) {
                results.push({ mutation, blocked: (await mandatory(mutation.run, config)).length > 0 });
            }
        }
        const kinds = [...new Set(results.map((r) => r.mutation.kind))];
        const rows = kinds.map((kind) => {
            const of = results.filter((r) => r.mutation.kind === kind);
            const blocked = of.filter((r) => r.blocked).length;
            return `  ${kind.padEnd(16)} ${String(blocked).padStart(4)}/${String(of.length).padEnd(4)} ${((100 * blocked) / of.length).toFixed(0).padStart(3)}%`;
        });
        const passed = results
            .filter((r) => !r.blocked)
            .map((r) => `  - ${r.mutation.stack}: ${r.mutation.kind}: ${r.mutation.what}`);
        const blocked = results.filter((r) => r.blocked).length;
        console.log(
            `      block rate per class (mutations of the deployed runs):\n${rows.join("\n")}\n` +
                `  total            ${blocked}/${results.length} ${((100 * blocked) / results.length).toFixed(1)}%\n` +
                (passed.length ? `  not blocked:\n${passed.join("\n")}` : ""),
        );
        expect(results.length).to.be.greaterThan(300);
        expect(blocked / results.length, passed.join("\n")).to.be.at.least(REQUIRED_BLOCK_RATE);
    });
});

describe("mutation suite: a stack with a Lambda service", function () {
    this.timeout(900000);

    it("the pack blocks every mutation of the Lambda target's resources", async () => {
        const image = `173205080756.dkr.ecr.us-gov-west-1.amazonaws.com/billing-fn@sha256:${"a".repeat(64)}`;
        const run = await runStack("prod", defineStack, {
            outputs: "deployed",
            projectValues: { services: ["orders-api", { name: "billing-fn", target: "lambda" }] },
            world: { ssmParameters: { "/cicd/lambda/billing-fn/image": image } },
        });
        if (run.error) throw run.error;
        const config = configOf("prod");
        expect((await mandatory(run, config)).map((v) => v.policyName)).to.deep.equal([]);
        const lambda = allMutationsOf(run, "prod").filter((m) => m.kind === "lambda");
        const passed: string[] = [];
        for (const m of lambda) if ((await mandatory(m.run, config)).length === 0) passed.push(m.what);
        console.log(`      Lambda mutations blocked: ${lambda.length - passed.length}/${lambda.length}`);
        expect(passed).to.deep.equal([]);
        expect(lambda.length).to.be.greaterThan(10);
    });
});
