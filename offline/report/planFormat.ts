/** Renders a plan report for a terminal and as a pull-request comment (Markdown with a Mermaid diagram). */
import { STACK_ROLES } from "../../domain/config";
import { CrossAccountGrant } from "../analysis/crossAccount";
import { PlanNode, PlanReport, StackPlan } from "../analysis/plan";
import { PolicyViolation } from "../analysis/policyRunner";
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

/** Where an account stands in promotion order (tool, dev, qa, stage, prod), then any other account, then "any". */
function accountRank(account: string, accounts: Readonly<Record<string, string>>): number {
    if (account === "*") return STACK_ROLES.length + 1;
    const ranks = STACK_ROLES.map((role, i) => (accounts[role] === account ? i : -1)).filter((i) => i >= 0);
    return ranks.length > 0 ? Math.min(...ranks) : STACK_ROLES.length;
}

/** An account by its stack role when it has one (`dev`), else its id; `*` is any account. */
function accountName(id: string, accounts: Readonly<Record<string, string>>): string {
    if (id === "*") return "any account";
    return STACK_ROLES.find((r) => accounts[r] === id) ?? Object.entries(accounts).find(([, a]) => a === id)?.[0] ?? id;
}

/** Grants from one account's principals of one kind to another account: the pairs behind each kind of access. */
type Direction = Map<string, Set<string>>;

/** Per pair of accounts (`a>b`, a before b in promotion order), the grants each way, by kind of principal. */
function accountPairs(
    grants: readonly CrossAccountGrant[],
    rank: (account: string) => number,
): Map<string, Map<string, Direction>> {
    const pairs = new Map<string, Map<string, Direction>>();
    for (const g of grants) {
        const [first, second] = [g.principalAccount, g.resourceAccount].sort(
            (a, b) => rank(a) - rank(b) || a.localeCompare(b),
        );
        const key = `${first}>${second}`;
        if (!pairs.has(key)) pairs.set(key, new Map());
        const heads = pairs.get(key)!;
        const head = `${g.principalAccount}>${nodeKind(g.principal)}>${g.resourceAccount}`;
        if (!heads.has(head)) heads.set(head, new Map());
        for (const kind of trustKinds(g.actions)) {
            const direction = heads.get(head)!;
            if (!direction.has(kind)) direction.set(kind, new Set());
            direction.get(kind)!.add(`${g.principal}>${g.resource}`);
        }
    }
    return pairs;
}

const kindLine = (kind: string, pairs: Set<string>) => `${kind}${pairs.size > 1 ? ` ×${pairs.size}` : ""}`;

/**
 * A Mermaid flowchart of the accounts, top to bottom in promotion order (tool, dev, qa, stage, prod), and every
 * cross-account grant: one arrow between two accounts, pointing at the account that holds the resources (both
 * ways when each holds some), labelled per direction with the kind of principal (IAM roles, account root) and
 * one line per kind of access (`assume role`, `use key`, `read objects`, `put events`, `pull images`, ...) with
 * how many principal-resource pairs have it. Its size does not grow with the number of services. With `base`
 * (the base revision's grants), new arrows are thick and red, changed ones orange, removed ones dashed and grey,
 * and their lines marked `+` (new), `−` (removed) or `~` (changed, with the count before).
 *
 * Mermaid's layout (dagre) puts each arrow's head below its tail; an arrow that points back up (qa's roles pull
 * dev's images) makes a cycle, which dagre breaks by a depth-first search over the nodes and edges in the order
 * they are written, reversing each edge that leads back to a node on the search path. So the accounts are
 * written in promotion order and chained by invisible links before any grant: the search runs down the chain
 * first, every arrow that points back up is reversed for the layout (and drawn upwards), and the accounts keep
 * their order.
 */
