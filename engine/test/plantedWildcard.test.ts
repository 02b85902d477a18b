/**
 * A pull request that adds a service and a wildcard to the new service's build role: the offline plan and the real
 * engine's preview both report it as a mandatory finding at preview (not midway through `pulumi up`), and agree on
 * every other policy report of the stack.
 */
import * as aws from "@pulumi/aws";
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runStack } from "../../offline/runtime/mockRuntime";
import { evaluatePolicies, readPolicyPackConfig } from "../../offline/analysis/policyRunner";
import { PROJECT_ROOT } from "../../offline/runtime/stackFiles";
import { defineStack } from "../../stacks/program";
import { asUserWould } from "../../test/harness";
import { ensureEngine } from "../cli";
import { fromEngineEvents, fromPlan } from "../parity";
import { PreviewWorkspace, previewArgs } from "../preview";

const SERVICES = ["orders-api", "payments-api"];
const PLANT = "dev-payments-api-planted-wildcard";
const POLICY = "iam-no-wildcard-actions-on-all-resources";
const WILDCARD = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };

/** The plant, registered beside the program's resources (its own provider: default providers are disabled). */
function plantWildcard(): void {
    const provider = new aws.Provider("planted", { region: "us-gov-west-1", allowedAccountIds: ["271828182845"] });
    new aws.iam.RolePolicy(
        PLANT,
        { role: "cicd-dev-payments-api-build", name: "planted", policy: JSON.stringify(WILDCARD) },
        { provider },
    );
}

/** This project with a second service in Pulumi.yaml and the plant in its program. */
function plantedProject(dir: string): string {
    const root = path.join(dir, "root");
    fs.mkdirSync(root);
    for (const entry of fs.readdirSync(PROJECT_ROOT)) {
        if (![".git", "index.ts", "Pulumi.yaml"].includes(entry))
            fs.symlinkSync(path.join(PROJECT_ROOT, entry), path.join(root, entry));
    }
    const project = fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), "utf8");
    const withService = project.replace('value: ["orders-api"]', `value: ${JSON.stringify(SERVICES)}`);
    expect(withService).not.to.equal(project);
    fs.writeFileSync(path.join(root, "Pulumi.yaml"), withService);
    fs.writeFileSync(
        path.join(root, "index.ts"),
        [
            'import * as aws from "@pulumi/aws";',
            'import { defineStack } from "./stacks/program";',
            "const outputs = defineStack();",
            `const provider = new aws.Provider("planted", { region: "us-gov-west-1", allowedAccountIds: ["271828182845"] });`,
            "new aws.iam.RolePolicy(",
            `    ${JSON.stringify(PLANT)},`,
            `    { role: "cicd-dev-payments-api-build", name: "planted", policy: ${JSON.stringify(JSON.stringify(WILDCARD))} },`,
            "    { provider },",
            ");",
            "export = outputs;",
            "",
        ].join("\n"),
    );
    return root;
}

describe("a wildcard planted in a new service's role: a mandatory finding at preview, offline and in the engine", () => {
    let dir: string;
    let ws: PreviewWorkspace;

    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "planted-wildcard-"));
        ws = PreviewWorkspace.create(ensureEngine({ preferPath: false }), { root: plantedProject(dir) });
        const select = await ws.run(["stack", "select", "--create", "dev", "--non-interactive"]);
        expect(select.code, select.stderr).to.equal(0);
    });
    after(() => {
        ws?.dispose();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("both report it, mandatory, on the planted policy; every other report agrees", async () => {
        const run = await runStack(
            "dev",
            async () => {
                const outputs = defineStack();
                plantWildcard();
                return outputs;
            },
            { ...asUserWould({ services: SERVICES }), outputs: "preview" },
        );
        expect(run.error).to.equal(undefined);
        const config = readPolicyPackConfig(path.join(PROJECT_ROOT, "policy-pack", "config", "dev.json"));
        const plan = fromPlan(run, await evaluatePolicies(run, { config }));

        const preview = await ws.run(previewArgs("dev", ws.root, "json"), {
            PULUMI_ENABLE_STREAMING_JSON_PREVIEW: "true",
        });
        const events = preview.stdout
            .split("\n")
            .filter((line) => line.trim().startsWith("{"))
            .map((line) => JSON.parse(line) as Record<string, any>);
        const engine = fromEngineEvents("dev", events);

        const mandatory = (reports: typeof plan.policyReports) =>
            reports
                .filter((r) => r.enforcementLevel === "mandatory")
                .map((r) => `${r.policyName} ${r.urn?.split("::").pop()}`);
        // `*` on `*` grants every action the other least-privilege policies judge, so they report it too.
        const findings = [
            "iam-kms-decrypt-scoped",
            "iam-no-policy-write-escalation",
            POLICY,
            "iam-passrole-scoped",
            "iam-pipeline-triggers-scoped",
        ].map((policy) => `${policy} ${PLANT}`);
        expect(mandatory(plan.policyReports)).to.deep.equal(findings);
        expect(mandatory(engine.policyReports)).to.deep.equal(findings);
        expect(engine.policyReports).to.deep.equal(plan.policyReports);
        expect(preview.code).not.to.equal(0);
    });
});
