import { z } from "zod";
import {
    DEFAULT_ALARM_ERROR_RATE_PERCENT,
    DEFAULT_ALARM_EVALUATION_MINUTES,
    DEFAULT_ALARM_LATENCY_P99_MS,
    DEFAULT_BAKE_TIME_MINUTES,
    DEFAULT_BUDGET_THRESHOLDS_PERCENT,
    DEFAULT_DEPLOYMENT_STRATEGY,
    DEFAULT_CONTAINER_PORT,
    DEFAULT_CPU,
    DEFAULT_DESIRED_COUNT,
    DEFAULT_HEALTH_CHECK_PATH,
    DEFAULT_IMAGE_SCAN_MAX_CRITICAL,
    DEFAULT_IMAGE_SCAN_MAX_HIGH,
    DEFAULT_KEY_DELETION_WINDOW_DAYS,
    DEFAULT_LOG_RETENTION_DAYS,
    DEFAULT_MEMORY,
    DEFAULT_PEOPLE_IDENTITY_SOURCE,
    DEFAULT_VPC_CIDR,
    MAX_KEY_DELETION_WINDOW_DAYS,
    MIN_KEY_DELETION_WINDOW_DAYS,
} from "./defaults";
import { ENVIRONMENTS, EnvironmentName, environmentsWhere } from "./environments";
import { isIpv4Cidr, isNetworkAddress, parseIpv4Cidr } from "./ipv4";
import { PARTITIONS, partitionOfRegion, REGIONS } from "./regions";

/**
 * The stack config schema: every key the program reads, with its type, default, scope, checks (zod) and
 * description. Pulumi.yaml's `config:` block and the config table of docs/configuration.md are generated from it
 * (`npm run config:docs`; a test fails when they drift).
 */

export { ENVIRONMENTS, type EnvironmentName };
export type StackRole = "tool" | EnvironmentName;
export const STACK_ROLES: readonly StackRole[] = ["tool", ...ENVIRONMENTS];
/** Environments whose pipeline must stop at a manual approval before deploying. */
export const APPROVAL_REQUIRED: readonly EnvironmentName[] = environmentsWhere((t) => t.approvalRequired);
/** Environments whose data-bearing resources are protected and retained on destroy. */
export const PROTECTED_ENVIRONMENTS: readonly EnvironmentName[] = environmentsWhere((t) => t.protectedData);
export const REQUIRED_TAGS = ["Project", "Environment", "CostCenter", "Owner", "ManagedBy"] as const;
/** Where people sign in to the person roles; none creates no person role. */
export const PEOPLE_IDENTITY_SOURCES = ["saml", "identity-center", "none"] as const;
export type PeopleIdentitySource = (typeof PEOPLE_IDENTITY_SOURCES)[number];

/**
 * Where a service runs (its `target` in `services`): each a value here and a target of its own under targets/
 * (targets/fargate/, targets/lambda/).
 */
export const DEPLOY_TARGETS = ["fargate", "lambda"] as const;
export type DeployTargetName = (typeof DEPLOY_TARGETS)[number];
export const DEFAULT_DEPLOY_TARGET: DeployTargetName = "fargate";

/**
 * How a deploy moves traffic to the new revision (deploymentStrategy): blueGreen starts the new revision beside the
 * old, shifts all traffic, bakes with the service's alarms as rollback triggers, then stops the old; rolling
 * replaces the tasks at once (allowed only where ROLLING_ALLOWED says).
 */
export const DEPLOYMENT_STRATEGIES = ["blueGreen", "rolling"] as const;
export type DeploymentStrategy = (typeof DEPLOYMENT_STRATEGIES)[number];
/** Environments that may deploy all at once (rolling); every other environment shifts gradually. */
export const ROLLING_ALLOWED: readonly EnvironmentName[] = ["dev"];
/** Longest bake ECS allows (DeploymentConfiguration BakeTimeInMinutes, 0-1440). */
export const MAX_BAKE_TIME_MINUTES = 1440;

/** CloudWatch Logs accepts only these retention periods (PutRetentionPolicy, retentionInDays). */
export const LOG_RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/**
 * Fargate CPU units and the memory sizes (MiB) each allows; 8 and 16 vCPU need platform 1.4.0 (the latest).
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
 */
export const FARGATE_SIZES: Readonly<Record<number, readonly number[]>> = {
    256: [512, 1024, 2048],
    512: [1024, 2048, 3072, 4096],
    1024: [2048, 3072, 4096, 5120, 6144, 7168, 8192],
    2048: range(4096, 16384, 1024),
    4096: range(8192, 30720, 1024),
    8192: range(16384, 61440, 4096),
    16384: range(32768, 122880, 8192),
};

/** A service name: it names ECS services, load balancers (32 characters), ECR and CodeCommit repositories. */
export const SERVICE_NAME = /^(?!internal-)[a-z](?:[a-z0-9]|-(?!-)){1,30}[a-z0-9]$/;
/**
 * Load balancers and target groups are named `<first 23 characters of the service>-<8 hex characters of a hash>`
 * (replacementSafeName in targets/fargate/service.ts: the hash covers the service and what replaces the resource,
 * so a replacement gets a new name). Two services that share their first 23 characters get names that differ only
 * in the hash.
 */
export const ELB_NAME_PREFIX_LENGTH = 23;
/** An environment variable a service secret sets (ECS secrets[].name; PORT is the task definition's own). */
export const SECRET_VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const SECURITY_GROUP_ID = /^sg-[0-9a-f]{8,17}$/;
/** Ports a container may listen on: non-privileged, as the container does not run as root. */
export const CONTAINER_PORTS = { min: 1024, max: 65535 } as const;

