/**
 * A stack file the CLI refuses is refused the same way by the real engine and by the offline plan: the fixture
 * lacks environment, which Pulumi.yaml types without a default or value.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as path from "path";
import { PROJECT_ROOT } from "../../offline/runtime/stackFiles";
import { ensureEngine } from "../cli";
import { PreviewWorkspace, previewStack } from "../preview";

const FIXTURE = path.join(PROJECT_ROOT, "test", "fixtures", "Pulumi.missing-typed-key.yaml");
const CLI_MESSAGE = "validating stack config: Stack 'dev' is missing configuration value 'environment'";

describe("a stack file the CLI refuses", () => {
    it("the real engine refuses it before the program runs, with the CLI's message", async () => {
        const ws = PreviewWorkspace.create(ensureEngine({ preferPath: false }), { stackFiles: { dev: FIXTURE } });
        try {
            const preview = await previewStack(ws, "dev");
            expect(preview.code).to.equal(1);
            expect(preview.output).to.include(`error: ${CLI_MESSAGE}\n`);
            expect(preview.output).not.to.include("Previewing update");
        } finally {
            ws.dispose();
        }
    });

    it("npm run plan refuses it with the same message", () => {
        const plan = spawnSync(
            process.execPath,
            ["-r", "./scripts/register.js", "scripts/plan.ts", "--stack", "dev", "--stack-file", FIXTURE],
            { cwd: PROJECT_ROOT, encoding: "utf8" },
        );
        expect(plan.status).to.equal(2);
        expect(plan.stdout).to.include(`  Configuration error:\n    ${CLI_MESSAGE}\n`);
    });
});
