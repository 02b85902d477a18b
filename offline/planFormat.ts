/** Renders a plan report for a terminal and as a pull-request comment (Markdown with a Mermaid diagram). */
import { CrossAccountGrant } from "./crossAccount";
import { PlanNode, PlanReport, StackPlan } from "./plan";

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
function accountLabel(id: string, accounts: Readonly<Record<string, string>> | undefined): string {
    if (id === "*") return "any account";
    const role = Object.entries(accounts ?? {}).find(([, a]) => a === id)?.[0];
    return role ? `${role} (${id})` : id;
}

function actionsText(actions: readonly string[]): string {
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

/** Last part of an ARN, short enough for a diagram node (`role/cicd-dev-orders-api-source`). */
function shortName(arn: string): string {
    if (arn === "*") return "anyone";
    const parts = arn.split(":");
    if (parts[0] !== "arn") return arn;
    const tail = parts.slice(5).join(":");
    return parts[2] === "iam" && tail === "root" ? "account root" : `${parts[2]}:${tail}`;
}

/**
 * A Mermaid flowchart: one box per account, a node per principal and resource, an edge per grant (trust
 * edges say "assume"). Grants seen from both sides (inbound in one stack, outbound in another) are drawn once.
 */
export function mermaidDiagram(report: PlanReport): string {
    const accounts: Record<string, string> = {};
    for (const s of report.stacks) Object.assign(accounts, s.accounts ?? {});
    const nodes = new Map<string, { id: string; account: string; label: string }>();
    const node = (arn: string, account: string) => {
        const key = `${account}|${arn}`;
        if (!nodes.has(key)) nodes.set(key, { id: `n${nodes.size}`, account, label: shortName(arn) });
        return nodes.get(key)!.id;
    };
    const edges = new Set<string>();
    for (const s of report.stacks) {
        for (const g of s.crossAccount) {
            const from = node(g.principal, g.principalAccount);
            const to = node(g.resource, g.resourceAccount);
            const assume = g.kind === "trust-policy" || g.actions.every((a) => /^sts:AssumeRole/i.test(a));
            const label = assume ? "assume" : actionsText(g.actions);
            edges.add(`    ${from} -->|"${mermaidText(label)}"| ${to}`);
        }
    }
    const lines = ["flowchart LR"];
    const byAccount = new Map<string, { id: string; label: string }[]>();
    for (const n of nodes.values()) byAccount.set(n.account, [...(byAccount.get(n.account) ?? []), n]);
    for (const [account, members] of [...byAccount].sort(([a], [b]) => a.localeCompare(b))) {
        lines.push(
            `    subgraph a${account === "*" ? "any" : account}["${mermaidText(accountLabel(account, accounts))}"]`,
        );
        for (const m of members) lines.push(`        ${m.id}["${mermaidText(m.label)}"]`);
        lines.push("    end");
    }
    lines.push(...edges);
    return lines.join("\n");
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** The pull-request comment. */
export function formatMarkdown(report: PlanReport): string {
    const icon = { clean: "✅", violations: "❌", error: "⚠️" }[report.status];
    const out: string[] = [
        `## ${icon} Offline plan: ${report.status}`,
        "",
        "Planned without cloud credentials under Pulumi's mock runtime; a real `pulumi preview` may still differ " +
            "where values are only known at deploy time.",
        "",
        "| Stack | Account | Resources | Protected | Retained | Cross-account grants | Mandatory | Advisory |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ];
    for (const s of report.stacks) {
        const policy = s.policy.evaluated
            ? [String(s.policy.mandatory), String(s.policy.advisory)]
            : ["not evaluated", "not evaluated"];
        out.push(
            `| ${s.stack} | ${s.error ? `${s.error.kind} error` : `${s.environment} ${s.accountId}`} | ${s.resources.total} | ` +
                `${s.resources.protected.length} | ${s.resources.retained.length} | ${s.crossAccount.length} | ${policy.join(" | ")} |`,
        );
    }
    for (const s of report.stacks.filter((st) => st.error)) {
        out.push("", `### ${s.stack}: ${s.error!.kind} error`, "", "```", s.error!.message, "```");
    }
    const violations = report.stacks.flatMap((s) =>
        s.policy.evaluated ? s.policy.violations.map((v) => ({ stack: s.stack, v })) : [],
    );
    if (violations.length > 0) {
        out.push("", "### Policy violations", "", "| Stack | Level | Policy | Resource | Message |");
        out.push("| --- | --- | --- | --- | --- |");
        for (const { stack, v } of violations) {
            out.push(
                `| ${stack} | ${v.enforcementLevel} | ${cell(`${v.packName}/${v.policyName}`)} | ${cell(v.resourceName ? `${v.resourceType} ${v.resourceName}` : "stack")} | ${cell(v.message)} |`,
            );
        }
    }
    const grants = report.stacks.flatMap((s) => s.crossAccount.map((g) => ({ s, g })));
    out.push("", "### Cross-account access", "");
    if (grants.length === 0) out.push("No grant crosses an account boundary.");
    else {
        out.push("```mermaid", mermaidDiagram(report), "```", "");
        out.push("| Stack | Direction | Principal | Actions | Resource | Conditions | Written in |");
        out.push("| --- | --- | --- | --- | --- | --- | --- |");
        for (const { s, g } of grants) {
            out.push(
                `| ${s.stack} | ${g.direction} | ${cell(`${accountLabel(g.principalAccount, s.accounts)}: \`${g.principal}\``)} | ` +
                    `${cell(g.actions.join(", "))} | ${cell(`\`${g.resource}\``)} | ${cell(g.conditions ? `\`${JSON.stringify(g.conditions)}\`` : "")} | ` +
                    `${cell(`${g.source.type} ${g.source.name}`)} |`,
            );
        }
    }
    for (const s of report.stacks.filter((st) => !st.error)) {
        out.push("", `<details><summary>${s.stack}: ${s.resources.total} resources by type</summary>`, "");
        out.push("| Type | Count |", "| --- | ---: |");
        for (const [type, n] of Object.entries(s.resources.byType)) out.push(`| \`${type}\` | ${n} |`);
        out.push("", "</details>");
    }
    return out.join("\n") + "\n";
}