/** Whether `port` is one a container may listen on (CONTAINER_PORTS). */
export function isContainerPort(port: number): boolean {
    return Number.isInteger(port) && port >= CONTAINER_PORTS.min && port <= CONTAINER_PORTS.max;
}
/** A URL path for health checks. */
export const URL_PATH = /^\/[\w./-]*$/;
/**
 * An email address SNS and AWS Budgets accept: ASCII, one `@`, dot-separated atoms, no display name.
 */
export const EMAIL =
    /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;
const ACCOUNT_ID = /^\d{12}$/;
/** The standard (commercial) partition: where AWS Budgets, and the billing of a GovCloud account, live. */
export const STANDARD_PARTITION = "aws";
const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
/**
 * IAM accepts tag keys and values of letters, digits, spaces and `_ . : / = + - @` only (keys 1-128 characters,
 * values up to 256): https://docs.aws.amazon.com/IAM/latest/UserGuide/id_tags.html#id_tags_rules_creating
 */
const IAM_TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
/** AWS Budgets allows 10 notifications per budget and 10 email subscribers per notification (API reference). */
export const BUDGET_MAX_NOTIFICATIONS = 10;
export const BUDGET_MAX_EMAIL_SUBSCRIBERS = 10;
/** Each threshold makes two notifications, on the actual spend and on the forecast. */
export const BUDGET_NOTIFICATIONS_PER_THRESHOLD = 2;

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
 * What the offline plan hands the program for a secure value it cannot decrypt (a secrets provider other than the
 * passphrase, e.g. awskms://, or no passphrase), whole or as a list item. Where the key may be secret it is accepted
 * unchecked; the CLI always decrypts, so the program never gets it from the engine.
 */
export const UNDECRYPTED_SECRET = "[undecrypted secret]";

// ---- expectations (the text after "expected") ----

const ACCOUNT_EXPECTED = 'a 12-digit AWS account id in quotes, e.g. "123456789012"';
const BRANCH_EXPECTED = "a valid git branch name (no spaces, ~ ^ : ? * [ \\ or ..)";
const SERVICE_EXPECTED = "3-32 lowercase letters, digits or hyphens, starting with a letter";
const SUBNET_EXPECTED = "a subnet id (subnet-...)";
const EMAIL_EXPECTED = "an email address such as team@example.gov (ASCII, no display name or angle brackets)";

// ---- small schema builders ----

const text = (expected: string) => z.string({ error: expected });
const pattern = (re: RegExp, expected: string) => text(expected).regex(re, expected);
const wholeNumber = (min: number, max: number, expected = `a whole number from ${min} to ${max}`) =>
    z.number({ error: expected }).int(expected).min(min, expected).max(max, expected);
const bool = () => z.boolean({ error: "true or false" });
const list = <T extends z.ZodType>(item: T, expected: string) => z.array(item, { error: expected });

/** Flags every item equal to an earlier one. */
function unique<T>(expected: (value: T) => string) {
    return (items: readonly T[], ctx: z.RefinementCtx) => {
        items.forEach((item, i) => {
            if (items.slice(0, i).some((x) => JSON.stringify(x) === JSON.stringify(item))) {
                ctx.addIssue({ code: "custom", message: expected(item), path: [i] });
            }
        });
    };
}

function serviceName(name: string, ctx: z.RefinementCtx): void {
    if (name.startsWith("internal-")) {
        ctx.addIssue({ code: "custom", message: "a name not starting with internal- (load balancer names may not)" });
    } else if (name.includes("--")) {
        ctx.addIssue({
            code: "custom",
            message: "no two hyphens in a row (ECR repository names allow one separator between letters or digits)",
        });
    } else if (!SERVICE_NAME.test(name)) ctx.addIssue({ code: "custom", message: SERVICE_EXPECTED });
}

/** Services whose load balancer and target group names would differ only in their hash (ELB_NAME_PREFIX_LENGTH). */
function elbNamesDistinct(names: readonly string[], ctx: z.RefinementCtx): void {
    names.forEach((name, i) => {
        const prefix = name.slice(0, ELB_NAME_PREFIX_LENGTH);
        const other = names.findIndex((x, j) => j < i && x !== name && x.slice(0, ELB_NAME_PREFIX_LENGTH) === prefix);
        if (other >= 0) {
            ctx.addIssue({
                code: "custom",
                path: [i],
                message:
                    `a name whose first ${ELB_NAME_PREFIX_LENGTH} characters differ from services[${other}] (${names[other]}): ` +
                    `load balancers and target groups are named <first ${ELB_NAME_PREFIX_LENGTH} characters of the service>-<8-character hash>, ` +
                    `so both services' would be ${prefix}-<hash>, told apart only by the hash in the console, alarms and logs`,
            });
        }
    });
}

function branchName(name: string, ctx: z.RefinementCtx): void {
    if (name.startsWith("refs/")) {
        ctx.addIssue({
            code: "custom",
            message: `a branch name without refs/heads/, e.g. "${name.replace(/^refs\/(heads\/)?/, "")}" (the push rule matches the short name)`,
        });
    } else if (!isValidBranchName(name)) ctx.addIssue({ code: "custom", message: BRANCH_EXPECTED });
}

/**
 * A VPC CIDR AWS accepts for the created VPC: a network address, /16 to /24 here (two public and two private
 * subnets), outside the ranges AWS reserves
 * (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html).
 */
function vpcCidr(cidr: string, ctx: z.RefinementCtx): void {
    const parsed = parseIpv4Cidr(cidr);
    if (!parsed || parsed.prefix < 16 || parsed.prefix > 24) {
        ctx.addIssue({ code: "custom", message: "an IPv4 CIDR from /16 to /24, four numbers 0-255, e.g. 10.0.0.0/16" });
        return;
    }
    const { address, prefix } = parsed;
    if (!isNetworkAddress(address, prefix)) {
        const network = address - (address % 2 ** (32 - prefix));
        const ip = [24, 16, 8, 0].map((s) => Math.floor(network / 2 ** s) % 256).join(".");
        ctx.addIssue({ code: "custom", message: `the network address ${ip}/${prefix} (the host bits must be 0)` });
        return;
    }
    const reserved = RESERVED_RANGES.find(([, base, bits]) => Math.floor(address / 2 ** (32 - bits)) === base);
    if (reserved) ctx.addIssue({ code: "custom", message: `a range outside ${reserved[0]} (AWS does not allow it)` });
}
const RESERVED_RANGES: readonly [string, number, number][] = [
    ["0.0.0.0/8 (this network)", 0, 8],
    ["127.0.0.0/8 (loopback)", 127, 8],
    ["169.254.0.0/16 (link-local)", 169 * 256 + 254, 16],
    ["224.0.0.0/4 (multicast)", 14, 4],
    ["240.0.0.0/4 (reserved)", 15, 4],
];

function tagsOf(value: Record<string, string>, ctx: z.RefinementCtx): void {
    for (const [key, v] of Object.entries(value)) {
        if (key.length < 1 || key.length > 128 || !IAM_TAG_TEXT.test(key) || key.toLowerCase().startsWith("aws:")) {
            ctx.addIssue({
                code: "custom",
                path: [key],
                message: "a tag key of 1-128 letters, digits, spaces or _ . : / = + - @, not starting with aws:",
            });
        } else if (v.length > 256 || !IAM_TAG_TEXT.test(v)) {
            ctx.addIssue({
                code: "custom",
                path: [key],
                message:
                    "a tag value of letters, digits, spaces and _ . : / = + - @ only, at most 256 (IAM refuses others, so every role would fail)",
            });
        }
    }
    for (const tag of REQUIRED_TAGS) {
        if (typeof value[tag] !== "string" || value[tag].trim() === "") {
            ctx.addIssue({
                code: "custom",
                path: [tag],
                message: "a non-empty tag value (cost and ownership tracking)",
            });
        }
    }
}

// ---- services and their settings ----

const SERVICE_ENTRY_EXPECTED = `a service name, or { name, target } with target one of ${DEPLOY_TARGETS.join(", ")}`;
const SERVICE_SETTINGS_EXPECTED =
    "settings by service name, { <service>: { secrets: { <VARIABLE>: <secret ARN> }, secretKeys: [<KMS key ARN>], egress: [{ port, cidr or securityGroupId }] } }";

/** A service of `services` as written: its name, or an object with its name and (optionally) its target. */
export type ServiceEntry = string | { readonly name: string; readonly target?: DeployTargetName };

export function serviceEntryName(entry: ServiceEntry): string {
    return typeof entry === "string" ? entry : entry.name;
}

/**
 * An object of exactly `shape`'s properties. Another property is refused with the ones allowed (validateStackConfig
 * reports it at the property's own path).
 */
function exactObject<S extends z.ZodRawShape>(shape: S, expected: string) {
    const allowed = Object.keys(shape).join(", ");
    return z.strictObject(shape, {
        error: (issue) => (issue.code === "unrecognized_keys" ? `one of the properties ${allowed}` : expected),
    });
}

/** Each issue at the path of what it is about: an unknown property's issue at that property. */
export function issuesByPath(issues: readonly z.core.$ZodIssue[]): { path: PropertyKey[]; message: string }[] {
    return issues.flatMap((issue) =>
        issue.code === "unrecognized_keys"
            ? issue.keys.map((k) => ({ path: [...issue.path, k], message: issue.message }))
            : [{ path: [...issue.path], message: issue.message }],
    );
}

/**
 * A name, or { name, target }. Checked by hand rather than as a zod union, whose single "invalid input" would
 * hide which part of the entry is wrong.
 */
function serviceEntry() {
    const asObject = exactObject(
        {
            name: text(SERVICE_EXPECTED).superRefine(serviceName),
            target: z
                .enum(DEPLOY_TARGETS, { error: `one of ${DEPLOY_TARGETS.join(", ")} (the deploy targets)` })
                .optional(),
        },
        SERVICE_ENTRY_EXPECTED,
    );
    return z.custom<ServiceEntry>().superRefine((entry, ctx) => {
        if (typeof entry === "string") return serviceName(entry, ctx);
        if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
            ctx.addIssue({ code: "custom", message: SERVICE_ENTRY_EXPECTED });
            return;
        }
        const result = asObject.safeParse(entry);
        for (const { path, message } of issuesByPath(result.error?.issues ?? [])) {
            ctx.addIssue({ code: "custom", path, message });
        }
    });
}

