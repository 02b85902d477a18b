import { expect } from "chai";
import { validateStackConfig } from "../domain/config";
import {
    AccountContext,
    accountOfArn,
    crossAccountGrants,
    grantsOf,
    GrantKind,
    policySourcesOf,
    resourceAccountOf,
} from "../offline/analysis/crossAccount";
import { runStack } from "../offline/runtime/mockRuntime";
import { summariseCrossAccount } from "../offline/analysis/plan";
import * as docs from "./fixtures/crossAccount/policies.json";
import { crossAccountProgram } from "./fixtures/crossAccountProgram";
import { ACCOUNTS } from "./accounts";

const TOOL = ACCOUNTS.tool;
const DEV = ACCOUNTS.dev;
const QA = ACCOUNTS.qa;
const DEV_BUCKET = `cicd-artifacts-${DEV}-us-gov-west-1`;
const dev: AccountContext = { accountId: DEV, partition: "aws-us-gov", bucketAccounts: { [DEV_BUCKET]: DEV } };
const tool: AccountContext = { ...dev, accountId: TOOL };
const KEY_ARN = `arn:aws-us-gov:kms:us-gov-west-1:${DEV}:key/0c1d2e3f-0000-4000-8000-000000000001`;
const SOURCE_ROLE = `arn:aws-us-gov:iam::${TOOL}:role/cicd-dev-orders-api-source`;
const PIPELINE_ROLE = `arn:aws-us-gov:iam::${DEV}:role/cicd-dev-orders-api-pipeline`;
const DEV_BUS = `arn:aws-us-gov:events:us-gov-west-1:${DEV}:event-bus/default`;

const source = (kind: GrantKind, document: unknown, type: string, subjectArn?: string) => ({
    kind,
    document: JSON.stringify(document),
    type,
    name: "fixture",
    subjectArn,
});

