/** Renders a plan report for a terminal and as a pull-request comment (Markdown with a Mermaid diagram). */
import { CrossAccountGrant } from "../analysis/crossAccount";
import { PlanNode, PlanReport, StackPlan } from "../analysis/plan";
import { QuotaUsage } from "../analysis/quotas";

const MAX_ACTIONS_SHOWN = 3;

function flags(n: { protect: boolean; retainOnDelete: boolean }): string {
    const f = [n.protect ? "protected" : "", n.retainOnDelete ? "retained on delete" : ""].filter(Boolean);
    return f.length > 0 ? ` [${f.join(", ")}]` : "";
}

function treeLines(nodes: readonly PlanNode[], indent: string): string[] {
    return nodes.flatMap((n, i) => {
        const last = i === nodes.length - 1;
        return [
            `${indent}${last ? "└─ " : "├─ "}${n.type} ${n.name}${flags(n)}`,
            ...treeLines(n.children, indent + (last ? "   " : "│  ")),
        ];
    });
}

/** Account id with the stack role that owns it, e.g. `dev (271828182845)`. */
export function accountLabel(id: string, accounts: Readonly<Record<string, string>> | undefined): string {
    if (id === "*") return "any account";
    const role = Object.entries(accounts ?? {}).find(([, a]) => a === id)?.[0];
    return role ? `${role} (${id})` : id;
}

export function actionsText(actions: readonly string[]): string {
    return actions.length <= MAX_ACTIONS_SHOWN
        ? actions.join(", ")
        : `${actions.slice(0, MAX_ACTIONS_SHOWN).join(", ")} +${actions.length - MAX_ACTIONS_SHOWN} more`;
}

function grantLine(g: CrossAccountGrant, accounts: StackPlan["accounts"]): string {
    const who = `${accountLabel(g.principalAccount, accounts)} ${g.principal}`;
    const where = `${g.resource} in ${accountLabel(g.resourceAccount, accounts)}`;
    const conditions = g.conditions ? ` when ${JSON.stringify(g.conditions)}` : "";
    return `${g.direction === "inbound" ? "in " : "out"} ${who} may ${actionsText(g.actions)} on ${where}${conditions} (${g.kind}: ${g.source.type} ${g.source.name})`;
}

/** `IAM roles per account (271828182845): 25 of 1000`, with `near`, `OVER` or why it cannot be told. */
export function quotaLine(q: QuotaUsage): string {
    const count =
        q.count === undefined ? "cannot tell at preview" : `${q.count} of ${q.limit}${q.unit ? ` ${q.unit}` : ""}`;
    const flag = q.status === "near" ? " (near the quota)" : q.status === "over" ? " (OVER the quota)" : "";
    return `${q.quota} (${q.scope}): ${count}${flag}`;
}

/** What the plan could not check: secure values it could not decrypt. */
export function undecryptedNote(u: NonNullable<StackPlan["undecryptedSecrets"]>): string {
    const provider = u.secretsProvider
        ? `secrets provider ${u.secretsProvider.replace(/\?.*$/, "")}`
        : "no passphrase or provider key";
    return (
        `Not decrypted offline (${provider}), so not checked: ${u.keys.join(", ")} ` +
        "(planned as secrets; pulumi preview checks them)"
    );
}

