/**
 * The real engine honours a waiver the way the offline plan does: dev with logRetentionDays 30 (a real mandatory
 * violation of cloudwatch-log-group-retention-minimum on every log group) previewed with a temporary policy pack
 * config that waives it by a URN pattern per log group (a wildcard over every log group's name is too broad and
 * waives nothing), and holds an expired waiver of an advisory policy (reported by its audit).
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { defineStack } from "../../stacks/program";
import { evaluateStackCompliance } from "../../offline/analysis/compliance";
import { runStack } from "../../offline/runtime/mockRuntime";
import { evaluatePolicies, readPolicyPackConfig } from "../../offline/analysis/policyRunner";
import { PROJECT_ROOT } from "../../offline/runtime/stackFiles";
import type { WaivedReport } from "../../policy-pack/policies/waivers";
import { ensureEngine } from "../cli";
import { differences, fromEngineEvents, fromPlan, stackUrn } from "../parity";
import { PreviewWorkspace } from "../preview";

const LOG = "cloudwatch-log-group-retention-minimum";
// A URN holds the types of its parents before its own: `*` before the type covers any depth.
const logGroup = (name: string) => `urn:pulumi:dev::devsecops-pipelines::*aws:cloudwatch/logGroup:LogGroup::${name}`;
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

describe("a waiver in the real engine and in the offline plan", () => {
    let dir: string;
    let stackFile: string;
    let policyConfig: string;

    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "waiver-"));
        stackFile = path.join(dir, "Pulumi.dev.yaml");
        const dev = fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.dev.yaml"), "utf8");
        expect(dev).to.include("devsecops-pipelines:logRetentionDays: 90\n");
        fs.writeFileSync(stackFile, dev.replace("logRetentionDays: 90\n", "logRetentionDays: 30\n"));
        const base = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "policy-pack", "config", "dev.json"), "utf8"));
        policyConfig = path.join(dir, "dev.json");
        const groups = (await runStack("dev", defineStack, { stackFile, outputs: "preview" })).resources
            .filter((r) => r.type === "aws:cloudwatch/logGroup:LogGroup")
            .map((r) => logGroup(r.name));
        fs.writeFileSync(
            policyConfig,
            JSON.stringify({
                ...base,
                [LOG]: {
                    waivers: [
                        {
                            stack: "dev",
                            resources: groups,
                            reason: "Dev logs are copied to the log archive account nightly",
                            approvedBy: "isso@example.gov",
                            expires: day(30),
                        },
                    ],
                },
                "s3-bucket-lifecycle": {
                    enforcementLevel: base["s3-bucket-lifecycle"],
                    waivers: [
                        {
                            stack: "dev",
                            resources: ["dev-artifacts-bucket"],
                            reason: "Lifecycle rules arrive with the archive bucket",
                            approvedBy: "isso@example.gov",
                            expires: day(-1),
                        },
                    ],
                },
            }),
        );
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("offline: without the waiver every log group is a mandatory violation; with it, each is waived and recorded", async () => {
        const run = await runStack("dev", defineStack, { stackFile, outputs: "preview" });
        expect(run.error).to.equal(undefined);
        const groups = run.resources.filter((r) => r.type === "aws:cloudwatch/logGroup:LogGroup").map((r) => r.urn);
        expect(groups.length).to.be.greaterThan(0);
        const plain = await evaluatePolicies(run, {
            config: readPolicyPackConfig(path.join(PROJECT_ROOT, "policy-pack", "config", "dev.json")),
        });
        expect(
            plain.violations.filter((v) => v.policyName === LOG).map((v) => [v.urn, v.enforcementLevel]),
        ).to.deep.equal(groups.map((g) => [g, "mandatory"]));
        const waived: WaivedReport[] = [];
        const verdict = await evaluatePolicies(run, {
            config: readPolicyPackConfig(policyConfig),
            onWaived: (w) => waived.push(w),
        });
        expect(verdict.mandatory).to.equal(0);
        expect(waived.map((w) => [w.policy, w.urn])).to.deep.equal(groups.map((g) => [LOG, g]));
        const evidence = await evaluateStackCompliance("dev", { stackFile, policyPackConfig: policyConfig });
        expect(evidence.records.filter((r) => r.policy === LOG).map((r) => [r.urn, r.result])).to.deep.equal(
            groups.map((g) => [g, "waived"]).sort(),
        );
    });

    it("the real engine: the preview passes, and its policy reports equal the offline plan's (the expired waiver's too)", async () => {
        const ws = PreviewWorkspace.create(ensureEngine({ preferPath: false }), { stackFiles: { dev: stackFile } });
        try {
            const select = await ws.run(["stack", "select", "--create", "dev", "--non-interactive"]);
            expect(select.code, select.stderr).to.equal(0);
            const preview = await ws.run(
                [
                    "preview",
                    "--stack",
                    "dev",
                    "--policy-pack",
                    "policy-pack",
                    "--policy-pack-config",
                    policyConfig,
                    "--non-interactive",
                    "--json",
                ],
                { PULUMI_ENABLE_STREAMING_JSON_PREVIEW: "true" },
            );
            expect(preview.code, preview.stderr).to.equal(0);
            const events = preview.stdout
                .split("\n")
                .filter((line) => line.trim().startsWith("{"))
                .map((line) => JSON.parse(line) as Record<string, any>);
            const engine = fromEngineEvents("dev", events);
            expect(engine.policyReports.filter((r) => r.enforcementLevel === "mandatory")).to.deep.equal([]);
            expect(engine.policyReports.filter((r) => r.policyName === LOG)).to.deep.equal([]);
            const expired = engine.policyReports.filter((r) => r.policyName === "s3-bucket-lifecycle");
            expect(expired.map((r) => [r.enforcementLevel, r.message.split("\n")[1]])).to.deep.equal([
                [
                    "advisory",
                    `waiver 1 of s3-bucket-lifecycle (dev-artifacts-bucket) expired on ${day(-1)} (today is ${day(0)}); ` +
                        "fix the finding or renew the waiver with a new approval",
                ],
            ]);

            const run = await runStack("dev", defineStack, { stackFile, outputs: "preview" });
            const plan = fromPlan(run, await evaluatePolicies(run, { config: readPolicyPackConfig(policyConfig) }));
            expect(differences(engine, plan)).to.deep.equal([]);
            expect(engine.policyReports.length).to.equal(plan.policyReports.length);
        } finally {
            ws.dispose();
        }
    });

    it("the real engine: an over-broad waiver waives nothing; the findings its resource validations held back come from the audit, as offline", async () => {
        const broad = path.join(dir, "broad.json");
        const config = JSON.parse(fs.readFileSync(policyConfig, "utf8"));
        const pattern = logGroup("*");
        config[LOG].waivers[0].resources = [pattern];
        fs.writeFileSync(broad, JSON.stringify(config));
        const ws = PreviewWorkspace.create(ensureEngine({ preferPath: false }), { stackFiles: { dev: stackFile } });
        try {
            const select = await ws.run(["stack", "select", "--create", "dev", "--non-interactive"]);
            expect(select.code, select.stderr).to.equal(0);
            const preview = await ws.run(
                ["preview", "--stack", "dev", "--policy-pack", "policy-pack", "--policy-pack-config", broad].concat([
                    "--non-interactive",
                    "--json",
                ]),
                { PULUMI_ENABLE_STREAMING_JSON_PREVIEW: "true" },
            );
            expect(preview.code).to.not.equal(0);
            const events = preview.stdout
                .split("\n")
                .filter((line) => line.trim().startsWith("{"))
                .map((line) => JSON.parse(line) as Record<string, any>);
            const engine = fromEngineEvents("dev", events);
            const run = await runStack("dev", defineStack, { stackFile, outputs: "preview" });
            const groups = run.resources.filter((r) => r.type === "aws:cloudwatch/logGroup:LogGroup").map((r) => r.urn);
            // The engine files a stack validation's report without a URN under the stack's.
            const root = stackUrn("devsecops-pipelines", "dev");
            const logReports = engine.policyReports.filter((r) => r.policyName === LOG);
            expect(logReports.filter((r) => r.urn !== root).map((r) => r.urn)).to.have.members(groups);
            expect(logReports.filter((r) => r.urn === root).map((r) => r.message.split("\n")[1])).to.deep.equal([
                `waiver 1 of ${LOG} (${pattern}) covers every aws:cloudwatch/logGroup:LogGroup of stack dev ` +
                    `(${groups.length}) through "${pattern}"; a waiver names the resources it accepts ` +
                    "(fix the finding, or list each resource by its name)",
            ]);
            const plan = fromPlan(run, await evaluatePolicies(run, { config: readPolicyPackConfig(broad) }));
            expect(differences(engine, plan)).to.deep.equal([]);
        } finally {
            ws.dispose();
        }
    });
});
