import * as aws from "@pulumi/aws";
import type { ValidateFunction } from "ajv";
import Ajv from "ajv-draft-04";
import addFormats from "ajv-formats";
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Log } from "sarif";
import { ComplianceRecord, evaluateStackCompliance } from "../offline/analysis/compliance";
import { planStack, StackPlan } from "../offline/analysis/plan";
import {
    CANNOT_DECIDE,
    componentOf,
    componentSources,
    configKeyLine,
    fingerprint,
    policySarif,
    stableMessage,
} from "../offline/report/sarif";
import { PROJECT_ROOT } from "../offline/runtime/stackFiles";
import { policyMetadata } from "../policy-pack/policies";
import { defineStack } from "../stacks/program";
import { main } from "../scripts/plan";

const SCHEMA = path.join(__dirname, "fixtures", "sarif", "sarif-2.1.0-rtm.5.json");
const NS = "devsecops-pipelines";

/** The dev stack with one log group the pack must refuse (1-day retention, no customer-managed key). */
async function plantedDev(): Promise<StackPlan> {
    return planStack("dev", {
        program: async () => {
            const outputs = await defineStack();
            new aws.cloudwatch.LogGroup("planted-logs", { name: "planted", retentionInDays: 1 });
            return outputs;
        },
    });
}

const lineOf = (file: string, text: string) =>
    fs
        .readFileSync(path.join(PROJECT_ROOT, file), "utf8")
        .split("\n")
        .findIndex((l) => l.includes(text)) + 1;

