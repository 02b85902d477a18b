import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import type { PolicyConfigSchema, ReportViolation, StackValidationArgs } from "@pulumi/policy";

/**
 * Waivers: accepted findings of one policy in one stack, with a reason, an approver and an expiry date. They live
 * in the policy's own entry of the stack's policy pack config (`policy-pack/config/<stack>.json`):
 *
 *     { "s3-bucket-lifecycle": { "waivers": [{ "stack": "dev", "resources": ["scratch-bucket"],
 *       "reason": "...", "approvedBy": "...", "expires": "2027-03-31" }] } }
 *
 * The analyzer hands each policy only its own entry (@pulumi/policy server.js, makeGetConfigFun(p.name)), so no
 * other policy could see them: each policy filters its own reports and audits its own waivers.
 */

/** The policy config property that holds a policy's waivers. */
export const WAIVERS_PROPERTY = "waivers";

/**
 * The NIST SP 800-53 controls whose policies prod never waives (a test checks that every mandatory policy tagged
 * with one of them is in NOT_WAIVABLE_IN_PROD): encryption at rest and in transit and its keys, and access that is
 * public, cross-account, wildcard or privileged.
 */
export const NOT_WAIVABLE_CONTROLS = {
    encryption: ["SC-8", "SC-12", "SC-13", "SC-28"],
    access: ["AC-3", "AC-6", "AC-21", "SC-7"],
} as const;

/**
 * Policies that are never waived in prod (nor in a stack whose environment is unknown): every mandatory policy of
 * NOT_WAIVABLE_CONTROLS, secrets, the account guard and the pipeline's gates. A finding of one of them in prod is
 * fixed, not accepted. Each is mandatory in every stack (a test checks).
 */
export const NOT_WAIVABLE_IN_PROD: readonly string[] = [
    // Encryption at rest and in transit, and its keys (SC-8, SC-12, SC-13, SC-28).
    "s3-bucket-sse-kms-cmk",
    "s3-bucket-tls-only",
    "kms-key-rotation",
    "kms-key-deletion-window",
    "kms-key-policy-cross-account-use-only",
    "iam-kms-decrypt-scoped",
    "codebuild-project-encryption-key",
    "codebuild-s3-logs-encrypted",
    "codebuild-report-group-export-encrypted",
    "codepipeline-artifact-store-cmk",
    "ecr-kms-encryption",
    "cloudwatch-log-group-kms",
    "sns-topic-kms",
    "secretsmanager-secret-cmk",
    "elb-http-redirects-to-https",
    "elb-drop-invalid-headers",
    "elb-listener-tls-policy",
    "elb-listener-fips-tls-policy-govcloud",
    "stateful-resources-protected",
    "sns-subscription-secure-endpoint",
    "kms-key-policy-lockout-check",
    "kms-alias-own-key",
    "s3-bucket-uploads-require-stack-key",
    "codebuild-source-tls-verified",
    // Public, cross-account, wildcard and privileged access (AC-3, AC-6, AC-21, SC-7).
    "s3-bucket-public-access-block",
    "s3-bucket-owner-enforced",
    "s3-bucket-no-public-grants",
    "kms-key-policy-no-public-principal",
    "iam-no-wildcard-actions-on-all-resources",
    "iam-passrole-scoped",
    "iam-person-role-boundary",
    "iam-break-glass-mfa",
    "iam-person-role-trust-narrowed",
    "iam-person-role-no-admin-in-prod",
    "iam-trust-policy-not-public",
    "iam-cross-account-trust-narrowed",
    "iam-service-trust-narrowed-to-account",
    "iam-no-privileged-managed-policies",
    "resource-policy-no-public-access",
    "resource-policy-cross-account-narrowed",
    "codebuild-privileged-mode-docker-only",
    "ecs-service-no-public-ip",
    "ecs-no-privileged-containers",
    "ecs-container-non-root-user",
    "ecs-service-no-execute-command",
    "ec2-security-group-public-ports-authorized",
    "ec2-security-group-no-public-admin-ports",
    "events-targets-own-accounts",
    "iam-no-policy-write-escalation",
    "iam-pipeline-triggers-scoped",
    "ecs-container-capabilities-dropped",
    "ec2-security-group-egress-scoped",
    "kms-key-policy-service-narrowed",
    "codebuild-project-own-role",
    "codepipeline-own-accounts",
    "lambda-no-public-access",
    "lambda-function-url-iam-auth",
    "lambda-in-vpc",
    "lambda-execution-role-no-wildcard",
    "elb-listener-rule-stays-in-service",
    // Secrets and credentials (IA-5, SC-28).
    "codebuild-no-plaintext-secrets",
    "codebuild-source-no-credentials",
    "ecs-no-secrets-in-environment",
    "ssm-parameter-secrets-secure-string",
    // The account guard and the pipeline's gates.
    "aws-provider-allowed-account-ids",
    "codepipeline-approval-before-deploy",
    "codepipeline-tests-and-scans-before-deploy",
];

