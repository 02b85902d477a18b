import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { allPolicies, POLICY_PACK_NAME } from "../policies";
import { logGroupRetentionMinimum } from "../policies/logging";
import { s3EncryptionCmk, s3Versioning } from "../policies/s3";
import { policyMetadata } from "../policies";
import { NOT_WAIVABLE_CONTROLS, NOT_WAIVABLE_IN_PROD, setWaiverClock, WaivedReport, Waiver } from "../policies/waivers";
import {
    enforcementLevelOf,
    evaluatePolicies,
    readPolicyPackConfig,
    validatePolicyPackConfig,
} from "../../offline/analysis/policyRunner";
import { check, PROJECT, res, stackRun, urnOf } from "./fixtures";

const TODAY = "2026-06-15";
const LOG_POLICY = "cloudwatch-log-group-retention-minimum";
const logs = res("aws:cloudwatch/logGroup:LogGroup", "app-logs", { retentionInDays: 30 });
const otherLogs = res("aws:cloudwatch/logGroup:LogGroup", "audit-logs", { retentionInDays: 30 });
const LOG_FINDING =
    'Log group "app-logs" keeps logs 30 days; required: at least 90 days or never expire; fix: set logRetentionDays to 90 or more.';
const OTHER_FINDING = LOG_FINDING.replace('"app-logs"', '"audit-logs"');
const buildLogs = res("aws:cloudwatch/logGroup:LogGroup", "build-output", { retentionInDays: 30 });
const BUILD_FINDING = LOG_FINDING.replace('"app-logs"', '"build-output"');

const waiver = (overrides: Partial<Record<keyof Waiver, unknown>> = {}) => ({
    stack: "dev",
    resources: ["app-logs"],
    reason: "Scratch log group of a load test, deleted with it",
    approvedBy: "isso@example.gov",
    expires: "2026-06-30",
    ...overrides,
});
const logWaivers = (...waivers: object[]) => ({ [LOG_POLICY]: { waivers } });

