import * as pulumi from "@pulumi/pulumi";

/** The project's config namespace (the `name:` in Pulumi.yaml). */
export const PROJECT = "devsecops-pipelines";

export const ENVIRONMENTS = ["dev", "qa", "stage", "prod"] as const;
export type EnvironmentName = (typeof ENVIRONMENTS)[number];
export type StackRole = "tool" | EnvironmentName;
export const STACK_ROLES: readonly StackRole[] = ["tool", ...ENVIRONMENTS];
/** Environments whose pipeline must stop at a manual approval before deploying. */
export const APPROVAL_REQUIRED: readonly EnvironmentName[] = ["stage", "prod"];
/** Environments whose data-bearing resources are protected and retained on destroy. */
export const PROTECTED_ENVIRONMENTS: readonly EnvironmentName[] = ["stage", "prod"];

export type PartitionName = "aws" | "aws-us-gov";
export const REQUIRED_TAGS = ["Project", "Environment", "CostCenter", "Owner", "ManagedBy"] as const;

/** Defaults for keys that Pulumi.yaml documents as optional. */
export const DEFAULTS = {
    branches: { dev: "develop", qa: "release/qa", stage: "release/stage", prod: "main" },
    services: ["orders-api"],
    containerPort: 3000,
    taskCpu: 256,
    taskMemory: 512,
    desiredCount: 2,
    healthCheckPath: "/health",
    logRetentionDays: 365,
    keyDeletionWindowDays: 30,
    vpcCidr: "10.0.0.0/16",
    budgetThresholdsPercent: [80, 100],
} as const;

/** CloudWatch Logs accepts only these retention periods. */
export const LOG_RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];
/** Fargate CPU units and the memory sizes (MiB) each allows. */
const FARGATE_SIZES: Record<number, number[]> = {
    256: [512, 1024, 2048],
    512: [1024, 2048, 3072, 4096],
    1024: [2048, 3072, 4096, 5120, 6144, 7168, 8192],
    2048: range(4096, 16384, 1024),
    4096: range(8192, 30720, 1024),
};

export interface ServiceConfig {
    /** Service name: lowercase letters, digits and hyphens; names the repository, pipeline and ECS service. */
    readonly name: string;
    /** CodeCommit repository name in the tool account: the service name. */
    readonly repositoryName: string;
    readonly containerPort: number;
    readonly cpu: number;
    readonly memory: number;
    readonly desiredCount: number;
    readonly healthCheckPath: string;
    /** Secrets Manager secrets injected into the container as environment variables. */
    readonly secrets: readonly { readonly name: string; readonly valueFrom: string }[];
}

export interface NetworkConfig {
    /** An existing VPC; when absent a new VPC is created with `vpcCidr`. */
    readonly vpcId?: string;
    readonly privateSubnetIds: readonly string[];
    readonly publicSubnetIds: readonly string[];
    readonly vpcCidr: string;
}

export interface BudgetConfig {
    readonly monthlyLimitUsd: number;
    /** GovCloud: the paired standard (commercial) account that holds this account's billing. */
    readonly billingAccountId?: string;
    /** GovCloud: shared-config profile with credentials for the paired account. */
    readonly billingProfile?: string;
    /** Percentages of the limit at which subscribers are alerted. */
    readonly thresholdsPercent: readonly number[];
    readonly subscriberEmails: readonly string[];
}

