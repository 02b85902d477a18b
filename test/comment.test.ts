import { expect } from "chai";
import { CrossAccountGrant } from "../offline/analysis/crossAccount";
import { buildReport, StackPlan } from "../offline/analysis/plan";
import { cutLine, formatMarkdown, mermaidDiagram } from "../offline/report/planFormat";
import { PolicyViolation } from "../offline/analysis/policyRunner";
import { ACCOUNTS } from "./accounts";
import { emptyTables, sectionsOf } from "./commentShape";

const NS = "devsecops-pipelines";
const ROLES = ["tool", "dev", "qa", "stage", "prod"] as const;
const role = (r: keyof typeof ACCOUNTS, name: string) => `arn:aws-us-gov:iam::${ACCOUNTS[r]}:role/${name}`;

function grant(from: keyof typeof ACCOUNTS, to: keyof typeof ACCOUNTS, resource: string, actions: string[]) {
    return {
        kind: "resource-policy",
        direction: "inbound",
        principalAccount: ACCOUNTS[from],
        principal: role(from, `${from}-pipeline`),
        resourceAccount: ACCOUNTS[to],
        resource,
        actions,
        source: { type: "aws:kms/key:Key", name: `${to}-key` },
    } satisfies CrossAccountGrant;
}

const violation = (policyName: string, level: "mandatory" | "advisory", name: string, message: string) =>
    ({
        policyName,
        packName: "devsecops-pipelines",
        enforcementLevel: level,
        message,
        engineMessage: message,
        urn: `urn:pulumi:prod::${NS}::aws:iam/rolePolicy:RolePolicy::${name}`,
        resourceType: "aws:iam/rolePolicy:RolePolicy",
        resourceName: name,
    }) satisfies PolicyViolation;

/** A stack's plan with `types` resource types, the given findings and grants, and one quota near its limit. */
function stack(name: (typeof ROLES)[number], violations: PolicyViolation[], grants: CrossAccountGrant[]): StackPlan {
    const byType = Object.fromEntries(
        Array.from({ length: 40 }, (_, i) => [`aws:test/kind${String(i).padStart(2, "0")}:Kind${i}`, i + 1]),
    );
    const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory").length;
    return {
        stack: name,
        status: mandatory > 0 ? "violations" : "clean",
        stackFile: `Pulumi.${name}.yaml`,
        environment: name,
        accountId: ACCOUNTS[name],
        partition: "aws-us-gov",
        region: "us-gov-west-1",
        accounts: ACCOUNTS,
        resources: { total: 820, byType, tree: [], protected: [], retained: [] },
        crossAccount: grants,
        quotas: [
            { quota: "IAM roles per account", scope: ACCOUNTS[name], count: 900, limit: 1000, status: "near" },
            {
                quota: "load balancers per region",
                scope: `${ACCOUNTS[name]} us-gov-west-1`,
                count: 1,
                limit: 50,
                status: "ok",
            },
        ],
        policy: { evaluated: true, mandatory, advisory: violations.length - mandatory, violations },
    };
}