/** One waiver as written in the config file (every field checked by the audit, none trusted). */
export interface Waiver {
    /** The stack it was approved for. */
    readonly stack?: string;
    /** Resource names or URN patterns (`*` any characters, `?` one), e.g. "urn:pulumi:dev::*::*aws:s3/bucket:Bucket::*" (a URN holds its parents' types before its own). */
    readonly resources?: readonly string[];
    /** Why the finding is accepted. */
    readonly reason?: string;
    /** Who accepted the risk. */
    readonly approvedBy?: string;
    /** ISO date (YYYY-MM-DD): the last day the waiver applies. */
    readonly expires?: string;
}

const WAIVER_SCHEMA: PolicyConfigJSONSchema = {
    type: "object",
    additionalProperties: false,
    properties: {
        stack: { type: "string" },
        resources: { type: "array", items: { type: "string" } },
        reason: { type: "string" },
        approvedBy: { type: "string" },
        expires: { type: "string" },
    },
};

/** The `waivers` property every policy of the pack declares (the CLI checks config files against it). */
export const WAIVERS_SCHEMA: PolicyConfigJSONSchema = {
    type: "array",
    description:
        "Accepted findings of this policy in this stack: { stack, resources (names or URN patterns), reason, approvedBy, expires (YYYY-MM-DD) }.",
    items: WAIVER_SCHEMA,
};

/** A policy's config schema with the `waivers` property added. */
export function withWaiversSchema(schema?: PolicyConfigSchema): PolicyConfigSchema {
    return { ...schema, properties: { ...schema?.properties, [WAIVERS_PROPERTY]: WAIVERS_SCHEMA } };
}

// ---------------------------------------------------------------------------------------------------------------
// The clock and the record of waived findings (both replaced by tests and the offline runner).

let now: () => Date = () => new Date();

/** Replaces the clock waivers are judged by; returns a function that restores the previous one. */
export function setWaiverClock(clock: () => Date): () => void {
    const before = now;
    now = clock;
    return () => {
        now = before;
    };
}

/** Today as an ISO date (UTC). */
export const today = (): string => now().toISOString().slice(0, 10);

/** A finding a waiver accepted: not reported to the engine, kept for the compliance evidence. */
export interface WaivedReport {
    readonly policy: string;
    /** The resource reported on; undefined for a report about the stack. */
    readonly urn?: string;
    readonly message: string;
    readonly waiver: { readonly reason: string; readonly approvedBy: string; readonly expires: string };
}

let waivedSink: ((w: WaivedReport) => void) | undefined;

/** Where waived findings go (the analyzer keeps none); returns a function that restores the previous sink. */
export function setWaivedSink(sink: ((w: WaivedReport) => void) | undefined): () => void {
    const before = waivedSink;
    waivedSink = sink;
    return () => {
        waivedSink = before;
    };
}

// ---------------------------------------------------------------------------------------------------------------
// Rules.