/** One outbound connection: a TCP port and exactly one of an IPv4 CIDR and a security group id. */
function egressSchema() {
    const expected = "{ port, cidr } or { port, securityGroupId }";
    return exactObject(
        {
            port: wholeNumber(1, 65535, "a TCP port from 1 to 65535"),
            cidr: text("an IPv4 CIDR, e.g. 10.0.0.0/16")
                .refine(isIpv4Cidr, "an IPv4 CIDR, e.g. 10.0.0.0/16 (four numbers 0-255, host bits 0)")
                .optional(),
            securityGroupId: pattern(SECURITY_GROUP_ID, "a security group id (sg-...) of the services' VPC").optional(),
        },
        expected,
    ).superRefine((egress, ctx) => {
        if ((egress.cidr === undefined) === (egress.securityGroupId === undefined)) {
            ctx.addIssue({ code: "custom", message: `exactly one of cidr and securityGroupId: ${expected}` });
        }
    });
}

/** The settings of one service; the ARNs' account and region are checked with the other keys (configRules.ts). */
function serviceSettingsSchema() {
    return exactObject(
        {
            secrets: z
                .record(z.string(), text("a Secrets Manager secret ARN"), {
                    error: "environment variables and their secret ARNs, { <VARIABLE>: <secret ARN> }",
                })
                .superRefine((secrets, ctx) => {
                    for (const variable of Object.keys(secrets)) {
                        const message = !SECRET_VARIABLE.test(variable)
                            ? "an environment variable name: letters, digits and _, not starting with a digit"
                            : variable === "PORT"
                              ? "a variable other than PORT (the task definition sets PORT to containerPort)"
                              : undefined;
                        if (message) ctx.addIssue({ code: "custom", path: [variable], message });
                    }
                })
                .optional(),
            secretKeys: list(text("a KMS key ARN"), "a list of KMS key ARNs")
                .superRefine(unique(() => "a key listed once"))
                .optional(),
            egress: list(egressSchema(), "a list of { port, cidr } or { port, securityGroupId }")
                .superRefine(unique(() => "a connection listed once"))
                .optional(),
        },
        SERVICE_SETTINGS_EXPECTED,
    );
}

