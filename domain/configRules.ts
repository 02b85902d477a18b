import {
    APPROVAL_REQUIRED,
    BUDGET_MAX_EMAIL_SUBSCRIBERS,
    ENVIRONMENTS,
    EnvironmentName,
    FARGATE_SIZES,
    PROTECTED_ENVIRONMENTS,
    ROLLING_ALLOWED,
    ServiceEntry,
    serviceEntryName,
    STACK_ROLES,
    StackRole,
    STANDARD_PARTITION,
} from "./configSchema";
import { MAX_KEY_DELETION_WINDOW_DAYS } from "./defaults";
import { arnExample, arnPattern, ArnScope, roleArn } from "./naming";
import { PartitionName, partitionOfRegion } from "./regions";
import { aServiceOf, ServiceSettingsByName, serviceSettingsProblems } from "./serviceSettings";

/**
 * The rules across config keys, as data: each a small function of the facts that returns its problems; every rule
 * runs, so all problems are reported at once (validateStackConfig sorts them in the schema's key order).
 */

/** A problem of a key (or of a part of it, `suffix`: `[2]`, `.tags.Owner`): the value found and what is expected. */
export interface Problem {
    /** The key's schema name (domain/configSchema.ts). */
    readonly key: string;
    readonly found: unknown;
    readonly expected: string;
    readonly suffix?: string;
    /** The key whose place in the schema's order it takes, when not its own (a retired key: its replacement). */
    readonly order?: string;
}

/** Values of the keys that passed their own checks (schema names; defaults applied). */
export type Values = Readonly<Record<string, any>>;

/** What the rules read: the values that passed their own checks, and what follows from them. */
export interface Facts extends ArnScope {
    readonly project: string;
    readonly stack: string;
    readonly values: Values;
    /** The stack's config states the key (its value may have failed its own checks; a default does not count). */
    readonly given: (key: string) => boolean;
    readonly role?: StackRole;
    readonly region?: string;
    /** The partition of aws:region. */
    readonly regionPartition?: PartitionName;
    /** `partition` when it agrees with aws:region, else aws:region's, else aws. */
    readonly partition: PartitionName;
    /** The account ids that passed their checks, by role. */
    readonly accounts: Readonly<Record<StackRole, string>>;
    /** This stack's own account id. */
    readonly accountId?: string;
    readonly services: readonly string[];
    /** stage and prod: data-bearing resources protected, HTTPS only. */
    readonly protectedEnvironment: boolean;
}

export type Rule = (facts: Facts) => Problem[];

/**
 * GovCloud: how the budget's provider reaches the paired standard account. IAM is separate per partition, so no
 * GovCloud credential can assume a commercial role: the provider needs commercial credentials of its own.
 */
export type BillingCredentials =
    /** A shared-config profile (a workstation). */
    | { readonly kind: "profile"; readonly profile: string }
    /** AssumeRoleWithWebIdentity with an OIDC token the role trusts (CI: the GitHub token the workflow writes). */
    | {
          readonly kind: "web-identity";
          readonly roleArn: string;
          readonly sessionName: string;
          /**
           * The token file relative to the project root, as configured: the CLI starts provider plugins in the
           * project's directory, so the SDK resolves it there, and the provider's inputs are the same on every machine.
           */
          readonly tokenFile: string;
          /** A read-only role of the same account the provider assumes instead during a preview (pull requests). */
          readonly previewRoleArn?: string;
      }
    /** AssumeRole from the default credentials, which are commercial (the stack's own provider uses aws:profile). */
    | {
          readonly kind: "assume-role";
          readonly roleArn: string;
          readonly sessionName: string;
          readonly externalId?: string;
      };

