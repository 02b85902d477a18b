/**
 * The ordered deploy (`npm run deploy`) and the workflows' own commands, run against the real CLI with a file backend
 * and the stand-in providers: as far as no AWS is needed. An update cannot succeed here (the stand-ins refuse to
 * create outside a preview), so the test checks that it stops at the first stack with the provider's message.
 */
import { expect } from "chai";
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { Engine, ensureEngine } from "../cli";
import { PreviewWorkspace } from "../preview";

const ROOT = path.resolve(__dirname, "..", "..");
const STACK_STEP = "Log in to the state backend and select the stack";

function run(
    command: string,
    args: string[],
    options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<{ code: number; output: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
        const chunks: Buffer[] = [];
        child.stdout.on("data", (b: Buffer) => chunks.push(b));
        child.stderr.on("data", (b: Buffer) => chunks.push(b));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code: code ?? 1, output: Buffer.concat(chunks).toString("utf8") }));
    });
}

/** The `run:` script of a step of pulumi-stack.yml, as the workflow runs it. */
function stackStep(name: string): string {
    const wf = YAML.parse(fs.readFileSync(path.join(ROOT, ".github", "workflows", "pulumi-stack.yml"), "utf8"));
    const step = wf.jobs.pulumi.steps.find((s: { name?: string; run?: string }) => s.name === name);
    if (!step?.run) throw new Error(`pulumi-stack.yml has no step "${name}" with a run script`);
    return step.run;
}

