/** Renders a diff report (`npm run plan -- --base REF`) for a terminal and as one pull-request comment. */
import { AccessChange } from "../analysis/access";
import { CrossAccountGrant } from "../analysis/crossAccount";
import { DiffReport, isEmptyDiff, PolicySummary, ResourceChange, StackDiff, widensGated } from "../analysis/diff";
import {
    accountLabel,
    accountsOfReport,
    actionsText,
    advisoryInventory,
    cell,
    DIAGRAM_NOTE,
    groupRows,
    isUndecided,
    LeadSection,
    mandatorySection,
    MarkdownWriter,
    MARKDOWN_BUDGET,
    mermaidDiagram,
    nodeKind,
    quotaLine,
    quotaSection,
    undecidedInventory,
    writeComment,
} from "./planFormat";
import { PolicyViolation } from "../analysis/policyRunner";

const MAX_PROPERTIES_SHOWN = 8;

const verdict = (p: PolicySummary) =>
    p.evaluated ? `${p.mandatory} mandatory, ${p.advisory} advisory` : `not evaluated (${p.reason})`;

const baseName = (r: DiffReport) => `${r.base.ref}${r.base.commit ? ` (${r.base.commit.slice(0, 12)})` : ""}`;

function accessText(a: AccessChange): string {
    const what =
        a.direction === "unknown"
            ? ""
            : a.policy === "ingress"
              ? ` ${a.actions.join(", ")} from ${a.principals.join(", ")}`
              : ` ${a.actions.join(", ")} on ${a.resources.join(", ")}${a.principals.length > 0 && !a.policy.startsWith("inline") ? ` for ${a.principals.join(", ")}` : ""}`;
    const conditions = a.conditions
        ? ` (conditions ${a.conditions.before || "none"} -> ${a.conditions.after || "none"})`
        : "";
    const sid = a.sid ? ` statement ${a.sid}` : "";
    return `${a.policy}${sid} of ${a.resource.type} ${a.resource.name}:${what}${conditions}${a.notes.length > 0 ? ` [${a.notes.join("; ")}]` : ""}`;
}

const grantText = (g: CrossAccountGrant, accounts: StackDiff["accounts"]) =>
    `${accountLabel(g.principalAccount, accounts)} ${g.principal} may ${g.actions.join(", ")} on ${g.resource} (${g.source.type} ${g.source.name})`;

const violationText = (v: PolicyViolation) =>
    `${v.enforcementLevel} ${v.packName}/${v.policyName}${v.resourceName ? ` on ${v.resourceType} ${v.resourceName}` : ""}: ${v.message}`;

function changeText(c: ResourceChange): string[] {
    const mark = { add: "+", remove: "-", replace: "+-", update: "~" }[c.change];
    const why = c.replacedBy ? ` (replaced: ${c.replacedBy.join(", ")} changed)` : "";
    const may = c.mayReplaceBy ? ` (may be replaced: ${c.mayReplaceBy.join(", ")} only known after deploy)` : "";
    return [
        `${mark.padEnd(2)} ${c.type} ${c.name}${why}${may}`,
        ...c.properties.slice(0, MAX_PROPERTIES_SHOWN).map((p) => `     ${p.path}: ${p.before} -> ${p.after}`),
        ...(c.properties.length > MAX_PROPERTIES_SHOWN
            ? [`     … ${c.properties.length - MAX_PROPERTIES_SHOWN} more`]
            : []),
    ];
}

/** The terminal report. */
export function formatDiffText(report: DiffReport): string {
    const out: string[] = [`Diff against ${baseName(report)}`, ""];
    for (const s of report.stacks) {
        out.push(`Stack ${s.stack}${s.environment ? ` (${s.environment} ${s.accountId})` : ""}`);
        if (s.error) {
            out.push(`  ${s.error.kind === "config" ? "Configuration error" : "Program error"}:`);
            out.push(...s.error.message.split("\n").map((l) => `    ${l}`), "");
            continue;
        }
        if (s.baseError) {
            out.push(`  The base revision does not plan (${s.baseError.kind} error): nothing compared.`);
            out.push(...s.baseError.message.split("\n").map((l) => `    ${l}`), "");
            continue;
        }
        if (isEmptyDiff(s)) {
            out.push("  no change", "");
            continue;
        }
        const r = s.resources;
        out.push(
            `  Resources: +${r.added} ~${r.updated} +-${r.replaced} -${r.removed} (${r.unchanged} unchanged${r.moved ? `, ${r.moved} moved under aliases` : ""})`,
        );
        for (const c of r.changes) out.push(...changeText(c).map((l) => `    ${l}`));
        if (s.dataLoss.length > 0) {
            out.push("  Data loss:");
            for (const d of s.dataLoss) {
                out.push(
                    `    ${d.change} ${d.type} ${d.name}: loses ${d.loses}${d.notes.length > 0 ? ` (${d.notes.join("; ")})` : ""}`,
                );
            }
        }
        if (s.access.length > 0) {
            out.push("  Access:");
            for (const a of s.access) out.push(`    ${a.direction.padEnd(8)} ${accessText(a)}`);
        }
        for (const g of s.grants.added) out.push(`  New cross-account grant: ${grantText(g, s.accounts)}`);
        for (const g of s.grants.removed) out.push(`  Removed cross-account grant: ${grantText(g, s.accounts)}`);
        out.push(`  Policy: ${verdict(s.policy.before)} -> ${verdict(s.policy.after)}`);
        for (const v of s.policy.introduced) out.push(`    new      ${violationText(v)}`);
        for (const v of s.policy.resolved) out.push(`    resolved ${violationText(v)}`);
        for (const q of s.quotas.filter((x) => x.status !== "ok")) out.push(`  Quota: ${quotaLine(q)}`);
        if (widensGated(s))
            out.push(`  Access widens (or the preview cannot tell) in ${s.environment}: approval needed`);
        out.push("");
    }
    out.push(`Result: ${report.status} (exit ${report.exitCode})`);
    return out.join("\n") + "\n";
}