describe("waivers", () => {
    let restoreClock: () => void;
    beforeEach(() => (restoreClock = setWaiverClock(() => new Date(`${TODAY}T12:00:00Z`))));
    afterEach(() => restoreClock());

    it("without a waiver the finding is reported", async () => {
        expect(await check([logGroupRetentionMinimum], [logs])).to.deep.equal([[LOG_POLICY, "app-logs", LOG_FINDING]]);
    });

    it("a valid waiver accepts the finding on the resources it names: not reported, but recorded with its approval", async () => {
        const waived: WaivedReport[] = [];
        const verdict = await evaluatePolicies(stackRun([logs, otherLogs]), {
            policies: [logGroupRetentionMinimum],
            config: logWaivers(waiver()),
            onWaived: (w) => waived.push(w),
        });
        expect(verdict.violations.map((v) => [v.resourceName, v.message])).to.deep.equal([
            ["audit-logs", OTHER_FINDING],
        ]);
        expect(waived).to.deep.equal([
            {
                policy: LOG_POLICY,
                urn: urnOf("dev", logs),
                message: LOG_FINDING,
                waiver: {
                    reason: "Scratch log group of a load test, deleted with it",
                    approvedBy: "isso@example.gov",
                    expires: "2026-06-30",
                },
            },
        ]);
    });

    it("a URN pattern covers every matching resource; the expiry day itself still counts", async () => {
        const pattern = `urn:pulumi:dev::${PROJECT}::aws:cloudwatch/logGroup:LogGroup::*-logs`;
        expect(
            await check([logGroupRetentionMinimum], [logs, otherLogs, buildLogs], {
                config: logWaivers(waiver({ resources: [pattern], expires: TODAY })),
            }),
        ).to.deep.equal([[LOG_POLICY, "build-output", BUILD_FINDING]]);
    });

    it("a waiver whose wildcards take in every resource of a type the stack holds more than one of waives nothing", async () => {
        const waived: WaivedReport[] = [];
        const pattern = `urn:pulumi:dev::${PROJECT}::aws:cloudwatch/logGroup:LogGroup::*`;
        const verdict = await evaluatePolicies(stackRun([logs, otherLogs]), {
            policies: [logGroupRetentionMinimum],
            config: logWaivers(waiver({ resources: [pattern] })),
            onWaived: (w) => waived.push(w),
        });
        expect(verdict.violations.map((v) => [v.resourceName, v.message])).to.deep.equal([
            ["app-logs", LOG_FINDING],
            ["audit-logs", OTHER_FINDING],
            [
                undefined,
                `waiver 1 of ${LOG_POLICY} (${pattern}) covers every aws:cloudwatch/logGroup:LogGroup of stack dev (2) ` +
                    `through "${pattern}"; a waiver names the resources it accepts (fix the finding, or list each resource by its name)`,
            ],
        ]);
        expect(waived).to.deep.equal([]);
        // Two names, each given exactly, are two approved exceptions, not a wildcard.
        expect(
            await check([logGroupRetentionMinimum], [logs, otherLogs], {
                config: logWaivers(waiver({ resources: ["app-logs", "audit-logs"] })),
            }),
        ).to.deep.equal([]);
        // So are URN patterns whose `*` spans only the parents' types.
        const exact = (name: string) => `urn:pulumi:dev::${PROJECT}::*aws:cloudwatch/logGroup:LogGroup::${name}`;
        expect(
            await check([logGroupRetentionMinimum], [logs, otherLogs], {
                config: logWaivers(waiver({ resources: [exact("app-logs"), exact("audit-logs")] })),
            }),
        ).to.deep.equal([]);
        // With one log group in the stack the same pattern names that one.
        expect(
            await check([logGroupRetentionMinimum], [logs], { config: logWaivers(waiver({ resources: [pattern] })) }),
        ).to.deep.equal([]);
    });

    it("a pattern of wildcards alone, or of wildcards and the URN's fixed parts, names no resource and waives nothing", async () => {
        const patterns = ["*", "urn:*", `urn:pulumi:dev::${PROJECT}::*`, "?*-*"];
        expect(
            await check([logGroupRetentionMinimum], [logs], {
                config: logWaivers(...patterns.map((p) => waiver({ resources: [p] }))),
            }),
        ).to.deep.equal([
            [LOG_POLICY, "app-logs", LOG_FINDING],
            [
                LOG_POLICY,
                undefined,
                `waiver 1 of ${LOG_POLICY} (*) resources: "*" names no resource (only wildcards); give the resource's name, or its type or name in a URN pattern`,
            ],
            [
                LOG_POLICY,
                undefined,
                `waiver 2 of ${LOG_POLICY} (urn:*) resources: "urn:*" names no resource (only wildcards and the URN's fixed parts); give the resource's name, or its type or name in a URN pattern`,
            ],
            [
                LOG_POLICY,
                undefined,
                `waiver 3 of ${LOG_POLICY} (urn:pulumi:dev::${PROJECT}::*) resources: "urn:pulumi:dev::${PROJECT}::*" names no resource (only wildcards and the URN's fixed parts); give the resource's name, or its type or name in a URN pattern`,
            ],
            [
                LOG_POLICY,
                undefined,
                `waiver 4 of ${LOG_POLICY} (?*-*) resources: "?*-*" names no resource (only wildcards); give the resource's name, or its type or name in a URN pattern`,
            ],
        ]);
    });

    it("an expired waiver waives nothing and is itself reported", async () => {
        expect(
            await check([logGroupRetentionMinimum], [logs], {
                config: logWaivers(waiver({ expires: "2026-06-14" })),
            }),
        ).to.deep.equal([
            [LOG_POLICY, "app-logs", LOG_FINDING],
            [
                LOG_POLICY,
                undefined,
                `waiver 1 of ${LOG_POLICY} (app-logs) expired on 2026-06-14 (today is ${TODAY}); fix the finding or renew the waiver with a new approval`,
            ],
        ]);
    });

    it("a waiver without a reason or an approver, or with a date that is not an ISO date, waives nothing", async () => {
        expect(
            await check([logGroupRetentionMinimum], [logs], {
                config: logWaivers(waiver({ reason: " ", approvedBy: undefined, expires: "30/06/2026" })),
            }),
        ).to.deep.equal([
            [LOG_POLICY, "app-logs", LOG_FINDING],
            [
                LOG_POLICY,
                undefined,
                `waiver 1 of ${LOG_POLICY} (app-logs) has no reason; say why the finding is accepted`,
            ],
            [
                LOG_POLICY,
                undefined,
                `waiver 1 of ${LOG_POLICY} (app-logs) has no approver; "approvedBy" names who accepted the risk`,
            ],
            [
                LOG_POLICY,
                undefined,
                `waiver 1 of ${LOG_POLICY} (app-logs) expires: found "30/06/2026", expected an ISO date (YYYY-MM-DD), the last day it applies`,
            ],
        ]);
    });

    it("a waiver that matches no resource of the stack is reported", async () => {
        expect(
            await check([logGroupRetentionMinimum], [logs], {
                config: logWaivers(waiver({ resources: ["old-logs"] })),
            }),
        ).to.deep.equal([
            [LOG_POLICY, "app-logs", LOG_FINDING],
            [
                LOG_POLICY,
                undefined,
                `waiver 1 of ${LOG_POLICY} (old-logs) matches no resource of stack dev; remove it or correct its resources`,
            ],
        ]);
    });

    it("a waiver approved for another stack, or naming none, waives nothing", async () => {
        expect(
            await check([logGroupRetentionMinimum], [logs], {
                config: logWaivers(waiver({ stack: "qa" }), waiver({ stack: undefined })),
            }),
        ).to.deep.equal([
            [LOG_POLICY, "app-logs", LOG_FINDING],
            [
                LOG_POLICY,
                undefined,
                `waiver 1 of ${LOG_POLICY} (app-logs) is for stack "qa", not "dev"; each stack's config holds its own waivers`,
            ],
            [LOG_POLICY, undefined, `waiver 2 of ${LOG_POLICY} (app-logs) names no stack; set "stack": "dev"`],
        ]);
    });

    it("a waiver of an unknown policy is refused when the config is read", () => {
        expect(
            validatePolicyPackConfig({ "s3-bucket-encryption": { waivers: [waiver()] } }, allPolicies),
        ).to.deep.equal([
            `s3-bucket-encryption: no such policy in ${POLICY_PACK_NAME} (the policies are listed in policy-pack/README.md)`,
        ]);
        expect(validatePolicyPackConfig({ [LOG_POLICY]: { waivers: waiver() } }, allPolicies)).to.deep.equal([
            `${LOG_POLICY}.waivers: found ${JSON.stringify(waiver())}, expected array`,
        ]);
        expect(validatePolicyPackConfig({ [LOG_POLICY]: { waivers: ["app-logs"] } }, allPolicies)).to.deep.equal([
            `${LOG_POLICY}.waivers: found ["app-logs"], expected object items`,
        ]);
    });

    describe("stack policies and the controls prod never waives", () => {
        const bucket = res("aws:s3/bucket:Bucket", "scratch", { bucket: "scratch-bucket" });
        const bucketWaiver = (stack: string, policy: string) => ({
            [policy]: { waivers: [waiver({ stack, resources: ["scratch"] })] },
        });

        it("a stack policy's finding on a resource is waived by the resource's name", async () => {
            const [finding] = await check([s3Versioning], [bucket]);
            expect(finding.slice(0, 2)).to.deep.equal(["s3-bucket-versioning", "scratch"]);
            expect(
                await check([s3Versioning], [bucket], { config: bucketWaiver("dev", "s3-bucket-versioning") }),
            ).to.deep.equal([]);
            expect(
                await check([s3Versioning], [bucket], {
                    stack: "prod",
                    config: bucketWaiver("prod", "s3-bucket-versioning"),
                }),
            ).to.deep.equal([]);
        });

        it("a stack policy's waiver whose wildcard takes in every bucket waives nothing", async () => {
            const other = res("aws:s3/bucket:Bucket", "uploads", { bucket: "uploads-bucket" });
            const findings = await check([s3Versioning], [bucket, other]);
            expect(findings.map((f) => f.slice(0, 2))).to.deep.equal([
                ["s3-bucket-versioning", "scratch"],
                ["s3-bucket-versioning", "uploads"],
            ]);
            const pattern = "urn:pulumi:dev::*::*aws:s3/bucket:Bucket::*";
            expect(
                await check([s3Versioning], [bucket, other], {
                    config: { "s3-bucket-versioning": { waivers: [waiver({ resources: [pattern] })] } },
                }),
            ).to.deep.equal([
                [
                    "s3-bucket-versioning",
                    undefined,
                    `waiver 1 of s3-bucket-versioning (${pattern}) covers every aws:s3/bucket:Bucket of stack dev (2) ` +
                        `through "${pattern}"; a waiver names the resources it accepts (fix the finding, or list each resource by its name)`,
                ],
                ...findings,
            ]);
        });

        it("a non-waivable control is waivable in dev but not in prod, where the waiver is reported and the finding stays", async () => {
            const [finding] = await check([s3EncryptionCmk], [bucket], { stack: "prod" });
            expect(finding.slice(0, 2)).to.deep.equal(["s3-bucket-sse-kms-cmk", "scratch"]);
            expect(
                await check([s3EncryptionCmk], [bucket], { config: bucketWaiver("dev", "s3-bucket-sse-kms-cmk") }),
            ).to.deep.equal([]);
            expect(
                await check([s3EncryptionCmk], [bucket], {
                    stack: "prod",
                    config: bucketWaiver("prod", "s3-bucket-sse-kms-cmk"),
                }),
            ).to.deep.equal([
                [
                    "s3-bucket-sse-kms-cmk",
                    undefined,
                    "waiver 1 of s3-bucket-sse-kms-cmk (scratch) cannot be waived in prod: s3-bucket-sse-kms-cmk is " +
                        "one of the pack's non-waivable prod controls (policy-pack/README.md, Waivers); fix the finding",
                ],
                finding,
            ]);
        });

        it("the non-waivable controls are policies of the pack, mandatory in every checked-in stack", () => {
            const names = allPolicies.map((p) => p.name);
            const configDir = path.join(__dirname, "..", "config");
            for (const file of fs.readdirSync(configDir)) {
                const config = readPolicyPackConfig(path.join(configDir, file));
                for (const name of NOT_WAIVABLE_IN_PROD) {
                    expect(names, name).to.include(name);
                    const policy = allPolicies.find((p) => p.name === name)!;
                    expect(enforcementLevelOf(policy, config), `${name} in ${file}`).to.equal("mandatory");
                }
            }
        });

        it("every mandatory policy of an encryption or access control (NOT_WAIVABLE_CONTROLS) is never waived in prod", () => {
            const controls: readonly string[] = [...NOT_WAIVABLE_CONTROLS.encryption, ...NOT_WAIVABLE_CONTROLS.access];
            const inCategories = policyMetadata
                .filter((m) => m.enforcementLevel === "mandatory" && m.nist.some((c) => controls.includes(c)))
                .map((m) => m.name);
            expect(inCategories.filter((n) => !NOT_WAIVABLE_IN_PROD.includes(n))).to.deep.equal([]);
            // The review's examples, by name, so a change of their NIST tags cannot drop them unnoticed.
            expect(NOT_WAIVABLE_IN_PROD).to.include.members([
                "elb-listener-tls-policy",
                "elb-listener-fips-tls-policy-govcloud",
                "elb-http-redirects-to-https",
                "ec2-security-group-no-public-admin-ports",
                "ecs-service-no-public-ip",
                "iam-passrole-scoped",
                "ecr-kms-encryption",
                "sns-topic-kms",
                "secretsmanager-secret-cmk",
            ]);
            // Only an advisory policy of those controls is left out: it never blocks, so it has nothing to waive.
            expect(
                policyMetadata
                    .filter((m) => m.nist.some((c) => controls.includes(c)) && !NOT_WAIVABLE_IN_PROD.includes(m.name))
                    .map((m) => [m.name, m.enforcementLevel]),
            ).to.deep.equal([["ecs-read-only-root-filesystem", "advisory"]]);
            // No name twice, none unknown.
            expect(new Set(NOT_WAIVABLE_IN_PROD).size).to.equal(NOT_WAIVABLE_IN_PROD.length);
            expect(NOT_WAIVABLE_IN_PROD.filter((n) => !policyMetadata.some((m) => m.name === n))).to.deep.equal([]);
        });
    });
});
