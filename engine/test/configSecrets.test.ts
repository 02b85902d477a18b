/**
 * Issue 11 against the real CLI: a stack whose values were set by `pulumi config set --secret` (passphrase secrets
 * provider, the stack file written by the CLI itself) previews with the secrets kept secret, and the offline plan
 * decrypts the same file to the same resources and policy reports; a key that may not be secret, and a stack file
 * contradicting a value of Pulumi.yaml, are refused by both with the same message before anything is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { StackConfigError } from "../../domain/config";
import { runStack, StackRun } from "../../offline/runtime/mockRuntime";
import { evaluatePolicies, readPolicyPackConfig } from "../../offline/analysis/policyRunner";
import { PROJECT_ROOT } from "../../offline/runtime/stackFiles";
import { defineStack } from "../../stacks/program";
import { Engine, ensureEngine } from "../cli";
import { BLINDED_SECRET, differences, fromEngineEvents, fromPlan } from "../parity";
import { PreviewWorkspace, previewStack, StackPreview } from "../preview";

const NS = "devsecops-pipelines";
const SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription";
/** Addresses that occur nowhere else in the stack: the CLI blanks a secret's plaintext wherever it prints it. */
const EMAILS = ["release-alerts@example.gov", "security-oncall@example.gov"];

const SECRET_REFUSED =
    "Invalid stack configuration in Pulumi.dev.yaml (1 problem); nothing was deployed:\n" +
    "  - devsecops-pipelines:budgetMonthlyLimitUsd: found a secret value, expected a plain value: this key ends up " +
    "in resource names, ARNs, ids or policies, which Pulumi keeps in plain text in the state, so it cannot stay " +
    "secret (set it without --secret; keys that may be secret: notificationEmails, budgetBillingExternalId)";

const CONTRADICTED =
    "Invalid stack configuration in Pulumi.dev.yaml (1 problem); nothing was deployed:\n" +
    '  - devsecops-pipelines:devBranch: found "other", expected "develop", the value Pulumi.yaml states for every ' +
    "stack (remove devBranch from the stack file; change it in Pulumi.yaml, for all stacks)";

