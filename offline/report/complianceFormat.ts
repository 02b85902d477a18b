/** Renders the compliance evidence: CSV and Markdown for people, JSON for tools, written into one directory. */
import * as fs from "fs";
import * as path from "path";
import { ComplianceRecord, ComplianceReport, ControlSummary, RESULTS, StackCompliance } from "../analysis/compliance";

/** The files `--compliance DIR` writes, by name. */
export const COMPLIANCE_FILES = {
    json: "compliance.json",
    records: "compliance.csv",
    controls: "compliance-controls.csv",
    markdown: "compliance.md",
} as const;

const RECORD_COLUMNS = [
    "stack",
    "policy",
    "scope",
    "severity",
    "enforcement level",
    "resource type",
    "resource name",
    "urn",
    "result",
    "message",
    "waiver reason",
    "waiver approved by",
    "waiver expires",
    "NIST SP 800-53",
    "AWS FSBP",
];

/** A CSV field (RFC 4180): quoted when it holds a comma, quote or line break. */
export function csvField(value: string | number): string {
    const s = String(value);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const csvLine = (fields: readonly (string | number)[]) => fields.map(csvField).join(",");

/** Every record of every stack, one line each. */
export function formatRecordsCsv(report: ComplianceReport): string {
    const lines = [csvLine(RECORD_COLUMNS)];
    for (const s of report.stacks) {
        for (const r of s.records) {
            lines.push(
                csvLine([
                    r.stack,
                    r.policy,
                    r.scope,
                    r.severity,
                    r.enforcementLevel,
                    r.resourceType ?? "",
                    r.resourceName ?? "",
                    r.urn ?? "",
                    r.result,
                    r.message,
                    r.waiver?.reason ?? "",
                    r.waiver?.approvedBy ?? "",
                    r.waiver?.expires ?? "",
                    r.nist.join(" "),
                    r.fsbp.join(" "),
                ]),
            );
        }
    }
    return lines.join("\r\n") + "\r\n";
}

/** Per stack, per NIST SP 800-53 and AWS FSBP control: resources checked, passed, failed, waived, undecided. */
export function formatControlsCsv(report: ComplianceReport): string {
    const lines = [
        csvLine(["stack", "catalogue", "control", "checked", "passed", "failed", "waived", "undecided", "policies"]),
    ];
    for (const s of report.stacks) {
        for (const [catalogue, summaries] of [
            ["NIST SP 800-53", s.nist],
            ["AWS FSBP", s.fsbp],
        ] as const) {
            for (const c of summaries) {
                lines.push(
                    csvLine([
                        s.stack,
                        catalogue,
                        c.control,
                        c.checked,
                        c.passed,
                        c.failed,
                        c.waived,
                        c.undecided,
                        c.policies.join(" "),
                    ]),
                );
            }
        }
    }
    return lines.join("\r\n") + "\r\n";
}

/** Markdown table cell: pipes escaped, line breaks as <br>. */
const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");

function controlTable(title: string, summaries: readonly ControlSummary[]): string[] {
    if (summaries.length === 0) return [];
    return [
        `#### ${title}`,
        "",
        "| control | checked | passed | failed | waived | undecided at preview | policies |",
        "| ------- | ------: | -----: | -----: | -----: | -------------------: | -------- |",
        ...summaries.map(
            (c) =>
                `| ${c.control} | ${c.checked} | ${c.passed} | ${c.failed} | ${c.waived} | ${c.undecided} | ${c.policies.map((p) => `\`${p}\``).join(", ")} |`,
        ),
        "",
    ];
}

function recordLine(r: ComplianceRecord): string {
    const what = r.resourceName ? `${r.resourceType} \`${r.resourceName}\`` : "the stack";
    const waiver = r.waiver
        ? ` — waived: ${cell(r.waiver.reason)}; approved by ${cell(r.waiver.approvedBy)}; expires ${r.waiver.expires}`
        : "";
    return `| \`${r.policy}\` | ${r.enforcementLevel} | ${what} | ${cell(r.message)}${waiver} |`;
}

function stackSection(s: StackCompliance): string[] {
    const out = [`### ${s.stack}`, ""];
    if (s.error) return [...out, `The stack did not run: ${cell(s.error)}`, ""];
    out.push(
        `Policy pack config: ${s.policyConfig ? `\`${s.policyConfig}\`` : "none"}.`,
        "",
        `| ${RESULTS.join(" | ")} |`,
        `| ${RESULTS.map(() => "---:").join(" | ")} |`,
        `| ${RESULTS.map((r) => s.counts[r]).join(" | ")} |`,
        "",
        ...controlTable("NIST SP 800-53", s.nist),
        ...controlTable("AWS Foundational Security Best Practices", s.fsbp),
    );
    for (const [result, title] of [
        ["fail", "Failures"],
        ["waived", "Waived findings"],
        ["cannot-decide", "Decided only at deployment (unknown at preview)"],
    ] as const) {
        const rows = s.records.filter((r) => r.result === result);
        if (rows.length === 0) continue;
        out.push(
            `#### ${title} (${rows.length})`,
            "",
            "| policy | level | resource | finding |",
            "| ------ | ----- | -------- | ------- |",
            ...rows.map(recordLine),
            "",
        );
    }
    return out;
}

/** The assessor's view: per stack the result counts, the control summaries and every row that is not a pass. */
export function formatComplianceMarkdown(report: ComplianceReport): string {
    const lines = [
        `## Compliance evidence: ${report.project}`,
        "",
        `Policy pack \`${report.policyPack}\`, evaluated offline on ${report.date} against each stack as \`pulumi preview\` ` +
            `sees it. Every policy × resource it applies to is one row of \`${COMPLIANCE_FILES.records}\`; passes and ` +
            `not-applicable policies are counted here and listed there.`,
        "",
        `| stack | ${RESULTS.join(" | ")} |`,
        `| ----- | ${RESULTS.map(() => "---:").join(" | ")} |`,
        ...report.stacks.map((s) =>
            s.error
                ? `| ${s.stack} | ${RESULTS.map(() => "—").join(" | ")} |`
                : `| ${s.stack} | ${RESULTS.map((r) => s.counts[r]).join(" | ")} |`,
        ),
        "",
        ...report.stacks.flatMap(stackSection),
    ];
    return lines.join("\n");
}

/** Writes the four files into `dir` (created when missing); returns their paths. */
export function writeComplianceFiles(dir: string, report: ComplianceReport): string[] {
    fs.mkdirSync(dir, { recursive: true });
    const files: [string, string][] = [
        [COMPLIANCE_FILES.json, JSON.stringify(report, null, 2) + "\n"],
        [COMPLIANCE_FILES.records, formatRecordsCsv(report)],
        [COMPLIANCE_FILES.controls, formatControlsCsv(report)],
        [COMPLIANCE_FILES.markdown, formatComplianceMarkdown(report)],
    ];
    return files.map(([name, content]) => {
        const file = path.join(dir, name);
        fs.writeFileSync(file, content);
        return file;
    });
}