/** Settings of the assumption of budgetBillingRoleArn (meaningless without it). */
const BILLING_ROLE_SETTINGS = [
    "budgetBillingWebIdentityTokenFile",
    "budgetBillingPreviewRoleArn",
    "budgetBillingExternalId",
    "budgetBillingSessionName",
];
/** How the budget's provider reaches the paired standard account (with budgetBillingAccountId only). */
const BILLING_KEYS = ["budgetBillingProfile", "budgetBillingRoleArn", ...BILLING_ROLE_SETTINGS];

/** The facts the rules read, from the values that passed their own checks. */
export function factsOf(project: string, stack: string, values: Values, given: (key: string) => boolean): Facts {
    const role: StackRole | undefined = values.environment;
    const region: string | undefined = values["aws:region"];
    const regionPartition = region ? partitionOfRegion(region) : undefined;
    const stated: PartitionName | undefined = given("partition") ? values.partition : undefined;
    const partition =
        stated !== undefined && !(regionPartition && stated !== regionPartition) ? stated : (regionPartition ?? "aws");
    const accounts = {} as Record<StackRole, string>;
    for (const name of STACK_ROLES) {
        const id: string | undefined = values[`${name}AccountId`];
        if (id !== undefined) accounts[name] = id;
    }
    return {
        project,
        stack,
        values,
        given,
        role,
        region,
        regionPartition,
        partition,
        accounts,
        accountId: role ? accounts[role] : undefined,
        services: ((values.services ?? []) as ServiceEntry[]).map(serviceEntryName),
        protectedEnvironment: role !== undefined && role !== "tool" && PROTECTED_ENVIRONMENTS.includes(role),
    };
}

/** Every rule, in the order its problems are reported within a key. */
export const CONFIG_RULES: readonly Rule[] = [
    partitionMatchesRegion,
    accountsDistinct,
    allowedAccountIdsOwn,
    environmentTagMatches,
    branchesDistinct,
    approvalRequired,
    memoryFitsCpu,
    existingRepositoriesAreServices,
    serviceSettingsOfTheStack,
    keyAdministratorsOfAccount,
    keyDeletionWindowLongest,
    subnetsInTwoZones,
    subnetsWithTheirVpc,
    publicSubnetsApart,
    budgetSubscribers,
    budgetBillingAccount,
    billingKeysWithAccount,
    certificateOfAccount,
    samlProviderOfAccount,
    breakGlassUsersValid,
    gradualDeliveryOutsideDev,
];

export function partitionMatchesRegion(f: Facts): Problem[] {
    const stated: string | undefined = f.given("partition") ? f.values.partition : undefined;
    if (stated === undefined || !f.regionPartition || stated === f.regionPartition) return [];
    return [
        {
            key: "partition",
            found: stated,
            expected: `"${f.regionPartition}", the partition of aws:region ${f.region} (or change aws:region)`,
        },
    ];
}

export function accountsDistinct(f: Facts): Problem[] {
    const problems: Problem[] = [];
    const seen = new Map<string, StackRole>();
    for (const name of STACK_ROLES) {
        const key = `${name}AccountId`;
        const id: string | undefined = f.values[key];
        if (id === undefined) continue;
        const other = seen.get(id);
        if (other) {
            problems.push({
                key,
                found: id,
                expected: `an account of its own: ${other}AccountId is also ${id} (one AWS account per environment)`,
            });
        }
        seen.set(id, name);
    }
    return problems;
}

export function allowedAccountIdsOwn(f: Facts): Problem[] {
    const ids: string[] | undefined = f.values["aws:allowedAccountIds"];
    if (ids === undefined) return [];
    const problem = (expected: string) => [{ key: "aws:allowedAccountIds", found: ids, expected }];
    const { accountId } = f;
    if (ids.length === 0)
        return problem(`a list holding this stack's own account id${accountId ? ` ${accountId}` : ""}`);
    if (accountId && !ids.includes(accountId)) {
        return problem(`a list holding this stack's own account id ${accountId} (${f.role}AccountId)`);
    }
    if (accountId && ids.length !== 1) return problem(`only this stack's own account id ${accountId}`);
    return [];
}