// ---- the keys ----

export type PulumiType =
    | "string"
    | "integer"
    | "boolean"
    | "array<string>"
    | "array<integer>"
    | "object"
    /** A list whose items are strings or objects: Pulumi.yaml cannot type it (a project type has one item type). */
    | "array<string|object>";

/** Where a key's value is stated. */
export type KeyScope =
    /** In every stack file (required unless it has a default). */
    | "stack"
    /** Once, in Pulumi.yaml's `config:` as a `value:` the CLI applies to every stack; stack files may not set it. */
    | "project";

export interface ConfigKey {
    /** The key as written in a stack file: without the project namespace, or `aws:...`. */
    readonly key: string;
    readonly type: PulumiType;
    readonly scope: KeyScope;
    /** Required: no stack may lack it (typed without a default in Pulumi.yaml, or a project value). */
    readonly required: boolean;
    /** Default applied by the CLI from Pulumi.yaml (`default:`). */
    readonly default?: unknown;
    readonly description: string;
    /** The checks of one value, decoded from the CLI's text. */
    readonly schema: z.ZodType;
    /** Stateful resources a change of this key replaces or deletes (the plan lists them per stack). */
    readonly replaces?: string;
    /**
     * May be set with `pulumi config set --secret`: validated on its plaintext and handed to resources as a secret
     * output. Only keys that never reach a resource name, ARN or id (Pulumi keeps those in plain text in the state).
     */
    readonly secretAllowed?: boolean;
}

const key = (k: ConfigKey) => k;
const accountKey = (role: StackRole, what: string) =>
    key({
        key: `${role}AccountId`,
        type: "string",
        scope: "project",
        required: true,
        description: `12-digit id of the ${role} account${what}. Quote it.`,
        schema: pattern(ACCOUNT_ID, ACCOUNT_EXPECTED),
        replaces: `every resource of the ${role} stack (another account), and the cross-account grants naming it`,
    });
const branchKey = (env: EnvironmentName, what: string) =>
    key({
        key: `${env}Branch`,
        type: "string",
        scope: "project",
        required: true,
        description: `Branch whose pushes start the ${env} pipeline${what}.`,
        schema: text(BRANCH_EXPECTED).superRefine(branchName),
    });