const HEADLINE: Record<DiffReport["status"], string> = {
    clean: "✅",
    widened: "🔐",
    violations: "❌",
    error: "⚠️",
};

function summaryRow(s: StackDiff): string {
    if (s.error) return `| ${s.stack} | ${s.error.kind} error | | | | | | |`;
    if (s.baseError) return `| ${s.stack} | base does not plan (${s.baseError.kind} error) | | | | | | |`;
    const r = s.resources;
    const count = (d: AccessChange["direction"]) => s.access.filter((a) => a.direction === d).length;
    const access = [
        count("widened") ? `${count("widened")} widened` : "",
        count("narrowed") ? `${count("narrowed")} narrowed` : "",
        count("unknown") ? `${count("unknown")} cannot tell` : "",
    ].filter(Boolean);
    const policy = (p: PolicySummary) => (p.evaluated ? `${p.mandatory}/${p.advisory}` : "n/a");
    return (
        `| ${s.stack}${widensGated(s) ? " 🔐" : ""} | +${r.added} ~${r.updated} ±${r.replaced} −${r.removed} | ${access.join(", ") || "none"} | ` +
        `${s.grants.added.length}/${s.grants.removed.length} | ${s.dataLoss.length || "none"} | ${policy(s.policy.before)} → ${policy(s.policy.after)} | ` +
        `${s.quotas.filter((q) => q.status !== "ok").length || "none"} |`
    );
}

const accessRow = (s: StackDiff, a: AccessChange) =>
    `| ${s.stack} | ${a.direction === "unknown" ? "cannot tell" : a.direction} | ${cell(`${a.resource.type.split(":").pop()} ${a.resource.name}`)} | ` +
    `${cell(`${a.policy}${a.sid ? ` (${a.sid})` : ""}`)} | ${cell(accessWhat(a))} | ` +
    `${cell(a.notes.join("; "))} |`;

const accessWhat = (a: AccessChange) =>
    a.direction === "unknown"
        ? ""
        : a.policy === "ingress"
          ? `${a.actions.join(", ")} from ${a.principals.join(", ")}`
          : `${a.actions.join(", ")} on ${a.resources.join(", ")}`;

/** Widened access in gated stacks first, then what the preview cannot tell, then the rest. */
function accessRank(s: StackDiff, a: AccessChange): number {
    const widen = a.direction === "widened" ? 0 : a.direction === "unknown" ? 1 : 2;
    return (s.gated ? 0 : 3) + widen;
}

const violationKey = (v: PolicyViolation) => `${v.policyName}|${v.enforcementLevel}|${v.urn ?? ""}`;

/** The findings of the new revision (new ones marked) and the ones the change resolves, of one level. */
function findingsOf(report: DiffReport, mandatory: boolean) {
    const level = (v: PolicyViolation) => (v.enforcementLevel === "mandatory") === mandatory;
    return report.stacks.flatMap((s) => {
        const head = report.head.find((h) => h.stack === s.stack);
        const introduced = new Set(s.policy.introduced.map(violationKey));
        const now = head?.policy.evaluated ? head.policy.violations : s.policy.introduced;
        return [
            ...now
                .filter((v) => level(v) && (mandatory || introduced.has(violationKey(v))) && !isUndecided(v))
                .map((v) => ({ stack: s.stack, v, mark: introduced.has(violationKey(v)) ? " (new)" : "" })),
            ...s.policy.resolved
                .filter((v) => level(v) && !isUndecided(v))
                .map((v) => ({ stack: s.stack, v, mark: " (resolved)" })),
        ];
    });
}

