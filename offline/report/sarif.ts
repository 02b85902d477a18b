/**
 * The policy verdict as SARIF 2.1.0 (`npm run plan -- --all --sarif FILE`), for GitHub code scanning: one run per plan
 * invocation, the policy pack as the tool, one rule per policy, one result per violation (per stack), each located
 * at the stack file (at the config key the message names, when it names one) with the component's source file as a
 * related location and the resource URN as the logical location. Waived findings of the compliance records are
 * results with an external suppression (the waiver's reason), so the Security tab lists them as suppressed.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { Severity } from "@pulumi/policy";
import { SarifBuilder, SarifResultBuilder, SarifRuleBuilder, SarifRunBuilder } from "node-sarif-builder";
import type { Location, Log, Notification, Result } from "sarif";
import packJson from "../../policy-pack/package.json";
import { POLICY_PACK_NAME, policyMetadata, PolicyMetadata } from "../../policy-pack/policies";
import type { ComplianceRecord } from "../analysis/compliance";
import type { StackPlan } from "../analysis/plan";
import { PROJECT_ROOT } from "../runtime/stackFiles";

/** The schema URI written into the log (`$schema`): the OASIS SARIF 2.1.0 schema. */
export const SARIF_SCHEMA_URI =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/** SARIF level of a policy's severity: critical and high are errors, medium warnings, low notes. */
export const SARIF_LEVEL: Readonly<Record<Severity, "error" | "warning" | "note">> = {
    critical: "error",
    high: "error",
    medium: "warning",
    low: "note",
};

/**
 * GitHub's `security-severity` of a policy's severity (code scanning reads it as critical above 9.0, high 7.0-8.9,
 * medium 4.0-6.9, low 0.1-3.9).
 */
export const SECURITY_SEVERITY: Readonly<Record<Severity, string>> = {
    critical: "9.5",
    high: "8.0",
    medium: "5.5",
    low: "3.0",
};

/**
 * The engine's (and the runner's) advisory note for a policy that stopped at a value unknown until `pulumi up`: not a
 * finding, so a notification of the run rather than a result.
 */
export const CANNOT_DECIDE = /^can't run policy '[^']+' from policy pack '[^']+' during preview: /;

/** Key of the fingerprint each result carries, so alerts keep their identity across runs and line moves. */
export const FINGERPRINT_KEY = "policyVerdict/v1";

export interface SarifOptions {
    /** Project root, where the stack files and components are read for line numbers; default the project's. */
    readonly root?: string;
    /**
     * The compliance records of the same run: their `waived` rows become suppressed results. Default none (only
     * the violations of the plan).
     */
    readonly records?: readonly ComplianceRecord[];
}

/** One finding, from a plan violation or a waived compliance record. */
export interface Finding {
    readonly stack: string;
    readonly stackFile: string;
    readonly policy: string;
    readonly enforcementLevel: string;
    readonly message: string;
    readonly urn?: string;
    readonly resourceName?: string;
    readonly resourceType?: string;
    readonly waiver?: ComplianceRecord["waiver"];
}

/** The SARIF log of the stacks' policy verdicts. */
export function policySarif(stacks: readonly StackPlan[], options: SarifOptions = {}): Log {
    const root = options.root ?? PROJECT_ROOT;
    const components = componentSources(root);
    const run = new SarifRunBuilder({
        tool: {
            driver: {
                name: packJson.name,
                version: packJson.version,
                semanticVersion: packJson.version,
                rules: [],
                properties: { pulumiPolicyPack: POLICY_PACK_NAME },
            },
        },
        invocations: [invocation(stacks, undecided(stacks))],
        results: [],
    });
    for (const meta of policyMetadata) run.addRule(rule(meta));
    const meta = new Map(policyMetadata.map((m) => [m.name, m]));
    for (const finding of findings(stacks, options.records ?? [])) {
        run.addResult(result(finding, meta.get(finding.policy), root, components));
    }
    const log = new SarifBuilder({ $schema: SARIF_SCHEMA_URI, version: "2.1.0", runs: [] });
    log.addRun(run);
    return log.buildSarifOutput();
}