export function environmentTagMatches(f: Facts): Problem[] {
    const tagged = defaultTagsOf(f).Environment;
    if (!f.role || tagged === undefined || tagged === f.role) return [];
    return [
        {
            key: "aws:defaultTags",
            found: tagged,
            expected: `"${f.role}", the value of ${f.project}:environment`,
            suffix: ".tags.Environment",
        },
    ];
}

export function branchesDistinct(f: Facts): Problem[] {
    const problems: Problem[] = [];
    const branches: Partial<Record<EnvironmentName, string>> = {};
    for (const env of ENVIRONMENTS) {
        const branch: string | undefined = f.values[`${env}Branch`];
        if (branch === undefined) continue;
        const other = ENVIRONMENTS.find((e) => branches[e] === branch);
        if (other) {
            problems.push({
                key: `${env}Branch`,
                found: branch,
                expected: `a branch of its own: ${other}Branch is also ${branch} (a push would start both pipelines)`,
            });
        }
        branches[env] = branch;
    }
    return problems;
}

export function approvalRequired(f: Facts): Problem[] {
    if (!mustApprove(f) || f.values.requireApproval !== false) return [];
    return [
        { key: "requireApproval", found: false, expected: `true: ${f.role} cannot deploy without a manual approval` },
    ];
}

export function memoryFitsCpu(f: Facts): Problem[] {
    const cpu: number | undefined = f.values.taskCpu;
    const memory: number | undefined = f.values.taskMemory;
    if (cpu === undefined || memory === undefined || FARGATE_SIZES[cpu].includes(memory)) return [];
    return [
        {
            key: "taskMemory",
            found: memory,
            expected: `a Fargate memory size for taskCpu ${cpu}: ${sizes(FARGATE_SIZES[cpu])}`,
        },
    ];
}

export function existingRepositoriesAreServices(f: Facts): Problem[] {
    return existingRepositoriesOf(f).flatMap((name, i) =>
        f.services.includes(name)
            ? []
            : [{ key: "existingRepositories", found: name, expected: aServiceOf(f.services), suffix: `[${i}]` }],
    );
}

export function serviceSettingsOfTheStack(f: Facts): Problem[] {
    return serviceSettingsProblems(serviceSettingsOf(f), f.services, f).map((p) => ({ key: "serviceSettings", ...p }));
}

export function keyAdministratorsOfAccount(f: Facts): Problem[] {
    const pattern = arnPattern(f, "iam", "(role|user)/[\\w+=,.@/-]+", false);
    const example = arnExample(f, "iam", "role/KeyAdmins", false);
    return keyAdministratorsOf(f).flatMap((arn, i) =>
        pattern.test(arn)
            ? []
            : [
                  {
                      key: "keyAdministrators",
                      found: arn,
                      expected: `an IAM role or user ARN of this stack's account in partition ${f.partition}, e.g. ${example}`,
                      suffix: `[${i}]`,
                  },
              ],
    );
}

export function keyDeletionWindowLongest(f: Facts): Problem[] {
    const days: number | undefined = f.values.keyDeletionWindowDays;
    if (!f.protectedEnvironment || days === undefined || days === MAX_KEY_DELETION_WINDOW_DAYS) return [];
    return [
        {
            key: "keyDeletionWindowDays",
            found: days,
            expected: `${MAX_KEY_DELETION_WINDOW_DAYS} in ${f.role} (the longest window AWS allows)`,
        },
    ];
}

export function gradualDeliveryOutsideDev(f: Facts): Problem[] {
    const strategy: string | undefined = f.values.deploymentStrategy;
    const env = f.role;
    if (strategy !== "rolling" || !env || env === "tool" || ROLLING_ALLOWED.includes(env)) return [];
    return [
        {
            key: "deploymentStrategy",
            found: strategy,
            expected: `"blueGreen" in ${env} (all at once is allowed in ${ROLLING_ALLOWED.join(", ")} only)`,
        },
    ];
}

