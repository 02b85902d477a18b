/**
 * The stage and prod approvals' saved plans (`npm run deploy -- --save-plan DIR`, then `--plan DIR`) with the real
 * CLI against a file backend. An update cannot run on the program's own stacks here (the stand-in providers refuse
 * to create outside a preview), so a small Node.js project of component resources (no provider) stands for it: its
 * config names the components, the project's policy pack and prod's policy config run as in the deploy.
 */
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { createStackCommand, deployStacks, DeployTarget, savedPlanFiles, StackDeploy } from "../../deploy/stacks";
import { Engine, ensureEngine } from "../cli";

const ROOT = path.resolve(__dirname, "..", "..");
const STACK = "prod";

const PROGRAM = `const pulumi = require("@pulumi/pulumi");
const names = (new pulumi.Config().get("things") ?? "").split(",").filter(Boolean);
for (const name of names) new pulumi.ComponentResource("planned:index:Thing", name, {}, {});
`;

describe("saved plans: the approved preview is what is applied, with the real CLI", function () {
    let engine: Engine;
    let dir: string;
    let target: DeployTarget;
    let plans: string;
    const pathBefore = process.env.PATH;

    const pulumi = (...args: string[]) =>
        execFileSync(engine.pulumi, args, { cwd: target.workDir, env: target.env, encoding: "utf8" });
    const setThings = (things: string) =>
        fs.writeFileSync(path.join(target.workDir, `Pulumi.${STACK}.yaml`), `config:\n    planned:things: ${things}\n`);
    const things = () =>
        (JSON.parse(pulumi("stack", "export", "--stack", STACK)).deployment.resources ?? [])
            .filter((r: { type: string }) => r.type === "planned:index:Thing")
            .map((r: { urn: string }) => r.urn.split("::").pop())
            .sort();
    const run = (mode: "preview" | "up"): Promise<StackDeploy[]> => deployStacks([STACK], mode, target, {}, plans);

    before(() => {
        engine = ensureEngine();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "saved-plan-"));
        const project = path.join(dir, "project");
        fs.mkdirSync(project);
        fs.mkdirSync(path.join(dir, "state"));
        fs.writeFileSync(
            path.join(project, "Pulumi.yaml"),
            "name: planned\nruntime:\n    name: nodejs\n    options:\n        typescript: false\n",
        );
        fs.writeFileSync(path.join(project, "package.json"), '{ "name": "planned", "main": "index.js" }\n');
        fs.writeFileSync(path.join(project, "index.js"), PROGRAM);
        for (const link of ["node_modules", "policy-pack"]) {
            fs.symlinkSync(path.join(ROOT, link), path.join(project, link));
        }
        target = {
            workDir: project,
            env: {
                ...process.env,
                PATH: [...engine.path, process.env.PATH ?? ""].join(path.delimiter),
                PULUMI_HOME: path.join(dir, "home"),
                PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
                PULUMI_CONFIG_PASSPHRASE: "saved-plan-test",
                PULUMI_SKIP_UPDATE_CHECK: "true",
                PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
            },
        };
        plans = path.join(dir, "plans");
        // The Automation API runs the `pulumi` it finds on the process's PATH, as scripts/deploy.ts sets it.
        process.env.PATH = target.env!.PATH;
    });
    after(() => {
        process.env.PATH = pathBefore;
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("a stack that does not exist yet gets no plan: the error gives the command that creates it", async () => {
        setThings("a");
        const [result] = await run("preview");
        expect(result.ok).to.equal(false);
        expect(result.error).to.equal(
            `error: stack prod is not in the state backend yet, and a saved plan needs the stack it was computed ` +
                `against: create it once with the state account's credentials (nothing to commit afterwards), then ` +
                `run the deploy again: ${createStackCommand("prod")}`,
        );
        expect(createStackCommand("prod")).to.equal(
            'pulumi stack select --create prod --non-interactive --secrets-provider "$PULUMI_SECRETS_PROVIDER&context_pulumi_stack=prod"',
        );
    });

    it("the saved plan is applied: the stack then holds exactly what the preview showed", async () => {
        pulumi("stack", "init", STACK, "--secrets-provider", "passphrase", "--non-interactive");
        setThings("a,b");
        const [saved] = await run("preview");
        expect(saved.ok, saved.error).to.equal(true);
        const files = savedPlanFiles(plans, STACK);
        const plan = JSON.parse(fs.readFileSync(files.plan, "utf8"));
        expect(Object.keys(plan.resourcePlans).sort()).to.deep.equal([
            "urn:pulumi:prod::planned::planned:index:Thing::a",
            "urn:pulumi:prod::planned::planned:index:Thing::b",
            "urn:pulumi:prod::planned::pulumi:pulumi:Stack::planned-prod",
        ]);
        expect(fs.readFileSync(files.state, "utf8")).to.match(/^[0-9a-f]{64}\n$/);
        const [applied] = await run("up");
        expect(applied.ok, applied.error).to.equal(true);
        expect(things()).to.deep.equal(["a", "b"]);
    });

    it("a stack that moved after its plan was saved is refused, and nothing is applied", async () => {
        setThings("a,b,c");
        const [saved] = await run("preview");
        expect(saved.ok, saved.error).to.equal(true);
        const fingerprint = fs.readFileSync(savedPlanFiles(plans, STACK).state, "utf8").trim();
        // Another update lands between the approval's preview and its apply.
        setThings("a,d");
        pulumi("up", "--yes", "--skip-preview", "--stack", STACK, "--non-interactive");
        setThings("a,b,c");
        const [applied] = await run("up");
        expect(applied.ok).to.equal(false);
        const now = execFileSync("sh", ["-c", `pulumi stack export --stack ${STACK} | sha256sum`], {
            cwd: target.workDir,
            env: target.env,
            encoding: "utf8",
        }).split(" ")[0];
        expect(applied.error).to.equal(
            `error: stack prod moved since its plan was saved (state sha256 ${fingerprint.slice(0, 12)}, now ` +
                `${now.slice(0, 12)}): nothing was applied; run the deploy again to plan and approve the change anew`,
        );
        expect(things()).to.deep.equal(["a", "d"]);
    });

    it("the CLI refuses an update that goes beyond the saved plan (the program changed after the approval)", async () => {
        setThings("a,d");
        const [saved] = await run("preview");
        expect(saved.ok, saved.error).to.equal(true);
        setThings("a,d,e");
        const [applied] = await run("up");
        expect(applied.ok).to.equal(false);
        expect(applied.error).to.include("create is not allowed by the plan: no steps were expected for this resource");
        expect(things()).to.deep.equal(["a", "d"]);
    });
});
