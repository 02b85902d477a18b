/**
 * Compliance evidence (`npm run plan -- --all --compliance DIR`): every policy of the pack against every resource
 * it applies to, per stack, with pass / fail / waived / not-applicable / cannot-decide-at-preview, and a summary per
 * NIST SP 800-53 control and per AWS FSBP control. The records are the verdict other writers (SARIF) reuse.
 */
import type { Policy } from "@pulumi/policy";
import { defineStack } from "../../stacks/program";
import { allPolicies, POLICY_PACK_NAME } from "../../policy-pack/policies";
import { metadataOf } from "../../policy-pack/policies/common";
import type { WaivedReport } from "../../policy-pack/policies/waivers";
import { runStack, StackRun } from "../runtime/mockRuntime";
import { displayPath, policyPackConfigFor } from "./plan";
import type { PolicyEvaluator, StackPlan } from "./plan";
import {
    enforcementLevelOf,
    evaluatePolicies,
    PolicyOutcome,
    PolicyPackConfig,
    PolicyVerdict,
    PolicyViolation,
    readPolicyPackConfig,
} from "./policyRunner";

/** What one policy concluded about one resource (or the stack). */
export type ComplianceResult = "pass" | "fail" | "waived" | "not-applicable" | "cannot-decide";

/** The waiver that turned a failure into `waived`. */
export interface WaiverEvidence {
    readonly reason: string;
    readonly approvedBy: string;
    /** ISO date (YYYY-MM-DD), the last day the waiver applies. */
    readonly expires: string;
}

/** One row of the evidence: a policy against one resource of a stack (or the stack as a whole). */
export interface ComplianceRecord {
    readonly stack: string;
    readonly policy: string;
    readonly scope: "resource" | "stack";
    readonly severity: string;
    /** The level the stack's policy pack config gives the policy. */
    readonly enforcementLevel: string;
    /** The resource judged; absent for a stack policy's row about the whole stack and for not-applicable rows. */
    readonly urn?: string;
    readonly resourceName?: string;
    readonly resourceType?: string;
    readonly result: ComplianceResult;
    /** What the policy reported (fail, waived), why it could not decide, or why it does not apply; "" for pass. */
    readonly message: string;
    readonly waiver?: WaiverEvidence;
    readonly nist: readonly string[];
    readonly fsbp: readonly string[];
}

/** A control's tally over the resources its policies judged (each resource counted once, by its worst result). */
export interface ControlSummary {
    readonly control: string;
    readonly policies: readonly string[];
    /** Resources (and the stack itself, for stack-wide judgements) at least one of its policies judged. */
    readonly checked: number;
    readonly passed: number;
    readonly failed: number;
    readonly waived: number;
    /** Judged only by policies that could not decide at preview. */
    readonly undecided: number;
}

export type ResultCounts = Readonly<Record<ComplianceResult, number>>;

/** The evidence of one stack. */
export interface StackCompliance {
    readonly stack: string;
    /** The policy pack config applied, relative to the project root. */
    readonly policyConfig?: string;
    /** Present when the stack did not run; nothing else is then reported. */
    readonly error?: string;
    readonly records: ComplianceRecord[];
    readonly counts: ResultCounts;
    readonly nist: ControlSummary[];
    readonly fsbp: ControlSummary[];
}

/** Version of the JSON evidence's shape; bumped on any incompatible change. */
export const COMPLIANCE_VERSION = 1;

export interface ComplianceReport {
    readonly version: typeof COMPLIANCE_VERSION;
    readonly project: string;
    readonly policyPack: string;
    /** ISO date of the evaluation (waivers are judged against it). */
    readonly date: string;
    readonly stacks: StackCompliance[];
}

export const RESULTS: readonly ComplianceResult[] = ["pass", "fail", "waived", "cannot-decide", "not-applicable"];

/** What the runner told about one stack's evaluation. */
/** The verdict (violations and their counts), with every outcome and waived finding behind it. */
export interface Observations extends PolicyVerdict {
    readonly outcomes: readonly PolicyOutcome[];
    readonly waived: readonly WaivedReport[];
}

/** Evaluates the policies on a recorded run and records every outcome, violation and waived finding. */
export async function observe(
    run: StackRun,
    config: PolicyPackConfig = {},
    policies: Policy[] = allPolicies,
): Promise<Observations> {
    const outcomes: PolicyOutcome[] = [];
    const waived: WaivedReport[] = [];
    const verdict = await evaluatePolicies(run, {
        config,
        policies,
        onOutcome: (o) => outcomes.push(o),
        onWaived: (w) => waived.push(w),
    });
    return { ...verdict, outcomes, waived };
}

/** The analyzer's report of a policy that stopped at a value unknown at preview. */
const isUndecided = (v: PolicyViolation) => v.message.startsWith("can't run ");