export function subnetsInTwoZones(f: Facts): Problem[] {
    const { privateSubnetIds, publicSubnetIds } = subnetsOf(f);
    const checked = f.values.privateSubnetIds !== undefined && f.values.publicSubnetIds !== undefined;
    if (!f.given("vpcId") || !checked || (privateSubnetIds.length >= 2 && publicSubnetIds.length >= 2)) return [];
    return [
        {
            key: "privateSubnetIds",
            found: { privateSubnetIds, publicSubnetIds },
            expected: "with vpcId, at least two private and two public subnet ids (two availability zones)",
        },
    ];
}

export function subnetsWithTheirVpc(f: Facts): Problem[] {
    const { privateSubnetIds, publicSubnetIds } = subnetsOf(f);
    if (f.given("vpcId") || (privateSubnetIds.length === 0 && publicSubnetIds.length === 0)) return [];
    return [{ key: "vpcId", found: undefined, expected: "the VPC of the given privateSubnetIds / publicSubnetIds" }];
}

export function publicSubnetsApart(f: Facts): Problem[] {
    const { privateSubnetIds, publicSubnetIds } = subnetsOf(f);
    return publicSubnetIds.flatMap((id, i) =>
        privateSubnetIds.includes(id)
            ? [
                  {
                      key: "publicSubnetIds",
                      found: id,
                      expected:
                          "a public subnet that is not also in privateSubnetIds (tasks and load balancers need their own)",
                      suffix: `[${i}]`,
                  },
              ]
            : [],
    );
}

export function budgetSubscribers(f: Facts): Problem[] {
    if (!f.given("budgetMonthlyLimitUsd")) return [];
    if (f.given("notificationEmails") && f.values.notificationEmails === undefined) return []; // its own problems
    const emails = notificationEmailsOf(f);
    if (emails.length === 0) {
        return [
            {
                key: "notificationEmails",
                found: [],
                expected: "at least one email address to receive the budget alerts",
            },
        ];
    }
    if (emails.length <= BUDGET_MAX_EMAIL_SUBSCRIBERS) return [];
    return [
        {
            key: "notificationEmails",
            found: emails,
            expected: `at most ${BUDGET_MAX_EMAIL_SUBSCRIBERS} addresses: AWS Budgets allows ${BUDGET_MAX_EMAIL_SUBSCRIBERS} email subscribers per notification`,
        },
    ];
}

export function budgetBillingAccount(f: Facts): Problem[] {
    const billingAccountId: string | undefined = f.values.budgetBillingAccountId;
    if (!f.given("budgetMonthlyLimitUsd") || billingAccountId === undefined) return [];
    const paired = pairedAccountProblems(f, billingAccountId);
    return paired.length > 0 ? paired : billingCredentialsOf(f, billingAccountId).problems;
}

export function billingKeysWithAccount(f: Facts): Problem[] {
    if (!f.given("budgetMonthlyLimitUsd") || f.given("budgetBillingAccountId")) return [];
    return BILLING_KEYS.filter(f.given).map((key) => ({
        key,
        found: f.values[key],
        expected: "nothing without budgetBillingAccountId (the paired standard account it reaches)",
    }));
}

export function certificateOfAccount(f: Facts): Problem[] {
    const arn: string | undefined = f.values.certificateArn;
    if (arn !== undefined && !arnPattern(f, "acm", "certificate/[0-9a-f-]{36}").test(arn)) {
        const example = arnExample(f, "acm", "certificate/<id>");
        return [
            {
                key: "certificateArn",
                found: arn,
                expected: `an ACM certificate of this stack's account and region, ${example}`,
            },
        ];
    }
    if (!f.given("certificateArn") && f.protectedEnvironment) {
        return [
            { key: "certificateArn", found: undefined, expected: `an ACM certificate: ${f.role} serves HTTPS only` },
        ];
    }
    return [];
}