/** The violations of every evaluated stack, then the waived records not already among them. */
function findings(stacks: readonly StackPlan[], records: readonly ComplianceRecord[]): Finding[] {
    const out: Finding[] = [];
    const stackFiles = new Map(stacks.map((s) => [s.stack, s.stackFile]));
    for (const s of stacks) {
        if (!s.policy.evaluated) continue;
        for (const v of s.policy.violations) {
            if (CANNOT_DECIDE.test(v.message)) continue;
            out.push({
                stack: s.stack,
                stackFile: s.stackFile,
                policy: v.policyName,
                enforcementLevel: v.enforcementLevel,
                message: v.message,
                ...(v.urn ? { urn: v.urn } : {}),
                ...(v.resourceName ? { resourceName: v.resourceName } : {}),
                ...(v.resourceType ? { resourceType: v.resourceType } : {}),
            });
        }
    }
    for (const r of records) {
        if (r.result !== "waived" || !r.waiver) continue;
        out.push({
            stack: r.stack,
            stackFile: stackFiles.get(r.stack) ?? `Pulumi.${r.stack}.yaml`,
            policy: r.policy,
            enforcementLevel: r.enforcementLevel,
            message: r.message,
            ...(r.urn ? { urn: r.urn } : {}),
            ...(r.resourceName ? { resourceName: r.resourceName } : {}),
            ...(r.resourceType ? { resourceType: r.resourceType } : {}),
            waiver: r.waiver,
        });
    }
    return out;
}

/** One rule per policy: summary, level by severity, help with the controls, tags for NIST and FSBP ids. */
function rule(meta: PolicyMetadata): SarifRuleBuilder {
    const controls = [
        `NIST SP 800-53 rev. 5: ${meta.nist.join(", ")}`,
        `AWS FSBP: ${meta.fsbp.length ? meta.fsbp.join(", ") : "none"}`,
    ];
    const help = [
        meta.summary,
        `Severity ${meta.severity}; enforcement ${meta.enforcementLevel} by default, per stack in policy-pack/config/<stack>.json.`,
        ...controls,
        "Each violation says what was found, what is required and how to fix it; policy-pack/README.md lists every policy.",
    ];
    return new SarifRuleBuilder({
        id: meta.name,
        name: meta.name,
        shortDescription: { text: meta.summary },
        fullDescription: { text: `${meta.summary} (${controls.join("; ")})` },
        help: { text: help.join("\n"), markdown: help.join("\n\n") },
        defaultConfiguration: { level: SARIF_LEVEL[meta.severity] },
        properties: {
            tags: [
                "security",
                "compliance",
                ...meta.nist.map((c) => `nist:${c}`),
                ...meta.fsbp.map((c) => `fsbp:${c}`),
            ],
            precision: "very-high",
            "security-severity": SECURITY_SEVERITY[meta.severity],
        },
    });
}

/**
 * A violation at its rule's level; an advisory violation (the stack's config does not block on it) is at most a
 * warning, so code scanning does not fail a check that the plan passes.
 */
function result(
    f: Finding,
    meta: PolicyMetadata | undefined,
    root: string,
    components: ReadonlyMap<string, SourceLine>,
): SarifResultBuilder {
    const ruleLevel = meta ? SARIF_LEVEL[meta.severity] : "error";
    const level = f.enforcementLevel === "advisory" && ruleLevel === "error" ? "warning" : ruleLevel;
    const subject = f.resourceName ? `${f.resourceName} (${f.resourceType ?? "resource"})` : "the stack";
    const urn = f.urn;
    const component = urn ? componentOf(urn, components) : undefined;
    const r: Result = {
        ruleId: f.policy,
        level,
        message: { text: `${f.stack}: ${subject}: ${f.message}` },
        locations: [
            {
                physicalLocation: {
                    artifactLocation: { uri: f.stackFile },
                    region: { startLine: configKeyLine(path.join(root, f.stackFile), f.message) },
                },
                logicalLocations: [
                    urn
                        ? { name: f.resourceName, fullyQualifiedName: urn, kind: "resource" }
                        : { name: f.stack, fullyQualifiedName: `stack:${f.stack}`, kind: "module" },
                ],
            },
        ],
        ...(component ? { relatedLocations: [relatedLocation(component)] } : {}),
        partialFingerprints: { [FINGERPRINT_KEY]: fingerprint(f) },
        properties: { stack: f.stack, enforcementLevel: f.enforcementLevel },
        ...(f.waiver
            ? {
                  suppressions: [
                      {
                          kind: "external",
                          status: "accepted",
                          justification: f.waiver.reason,
                          properties: { approvedBy: f.waiver.approvedBy, expires: f.waiver.expires },
                      },
                  ],
              }
            : {}),
    };
    return new SarifResultBuilder(r);
}

function relatedLocation(source: SourceLine): Location {
    return {
        id: 0,
        physicalLocation: { artifactLocation: { uri: source.file }, region: { startLine: source.line } },
        message: { text: `component ${source.token}` },
    };
}

/**
 * The message without its volatile parts, for the fingerprint: dates and timestamps (a waiver's "today is ..."),
 * Pulumi's random auto-name suffixes ("-1a2b3c4"), and runs of whitespace.
 */
