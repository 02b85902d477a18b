import * as aws from "@pulumi/aws";
import { expect } from "chai";
import {
    AccountBudget,
    billingProviderCredentials,
    budgetNotifications,
    budgetPlacement,
} from "../components/accountBudget";
import { BudgetConfig } from "../domain/config";
import { RecordedResource, runStack } from "../offline/runtime/mockRuntime";

const BUDGET: BudgetConfig = {
    monthlyLimitUsd: 500,
    thresholdsPercent: [80, 100],
    subscriberEmails: ["finops@example.gov"],
};
const DEV = "271828182845";
const PAIRED = "999988887777";

const NOTIFICATIONS = [80, 100].flatMap((threshold) =>
    ["ACTUAL", "FORECASTED"].map((notificationType) => ({
        comparisonOperator: "GREATER_THAN",
        threshold,
        thresholdType: "PERCENTAGE",
        notificationType,
        subscriberEmailAddresses: ["finops@example.gov"],
    })),
);

const budgets = (resources: RecordedResource[]) => resources.filter((r) => r.type === "aws:budgets/budget:Budget");

describe("budgetPlacement", () => {
    it("commercial partition: the stack's own account, filtered to it", () => {
        expect(budgetPlacement("aws", { accountId: DEV, region: "us-east-1", budget: BUDGET })).to.deep.equal({
            kind: "stack-account",
            accountId: DEV,
            costFilters: [{ name: "LinkedAccount", values: [DEV] }],
        });
    });

    it("GovCloud with a paired standard account: that account, in us-east-1, narrowed to the GovCloud region", () => {
        expect(
            budgetPlacement("aws-us-gov", {
                accountId: DEV,
                region: "us-gov-west-1",
                budget: BUDGET,
                billingAccountId: PAIRED,
            }),
        ).to.deep.equal({
            kind: "paired-standard-account",
            accountId: PAIRED,
            region: "us-east-1",
            costFilters: [{ name: "Region", values: ["us-gov-west-1"] }],
        });
    });

    it("GovCloud without a paired account: skipped, saying why", () => {
        expect(
            budgetPlacement("aws-us-gov", { accountId: DEV, region: "us-gov-west-1", budget: BUDGET }),
        ).to.deep.equal({
            kind: "skipped",
            reason:
                "AWS Budgets is not available in aws-us-gov (us-gov-west-1); the budget of GovCloud account " +
                "271828182845 belongs in its paired standard account: set budgetBillingAccountId and " +
                "budgetBillingRoleArn (or budgetBillingProfile) to create it there",
        });
    });

    it("no budget configured: skipped in both partitions", () => {
        for (const partition of ["aws", "aws-us-gov"]) {
            expect(budgetPlacement(partition, { accountId: DEV, region: "x", billingAccountId: PAIRED })).to.deep.equal(
                {
                    kind: "skipped",
                    reason: "no budget configured (budgetMonthlyLimitUsd is not set)",
                },
            );
        }
    });

    it("rejects a malformed paired account id", () => {
        expect(() =>
            budgetPlacement("aws-us-gov", {
                accountId: DEV,
                region: "us-gov-west-1",
                budget: BUDGET,
                billingAccountId: "12",
            }),
        ).to.throw(
            'budgetPlacement: billing account id: found "12", expected the 12-digit id of the paired standard account',
        );
    });

    it("one ACTUAL and one FORECASTED notification per threshold", () => {
        expect(budgetNotifications([80, 100], ["finops@example.gov"])).to.deep.equal(NOTIFICATIONS);
    });
});

