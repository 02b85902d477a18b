/**
 * What a change does to the accounts: the plans of a base revision and of the working tree, compared per stack.
 * Resources added, removed, replaced and changed (with the properties), access widened or narrowed, stateful
 * resources deleted or replaced (data loss), the policy verdict before and after. Pure functions over snapshots,
 * so fixtures and plans of another revision (read from JSON) compare alike.
 */
import type { StackRole } from "../../domain/config";
import { environmentsWhere } from "../../domain/environments";
import { AccessChange, accessDocuments, diffAccess } from "./access";
import { CrossAccountGrant } from "./crossAccount";
import { EXIT, PlanStatus, PolicyResult, SnapshotResource, StackPlan, StackSnapshot } from "./plan";
import { PolicyViolation } from "./policyRunner";
import { QuotaUsage } from "./quotas";
import { replacingProperties, STATEFUL_TYPES } from "./resourceRules";
import { containsUnknown, isSecret, isUnknown, showValue } from "../runtime/values";

/** Version of the diff report's shape. */
export const DIFF_REPORT_VERSION = 1;

/** Stacks whose widened access needs the extra approval (exit 3). */
export const GATED_ENVIRONMENTS: readonly StackRole[] = environmentsWhere((t) => t.gatedChanges);

export interface PropertyChange {
    /** Path of the property, e.g. `policy.Statement[1].Action` or `tags.Owner`. */
    readonly path: string;
    readonly before: string;
    readonly after: string;
}

export interface ResourceChange {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly change: "add" | "remove" | "replace" | "update";
    /** Properties that differ (update, replace). */
    readonly properties: readonly PropertyChange[];
    /** Top-level properties that force the replacement. */
    readonly replacedBy?: readonly string[];
    /** Replacing properties whose new value is only known after deploy: the preview cannot tell. */
    readonly mayReplaceBy?: readonly string[];
}

export interface DataLossWarning {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly change: "delete" | "replace";
    /** What is lost, and what softens it (retained, protected, force-deleted contents). */
    readonly loses: string;
    readonly notes: readonly string[];
}

export interface PolicyDiff {
    readonly before: PolicySummary;
    readonly after: PolicySummary;
    /** Violations of the new revision that the base did not have, and the base's that are gone. */
    readonly introduced: readonly PolicyViolation[];
    readonly resolved: readonly PolicyViolation[];
}

export type PolicySummary =
    | { readonly evaluated: true; readonly mandatory: number; readonly advisory: number }
    | { readonly evaluated: false; readonly reason: string };

export interface StackDiff {
    readonly stack: string;
    readonly status: PlanStatus;
    readonly environment?: string;
    readonly accountId?: string;
    readonly accounts?: Readonly<Record<string, string>>;
    /** The new revision's error (config or program), as in the plan. */
    readonly error?: StackPlan["error"];
    /** The base revision's error: nothing is compared for this stack. */
    readonly baseError?: StackPlan["error"];
    /** Stage or prod: widened access (or access the preview cannot tell) asks for an extra approval. */
    readonly gated: boolean;
    readonly resources: {
        readonly added: number;
        readonly removed: number;
        readonly replaced: number;
        readonly updated: number;
        readonly unchanged: number;
        /** Custom resources whose URN changed and that keep their identity through aliases (also counted above). */
        readonly moved?: number;
        readonly changes: readonly ResourceChange[];
    };
    readonly access: readonly AccessChange[];
    /** Policy documents unknown at preview in both revisions: their access cannot be compared. */
    readonly unknownDocuments: number;
    readonly grants: { readonly added: readonly CrossAccountGrant[]; readonly removed: readonly CrossAccountGrant[] };
    readonly dataLoss: readonly DataLossWarning[];
    readonly policy: PolicyDiff;
    /** The new revision's quota usage; `near` and `over` are warnings. */
    readonly quotas: readonly QuotaUsage[];
}

export interface DiffReport {
    readonly version: typeof DIFF_REPORT_VERSION;
    readonly project: string;
    readonly base: { readonly ref: string; readonly commit?: string };
    /** `widened`: clean, but access widens (or may) in stage or prod. */
    readonly status: PlanStatus | "widened";
    readonly exitCode: number;
    readonly stacks: StackDiff[];
    /** The new revision's plan: grants for the diagram, accounts. */
    readonly head: readonly StackPlan[];
}

// ---------------------------------------------------------------------------------------------------------------
// Properties

