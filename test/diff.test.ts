import { expect } from "chai";
import { buildDiffReport, DiffReport, isEmptyDiff, StackDiff } from "../offline/analysis/diff";
import { formatDiffMarkdown, formatDiffText } from "../offline/report/diffFormat";
import { PolicyEvaluator, snapshotStack, StackSnapshot } from "../offline/analysis/plan";
import { evaluatePolicies } from "../offline/analysis/policyRunner";
import { replacingProperties } from "../offline/analysis/resourceRules";
import { ACCOUNTS } from "./accounts";
import { BASE_VARIANT, DiffVariant, diffProgram } from "./fixtures/diffProgram";
import { govCloudOnly } from "./fixtures/policies";
import type { ResourceValidationPolicy } from "@pulumi/policy";

const NS = "devsecops-pipelines";
const fixturePolicy: PolicyEvaluator = (run) => evaluatePolicies(run, { policies: [govCloudOnly] });
const snap = (stack: string, v: Partial<DiffVariant>): Promise<StackSnapshot> =>
    snapshotStack(stack, { program: diffProgram({ ...BASE_VARIANT, ...v }), evaluate: fixturePolicy });

const urn = (stack: string, path: string, name: string) =>
    `urn:pulumi:${stack}::${NS}::test:index:Service$${path}::${name}`;
const ROLE_POLICY = urn("dev", "aws:iam/role:Role$aws:iam/rolePolicy:RolePolicy", "orders-api-pipeline-policy");
const BUCKET_OBJECTS = "arn:aws-us-gov:s3:::cicd-artifacts-271828182845-us-gov-west-1/*";

/** The diff of one stack between two variants of the fixture program. */
async function diffOf(stack: string, base: Partial<DiffVariant>, head: Partial<DiffVariant>) {
    const report = buildDiffReport(NS, { ref: "main", stacks: [await snap(stack, base)] }, [await snap(stack, head)]);
    return { report, s: report.stacks[0] };
}