/** Where a finding sits: a resource's URN, or "" for the stack as a whole. */
interface Cell {
    ran: boolean;
    unknown?: string;
    failures: string[];
    waived: WaivedReport[];
}
const cell = (): Cell => ({ ran: false, failures: [], waived: [] });

/**
 * Every policy against every resource it applies to, from what the runner observed. Resource policies: one row per
 * resource they ran on (or stopped at an unknown value on); stack policies: one row for the stack and one per
 * resource they reported on; a policy that applied to nothing: one not-applicable row with its reasons.
 */
export function complianceRecords(
    run: Pick<StackRun, "stack" | "resources">,
    observed: Observations,
    config: PolicyPackConfig = {},
    policies: readonly Policy[] = allPolicies,
): ComplianceRecord[] {
    const resources = new Map(run.resources.map((r) => [r.urn, r]));
    const records: ComplianceRecord[] = [];
    for (const policy of policies) {
        const meta = metadataOf(policy.name);
        const scope = meta?.scope ?? ("validateResource" in policy ? "resource" : "stack");
        const level = enforcementLevelOf(policy, config);
        const base = {
            stack: run.stack,
            policy: policy.name,
            scope,
            severity: meta?.severity ?? policy.severity ?? "",
            enforcementLevel: level,
            nist: meta?.nist ?? [],
            fsbp: meta?.fsbp ?? [],
        } as const;
        if (level === "disabled") {
            records.push({ ...base, result: "not-applicable", message: "disabled by the stack's policy pack config" });
            continue;
        }
        const cells = new Map<string, Cell>();
        const at = (key: string) => cells.get(key) ?? cells.set(key, cell()).get(key)!;
        const notApplicable = new Set<string>();
        for (const o of observed.outcomes) {
            if (o.policyName !== policy.name) continue;
            // A resource policy's stack validation audits its waivers and decides what its resources left unknown:
            // its problems are rows, its run is not, unless it could not decide (then the stack's row says so).
            if (scope === "resource" && o.phase === "stack" && o.outcome !== "unknown") continue;
            if (o.outcome === "not-applicable") {
                notApplicable.add(o.reason ?? "Policy does not apply");
                continue;
            }
            const c = at(o.phase === "stack" ? "" : o.urn!);
            c.ran = true;
            if (o.outcome === "unknown") c.unknown ??= o.reason;
        }
        for (const v of observed.violations) {
            if (v.policyName !== policy.name || isUndecided(v)) continue;
            at(v.urn ?? "").failures.push(v.message);
        }
        for (const w of observed.waived) if (w.policy === policy.name) at(w.urn ?? "").waived.push(w);

        if (cells.size === 0) {
            const reasons = [...notApplicable].sort();
            records.push({
                ...base,
                result: "not-applicable",
                message: reasons.length ? reasons.join("; ") : "no resource of the types it checks in the stack",
            });
            continue;
        }
        const keys = [...cells.keys()].sort((a, b) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : a > b ? 1 : 0));
        for (const key of keys) {
            const c = cells.get(key)!;
            const r = resources.get(key);
            const where = key ? { urn: key, resourceName: r?.name ?? key, resourceType: r?.type ?? "" } : {};
            const waiver = c.waived[0]?.waiver;
            const [result, message]: [ComplianceResult, string] =
                c.failures.length > 0
                    ? ["fail", c.failures.join("\n")]
                    : c.waived.length > 0
                      ? ["waived", c.waived.map((w) => w.message).join("\n")]
                      : c.unknown
                        ? ["cannot-decide", c.unknown]
                        : ["pass", ""];
            records.push({
                ...base,
                ...where,
                result,
                message,
                ...(result === "waived" && waiver ? { waiver: { ...waiver } } : {}),
            });
        }
    }
    return records;
}

const RANK: Record<ComplianceResult, number> = {
    fail: 4,
    waived: 3,
    "cannot-decide": 2,
    pass: 1,
    "not-applicable": 0,
};

/** Per control id: the resources its policies judged, each counted once by its worst result. */
export function controlSummaries(
    records: readonly ComplianceRecord[],
    controlsOf: (r: ComplianceRecord) => readonly string[],
): ControlSummary[] {
    const byControl = new Map<string, { policies: Set<string>; worst: Map<string, ComplianceResult> }>();
    for (const r of records) {
        for (const control of controlsOf(r)) {
            const entry = byControl.get(control) ?? {
                policies: new Set<string>(),
                worst: new Map<string, ComplianceResult>(),
            };
            byControl.set(control, entry);
            entry.policies.add(r.policy);
            if (r.result === "not-applicable") continue;
            const key = r.urn ?? `stack:${r.stack}`;
            const before = entry.worst.get(key);
            if (!before || RANK[r.result] > RANK[before]) entry.worst.set(key, r.result);
        }
    }
    return [...byControl.entries()]
        .sort(([a], [b]) => compareControls(a, b))
        .map(([control, { policies, worst }]) => {
            const results = [...worst.values()];
            const count = (x: ComplianceResult) => results.filter((r) => r === x).length;
            return {
                control,
                policies: [...policies].sort(),
                checked: results.length,
                passed: count("pass"),
                failed: count("fail"),
                waived: count("waived"),
                undecided: count("cannot-decide"),
            };
        });
}