/** A value as the mock runtime records a secret input. */
const secret = (value: unknown) => ({ [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value });

/** Runs `body` with the workspace's passphrase in the environment, as the CLI had it. */
async function withPassphrase<T>(ws: PreviewWorkspace, body: () => Promise<T>): Promise<T> {
    const saved = process.env.PULUMI_CONFIG_PASSPHRASE;
    process.env.PULUMI_CONFIG_PASSPHRASE = ws.passphrase;
    try {
        return await body();
    } finally {
        if (saved === undefined) delete process.env.PULUMI_CONFIG_PASSPHRASE;
        else process.env.PULUMI_CONFIG_PASSPHRASE = saved;
    }
}

/** A CLI command that must succeed. */
async function cli(ws: PreviewWorkspace, ...args: string[]): Promise<void> {
    const result = await ws.run([...args, "--non-interactive"]);
    expect(result.code, `pulumi ${args.join(" ")}: ${result.stdout}${result.stderr}`).to.equal(0);
}

/** `pulumi stack init dev --secrets-provider passphrase`: the CLI writes the encryption salt into Pulumi.dev.yaml. */
async function initDev(ws: PreviewWorkspace): Promise<string> {
    await cli(ws, "stack", "init", "dev", "--secrets-provider", "passphrase");
    return path.join(ws.project, "Pulumi.dev.yaml");
}

/** `npm run plan -- --stack dev --stack-file <file>`, with the passphrase the CLI used. */
function planScript(stackFile: string, passphrase?: string): { status: number | null; stdout: string } {
    return spawnSync(
        process.execPath,
        ["-r", "./scripts/register.js", "scripts/plan.ts", "--stack", "dev", "--stack-file", stackFile],
        {
            cwd: PROJECT_ROOT,
            encoding: "utf8",
            env: { ...process.env, ...(passphrase ? { PULUMI_CONFIG_PASSPHRASE: passphrase } : {}) },
        },
    );
}

/** How `npm run plan` prints a configuration error. */
const planned = (message: string) => `  Configuration error:\n${message.replace(/^/gm, "    ")}\n`;

/** The engine's error diagnostics and what it registered besides the root stack. */
function engineRefusal(preview: StackPreview): { errors: string[]; registered: string[] } {
    const events = preview.events!;
    return {
        errors: events.filter((e) => e.diagnosticEvent?.prefix === "error: ").map((e) => e.diagnosticEvent.message),
        registered: events
            .filter((e) => e.resourcePreEvent && e.resourcePreEvent.metadata.type !== "pulumi:pulumi:Stack")
            .map((e) => e.resourcePreEvent.metadata.urn),
    };
}

/** The program's refusal as the engine prints it: the message alone (a RunError: no "unhandled exception", no stack). */
const printed = (error: string) => error.trim();

async function refusedOffline(run: Promise<StackRun>, message: string): Promise<void> {
    const done = await run;
    expect(done.error).to.be.instanceOf(StackConfigError);
    expect(done.error!.message).to.equal(message);
    expect(done.resources).to.deep.equal([]);
}

describe("config set --secret and shared values: the real CLI and the offline plan", () => {
    let engine: Engine;
    let ws: PreviewWorkspace | undefined;

    before(() => {
        engine = ensureEngine({ preferPath: false });
    });
    afterEach(() => {
        ws?.dispose();
        ws = undefined;
    });

    it("secret notification emails: secret in the engine's preview; the offline plan decrypts the CLI's file to the same resources and policy reports", async () => {
        ws = PreviewWorkspace.create(engine);
        const stackFile = await initDev(ws);
        await cli(ws, "config", "rm", "--stack", "dev", `${NS}:notificationEmails`);
        for (const [i, email] of EMAILS.entries()) {
            await cli(
                ws,
                "config",
                "set",
                "--stack",
                "dev",
                "--secret",
                "--path",
                `${NS}:notificationEmails[${i}]`,
                email,
            );
        }
        const text = fs.readFileSync(stackFile, "utf8");
        const written = YAML.parse(text);
        expect(written.encryptionsalt).to.match(/^v1:[A-Za-z0-9+/=]+:v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
        expect(written.config[`${NS}:notificationEmails`]).to.have.length(2);
        for (const item of written.config[`${NS}:notificationEmails`]) {
            expect(Object.keys(item)).to.deep.equal(["secure"]);
            expect(item.secure).to.match(/^v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
        }
        for (const email of EMAILS) expect(text).not.to.include(email);

        const preview = await previewStack(ws, "dev", "json");
        expect(preview.code, preview.output).to.equal(0);
        const prelude = preview.events!.find((e) => e.preludeEvent)!.preludeEvent;
        expect(prelude.config[`${NS}:notificationEmails`]).to.equal('["[secret]","[secret]"]');
        const fromEngine = fromEngineEvents("dev", preview.events!);
        expect(
            fromEngine.resources.filter((r) => r.type === SUBSCRIPTION).map((r) => [r.name, r.inputs.endpoint]),
        ).to.deep.equal([
            ["dev-notifications-email-0", BLINDED_SECRET],
            ["dev-notifications-email-1", BLINDED_SECRET],
        ]);
        const printed = preview.output + JSON.stringify(preview.events);
        for (const email of EMAILS) expect(printed).not.to.include(email);

        const run = await withPassphrase(ws, () => runStack("dev", defineStack, { stackFile, outputs: "preview" }));
        expect(run.error).to.equal(undefined);
        expect(
            run.resources.filter((r) => r.type === SUBSCRIPTION).map((r) => [r.name, r.inputs.endpoint]),
        ).to.deep.equal([
            ["dev-notifications-email-0", secret(EMAILS[0])],
            ["dev-notifications-email-1", secret(EMAILS[1])],
        ]);
        const config = readPolicyPackConfig(path.join(PROJECT_ROOT, "policy-pack", "config", "dev.json"));
        const plan = fromPlan(run, await evaluatePolicies(run, { config }));
        expect(differences(fromEngine, plan)).to.deep.equal([]);
        expect(plan.policyReports.length).to.be.greaterThan(0);
        expect(fromEngine.policyReports.length).to.equal(plan.policyReports.length);
    });

    it("a key that may not be secret, set with --secret: refused by the engine and the offline plan with the same message, nothing registered", async () => {
        ws = PreviewWorkspace.create(engine);
        const stackFile = await initDev(ws);
        await cli(ws, "config", "set", "--stack", "dev", "--secret", `${NS}:budgetMonthlyLimitUsd`, "1500");
        expect(YAML.parse(fs.readFileSync(stackFile, "utf8")).config[`${NS}:budgetMonthlyLimitUsd`]).to.have.keys(
            "secure",
        );

        const preview = await previewStack(ws, "dev", "json");
        expect(preview.code).to.equal(1);
        const refusal = engineRefusal(preview);
        expect(refusal.registered).to.deep.equal([]);
        expect(refusal.errors).to.have.length(1);
        expect(printed(refusal.errors[0])).to.equal(SECRET_REFUSED);

        await withPassphrase(ws, () =>
            refusedOffline(runStack("dev", defineStack, { stackFile, outputs: "preview" }), SECRET_REFUSED),
        );
        const plan = planScript(stackFile, ws.passphrase);
        expect(plan.status).to.equal(2);
        expect(plan.stdout).to.include(planned(SECRET_REFUSED));
    });

    describe("a stack file contradicting a value of Pulumi.yaml", () => {
        let dir: string;
        let stackFile: string;

        before(() => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "contradicted-"));
            stackFile = path.join(dir, "Pulumi.dev.yaml");
            const dev = fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.dev.yaml"), "utf8");
            expect(dev).not.to.include(`${NS}:devBranch`);
            expect(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), "utf8")).to.match(
                /\n {4}devBranch:\n(?: {8}.*\n)* {8}value: "develop"\n/,
            );
            fs.writeFileSync(stackFile, `${dev.trimEnd()}\n    ${NS}:devBranch: other\n`);
        });
        after(() => fs.rmSync(dir, { recursive: true, force: true }));

        it("the real engine runs the program (the CLI lets a stack value override the project's), which refuses it before registering anything", async () => {
            ws = PreviewWorkspace.create(engine, { stackFiles: { dev: stackFile } });
            const preview = await previewStack(ws, "dev", "json");
            expect(preview.code).to.equal(1);
            const refusal = engineRefusal(preview);
            expect(refusal.registered).to.deep.equal([]);
            expect(refusal.errors).to.have.length(1);
            expect(printed(refusal.errors[0])).to.equal(CONTRADICTED);
        });

        it("the offline plan refuses it with the same message", async () => {
            await refusedOffline(runStack("dev", defineStack, { stackFile, outputs: "preview" }), CONTRADICTED);
            const plan = planScript(stackFile);
            expect(plan.status).to.equal(2);
            expect(plan.stdout).to.include(planned(CONTRADICTED));
        });
    });
});