describe("offline diff (--base)", () => {
    it("a component with a new type token: its children are deleted and created, unless it answers to the old one", async () => {
        const renamed = { type: "test:targets:Service", aliased: false };
        const { s: bare } = await diffOf("dev", {}, { component: renamed });
        expect([bare.resources.added, bare.resources.removed, bare.resources.moved]).to.deep.equal([7, 7, 0]);
        const { s } = await diffOf("dev", {}, { component: { ...renamed, aliased: true } });
        expect(isEmptyDiff(s)).to.equal(true);
        expect([s.resources.unchanged, s.resources.moved, s.access, s.dataLoss]).to.deep.equal([8, 7, [], []]);
    });

    it("a moved resource keeps its findings and grants: the verdict compares it under its new URN", async () => {
        const everyRolePolicy: ResourceValidationPolicy = {
            name: "fixture-role-policy-seen",
            description: "Reports every role policy (advisory), to follow a finding across a move.",
            enforcementLevel: "advisory",
            validateResource: (args, reportViolation) => {
                if (args.type === "aws:iam/rolePolicy:RolePolicy") reportViolation("seen");
            },
        };
        const evaluate: PolicyEvaluator = (run) => evaluatePolicies(run, { policies: [everyRolePolicy] });
        const snapOf = (v: Partial<DiffVariant>) =>
            snapshotStack("dev", { program: diffProgram({ ...BASE_VARIANT, ...v }), evaluate });
        const renamed = { type: "test:targets:Service", aliased: true };
        const [base, head, bare] = [
            await snapOf({}),
            await snapOf({ component: renamed }),
            await snapOf({
                component: { ...renamed, aliased: false },
            }),
        ];
        const diff = (h: StackSnapshot) => buildDiffReport(NS, { ref: "main", stacks: [base] }, [h]).stacks[0];
        const moved = diff(head);
        expect([moved.policy.introduced.length, moved.policy.resolved.length, moved.grants]).to.deep.equal([
            0,
            0,
            { added: [], removed: [] },
        ]);
        expect(isEmptyDiff(moved)).to.equal(true);
        const notMoved = diff(bare);
        expect([notMoved.policy.introduced.length, notMoved.policy.resolved.length]).to.deep.equal([1, 1]);
    });

    it("a no-op change is an empty diff, exit 0, and a one-line comment", async () => {
        const { report, s } = await diffOf("dev", {}, {});
        expect(isEmptyDiff(s)).to.equal(true);
        expect([report.status, report.exitCode, s.resources.unchanged]).to.deep.equal(["clean", 0, 8]);
        expect(formatDiffMarkdown(report)).to.equal(
            "## ✅ Offline plan against `main`: no mandatory violation\n\n" +
                "No change: the 1 stacks register the same resources, access and verdict as the base.\n",
        );
        expect(formatDiffText(report)).to.equal(
            `Diff against main\n\nStack dev (dev ${ACCOUNTS.dev})\n  no change\n\nResult: clean (exit 0)\n`,
        );
    });

    it("a widened role: the new action, the statement that grants it, the property that changed", async () => {
        const { report, s } = await diffOf("dev", {}, { roleActions: ["s3:GetObject", "s3:PutObject"] });
        expect(s.access).to.deep.equal([
            {
                direction: "widened",
                resource: {
                    urn: ROLE_POLICY,
                    type: "aws:iam/rolePolicy:RolePolicy",
                    name: "orders-api-pipeline-policy",
                },
                policy: "inline policy",
                sid: "Artifacts",
                statement: {
                    Sid: "Artifacts",
                    Effect: "Allow",
                    Action: ["s3:GetObject", "s3:PutObject"],
                    Resource: BUCKET_OBJECTS,
                },
                actions: ["s3:PutObject"],
                resources: [BUCKET_OBJECTS],
                principals: ["role cicd-dev-orders-api-pipeline"],
                notes: [`wildcard: resource ${BUCKET_OBJECTS}`],
            },
        ]);
        expect(s.resources.changes).to.deep.equal([
            {
                urn: ROLE_POLICY,
                type: "aws:iam/rolePolicy:RolePolicy",
                name: "orders-api-pipeline-policy",
                change: "update",
                properties: [{ path: "policy.Statement[0].Action[+]", before: "(none)", after: '"s3:PutObject"' }],
            },
        ]);
        // dev is not gated: widened access there is reported, not an extra approval.
        expect([s.gated, report.status, report.exitCode]).to.deep.equal([false, "clean", 0]);
        const prod = (await diffOf("prod", {}, { roleActions: ["s3:GetObject", "s3:PutObject"] })).report;
        expect([prod.stacks[0].gated, prod.status, prod.exitCode]).to.deep.equal([true, "widened", 3]);
        const md = formatDiffMarkdown(prod);
        expect(md.split("\n")[0]).to.equal("## 🔐 Offline plan against `main`: access widens in prod: approval needed");
        expect(md).to.include("| prod 🔐 | +0 ~1 ±0 −0 | 1 widened | 1/1 | none | 0/0 → 0/0 | none |\n");
        expect(md).to.include(
            `| prod | widened | RolePolicy orders-api-pipeline-policy | inline policy (Artifacts) | s3:PutObject on ${BUCKET_OBJECTS} | wildcard: resource ${BUCKET_OBJECTS}; cross-account: ${ACCOUNTS.dev} |\n`,
        );
    });

    it("a new cross-account grant: the principal, its account and the grant", async () => {
        const { s } = await diffOf("dev", {}, { readers: [ACCOUNTS.qa] });
        const root = `arn:aws-us-gov:iam::${ACCOUNTS.qa}:root`;
        const role = `arn:aws-us-gov:iam::${ACCOUNTS.qa}:role/cicd-qa-orders-api-pipeline`;
        expect(s.access.map((a) => [a.direction, a.policy, a.sid, a.actions, a.principals, a.notes])).to.deep.equal([
            [
                "widened",
                "bucket policy",
                `Read${ACCOUNTS.qa}`,
                ["s3:GetObject"],
                [root],
                [
                    "wildcard: resource arn:aws-us-gov:s3:::cicd-artifacts-271828182845-us-gov-west-1/releases/*",
                    `cross-account: ${ACCOUNTS.qa}`,
                    `new principal: ${root}`,
                ],
            ],
        ]);
        expect(s.grants.removed).to.deep.equal([]);
        expect(
            s.grants.added.map((g) => [g.kind, g.direction, g.principalAccount, g.principal, g.actions]),
        ).to.deep.equal([["resource-policy", "inbound", ACCOUNTS.qa, role, ["s3:GetObject"]]]);
    });

    it("a deleted ECR repository is a data-loss warning; a renamed one is replaced", async () => {
        const deleted = (await diffOf("dev", {}, { repository: undefined })).s;
        const repo = urn("dev", "aws:ecr/repository:Repository", "orders-api-repo");
        expect(deleted.resources.changes).to.deep.equal([
            {
                urn: repo,
                type: "aws:ecr/repository:Repository",
                name: "orders-api-repo",
                change: "remove",
                properties: [],
            },
        ]);
        expect(deleted.dataLoss).to.deep.equal([
            {
                urn: repo,
                type: "aws:ecr/repository:Repository",
                name: "orders-api-repo",
                change: "delete",
                loses: "the repository's images",
                notes: ["forceDelete: its images are deleted with it"],
            },
        ]);
        const renamed = (await diffOf("dev", {}, { repository: "orders" })).s;
        expect(renamed.resources.changes.map((c) => [c.change, c.replacedBy, c.properties])).to.deep.equal([
            ["replace", ["name"], [{ path: "name", before: '"orders-api"', after: '"orders"' }]],
        ]);
        expect(renamed.dataLoss.map((d) => [d.change, d.notes])).to.deep.equal([
            ["replace", ["replaced because name changed", "forceDelete: its images are deleted with it"]],
        ]);
    });

    it("a new security-group ingress from anywhere widens access and says so", async () => {
        const { s } = await diffOf("dev", {}, { ingress: ["10.0.0.0/16", "0.0.0.0/0"] });
        expect(s.resources.changes.map((c) => [c.change, c.type, c.name])).to.deep.equal([
            ["add", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "orders-api-alb-https-1"],
        ]);
        expect(s.access).to.deep.equal([
            {
                direction: "widened",
                resource: {
                    urn: urn(
                        "dev",
                        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                        "orders-api-alb-https-1",
                    ),
                    type: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                    name: "orders-api-alb-https-1",
                },
                policy: "ingress",
                statement: {
                    securityGroupId: { __pulumiUnknown: true },
                    ipProtocol: "tcp",
                    fromPort: 443,
                    toPort: 443,
                    cidrIpv4: "0.0.0.0/0",
                },
                actions: ["tcp 443"],
                resources: ["orders-api-alb-https-1"],
                principals: ["0.0.0.0/0"],
                notes: ["open to the internet", "new ingress"],
            },
        ]);
    });

    it("a policy verdict that changes: the new violation, before and after", async () => {
        const { report, s } = await diffOf("dev", {}, { region: "us-east-1" });
        expect(s.policy.before).to.deep.equal({ evaluated: true, mandatory: 0, advisory: 0 });
        expect(s.policy.after).to.deep.equal({ evaluated: true, mandatory: 1, advisory: 0 });
        expect(s.policy.introduced.map((v) => [v.policyName, v.message])).to.deep.equal([
            ["fixture-govcloud-region", "provider region is us-east-1, expected us-gov-west-1 or us-gov-east-1"],
        ]);
        expect(s.policy.resolved).to.deep.equal([]);
        expect([report.status, report.exitCode]).to.deep.equal(["violations", 1]);
        expect(formatDiffText(report)).to.include(
            "  Policy: 0 mandatory, 0 advisory -> 1 mandatory, 0 advisory\n" +
                "    new      mandatory devsecops-pipelines/fixture-govcloud-region on pulumi:providers:aws aws: provider region is us-east-1, expected us-gov-west-1 or us-gov-east-1\n",
        );
        const back = (await diffOf("dev", { region: "us-east-1" }, {})).s;
        expect(back.policy.resolved.map((v) => v.policyName)).to.deep.equal(["fixture-govcloud-region"]);
    });

    it("a policy document only known after deploy: 'cannot tell at preview', never a guess", async () => {
        const keyUrn = urn("dev", "aws:kms/key:Key", "orders-api-key");
        const now = (await diffOf("dev", {}, { keyPolicy: "from-role-arn" })).s;
        expect(now.access).to.deep.equal([
            {
                direction: "unknown",
                resource: { urn: keyUrn, type: "aws:kms/key:Key", name: "orders-api-key" },
                policy: "key policy",
                actions: [],
                resources: [],
                principals: [],
                notes: ["cannot tell at preview: the key policy is now computed from values AWS assigns at deploy"],
            },
        ]);
        expect(now.resources.changes.map((c) => [c.change, c.properties])).to.deep.equal([
            [
                "update",
                [
                    {
                        path: "policy",
                        before: now.resources.changes[0].properties[0].before,
                        after: "(known after deploy)",
                    },
                ],
            ],
        ]);
        // Unknown in both revisions: nothing to compare, and nothing claimed.
        const both = (await diffOf("dev", { keyPolicy: "from-role-arn" }, { keyPolicy: "from-role-arn" })).s;
        expect([isEmptyDiff(both), both.unknownDocuments]).to.deep.equal([true, 1]);
        // In prod the preview cannot rule out a widening: the extra approval is asked.
        const prod = (await diffOf("prod", {}, { keyPolicy: "from-role-arn" })).report;
        expect([prod.status, prod.exitCode]).to.deep.equal(["widened", 3]);
    });

    it("a removed stack deletes its stateful resources; a new stack adds everything", async () => {
        const base = await snap("dev", {});
        const gone = buildDiffReport(NS, { ref: "main", stacks: [base] }, []).stacks[0] as StackDiff;
        expect(gone.dataLoss.map((d) => [d.change, d.type])).to.deep.equal([
            ["delete", "aws:ecr/repository:Repository"],
            ["delete", "aws:kms/key:Key"],
        ]);
        const added: DiffReport = buildDiffReport(NS, { ref: "main", stacks: [] }, [base]);
        expect(added.stacks[0].resources.added).to.equal(8);
        expect(added.stacks[0].dataLoss).to.deep.equal([]);
    });

    it("replacement rules: documented properties, immutable task definitions, names elsewhere", () => {
        expect(replacingProperties("aws:ecr/repository:Repository", ["name", "imageTagMutability"])).to.deep.equal([
            "name",
        ]);
        expect(replacingProperties("aws:kms/key:Key", ["keyUsage", "description", "policy"])).to.deep.equal([
            "keyUsage",
        ]);
        expect(replacingProperties("aws:codecommit/repository:Repository", ["repositoryName"])).to.deep.equal([]);
        expect(replacingProperties("aws:ecs/taskDefinition:TaskDefinition", ["cpu", "tags"])).to.deep.equal(["cpu"]);
        expect(replacingProperties("aws:sqs/queue:Queue", ["name", "delaySeconds"])).to.deep.equal(["name"]);
        expect(replacingProperties("test:index:Thing", ["name"])).to.deep.equal([]);
    });
});