/** The SAML provider of this account, when people sign in through SAML (and only then). */
export function samlProviderOfAccount(f: Facts): Problem[] {
    const source: string | undefined = f.values.peopleIdentitySource;
    const arn: string | undefined = f.values.peopleSamlProviderArn;
    const example = arnExample(f, "iam", "saml-provider/<name>", false);
    // Its own problem is reported; an unknown region has no partition to judge the ARN by.
    if (source === undefined || !f.regionPartition) return [];
    if (source === "saml" && !f.given("peopleSamlProviderArn")) {
        return [
            {
                key: "peopleSamlProviderArn",
                found: undefined,
                expected: `the IAM SAML provider people sign in through, ${example} (or peopleIdentitySource identity-center or none)`,
            },
        ];
    }
    if (arn === undefined) return [];
    if (source !== "saml") {
        return [
            {
                key: "peopleSamlProviderArn",
                found: arn,
                expected: `nothing when peopleIdentitySource is ${source} (the person roles trust no SAML provider then)`,
            },
        ];
    }
    if (arnPattern(f, "iam", "saml-provider/[\\w.-]{1,128}", false).test(arn)) return [];
    return [
        {
            key: "peopleSamlProviderArn",
            found: arn,
            expected: `an IAM SAML provider of this stack's account in partition ${f.partition}, ${example}`,
        },
    ];
}

/** Break-glass users: IAM users of the partition, in environment accounts with person roles. */
export function breakGlassUsersValid(f: Facts): Problem[] {
    const users: string[] = f.values.breakGlassUserArns ?? [];
    if (users.length === 0 || !f.regionPartition) return [];
    const found = { key: "breakGlassUserArns", found: users };
    if (f.role === "tool") {
        return [
            {
                ...found,
                expected:
                    "nothing in tool: break-glass roles are in the environment accounts, alarmed through their notification topic",
            },
        ];
    }
    if (f.values.peopleIdentitySource === "none") {
        return [{ ...found, expected: "nothing when peopleIdentitySource is none (no person roles)" }];
    }
    const pattern = arnPattern({ partition: f.partition }, "iam", "user/[\\w+=,.@/-]{1,512}", false);
    const example = arnExample({ partition: f.partition }, "iam", "user/break-glass-1", false);
    return users.flatMap((arn, i) =>
        pattern.test(arn)
            ? []
            : [
                  {
                      key: "breakGlassUserArns",
                      found: arn,
                      expected: `an IAM user ARN in partition ${f.partition}, e.g. ${example} (a user signs in with MFA when the identity source is down)`,
                      suffix: `[${i}]`,
                  },
              ],
    );
}

// ---- what the rules and the validated config share ----

/** stage and prod cannot deploy without a manual approval (APPROVAL_REQUIRED). */
export function mustApprove(f: Facts): boolean {
    return f.role !== undefined && f.role !== "tool" && APPROVAL_REQUIRED.includes(f.role);
}

export function defaultTagsOf(f: Facts): Record<string, string> {
    return f.values["aws:defaultTags"]?.tags ?? {};
}

export function branchesOf(f: Facts): Record<EnvironmentName, string> {
    const branches = {} as Record<EnvironmentName, string>;
    for (const env of ENVIRONMENTS) {
        const branch: string | undefined = f.values[`${env}Branch`];
        if (branch !== undefined) branches[env] = branch;
    }
    return branches;
}

export function existingRepositoriesOf(f: Facts): string[] {
    return f.values.existingRepositories ?? [];
}

export function serviceSettingsOf(f: Facts): ServiceSettingsByName {
    return f.values.serviceSettings ?? {};
}

export function keyAdministratorsOf(f: Facts): string[] {
    return f.values.keyAdministrators ?? [];
}

export function subnetsOf(f: Facts): { privateSubnetIds: string[]; publicSubnetIds: string[] } {
    return { privateSubnetIds: f.values.privateSubnetIds ?? [], publicSubnetIds: f.values.publicSubnetIds ?? [] };
}