export interface StackConfig {
    readonly project: string;
    readonly stack: string;
    /** The stack file the values came from, for error messages. */
    readonly stackFile: string;
    readonly role: StackRole;
    readonly region: string;
    readonly partition: PartitionName;
    readonly accounts: Readonly<Record<StackRole, string>>;
    /** This stack's own account id. */
    readonly accountId: string;
    readonly branches: Readonly<Record<EnvironmentName, string>>;
    readonly requireApproval: boolean;
    readonly protectResources: boolean;
    readonly services: readonly ServiceConfig[];
    readonly keyAdministratorArns: readonly string[];
    readonly createKeyAdminUser: boolean;
    readonly keyDeletionWindowDays: number;
    readonly logRetentionDays: number;
    readonly notificationEmails: readonly string[];
    readonly network: NetworkConfig;
    readonly budget?: BudgetConfig;
    readonly defaultTags: Readonly<Record<string, string>>;
    readonly allowedAccountIds: readonly string[];
    /** `aws:profile`, passed to the stack's provider (which, being explicit, reads no `aws:` key by itself). */
    readonly awsProfile?: string;
    /** ACM certificate of the services' load balancers: HTTPS on 443, HTTP redirected. Required in stage, prod. */
    readonly certificateArn?: string;
    /** AWS Organization of all five accounts; when set, cross-account trust also requires aws:PrincipalOrgID. */
    readonly organizationId?: string;
}

/** Raw config as the Pulumi CLI hands it to the program: key -> string (objects and arrays as JSON). */
export type RawConfig = Readonly<Record<string, string | undefined>>;

