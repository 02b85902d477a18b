/**
 * Inputs AWS refuses (test/plantedValues.ts), planted one resource at a time in a program beside the project's:
 * the offline plan fails with the constraint checker's problem line, and the real engine's preview fails at the
 * stand-in `aws` provider's Check with the same constraint on the same resource and property.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { snapshotStack } from "../../offline/analysis/plan";
import { PROJECT_ROOT } from "../../offline/runtime/stackFiles";
import { PLANT_PROVIDER, PLANTS, problemLine, registerPlants } from "../../test/plantedValues";
import { ensureEngine } from "../cli";
import { PreviewWorkspace } from "../preview";

const PLANT_ENV = "PLANTED_RESOURCE";

/** A project like this one whose program registers the plant PLANTED_RESOURCE names. */
function plantedProject(dir: string): string {
    const root = path.join(dir, "root");
    fs.mkdirSync(root);
    for (const entry of fs.readdirSync(PROJECT_ROOT)) {
        if (entry !== ".git" && entry !== "index.ts")
            fs.symlinkSync(path.join(PROJECT_ROOT, entry), path.join(root, entry));
    }
    const plants = PLANTS.map(({ type, name, args }) => ({ type, name, args }));
    fs.writeFileSync(
        path.join(root, "index.ts"),
        [
            'import * as pulumi from "@pulumi/pulumi";',
            "class AwsProvider extends pulumi.ProviderResource {",
            "    constructor(name: string, args: Record<string, unknown>) {",
            '        super("aws", name, args);',
            "    }",
            "}",
            `const provider = new AwsProvider("planted", ${JSON.stringify(PLANT_PROVIDER)});`,
            `const plants = ${JSON.stringify(plants)};`,
            `for (const p of plants.filter((p) => p.name === process.env.${PLANT_ENV})) {`,
            "    new pulumi.CustomResource(p.type, p.name, p.args, { provider });",
            "}",
            "",
        ].join("\n"),
    );
    return root;
}

describe("inputs AWS refuses: the offline plan and the real engine's preview", () => {
    let dir: string;
    let ws: PreviewWorkspace;

    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "planted-"));
        ws = PreviewWorkspace.create(ensureEngine({ preferPath: false }), { root: plantedProject(dir) });
        const select = await ws.run(["stack", "select", "--create", "dev", "--non-interactive"]);
        expect(select.code, select.stderr).to.equal(0);
    });
    after(() => {
        ws?.dispose();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it(`plants ${PLANTS.length} kinds of invalid values`, () => {
        expect(new Set(PLANTS.map((p) => p.kind)).size).to.equal(PLANTS.length);
        expect(PLANTS.length).to.be.at.least(10);
    });

    for (const plant of PLANTS) {
        it(`${plant.kind}: refused by both, naming the resource, the property and the constraint`, async () => {
            const offline = await snapshotStack("dev", {
                evaluate: null,
                program: async () => registerPlants([plant]),
            });
            expect(offline.plan.status).to.equal("error");
            expect(offline.plan.error?.problems).to.deep.equal(plant.problems.map((p) => problemLine(plant, p)));

            // One plant a preview: the engine stops at the first resource whose Check fails. Without the policy pack,
            // which has nothing to say before Check passes.
            const preview = await ws.run(["preview", "--stack", "dev", "--non-interactive", "--json"], {
                PULUMI_ENABLE_STREAMING_JSON_PREVIEW: "true",
                [PLANT_ENV]: plant.name,
            });
            expect(preview.code).to.equal(1);
            const errors = preview.stdout
                .split("\n")
                .filter((l) => l.trim().startsWith("{"))
                .map((l) => JSON.parse(l) as Record<string, any>)
                .filter((e) => e.diagnosticEvent?.severity === "error" && e.diagnosticEvent.urn)
                .map((e) => (e.diagnosticEvent.message as string).trimEnd());
            // The engine prints a Check failure as "<type> resource '<name>': property <path> value {<value>} has a
            // problem: <reason>".
            expect(errors.map((m) => m.replace(/ value \{.*\} has a problem: /s, ": "))).to.deep.equal(
                plant.problems.map(
                    (p) => `${plant.type} resource '${plant.name}': property ${p.property}: ${p.constraint}`,
                ),
            );
        });
    }
});
