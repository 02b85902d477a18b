import { expect } from "chai";
import { buildDiffReport } from "../offline/analysis/diff";
import { formatDiffMarkdown } from "../offline/report/diffFormat";
import { buildReport, snapshotStack, StackSnapshot } from "../offline/analysis/plan";
import * as fs from "fs";
import * as path from "path";
import { COMMENT_LIMIT, formatMarkdown, MARKDOWN_BUDGET } from "../offline/report/planFormat";
import { quotaUsage } from "../offline/analysis/quotas";
import { deployOrder } from "../scripts/plan";
import { listStacks } from "../offline/runtime/stackFiles";
import { emptyTables, sectionsOf } from "./commentShape";
import { browserPath, BROWSER_PATHS, MermaidBrowser } from "./mermaidBrowser";

const NS = "devsecops-pipelines";
/** The stack files' own service first (their serviceSettings name it), then svc-02, svc-03, ... (as scripts/bench.ts). */
const services = (n: number) =>
    Array.from({ length: n }, (_, i) => (i === 0 ? "orders-api" : `svc-${String(i + 1).padStart(2, "0")}`));

/** Mermaid's own parser, in node: its sanitizer (DOMPurify) needs a window, which jsdom provides. */
async function mermaidParser(): Promise<(text: string) => Promise<unknown>> {
    const load = new Function("m", "return import(m)") as (m: string) => Promise<any>;
    const { JSDOM } = await load("jsdom");
    const dom = new JSDOM("<!doctype html><html><body></body></html>");
    Object.assign(globalThis, { window: dom.window, document: dom.window.document });
    const mermaid = (await load("mermaid")).default;
    return (text) => mermaid.parse(text);
}

const diagramOf = (md: string) => /```mermaid\n([\s\S]*?)\n```/.exec(md)?.[1] ?? "";