export class StackConfigError extends Error {
    constructor(
        readonly stackFile: string,
        readonly problems: readonly string[],
    ) {
        super(
            `Invalid stack configuration in ${stackFile} (${problems.length} problem${problems.length === 1 ? "" : "s"}); nothing was deployed:\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "StackConfigError";
    }
}

/** The partition a region belongs to, or undefined for regions this project does not support. */
export function partitionOfRegion(region: string): PartitionName | undefined {
    if (/^us-gov-(west|east)-1$/.test(region)) return "aws-us-gov";
    if (
        /^(us|eu|ap|ca|sa|me|af|il|mx)-(north|south|east|west|central|northeast|southeast|southwest|northwest)-\d$/.test(
            region,
        )
    ) {
        return "aws";
    }
    return undefined;
}

const ACCOUNT_ID = /^\d{12}$/;
/** A service name: it names ECS services, load balancers (32 characters at most), repositories and roles. */
export const SERVICE_NAME = /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/;
/** A URL path for health checks. */
export const URL_PATH = /^\/[\w./-]*$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;

/** Git ref-name rules (git check-ref-format) that matter for a branch filter. */
export function isValidBranchName(name: string): boolean {
    return (
        name.length > 0 &&
        name.length <= 256 &&
        !/[\s~^:?*[\\\x00-\x1f\x7f]/.test(name) &&
        !name.startsWith("/") &&
        !name.endsWith("/") &&
        !name.endsWith(".") &&
        !name.endsWith(".lock") &&
        !name.includes("..") &&
        !name.includes("//") &&
        !name.includes("@{") &&
        name !== "@" &&
        !name.split("/").some((part) => part.startsWith("."))
    );
}

/**
 * Validates the raw config of one stack and returns it typed and frozen, or throws a StackConfigError that
 * lists every problem: the key, the value found and what is expected.
 */
export function validateStackConfig(raw: RawConfig, project: string, stack: string): StackConfig {
    const stackFile = `Pulumi.${stack}.yaml`;
    const problems: string[] = [];
    const key = (k: string) => (k.includes(":") ? k : `${project}:${k}`);
    const show = (v: unknown) => (v === undefined ? "nothing" : JSON.stringify(v));
    const problem = (k: string, found: unknown, expected: string) =>
        problems.push(`${key(k)}: found ${show(found)}, expected ${expected}`);

    const parse = (k: string): unknown => {
        const text = raw[key(k)];
        if (text === undefined) return undefined;
        try {
            return JSON.parse(text);
        } catch {
            return text;
        }
    };
    const str = (k: string): string | undefined => {
        const text = raw[key(k)];
        return text === undefined ? undefined : String(text);
    };
    const bool = (k: string): boolean | undefined => {
        const v = parse(k);
        if (v === undefined || typeof v === "boolean") return v;
        problem(k, raw[key(k)], "true or false");
        return undefined;
    };
    const int = (k: string, min: number, max: number, fallback: number, value: unknown = parse(k)): number => {
        if (value === undefined) return fallback;
        if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
            problem(k, value, `a whole number from ${min} to ${max}`);
            return fallback;
        }
        return value;
    };
    const stringList = (k: string, pattern: RegExp, what: string): string[] => {
        const v = parse(k);
        if (v === undefined) return [];
        if (!Array.isArray(v)) {
            problem(k, v, `a list of ${what}`);
            return [];
        }
        v.forEach((item, i) => {
            if (typeof item !== "string" || !pattern.test(item)) problem(`${k}[${i}]`, item, what);
        });
        return v.filter((item): item is string => typeof item === "string");
    };

    // Role
    const roleText = str("environment");
    const role = STACK_ROLES.includes(roleText as StackRole) ? (roleText as StackRole) : undefined;
    if (!role) problem("environment", roleText, `one of ${STACK_ROLES.join(", ")}`);

    // Region and partition
    const region = str("aws:region");
    const regionPartition = region ? partitionOfRegion(region) : undefined;
    if (!region) problem("aws:region", region, "an AWS region, e.g. us-gov-west-1 or us-east-1");
    else if (!regionPartition) {
        problem("aws:region", region, "a region of the commercial (aws) or GovCloud (aws-us-gov) partition");
    }
    const partitionText = str("partition");
    let partition: PartitionName = regionPartition ?? "aws";
    if (partitionText !== undefined) {
        if (partitionText !== "aws" && partitionText !== "aws-us-gov") {
            problem("partition", partitionText, '"aws" or "aws-us-gov"');
        } else if (regionPartition && partitionText !== regionPartition) {
            problem(
                "partition",
                partitionText,
                `"${regionPartition}", the partition of aws:region ${region} (or change aws:region)`,
            );
        } else partition = partitionText;
    }

    // Accounts
    const accounts = {} as Record<StackRole, string>;
    const seen = new Map<string, StackRole>();
    for (const name of STACK_ROLES) {
        const k = `${name}AccountId`;
        const id = str(k);
        if (id === undefined || !ACCOUNT_ID.test(id)) {
            problem(k, id, 'a 12-digit AWS account id in quotes, e.g. "123456789012"');
            continue;
        }
        const other = seen.get(id);
        if (other)
            problem(k, id, `an account of its own: ${other}AccountId is also ${id} (one AWS account per environment)`);
        seen.set(id, name);
        accounts[name] = id;
    }
    const accountId = role ? accounts[role] : undefined;

    // Provider guards
    const allowed = parse("aws:allowedAccountIds");
    const allowedAccountIds = Array.isArray(allowed) ? allowed.map(String) : [];
    if (!Array.isArray(allowed) || allowed.length === 0) {
        problem(
            "aws:allowedAccountIds",
            allowed,
            `a list holding this stack's own account id${accountId ? ` ${accountId}` : ""}`,
        );
    } else if (accountId && !allowedAccountIds.includes(accountId)) {
        problem(
            "aws:allowedAccountIds",
            allowed,
            `a list holding this stack's own account id ${accountId} (${role}AccountId)`,
        );
    } else if (accountId && allowedAccountIds.length !== 1) {
        problem("aws:allowedAccountIds", allowed, `only this stack's own account id ${accountId}`);
    }
    const defaultTagsValue = parse("aws:defaultTags");
    const tags =
        typeof defaultTagsValue === "object" && defaultTagsValue !== null
            ? ((defaultTagsValue as { tags?: unknown }).tags as Record<string, unknown> | undefined)
            : undefined;
    const defaultTags: Record<string, string> = {};
    if (typeof tags !== "object" || tags === null) {
        problem("aws:defaultTags", defaultTagsValue, `{ tags: { ${REQUIRED_TAGS.join(", ")} } }`);
    } else {
        for (const [k, v] of Object.entries(tags)) defaultTags[k] = String(v);
        for (const tag of REQUIRED_TAGS) {
            if (typeof tags[tag] !== "string" || (tags[tag] as string).trim() === "") {
                problem(
                    `aws:defaultTags.tags.${tag}`,
                    tags[tag],
                    "a non-empty tag value (cost and ownership tracking)",
                );
            }
        }
        if (role && typeof tags.Environment === "string" && tags.Environment !== role) {
            problem(
                "aws:defaultTags.tags.Environment",
                tags.Environment,
                `"${role}", the value of ${key("environment")}`,
            );
        }
    }