describe("npm run deploy and the workflow commands, with the real CLI", function () {
    let engine: Engine;
    let ws: PreviewWorkspace;
    let env: NodeJS.ProcessEnv;
    before(() => {
        engine = ensureEngine();
        ws = PreviewWorkspace.create(engine);
        env = { ...ws.env(), CI: "true" };
    });
    after(() => ws.dispose());

    it("`npm run deploy -- --all --preview-only` previews the five stacks in order, offline, exit 0", async () => {
        const noBackend = { ...process.env };
        delete noBackend.PULUMI_BACKEND_URL;
        const { code, output } = await run("npm", ["run", "--silent", "deploy", "--", "--all", "--preview-only"], {
            cwd: ROOT,
            env: noBackend,
        });
        expect(code, output.slice(-4000)).to.equal(0);
        const done = [...output.matchAll(/^=== (\w+): preview succeeded/gm)].map((m) => m[1]);
        expect(done).to.deep.equal(["tool", "dev", "qa", "stage", "prod"]);
        expect(output).to.include("deploy: preview of tool, dev, qa, stage, prod succeeded");
        expect(output).to.include("offline: stand-in providers, throwaway file backend");
    });

    it("an update stops at the first stack, with the provider's message, and runs none after it (exit 1)", async () => {
        const { code, output } = await run("npm", ["run", "--silent", "deploy", "--", "--all", "--offline"], {
            cwd: ROOT,
            env: process.env,
        });
        expect(code, output.slice(-4000)).to.equal(1);
        expect(output).to.match(/=== tool: up failed/);
        expect(output).to.match(/stand-in aws provider: cannot create urn:pulumi:tool::devsecops-pipelines::/);
        expect(output).to.include("deploy: tool failed; not run: dev, qa, stage, prod");
        expect(output).not.to.match(/=== dev:/);
    });

    it("an update without a state backend is refused before anything runs (exit 2)", async () => {
        const noBackend = { ...process.env };
        delete noBackend.PULUMI_BACKEND_URL;
        const { code, output } = await run("npm", ["run", "--silent", "deploy", "--", "--stack", "dev"], {
            cwd: ROOT,
            env: noBackend,
        });
        expect(code).to.equal(2);
        expect(output).to.include("no state backend: set PULUMI_BACKEND_URL to the BackendUrl output");
    });

    describe("pulumi-stack.yml's commands against a fresh file backend", () => {
        let stepEnv: NodeJS.ProcessEnv;
        before(() => {
            const backend = path.join(ws.dir, "workflow-backend");
            fs.mkdirSync(backend);
            // The workflow's variables, with a file backend and a passphrase where the real ones are s3:// and awskms://.
            stepEnv = {
                ...env,
                STACK: "dev",
                PULUMI_BACKEND_URL: `file://${backend}`,
                PULUMI_SECRETS_PROVIDER: "passphrase",
            };
        });
        const step = (command: string, extra: NodeJS.ProcessEnv = {}) =>
            run("bash", ["-e", "-c", stackStep(STACK_STEP)], {
                cwd: ws.project,
                env: { ...stepEnv, COMMAND: command, ...extra },
            });

        it("a preview before the first deploy: the stack does not exist and the preview role may not create it", async () => {
            const { code, output } = await step("preview");
            expect(code).to.equal(1);
            expect(output).to.include("::error::stack dev is not in the state backend yet");
        });

        it("the deploy job logs in and creates the stack; a preview then selects it", async () => {
            const up = await step("up");
            expect(up.code, up.output).to.equal(0);
            expect(up.output).to.include("Logged in to");
            expect(up.output).to.include("Created stack 'dev'");
            const preview = await step("preview");
            expect(preview.code, preview.output).to.equal(0);
        });

        it("the deploy job's update runs `npm run deploy -- --stack dev` and fails at the stand-in's refusal", async () => {
            const script = stackStep("The ordered deploy of this stack (Automation API, policy pack)");
            expect(script).to.equal('npm run deploy -- --stack "$STACK"');
            const { code, output } = await run("bash", ["-e", "-c", script], {
                cwd: ws.project,
                env: { ...stepEnv, COMMAND: "up" },
            });
            expect(code, output.slice(-4000)).to.equal(1);
            expect(output).to.include(`backend ${stepEnv.PULUMI_BACKEND_URL}`);
            expect(output).to.match(/stand-in aws provider: cannot create urn:pulumi:dev::devsecops-pipelines::/);
            expect(output).to.include("deploy: dev failed; no stack after it");
        });

        it("a stack created by a job needs nothing committed back: the next checkout decrypts with the state's provider", async () => {
            const stackFile = path.join(ws.project, "Pulumi.dev.yaml");
            const created = fs.readFileSync(stackFile, "utf8");
            // The checkout of the next job: the stack file as committed (without the lines `stack select --create`
            // wrote), plus a secure value someone set since with the stack's provider.
            const committed = fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8");
            const secured = await run(
                "pulumi",
                ["config", "set", "--secret", "--stack", "dev", "devsecops-pipelines:probeSecret", "probe-value"],
                { cwd: ws.project, env: stepEnv },
            );
            expect(secured.code, secured.output).to.equal(0);
            const secure = YAML.parse(fs.readFileSync(stackFile, "utf8")).config["devsecops-pipelines:probeSecret"];
            const checkout = YAML.parse(committed);
            checkout.config["devsecops-pipelines:probeSecret"] = secure;
            try {
                const jobEnv = YAML.parse(
                    fs.readFileSync(path.join(ROOT, ".github", "workflows", "pulumi-stack.yml"), "utf8"),
                ).jobs.pulumi.env;
                expect(jobEnv.PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER).to.equal("true");
                fs.writeFileSync(stackFile, YAML.stringify(checkout));
                const next = await step("preview", { PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER: "true" });
                expect(next.code, next.output).to.equal(0);
                // Without the fallback the CLI makes a new key for the stack file, which cannot decrypt the value:
                // the job stops with the command that sets it again.
                fs.writeFileSync(stackFile, YAML.stringify(checkout));
                const stuck = await step("preview", { PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER: "false" });
                expect(stuck.code).to.equal(1);
                expect(stuck.output).to.match(
                    /::error::the secure values of Pulumi\.dev\.yaml do not decrypt with stack dev's secrets provider \(.+\): set each again with the stack's provider and commit Pulumi\.dev\.yaml: pulumi config set --secret --stack dev devsecops-pipelines:probeSecret <value>; \n/,
                );
                expect(stuck.output).not.to.include("probe-value");
            } finally {
                fs.writeFileSync(stackFile, created);
            }
        });
    });

    it("the workflows pass a current actionlint (built from its Go module on demand)", async () => {
        const { code, output } = await run("bash", [path.join(ROOT, "scripts", "actionlint.sh")], {
            cwd: ROOT,
            env: process.env,
        });
        expect(output.replace(/^\[actionlint\] building.*\n/m, "")).to.equal("");
        expect(code).to.equal(0);
    });
});
