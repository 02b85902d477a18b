import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { evaluatePolicies, readPolicyPackConfig } from "../offline/analysis/policyRunner";
import { buildReport, planStack, PlanReport, PolicyEvaluator } from "../offline/analysis/plan";
import {
    accountsOfReport,
    formatMarkdown,
    formatText,
    MARKDOWN_BUDGET,
    mermaidDiagram,
} from "../offline/report/planFormat";
import { emptyTables, sectionsOf } from "./commentShape";
import { deployOrder, main, parseArgs } from "../scripts/plan";
import { crossAccountProgram } from "./fixtures/crossAccountProgram";
import { govCloudOnly } from "./fixtures/policies";
import { ACCOUNTS } from "./accounts";

const NS = "devsecops-pipelines";
const fixture = (f: string) => path.join("test", "fixtures", f);
const providerUrn = (stack: string) => `urn:pulumi:${stack}::${NS}::pulumi:providers:aws::aws`;

/** The real runner with the fixture policy instead of the pack's. */
const fixtureEvaluator: PolicyEvaluator = (run, file) =>
    evaluatePolicies(run, {
        policies: [govCloudOnly],
        ...(file ? { config: readPolicyPackConfig(file, [govCloudOnly]) } : {}),
    });

async function cli(argv: string[], evaluate?: PolicyEvaluator) {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (s: string) => out.push(s), err: (s: string) => err.push(s) };
    const code = await (evaluate ? main(argv, io, evaluate) : main(argv, io));
    return { code, out: out.join(""), err: err.join("") };
}

