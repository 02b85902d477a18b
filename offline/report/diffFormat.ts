/** Renders a diff report (`npm run plan -- --base REF`) for a terminal and as one pull-request comment. */
import { AccessChange } from "../analysis/access";
import { CrossAccountGrant } from "../analysis/crossAccount";
import { DiffReport, isEmptyDiff, PolicySummary, ResourceChange, StackDiff, widensGated } from "../analysis/diff";
import {
    accountLabel,
    accountsOfReport,
    cell,
    details,
    DIAGRAM_NOTE,
    MarkdownWriter,
    mermaidDiagram,
    QUOTA_HEADER,
    quotaLine,
    quotaRows,
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

const LEFT_OUT = (n: number) => `… ${n} more in the JSON report (\`--json\`).`;

const accessRow = (s: StackDiff, a: AccessChange) =>
    `| ${s.stack} | ${a.direction === "unknown" ? "cannot tell" : a.direction} | ${cell(`${a.resource.type.split(":").pop()} ${a.resource.name}`)} | ` +
    `${cell(`${a.policy}${a.sid ? ` (${a.sid})` : ""}`)} | ${cell(a.direction === "unknown" ? "" : a.policy === "ingress" ? `${a.actions.join(", ")} from ${a.principals.join(", ")}` : `${a.actions.join(", ")} on ${a.resources.join(", ")}`)} | ` +
    `${cell(a.notes.join("; "))} |`;

/** Widened access in gated stacks first, then what the preview cannot tell, then the rest. */
function accessRank(s: StackDiff, a: AccessChange): number {
    const widen = a.direction === "widened" ? 0 : a.direction === "unknown" ? 1 : 2;
    return (s.gated ? 0 : 3) + widen;
}

/** The pull-request comment: what the change does, summary first, details collapsed, within one comment. */
export function formatDiffMarkdown(report: DiffReport): string {
    const w = new MarkdownWriter();
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
        "| Stack | Resources | Access | Cross-account grants new/removed | Data loss | Policy mandatory/advisory | Quota warnings |",
        "| --- | --- | --- | ---: | ---: | --- | ---: |",
        ...report.stacks.map(summaryRow),
    );
    for (const s of report.stacks.filter((x) => x.error || x.baseError)) {
        const e = (s.error ?? s.baseError)!;
        w.add("", `### ${s.stack}: ${s.error ? "" : "base revision "}${e.kind} error`, "", "```", e.message, "```");
    }
    const loss = report.stacks.flatMap((s) => s.dataLoss.map((d) => ({ s, d })));
    if (loss.length > 0) {
        w.add(
            "",
            `### ⛔ Data loss: ${loss.length} stateful resource${loss.length === 1 ? "" : "s"} deleted or replaced`,
            "",
        );
        w.add("| Stack | Resource | Change | Loses | Notes |", "| --- | --- | --- | --- | --- |");
        w.rows(
            loss.map(
                ({ s, d }) =>
                    `| ${s.stack} | ${cell(`${d.type} ${d.name}`)} | ${d.change} | ${cell(d.loses)} | ${cell(d.notes.join("; "))} |`,
            ),
            20_000,
            LEFT_OUT,
        );
    }
    const access = report.stacks
        .flatMap((s) => s.access.map((a) => ({ s, a })))
        .sort((x, y) => accessRank(x.s, x.a) - accessRank(y.s, y.a));
    if (access.length > 0) {
        w.add(
            "",
            "### Access",
            "",
            "| Stack | Change | Resource | Policy | What | Notes |",
            "| --- | --- | --- | --- | --- | --- |",
        );
        w.rows(
            access.map(({ s, a }) => accessRow(s, a)),
            14_000,
            LEFT_OUT,
        );
    }
    const grants = report.stacks.flatMap((s) => [
        ...s.grants.added.map((g) => `| ${s.stack} | new | ${cell(grantText(g, s.accounts))} |`),
        ...s.grants.removed.map((g) => `| ${s.stack} | removed | ${cell(grantText(g, s.accounts))} |`),
    ]);
    if (grants.length > 0) {
        details(w, `Cross-account grants: ${grants.length} new or removed`, (d) => {
            d.add("| Stack | | Grant |", "| --- | --- | --- |");
            d.rows(grants, 10_000, LEFT_OUT);
        });
    }
    const verdicts = report.stacks.flatMap((s) => [
        ...s.policy.introduced.map((v) => `| ${s.stack} | new | ${cell(violationText(v))} |`),
        ...s.policy.resolved.map((v) => `| ${s.stack} | resolved | ${cell(violationText(v))} |`),
    ]);
    if (verdicts.length > 0) {
        w.add("", "### Policy verdict", "", "| Stack | | Violation |", "| --- | --- | --- |");
        w.rows(verdicts, 9_000, LEFT_OUT);
    }
    const warnings = quotaRows(report.stacks);
    if (warnings.length > 0) {
        w.add("", "### Quotas", "", ...QUOTA_HEADER);
        w.rows(warnings, 8_000, LEFT_OUT);
    }
    const headGrants = report.head.flatMap((s) => s.crossAccount);
    const added = new Set(report.stacks.flatMap((s) => s.grants.added));
    const baseGrants = [...headGrants.filter((g) => !added.has(g)), ...report.stacks.flatMap((s) => s.grants.removed)];
    w.add(
        "",
        "### Accounts and trust",
        "",
        "```mermaid",
        mermaidDiagram(accountsOfReport(report.head), headGrants, baseGrants),
        "```",
        "",
        `${DIAGRAM_NOTE} New edges are red, changed ones orange, removed ones dashed.`,
    );
    for (const s of report.stacks.filter((x) => x.resources.changes.length > 0)) {
        const r = s.resources;
        details(w, `${s.stack}: +${r.added} ~${r.updated} ±${r.replaced} −${r.removed} resources`, (d) => {
            d.add("```diff");
            d.rows(r.changes.flatMap(changeText), 1_500, (n) => `… ${n} more lines in the JSON report (--json)`);
            d.add("```");
        });
    }
    return w.toString();
}