/** Every key, in the order problems are reported. */
export const CONFIG_KEYS: readonly ConfigKey[] = [
    key({
        key: "environment",
        type: "string",
        scope: "stack",
        required: true,
        description: "Which account this stack manages, one of tool, dev, qa, stage, prod.",
        schema: z.enum(STACK_ROLES as [StackRole, ...StackRole[]], { error: `one of ${STACK_ROLES.join(", ")}` }),
        replaces: "every resource of the stack (another role)",
    }),
    key({
        key: "aws:region",
        type: "string",
        scope: "stack",
        required: true,
        description: "Region of the stack; its partition (aws or aws-us-gov) decides every ARN.",
        schema: text("an AWS region, e.g. us-gov-west-1 or us-east-1").refine(
            (r) => partitionOfRegion(r) !== undefined,
            "a region of the commercial (aws) or GovCloud (aws-us-gov) partition",
        ),
        replaces: "every resource of the stack (a new region): artifact bucket, key, ECR repositories, log groups",
    }),
    key({
        key: "partition",
        type: "string",
        scope: "stack",
        required: false,
        description: "aws or aws-us-gov; derived from aws:region; when set it must match the region.",
        schema: z.enum(PARTITIONS as [string, ...string[]], { error: '"aws" or "aws-us-gov"' }),
    }),
    accountKey("tool", " (CodeCommit repositories, source roles)"),
    accountKey("dev", ""),
    accountKey("qa", ""),
    accountKey("stage", ""),
    accountKey("prod", ""),
    key({
        key: "aws:allowedAccountIds",
        type: "array<string>",
        scope: "stack",
        required: true,
        description: "Exactly this stack's own account id: the provider refuses to touch any other account.",
        schema: list(pattern(ACCOUNT_ID, ACCOUNT_EXPECTED), "a list holding this stack's own account id"),
    }),
    key({
        key: "aws:defaultTags",
        type: "object",
        scope: "stack",
        required: true,
        description: `{ tags: { ${REQUIRED_TAGS.join(", ")} } } on every resource (cost per account); IAM tag characters only.`,
        schema: z.object(
            {
                tags: z
                    .record(z.string(), z.string({ error: "a tag value in quotes" }), {
                        error: `{ ${REQUIRED_TAGS.join(", ")} }`,
                    })
                    .superRefine(tagsOf),
            },
            { error: `{ tags: { ${REQUIRED_TAGS.join(", ")} } }` },
        ),
    }),
    key({
        key: "aws:profile",
        type: "string",
        scope: "stack",
        required: false,
        description: "Shared-config profile of the stack's provider.",
        schema: text("a profile name"),
    }),
    key({
        key: "organizationId",
        type: "string",
        scope: "project",
        required: false,
        description:
            "AWS Organizations id (o-...) of the five accounts; the tool account's source roles then also require aws:PrincipalOrgID.",
        schema: pattern(/^o-[a-z0-9]{10,32}$/, "an AWS Organizations id, o- and 10 to 32 lowercase letters or digits"),
    }),
    branchKey("dev", ""),
    branchKey("qa", " (promotes the image that passed dev)"),
    branchKey("stage", " (promotes the image that passed qa)"),
    branchKey("prod", " (promotes the image that passed stage)"),
    key({
        key: "requireApproval",
        type: "boolean",
        scope: "stack",
        required: false,
        description: "Manual approval before deploy: always on in stage and prod, off by default in dev and qa.",
        schema: bool(),
    }),
    key({
        key: "services",
        type: "array<string|object>",
        scope: "project",
        required: true,
        description: `The NodeJS services: each gets a CodeCommit repository (tool) and a pipeline, ECR repository, load balancer and deploy target (environments). Each a name (lowercase letters, digits and single hyphens) or { name, target }; target is where it runs: ${DEPLOY_TARGETS.join(", ")} (fargate is the default).`,
        schema: list(serviceEntry(), "a list of at least one service name, e.g. [orders-api]")
            .min(1, "a list of at least one service name, e.g. [orders-api]")
            .superRefine((entries, ctx) => {
                const names = entries.map(serviceEntryName);
                if (names.some((name) => typeof name !== "string")) return; // the entries' own problems
                unique(() => "a name no other service in the list uses")(names, ctx);
                elbNamesDistinct(names, ctx);
            }),
        replaces:
            "a removed service: its CodeCommit repository (tool), ECR repository and images, log groups, load balancer, pipeline and test reports",
    }),
    key({
        key: "existingRepositories",
        type: "array<string>",
        scope: "stack",
        required: false,
        default: [],
        description:
            "Services whose CodeCommit repository (named as the service) already exists in the tool account: the tool stack refers to it by name and creates none (AWS closed CreateRepository to new customers in July 2024). To bring one under management instead, see the pulumi import step of docs/runbook.md.",
        schema: list(
            text(SERVICE_EXPECTED).superRefine(serviceName),
            "a list of service names, e.g. [orders-api]",
        ).superRefine(unique(() => "a service listed once")),
    }),
    key({
        key: "containerPort",
        type: "integer",
        scope: "stack",
        required: false,
        default: DEFAULT_CONTAINER_PORT,
        description:
            "Port the service container listens on (the task definition sets PORT to it); a change reaches a running service with its next deploy.",
        schema: wholeNumber(CONTAINER_PORTS.min, CONTAINER_PORTS.max),
    }),
    key({
        key: "taskCpu",
        type: "integer",
        scope: "stack",
        required: false,
        default: DEFAULT_CPU,
        description: `Fargate task CPU units (${Object.keys(FARGATE_SIZES).join(", ")}).`,
        schema: z
            .number({ error: "a Fargate CPU size" })
            .refine(
                (cpu) => FARGATE_SIZES[cpu] !== undefined,
                `a Fargate CPU size: ${Object.keys(FARGATE_SIZES).join(", ")}`,
            ),
    }),
    key({
        key: "taskMemory",
        type: "integer",
        scope: "stack",
        required: false,
        default: DEFAULT_MEMORY,
        description: "Fargate task memory in MiB; must be valid for taskCpu.",
        schema: wholeNumber(512, 122880),
    }),
    key({
        key: "desiredCount",
        type: "integer",
        scope: "stack",
        required: false,
        default: DEFAULT_DESIRED_COUNT,
        description: "Running tasks per service once an image has been deployed.",
        schema: wholeNumber(0, 100),
    }),
    key({
        key: "healthCheckPath",
        type: "string",
        scope: "stack",
        required: false,
        default: DEFAULT_HEALTH_CHECK_PATH,
        description: "HTTP path the load balancer health check requests.",
        schema: pattern(URL_PATH, 'a URL path starting with "/"'),
    }),
    key({
        key: "serviceSettings",
        type: "object",
        scope: "stack",
        required: false,
        description:
            "Settings of the services in this account, by service name: { <service>: { secrets: { <VARIABLE>: <secret ARN> }, secretKeys: [<KMS key ARN>], egress: [{ port, cidr or securityGroupId }] } }. secrets: Secrets Manager secrets ECS injects as environment variables (an ARN of this account and region, optionally ending :json-key:version-stage:version-id); secretKeys: the customer-managed KMS keys of those secrets, which the task execution role may use only through Secrets Manager; egress: outbound TCP connections of the tasks to an IPv4 CIDR or a security group (HTTPS to anywhere is always allowed).",
        schema: z
            .record(z.string(), serviceSettingsSchema(), { error: SERVICE_SETTINGS_EXPECTED })
            .superRefine((settings, ctx) => {
                for (const name of Object.keys(settings)) {
                    if (!SERVICE_NAME.test(name))
                        ctx.addIssue({ code: "custom", path: [name], message: SERVICE_EXPECTED });
                }
            }),
    }),
    key({
        key: "fipsEndpoints",
        type: "boolean",
        scope: "stack",
        required: false,
        description:
            "AWS CLI calls of the pipeline's builds use FIPS 140 endpoints (AWS_USE_FIPS_ENDPOINT); on by default in aws-us-gov, off in aws.",
        schema: bool(),
    }),
    key({
        key: "imageScanMaxCritical",
        type: "integer",
        scope: "stack",
        required: false,
        default: DEFAULT_IMAGE_SCAN_MAX_CRITICAL,
        description: "CRITICAL findings of an image that the scan gate of this environment allows.",
        schema: wholeNumber(0, 10000),
    }),
    key({
        key: "imageScanMaxHigh",
        type: "integer",
        scope: "stack",
        required: false,
        default: DEFAULT_IMAGE_SCAN_MAX_HIGH,
        description:
            "HIGH findings of an image that the scan gate of this environment allows (raise it in dev while base images catch up; keep it low in prod).",
        schema: wholeNumber(0, 10000),
    }),
    key({
        key: "keyAdministrators",
        type: "array<string>",
        scope: "stack",
        required: false,
        default: [],
        description: "IAM role or user ARNs of this account that administer (but cannot use) the artifact key.",
        schema: list(text("an IAM role or user ARN"), "a list of IAM role or user ARNs"),
    }),
    key({
        key: "createKeyAdminUser",
        type: "boolean",
        scope: "stack",
        required: false,
        default: false,
        description: "Create an IAM user, without access keys, that may only administer the artifact key.",
        schema: bool(),
    }),
    key({
        key: "keyDeletionWindowDays",
        type: "integer",
        scope: "stack",
        required: false,
        default: DEFAULT_KEY_DELETION_WINDOW_DAYS,
        description: "Days before a deleted artifact key is destroyed, 7 to 30 (always 30 in stage and prod).",
        schema: wholeNumber(MIN_KEY_DELETION_WINDOW_DAYS, MAX_KEY_DELETION_WINDOW_DAYS),
    }),
    key({
        key: "logRetentionDays",
        type: "integer",
        scope: "stack",
        required: false,
        default: DEFAULT_LOG_RETENTION_DAYS,
        description: "Retention of build and service logs; one of CloudWatch Logs' periods.",
        schema: z
            .number({ error: "a whole number of days" })
            .refine(
                (d) => LOG_RETENTION_DAYS.includes(d),
                `one of CloudWatch's periods: ${LOG_RETENTION_DAYS.join(", ")}`,
            ),
    }),
    key({
        key: "notificationEmails",
        type: "array<string>",
        scope: "stack",
        required: false,
        default: [],
        description:
            "Email addresses subscribed to pipeline failures, approval requests and budget alerts; may be set with --secret.",
        schema: list(pattern(EMAIL, EMAIL_EXPECTED), "a list of email addresses").superRefine(
            unique(() => "an address listed once (a second subscription of the same address collides)"),
        ),
        secretAllowed: true,
    }),
    key({
        key: "certificateArn",
        type: "string",
        scope: "stack",
        required: false,
        description:
            "ACM certificate (this account and region) of the load balancers: HTTPS on 443, HTTP redirected. Required in stage and prod; without it (dev, qa) plain HTTP.",
        schema: text("an ACM certificate ARN"),
    }),
    key({
        key: "vpcId",
        type: "string",
        scope: "stack",
        required: false,
        description: "An existing VPC for the services; when absent a two-zone VPC is created with vpcCidr.",
        schema: pattern(/^vpc-[0-9a-f]{8,17}$/, "a VPC id (vpc-...)"),
        replaces: "the load balancers, security groups and services (they move to the other VPC)",
    }),
    key({
        key: "privateSubnetIds",
        type: "array<string>",
        scope: "stack",
        required: false,
        default: [],
        description: "With vpcId, private subnets (two zones at least) for the tasks.",
        schema: list(pattern(SUBNET_ID, SUBNET_EXPECTED), "a list of subnet ids").superRefine(
            unique((id) => `a subnet listed once (${id} is already in the list; two zones need two subnets)`),
        ),
    }),
    key({
        key: "publicSubnetIds",
        type: "array<string>",
        scope: "stack",
        required: false,
        default: [],
        description: "With vpcId, public subnets (two zones at least) for the load balancers.",
        schema: list(pattern(SUBNET_ID, SUBNET_EXPECTED), "a list of subnet ids").superRefine(
            unique((id) => `a subnet listed once (${id} is already in the list; an ALB needs two zones)`),
        ),
        replaces: "the load balancers",
    }),
    key({
        key: "vpcCidr",
        type: "string",
        scope: "stack",
        required: false,
        default: DEFAULT_VPC_CIDR,
        description: "CIDR of the VPC created when vpcId is absent (/16 to /24).",
        schema: text("an IPv4 CIDR from /16 to /24").superRefine(vpcCidr),
        replaces: "the created VPC, its subnets and gateways, the load balancers and services",
    }),
    key({
        key: "budgetMonthlyLimitUsd",
        type: "integer",
        scope: "stack",
        required: false,
        description: "Monthly cost budget of the account in USD; no budget when absent.",
        schema: wholeNumber(1, 10_000_000),
    }),
    key({
        key: "budgetThresholdsPercent",
        type: "array<integer>",
        scope: "stack",
        required: false,
        default: DEFAULT_BUDGET_THRESHOLDS_PERCENT,
        description: `Percentages of the budget at which notificationEmails are alerted (actual and forecast; at most ${BUDGET_MAX_NOTIFICATIONS / BUDGET_NOTIFICATIONS_PER_THRESHOLD}).`,
        schema: list(
            wholeNumber(1, 1000, "a whole percentage from 1 to 1000"),
            "a list of whole percentages from 1 to 1000",
        )
            .min(1, "a list of whole percentages from 1 to 1000")
            .max(
                BUDGET_MAX_NOTIFICATIONS / BUDGET_NOTIFICATIONS_PER_THRESHOLD,
                `at most ${BUDGET_MAX_NOTIFICATIONS / BUDGET_NOTIFICATIONS_PER_THRESHOLD} thresholds: each makes two notifications (actual, forecasted) and AWS Budgets allows ${BUDGET_MAX_NOTIFICATIONS} per budget`,
            )
            .superRefine(unique(() => "a threshold listed once")),
    }),
    key({
        key: "budgetBillingAccountId",
        type: "string",
        scope: "stack",
        required: false,
        description:
            "GovCloud only: the standard (commercial) account paired with this account, which holds its billing (AWS Budgets does not exist in GovCloud).",
        schema: pattern(ACCOUNT_ID, ACCOUNT_EXPECTED),
        replaces: "the budget (it moves to the other account)",
    }),
    key({
        key: "budgetBillingProfile",
        type: "string",
        scope: "stack",
        required: false,
        description:
            "GovCloud only, with budgetBillingAccountId (or budgetBillingRoleArn instead): shared-config profile with credentials for the paired standard account (a workstation; a CI runner has no profiles).",
        schema: text("a profile name"),
    }),
    key({
        key: "budgetBillingRoleArn",
        type: "string",
        scope: "stack",
        required: false,
        description: `GovCloud only, with budgetBillingAccountId (or budgetBillingProfile instead): IAM role of the paired standard account that the budget's provider assumes, arn:${STANDARD_PARTITION}:iam::<budgetBillingAccountId>:role/<name> (docs/runbook.md: its trust).`,
        schema: text("an IAM role ARN of the paired standard account"),
    }),
    key({
        key: "budgetBillingWebIdentityTokenFile",
        type: "string",
        scope: "stack",
        required: false,
        description:
            "With budgetBillingRoleArn: file (relative to the project root) with an OIDC token the role trusts, e.g. the GitHub token the workflow writes; the provider then calls AssumeRoleWithWebIdentity. Without it, AssumeRole from the default credentials (which must then be commercial: give the stack's own provider aws:profile).",
        schema: pattern(
            /^(?!\/)(?!.*(^|\/)\.\.(\/|$))[\w.\/-]+$/,
            "a path relative to the project root, without .., e.g. .budget-billing/web-identity-token",
        ),
    }),
    key({
        key: "budgetBillingPreviewRoleArn",
        type: "string",
        scope: "stack",
        required: false,
        description: `With budgetBillingWebIdentityTokenFile: a read-only role of the paired standard account, arn:${STANDARD_PARTITION}:iam::<budgetBillingAccountId>:role/<name>, that the budget's provider assumes instead during a preview, so pull requests never get the role that writes budgets (docs/runbook.md: the trust and permissions of each).`,
        schema: text("an IAM role ARN of the paired standard account"),
    }),
    key({
        key: "budgetBillingExternalId",
        type: "string",
        scope: "stack",
        required: false,
        description:
            "With budgetBillingRoleArn and AssumeRole: the external id the role's trust requires; may be set with --secret.",
        schema: pattern(/^[\w+=,.@:\/-]{2,1224}$/, "2 to 1224 letters, digits or _ + = , . @ : / -"),
        secretAllowed: true,
    }),
    key({
        key: "budgetBillingSessionName",
        type: "string",
        scope: "stack",
        required: false,
        description:
            "With budgetBillingRoleArn: the role session name (CloudTrail of the paired account shows it); default cicd-<stack>-budget.",
        schema: pattern(/^[\w+=,.@-]{2,64}$/, "2 to 64 letters, digits or _ + = , . @ -"),
    }),
    key({
        key: "peopleIdentitySource",
        type: "string",
        scope: "stack",
        required: false,
        default: DEFAULT_PEOPLE_IDENTITY_SOURCE,
        description:
            "Where people sign in to the account's person roles (developer, operator, auditor, break-glass; docs/access.md): saml (an IAM SAML provider of the account, peopleSamlProviderArn), identity-center (IAM Identity Center permission sets cicd-<role>), or none (no person roles).",
        schema: z.enum(PEOPLE_IDENTITY_SOURCES as unknown as [string, ...string[]], {
            error: PEOPLE_IDENTITY_SOURCES.join(", "),
        }),
    }),
    key({
        key: "peopleSamlProviderArn",
        type: "string",
        scope: "stack",
        required: false,
        description:
            "With peopleIdentitySource saml: the IAM SAML provider of this account that the person roles trust (arn:<partition>:iam::<account>:saml-provider/<name>).",
        schema: text("an IAM SAML provider ARN"),
    }),
    key({
        key: "breakGlassUserArns",
        type: "array<string>",
        scope: "stack",
        required: false,
        default: [],
        description:
            "Environment accounts: IAM users (any account of the partition) that may assume the break-glass role, with MFA, for one hour; each use alerts the notification topic. None: no break-glass role.",
        schema: list(text("an IAM user ARN"), "a list of IAM user ARNs").superRefine(
            unique(() => "a user listed once"),
        ),
    }),
    key({
        key: "deploymentStrategy",
        type: "string",
        scope: "stack",
        required: false,
        default: DEFAULT_DEPLOYMENT_STRATEGY,
        description: `How a deploy reaches the service: blueGreen (ECS blue/green: the new revision beside the old, traffic shifted, baked with the service's alarms as rollback triggers) or rolling (all at once; ${ROLLING_ALLOWED.join(", ")} only).`,
        schema: z.enum(DEPLOYMENT_STRATEGIES as unknown as [string, ...string[]], {
            error: DEPLOYMENT_STRATEGIES.join(", "),
        }),
    }),
    key({
        key: "bakeTimeMinutes",
        type: "integer",
        scope: "stack",
        required: false,
        default: DEFAULT_BAKE_TIME_MINUTES,
        description: `With blueGreen: minutes the new revision serves all traffic, watched by the alarms, before the old revision is stopped (1 to ${MAX_BAKE_TIME_MINUTES}).`,
        schema: wholeNumber(1, MAX_BAKE_TIME_MINUTES),
    }),
    key({
        key: "alarmErrorRatePercent",
        type: "integer",
        scope: "stack",
        required: false,
        default: DEFAULT_ALARM_ERROR_RATE_PERCENT,
        description: "Share of a service's requests answered 5xx (percent, 1 to 100) that trips its error alarm.",
        schema: wholeNumber(1, 100),
    }),
    key({
        key: "alarmLatencyP99Ms",
        type: "integer",
        scope: "stack",
        required: false,
        default: DEFAULT_ALARM_LATENCY_P99_MS,
        description: "p99 response time of a service (milliseconds, 10 to 60000) that trips its latency alarm.",
        schema: wholeNumber(10, 60_000),
    }),
    key({
        key: "alarmEvaluationMinutes",
        type: "integer",
        scope: "stack",
        required: false,
        default: DEFAULT_ALARM_EVALUATION_MINUTES,
        description: "Consecutive minutes (1 to 60) a service metric must breach before its alarm fires.",
        schema: wholeNumber(1, 60),
    }),
];