describe("offline plan", () => {
    let dir: string;
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-test-"))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("plans all five stacks in deploy order, exit 0, and writes the JSON report and the Markdown comment", async () => {
        const json = path.join(dir, "plan.json");
        const markdown = path.join(dir, "plan.md");
        const { code, out } = await cli(["--all", "--json", json, "--markdown", markdown]);
        expect(code).to.equal(0);
        expect(out.trimEnd().split("\n").pop()).to.equal("Result: clean (exit 0)");
        const report = JSON.parse(fs.readFileSync(json, "utf8")) as PlanReport;
        expect(Object.keys(report)).to.deep.equal(["version", "project", "status", "exitCode", "stacks"]);
        expect([report.version, report.project, report.status, report.exitCode]).to.deep.equal([1, NS, "clean", 0]);
        expect(report.stacks.map((s) => s.stack)).to.deep.equal(["tool", "dev", "qa", "stage", "prod"]);
        for (const s of report.stacks) {
            expect(Object.keys(s)).to.deep.equal([
                "stack",
                "status",
                "stackFile",
                "environment",
                "accountId",
                "partition",
                "region",
                "accounts",
                "resources",
                "crossAccount",
                "quotas",
                "policy",
            ]);
            expect(s).to.deep.include({
                status: "clean",
                stackFile: `Pulumi.${s.stack}.yaml`,
                environment: s.stack,
                accountId: ACCOUNTS[s.stack as keyof typeof ACCOUNTS],
                partition: "aws-us-gov",
                region: "us-gov-west-1",
                accounts: ACCOUNTS,
            });
            expect(s.policy.evaluated && s.policy.mandatory).to.equal(0);
            // The stack's own policy pack config is used by default.
            expect(s.policy.evaluated && s.policy.config).to.equal(
                path.join("policy-pack", "config", `${s.stack}.json`),
            );
            if (s.policy.evaluated) {
                expect(s.policy.advisory).to.equal(
                    s.policy.violations.filter((v) => v.enforcementLevel === "advisory").length,
                );
            }
            // Components are still being added: check what holds for any content.
            expect(s.resources.total).to.equal(Object.values(s.resources.byType).reduce((a, b) => a + b, 0));
            expect(s.resources.tree.find((n) => n.type === "pulumi:providers:aws")?.urn).to.equal(providerUrn(s.stack));
        }
        const md = fs.readFileSync(markdown, "utf8");
        const tool = report.stacks[0];
        const violations = tool.policy.evaluated ? tool.policy.violations : [];
        const undecided = violations.filter((v) => v.message.startsWith("can't run ")).length;
        expect(md.split("\n").slice(0, 9)).to.deep.equal([
            "## ✅ Offline plan: no mandatory finding in 5 stacks",
            "",
            "Planned without cloud credentials under Pulumi's mock runtime; a real `pulumi preview` may still differ where values are only known at deploy time.",
            "",
            "### Verdict per stack",
            "",
            "| Stack | Account | Verdict | Mandatory | Advisory | Undecided at preview | Cross-account grants | Quota warnings | Resources |",
            "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
            `| tool | tool ${ACCOUNTS.tool} | ✅ clean | 0 | ${violations.length - undecided} | ${undecided} | ${tool.crossAccount.length} | 0 | ${tool.resources.total} |`,
        ]);
        // The checked-in stacks' comment: the verdict, the access picture, then the quota warnings and the inventories,
        // all of them whole (no cut), and no table without a row.
        const quotaWarnings = report.stacks.flatMap((s) => s.quotas.filter((q) => q.status !== "ok")).length;
        expect(sectionsOf(md).map((h) => h.replace(/ \(\d+.*\)$|: \d+ .*$/, ""))).to.deep.equal([
            "✅ Offline plan: no mandatory finding in 5 stacks",
            "Verdict per stack",
            "Cross-account access",
            ...(quotaWarnings > 0 ? ["Quota warnings"] : []),
            ...(report.stacks.some(
                (s) => s.policy.evaluated && s.policy.violations.some((v) => v.message.startsWith("can't run ")),
            )
                ? ["Decided only at deployment"]
                : []),
            "Cross-account grants",
            "Quotas",
            "Resources by type",
        ]);
        expect(emptyTables(md)).to.deep.equal([]);
        expect(md).not.to.match(/^… \d+ more|not shown for room/m);
        expect(Buffer.byteLength(md)).to.be.at.most(MARKDOWN_BUDGET);
    });

    it("exits 2 on a broken stack file and prints the config module's message, not a stack trace", async () => {
        const json = path.join(dir, "broken.json");
        const { code, out } = await cli([
            "--stack",
            "dev",
            "--stack-file",
            fixture("Pulumi.broken.yaml"),
            "--json",
            json,
        ]);
        expect(code).to.equal(2);
        expect(out).to.equal(
            [
                `Stack dev (${fixture("Pulumi.broken.yaml")})`,
                "  Configuration error:",
                "    Invalid stack configuration in Pulumi.broken.yaml (3 problems); nothing was deployed:",
                '      - devsecops-pipelines:partition: found "aws-us-gov", expected "aws", the partition of aws:region us-east-1 (or change aws:region)',
                '      - devsecops-pipelines:toolAccountId: found "31415926535", expected "314159265358", the value Pulumi.yaml states for every stack (remove toolAccountId from the stack file; change it in Pulumi.yaml, for all stacks)',
                '      - devsecops-pipelines:qaAccountId: found "61803398874", expected "161803398874", the value Pulumi.yaml states for every stack (remove qaAccountId from the stack file; change it in Pulumi.yaml, for all stacks)',
                "",
                "Result: error (exit 2)",
                "",
            ].join("\n"),
        );
        const report = JSON.parse(fs.readFileSync(json, "utf8")) as PlanReport;
        expect(report.stacks[0].error?.kind).to.equal("config");
        expect(report.stacks[0].error?.problems).to.have.length(3);
        expect(report.stacks[0].policy).to.deep.equal({
            evaluated: false,
            reason: "the stack did not run (config error)",
        });
    });

    it("exits 1 on a mandatory violation (fixture policy through the real runner), 0 once configured advisory", async () => {
        const commercial = ["--stack", "dev", "--stack-file", fixture("Pulumi.commercial.yaml")];
        const json = path.join(dir, "violations.json");
        // An explicit empty config: the default policy-pack/config/dev.json names the pack's policies, not the fixture's.
        const empty = ["--policy-pack-config", fixture("policy-config.empty.json")];
        const failing = await cli([...commercial, ...empty, "--json", json, "--quiet"], fixtureEvaluator);
        expect(failing.code).to.equal(1);
        expect(failing.out).to.equal("Result: violations (exit 1)\n");
        const stack = (JSON.parse(fs.readFileSync(json, "utf8")) as PlanReport).stacks[0];
        expect([stack.status, stack.partition, stack.region]).to.deep.equal(["violations", "aws", "us-east-1"]);
        expect(stack.policy).to.deep.equal({
            evaluated: true,
            config: fixture("policy-config.empty.json"),
            mandatory: 1,
            advisory: 0,
            violations: [
                {
                    policyName: "fixture-govcloud-region",
                    packName: NS,
                    enforcementLevel: "mandatory",
                    message: "provider region is us-east-1, expected us-gov-west-1 or us-gov-east-1",
                    engineMessage:
                        "The stack's AWS provider must target a GovCloud region.\n" +
                        "provider region is us-east-1, expected us-gov-west-1 or us-gov-east-1",
                    urn: providerUrn("dev"),
                    resourceType: "pulumi:providers:aws",
                    resourceName: "aws",
                },
            ],
        });
        const advisory = await cli(
            [...commercial, "--policy-pack-config", fixture("policy-config.advisory.json")],
            fixtureEvaluator,
        );
        expect(advisory.code).to.equal(0);
        expect(advisory.out).to.include(
            "  Policy (config test/fixtures/policy-config.advisory.json): 0 mandatory, 1 advisory\n" +
                "    advisory devsecops-pipelines/fixture-govcloud-region on pulumi:providers:aws aws: provider region is us-east-1, expected us-gov-west-1 or us-gov-east-1\n",
        );
        expect((await cli(["--all", "--quiet", ...empty], fixtureEvaluator)).code).to.equal(0);
    });

    it("the real pack fails a fixture program that breaks its mandatory policies (exit 1)", async () => {
        const plan = await planStack("dev", { program: crossAccountProgram });
        expect([plan.status, buildReport(NS, [plan]).exitCode]).to.deep.equal(["violations", 1]);
        if (!plan.policy.evaluated) throw new Error("the pack did not run");
        expect(plan.policy.config).to.equal(path.join("policy-pack", "config", "dev.json"));
        expect(
            plan.policy.violations
                .filter((v) => v.enforcementLevel === "mandatory")
                .map((v) => v.policyName)
                .sort(),
        ).to.deep.equal([
            "aws-provider-allowed-account-ids",
            "ecr-immutable-tags",
            "ecr-kms-encryption",
            "ecr-scan-on-push",
            "iam-service-trust-narrowed-to-account",
            "kms-key-rotation",
            "resource-policy-cross-account-narrowed",
            "resource-policy-cross-account-narrowed",
            "resource-policy-cross-account-narrowed",
        ]);
        expect(plan.policy.mandatory).to.equal(9);
    });

    it("exits 2 on an invalid policy pack config, naming every problem", async () => {
        const { code, out } = await cli([
            "--stack",
            "qa",
            "--policy-pack-config",
            fixture("policy-config.invalid.json"),
        ]);
        expect(code).to.equal(2);
        expect(out).to.include(
            "    Invalid policy pack config policy-config.invalid.json (2 problems):\n" +
                "      - no-such-policy: no such policy in devsecops-pipelines (the policies are listed in policy-pack/README.md)\n" +
                '      - all: found "sometimes", expected one of "advisory", "mandatory", "remediate", "disabled"\n',
        );
    });

    it("exits 2 on bad arguments with the usage", async () => {
        for (const [argv, message] of [
            [[], "give either --stack NAME or --all"],
            [["--all", "--stack", "dev"], "give either --stack NAME or --all"],
            [["--all", "--stack-file", "x.yaml"], "--stack-file needs exactly one --stack"],
            [["--stack"], "--stack needs a value"],
            [["--stack", "dev", "--fast"], "unknown argument --fast"],
            [["--stack", "nope"], ""],
        ] as const) {
            const { code, err, out } = await cli([...argv]);
            expect(code, argv.join(" ")).to.equal(2);
            if (message) expect(err.split("\n")[0]).to.equal(message);
            else
                expect(out).to.include(
                    "    No stack file Pulumi.nope.yaml: stacks here are dev, prod, qa, stage, tool\n",
                );
        }
        expect(parseArgs(["--stack=dev", "--json=out/r.json"])).to.deep.equal({
            stacks: ["dev"],
            all: false,
            quiet: false,
            json: "out/r.json",
        });
        expect(deployOrder(["prod", "zz", "dev", "tool", "qa", "stage", "aa"])).to.deep.equal([
            "tool",
            "dev",
            "qa",
            "stage",
            "prod",
            "aa",
            "zz",
        ]);
    });

    it("resets the runtime between runs in one process: the same stack plans identically", async () => {
        const first = await planStack("dev", { program: crossAccountProgram });
        await planStack("tool");
        const again = await planStack("dev", { program: crossAccountProgram });
        expect(again).to.deep.equal(first);
    });

    it("reports the component tree, protection, cross-account grants and a Mermaid diagram", async () => {
        const plan = await planStack("dev", { program: crossAccountProgram, evaluate: null });
        const urn = (parents: string, type: string, name: string) =>
            `urn:pulumi:dev::${NS}::${parents}${type}::${name}`;
        const component = "test:index:Pipeline$";
        expect(plan.resources.protected).to.deep.equal([urn(component, "aws:kms/key:Key", "orders-api-key")]);
        expect(plan.resources.retained).to.deep.equal([
            urn(component, "aws:s3/bucketPolicy:BucketPolicy", "orders-api-bucket-policy"),
        ]);
        expect(plan.resources.byType).to.deep.equal({
            "aws:cloudwatch/eventBusPolicy:EventBusPolicy": 1,
            "aws:ecr/repository:Repository": 1,
            "aws:ecr/repositoryPolicy:RepositoryPolicy": 1,
            "aws:iam/role:Role": 1,
            "aws:iam/rolePolicy:RolePolicy": 1,
            "aws:kms/key:Key": 1,
            "aws:s3/bucketPolicy:BucketPolicy": 1,
            "pulumi:providers:aws": 1,
            "test:index:Pipeline": 1,
        });
        const report = buildReport(NS, [plan]);
        const text = formatText(report);
        expect(text).to.include(
            [
                "  Resources",
                "    pulumi:pulumi:Stack devsecops-pipelines-dev",
                "    ├─ pulumi:providers:aws aws",
                "    └─ test:index:Pipeline orders-api",
                "       ├─ aws:cloudwatch/eventBusPolicy:EventBusPolicy orders-api-bus-policy",
                "       ├─ aws:ecr/repository:Repository orders-api-repo",
                "       ├─ aws:ecr/repositoryPolicy:RepositoryPolicy orders-api-repo-policy",
                "       ├─ aws:iam/role:Role orders-api-pipeline",
                "       │  └─ aws:iam/rolePolicy:RolePolicy orders-api-pipeline-policy",
                "       ├─ aws:kms/key:Key orders-api-key [protected]",
                "       └─ aws:s3/bucketPolicy:BucketPolicy orders-api-bucket-policy [retained on delete]",
                "",
            ].join("\n"),
        );
        expect(text).to.include(
            `    out dev (${ACCOUNTS.dev}) arn:aws-us-gov:iam::${ACCOUNTS.dev}:role/cicd-dev-orders-api-pipeline may sts:AssumeRole on ` +
                `arn:aws-us-gov:iam::${ACCOUNTS.tool}:role/cicd-dev-orders-api-source in tool (${ACCOUNTS.tool}) ` +
                "(identity-policy: aws:iam/rolePolicy:RolePolicy orders-api-pipeline-policy)\n",
        );
        expect(text).to.include("  Policy: NOT EVALUATED (policy evaluation turned off)\n");
        const diagram = mermaidDiagram(
            accountsOfReport(report.stacks),
            report.stacks.flatMap((s) => s.crossAccount),
        );
        // Every configured account, in promotion order, chained invisibly before any grant (the layout keeps that
        // order); one arrow per pair of accounts, both ways when each holds resources the other's principals use.
        const a = (role: keyof typeof ACCOUNTS) => `a_${ACCOUNTS[role]}`;
        expect(diagram.split("\n")).to.deep.equal([
            "flowchart TB",
            `    ${a("tool")}["tool (${ACCOUNTS.tool})"]`,
            `    ${a("dev")}["dev (${ACCOUNTS.dev})"]`,
            `    ${a("qa")}["qa (${ACCOUNTS.qa})"]`,
            `    ${a("stage")}["stage (${ACCOUNTS.stage})"]`,
            `    ${a("prod")}["prod (${ACCOUNTS.prod})"]`,
            `    ${a("tool")} ~~~ ${a("dev")}`,
            `    ${a("dev")} ~~~ ${a("qa")}`,
            `    ${a("qa")} ~~~ ${a("stage")}`,
            `    ${a("stage")} ~~~ ${a("prod")}`,
            `    ${a("tool")} <-->|"tool account root → dev:<br>put events<br>tool IAM roles → dev:<br>read objects<br>use key<br>write objects<br>dev IAM roles → tool:<br>assume role"| ${a("dev")}`,
            `    ${a("qa")} -->|"qa account root → dev:<br>pull images"| ${a("dev")}`,
        ]);
        const md = formatMarkdown(report);
        expect(md).to.include(`### Cross-account access (5 grants)\n\n\`\`\`mermaid\n${diagram}\n\`\`\`\n`);
        // Grants grouped by kind of principal and resource, with a count and one example.
        expect(md).to.include(
            `| dev | inbound | tool (${ACCOUNTS.tool}) account root | events:PutEvents | event bus in dev (${ACCOUNTS.dev}) | 1 | EventBusPolicy orders-api-bus-policy |\n`,
        );
    });
});