/** What a waiver is judged against: the previewed stack and its environment (read only when there are waivers). */
export interface WaiverContext {
    readonly stack: string;
    readonly project: string;
    /** tool, dev, qa, stage, prod or "unknown". */
    readonly environment: string;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function isIsoDate(s: string): boolean {
    const m = ISO_DATE.exec(s);
    if (!m) return false;
    const d = new Date(`${s}T00:00:00Z`);
    return !isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

const text = (v: unknown): string => (typeof v === "string" ? v.trim() : "");
const patternsOf = (w: Waiver): string[] =>
    Array.isArray(w.resources) ? w.resources.filter((r): r is string => typeof r === "string" && r !== "") : [];

/** The waivers in a policy's config value (anything else is no waiver; the CLI's schema check refuses it). */
export function waiversOf(value: unknown): Waiver[] {
    return Array.isArray(value) ? value.filter((w): w is Waiver => typeof w === "object" && w !== null) : [];
}

/** How a waiver is named in messages: its position and the resources it covers. */
export function describeWaiver(policy: string, waiver: Waiver, index: number): string {
    const patterns = patternsOf(waiver);
    return `waiver ${index + 1} of ${policy} (${patterns.length ? patterns.join(", ") : "no resources"})`;
}

/** The environments in which NOT_WAIVABLE_IN_PROD applies: prod, and an environment that cannot be told. */
const STRICT_ENVIRONMENTS = ["prod", "unknown"];

const words = (s: string): string[] => s.split(/[^A-Za-z0-9]+/).filter((w) => w !== "");

/**
 * Whether a pattern names nothing: a name pattern without a letter or digit ("*", "?*", "-*"), or a URN pattern
 * with no word beyond "urn", "pulumi" and the stack's and project's names ("urn:*", "urn:pulumi:dev::*"). Such a
 * pattern takes in every resource, today's and tomorrow's.
 */
export function namesNothing(pattern: string, ctx: Pick<WaiverContext, "stack" | "project">): boolean {
    if (!pattern.startsWith("urn:")) return words(pattern).length === 0;
    const fixed = new Set(["urn", "pulumi", ...words(ctx.stack), ...words(ctx.project)]);
    return words(pattern).every((w) => fixed.has(w));
}

/**
 * What makes a waiver unusable, judged without the stack's resources: each entry completes "waiver N of P (...)".
 * A waiver with any problem waives nothing.
 */
export function waiverProblems(policy: string, waiver: Waiver, ctx: WaiverContext, on: string = today()): string[] {
    const problems: string[] = [];
    const stack = text(waiver.stack);
    if (!stack) problems.push(`names no stack; set "stack": "${ctx.stack}"`);
    else if (stack !== ctx.stack)
        problems.push(`is for stack "${stack}", not "${ctx.stack}"; each stack's config holds its own waivers`);
    if (patternsOf(waiver).length === 0)
        problems.push(`covers no resources; list resource names or URN patterns in "resources"`);
    for (const p of patternsOf(waiver).filter((p) => namesNothing(p, ctx)))
        problems.push(
            `resources: "${p}" names no resource (only wildcards${p.startsWith("urn:") ? " and the URN's fixed parts" : ""}); ` +
                `give the resource's name, or its type or name in a URN pattern`,
        );
    if (!text(waiver.reason)) problems.push(`has no reason; say why the finding is accepted`);
    if (!text(waiver.approvedBy)) problems.push(`has no approver; "approvedBy" names who accepted the risk`);
    const expires = text(waiver.expires);
    if (!isIsoDate(expires)) {
        problems.push(
            `expires: found ${JSON.stringify(waiver.expires ?? null)}, expected an ISO date (YYYY-MM-DD), the last day it applies`,
        );
    } else if (expires < on) {
        problems.push(
            `expired on ${expires} (today is ${on}); fix the finding or renew the waiver with a new approval`,
        );
    }
    if (NOT_WAIVABLE_IN_PROD.includes(policy) && STRICT_ENVIRONMENTS.includes(ctx.environment)) {
        problems.push(
            `cannot be waived in ${ctx.environment}: ${policy} is one of the pack's non-waivable prod controls ` +
                `(policy-pack/README.md, Waivers); fix the finding`,
        );
    }
    return problems;
}

/** Glob match (`*`, `?`), case-sensitive as URNs and names are. */
function glob(pattern: string, value: string): boolean {
    const re = pattern
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".");
    return new RegExp(`^${re}$`).test(value);
}

const nameOfUrn = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);

/** The stack's own URN, which a report about the whole stack is matched by. */
export const stackUrnOf = (ctx: WaiverContext) =>
    `urn:pulumi:${ctx.stack}::${ctx.project}::pulumi:pulumi:Stack::${ctx.project}-${ctx.stack}`;

/** Whether a waiver covers a resource: a pattern starting "urn:" against its URN, any other against its name. */
export function covers(waiver: Waiver, urn: string): boolean {
    return patternsOf(waiver).some((p) => (p.startsWith("urn:") ? glob(p, urn) : glob(p, nameOfUrn(urn))));
}

/** Whether a pattern leaves the resource's name open (a `*` before a URN's type only spans its parents). */
const wildcardName = (p: string) => /[*?]/.test(p.startsWith("urn:") ? p.slice(p.lastIndexOf("::") + 2) : p);
const typeOfUrn = (urn: string) => {
    const types = urn.split("::")[2] ?? "";
    return types.slice(types.lastIndexOf("$") + 1);
};

/**
 * Why a waiver is too broad for the stack's resources (empty when it is not): its wildcards take in every resource
 * of a type of which the stack holds more than one. For a policy of one resource type that is every resource the
 * policy applies to: the waiver would switch the policy off for the stack, and silently take in each resource of
 * that type added later. Naming each resource exactly is not too broad (each was named and approved), even in a URN
 * pattern whose `*` spans the parents' types.
 */