    // Branches
    const branches = {} as Record<EnvironmentName, string>;
    for (const env of ENVIRONMENTS) {
        const k = `${env}Branch`;
        const b = str(k) ?? DEFAULTS.branches[env];
        if (!isValidBranchName(b)) problem(k, b, "a valid git branch name (no spaces, ~ ^ : ? * [ \\ or ..)");
        branches[env] = b;
    }

    // Approval
    const approval = bool("requireApproval");
    const mustApprove = role !== undefined && role !== "tool" && APPROVAL_REQUIRED.includes(role);
    if (mustApprove && approval === false) {
        problem("requireApproval", false, `true: ${role} cannot deploy without a manual approval`);
    }
    const requireApproval = role === "tool" ? false : (approval ?? mustApprove);

    // Services
    const serviceNames = parse("services") ?? [...DEFAULTS.services];
    const containerPort = int("containerPort", 1024, 65535, DEFAULTS.containerPort);
    const cpu = int("taskCpu", 256, 4096, DEFAULTS.taskCpu);
    const memory = int("taskMemory", 512, 30720, DEFAULTS.taskMemory);
    if (!FARGATE_SIZES[cpu]) problem("taskCpu", cpu, `a Fargate CPU size: ${Object.keys(FARGATE_SIZES).join(", ")}`);
    else if (!FARGATE_SIZES[cpu].includes(memory)) {
        problem("taskMemory", memory, `a Fargate memory size for taskCpu ${cpu}: ${FARGATE_SIZES[cpu].join(", ")}`);
    }
    const desiredCount = int("desiredCount", 0, 100, DEFAULTS.desiredCount);
    const healthCheckPath = str("healthCheckPath") ?? DEFAULTS.healthCheckPath;
    if (!URL_PATH.test(healthCheckPath)) problem("healthCheckPath", healthCheckPath, 'a URL path starting with "/"');
    const services: ServiceConfig[] = [];
    if (!Array.isArray(serviceNames) || serviceNames.length === 0) {
        problem("services", serviceNames, "a list of at least one service name, e.g. [orders-api]");
    } else {
        serviceNames.forEach((name: unknown, i) => {
            if (typeof name !== "string" || !SERVICE_NAME.test(name)) {
                problem(`services[${i}]`, name, "3-32 lowercase letters, digits or hyphens, starting with a letter");
            } else if (services.some((s) => s.name === name)) {
                problem(`services[${i}]`, name, "a name no other service in the list uses");
            } else {
                services.push({
                    name,
                    repositoryName: name,
                    containerPort,
                    cpu,
                    memory,
                    desiredCount,
                    healthCheckPath,
                    secrets: [],
                });
            }
        });
    }