/** Access changes: every row, or grouped by stack, change, resource type and policy. */
function accessSection(report: DiffReport): LeadSection[] {
    const access = report.stacks
        .flatMap((s) => s.access.map((a) => ({ s, a })))
        .sort((x, y) => accessRank(x.s, x.a) - accessRank(y.s, y.a));
    const grants = report.stacks.flatMap((s) => [
        ...s.grants.added.map((g) => ({ s, g, change: "new" })),
        ...s.grants.removed.map((g) => ({ s, g, change: "removed" })),
    ]);
    const headGrants = report.head.flatMap((s) => s.crossAccount);
    const added = new Set(report.stacks.flatMap((s) => s.grants.added));
    const baseGrants = [...headGrants.filter((g) => !added.has(g)), ...report.stacks.flatMap((s) => s.grants.removed)];
    const diagram =
        headGrants.length + baseGrants.length === 0
            ? []
            : [
                  "",
                  "```mermaid",
                  mermaidDiagram(accountsOfReport(report.head), headGrants, baseGrants),
                  "```",
                  "",
                  `${DIAGRAM_NOTE} New arrows are red, changed ones orange, removed ones dashed.`,
              ];
    const sections: LeadSection[] = [];
    if (access.length > 0 || diagram.length > 0) {
        sections.push({
            heading: [
                access.length > 0
                    ? `### 🔐 Access widened or narrowed (${access.length})`
                    : "### Access: no policy statement changes",
            ],
            header: ["| Stack | Change | Resource | Policy | What | Notes |", "| --- | --- | --- | --- | --- | --- |"],
            rows: access.map(({ s, a }) => accessRow(s, a)),
            grouped: {
                note: `${access.length} changes, grouped by stack, change, resource type and policy: each one is in the JSON report (\`--json\`).`,
                header: [
                    "| Stack | Change | Resource type | Policy | Changes | For example |",
                    "| --- | --- | --- | --- | ---: | --- |",
                ],
                rows: groupRows(
                    access,
                    ({ s, a }) => [s.stack, a.direction, a.resource.type, a.policy].join("|"),
                    ({ s, a }, n) =>
                        `| ${s.stack} | ${a.direction === "unknown" ? "cannot tell" : a.direction} | ${a.resource.type.split(":").pop()} | ${cell(a.policy)} | ${n} | ` +
                        `${cell(`${a.resource.name}: ${accessWhat(a)}${a.notes.length > 0 ? ` [${a.notes.join("; ")}]` : ""}`)} |`,
                ),
            },
            after: grants.length > 0 ? [] : diagram,
        });
    }
    if (grants.length > 0) {
        sections.push({
            heading: [
                `#### Cross-account grants: ${grants.filter((g) => g.change === "new").length} new, ${grants.filter((g) => g.change === "removed").length} removed`,
            ],
            header: ["| Stack | | Grant |", "| --- | --- | --- |"],
            rows: grants.map(({ s, g, change }) => `| ${s.stack} | ${change} | ${cell(grantText(g, s.accounts))} |`),
            grouped: {
                note: `${grants.length} grants, grouped by stack, principal and resource kind and actions: each one is in the JSON report (\`--json\`).`,
                header: ["| Stack | | From | Actions | To | Grants |", "| --- | --- | --- | --- | --- | ---: |"],
                rows: groupRows(
                    grants,
                    ({ s, g, change }) =>
                        [
                            s.stack,
                            change,
                            g.principalAccount,
                            nodeKind(g.principal),
                            g.resourceAccount,
                            nodeKind(g.resource),
                            [...g.actions].sort().join(","),
                        ].join("|"),
                    ({ s, g, change }, n) =>
                        `| ${s.stack} | ${change} | ${cell(`${accountLabel(g.principalAccount, s.accounts)} ${nodeKind(g.principal)}`)} | ${cell(actionsText(g.actions))} | ` +
                        `${cell(`${nodeKind(g.resource)} in ${accountLabel(g.resourceAccount, s.accounts)}`)} | ${n} |`,
                ),
            },
            after: diagram,
        });
    }
    return sections;
}