export function overBroad(waiver: Waiver, ctx: WaiverContext, urns: readonly string[]): string[] {
    const byType = new Map<string, string[]>();
    for (const u of urns) {
        if (u === stackUrnOf(ctx)) continue;
        const t = typeOfUrn(u);
        byType.set(t, [...(byType.get(t) ?? []), u]);
    }
    const problems: string[] = [];
    for (const [type, all] of byType) {
        if (all.length < 2 || !all.every((u) => covers(waiver, u))) continue;
        const wildcards = patternsOf(waiver).filter(
            (p) => wildcardName(p) && all.some((u) => covers({ resources: [p] }, u)),
        );
        if (wildcards.length === 0) continue;
        problems.push(
            `covers every ${type} of stack ${ctx.stack} (${all.length}) through ${wildcards.map((p) => `"${p}"`).join(", ")}; ` +
                `a waiver names the resources it accepts (fix the finding, or list each resource by its name)`,
        );
    }
    return problems;
}

/** Findings of resource validations a waiver accepted, held until the policy's audit judges the waiver broadness. */
interface Pending {
    readonly stack: string;
    readonly waiver: number;
    readonly waived: WaivedReport;
}
const pending = new Map<string, Pending[]>();

/**
 * The policy's report function with its usable waivers applied: a finding on a resource a usable waiver covers is
 * not reported to the engine but recorded (setWaivedSink); every other finding is reported as it was.
 */
export function waiverFilter(
    policy: string,
    config: unknown,
    report: ReportViolation,
    defaultUrn: string | undefined,
    context: () => WaiverContext,
    stackUrns?: readonly string[],
): ReportViolation {
    const waivers = waiversOf(config);
    if (waivers.length === 0) return report;
    const ctx = context();
    const on = today();
    const usable = waivers
        .map((w, i) => ({ w, i }))
        .filter(({ w }) => waiverProblems(policy, w, ctx, on).length === 0)
        .filter(({ w }) => !stackUrns || overBroad(w, ctx, stackUrns).length === 0);
    return (message, urn) => {
        const target = urn ?? defaultUrn;
        const found = usable.find(({ w }) => covers(w, target ?? stackUrnOf(ctx)));
        if (!found) return report(message, urn);
        const { w: waiver, i } = found;
        const waived: WaivedReport = {
            policy,
            ...(target ? { urn: target } : {}),
            message,
            waiver: { reason: text(waiver.reason), approvedBy: text(waiver.approvedBy), expires: text(waiver.expires) },
        };
        if (stackUrns) return waivedSink?.(waived);
        // A resource validation cannot see the stack: its audit decides (waiverAudit), which the engine runs once every
        // resource is in, in the same analyzer process (engine/test/waivers.test.ts checks it with the real engine).
        const held = pending.get(policy) ?? [];
        held.push({ stack: ctx.stack, waiver: i, waived });
        pending.set(policy, held);
    };
}

/**
 * Reports every problem of the policy's waivers in this stack, one violation each (at the policy's level), and a
 * waiver that covers no resource of the stack. `alone`: the audit is all the stack validation does, so with no
 * waivers it is not applicable.
 */
export function waiverAudit(
    policy: string,
    args: StackValidationArgs,
    report: ReportViolation,
    alone: boolean,
    context: () => WaiverContext,
): void {
    const waivers = waiversOf(args.getConfig<Record<string, unknown>>()[WAIVERS_PROPERTY]);
    if (waivers.length === 0) {
        if (alone) args.notApplicable("no waivers");
        return;
    }
    const ctx = context();
    const on = today();
    const urns = [stackUrnOf(ctx), ...args.resources.map((r) => r.urn)];
    const held = (pending.get(policy) ?? []).filter((h) => h.stack === ctx.stack);
    pending.delete(policy);
    waivers.forEach((w, i) => {
        const problems = waiverProblems(policy, w, ctx, on);
        if (patternsOf(w).length > 0 && !urns.some((u) => covers(w, u)))
            problems.push(`matches no resource of stack ${ctx.stack}; remove it or correct its resources`);
        const broad = overBroad(w, ctx, urns);
        problems.push(...broad);
        // The findings it held back: reported after all when it is too broad, else recorded as waived.
        for (const h of held.filter((h) => h.waiver === i)) {
            // The engine keeps a resource validation's reports only while it runs, so the audit reports them.
            if (broad.length > 0) report(h.waived.message, h.waived.urn);
            else waivedSink?.(h.waived);
        }
        for (const p of problems) report(`${describeWaiver(policy, w, i)} ${p}`);
    });
}