describe("pull-request comment", () => {
    const wildcard = violation(
        "iam-no-wildcard-actions-on-all-resources",
        "mandatory",
        "prod-orders-api-role-policy",
        "Statement 0 allows '*' on '*'.",
    );
    const report = buildReport(NS, [
        stack("tool", [], []),
        stack(
            "dev",
            [],
            [
                grant("qa", "dev", `arn:aws-us-gov:ecr:us-gov-west-1:${ACCOUNTS.dev}:repository/orders-api`, [
                    "ecr:BatchGetImage",
                ]),
            ],
        ),
        stack("qa", [], []),
        stack("stage", [], []),
        stack(
            "prod",
            [
                wildcard,
                violation(
                    "ecs-task-read-only-root",
                    "advisory",
                    "prod-orders-api-task",
                    "The root file system is writable.",
                ),
                violation(
                    "iam-passrole-scoped",
                    "advisory",
                    "prod-orders-api-start-policy",
                    "can't run policy 'iam-passrole-scoped' from policy pack 'devsecops-pipelines@v0.1.0' during preview: string value at .policy can't be known during preview",
                ),
            ],
            [grant("tool", "prod", `arn:aws-us-gov:kms:us-gov-west-1:${ACCOUNTS.prod}:key/*`, ["kms:Decrypt"])],
        ),
    ]);

    it("leads with the verdict, then mandatory findings, access, quota warnings, then the inventories", () => {
        const md = formatMarkdown(report);
        expect(sectionsOf(md)).to.deep.equal([
            "❌ Offline plan: mandatory findings in prod",
            "Verdict per stack",
            "❌ Mandatory findings (1)",
            "Cross-account access (2 grants)",
            "Quota warnings (5)",
            "Advisory findings (1)",
            "Decided only at deployment: 1 policy × resource pairs",
            "Cross-account grants (2, grouped)",
            "Quotas (10)",
            "Resources by type (40)",
        ]);
        expect(md).to.include(
            "| prod | ❌ 1 mandatory | 1 | 1 | 1 | 1 | 1 | 820 |\n".replace(
                "| prod |",
                `| prod | prod ${ACCOUNTS.prod} |`,
            ),
        );
        expect(md).to.include(
            "| prod | iam-no-wildcard-actions-on-all-resources | aws:iam/rolePolicy:RolePolicy prod-orders-api-role-policy | Statement 0 allows '*' on '*'. |\n",
        );
        expect(md).to.include("| iam-passrole-scoped | aws:iam/rolePolicy:RolePolicy | 0 | 0 | 0 | 0 | 1 |\n");
        expect(emptyTables(md)).to.deep.equal([]);
    });

    it("cuts only the inventories, last first, with the count of rows left out", () => {
        // Room for the verdict, the findings, the diagram and the quota warnings, and part of the inventories.
        const whole = formatMarkdown(report);
        const budget = Buffer.byteLength(whole) - 1_500;
        const md = formatMarkdown(report, budget);
        expect(Buffer.byteLength(md)).to.be.at.most(budget);
        const lines = md.split("\n");
        const types = lines.filter((l) => l.startsWith("| `aws:test/")).length;
        expect(types).to.be.within(1, 39);
        expect(lines).to.include(cutLine(40 - types, "types"));
        expect(cutLine(12, "types")).to.equal("… 12 more types in the JSON report (`--json`).");
        // Everything above the inventories is whole.
        expect(md.slice(0, md.indexOf("<details>"))).to.equal(whole.slice(0, whole.indexOf("<details>")));
        expect(emptyTables(md)).to.deep.equal([]);
        // With no room for a row, an inventory is one line, never an empty table.
        const tight = formatMarkdown(
            report,
            Buffer.byteLength(whole.slice(0, whole.indexOf("<details><summary>Quotas"))) + 200,
        );
        expect(tight.split("\n")).to.include(
            "Resources by type (40): not shown for room; all 40 types are in the JSON report (`--json`).",
        );
        expect(emptyTables(tight)).to.deep.equal([]);
    });

    it("draws the accounts in promotion order, whatever the order of the grants and of the accounts' keys", () => {
        const shuffled = {
            prod: ACCOUNTS.prod,
            qa: ACCOUNTS.qa,
            tool: ACCOUNTS.tool,
            stage: ACCOUNTS.stage,
            dev: ACCOUNTS.dev,
        };
        const grants = [
            grant("prod", "stage", `arn:aws-us-gov:ecr:us-gov-west-1:${ACCOUNTS.stage}:repository/orders-api`, [
                "ecr:BatchGetImage",
            ]),
            grant("tool", "prod", `arn:aws-us-gov:kms:us-gov-west-1:${ACCOUNTS.prod}:key/*`, ["kms:Decrypt"]),
            grant("prod", "tool", role("tool", "prod-orders-api-source"), ["sts:AssumeRole"]),
        ];
        const lines = mermaidDiagram(shuffled, grants).split("\n");
        expect(lines.slice(1, 6)).to.deep.equal(ROLES.map((r) => `    a_${ACCOUNTS[r]}["${r} (${ACCOUNTS[r]})"]`));
        expect(lines.slice(6, 10)).to.deep.equal(
            ROLES.slice(1).map((r, i) => `    a_${ACCOUNTS[ROLES[i]]} ~~~ a_${ACCOUNTS[r]}`),
        );
        // tool and prod use each other's resources: one arrow both ways; prod pulls stage's images: an arrow up.
        expect(lines.slice(10)).to.deep.equal([
            `    a_${ACCOUNTS.tool} <-->|"tool IAM roles → prod:<br>use key<br>prod IAM roles → tool:<br>assume role"| a_${ACCOUNTS.prod}`,
            `    a_${ACCOUNTS.prod} -->|"prod IAM roles → stage:<br>pull images"| a_${ACCOUNTS.stage}`,
        ]);
    });
});