describe("pull-request comment at 1 and 25 services per account", function () {
    this.timeout(300_000);
    let one: StackSnapshot[];
    let many: StackSnapshot[];
    let parse: (text: string) => Promise<unknown>;
    before(async () => {
        parse = await mermaidParser();
        const plan = async (n: number) => {
            const out: StackSnapshot[] = [];
            for (const stack of deployOrder(listStacks())) {
                // With the policy pack: its findings and notices are rows of the comment too.
                out.push(await snapshotStack(stack, { projectValues: { services: services(n) } }));
            }
            return out;
        };
        one = await plan(1);
        many = await plan(25);
    });

    it("fits one GitHub comment, with and without a base, and the diagram does not grow with services", async () => {
        for (const s of [...one, ...many]) expect(s.plan.error, s.plan.stack).to.equal(undefined);
        const plain = formatMarkdown(
            buildReport(
                NS,
                many.map((s) => s.plan),
            ),
        );
        // The worst diff: 24 new services in every account against a base with one.
        const diff = formatDiffMarkdown(buildDiffReport(NS, { ref: "main", stacks: one }, many));
        const removal = formatDiffMarkdown(buildDiffReport(NS, { ref: "main", stacks: many }, one));
        for (const md of [plain, diff, removal]) {
            // Within GitHub's limit, the verdict first, and no table without a row.
            expect(Buffer.byteLength(md)).to.be.at.most(MARKDOWN_BUDGET).and.below(COMMENT_LIMIT);
            expect(sectionsOf(md)[1]).to.equal("Verdict per stack");
            expect(emptyTables(md)).to.deep.equal([]);
        }
        // What is cut is an inventory: every cut line sits inside a collapsed inventory, or is one in place of it.
        for (const md of [plain, diff, removal]) {
            const lead = md.slice(0, md.indexOf("<details>"));
            expect(lead).not.to.match(/^… \d+ more|not shown for room/m);
        }
        const order = (md: string) =>
            sectionsOf(md)
                .slice(1)
                .map((h) => h.replace(/^[^A-Za-z]*/, "").replace(/ \(\d+.*\)$|: \d+ .*$| widened or narrowed.*$/, ""));
        expect(order(plain).slice(0, 3)).to.deep.equal(["Verdict per stack", "Cross-account access", "Quota warnings"]);
        expect(order(diff).slice(0, 4)).to.deep.equal([
            "Verdict per stack",
            "Access",
            "Cross-account grants",
            "Quota warnings",
        ]);
        expect(order(removal).slice(0, 5)).to.deep.equal([
            "Verdict per stack",
            "Access",
            "Cross-account grants",
            "Data loss and replacements",
            "Quota warnings",
        ]);
        // 3,000 access changes do not fit row by row: grouped, each group with its count.
        expect(diff).to.match(
            /^\d+ changes, grouped by stack, change, resource type and policy: each one is in the JSON report/m,
        );
        // Adding services deletes nothing; removing them deletes their stateful resources.
        expect(diff).not.to.include("### ⛔ Data loss");
        expect(removal).to.match(/### ⛔ Data loss and replacements: \d+ stateful resources deleted or replaced/);
        // Removing 24 services deletes their ECR repositories in every environment.
        const deletedRepos = buildDiffReport(NS, { ref: "main", stacks: many }, one)
            .stacks.flatMap((s) => s.dataLoss)
            .filter((d) => d.type === "aws:ecr/repository:Repository" && d.change === "delete");
        expect(deletedRepos).to.have.length(24 * 4);
        const small = diagramOf(
            formatMarkdown(
                buildReport(
                    NS,
                    one.map((s) => s.plan),
                ),
            ),
        );
        const large = diagramOf(plain);
        expect(small.split("\n").filter((l) => l.includes("[")).length).to.equal(
            large.split("\n").filter((l) => l.includes("[")).length,
        );
    });

    it("the diagrams parse with mermaid's parser, within its edge and text limits", async () => {
        const diagrams = [
            diagramOf(
                formatMarkdown(
                    buildReport(
                        NS,
                        one.map((s) => s.plan),
                    ),
                ),
            ),
            diagramOf(
                formatMarkdown(
                    buildReport(
                        NS,
                        many.map((s) => s.plan),
                    ),
                ),
            ),
            diagramOf(formatDiffMarkdown(buildDiffReport(NS, { ref: "main", stacks: one }, many))),
            diagramOf(formatDiffMarkdown(buildDiffReport(NS, { ref: "main", stacks: many }, one))),
        ];
        for (const d of diagrams) {
            expect(d.startsWith("flowchart TB\n")).to.equal(true);
            expect(await parse(d)).to.deep.equal({ diagramType: "flowchart-v2", config: {} });
            // mermaid's defaults: maxEdges 500, maxTextSize 50,000.
            expect(d.split("\n").filter((l) => /--|==>/.test(l)).length).to.be.below(500);
            expect(d.length).to.be.below(50_000);
        }
        // A broken diagram is refused: the parser is really parsing.
        let refused = false;
        await parse('flowchart LR\n  a["x" -->|"y"| b').catch(() => (refused = true));
        expect(refused).to.equal(true);
    });
});

describe("the access diagram in a browser (mermaid in headless Chromium)", function () {
    this.timeout(300_000);
    /** About the width of a pull-request comment's body on github.com. */
    const COLUMN = 780;
    let browser: MermaidBrowser | undefined;
    let plans: StackSnapshot[][];
    before(async function () {
        const executable = browserPath();
        if (!executable) {
            // Where no Chromium is installed (apt-get install chromium, or CHROMIUM_PATH), say so rather than pass.
            if (process.env.CI) throw new Error(`no Chromium or Chrome at ${BROWSER_PATHS.join(", ")}`);
            this.skip();
        }
        browser = await MermaidBrowser.launch(executable!);
        plans = [];
        for (const n of [1, 25]) {
            const out: StackSnapshot[] = [];
            for (const stack of deployOrder(listStacks())) {
                out.push(await snapshotStack(stack, { projectValues: { services: services(n) }, evaluate: null }));
            }
            plans.push(out);
        }
    });
    after(() => browser?.close());

    it("draws tool, dev, qa, stage, prod top to bottom, every pair of accounts with grants, legible at 25 services", async () => {
        const [one, many] = plans;
        const rendered = [];
        for (const md of [
            formatMarkdown(
                buildReport(
                    NS,
                    one.map((s) => s.plan),
                ),
            ),
            formatMarkdown(
                buildReport(
                    NS,
                    many.map((s) => s.plan),
                ),
            ),
            formatDiffMarkdown(buildDiffReport(NS, { ref: "main", stacks: one }, many)),
        ]) {
            const diagram = diagramOf(md);
            const r = await browser!.render(diagram, COLUMN);
            rendered.push(r);
            if (process.env.DIAGRAM_PNG_DIR) {
                fs.writeFileSync(path.join(process.env.DIAGRAM_PNG_DIR, `diagram-${rendered.length}.png`), r.png);
            }
            // The accounts, top to bottom in promotion order.
            const accounts = [...r.nodes].sort((a, b) => a.y - b.y).map((n) => n.label.split(" ")[0]);
            expect(accounts).to.deep.equal(["tool", "dev", "qa", "stage", "prod"]);
            // Every arrow written is drawn with its label: tool with each environment, and each environment with
            // the one before it (images pulled, the key used).
            const arrows = diagram.split("\n").filter((l) => /\|"/.test(l));
            expect([r.edges, r.edgeLabels.length, arrows.length]).to.deep.equal([7, 7, 7]);
            // Narrower than the comment: drawn at mermaid's own 16px, never scaled down; and not a scroll of pages.
            expect(r.width).to.be.at.most(COLUMN);
            expect(r.height).to.be.within(600, 2_000);
            expect(r.png.length).to.be.above(10_000);
        }
        // 25 services per account draw the same picture as one: only the counts in the labels change.
        expect(rendered[1].width).to.equal(rendered[0].width);
        expect(rendered[1].height).to.equal(rendered[0].height);
        // A pipeline role's assume-role grant is written twice, in the tool role's trust and in the pipeline role's
        // own policy (both known at preview): two principal-resource pairs per service.
        expect(rendered[1].edgeLabels[0]).to.equal(
            "tool IAM roles → dev:put events ×25read objects ×50use key ×50write objects ×25" +
                "dev IAM roles → tool:assume role ×50",
        );
    });
});

describe("quotas", () => {
    const res = (type: string, name: string, inputs: Record<string, unknown> = {}) => ({ type, name, inputs });
    it("counts against the quota, warns from 80%, and cannot tell an unknown policy's size", () => {
        const resources = [
            ...Array.from({ length: 40 }, (_, i) => res("aws:lb/loadBalancer:LoadBalancer", `lb-${i}`)),
            ...Array.from({ length: 301 }, (_, i) => res("aws:cloudwatch/eventRule:EventRule", `rule-${i}`)),
            res("aws:cloudwatch/eventRule:EventRule", "other", { eventBusName: "pipelines" }),
            ...Array.from({ length: 12 }, (_, i) => res("aws:iam/role:Role", `role-${i}`)),
            res("aws:s3/bucketPolicy:BucketPolicy", "big", { policy: "x".repeat(21_000) }),
            res("aws:s3/bucketPolicy:BucketPolicy", "later", { policy: { __pulumiUnknown: true } }),
        ];
        expect(quotaUsage(resources, "271828182845", "us-gov-west-1")).to.deep.equal([
            {
                quota: "load balancers per region",
                scope: "271828182845 us-gov-west-1",
                count: 40,
                limit: 50,
                status: "near",
            },
            { quota: "rules per event bus", scope: "event bus default", count: 301, limit: 300, status: "over" },
            { quota: "rules per event bus", scope: "event bus pipelines", count: 1, limit: 300, status: "ok" },
            { quota: "IAM roles per account", scope: "271828182845", count: 12, limit: 1000, status: "ok" },
            { quota: "bucket policy size", scope: "big", count: 21_000, limit: 20_480, unit: "bytes", status: "over" },
            { quota: "bucket policy size", scope: "later", limit: 20_480, unit: "bytes", status: "unknown" },
        ]);
    });
});