/** The terminal report. */
export function formatText(report: PlanReport): string {
    const out: string[] = [];
    for (const s of report.stacks) {
        out.push(`Stack ${s.stack} (${s.stackFile})`);
        if (s.error) {
            out.push(`  ${s.error.kind === "config" ? "Configuration error" : "Program error"}:`);
            out.push(...s.error.message.split("\n").map((l) => `    ${l}`), "");
            continue;
        }
        out.push(
            `  ${s.environment} account ${s.accountId}, ${s.partition} ${s.region}: ${s.resources.total} resource${s.resources.total === 1 ? "" : "s"}`,
        );
        if (s.undecryptedSecrets) out.push(`  ${undecryptedNote(s.undecryptedSecrets)}`);
        out.push("  Resources", `    pulumi:pulumi:Stack ${report.project}-${s.stack}`);
        out.push(...treeLines(s.resources.tree, "    "));
        out.push("  Counts by type");
        for (const [type, n] of Object.entries(s.resources.byType)) out.push(`    ${String(n).padStart(4)}  ${type}`);
        out.push(`  Protected: ${s.resources.protected.length === 0 ? "none" : ""}`);
        out.push(...s.resources.protected.map((u) => `    ${u}`));
        out.push(`  Retained on delete: ${s.resources.retained.length === 0 ? "none" : ""}`);
        out.push(...s.resources.retained.map((u) => `    ${u}`));
        out.push(`  Cross-account access: ${s.crossAccount.length === 0 ? "none" : ""}`);
        out.push(...s.crossAccount.map((g) => `    ${grantLine(g, s.accounts)}`));
        out.push("  Quotas");
        out.push(...s.quotas.map((q) => `    ${quotaLine(q)}`));
        if (!s.policy.evaluated) out.push(`  Policy: NOT EVALUATED (${s.policy.reason})`);
        else {
            out.push(
                `  Policy${s.policy.config ? ` (config ${s.policy.config})` : ""}: ${s.policy.mandatory} mandatory, ${s.policy.advisory} advisory`,
            );
            for (const v of s.policy.violations) {
                out.push(
                    `    ${v.enforcementLevel} ${v.packName}/${v.policyName}${v.resourceName ? ` on ${v.resourceType} ${v.resourceName}` : ""}: ${v.message}`,
                );
            }
        }
        out.push("");
    }
    out.push(`Result: ${report.status} (exit ${report.exitCode})`);
    return out.join("\n") + "\n";
}

