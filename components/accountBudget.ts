import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { BillingCredentials, BudgetConfig } from "../domain/config";

/** AWS Budgets is a global service of the standard partition, served from us-east-1. */
export const BUDGETS_REGION = "us-east-1";
/** Each threshold alerts on the actual spend and on the month's forecast. */
export const NOTIFICATION_TYPES = ["ACTUAL", "FORECASTED"] as const;

/** What budgetPlacement needs from the stack config. */
export interface BudgetPlacementInput {
    /** The stack's own account. */
    readonly accountId: string;
    /** The stack's region (a GovCloud region in aws-us-gov). */
    readonly region: string;
    /** The budget from config; none means no budget. */
    readonly budget?: BudgetConfig;
    /** aws-us-gov only: the standard (commercial) account paired with this GovCloud account, which holds its billing. */
    readonly billingAccountId?: string;
}

export interface CostFilter {
    readonly name: string;
    readonly values: readonly string[];
}

/** Where the budget lives, or why there is none. */
export type BudgetPlacement =
    | {
          /** Commercial partition: the stack's own account and provider. */
          readonly kind: "stack-account";
          readonly accountId: string;
          readonly costFilters: readonly CostFilter[];
      }
    | {
          /** GovCloud: the paired standard account, through a second provider in us-east-1. */
          readonly kind: "paired-standard-account";
          readonly accountId: string;
          readonly region: typeof BUDGETS_REGION;
          readonly costFilters: readonly CostFilter[];
      }
    | {
          /** No budget: the integrator prints `reason` as a warning and exports it. */
          readonly kind: "skipped";
          readonly reason: string;
      };

/**
 * Decides where the account's budget goes. AWS Budgets does not exist in GovCloud: a GovCloud account's costs are
 * billed to its paired standard account, so there the budget needs that account (and a provider for it) and is
 * narrowed to the stack's GovCloud region. Never returns a placement in a GovCloud provider.
 */
export function budgetPlacement(partition: string, input: BudgetPlacementInput): BudgetPlacement {
    if (!input.budget) return { kind: "skipped", reason: "no budget configured (budgetMonthlyLimitUsd is not set)" };
    if (partition === "aws") {
        return {
            kind: "stack-account",
            accountId: input.accountId,
            costFilters: [{ name: "LinkedAccount", values: [input.accountId] }],
        };
    }
    if (partition === "aws-us-gov") {
        if (!input.billingAccountId) {
            return {
                kind: "skipped",
                reason:
                    `AWS Budgets is not available in ${partition} (${input.region}); the budget of GovCloud account ` +
                    `${input.accountId} belongs in its paired standard account: set budgetBillingAccountId and ` +
                    `budgetBillingRoleArn (or budgetBillingProfile) to create it there`,
            };
        }
        if (!/^\d{12}$/.test(input.billingAccountId)) {
            throw new Error(
                `budgetPlacement: billing account id: found ${JSON.stringify(input.billingAccountId)}, expected the 12-digit id of the paired standard account`,
            );
        }
        return {
            kind: "paired-standard-account",
            accountId: input.billingAccountId,
            region: BUDGETS_REGION,
            costFilters: [{ name: "Region", values: [input.region] }],
        };
    }
    return { kind: "skipped", reason: `AWS Budgets is not supported in partition ${partition}` };
}

/**
 * One notification per threshold and type (ACTUAL, FORECASTED), as percentages of the limit, to the emails (as
 * secret outputs when `secretEmails`).
 */
export function budgetNotifications(
    thresholdsPercent: readonly number[],
    emails: readonly string[],
    secretEmails = false,
): aws.types.input.budgets.BudgetNotification[] {
    return thresholdsPercent.flatMap((threshold) =>
        NOTIFICATION_TYPES.map((notificationType) => ({
            comparisonOperator: "GREATER_THAN",
            threshold,
            thresholdType: "PERCENTAGE",
            notificationType,
            subscriberEmailAddresses: secretEmails ? pulumi.secret([...emails]) : [...emails],
        })),
    );
}

/** Credentials of the billing provider: BillingCredentials, with the external id possibly a secret output. */
export type BillingProviderCredentials =
    | Exclude<BillingCredentials, { kind: "assume-role" }>
    | (Omit<Extract<BillingCredentials, { kind: "assume-role" }>, "externalId"> & {
          readonly externalId?: pulumi.Input<string>;
      });

