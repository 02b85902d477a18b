/**
 * The real engine against the offline plan: every checked-in stack previewed by the real Pulumi CLI (stand-in
 * providers, the policy pack with the stack's policy config) and planned offline must agree on every resource
 * (type, name, parent, inputs) and every policy report, including those that cannot decide at preview.
 * Run with `npm run test:engine` (builds the CLI on first use).
 */
import { expect } from "chai";
import * as path from "path";
import { defineStack } from "../../stacks/program";
import { runStack } from "../../offline/runtime/mockRuntime";
import { evaluatePolicies, readPolicyPackConfig } from "../../offline/analysis/policyRunner";
import { listStacks, PROJECT_ROOT } from "../../offline/runtime/stackFiles";
import { ensureEngine } from "../cli";
import { differences, fromEngineEvents, fromPlan, StackSnapshot } from "../parity";
import { PreviewWorkspace, previewStacks, StackPreview } from "../preview";

const STACKS = listStacks();

describe("real engine and offline plan agree", () => {
    let ws: PreviewWorkspace;
    const previews = new Map<string, StackPreview>();

    before(async () => {
        ws = PreviewWorkspace.create(ensureEngine({ preferPath: false }));
        for (const p of await previewStacks(ws, STACKS, { mode: "json" })) previews.set(p.stack, p);
    });
    after(() => ws?.dispose());

    it("previews every checked-in stack clean", () => {
        expect(STACKS).to.deep.equal(["dev", "prod", "qa", "stage", "tool"]);
        for (const stack of STACKS) {
            const preview = previews.get(stack)!;
            expect(preview.code, `${stack}: ${preview.output}`).to.equal(0);
            const mandatory = preview.events!.filter((e) => e.policyEvent?.enforcementLevel === "mandatory");
            expect(mandatory, stack).to.deep.equal([]);
        }
    });

    for (const stack of STACKS) {
        it(`${stack}: the same resources, inputs and policy reports`, async () => {
            const engine = fromEngineEvents(stack, previews.get(stack)!.events!);
            const run = await runStack(stack, defineStack, { outputs: "preview" });
            expect(run.error).to.equal(undefined);
            const config = readPolicyPackConfig(path.join(PROJECT_ROOT, "policy-pack", "config", `${stack}.json`));
            const plan = fromPlan(run, await evaluatePolicies(run, { config }));
            expect(differences(engine, plan)).to.deep.equal([]);
            expect(plan.resources.length).to.be.greaterThan(0);
            expect(engine.policyReports.length).to.equal(plan.policyReports.length);
            if (stack !== "tool") expectVpcChildren(engine, stack);
        });
    }
});

/** The children the stand-in awsx plugin constructs for the new VPC, which the mock runtime cannot see. */
function expectVpcChildren(engine: StackSnapshot, stack: string): void {
    const vpc = `${stack}-network-vpc`;
    const children = engine.resources.filter((r) => r.urn.includes("awsx:ec2:Vpc$")).map((r) => `${r.type} ${r.name}`);
    const nat = stack === "stage" || stack === "prod" ? 2 : 1;
    expect(children.sort()).to.deep.equal(
        [
            `aws:ec2/vpc:Vpc ${vpc}`,
            `aws:ec2/internetGateway:InternetGateway ${vpc}`,
            ...[1, 2].flatMap((zone) =>
                ["public", "private"].flatMap((kind) => [
                    `aws:ec2/subnet:Subnet ${vpc}-${kind}-${zone}`,
                    `aws:ec2/routeTable:RouteTable ${vpc}-${kind}-${zone}`,
                    `aws:ec2/routeTableAssociation:RouteTableAssociation ${vpc}-${kind}-${zone}`,
                    `aws:ec2/route:Route ${vpc}-${kind}-${zone}`,
                ]),
            ),
            ...Array.from({ length: nat }, (_, i) => [
                `aws:ec2/eip:Eip ${vpc}-${i + 1}`,
                `aws:ec2/natGateway:NatGateway ${vpc}-${i + 1}`,
            ]).flat(),
        ].sort(),
    );
    const subnet = (name: string) =>
        engine.resources.find((r) => r.name === name && r.type === "aws:ec2/subnet:Subnet")!;
    expect(subnet(`${vpc}-public-1`).inputs).to.include({ cidrBlock: "10.0.0.0/18", mapPublicIpOnLaunch: true });
    expect(subnet(`${vpc}-private-1`).inputs).to.include({ cidrBlock: "10.0.64.0/18", mapPublicIpOnLaunch: false });
    expect(subnet(`${vpc}-public-2`).inputs).to.include({ cidrBlock: "10.0.128.0/18" });
    expect(subnet(`${vpc}-private-2`).inputs).to.include({ cidrBlock: "10.0.192.0/18" });
}