/** Stateful resources deleted or replaced, then the other replacements. */
function dataLossSection(report: DiffReport): LeadSection[] {
    const loss = report.stacks.flatMap((s) => s.dataLoss.map((d) => ({ s, d })));
    const lost = new Set(loss.map(({ d }) => d.urn));
    const replaced = report.stacks.flatMap((s) =>
        s.resources.changes
            .filter((c) => (c.change === "replace" || c.mayReplaceBy) && !lost.has(c.urn))
            .map((c) => ({ s, c })),
    );
    if (loss.length + replaced.length === 0) return [];
    const rows = [
        ...loss.map(
            ({ s, d }) =>
                `| ${s.stack} | ${cell(`${d.type} ${d.name}`)} | ${d.change} | ${cell(d.loses)} | ${cell(d.notes.join("; "))} |`,
        ),
        ...replaced.map(
            ({ s, c }) =>
                `| ${s.stack} | ${cell(`${c.type} ${c.name}`)} | ${c.change === "replace" ? "replace" : "may replace"} | nothing stateful | ${cell(replaceWhy(c))} |`,
        ),
    ];
    const all = [
        ...loss.map(({ s, d }) => ({ s, type: d.type, name: d.name, change: d.change, loses: d.loses })),
        ...replaced.map(({ s, c }) => ({
            s,
            type: c.type,
            name: c.name,
            change: c.change === "replace" ? "replace" : "may replace",
            loses: "nothing stateful",
        })),
    ];
    return [
        {
            heading: [
                `### ⛔ Data loss and replacements: ${[
                    loss.length > 0
                        ? `${loss.length} stateful resource${loss.length === 1 ? "" : "s"} deleted or replaced`
                        : "",
                    replaced.length > 0
                        ? `${replaced.length} other replacement${replaced.length === 1 ? "" : "s"}`
                        : "",
                ]
                    .filter(Boolean)
                    .join(", ")}`,
            ],
            header: ["| Stack | Resource | Change | Loses | Notes |", "| --- | --- | --- | --- | --- |"],
            rows,
            grouped: {
                note: `${rows.length} resources, grouped by stack, change and type: each one is in the JSON report (\`--json\`).`,
                header: ["| Stack | Change | Type | Resources | For example |", "| --- | --- | --- | ---: | --- |"],
                rows: groupRows(
                    all,
                    (x) => [x.s.stack, x.change, x.type].join("|"),
                    (x, n) =>
                        `| ${x.s.stack} | ${x.change} | ${cell(x.type)} | ${n} | ${cell(`${x.name}: loses ${x.loses}`)} |`,
                ),
            },
        },
    ];
}

const replaceWhy = (c: ResourceChange) =>
    c.replacedBy
        ? `replaced: ${c.replacedBy.join(", ")} changed`
        : `may be replaced: ${(c.mayReplaceBy ?? []).join(", ")} only known after deploy`;

/**
 * The pull-request comment: what the change does, within one comment. The verdict per stack, the mandatory findings,
 * access widened or narrowed (with the diagram), data loss and replacements, quota warnings, then collapsed
 * inventories (advisory findings the change brings or resolves, the resource changes per stack), cut to the room
 * left.
 */
export function formatDiffMarkdown(report: DiffReport, budget = MARKDOWN_BUDGET): string {
    const w = new MarkdownWriter(budget);
    const gated = report.stacks.filter(widensGated).map((s) => s.stack);
    const headline = {
        clean: "no mandatory violation",
        widened: `access widens in ${gated.join(" and ")}: approval needed`,
        violations: "mandatory policy violations",
        error: "a stack does not plan",
    }[report.status];
    w.add(`## ${HEADLINE[report.status]} Offline plan against \`${baseName(report)}\`: ${headline}`, "");
    if (report.stacks.every(isEmptyDiff)) {
        w.add(
            `No change: the ${report.stacks.length} stacks register the same resources, access and verdict as the base.`,
        );
        return w.toString();
    }
    w.add(
        "Planned without cloud credentials, both revisions with preview semantics (values AWS assigns are unknown).",
        "",
        "### Verdict per stack",
        "",
        "| Stack | Resources | Access | Cross-account grants new/removed | Data loss | Policy mandatory/advisory | Quota warnings |",
        "| --- | --- | --- | ---: | ---: | --- | ---: |",
        ...report.stacks.map(summaryRow),
    );
    for (const s of report.stacks.filter((x) => x.error || x.baseError)) {
        const e = (s.error ?? s.baseError)!;
        w.add("", `#### ${s.stack}: ${s.error ? "" : "base revision "}${e.kind} error`, "", "```", e.message, "```");
    }
    const changed = report.stacks.filter((x) => x.resources.changes.length > 0);
    writeComment(
        w,
        [
            ...mandatorySection(findingsOf(report, true), "Mandatory findings"),
            ...accessSection(report),
            ...dataLossSection(report),
            ...quotaSection(report.stacks),
        ],
        [
            ...advisoryInventory(findingsOf(report, false), "Advisory findings new or resolved"),
            ...undecidedInventory(
                report.head.map((s) => ({ stack: s.stack, violations: s.policy.evaluated ? s.policy.violations : [] })),
            ),
            ...changed.map((s) => {
                const r = s.resources;
                return {
                    title: `${s.stack}: +${r.added} ~${r.updated} ±${r.replaced} −${r.removed} resources`,
                    header: ["```diff"],
                    rows: r.changes.flatMap(changeText),
                    footer: ["```"],
                    noun: "lines",
                };
            }),
        ],
    );
    return w.toString();
}
