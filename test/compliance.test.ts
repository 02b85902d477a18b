import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { allPolicies } from "../policy-pack/policies";
import { kmsRotation } from "../policy-pack/policies/kms";
import { logGroupRetentionMinimum } from "../policy-pack/policies/logging";
import { s3Versioning } from "../policy-pack/policies/s3";
import { setWaiverClock } from "../policy-pack/policies/waivers";
import { PROJECT, res, stackRun, urnOf } from "../policy-pack/test/fixtures";
import {
    ComplianceRecord,
    complianceRecords,
    evaluateStackCompliance,
    observe,
    Observations,
    RESULTS,
    StackCompliance,
    stackCompliance,
} from "../offline/analysis/compliance";
import {
    COMPLIANCE_FILES,
    csvField,
    formatComplianceMarkdown,
    formatRecordsCsv,
    writeComplianceFiles,
} from "../offline/report/complianceFormat";
import { evaluatePolicies, readPolicyPackConfig } from "../offline/analysis/policyRunner";
import { runStack, StackRun } from "../offline/runtime/mockRuntime";
import { listStacks, PROJECT_ROOT } from "../offline/runtime/stackFiles";
import { defineStack } from "../stacks/program";
import { parseArgs } from "../scripts/plan";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { unknown } = require("@pulumi/pulumi/output") as { unknown: unknown };

const LOG = "cloudwatch-log-group-retention-minimum";
const logGroup = (name: string, retentionInDays: unknown) =>
    res("aws:cloudwatch/logGroup:LogGroup", name, { retentionInDays });
const resources = [
    logGroup("app-logs", 30),
    logGroup("audit-logs", 30),
    logGroup("ok-logs", 365),
    logGroup("pending-logs", unknown),
    res("aws:s3/bucket:Bucket", "scratch", { bucket: "scratch-bucket" }),
];
const urn = (name: string) =>
    urnOf(
        "dev",
        resources.find((r) => r.name === name)!,
    );
const WAIVER = {
    stack: "dev",
    resources: ["audit-logs"],
    reason: "Replaced by the org trail next sprint",
    approvedBy: "isso@example.gov",
    expires: "2026-12-31",
};
const config = { [LOG]: { waivers: [WAIVER] } };
const finding = (name: string) =>
    `Log group "${name}" keeps logs 30 days; required: at least 90 days or never expire; fix: set logRetentionDays to 90 or more.`;