describe("cross-account summary", () => {
    it("a key policy grants the tool source role (narrowed from the tool root) use of the key, not the own root", () => {
        expect(grantsOf(source("resource-policy", docs.devKeyPolicy, "aws:kms/key:Key", KEY_ARN), dev)).to.deep.equal([
            {
                kind: "resource-policy",
                direction: "inbound",
                principalAccount: TOOL,
                principal: SOURCE_ROLE,
                resourceAccount: DEV,
                resource: KEY_ARN,
                actions: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                conditions: { StringEquals: { "kms:ViaService": ["s3.us-gov-west-1.amazonaws.com"] } },
                source: { type: "aws:kms/key:Key", name: "fixture", sid: "ToolSourceRoleUse" },
            },
        ]);
    });

    it("a bucket policy: Deny is no grant, a bare account id is its root, ArnLike keeps only that account's callers", () => {
        const type = "aws:s3/bucketPolicy:BucketPolicy";
        expect(grantsOf(source("resource-policy", docs.devBucketPolicy, type), dev)).to.deep.equal([
            {
                kind: "resource-policy",
                direction: "inbound",
                principalAccount: TOOL,
                principal: `arn:aws-us-gov:iam::${TOOL}:role/cicd-dev-*-source`,
                resourceAccount: DEV,
                resource: `arn:aws-us-gov:s3:::${DEV_BUCKET}/*`,
                actions: ["s3:PutObject", "s3:PutObjectAcl", "s3:GetObject"],
                source: { type, name: "fixture", sid: "ToolSourceRoleWrite" },
            },
        ]);
    });

    it("a trust policy lets the dev pipeline role assume the tool source role; a service trust is not cross-account", () => {
        const type = "aws:iam/role:Role";
        expect(grantsOf(source("trust-policy", docs.toolSourceRoleTrust, type, SOURCE_ROLE), tool)).to.deep.equal([
            {
                kind: "trust-policy",
                direction: "inbound",
                principalAccount: DEV,
                principal: PIPELINE_ROLE,
                resourceAccount: TOOL,
                resource: SOURCE_ROLE,
                actions: ["sts:AssumeRole"],
                source: { type, name: "fixture" },
            },
        ]);
        expect(grantsOf(source("trust-policy", docs.servicePipelineRoleTrust, type, PIPELINE_ROLE), dev)).to.deep.equal(
            [],
        );
    });

    it("an event bus policy lets the tool account root put events; an ECR policy names the repository", () => {
        const repo = `arn:aws-us-gov:ecr:us-gov-west-1:${DEV}:repository/orders-api`;
        const bus = "aws:cloudwatch/eventBusPolicy:EventBusPolicy";
        const ecr = "aws:ecr/repositoryPolicy:RepositoryPolicy";
        expect(
            crossAccountGrants(
                [
                    source("resource-policy", docs.devEventBusPolicy, bus),
                    source("resource-policy", docs.devEcrRepositoryPolicy, ecr, repo),
                ],
                dev,
            ),
        ).to.deep.equal([
            {
                kind: "resource-policy",
                direction: "inbound",
                principalAccount: TOOL,
                principal: `arn:aws-us-gov:iam::${TOOL}:root`,
                resourceAccount: DEV,
                resource: DEV_BUS,
                actions: ["events:PutEvents"],
                source: { type: bus, name: "fixture", sid: "ToolAccountPutEvents" },
            },
            {
                kind: "resource-policy",
                direction: "inbound",
                principalAccount: QA,
                principal: `arn:aws-us-gov:iam::${QA}:root`,
                resourceAccount: DEV,
                resource: repo,
                actions: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
                source: { type: ecr, name: "fixture", sid: "PromotionPull" },
            },
        ]);
    });

    it("account roots are built in the context's partition (commercial)", () => {
        const grants = grantsOf(
            source("resource-policy", docs.devEcrRepositoryPolicy, "aws:ecr/repositoryPolicy:RepositoryPolicy", "repo"),
            { accountId: DEV, partition: "aws" },
        );
        expect(grants.map((g) => g.principal)).to.deep.equal([`arn:aws:iam::${QA}:root`]);
    });

    it("identity policies: only statements whose resources are in another account, S3 by the bucket map", () => {
        const type = "aws:iam/rolePolicy:RolePolicy";
        expect(grantsOf(source("identity-policy", docs.devPipelineRolePolicy, type, PIPELINE_ROLE), dev)).to.deep.equal(
            [
                {
                    kind: "identity-policy",
                    direction: "outbound",
                    principalAccount: DEV,
                    principal: PIPELINE_ROLE,
                    resourceAccount: TOOL,
                    resource: SOURCE_ROLE,
                    actions: ["sts:AssumeRole"],
                    source: { type, name: "fixture" },
                },
            ],
        );
        const outbound = (resource: string, actions: string[], conditions?: object) => ({
            kind: "identity-policy",
            direction: "outbound",
            principalAccount: TOOL,
            principal: SOURCE_ROLE,
            resourceAccount: DEV,
            resource,
            actions,
            ...(conditions ? { conditions } : {}),
            source: { type, name: "fixture" },
        });
        expect(grantsOf(source("identity-policy", docs.toolSourceRolePolicy, type, SOURCE_ROLE), tool)).to.deep.equal([
            outbound(`arn:aws-us-gov:s3:::${DEV_BUCKET}/*`, ["s3:PutObject", "s3:PutObjectAcl"]),
            outbound("*", ["kms:Encrypt", "kms:GenerateDataKey*"], {
                StringEquals: { "aws:ResourceAccount": [DEV] },
                "ForAnyValue:StringEquals": { "kms:ResourceAliases": ["alias/cicd-dev-artifacts"] },
            }),
            outbound(DEV_BUS, ["events:PutEvents"]),
        ]);
        // Without the bucket map an S3 ARN names no account, so the bucket grant cannot be told.
        const noMap = grantsOf(source("identity-policy", docs.toolSourceRolePolicy, type, SOURCE_ROLE), {
            accountId: TOOL,
            partition: "aws-us-gov",
        });
        expect(noMap.map((g) => g.resource)).to.deep.equal(["*", DEV_BUS]);
    });

    it("Principal * is any account unless aws:PrincipalAccount narrows it", () => {
        const type = "aws:s3/bucketPolicy:BucketPolicy";
        const open = grantsOf(source("resource-policy", docs.publicBucketPolicy, type), dev);
        expect(open.map((g) => [g.principalAccount, g.principal, g.resourceAccount])).to.deep.equal([["*", "*", DEV]]);
        const org = grantsOf(source("resource-policy", docs.orgScopedBucketPolicy, type), dev);
        expect(org.map((g) => [g.principalAccount, g.principal])).to.deep.equal([
            [QA, `arn:aws-us-gov:iam::${QA}:root`],
        ]);
    });

    it("rejects a document that is not a policy, naming where it is", () => {
        expect(() =>
            grantsOf({ kind: "resource-policy", document: "{", type: "aws:kms/key:Key", name: "fixture" }, dev),
        ).to.throw("aws:kms/key:Key fixture: policy document is not valid JSON");
        expect(() =>
            grantsOf({ kind: "resource-policy", document: "{}", type: "aws:kms/key:Key", name: "k" }, dev),
        ).to.throw("aws:kms/key:Key k: policy document has no Statement");
    });

    it("reads account ids from ARNs", () => {
        expect(accountOfArn(SOURCE_ROLE)).to.equal(TOOL);
        expect(accountOfArn(`arn:aws-us-gov:s3:::${DEV_BUCKET}`)).to.equal(undefined);
        expect(accountOfArn("events.amazonaws.com")).to.equal(undefined);
        expect(resourceAccountOf(`arn:aws-us-gov:s3:::${DEV_BUCKET}/path/x`, dev)).to.equal(DEV);
        expect(resourceAccountOf("arn:aws-us-gov:s3:::someone-elses-bucket", dev)).to.equal(undefined);
    });

    it("finds the documents in what the mock runtime records and resolves their subjects", async () => {
        const run = await runStack("dev", crossAccountProgram);
        expect(run.error).to.equal(undefined);
        const config = validateStackConfig(run.config, run.project, "dev");
        const key = run.resources.find((r) => r.type === "aws:kms/key:Key")!;
        expect(key.state.arn).to.match(new RegExp(`^arn:aws-us-gov:kms:us-gov-west-1:${DEV}:key/[0-9a-f-]{36}$`));
        expect(
            policySourcesOf(
                [...run.resources].sort((a, b) => a.type.localeCompare(b.type)),
                { accountId: DEV, partition: "aws-us-gov", region: "us-gov-west-1" },
            ).map((s) => [s.type, s.kind, s.subjectArn]),
        ).to.deep.equal([
            ["aws:cloudwatch/eventBusPolicy:EventBusPolicy", "resource-policy", DEV_BUS],
            [
                "aws:ecr/repositoryPolicy:RepositoryPolicy",
                "resource-policy",
                `arn:aws-us-gov:ecr:us-gov-west-1:${DEV}:repository/orders-api`,
            ],
            ["aws:iam/role:Role", "trust-policy", PIPELINE_ROLE],
            ["aws:iam/rolePolicy:RolePolicy", "identity-policy", PIPELINE_ROLE],
            ["aws:kms/key:Key", "resource-policy", key.state.arn],
            ["aws:s3/bucketPolicy:BucketPolicy", "resource-policy", `arn:aws-us-gov:s3:::${DEV_BUCKET}`],
        ]);
        expect(
            summariseCrossAccount(run.resources, config).map((g) => [
                g.direction,
                g.principal,
                g.actions.length,
                g.resource,
                g.source.name,
            ]),
        ).to.deep.equal([
            // URN order, the engine's URNs: the component's children by type, the role's own child after the role.
            ["inbound", `arn:aws-us-gov:iam::${TOOL}:root`, 1, DEV_BUS, "orders-api-bus-policy"],
            [
                "inbound",
                `arn:aws-us-gov:iam::${QA}:root`,
                3,
                `arn:aws-us-gov:ecr:us-gov-west-1:${DEV}:repository/orders-api`,
                "orders-api-repo-policy",
            ],
            ["outbound", PIPELINE_ROLE, 1, SOURCE_ROLE, "orders-api-pipeline-policy"],
            ["inbound", SOURCE_ROLE, 5, key.state.arn, "orders-api-key"],
            [
                "inbound",
                `arn:aws-us-gov:iam::${TOOL}:role/cicd-dev-*-source`,
                3,
                `arn:aws-us-gov:s3:::${DEV_BUCKET}/*`,
                "orders-api-bucket-policy",
            ],
        ]);
    });
});