export function mermaidDiagram(
    accountsOf: Readonly<Record<string, string>>,
    grants: readonly CrossAccountGrant[],
    base?: readonly CrossAccountGrant[],
): string {
    const rank = (account: string) => accountRank(account, accountsOf);
    const byRank = (a: string, b: string) => rank(a) - rank(b) || a.localeCompare(b);
    const head = accountPairs(grants, rank);
    const before = base ? accountPairs(base, rank) : undefined;
    const keys = [...new Set([...head.keys(), ...(before?.keys() ?? [])])];
    const accounts = [...new Set([...Object.values(accountsOf), ...keys.flatMap((k) => k.split(">"))])].sort(byRank);
    const id = (account: string) => `a_${account === "*" ? "any" : account.replace(/[^A-Za-z0-9]+/g, "_")}`;
    const lines = ["flowchart TB"];
    for (const a of accounts) lines.push(`    ${id(a)}["${mermaidText(accountLabel(a, accountsOf))}"]`);
    for (let i = 1; i < accounts.length; i++) lines.push(`    ${id(accounts[i - 1])} ~~~ ${id(accounts[i])}`);
    const styles: string[] = [];
    let index = accounts.length - 1;
    keys.sort((x, y) => {
        const [a, b] = x.split(">");
        const [c, d] = y.split(">");
        return byRank(a, c) || byRank(b, d);
    });
    for (const key of keys) {
        const now = head.get(key);
        const then = before?.get(key);
        const label: string[] = [];
        let changed = false;
        const heads = [...new Set([...(now?.keys() ?? []), ...(then?.keys() ?? [])])].sort(
            (x, y) => byRank(x.split(">")[0], y.split(">")[0]) || x.localeCompare(y),
        );
        for (const h of heads) {
            const [from, principal, to] = h.split(">");
            label.push(`${accountName(from, accountsOf)} ${principal} → ${accountName(to, accountsOf)}:`);
            const a = now?.get(h);
            const b = then?.get(h);
            for (const kind of [...new Set([...(a?.keys() ?? []), ...(b?.keys() ?? [])])].sort()) {
                const p = a?.get(kind);
                const q = b?.get(kind);
                if (!base) label.push(kindLine(kind, p!));
                else if (!q) label.push(`+ ${kindLine(kind, p!)}`);
                else if (!p) label.push(`− ${kindLine(kind, q)}`);
                else if (p.size !== q.size || [...p].some((x) => !q.has(x)))
                    label.push(`~ ${kind} ×${q.size}→${p.size}`);
                else label.push(kindLine(kind, p));
            }
            changed ||= Boolean(base) && label.some((l) => /^[+~−] /.test(l));
        }
        const [first, second] = key.split(">");
        const down = heads.some((h) => h.split(">")[0] === first);
        const up = heads.some((h) => h.split(">")[0] === second);
        // Written first to second (down) unless every grant points up.
        const [tail, tip] = down ? [first, second] : [second, first];
        const arrow = { plain: "-->", thick: "==>", dotted: "-.->" };
        const style = !now ? "dotted" : base && (!then || changed) ? "thick" : "plain";
        const link = `${down && up ? "<" : ""}${arrow[style]}`;
        lines.push(`    ${id(tail)} ${link}|"${mermaidText(label.join("<br>"))}"| ${id(tip)}`);
        if (!now) styles.push(`    linkStyle ${index} stroke:#9e9e9e,stroke-dasharray:4`);
        else if (base && !then) styles.push(`    linkStyle ${index} stroke:#d32f2f,stroke-width:3px`);
        else if (changed) styles.push(`    linkStyle ${index} stroke:#ef6c00,stroke-width:3px`);
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
/**
 * What the renderers aim at, in UTF-8 bytes (never fewer than characters): room is left for the line the comment
 * workflow adds (a link to the run), and its byte cut (`head -c 65000`) never bites.
 */
export const MARKDOWN_BUDGET = 65_000;

/** What a line costs: its UTF-8 bytes and the line break. */
const sizeOf = (lines: readonly string[]) => lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);

/** Markdown within a size budget. */
export class MarkdownWriter {
    private readonly lines: string[] = [];
    private size = 0;

    constructor(readonly budget = MARKDOWN_BUDGET) {}

    get remaining(): number {
        return this.budget - this.size;
    }

    add(...lines: string[]): void {
        this.lines.push(...lines);
        this.size += sizeOf(lines);
    }

    toString(): string {
        return this.lines.join("\n") + "\n";
    }
}

/**
 * A section a reviewer needs (findings, access, data loss, quota warnings): every row when the rows fit, else the
 * rows grouped (a count and an example each).
 */
export interface LeadSection {
    /** `### ...` and any text above the table. */
    readonly heading: readonly string[];
    readonly header: readonly string[];
    readonly rows: readonly string[];
    /** The same rows grouped, with a line that says so; absent when the rows are already few. */
    readonly grouped?: { readonly note: string; readonly header: readonly string[]; readonly rows: readonly string[] };
    /** Lines after the table (a diagram). */
    readonly after?: readonly string[];
}

/** A list for reference, collapsed: cut to the room left, with a count of what is not shown. */
export interface Inventory {
    /** The `<summary>`, with the count, e.g. `Resources by type (51)`. */
    readonly title: string;
    readonly header: readonly string[];
    readonly rows: readonly string[];
    /** What a row is, plural, for the cut line: `types`, `grant groups`. */
    readonly noun: string;
    /** Lines after the rows (a closing code fence). */
    readonly footer?: readonly string[];
}

/** The line under an inventory cut for room. */
export const cutLine = (n: number, noun: string) => `… ${n} more ${noun} in the JSON report (\`--json\`).`;

/** The line in place of an inventory with no room for a row. */
export const leftOutLine = (inventory: Inventory) =>
    `${inventory.title}: not shown for room; all ${inventory.rows.length} ${inventory.noun} are in the JSON report (\`--json\`).`;

const tableLines = (s: LeadSection, table: { header: readonly string[]; rows: readonly string[] }, note?: string) => [
    "",
    ...s.heading,
    ...(note ? ["", note] : []),
    ...(table.rows.length > 0 ? ["", ...table.header, ...table.rows] : []),
    ...(s.after ?? []),
];

const inventoryStub = (i: Inventory) => ["", leftOutLine(i)];

/**
 * Writes the sections a reviewer needs, then the inventories. Each section shows every row unless that leaves too
 * little room for the sections after it (grouped, or at least their headings) and one line per inventory; then its
 * rows are grouped. The inventories share what is left, in order, each cut with a count of its rows not shown; one
 * with no room for a row is a line saying so. No table is written without a row.
 */
export function writeComment(w: MarkdownWriter, lead: readonly LeadSection[], inventories: readonly Inventory[]): void {
    const shortest = (s: LeadSection) =>
        sizeOf(s.grouped ? tableLines(s, s.grouped, s.grouped.note) : tableLines(s, { header: [], rows: [] }));
    const stubs = sizeOf(inventories.flatMap(inventoryStub));
    lead.forEach((s, i) => {
        const after = lead.slice(i + 1).reduce((n, l) => n + shortest(l), 0) + stubs;
        const full = tableLines(s, s);
        if (!s.grouped || sizeOf(full) <= w.remaining - after) return w.add(...full);
        const room =
            w.remaining - after - sizeOf(tableLines(s, { header: s.grouped.header, rows: [] }, s.grouped.note));
        const rows = fitting(s.grouped.rows, room - sizeOf(["", cutLine(s.grouped.rows.length, "groups")]));
        w.add(...tableLines(s, { header: s.grouped.header, rows }, s.grouped.note));
        if (rows.length < s.grouped.rows.length) w.add("", cutLine(s.grouped.rows.length - rows.length, "groups"));
    });
    inventories.forEach((inv, i) => {
        const later = sizeOf(inventories.slice(i + 1).flatMap(inventoryStub));
        const open = ["", `<details><summary>${inv.title}</summary>`, "", ...inv.header];
        const close = [...(inv.footer ?? []), "", "</details>"];
        const all = sizeOf([...open, ...inv.rows, ...close]) <= w.remaining - later;
        const room = w.remaining - later - sizeOf([...open, ...close, "", cutLine(inv.rows.length, inv.noun)]);
        const rows = all ? inv.rows : fitting(inv.rows, room);
        if (rows.length === 0) return w.add(...inventoryStub(inv));
        w.add(...open, ...rows, ...(inv.footer ?? []));
        if (rows.length < inv.rows.length) w.add("", cutLine(inv.rows.length - rows.length, inv.noun));
        w.add("", "</details>");
    });
}

/** The first rows that fit in `room`. */
function fitting(rows: readonly string[], room: number): readonly string[] {
    let n = 0;
    for (let used = 0; n < rows.length && used + sizeOf([rows[n]]) <= room; n++) used += sizeOf([rows[n]]);
    return rows.slice(0, n);
}

/** Rows grouped by `key`: the group's row from its count and first member. */
export function groupRows<T>(
    items: readonly T[],
    key: (t: T) => string,
    row: (first: T, n: number) => string,
): string[] {
    const groups = new Map<string, { first: T; n: number }>();
    for (const t of items) {
        const k = key(t);
        const g = groups.get(k);
        if (g) g.n++;
        else groups.set(k, { first: t, n: 1 });
    }
    return [...groups.values()].map((g) => row(g.first, g.n));
}

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

/** Quota warnings of the stacks: a section when there are any. */
export function quotaSection(stacks: readonly { stack: string; quotas: readonly QuotaUsage[] }[]): LeadSection[] {
    const rows = quotaRows(stacks);
    return rows.length === 0 ? [] : [{ heading: [`### Quota warnings (${rows.length})`], header: QUOTA_HEADER, rows }];
}

/** Cross-account grants grouped by stack, direction, kinds of node and actions: a count and one example each. */
function grantGroups(report: PlanReport): string[] {
    return groupRows(
        report.stacks.flatMap((s) => s.crossAccount.map((g) => ({ s, g }))),
        ({ s, g }) =>
            [
                s.stack,
                g.direction,
                g.kind,
                g.principalAccount,
                nodeKind(g.principal),
                g.resourceAccount,
                nodeKind(g.resource),
                [...g.actions].sort().join(","),
            ].join("|"),
        ({ s, g }, n) =>
            `| ${s.stack} | ${g.direction} | ${cell(`${accountLabel(g.principalAccount, s.accounts)} ${nodeKind(g.principal)}`)} | ${cell(actionsText(g.actions))} | ` +
            `${cell(`${nodeKind(g.resource)} in ${accountLabel(g.resourceAccount, s.accounts)}`)} | ${n} | ${cell(`${g.source.type.split(":").pop()} ${g.source.name}`)} |`,
    );
}

/** The policy runner's (and the engine's) notice for a policy that stopped at a value unknown until `pulumi up`. */
export const isUndecided = (v: PolicyViolation) => v.message.startsWith("can't run ");

type Finding = { stack: string; v: PolicyViolation };

const FINDING_HEADER = ["| Stack | Policy | Resource | Message |", "| --- | --- | --- | --- |"];
const findingRow = ({ stack, v }: Finding, mark = "") =>
    `| ${stack}${mark} | ${cell(v.policyName)} | ${cell(v.resourceName ? `${v.resourceType} ${v.resourceName}` : "the stack")} | ${cell(v.message)} |`;

/** Findings grouped by stack and policy: how many resources, and the first one's message. */
function groupedFindings(findings: readonly (Finding & { mark?: string })[]): LeadSection["grouped"] {
    return {
        note: `${findings.length} findings, grouped by stack and policy: each one is in the JSON report (\`--json\`).`,
        header: ["| Stack | Policy | Resources | For example |", "| --- | --- | ---: | --- |"],
        rows: groupRows(
            findings,
            (f) => `${f.stack}|${f.mark ?? ""}|${f.v.policyName}`,
            (f, n) =>
                `| ${f.stack}${f.mark ?? ""} | ${cell(f.v.policyName)} | ${n} | ${cell(`${f.v.resourceName ?? "the stack"}: ${f.v.message}`)} |`,
        ),
    };
}

/** The mandatory findings as a lead section (none when there are none). */
export function mandatorySection(findings: readonly (Finding & { mark?: string })[], title: string): LeadSection[] {
    if (findings.length === 0) return [];
    return [
        {
            heading: [`### ❌ ${title} (${findings.length})`],
            header: FINDING_HEADER,
            rows: findings.map((f) => findingRow(f, f.mark)),
            grouped: groupedFindings(findings),
        },
    ];
}

/** Advisory findings as an inventory (none when there are none). */
export function advisoryInventory(findings: readonly (Finding & { mark?: string })[], title: string): Inventory[] {
    return findings.length === 0
        ? []
        : [
              {
                  title: `${title} (${findings.length})`,
                  header: FINDING_HEADER,
                  rows: findings.map((f) => findingRow(f, f.mark)),
                  noun: "findings",
              },
          ];
}

/** The notices of policies that could not run at preview, counted by policy and resource type per stack. */
export function undecidedInventory(
    stacks: readonly { stack: string; violations: readonly PolicyViolation[] }[],
): Inventory[] {
    const notices = stacks.flatMap((s) => s.violations.filter(isUndecided).map((v) => ({ stack: s.stack, v })));
    if (notices.length === 0) return [];
    const names = stacks.map((s) => s.stack);
    const counts = new Map<string, Map<string, number>>();
    for (const { stack, v } of notices) {
        const key = `${v.policyName}|${v.resourceType ?? "the stack"}`;
        if (!counts.has(key)) counts.set(key, new Map());
        counts.get(key)!.set(stack, (counts.get(key)!.get(stack) ?? 0) + 1);
    }
    return [
        {
            title: `Decided only at deployment: ${notices.length} policy × resource pairs`,
            header: [
                `| Policy | Resource type | ${names.join(" | ")} |`,
                `| --- | --- |${names.map(() => " ---: |").join("")}`,
            ],
            rows: [...counts].map(([key, n]) => {
                const [policy, type] = key.split("|");
                return `| ${cell(policy)} | ${cell(type)} | ${names.map((s) => n.get(s) ?? 0).join(" | ")} |`;
            }),
            noun: "policy and type rows",
        },
    ];
}

const VERDICT_ICON = { clean: "✅", violations: "❌", error: "⚠️" } as const;

function verdictCell(s: StackPlan): string {
    if (s.error) return `⚠️ ${s.error.kind} error`;
    if (!s.policy.evaluated) return "not evaluated";
    return s.policy.mandatory > 0 ? `❌ ${s.policy.mandatory} mandatory` : "✅ clean";
}

/** The headline: the verdict in words. */
function headline(report: PlanReport): string {
    const failed = report.stacks.filter((s) => s.status === "error").map((s) => s.stack);
    const violating = report.stacks.filter((s) => s.status === "violations").map((s) => s.stack);
    const words =
        failed.length > 0
            ? `${failed.join(", ")} ${failed.length === 1 ? "does" : "do"} not plan`
            : violating.length > 0
              ? `mandatory findings in ${violating.join(", ")}`
              : `no mandatory finding in ${report.stacks.length} stack${report.stacks.length === 1 ? "" : "s"}`;
    return `## ${VERDICT_ICON[report.status]} Offline plan: ${words}`;
}

/**
 * The pull-request comment of a plan (no base), within one comment: the verdict per stack, the mandatory findings,
 * the cross-account access, the quota warnings, then collapsed inventories (advisory findings, what only the
 * deployment decides, grants, quotas, resources by type), cut to the room left.
 */
export function formatMarkdown(report: PlanReport, budget = MARKDOWN_BUDGET): string {
    const w = new MarkdownWriter(budget);
    w.add(
        headline(report),
        "",
        "Planned without cloud credentials under Pulumi's mock runtime; a real `pulumi preview` may still differ " +
            "where values are only known at deploy time.",
        "",
        "### Verdict per stack",
        "",
        "| Stack | Account | Verdict | Mandatory | Advisory | Undecided at preview | Cross-account grants | Quota warnings | Resources |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    );
    for (const s of report.stacks) {
        const v = s.policy.evaluated ? s.policy.violations : [];
        const policy = s.policy.evaluated
            ? [
                  s.policy.mandatory,
                  v.filter((x) => x.enforcementLevel !== "mandatory" && !isUndecided(x)).length,
                  v.filter(isUndecided).length,
              ]
            : ["", "", ""];
        w.add(
            `| ${s.stack} | ${s.error ? "" : `${s.environment} ${s.accountId}`} | ${verdictCell(s)} | ${policy.join(" | ")} | ` +
                `${s.crossAccount.length} | ${s.quotas.filter((q) => q.status !== "ok").length} | ${s.resources.total} |`,
        );
    }
    for (const s of report.stacks.filter((st) => st.error)) {
        w.add("", `#### ${s.stack}: ${s.error!.kind} error`, "", "```", s.error!.message, "```");
    }
    for (const s of report.stacks.filter((st) => st.undecryptedSecrets)) {
        w.add("", `${s.stack}: ${undecryptedNote(s.undecryptedSecrets!)}`);
    }
    const findings = report.stacks.flatMap((s) =>
        s.policy.evaluated ? s.policy.violations.map((v) => ({ stack: s.stack, v })) : [],
    );
    const grants = report.stacks.flatMap((s) => s.crossAccount);
    const access: LeadSection = {
        heading: [`### Cross-account access (${grants.length} grants)`, ""],
        header: [],
        rows: [],
        after:
            grants.length === 0
                ? ["No grant crosses an account boundary."]
                : ["```mermaid", mermaidDiagram(accountsOfReport(report.stacks), grants), "```", "", DIAGRAM_NOTE],
    };
    const planned = report.stacks.filter((s) => !s.error);
    const types = [...new Set(planned.flatMap((s) => Object.keys(s.resources.byType)))].sort();
    writeComment(
        w,
        [
            ...mandatorySection(
                findings.filter((f) => f.v.enforcementLevel === "mandatory"),
                "Mandatory findings",
            ),
            access,
            ...quotaSection(report.stacks),
        ],
        [
            ...advisoryInventory(
                findings.filter((f) => f.v.enforcementLevel !== "mandatory" && !isUndecided(f.v)),
                "Advisory findings",
            ),
            ...undecidedInventory(
                report.stacks.map((s) => ({
                    stack: s.stack,
                    violations: s.policy.evaluated ? s.policy.violations : [],
                })),
            ),
            ...(grants.length === 0
                ? []
                : [
                      {
                          title: `Cross-account grants (${grants.length}, grouped)`,
                          header: [
                              "| Stack | Direction | From | Actions | To | Grants | For example |",
                              "| --- | --- | --- | --- | --- | ---: | --- |",
                          ],
                          rows: grantGroups(report),
                          noun: "grant groups",
                      },
                  ]),
            {
                title: `Quotas (${quotaRows(report.stacks, true).length})`,
                header: QUOTA_HEADER,
                rows: quotaRows(report.stacks, true),
                noun: "quotas",
            },
            {
                title: `Resources by type (${types.length})`,
                header: [
                    `| Type | ${planned.map((s) => s.stack).join(" | ")} |`,
                    `| --- |${planned.map(() => " ---: |").join("")}`,
                ],
                rows: types.map((t) => `| \`${t}\` | ${planned.map((s) => s.resources.byType[t] ?? 0).join(" | ")} |`),
                noun: "types",
            },
        ].filter((i) => i.rows.length > 0),
    );
    return w.toString();
}

export const DIAGRAM_NOTE =
    "Accounts top to bottom in promotion order; each arrow points at the account that holds the resources, and " +
    "its label says whose principals may do what there (×N: how many principal-resource pairs). Grants written in " +
    "policies that are only known after deploy are not drawn.";