describe("SARIF of the policy verdict", () => {
    it("fingerprints tell apart findings of one policy on one resource and stack-level findings, and ignore volatile parts", () => {
        const urn = `urn:pulumi:dev::${NS}::aws:iam/role:Role::deploy`;
        const base = { stack: "dev", policy: "iam-passrole-scoped", urn };
        const one = fingerprint({ ...base, message: 'statement 1 allows iam:PassRole on "*"' });
        const two = fingerprint({ ...base, message: 'statement 2 allows iam:PassRole on "*"' });
        expect(one).to.match(/^[0-9a-f]{64}$/);
        expect(one).not.to.equal(two);
        // Two reports about the stack (no URN) of one policy.
        const audit = { stack: "dev", policy: "s3-bucket-versioning" };
        expect(fingerprint({ ...audit, message: "waiver 1 of s3-bucket-versioning (a) has no reason" })).not.to.equal(
            fingerprint({ ...audit, message: "waiver 2 of s3-bucket-versioning (b) has no reason" }),
        );
        // The same finding on another day, with another auto-name suffix, keeps its fingerprint.
        const monday = "waiver 1 of p (x) expired on 2026-06-14 (today is 2026-06-15); renew it; bucket logs-1a2b3c4";
        const tuesday = "waiver 1 of p (x) expired on 2026-06-14 (today is 2026-06-16);  renew it; bucket logs-9f8e7d6";
        expect(stableMessage(monday)).to.equal(
            "waiver 1 of p (x) expired on <date> (today is <date>); renew it; bucket logs-<suffix>",
        );
        expect(fingerprint({ ...base, message: monday })).to.equal(fingerprint({ ...base, message: tuesday }));
        expect(stableMessage("at 2026-06-15T12:00:00.000Z")).to.equal("at <date>");
    });

    let validate: ValidateFunction;
    let dir: string;
    before(() => {
        // rtm.5's language pattern has a stray "]" that only a non-unicode RegExp accepts (as the schema's own tools do).
        const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
        addFormats(ajv);
        validate = ajv.compile(JSON.parse(fs.readFileSync(SCHEMA, "utf8")));
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "sarif-test-"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const valid = (log: unknown) => {
        const ok = validate(log);
        expect(validate.errors ?? [], "SARIF 2.1.0 schema").to.deep.equal([]);
        return ok;
    };

    it("the schema validator is live: it refuses a result level SARIF does not have and a run without a tool", () => {
        expect(validate({ version: "2.1.0", runs: [{ tool: { driver: { name: "x" } }, results: [] }] })).to.equal(true);
        expect(
            validate({
                version: "2.1.0",
                runs: [{ tool: { driver: { name: "x" } }, results: [{ message: { text: "m" }, level: "fatal" }] }],
            }),
        ).to.equal(false);
        expect(validate({ version: "2.1.0", runs: [{ results: [] }] })).to.equal(false);
    });

    it("npm run plan -- --all --sarif FILE: one run, the pack as the tool, a rule per policy, no result for clean stacks", async () => {
        const file = path.join(dir, "plan.sarif");
        const code = await main(["--all", "--quiet", "--sarif", file], { out: () => undefined, err: () => undefined });
        expect(code).to.equal(0);
        const log = JSON.parse(fs.readFileSync(file, "utf8")) as Log;
        expect(valid(log)).to.equal(true);
        expect(log.version).to.equal("2.1.0");
        expect(log.runs).to.have.length(1);
        const [run] = log.runs;
        expect(run.tool.driver).to.include({
            name: "devsecops-policy-pack",
            version: "0.1.0",
            semanticVersion: "0.1.0",
        });
        expect(run.tool.driver.rules!.map((r) => r.id)).to.deep.equal(policyMetadata.map((m) => m.name));
        expect(run.results).to.deep.equal([]);
        const [invocation] = run.invocations!;
        expect(invocation.executionSuccessful).to.equal(true);
        expect(invocation.properties).to.deep.equal({ stacks: ["tool", "dev", "qa", "stage", "prod"] });
        // What cannot be decided until `pulumi up` is a note of the run, never an alert.
        const notes = invocation.toolExecutionNotifications!;
        expect(notes.length).to.be.greaterThan(0);
        for (const n of notes) {
            expect(n.level).to.equal("note");
            expect(n.message.text).to.match(/^(tool|dev|qa|stage|prod): .+: can't run policy '/);
            expect(n.associatedRule!.id).to.equal(/policy '([^']+)'/.exec(n.message.text ?? "")![1]);
        }
    });

    it("a rule carries the policy's summary, level by severity, help and its NIST and FSBP ids as tags", () => {
        const rules = policySarif([]).runs[0].tool.driver.rules!;
        expect(rules).to.have.length(policyMetadata.length);
        expect(rules.find((r) => r.id === "cloudwatch-log-group-kms")).to.deep.equal({
            id: "cloudwatch-log-group-kms",
            name: "cloudwatch-log-group-kms",
            shortDescription: { text: "Log groups are encrypted with a customer-managed KMS key." },
            fullDescription: {
                text: "Log groups are encrypted with a customer-managed KMS key. (NIST SP 800-53 rev. 5: AU-9, SC-28; AWS FSBP: none)",
            },
            help: {
                text: [
                    "Log groups are encrypted with a customer-managed KMS key.",
                    "Severity medium; enforcement mandatory by default, per stack in policy-pack/config/<stack>.json.",
                    "NIST SP 800-53 rev. 5: AU-9, SC-28",
                    "AWS FSBP: none",
                    "Each violation says what was found, what is required and how to fix it; policy-pack/README.md lists every policy.",
                ].join("\n"),
                markdown: [
                    "Log groups are encrypted with a customer-managed KMS key.",
                    "Severity medium; enforcement mandatory by default, per stack in policy-pack/config/<stack>.json.",
                    "NIST SP 800-53 rev. 5: AU-9, SC-28",
                    "AWS FSBP: none",
                    "Each violation says what was found, what is required and how to fix it; policy-pack/README.md lists every policy.",
                ].join("\n\n"),
            },
            defaultConfiguration: { level: "warning" },
            properties: {
                tags: ["security", "compliance", "nist:AU-9", "nist:SC-28"],
                precision: "very-high",
                "security-severity": "5.5",
            },
        });
        // Every severity maps to its level and GitHub security-severity; FSBP ids become tags where a policy has them.
        const levels = new Map(rules.map((r) => [r.id, r.defaultConfiguration!.level]));
        for (const meta of policyMetadata) {
            const expected = { critical: "error", high: "error", medium: "warning", low: "note" }[meta.severity];
            expect(levels.get(meta.name), meta.name).to.equal(expected);
            const tags = rules.find((r) => r.id === meta.name)!.properties!.tags;
            expect(tags, meta.name).to.deep.equal([
                "security",
                "compliance",
                ...meta.nist.map((c) => `nist:${c}`),
                ...meta.fsbp.map((c) => `fsbp:${c}`),
            ]);
        }
    });

    it("a planted violation: exact rule ids, levels and results, at the stack file's key line, by resource URN", async () => {
        const plan = await plantedDev();
        expect(plan.status).to.equal("violations");
        const log = policySarif([plan]);
        expect(valid(JSON.parse(JSON.stringify(log)))).to.equal(true);
        const urn = `urn:pulumi:dev::${NS}::aws:cloudwatch/logGroup:LogGroup::planted-logs`;
        const results = log.runs[0].results!;
        expect(
            results.map((r) => [r.ruleId, r.level, r.locations![0].physicalLocation!.region!.startLine]),
        ).to.deep.equal([
            // The retention message names logRetentionDays: its line in Pulumi.dev.yaml.
            ["cloudwatch-log-group-retention-minimum", "warning", lineOf("Pulumi.dev.yaml", "logRetentionDays:")],
            // The KMS message names no config key: the line of `config:`.
            ["cloudwatch-log-group-kms", "warning", lineOf("Pulumi.dev.yaml", "config:")],
        ]);
        expect(results[0].message.text).to.equal(
            'dev: planted-logs (aws:cloudwatch/logGroup:LogGroup): Log group "planted-logs" keeps logs 1 days; required: at least 90 days or never expire; fix: set logRetentionDays to 90 or more.',
        );
        for (const r of results) {
            expect(r.locations![0].physicalLocation!.artifactLocation!.uri).to.equal("Pulumi.dev.yaml");
            expect(r.locations![0].logicalLocations).to.deep.equal([
                { name: "planted-logs", fullyQualifiedName: urn, kind: "resource" },
            ]);
            expect(r.properties).to.deep.equal({ stack: "dev", enforcementLevel: "mandatory" });
            expect(r.relatedLocations).to.equal(undefined); // declared by the stack, not by a component
            expect(r.suppressions).to.equal(undefined);
            expect(r.ruleIndex).to.equal(policyMetadata.findIndex((m) => m.name === r.ruleId));
        }
        // One result per violation that is not a "cannot decide at preview" note.
        expect(results).to.have.length(
            plan.policy.evaluated ? plan.policy.violations.filter((v) => !CANNOT_DECIDE.test(v.message)).length : -1,
        );
        expect(results[0].partialFingerprints!["policyVerdict/v1"]).to.match(/^[0-9a-f]{64}$/);
        expect(results[0].partialFingerprints).not.to.deep.equal(results[1].partialFingerprints);
    });

    it("a waived finding is a result with an external suppression whose justification is the waiver's reason", async () => {
        const plan = await plantedDev();
        const waived: ComplianceRecord = {
            stack: "dev",
            policy: "cloudwatch-log-group-kms",
            scope: "resource",
            severity: "medium",
            enforcementLevel: "mandatory",
            urn: `urn:pulumi:dev::${NS}::devsecops:pipeline:FargatePipeline$devsecops:pipeline:PipelineBuildProjects$aws:cloudwatch/logGroup:LogGroup::dev-orders-api-builds-unit-tests-logs`,
            resourceName: "dev-orders-api-builds-unit-tests-logs",
            resourceType: "aws:cloudwatch/logGroup:LogGroup",
            result: "waived",
            message: "Log group has kmsKeyId none",
            waiver: { reason: "Build logs hold no data; key rollout in Q3", approvedBy: "ISSO", expires: "2027-03-31" },
            nist: ["AU-9", "SC-28"],
            fsbp: [],
        };
        const passed: ComplianceRecord = { ...waived, result: "pass", message: "", waiver: undefined };
        const log = policySarif([plan], { records: [waived, passed] });
        expect(valid(JSON.parse(JSON.stringify(log)))).to.equal(true);
        const results = log.runs[0].results!;
        expect(results.map((r) => r.ruleId)).to.deep.equal([
            "cloudwatch-log-group-retention-minimum",
            "cloudwatch-log-group-kms",
            "cloudwatch-log-group-kms",
        ]);
        const suppressed = results[2];
        expect(suppressed.suppressions).to.deep.equal([
            {
                kind: "external",
                status: "accepted",
                justification: "Build logs hold no data; key rollout in Q3",
                properties: { approvedBy: "ISSO", expires: "2027-03-31" },
            },
        ]);
        // Declared inside PipelineBuildProjects: its source file is the related location.
        expect(suppressed.relatedLocations).to.deep.equal([
            {
                id: 0,
                physicalLocation: {
                    artifactLocation: { uri: "components/buildProjects.ts" },
                    region: {
                        startLine: lineOf(
                            "components/buildProjects.ts",
                            'super("devsecops:pipeline:PipelineBuildProjects"',
                        ),
                    },
                },
                message: { text: "component devsecops:pipeline:PipelineBuildProjects" },
            },
        ]);
    });

    it("with the evidence's records, a waiver in the policy config makes the finding a suppressed result", async () => {
        const config = path.join(dir, "dev-waiver.json");
        const waiver = {
            stack: "dev",
            resources: ["planted-logs"],
            reason: "Planted for the SARIF test; the key arrives with the log archive",
            approvedBy: "isso@example.gov",
            expires: "2099-12-31",
        };
        const dev = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "policy-pack", "config", "dev.json"), "utf8"));
        fs.writeFileSync(config, JSON.stringify({ ...dev, "cloudwatch-log-group-kms": { waivers: [waiver] } }));
        const program = async () => {
            const outputs = await defineStack();
            new aws.cloudwatch.LogGroup("planted-logs", { name: "planted", retentionInDays: 1 });
            return outputs;
        };
        const plan = await planStack("dev", { program, policyPackConfig: config });
        const evidence = await evaluateStackCompliance("dev", { program, policyPackConfig: config });
        const log = policySarif([plan], { records: evidence.records });
        expect(valid(JSON.parse(JSON.stringify(log)))).to.equal(true);
        const results = log.runs[0].results!;
        expect(results.map((r) => [r.ruleId, r.suppressions?.map((x) => [x.kind, x.justification])])).to.deep.equal([
            ["cloudwatch-log-group-retention-minimum", undefined],
            ["cloudwatch-log-group-kms", [["external", waiver.reason]]],
        ]);
        expect(results[1].suppressions![0].properties).to.deep.equal({
            approvedBy: "isso@example.gov",
            expires: "2099-12-31",
        });
    });

    it("a stack that does not run is an error notification and an unsuccessful invocation", async () => {
        const file = path.join(dir, "broken.sarif");
        const argv = [
            "--stack",
            "dev",
            "--stack-file",
            path.join("test", "fixtures", "Pulumi.broken.yaml"),
            "--sarif",
            file,
        ];
        const code = await main(argv, { out: () => undefined, err: () => undefined });
        expect(code).to.equal(2);
        const log = JSON.parse(fs.readFileSync(file, "utf8")) as Log;
        expect(valid(log)).to.equal(true);
        const [invocation] = log.runs[0].invocations!;
        expect(invocation.executionSuccessful).to.equal(false);
        const [error] = invocation.toolExecutionNotifications!;
        expect(error.level).to.equal("error");
        expect(error.message.text).to.match(/^dev: config error: /);
        expect(error.locations![0].physicalLocation!.artifactLocation!.uri).to.equal(
            "test/fixtures/Pulumi.broken.yaml",
        );
        expect(log.runs[0].results).to.deep.equal([]);
    });

    it("locations: a project key by its short name, other namespaces by full name; components by their type token", () => {
        const stackFile = path.join(dir, "Pulumi.x.yaml");
        fs.writeFileSync(
            stackFile,
            ["config:", "    aws:region: us-gov-west-1", "    devsecops-pipelines:imageScanMaxHigh: 3", ""].join("\n"),
        );
        expect(configKeyLine(stackFile, "found 4 HIGH; raise imageScanMaxHigh")).to.equal(3);
        expect(configKeyLine(stackFile, "aws:region is us-east-1")).to.equal(2);
        expect(configKeyLine(stackFile, "the region is us-east-1")).to.equal(1);
        expect(configKeyLine(path.join(dir, "missing.yaml"), "imageScanMaxHigh")).to.equal(1);
        const components = componentSources();
        const urn = `urn:pulumi:dev::${NS}::devsecops:pipeline:FargatePipeline$devsecops:service:FargateService$aws:ecs/service:Service::s`;
        expect(componentOf(urn, components)).to.deep.equal({
            token: "devsecops:service:FargateService",
            file: "targets/fargate/service.ts",
            line: lineOf("targets/fargate/service.ts", 'super("devsecops:service:FargateService"'),
        });
        expect(componentOf(`urn:pulumi:dev::${NS}::aws:s3/bucket:Bucket::b`, components)).to.equal(undefined);
    });
});