    // Service secrets: "<service>:<VARIABLE>=<secret ARN>"
    const secretArn = new RegExp(
        `^arn:${partition}:secretsmanager:${region ?? "[a-z0-9-]+"}:${accountId ?? "\\d{12}"}:secret:[\\w/+=.@-]+-[A-Za-z0-9]{6}$`,
    );
    stringList(
        "serviceSecrets",
        /^[a-z][a-z0-9-]*:[A-Za-z_][A-Za-z0-9_]*=arn:/,
        "<service>:<VARIABLE>=<secret ARN>",
    ).forEach((entry, i) => {
        const [, service, variable, arn] = /^([^:]+):([^=]+)=(.*)$/.exec(entry) ?? [];
        const target = services.find((x) => x.name === service) as
            { secrets: { name: string; valueFrom: string }[] } | undefined;
        if (!target)
            problem(
                `serviceSecrets[${i}]`,
                entry,
                `a service of this stack (${services.map((x) => x.name).join(", ")})`,
            );
        else if (!secretArn.test(arn)) {
            problem(
                `serviceSecrets[${i}]`,
                entry,
                `a Secrets Manager secret ARN of this account and region (arn:${partition}:secretsmanager:${region}:${accountId ?? "<account>"}:secret:<name>-<6 characters>)`,
            );
        } else if (target.secrets.some((x) => x.name === variable)) {
            problem(`serviceSecrets[${i}]`, entry, `one secret per variable: ${service} already has ${variable}`);
        } else target.secrets.push({ name: variable, valueFrom: arn });
    });

    // Key administration
    const adminArn = new RegExp(`^arn:${partition}:iam::${accountId ?? "\\d{12}"}:(role|user)/[\\w+=,.@/-]+$`);
    const keyAdministratorArns = stringList(
        "keyAdministrators",
        adminArn,
        `an IAM role or user ARN of this stack's account in partition ${partition}, e.g. arn:${partition}:iam::${accountId ?? "<account>"}:role/KeyAdmins`,
    );
    const createKeyAdminUser = bool("createKeyAdminUser") ?? false;
    const protectedEnv = role !== undefined && role !== "tool" && PROTECTED_ENVIRONMENTS.includes(role);
    const keyDeletionWindowDays = int("keyDeletionWindowDays", 7, 30, DEFAULTS.keyDeletionWindowDays);
    if (protectedEnv && keyDeletionWindowDays !== 30) {
        problem("keyDeletionWindowDays", keyDeletionWindowDays, `30 in ${role} (the longest window AWS allows)`);
    }
    const logRetentionDays = int("logRetentionDays", 1, 3653, DEFAULTS.logRetentionDays);
    if (!LOG_RETENTION_DAYS.includes(logRetentionDays)) {
        problem("logRetentionDays", logRetentionDays, `one of CloudWatch's periods: ${LOG_RETENTION_DAYS.join(", ")}`);
    }
    const notificationEmails = stringList("notificationEmails", EMAIL, "an email address");

    // Network
    const vpcId = str("vpcId");
    if (vpcId !== undefined && !/^vpc-[0-9a-f]{8,17}$/.test(vpcId)) problem("vpcId", vpcId, "a VPC id (vpc-...)");
    const privateSubnetIds = stringList("privateSubnetIds", SUBNET_ID, "a subnet id (subnet-...)");
    const publicSubnetIds = stringList("publicSubnetIds", SUBNET_ID, "a subnet id (subnet-...)");
    if (vpcId !== undefined && (privateSubnetIds.length < 2 || publicSubnetIds.length < 2)) {
        problem(
            "privateSubnetIds",
            { privateSubnetIds, publicSubnetIds },
            "with vpcId, at least two private and two public subnet ids (two availability zones)",
        );
    }
    if (vpcId === undefined && (privateSubnetIds.length > 0 || publicSubnetIds.length > 0)) {
        problem("vpcId", vpcId, "the VPC of the given privateSubnetIds / publicSubnetIds");
    }
    const vpcCidr = str("vpcCidr") ?? DEFAULTS.vpcCidr;
    if (!/^\d{1,3}(\.\d{1,3}){3}\/(1[6-9]|2[0-4])$/.test(vpcCidr))
        problem("vpcCidr", vpcCidr, "an IPv4 CIDR from /16 to /24");