export function notificationEmailsOf(f: Facts): string[] {
    return f.values.notificationEmails ?? [];
}

/** GovCloud's budget goes to the paired standard account: not in the commercial partition, not one of ours. */
function pairedAccountProblems(f: Facts, billingAccountId: string): Problem[] {
    const own = Object.entries(f.accounts).find(([, id]) => id === billingAccountId);
    const problem = (expected: string) => [{ key: "budgetBillingAccountId", found: billingAccountId, expected }];
    if (f.regionPartition === "aws") {
        return problem("nothing in the commercial partition: the budget goes to the stack's own account");
    }
    if (own) {
        return problem(
            `the standard (commercial) account paired with this GovCloud account, not a GovCloud account of this project (${own[0]}AccountId)`,
        );
    }
    return [];
}

/** The paired standard account of the budget, when the budget has one and it is usable. */
export function billingAccountOf(f: Facts): string | undefined {
    const billingAccountId: string | undefined = f.values.budgetBillingAccountId;
    if (billingAccountId === undefined || pairedAccountProblems(f, billingAccountId).length > 0) return undefined;
    return billingAccountId;
}

/** A value and the problems found on the way to it (none: the value is whole). */
export interface Checked<T> {
    readonly value?: T;
    readonly problems: Problem[];
}

/**
 * GovCloud: how the budget's provider reaches the paired standard account: exactly one of a profile and a role. IAM is
 * separate per partition ("You cannot use IAM credentials from one partition to interact with resources in a
 * different partition", https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/partitions.html),
 * so the role is assumed with a web identity token (AssumeRoleWithWebIdentity accepts one from an OIDC provider of
 * the role's account) or from commercial default credentials.
 */
export function billingCredentialsOf(f: Facts, billingAccountId: string): Checked<BillingCredentials> {
    const source = billingSourceProblems(f, billingAccountId);
    if (source.length > 0) return { problems: source };
    const problems = BILLING_ROLE_SETTINGS.filter((k) => f.given(k) && !f.given("budgetBillingRoleArn")).map((key) => ({
        key,
        found: f.values[key],
        expected: "nothing without budgetBillingRoleArn (it is a setting of the role's assumption)",
    }));
    const profile: string | undefined = f.values.budgetBillingProfile;
    if (profile !== undefined) return { value: { kind: "profile", profile }, problems };
    const roleText: string | undefined = f.values.budgetBillingRoleArn;
    if (roleText === undefined) return { problems };
    const role = billingRoleArn("budgetBillingRoleArn", roleText, billingAccountId);
    const previewText: string | undefined = f.values.budgetBillingPreviewRoleArn;
    const preview =
        previewText === undefined
            ? undefined
            : billingRoleArn("budgetBillingPreviewRoleArn", previewText, billingAccountId);
    problems.push(...role.problems, ...(preview?.problems ?? []));
    if (role.value === undefined || (preview !== undefined && preview.value === undefined)) return { problems };
    const assumption = roleAssumption(f, role.value, preview?.value);
    return { value: assumption.value, problems: [...problems, ...assumption.problems] };
}

/** Exactly one of budgetBillingProfile and budgetBillingRoleArn. */
function billingSourceProblems(f: Facts, billingAccountId: string): Problem[] {
    const profile = f.given("budgetBillingProfile");
    const role = f.given("budgetBillingRoleArn");
    if (!profile && !role) {
        return [
            {
                key: "budgetBillingRoleArn",
                found: undefined,
                expected: `a role of standard account ${billingAccountId} (CI) or budgetBillingProfile (a workstation): GovCloud credentials cannot reach it`,
            },
        ];
    }
    if (profile && role) {
        return [
            {
                key: "budgetBillingProfile",
                found: f.values.budgetBillingProfile,
                expected: "nothing when budgetBillingRoleArn is set: the budget's credentials come from one of them",
            },
        ];
    }
    return [];
}

