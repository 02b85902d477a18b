import * as pulumi from "@pulumi/pulumi";
import { AccountBudget, BillingProviderCredentials, budgetPlacement } from "../components/accountBudget";
import { configInput } from "./stackConfig";
import { StackContext } from "./context";

/**
 * The account's monthly cost budget, where AWS Budgets can hold it (see budgetPlacement): the name of the budget,
 * or why there is none.
 */
export function defineAccountBudget(ctx: StackContext): pulumi.Output<string> | string {
    const { config } = ctx;
    const placement = budgetPlacement(ctx.partition, {
        accountId: config.accountId,
        region: config.region,
        budget: config.budget,
        billingAccountId: config.budget?.billingAccountId,
    });
    // The stack output says why there is no budget (preview and up both show it).
    if (placement.kind === "skipped") return `skipped: ${placement.reason}`;
    return new AccountBudget(
        `${config.role}-budget`,
        {
            placement,
            budget: config.budget!,
            budgetName: `cicd-${config.role}-monthly-cost`,
            billingCredentials: billingCredentials(ctx),
            secretEmails: config.secretKeys.includes("notificationEmails"),
            billingTags: config.defaultTags,
        },
        { provider: ctx.provider },
    ).budgetName;
}

/** The budget's credentials for the paired standard account; an external id set with --secret stays secret. */
function billingCredentials(ctx: StackContext): BillingProviderCredentials | undefined {
    const credentials = ctx.config.budget?.billingCredentials;
    if (credentials?.kind !== "assume-role" || credentials.externalId === undefined) return credentials;
    return { ...credentials, externalId: configInput(ctx.config, "budgetBillingExternalId", credentials.externalId) };
}