function parsedJson(v: unknown): unknown {
    if (typeof v !== "string" || !/^\s*[[{]/.test(v)) return v;
    try {
        return JSON.parse(v);
    } catch {
        return v;
    }
}

/** Differences between two input values, as paths; JSON text (policies, container definitions) is compared parsed. */
export function propertyChanges(before: unknown, after: unknown, path = ""): PropertyChange[] {
    if (isSecret(before) || isSecret(after)) {
        const b = isSecret(before) ? before.value : before;
        const a = isSecret(after) ? after.value : after;
        return JSON.stringify(b) === JSON.stringify(a)
            ? []
            : [{ path, before: showValue(before), after: showValue(after) }];
    }
    // Unknown on both sides: nothing the preview can compare (the same AWS-computed value, most often).
    if (isUnknown(before) && isUnknown(after)) return [];
    const b = parsedJson(before);
    const a = parsedJson(after);
    const objects = typeof b === "object" && b !== null && typeof a === "object" && a !== null;
    if (objects && !isUnknown(b) && !isUnknown(a) && Array.isArray(a) === Array.isArray(b)) {
        if (Array.isArray(a) && Array.isArray(b) && a.length !== b.length) {
            // Lists that grew or shrank: the elements added and removed, not every shifted index.
            const text = (x: unknown) => JSON.stringify(x);
            const before = new Set(b.map(text));
            const after = new Set(a.map(text));
            return [
                ...b
                    .filter((x) => !after.has(text(x)))
                    .map((x) => ({ path: `${path}[-]`, before: showValue(x), after: "(none)" })),
                ...a
                    .filter((x) => !before.has(text(x)))
                    .map((x) => ({ path: `${path}[+]`, before: "(none)", after: showValue(x) })),
            ];
        }
        const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
        return keys.flatMap((k) =>
            propertyChanges(
                (b as Record<string, unknown>)[k],
                (a as Record<string, unknown>)[k],
                Array.isArray(a) ? `${path}[${k}]` : path ? `${path}.${k}` : k,
            ),
        );
    }
    return JSON.stringify(b) === JSON.stringify(a)
        ? []
        : [{ path, before: showValue(before), after: showValue(after) }];
}

const topLevel = (path: string) => path.split(/[.[]/)[0];

/**
 * The base's resources under the URNs the head gives them: a head resource whose former URN (its aliases, see
 * offline/runtime/aliases.ts) is a base resource's claims that resource, as the engine does, so a moved resource compares as
 * itself instead of a delete and a create. `moved` counts them; `rename` gives a base URN its head URN, for the
 * verdicts and grants that name it.
 */
export function followAliases(
    base: readonly SnapshotResource[],
    head: readonly SnapshotResource[],
): { base: SnapshotResource[]; moved: number; rename: (urn: string | undefined) => string | undefined } {
    const headUrns = new Set(head.map((r) => r.urn));
    const baseUrns = new Set(base.map((r) => r.urn));
    const claimedBy = new Map<string, string>();
    for (const h of head) {
        if (baseUrns.has(h.urn)) continue;
        const former = (h.formerUrns ?? []).find((u) => baseUrns.has(u) && !headUrns.has(u) && !claimedBy.has(u));
        if (former !== undefined) claimedBy.set(former, h.urn);
    }
    const rename = (urn: string | undefined) => (urn === undefined ? undefined : (claimedBy.get(urn) ?? urn));
    return {
        base: base.map((r) => ({ ...r, urn: rename(r.urn)!, ...(r.parent ? { parent: rename(r.parent) } : {}) })),
        moved: base.filter((r) => r.custom && claimedBy.has(r.urn)).length,
        rename,
    };
}

/** Added, removed, replaced and updated resources (custom resources and providers; components have no state). */
export function diffResources(
    base: readonly SnapshotResource[],
    head: readonly SnapshotResource[],
): { changes: ResourceChange[]; unchanged: number } {
    const custom = (rs: readonly SnapshotResource[]) => new Map(rs.filter((r) => r.custom).map((r) => [r.urn, r]));
    const baseBy = custom(base);
    const headBy = custom(head);
    const changes: ResourceChange[] = [];
    let unchanged = 0;
    const props = (r: SnapshotResource) => r.inputs;
    for (const [urn, h] of headBy) {
        const b = baseBy.get(urn);
        if (!b) {
            changes.push({ urn, type: h.type, name: h.name, change: "add", properties: [] });
            continue;
        }
        const properties = propertyChanges(props(b), props(h));
        if (b.protect !== h.protect)
            properties.push({ path: "(protect)", before: `${b.protect}`, after: `${h.protect}` });
        if (b.retainOnDelete !== h.retainOnDelete)
            properties.push({ path: "(retainOnDelete)", before: `${b.retainOnDelete}`, after: `${h.retainOnDelete}` });
        if (properties.length === 0) {
            unchanged++;
            continue;
        }
        const changed = [...new Set(properties.map((p) => topLevel(p.path)))];
        const replacing = replacingProperties(h.type, changed);
        const replacedBy = replacing.filter((p) => !containsUnknown(h.inputs[p]));
        const mayReplaceBy = replacing.filter((p) => containsUnknown(h.inputs[p]));
        changes.push({
            urn,
            type: h.type,
            name: h.name,
            change: replacedBy.length > 0 ? "replace" : "update",
            properties,
            ...(replacedBy.length > 0 ? { replacedBy } : {}),
            ...(mayReplaceBy.length > 0 ? { mayReplaceBy } : {}),
        });
    }
    for (const [urn, b] of baseBy) {
        if (!headBy.has(urn)) changes.push({ urn, type: b.type, name: b.name, change: "remove", properties: [] });
    }
    return { changes, unchanged };
}

/** Stateful resources the change deletes or replaces; retained and protected ones say what happens instead. */
export function dataLoss(changes: readonly ResourceChange[], base: readonly SnapshotResource[]): DataLossWarning[] {
    const baseBy = new Map(base.map((r) => [r.urn, r]));
    const out: DataLossWarning[] = [];
    for (const c of changes) {
        const loses = STATEFUL_TYPES[c.type];
        const b = baseBy.get(c.urn);
        if (!loses || !b || (c.change !== "remove" && c.change !== "replace" && !c.mayReplaceBy)) continue;
        const notes: string[] = [];
        if (c.change !== "remove") {
            notes.push(
                c.replacedBy
                    ? `replaced because ${c.replacedBy.join(", ")} changed`
                    : `may be replaced: ${c.mayReplaceBy!.join(", ")} only known after deploy`,
            );
        }
        if (b.retainOnDelete)
            notes.push("retainOnDelete: the old resource stays in AWS, unmanaged; no data is deleted");
        if (b.protect) notes.push("protected: Pulumi refuses to delete it, the update fails until `protect` is lifted");
        if (b.inputs.forceDelete === true) notes.push("forceDelete: its images are deleted with it");
        if (b.inputs.forceDestroy === true) notes.push("forceDestroy: its objects are deleted with it");
        if (c.type === "aws:kms/key:Key" && typeof b.inputs.deletionWindowInDays === "number")
            notes.push(`scheduled for deletion after ${b.inputs.deletionWindowInDays} days`);
        out.push({
            urn: c.urn,
            type: c.type,
            name: c.name,
            change: c.change === "remove" ? "delete" : "replace",
            loses,
            notes,
        });
    }
    return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Grants and policy verdicts

type Rename = (urn: string | undefined) => string | undefined;

const grantKey = (g: CrossAccountGrant) =>
    JSON.stringify([
        g.kind,
        g.direction,
        g.principal,
        g.resource,
        [...g.actions].sort(),
        g.conditions ?? {},
        g.source.urn ?? g.source.name,
    ]);

function diffGrants(
    baseGrants: readonly CrossAccountGrant[],
    head: readonly CrossAccountGrant[],
    rename: Rename,
): StackDiff["grants"] {
    const base = baseGrants.map((g) =>
        g.source.urn ? { ...g, source: { ...g.source, urn: rename(g.source.urn) } } : g,
    );
    const b = new Set(base.map(grantKey));
    const h = new Set(head.map(grantKey));
    return { added: head.filter((g) => !b.has(grantKey(g))), removed: base.filter((g) => !h.has(grantKey(g))) };
}

const summary = (p: PolicyResult): PolicySummary =>
    p.evaluated
        ? { evaluated: true, mandatory: p.mandatory, advisory: p.advisory }
        : { evaluated: false, reason: p.reason };

const violationKey = (v: PolicyViolation) => `${v.packName}/${v.policyName}|${v.enforcementLevel}|${v.urn ?? ""}`;

function diffPolicy(base: PolicyResult, head: PolicyResult, rename: Rename = (urn) => urn): PolicyDiff {
    const bv = (base.evaluated ? base.violations : []).map((v) => (v.urn ? { ...v, urn: rename(v.urn) } : v));
    const hv = head.evaluated ? head.violations : [];
    const b = new Set(bv.map(violationKey));
    const h = new Set(hv.map(violationKey));
    return {
        before: summary(base),
        after: summary(head),
        introduced: hv.filter((v) => !b.has(violationKey(v))),
        resolved: bv.filter((v) => !h.has(violationKey(v))),
    };
}

// ---------------------------------------------------------------------------------------------------------------
// Stacks and report

const EMPTY_PLAN_POLICY: PolicyResult = { evaluated: false, reason: "the stack does not exist in this revision" };

/** The difference of one stack between its base snapshot (absent: a new stack) and its new one (absent: removed). */
export function diffStack(base: StackSnapshot | undefined, head: StackSnapshot | undefined): StackDiff {
    const plan = (head ?? base)!.plan;
    const environment = head?.plan.environment ?? base?.plan.environment;
    const gated = GATED_ENVIRONMENTS.includes(environment as StackRole);
    const identity = {
        stack: plan.stack,
        status: head ? head.plan.status : ("clean" as PlanStatus),
        ...(environment ? { environment } : {}),
        ...((head ?? base)!.plan.accountId ? { accountId: (head ?? base)!.plan.accountId } : {}),
        ...((head ?? base)!.plan.accounts ? { accounts: (head ?? base)!.plan.accounts } : {}),
    };
    const headPolicy = head?.plan.policy ?? EMPTY_PLAN_POLICY;
    const basePolicy = base?.plan.policy ?? EMPTY_PLAN_POLICY;
    const empty = {
        gated,
        resources: { added: 0, removed: 0, replaced: 0, updated: 0, unchanged: 0, changes: [] },
        access: [],
        unknownDocuments: 0,
        grants: { added: [], removed: [] },
        dataLoss: [],
        policy: diffPolicy(basePolicy, headPolicy),
        quotas: head?.plan.quotas ?? [],
    };
    if (head?.plan.error) return { ...identity, error: head.plan.error, ...empty };
    if (base?.plan.error) return { ...identity, baseError: base.plan.error, ...empty };

    const headResources = head?.resources ?? [];
    const { base: baseResources, moved, rename } = followAliases(base?.resources ?? [], headResources);
    const { changes, unchanged } = diffResources(baseResources, headResources);
    const count = (c: ResourceChange["change"]) => changes.filter((x) => x.change === c).length;
    const ctx = {
        accountId: plan.accountId ?? "",
        partition: plan.partition ?? "aws",
        region: plan.region,
        bucketAccounts: bucketAccounts(plan),
    };
    const access = diffAccess(accessDocuments(baseResources), accessDocuments(headResources), ctx);
    return {
        ...identity,
        ...empty,
        resources: {
            added: count("add"),
            removed: count("remove"),
            replaced: count("replace"),
            updated: count("update"),
            unchanged,
            moved,
            changes,
        },
        access: access.changes,
        unknownDocuments: access.unknownInBoth,
        grants: diffGrants(base?.plan.crossAccount ?? [], head?.plan.crossAccount ?? [], rename),
        policy: diffPolicy(basePolicy, headPolicy, rename),
        dataLoss: dataLoss(changes, baseResources),
    };
}

/** Bucket accounts from the cross-account grants the plan already resolved (bucket names are deterministic). */
function bucketAccounts(plan: StackPlan): Record<string, string> {
    const out: Record<string, string> = {};
    for (const g of plan.crossAccount) {
        const m = /^arn:[^:]+:s3:::([^/]+)/.exec(g.resource);
        if (m && g.resourceAccount !== "*") out[m[1]] = g.resourceAccount;
    }
    return out;
}

/** Whether a stack diff asks for the extra approval: access widens, or the preview cannot tell, in stage or prod. */
export function widensGated(d: StackDiff): boolean {
    return d.gated && (d.baseError !== undefined || d.access.some((a) => a.direction !== "narrowed"));
}

/** A diff is empty when no stack changes anything (the verdict included). */
export function isEmptyDiff(d: StackDiff): boolean {
    return (
        d.resources.changes.length === 0 &&
        d.access.length === 0 &&
        d.grants.added.length === 0 &&
        d.grants.removed.length === 0 &&
        d.policy.introduced.length === 0 &&
        d.policy.resolved.length === 0 &&
        !d.error &&
        !d.baseError
    );
}

/** Compares two revisions' snapshots, stack by stack (in the new revision's order, then removed stacks). */
export function buildDiffReport(
    project: string,
    base: { ref: string; commit?: string; stacks: readonly StackSnapshot[] },
    head: readonly StackSnapshot[],
): DiffReport {
    const baseBy = new Map(base.stacks.map((s) => [s.plan.stack, s]));
    const headNames = new Set(head.map((s) => s.plan.stack));
    const stacks = [
        ...head.map((h) => diffStack(baseBy.get(h.plan.stack), h)),
        ...base.stacks.filter((b) => !headNames.has(b.plan.stack)).map((b) => diffStack(b, undefined)),
    ];
    const status: DiffReport["status"] = stacks.some((s) => s.status === "error")
        ? "error"
        : stacks.some((s) => s.status === "violations")
          ? "violations"
          : stacks.some(widensGated)
            ? "widened"
            : "clean";
    const exitCode = { error: EXIT.error, violations: EXIT.mandatory, widened: EXIT.widened, clean: EXIT.clean }[
        status
    ];
    return {
        version: DIFF_REPORT_VERSION,
        project,
        base: { ref: base.ref, ...(base.commit ? { commit: base.commit } : {}) },
        status,
        exitCode,
        stacks,
        head: head.map((s) => s.plan),
    };
}