/** AC-3 before AC-21, S3.2 before S3.17: family, then number. */
function compareControls(a: string, b: string): number {
    const split = (s: string) => {
        const m = /^(.*?)[-.](\d+)$/.exec(s);
        return m ? [m[1], Number(m[2])] : [s, 0];
    };
    const [fa, na] = split(a);
    const [fb, nb] = split(b);
    return String(fa).localeCompare(String(fb)) || Number(na) - Number(nb);
}

export function countResults(records: readonly ComplianceRecord[]): ResultCounts {
    const counts = Object.fromEntries(RESULTS.map((r) => [r, 0])) as Record<ComplianceResult, number>;
    for (const r of records) counts[r.result]++;
    return counts;
}

/** The evidence of one stack from its records. */
export function stackCompliance(stack: string, records: ComplianceRecord[], policyConfig?: string): StackCompliance {
    return {
        stack,
        ...(policyConfig ? { policyConfig } : {}),
        records,
        counts: countResults(records),
        nist: controlSummaries(records, (r) => r.nist),
        fsbp: controlSummaries(records, (r) => r.fsbp),
    };
}

export interface ComplianceOptions {
    /** A stack file other than `Pulumi.<stack>.yaml` (one stack only). */
    readonly stackFile?: string;
    /** Policy pack config; default `policy-pack/config/<stack>.json` when it exists. */
    readonly policyPackConfig?: string;
    /** The program; default the project's. */
    readonly program?: () => Promise<Record<string, unknown> | void>;
}

/** Runs a stack's program as at preview and builds its evidence; a stack that does not run gets an error entry. */
export async function evaluateStackCompliance(
    stack: string,
    options: ComplianceOptions = {},
): Promise<StackCompliance> {
    const configFile = policyPackConfigFor(stack, options.policyPackConfig);
    const failed = (e: unknown): StackCompliance => ({
        ...stackCompliance(stack, []),
        error: e instanceof Error ? e.message : String(e),
    });
    let run: StackRun;
    let config: PolicyPackConfig;
    try {
        config = configFile ? readPolicyPackConfig(configFile) : {};
        run = await runStack(stack, options.program ?? defineStack, {
            stackFile: options.stackFile,
            outputs: "preview",
        });
    } catch (e) {
        return failed(e);
    }
    if (run.error) return failed(run.error);
    return (await evidenceOf(run, config, configFile)).evidence;
}

/** A run's evidence under a policy pack config (read from `configFile`, if any), and the verdict behind it. */
async function evidenceOf(
    run: StackRun,
    config: PolicyPackConfig,
    configFile: string | undefined,
): Promise<{ evidence: StackCompliance; observed: Observations }> {
    const observed = await observe(run, config);
    const records = complianceRecords(run, observed, config);
    return {
        evidence: stackCompliance(run.stack, records, configFile ? displayPath(configFile) : undefined),
        observed,
    };
}

/** The evidence of the stacks, one after another. */
export async function complianceReport(
    project: string,
    stacks: readonly string[],
    options: ComplianceOptions = {},
    date: string = today(),
): Promise<ComplianceReport> {
    const out: StackCompliance[] = [];
    for (const stack of stacks) out.push(await evaluateStackCompliance(stack, options));
    return reportOf(project, out, date);
}

const today = () => new Date().toISOString().slice(0, 10);
const reportOf = (project: string, stacks: StackCompliance[], date: string): ComplianceReport => ({
    version: COMPLIANCE_VERSION,
    project,
    policyPack: POLICY_PACK_NAME,
    date,
    stacks,
});

/**
 * A plan's policy evaluator that keeps each stack's evidence as it evaluates, so `npm run plan` writes the verdict
 * and the evidence from one run of each stack. `report` takes the plans (a stack that did not run gets its error).
 */
export function evidenceCollector(): {
    evaluate: PolicyEvaluator;
    report: (project: string, plans: readonly StackPlan[], date?: string) => ComplianceReport;
} {
    const evidence = new Map<string, StackCompliance>();
    const evaluate: PolicyEvaluator = async (run, configFile) => {
        const { evidence: stackEvidence, observed } = await evidenceOf(
            run,
            configFile ? readPolicyPackConfig(configFile) : {},
            configFile,
        );
        evidence.set(run.stack, stackEvidence);
        return { violations: observed.violations, mandatory: observed.mandatory, advisory: observed.advisory };
    };
    const report = (project: string, plans: readonly StackPlan[], date = today()) =>
        reportOf(
            project,
            plans.map(
                (p) =>
                    evidence.get(p.stack) ?? { ...stackCompliance(p.stack, []), error: p.error?.message ?? p.status },
            ),
            date,
        );
    return { evaluate, report };
}