const mermaidText = (s: string) => s.replace(/"/g, "#quot;");

/** What kind of node an ARN (or a resource named by type and name, when its ARN is unknown) falls in. */
export function nodeKind(arn: string): string {
    if (arn === "*") return "any principal";
    const parts = arn.split(":");
    const service = parts[0] === "arn" ? parts[2] : (/^aws:([a-z0-9]+)\//.exec(arn)?.[1] ?? "other");
    const tail = parts.slice(5).join(":");
    switch (service) {
        case "iam":
            return tail === "root" ? "account root" : tail.startsWith("user/") ? "IAM users" : "IAM roles";
        case "kms":
            return "KMS key";
        case "s3":
            return "S3 bucket";
        case "events":
        case "cloudwatch":
            return "event bus";
        case "ecr":
            return "ECR repositories";
        case "codecommit":
            return "CodeCommit repositories";
        default:
            return service;
    }
}

/** The kinds of trust a grant's actions give, e.g. `assume role`, `use key`, `write objects`. */
export function trustKinds(actions: readonly string[]): string[] {
    const kinds = new Set<string>();
    for (const raw of actions) {
        const a = raw.replace(/^NOT /, "");
        const [service, verb = ""] = a.toLowerCase().split(":");
        if (service === "sts") kinds.add("assume role");
        else if (service === "kms")
            kinds.add(
                /^(\*|create|put|schedule|delete|disable|enable|update|tag|untag|revoke|cancel)/.test(verb)
                    ? "administer key"
                    : "use key",
            );
        else if (service === "s3")
            kinds.add(/^(get|list|\*$)/.test(verb) && verb !== "*" ? "read objects" : "write objects");
        else if (service === "events") kinds.add("put events");
        else if (service === "ecr")
            kinds.add(
                /^(batchget|getdownload|batchcheck|describe|list|get)/.test(verb) ? "pull images" : "push images",
            );
        else if (service === "codecommit") kinds.add("git");
        else kinds.add(service || a);
    }
    return [...kinds].sort();
}

interface Edge {
    readonly from: string;
    readonly to: string;
    readonly kinds: Set<string>;
    readonly pairs: Set<string>;
}

function edgesOf(
    grants: readonly CrossAccountGrant[],
    nodeId: (account: string, arn: string) => string,
): Map<string, Edge> {
    const edges = new Map<string, Edge>();
    for (const g of grants) {
        const from = nodeId(g.principalAccount, g.principal);
        const to = nodeId(g.resourceAccount, g.resource);
        const key = `${from}>${to}`;
        if (!edges.has(key)) edges.set(key, { from, to, kinds: new Set(), pairs: new Set() });
        const e = edges.get(key)!;
        trustKinds(g.actions).forEach((k) => e.kinds.add(k));
        e.pairs.add(`${g.principal}>${g.resource}`);
    }
    return edges;
}

const edgeLabel = (e: Edge) => `${[...e.kinds].sort().join(", ")}${e.pairs.size > 1 ? ` ×${e.pairs.size}` : ""}`;

/**
 * A Mermaid flowchart of accounts and the kinds of trust between them: one box per account, one node per kind of
 * principal or resource in it (roles, the key, the bucket, the bus, repositories), one edge per pair of nodes with
 * the kinds of access and how many grants it stands for. Its size does not grow with the number of services.
 * With `base` (the base revision's grants), new edges are drawn thick and red, changed ones orange, removed ones
 * dashed and grey.
 */
export function mermaidDiagram(
    accountsOf: Readonly<Record<string, string>>,
    grants: readonly CrossAccountGrant[],
    base?: readonly CrossAccountGrant[],
): string {
    const nodes = new Map<string, { account: string; label: string }>();
    const nodeId = (account: string, arn: string) => {
        const label = nodeKind(arn);
        const id = `n_${account === "*" ? "any" : account}_${label.replace(/[^A-Za-z0-9]+/g, "_")}`;
        if (!nodes.has(id)) nodes.set(id, { account, label });
        return id;
    };
    const head = edgesOf(grants, nodeId);
    const before = base ? edgesOf(base, nodeId) : undefined;
    const lines = ["flowchart LR"];
    const byAccount = new Map<string, { id: string; label: string }[]>();
    for (const [id, n] of [...nodes].sort(([a], [b]) => a.localeCompare(b))) {
        byAccount.set(n.account, [...(byAccount.get(n.account) ?? []), { id, label: n.label }]);
    }
    const order = (a: string) => {
        const role = Object.entries(accountsOf).find(([, id]) => id === a)?.[0];
        const i = role ? Object.keys(accountsOf).indexOf(role) : -1;
        return i === -1 ? 99 : i;
    };
    for (const [account, members] of [...byAccount].sort(([a], [b]) => order(a) - order(b) || a.localeCompare(b))) {
        lines.push(
            `    subgraph a_${account === "*" ? "any" : account}["${mermaidText(accountLabel(account, accountsOf))}"]`,
        );
        for (const m of members) lines.push(`        ${m.id}["${mermaidText(m.label)}"]`);
        lines.push("    end");
    }
    const styles: string[] = [];
    let index = 0;
    const keys = [...new Set([...head.keys(), ...(before?.keys() ?? [])])].sort();
    for (const key of keys) {
        const now = head.get(key);
        const then = before?.get(key);
        const e = (now ?? then)!;
        if (!now) {
            lines.push(`    ${e.from} -.->|"${mermaidText(`removed: ${edgeLabel(e)}`)}"| ${e.to}`);
            styles.push(`    linkStyle ${index} stroke:#9e9e9e,stroke-dasharray:4`);
        } else if (before && !then) {
            lines.push(`    ${e.from} ==>|"${mermaidText(`new: ${edgeLabel(e)}`)}"| ${e.to}`);
            styles.push(`    linkStyle ${index} stroke:#d32f2f,stroke-width:3px`);
        } else if (then && (edgeLabel(then) !== edgeLabel(now) || [...now.pairs].some((p) => !then.pairs.has(p)))) {
            lines.push(
                `    ${e.from} ==>|"${mermaidText(`changed: ${edgeLabel(now)} (was ${edgeLabel(then)})`)}"| ${e.to}`,
            );
            styles.push(`    linkStyle ${index} stroke:#ef6c00,stroke-width:3px`);
        } else lines.push(`    ${e.from} -->|"${mermaidText(edgeLabel(now))}"| ${e.to}`);
        index++;
    }
    return [...lines, ...styles].join("\n");
}

/** The accounts of every stack of a report, by role. */
export function accountsOfReport(
    stacks: readonly { accounts?: Readonly<Record<string, string>> }[],
): Record<string, string> {
    const accounts: Record<string, string> = {};
    for (const s of stacks) Object.assign(accounts, s.accounts ?? {});
    return accounts;
}

export const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** GitHub's limit on a comment's body, in characters. */
export const COMMENT_LIMIT = 65_536;
/** What the renderers aim at: room is left for what a workflow adds (a marker, a link to the run). */
export const MARKDOWN_BUDGET = 60_000;

/** Markdown within a size budget: essentials always, lists row by row while room remains. */
export class MarkdownWriter {
    private readonly lines: string[] = [];
    private size = 0;

    constructor(readonly budget = MARKDOWN_BUDGET) {}

    get remaining(): number {
        return this.budget - this.size;
    }

    add(...lines: string[]): void {
        for (const l of lines) {
            this.lines.push(l);
            this.size += l.length + 1;
        }
    }

    /** Adds rows while `reserve` characters stay free, then one line saying how many were left out. */
    rows(rows: readonly string[], reserve: number, leftOut: (n: number) => string): void {
        let i = 0;
        for (; i < rows.length && rows[i].length + 1 < this.remaining - reserve; i++) this.add(rows[i]);
        if (i < rows.length) this.add("", leftOut(rows.length - i));
    }

    toString(): string {
        return this.lines.join("\n") + "\n";
    }
}

/** A collapsed section. */
export function details(w: MarkdownWriter, summary: string, body: (w: MarkdownWriter) => void, reserve = 2_000): void {
    if (w.remaining < reserve) return;
    w.add("", `<details><summary>${summary}</summary>`, "");
    body(w);
    w.add("", "</details>");
}

const LEFT_OUT = (n: number) => `… ${n} more row${n === 1 ? "" : "s"} in the JSON report (\`--json\`).`;

/** Quota rows worth a warning: near or over the quota, or unknown at preview. */
export function quotaRows(stacks: readonly { stack: string; quotas: readonly QuotaUsage[] }[], all = false): string[] {
    return stacks.flatMap((s) =>
        s.quotas
            .filter((q) => all || q.status !== "ok")
            .map(
                (q) =>
                    `| ${s.stack} | ${q.quota} | ${cell(q.scope)} | ${q.count === undefined ? "cannot tell at preview" : q.count} | ${q.limit}${q.unit ? ` ${q.unit}` : ""} | ${q.status} |`,
            ),
    );
}

export const QUOTA_HEADER = [
    "| Stack | Quota | Where | Count | Quota | Status |",
    "| --- | --- | --- | ---: | ---: | --- |",
];

/** Cross-account grants grouped by stack, direction, kinds of node and actions: a count and one example each. */
function grantGroups(report: PlanReport): string[] {
    const groups = new Map<string, { s: StackPlan; g: CrossAccountGrant; n: number }>();
    for (const s of report.stacks) {
        for (const g of s.crossAccount) {
            const key = [
                s.stack,
                g.direction,
                g.kind,
                g.principalAccount,
                nodeKind(g.principal),
                g.resourceAccount,
                nodeKind(g.resource),
                [...g.actions].sort().join(","),
            ].join("|");
            const group = groups.get(key);
            if (group) group.n++;
            else groups.set(key, { s, g, n: 1 });
        }
    }
    return [...groups.values()].map(
        ({ s, g, n }) =>
            `| ${s.stack} | ${g.direction} | ${cell(`${accountLabel(g.principalAccount, s.accounts)} ${nodeKind(g.principal)}`)} | ${cell(actionsText(g.actions))} | ` +
            `${cell(`${nodeKind(g.resource)} in ${accountLabel(g.resourceAccount, s.accounts)}`)} | ${n} | ${cell(`${g.source.type.split(":").pop()} ${g.source.name}`)} |`,
    );
}

/** The pull-request comment of a plan (no base): summary first, details collapsed, within one comment. */
export function formatMarkdown(report: PlanReport): string {
    const icon = { clean: "✅", violations: "❌", error: "⚠️" }[report.status];
    const w = new MarkdownWriter();
    w.add(
        `## ${icon} Offline plan: ${report.status}`,
        "",
        "Planned without cloud credentials under Pulumi's mock runtime; a real `pulumi preview` may still differ " +
            "where values are only known at deploy time.",
        "",
        "| Stack | Account | Resources | Cross-account grants | Mandatory | Advisory | Quota warnings |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    );
    for (const s of report.stacks) {
        const policy = s.policy.evaluated
            ? [String(s.policy.mandatory), String(s.policy.advisory)]
            : ["not evaluated", "not evaluated"];
        w.add(
            `| ${s.stack} | ${s.error ? `${s.error.kind} error` : `${s.environment} ${s.accountId}`} | ${s.resources.total} | ` +
                `${s.crossAccount.length} | ${policy.join(" | ")} | ${s.quotas.filter((q) => q.status !== "ok").length} |`,
        );
    }
    for (const s of report.stacks.filter((st) => st.error)) {
        w.add("", `### ${s.stack}: ${s.error!.kind} error`, "", "```", s.error!.message, "```");
    }
    for (const s of report.stacks.filter((st) => st.undecryptedSecrets)) {
        w.add("", `${s.stack}: ${undecryptedNote(s.undecryptedSecrets!)}`);
    }
    violationSections(w, report.stacks);
    const grants = report.stacks.flatMap((s) => s.crossAccount);
    w.add("", "### Accounts and trust", "");
    if (grants.length === 0) w.add("No grant crosses an account boundary.");
    else w.add("```mermaid", mermaidDiagram(accountsOfReport(report.stacks), grants), "```", "", DIAGRAM_NOTE);
    const warnings = quotaRows(report.stacks);
    if (warnings.length > 0) {
        w.add("", "### Quotas", "", ...QUOTA_HEADER);
        w.rows(warnings, 4_000, LEFT_OUT);
    }
    details(w, `Cross-account grants (${grants.length}, grouped)`, (d) => {
        d.add(
            "| Stack | Direction | From | Actions | To | Grants | For example |",
            "| --- | --- | --- | --- | --- | ---: | --- |",
        );
        d.rows(grantGroups(report), 3_000, LEFT_OUT);
    });
    details(w, "Quotas", (d) => {
        d.add(...QUOTA_HEADER);
        d.rows(quotaRows(report.stacks, true), 2_500, LEFT_OUT);
    });
    const planned = report.stacks.filter((s) => !s.error);
    details(w, "Resources by type", (d) => {
        d.add(
            `| Type | ${planned.map((s) => s.stack).join(" | ")} |`,
            `| --- |${planned.map(() => " ---: |").join("")}`,
        );
        const types = [...new Set(planned.flatMap((s) => Object.keys(s.resources.byType)))].sort();
        d.rows(
            types.map((t) => `| \`${t}\` | ${planned.map((s) => s.resources.byType[t] ?? 0).join(" | ")} |`),
            500,
            LEFT_OUT,
        );
    });
    return w.toString();
}

export const DIAGRAM_NOTE =
    "Each edge stands for the grants between two kinds of principal or resource (×N: how many). Grants written in " +
    "policies that are only known after deploy (built from ARNs AWS assigns) are not drawn.";

/** Mandatory violations in a table; advisory ones collapsed. */
export function violationSections(
    w: MarkdownWriter,
    stacks: readonly { stack: string; policy: PlanReport["stacks"][number]["policy"] }[],
    title = "Policy violations",
): void {
    const all = stacks.flatMap((s) =>
        s.policy.evaluated ? s.policy.violations.map((v) => ({ stack: s.stack, v })) : [],
    );
    const row = ({ stack, v }: (typeof all)[number]) =>
        `| ${stack} | ${v.enforcementLevel} | ${cell(`${v.packName}/${v.policyName}`)} | ${cell(v.resourceName ? `${v.resourceType} ${v.resourceName}` : "stack")} | ${cell(v.message)} |`;
    const header = ["| Stack | Level | Policy | Resource | Message |", "| --- | --- | --- | --- | --- |"];
    const mandatory = all.filter((x) => x.v.enforcementLevel === "mandatory");
    const advisory = all.filter((x) => x.v.enforcementLevel !== "mandatory");
    if (mandatory.length > 0) {
        w.add("", `### ${title}: ${mandatory.length} mandatory`, "", ...header);
        w.rows(mandatory.map(row), 8_000, LEFT_OUT);
    }
    if (advisory.length > 0) {
        details(w, `${advisory.length} advisory`, (d) => {
            d.add(...header);
            d.rows(advisory.map(row), 6_000, LEFT_OUT);
        });
    }
}