export const CONFIG_KEY_NAMES: readonly string[] = CONFIG_KEYS.map((k) => k.key);
/** The `aws:` keys the stack's explicit provider reads; it reads no other (the default provider is disabled). */
export const PROVIDER_KEYS = CONFIG_KEYS.filter((k) => k.key.startsWith("aws:")).map((k) => k.key);

export function configKey(name: string): ConfigKey | undefined {
    return CONFIG_KEYS.find((k) => k.key === name);
}

/** The keys that may be set with `pulumi config set --secret`. */
export function secretAllowedKeys(): string[] {
    return CONFIG_KEYS.filter((k) => k.secretAllowed).map((k) => k.key);
}

/** The keys stated once for every stack in Pulumi.yaml (`value:`): a stack file may not set them. */
export function sharedKeys(): string[] {
    return CONFIG_KEYS.filter((k) => k.scope === "project").map((k) => k.key);
}

/**
 * For the plan: the keys whose value differs between two raw configs (key -> CLI text, namespaced) and the
 * stateful resources each change replaces or deletes. Keys without such resources are left out.
 */
export function statefulReplacements(
    project: string,
    before: Readonly<Record<string, string | undefined>>,
    after: Readonly<Record<string, string | undefined>>,
): { key: string; before?: string; after?: string; replaces: string }[] {
    return CONFIG_KEYS.filter((k) => k.replaces !== undefined).flatMap((k) => {
        const name = namespaced(project, k.key);
        const a = before[name] ?? stringOf(k.default);
        const b = after[name] ?? stringOf(k.default);
        if (a === b) return [];
        if (k.key === "services") {
            const removed = parseList(a).filter((s) => !parseList(b).includes(s));
            if (removed.length === 0) return [];
            return [{ key: name, before: a, after: b, replaces: `${k.replaces}: ${removed.join(", ")}` }];
        }
        return [{ key: name, before: a, after: b, replaces: k.replaces! }];
    });
}