/** "arn:<partition>:iam::<account>:role/<name>": its parts, or undefined. */
export function parseRoleArn(text: string): { partition: string; account: string; roleName: string } | undefined {
    const m = /^arn:([^:]*):iam::([^:]*):role\/(.+)$/.exec(text);
    return m ? { partition: m[1], account: m[2], roleName: m[3] } : undefined;
}

/** A role ARN of the paired standard account (the provider is pinned to it), rebuilt from its parts. */
function billingRoleArn(key: string, text: string, billingAccountId: string): Checked<string> {
    const parsed = parseRoleArn(text);
    const expected = roleArn(STANDARD_PARTITION, billingAccountId, "<name>");
    if (!parsed || parsed.partition !== STANDARD_PARTITION || !/^[\w+=,.@/-]{1,512}$/.test(parsed.roleName)) {
        return {
            problems: [
                {
                    key,
                    found: text,
                    expected: `a role ARN of the standard partition, ${expected}: AWS Budgets and the billing of a GovCloud account live there`,
                },
            ],
        };
    }
    if (parsed.account !== billingAccountId) {
        return {
            problems: [
                {
                    key,
                    found: text,
                    expected: `a role of budgetBillingAccountId ${billingAccountId}, ${expected} (the budget's provider is pinned to that account)`,
                },
            ],
        };
    }
    return { value: roleArn(STANDARD_PARTITION, billingAccountId, parsed.roleName), problems: [] };
}

/** How budgetBillingRoleArn is assumed: with a web identity token (CI), or from commercial default credentials. */
function roleAssumption(f: Facts, roleArn: string, previewRoleArn: string | undefined): Checked<BillingCredentials> {
    const { given, values: v } = f;
    if (given("budgetBillingPreviewRoleArn") && !given("budgetBillingWebIdentityTokenFile")) {
        return {
            problems: [
                {
                    key: "budgetBillingPreviewRoleArn",
                    found: v.budgetBillingPreviewRoleArn,
                    expected:
                        "nothing without budgetBillingWebIdentityTokenFile (pull-request previews assume it with the job's OIDC token)",
                },
            ],
        };
    }
    const sessionName: string = v.budgetBillingSessionName ?? `cicd-${f.stack}-budget`;
    const tokenFile: string | undefined = v.budgetBillingWebIdentityTokenFile;
    if (given("budgetBillingWebIdentityTokenFile")) {
        if (tokenFile === undefined) return { problems: [] }; // its own problem is reported
        if (given("budgetBillingExternalId")) {
            return {
                problems: [
                    {
                        key: "budgetBillingExternalId",
                        found: v.budgetBillingExternalId,
                        expected:
                            "nothing with budgetBillingWebIdentityTokenFile: AssumeRoleWithWebIdentity takes no external id",
                    },
                ],
            };
        }
        // Kept relative: the provider's inputs (and so its diff) must not depend on where the project is checked out.
        return {
            value: {
                kind: "web-identity",
                roleArn,
                sessionName,
                tokenFile,
                ...(previewRoleArn !== undefined ? { previewRoleArn } : {}),
            },
            problems: [],
        };
    }
    if (!given("aws:profile")) {
        return {
            problems: [
                {
                    key: "budgetBillingWebIdentityTokenFile",
                    found: undefined,
                    expected:
                        "a web identity token file (CI), or aws:profile for the stack's own provider: without either, the budget's AssumeRole would start from the stack's GovCloud credentials, which cannot reach a commercial role",
                },
            ],
        };
    }
    return {
        value: { kind: "assume-role", roleArn, sessionName, externalId: v.budgetBillingExternalId },
        problems: [],
    };
}

function sizes(list: readonly number[]): string {
    return list.length > 8
        ? `${list[0]} to ${list[list.length - 1]} in steps of ${list[1] - list[0]}`
        : list.join(", ");
}