export function stableMessage(message: string): string {
    return message
        .replace(/\b\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?\b/g, "<date>")
        .replace(/-[0-9a-f]{7}\b/g, "-<suffix>")
        .replace(/\s+/g, " ")
        .trim();
}

/**
 * Stable across runs and line moves, distinct per finding: stack, policy, resource and the stable message (GitHub
 * merges results with equal partialFingerprints into one alert, so two findings of one policy on one resource, or
 * two stack-level findings, must differ).
 */
export function fingerprint(f: Pick<Finding, "stack" | "policy" | "urn" | "message">): string {
    return crypto
        .createHash("sha256")
        .update([f.stack, f.policy, f.urn ?? "", stableMessage(f.message)].join("\n"))
        .digest("hex");
}

/** The policies that could not decide at preview, per stack and resource: notes of the run. */
function undecided(stacks: readonly StackPlan[]): Notification[] {
    return stacks.flatMap((s) =>
        s.policy.evaluated
            ? s.policy.violations
                  .filter((v) => CANNOT_DECIDE.test(v.message))
                  .map((v) => ({
                      level: "note" as const,
                      message: { text: `${s.stack}: ${v.resourceName ?? "the stack"}: ${v.message}` },
                      associatedRule: { id: v.policyName },
                  }))
            : [],
    );
}

/**
 * Whether every stack ran: a stack that did not is an error notification (what failed, in which stack file); the
 * policies that could not decide at preview are notes.
 */
function invocation(stacks: readonly StackPlan[], notes: Notification[]) {
    const errors: Notification[] = stacks
        .filter((s) => s.error)
        .map((s) => ({
            level: "error" as const,
            message: { text: `${s.stack}: ${s.error!.kind} error: ${s.error!.message}` },
            locations: [{ physicalLocation: { artifactLocation: { uri: s.stackFile } } }],
        }));
    const notifications = [...errors, ...notes];
    return {
        executionSuccessful: errors.length === 0,
        ...(notifications.length ? { toolExecutionNotifications: notifications } : {}),
        properties: { stacks: stacks.map((s) => s.stack) },
    };
}

/**
 * The line of the stack file's config key that the message names (a project key by its short name, e.g.
 * `imageScanMaxHigh`, any other by its full name, e.g. `aws:region`), else the line of `config:`, else 1.
 */
export function configKeyLine(stackFile: string, message: string): number {
    if (!fs.existsSync(stackFile)) return 1;
    const lines = fs.readFileSync(stackFile, "utf8").split("\n");
    let configLine = 1;
    for (const [i, line] of lines.entries()) {
        if (/^config:\s*$/.test(line)) configLine = i + 1;
        const key = /^\s{2,4}([\w.-]+):([\w.-]+):/.exec(line);
        if (!key) continue;
        const [, namespace, name] = key;
        const named =
            namespace === "aws" || namespace === "pulumi"
                ? message.includes(`${namespace}:${name}`)
                : new RegExp(`\\b${name}\\b`).test(message) || message.includes(`${namespace}:${name}`);
        if (named) return i + 1;
    }
    return configLine;
}

export interface SourceLine {
    readonly token: string;
    /** Relative to the project root, with forward slashes. */
    readonly file: string;
    readonly line: number;
}

/** Where each ComponentResource type token is declared: `super("<token>"` in components/. */
export function componentSources(root: string = PROJECT_ROOT): Map<string, SourceLine> {
    const out = new Map<string, SourceLine>();
    // Components, and the deploy targets' own components (targets/<target>/...).
    const files = ["components", "targets"]
        .filter((dir) => fs.existsSync(path.join(root, dir)))
        .flatMap((dir) =>
            (fs.readdirSync(path.join(root, dir), { recursive: true }) as string[]).map((f) => path.join(dir, f)),
        )
        .filter((f) => f.endsWith(".ts"))
        .sort();
    for (const file of files) {
        const lines = fs.readFileSync(path.join(root, file), "utf8").split("\n");
        for (const [i, line] of lines.entries()) {
            const m = /\bsuper\("([\w-]+:[\w-]+:[\w-]+)"/.exec(line);
            if (m) out.set(m[1], { token: m[1], file: file.split(path.sep).join("/"), line: i + 1 });
        }
    }
    return out;
}

/** The innermost component in the URN's type chain that components/ or targets/ declares. */
export function componentOf(urn: string, components: ReadonlyMap<string, SourceLine>): SourceLine | undefined {
    const types = (urn.split("::")[2] ?? "").split("$");
    for (let i = types.length - 1; i >= 0; i--) {
        const found = components.get(types[i]);
        if (found) return found;
    }
    return undefined;
}