export function namespaced(project: string, k: string): string {
    return k.includes(":") ? k : `${project}:${k}`;
}

/** The schema name of a key the CLI hands over namespaced (`<project>:notificationEmails` -> notificationEmails). */
export function withoutNamespace(project: string, k: string): string {
    return k.startsWith(`${project}:`) ? k.slice(project.length + 1) : k;
}

function stringOf(v: unknown): string | undefined {
    if (v === undefined) return undefined;
    return typeof v === "string" ? v : JSON.stringify(v);
}

function parseList(text: string | undefined): string[] {
    try {
        const v = JSON.parse(text ?? "[]");
        return Array.isArray(v) ? v.map((entry) => String(entry?.name ?? entry)) : [];
    } catch {
        return [];
    }
}

/** Levenshtein distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
    let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const row = [i];
        for (let j = 1; j <= b.length; j++) {
            row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        }
        prev = row;
    }
    return prev[b.length];
}

/** The known key closest to `name` (case-insensitive), when it is close enough to be a typo. */
export function closestKey(name: string, candidates: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const c of candidates) {
        const d = editDistance(name.toLowerCase(), c.toLowerCase());
        if (d < bestDistance) [best, bestDistance] = [c, d];
    }
    return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

export { REGIONS, PARTITIONS, partitionOfRegion };

function range(from: number, to: number, step: number): number[] {
    const out: number[] = [];
    for (let v = from; v <= to; v += step) out.push(v);
    return out;
}