/**
 * The billing provider's credential settings. A GovCloud credential cannot assume a commercial role (IAM is
 * separate per partition), so the role is assumed with a web identity token or from commercial credentials.
 * `dryRun` (a preview: `pulumi preview`, or the preview pass of a plain `pulumi up`) picks the read-only preview
 * role when one is configured: a pull request's token may only assume that one. The token file stays relative: the
 * CLI starts provider plugins in the project directory (pulumi sdk plugin.go: `cmd.Dir = pwd`, the project root
 * when Pulumi.yaml has no `main`) and aws-sdk-go-v2's stscreds.IdentityTokenFile reads it with os.ReadFile on every
 * credential refresh.
 */
export function billingProviderCredentials(
    credentials: BillingProviderCredentials | undefined,
    dryRun: boolean,
): Pick<aws.ProviderArgs, "profile" | "assumeRoles" | "assumeRoleWithWebIdentity"> {
    switch (credentials?.kind) {
        case undefined:
            return {};
        case "profile":
            return { profile: credentials.profile };
        case "web-identity":
            return {
                assumeRoleWithWebIdentity: {
                    roleArn: (dryRun ? credentials.previewRoleArn : undefined) ?? credentials.roleArn,
                    sessionName: credentials.sessionName,
                    webIdentityTokenFile: credentials.tokenFile,
                },
            };
        case "assume-role":
            return {
                assumeRoles: [
                    {
                        roleArn: credentials.roleArn,
                        sessionName: credentials.sessionName,
                        ...(credentials.externalId !== undefined ? { externalId: credentials.externalId } : {}),
                    },
                ],
            };
    }
}

export interface AccountBudgetArgs {
    /** From budgetPlacement; a "skipped" placement is rejected. Required. */
    readonly placement: BudgetPlacement;
    /** The budget: limit, thresholds and subscriber emails. Required. */
    readonly budget: BudgetConfig;
    /** Budget name, unique in the holding account. Default: the component's name. */
    readonly budgetName?: string;
    /**
     * Paired standard account only: how the billing provider gets credentials for that account (GovCloud credentials
     * cannot reach it): a profile, a role assumed with a web identity token, or a role assumed from commercial default
     * credentials. With a web identity, a preview (pulumi.runtime.isDryRun()) assumes its read-only preview role
     * when one is given. Default: the default credential chain of the billing provider.
     */
    readonly billingCredentials?: BillingProviderCredentials;
    /** The subscriber emails were set with --secret: they reach the budget as secret outputs. Default false. */
    readonly secretEmails?: boolean;
    /** Paired standard account only: default tags of the billing provider. Default none. */
    readonly billingTags?: Readonly<Record<string, string>>;
}

/**
 * A monthly cost budget with alerts. In the commercial partition it uses the provider it inherits (the stack's);
 * for a GovCloud stack it creates its own provider for the paired standard account in us-east-1, pinned to that
 * account, so a budget can never be sent to a GovCloud endpoint.
 */
export class AccountBudget extends pulumi.ComponentResource {
    public readonly budgetName: pulumi.Output<string>;
    /** The account that holds the budget. */
    public readonly accountId: string;

    constructor(name: string, args: AccountBudgetArgs, opts?: pulumi.ComponentResourceOptions) {
        const placement = args.placement;
        if (placement.kind === "skipped") {
            throw new Error(`AccountBudget ${name}: placement is skipped (${placement.reason}); do not create it`);
        }
        const { monthlyLimitUsd, thresholdsPercent, subscriberEmails } = args.budget;
        if (subscriberEmails.length === 0 || thresholdsPercent.length === 0) {
            throw new Error(`AccountBudget ${name}: needs at least one threshold and one subscriber email`);
        }
        super("devsecops:budget:AccountBudget", name, {}, opts);

        const provider =
            placement.kind === "paired-standard-account"
                ? new aws.Provider(
                      `${name}-billing`,
                      {
                          region: placement.region,
                          allowedAccountIds: [placement.accountId],
                          ...billingProviderCredentials(args.billingCredentials, pulumi.runtime.isDryRun()),
                          defaultTags: args.billingTags ? { tags: { ...args.billingTags } } : undefined,
                      },
                      { parent: this },
                  )
                : undefined;

        const budget = new aws.budgets.Budget(
            `${name}-budget`,
            {
                name: args.budgetName ?? name,
                accountId: placement.accountId,
                budgetType: "COST",
                timeUnit: "MONTHLY",
                limitAmount: String(monthlyLimitUsd),
                limitUnit: "USD",
                costFilters: placement.costFilters.map((f) => ({ name: f.name, values: [...f.values] })),
                notifications: budgetNotifications(thresholdsPercent, subscriberEmails, args.secretEmails),
            },
            { parent: this, provider },
        );

        this.budgetName = budget.name;
        this.accountId = placement.accountId;
        this.registerOutputs({ budgetName: this.budgetName, accountId: this.accountId });
    }
}