describe("billingProviderCredentials", () => {
    const role = "arn:aws:iam::602214076000:role/govcloud-budgets";
    const previewRole = "arn:aws:iam::602214076000:role/govcloud-budgets-preview";
    const webIdentity = {
        kind: "web-identity",
        roleArn: role,
        sessionName: "cicd-dev-budget",
        tokenFile: ".budget-billing/web-identity-token",
    } as const;
    const assumed = (roleArn: string) => ({
        assumeRoleWithWebIdentity: {
            roleArn,
            sessionName: "cicd-dev-budget",
            webIdentityTokenFile: ".budget-billing/web-identity-token",
        },
    });

    it("the update (and the deploy's Automation API up, which skips the preview) assumes the role that writes budgets", () => {
        expect(billingProviderCredentials({ ...webIdentity, previewRoleArn: previewRole }, false)).to.deep.equal(
            assumed(role),
        );
    });

    it("a preview assumes the read-only preview role when there is one, else the role", () => {
        expect(billingProviderCredentials({ ...webIdentity, previewRoleArn: previewRole }, true)).to.deep.equal(
            assumed(previewRole),
        );
        expect(billingProviderCredentials(webIdentity, true)).to.deep.equal(assumed(role));
    });

    it("a profile, AssumeRole and no credentials are the same in a preview and an update", () => {
        for (const dryRun of [true, false]) {
            expect(billingProviderCredentials({ kind: "profile", profile: "dev-billing" }, dryRun)).to.deep.equal({
                profile: "dev-billing",
            });
            expect(
                billingProviderCredentials({ kind: "assume-role", roleArn: role, sessionName: "alice" }, dryRun),
            ).to.deep.equal({ assumeRoles: [{ roleArn: role, sessionName: "alice" }] });
            expect(billingProviderCredentials(undefined, dryRun)).to.deep.equal({});
        }
    });
});

describe("AccountBudget", () => {
    it("commercial: a monthly COST budget through the stack's provider", async () => {
        const run = await runStack(
            "dev",
            async () => {
                const provider = new aws.Provider("aws", { region: "us-east-1" });
                const placement = budgetPlacement("aws", { accountId: DEV, region: "us-east-1", budget: BUDGET });
                new AccountBudget("dev-cost", { placement, budget: BUDGET }, { provider });
            },
            { overrides: { "aws:region": "us-east-1", partition: "aws" } },
        );
        if (run.error) throw run.error;
        const [budget] = budgets(run.resources);
        expect(budget.inputs).to.deep.equal({
            name: "dev-cost",
            accountId: DEV,
            budgetType: "COST",
            timeUnit: "MONTHLY",
            limitAmount: "500",
            limitUnit: "USD",
            costFilters: [{ name: "LinkedAccount", values: [DEV] }],
            notifications: NOTIFICATIONS,
        });
        const providers = run.resources.filter((r) => r.type === "pulumi:providers:aws");
        expect(providers.map((p) => p.name)).to.deep.equal(["aws"]);
        expect(budget.provider?.startsWith(providers[0].urn + "::")).to.equal(true);
    });

    it("GovCloud: the budget goes through a provider for the paired standard account in us-east-1, never the GovCloud one", async () => {
        const run = await runStack("dev", async () => {
            const provider = new aws.Provider("aws", { region: "us-gov-west-1" });
            const placement = budgetPlacement("aws-us-gov", {
                accountId: DEV,
                region: "us-gov-west-1",
                budget: BUDGET,
                billingAccountId: PAIRED,
            });
            new AccountBudget(
                "dev-cost",
                {
                    placement,
                    budget: BUDGET,
                    billingCredentials: { kind: "profile", profile: "dev-billing" },
                    billingTags: { Project: "p" },
                },
                { provider },
            );
        });
        if (run.error) throw run.error;
        const billing = run.resources.find((r) => r.type === "pulumi:providers:aws" && r.name === "dev-cost-billing")!;
        expect(billing.inputs).to.deep.include({ region: "us-east-1", profile: "dev-billing" });
        expect(JSON.parse(billing.inputs.allowedAccountIds)).to.deep.equal([PAIRED]);
        const [budget] = budgets(run.resources);
        expect(budget.provider?.startsWith(billing.urn + "::")).to.equal(true);
        expect(budget.inputs).to.deep.include({
            accountId: PAIRED,
            costFilters: [{ name: "Region", values: ["us-gov-west-1"] }],
        });
    });

    it("refuses a skipped placement and registers nothing", async () => {
        const run = await runStack("dev", async () => {
            const placement = budgetPlacement("aws-us-gov", {
                accountId: DEV,
                region: "us-gov-west-1",
                budget: BUDGET,
            });
            new AccountBudget("dev-cost", { placement, budget: BUDGET });
        });
        expect(run.error?.message).to.match(
            /^AccountBudget dev-cost: placement is skipped \(AWS Budgets is not available/,
        );
        expect(run.resources).to.deep.equal([]);
    });
});