    // Budget
    let budget: BudgetConfig | undefined;
    const limitText = str("budgetMonthlyLimitUsd");
    if (limitText !== undefined) {
        const monthlyLimitUsd = int("budgetMonthlyLimitUsd", 1, 10_000_000, 0);
        const thresholds = parse("budgetThresholdsPercent") ?? [...DEFAULTS.budgetThresholdsPercent];
        if (
            !Array.isArray(thresholds) ||
            thresholds.length === 0 ||
            thresholds.some((t) => !Number.isInteger(t) || t < 1 || t > 1000)
        ) {
            problem("budgetThresholdsPercent", thresholds, "a list of whole percentages from 1 to 1000");
        }
        if (notificationEmails.length === 0) {
            problem("notificationEmails", [], "at least one email address to receive the budget alerts");
        }
        const billingAccountId = str("budgetBillingAccountId");
        if (billingAccountId !== undefined) {
            if (!ACCOUNT_ID.test(billingAccountId)) {
                problem(
                    "budgetBillingAccountId",
                    billingAccountId,
                    'a 12-digit AWS account id in quotes, e.g. "123456789012"',
                );
            } else if (regionPartition === "aws") {
                problem(
                    "budgetBillingAccountId",
                    billingAccountId,
                    "nothing in the commercial partition: the budget goes to the stack's own account",
                );
            } else if (str("budgetBillingProfile") === undefined) {
                problem(
                    "budgetBillingProfile",
                    undefined,
                    `the credentials profile of standard account ${billingAccountId}: GovCloud credentials cannot reach it`,
                );
            }
        }
        budget = {
            monthlyLimitUsd,
            billingAccountId,
            billingProfile: str("budgetBillingProfile"),
            thresholdsPercent: Array.isArray(thresholds) ? thresholds.map(Number) : [],
            subscriberEmails: notificationEmails,
        };
    }

    const certificateArn = str("certificateArn");
    const certificatePattern = new RegExp(
        `^arn:${partition}:acm:${region ?? "[a-z0-9-]+"}:${accountId ?? "\\d{12}"}:certificate/[0-9a-f-]{36}$`,
    );
    if (certificateArn !== undefined && !certificatePattern.test(certificateArn)) {
        problem(
            "certificateArn",
            certificateArn,
            `an ACM certificate of this stack's account and region, arn:${partition}:acm:${region}:${accountId ?? "<account>"}:certificate/<id>`,
        );
    } else if (certificateArn === undefined && protectedEnv) {
        problem("certificateArn", certificateArn, `an ACM certificate: ${role} serves HTTPS only`);
    }
    const organizationId = str("organizationId");
    if (organizationId !== undefined && !/^o-[a-z0-9]{10,32}$/.test(organizationId)) {
        problem(
            "organizationId",
            organizationId,
            "an AWS Organizations id, o- and 10 to 32 lowercase letters or digits",
        );
    }

    if (problems.length > 0 || !role || !region || !accountId) throw new StackConfigError(stackFile, problems);

    return deepFreeze({
        project,
        stack,
        stackFile,
        role,
        region,
        partition,
        accounts,
        accountId,
        branches,
        requireApproval,
        protectResources: protectedEnv,
        services,
        keyAdministratorArns,
        createKeyAdminUser,
        keyDeletionWindowDays,
        logRetentionDays,
        notificationEmails,
        network: { vpcId, privateSubnetIds, publicSubnetIds, vpcCidr },
        budget,
        defaultTags,
        allowedAccountIds,
        organizationId,
        certificateArn,
        awsProfile: str("aws:profile"),
    });
}

/** Reads the selected stack's config from the Pulumi runtime and validates it. */
export function loadStackConfig(): StackConfig {
    const all = pulumi.runtime.allConfig();
    return validateStackConfig(all, pulumi.getProject(), pulumi.getStack());
}

function deepFreeze<T>(value: T): T {
    if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
        Object.freeze(value);
        for (const v of Object.values(value)) deepFreeze(v);
    }
    return value;
}

function range(from: number, to: number, step: number): number[] {
    const out: number[] = [];
    for (let v = from; v <= to; v += step) out.push(v);
    return out;
}