describe("compliance evidence", () => {
    let restoreClock: () => void;
    before(() => (restoreClock = setWaiverClock(() => new Date("2026-06-15T00:00:00Z"))));
    after(() => restoreClock());

    describe("records and control summaries of a small stack", () => {
        let records: ComplianceRecord[];
        let versioningFinding: string;
        before(async () => {
            const policies = [logGroupRetentionMinimum, s3Versioning, kmsRotation];
            const run = stackRun(resources);
            versioningFinding = (await evaluatePolicies(run, { policies })).violations.find(
                (v) => v.policyName === "s3-bucket-versioning",
            )!.message;
            records = complianceRecords(run, await observe(run, config, policies), config, policies);
        });

        it("one row per policy × resource it applies to: pass, fail, waived (with the waiver), cannot-decide, not-applicable", () => {
            const log = {
                stack: "dev",
                policy: LOG,
                scope: "resource",
                severity: "medium",
                enforcementLevel: "mandatory",
                nist: ["AU-11"],
                fsbp: [],
                resourceType: "aws:cloudwatch/logGroup:LogGroup",
            };
            const versioning = {
                stack: "dev",
                policy: "s3-bucket-versioning",
                scope: "stack",
                severity: "medium",
                enforcementLevel: "mandatory",
                nist: ["CP-9", "SI-12"],
                fsbp: ["S3.14"],
            };
            expect(records).to.deep.equal([
                {
                    ...log,
                    urn: urn("app-logs"),
                    resourceName: "app-logs",
                    result: "fail",
                    message: finding("app-logs"),
                },
                {
                    ...log,
                    urn: urn("audit-logs"),
                    resourceName: "audit-logs",
                    result: "waived",
                    message: finding("audit-logs"),
                    waiver: {
                        reason: "Replaced by the org trail next sprint",
                        approvedBy: "isso@example.gov",
                        expires: "2026-12-31",
                    },
                },
                { ...log, urn: urn("ok-logs"), resourceName: "ok-logs", result: "pass", message: "" },
                {
                    ...log,
                    urn: urn("pending-logs"),
                    resourceName: "pending-logs",
                    result: "cannot-decide",
                    message:
                        `can't run policy '${LOG}' from policy pack 'devsecops-pipelines@v0.1.0' during preview: ` +
                        "string value at .retentionInDays can't be known during preview",
                },
                { ...versioning, result: "pass", message: "" },
                {
                    ...versioning,
                    urn: urn("scratch"),
                    resourceName: "scratch",
                    resourceType: "aws:s3/bucket:Bucket",
                    result: "fail",
                    message: versioningFinding,
                },
                {
                    stack: "dev",
                    policy: "kms-key-rotation",
                    scope: "resource",
                    severity: "medium",
                    enforcementLevel: "mandatory",
                    nist: ["SC-12"],
                    fsbp: ["KMS.4"],
                    result: "not-applicable",
                    message: "no resource of the types it checks in the stack",
                },
            ]);
        });

        it("each control counts the resources its policies judged once, by the worst result", () => {
            const s = stackCompliance("dev", records);
            expect(s.counts).to.deep.equal({ pass: 2, fail: 2, waived: 1, "cannot-decide": 1, "not-applicable": 1 });
            expect(s.nist).to.deep.equal([
                {
                    control: "AU-11",
                    policies: [LOG],
                    checked: 4,
                    passed: 1,
                    failed: 1,
                    waived: 1,
                    undecided: 1,
                },
                {
                    control: "CP-9",
                    policies: ["s3-bucket-versioning"],
                    checked: 2,
                    passed: 1,
                    failed: 1,
                    waived: 0,
                    undecided: 0,
                },
                {
                    control: "SC-12",
                    policies: ["kms-key-rotation"],
                    checked: 0,
                    passed: 0,
                    failed: 0,
                    waived: 0,
                    undecided: 0,
                },
                {
                    control: "SI-12",
                    policies: ["s3-bucket-versioning"],
                    checked: 2,
                    passed: 1,
                    failed: 1,
                    waived: 0,
                    undecided: 0,
                },
            ]);
            expect(s.fsbp.map((c) => [c.control, c.checked, c.failed])).to.deep.equal([
                ["KMS.4", 0, 0],
                ["S3.14", 2, 1],
            ]);
        });

        it("a waiver's own problems are failures of its policy on the stack", async () => {
            const expired = { [LOG]: { waivers: [{ ...WAIVER, expires: "2026-06-01" }] } };
            const run = stackRun(resources);
            const rows = complianceRecords(run, await observe(run, expired, [logGroupRetentionMinimum]), expired, [
                logGroupRetentionMinimum,
            ]);
            expect(rows.map((r) => [r.resourceName ?? "(stack)", r.result, r.message])).to.deep.equal([
                [
                    "(stack)",
                    "fail",
                    `waiver 1 of ${LOG} (audit-logs) expired on 2026-06-01 (today is 2026-06-15); fix the finding or renew the waiver with a new approval`,
                ],
                ["app-logs", "fail", finding("app-logs")],
                ["audit-logs", "fail", finding("audit-logs")],
                ["ok-logs", "pass", ""],
                ["pending-logs", "cannot-decide", rows[4].message],
            ]);
        });

        it("CSV quotes what needs it; Markdown lists every row that is not a pass", () => {
            expect(csvField('say "hi", then\nleave')).to.equal('"say ""hi"", then\nleave"');
            expect(csvField("plain")).to.equal("plain");
            const report = {
                version: 1 as const,
                project: PROJECT,
                policyPack: "devsecops-pipelines",
                date: "2026-06-15",
                stacks: [stackCompliance("dev", records)],
            };
            const csv = formatRecordsCsv(report).split("\r\n");
            expect(csv[0]).to.equal(
                "stack,policy,scope,severity,enforcement level,resource type,resource name,urn,result,message," +
                    "waiver reason,waiver approved by,waiver expires,NIST SP 800-53,AWS FSBP",
            );
            expect(csv[2]).to.equal(
                `dev,${LOG},resource,medium,mandatory,aws:cloudwatch/logGroup:LogGroup,audit-logs,${urn("audit-logs")},` +
                    `waived,"${finding("audit-logs").replace(/"/g, '""')}",Replaced by the org trail next sprint,` +
                    "isso@example.gov,2026-12-31,AU-11,",
            );
            expect(csv).to.have.length(records.length + 2); // header, rows, final line break
            const md = formatComplianceMarkdown(report);
            expect(md).to.include("| dev | 2 | 2 | 1 | 1 | 1 |\n");
            expect(md).to.include("| AU-11 | 4 | 1 | 1 | 1 | 1 | `cloudwatch-log-group-retention-minimum` |\n");
            expect(md).to.include(
                `| \`${LOG}\` | mandatory | aws:cloudwatch/logGroup:LogGroup \`audit-logs\` | ` +
                    `${finding("audit-logs")} — waived: Replaced by the org trail next sprint; approved by ` +
                    "isso@example.gov; expires 2026-12-31 |\n",
            );
            expect(md).not.to.include("`ok-logs`");
        });
    });

    describe("the five checked-in stacks", () => {
        const evidence = new Map<string, StackCompliance>();
        const observed = new Map<string, Observations>();
        const runs = new Map<string, StackRun>();
        before(async () => {
            for (const stack of listStacks()) {
                const run = await runStack(stack, defineStack, { outputs: "preview" });
                const config = readPolicyPackConfig(path.join(PROJECT_ROOT, "policy-pack", "config", `${stack}.json`));
                const o = await observe(run, config);
                runs.set(stack, run);
                observed.set(stack, o);
                evidence.set(
                    stack,
                    stackCompliance(stack, complianceRecords(run, o, config), `policy-pack/config/${stack}.json`),
                );
            }
        });

        it("evaluateStackCompliance runs the stack with its policy pack config", async () => {
            expect(await evaluateStackCompliance("prod")).to.deep.equal(evidence.get("prod"));
        });

        it("every applicable policy × resource appears exactly once, and every policy at least once", () => {
            expect([...evidence.keys()].sort()).to.deep.equal(["dev", "prod", "qa", "stage", "tool"]);
            for (const [stack, s] of evidence) {
                expect(s.error, stack).to.equal(undefined);
                const keys = s.records.map((r) => `${r.policy} ${r.urn ?? "(stack)"}`);
                expect(new Set(keys).size, stack).to.equal(keys.length);
                expect([...new Set(s.records.map((r) => r.policy))], stack).to.deep.equal(
                    allPolicies.map((p) => p.name),
                );
                for (const r of s.records.filter((x) => x.result === "not-applicable"))
                    expect(
                        s.records.filter((x) => x.policy === r.policy),
                        `${stack} ${r.policy}`,
                    ).to.have.length(1);
            }
        });

        it("no failure or waiver; cannot-decide rows are exactly the analyzer's 'can't run during preview' reports", () => {
            for (const [stack, s] of evidence) {
                expect(s.counts.fail, stack).to.equal(0);
                expect(s.counts.waived, stack).to.equal(0);
                const undecided = observed.get(stack)!.violations.map((v) => `${v.policyName} ${v.urn ?? "(stack)"}`);
                const rows = s.records
                    .filter((r) => r.result === "cannot-decide")
                    .map((r) => `${r.policy} ${r.urn ?? "(stack)"}`);
                expect(rows.sort(), stack).to.deep.equal(undecided.sort());
                expect(
                    RESULTS.reduce((n, r) => n + s.counts[r], 0),
                    stack,
                ).to.equal(s.records.length);
            }
        });

        it("undecided at preview: only the artifact bucket policy, which names the key by its AWS-assigned ARN", () => {
            const bucketPolicyRows = (env: string) => [
                `resource-policy-cross-account-narrowed ${env}-artifacts-policy`,
                `resource-policy-no-public-access ${env}-artifacts-policy`,
                "s3-bucket-tls-only (stack)",
                "s3-bucket-uploads-require-stack-key (stack)",
            ];
            for (const [stack, s] of evidence) {
                const rows = s.records
                    .filter((r) => r.result === "cannot-decide")
                    .map((r) => `${r.policy} ${r.resourceName ?? "(stack)"}`)
                    .sort();
                expect(rows, stack).to.deep.equal(stack === "tool" ? [] : bucketPolicyRows(stack));
            }
        });

        it("typed resource policies judge exactly the resources of their type", () => {
            for (const stack of ["dev", "prod"]) {
                const run = runs.get(stack)!;
                const keys = run.resources.filter((r) => r.type === "aws:kms/key:Key").map((r) => r.urn);
                expect(keys.length, stack).to.be.greaterThan(0);
                const rows = evidence.get(stack)!.records.filter((r) => r.policy === "kms-key-rotation");
                expect(rows.map((r) => [r.urn, r.result]).sort(), stack).to.deep.equal(
                    keys.map((k) => [k, "pass"]).sort(),
                );
                const tags = evidence.get(stack)!.records.filter((r) => r.policy === "required-tags");
                expect(
                    tags.map((r) => [r.urn, r.result]),
                    stack,
                ).to.deep.equal([[undefined, "pass"]]);
            }
        });

        it("control summaries: checked = passed + failed + waived + undecided, per stack and control", () => {
            for (const [stack, s] of evidence) {
                for (const c of [...s.nist, ...s.fsbp]) {
                    expect(c.checked, `${stack} ${c.control}`).to.equal(c.passed + c.failed + c.waived + c.undecided);
                }
                const ac6 = s.nist.find((c) => c.control === "AC-6")!;
                expect(ac6.checked, stack).to.be.greaterThan(0);
                expect(ac6.policies, stack).to.include("iam-no-wildcard-actions-on-all-resources");
            }
        });

        it("writes the four files into the directory", () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "compliance-"));
            try {
                const report = {
                    version: 1 as const,
                    project: PROJECT,
                    policyPack: "devsecops-pipelines",
                    date: "2026-06-15",
                    stacks: [...evidence.values()],
                };
                const files = writeComplianceFiles(dir, report);
                expect(files.map((f) => path.basename(f))).to.deep.equal(Object.values(COMPLIANCE_FILES));
                expect(JSON.parse(fs.readFileSync(path.join(dir, COMPLIANCE_FILES.json), "utf8"))).to.deep.equal(
                    JSON.parse(JSON.stringify(report)),
                );
                const lines = fs.readFileSync(path.join(dir, COMPLIANCE_FILES.records), "utf8").split("\r\n");
                const rows = report.stacks.reduce((n, s) => n + s.records.length, 0);
                expect(lines.length).to.equal(rows + 2);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    });

    it("npm run plan takes --compliance DIR, not with --base", () => {
        expect(parseArgs(["--all", "--compliance", "evidence"])).to.include({ all: true, compliance: "evidence" });
        expect(() => parseArgs(["--all", "--compliance", "evidence", "--base", "main"])).to.throw(
            "--compliance does not go with --base or --snapshot",
        );
    });
});
