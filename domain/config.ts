import { z } from "zod";
import {
    APPROVAL_REQUIRED,
    BUDGET_MAX_EMAIL_SUBSCRIBERS,
    CONFIG_KEY_NAMES,
    CONFIG_KEYS,
    closestKey,
    editDistance,
    EnvironmentName,
    ENVIRONMENTS,
    FARGATE_SIZES,
    namespaced,
    PROTECTED_ENVIRONMENTS,
    PROVIDER_KEYS,
    secretAllowedKeys,
    sharedKeys,
    STANDARD_PARTITION,
    StackRole,
    UNDECRYPTED_SECRET,
    withoutNamespace,
} from "./configSchema";
import { InputRefusal } from "./refusal";
import { PartitionName, partitionOfRegion } from "./regions";

export {
    APPROVAL_REQUIRED,
    CONTAINER_PORTS,
    ENVIRONMENTS,
    LOG_RETENTION_DAYS,
    PROTECTED_ENVIRONMENTS,
    REQUIRED_TAGS,
    SERVICE_NAME,
    STACK_ROLES,
    UNDECRYPTED_SECRET,
    URL_PATH,
    isContainerPort,
    isValidBranchName,
} from "./configSchema";
export type { EnvironmentName, StackRole } from "./configSchema";
export { partitionOfRegion } from "./regions";
export type { PartitionName } from "./regions";

/** The project's config namespace (the `name:` in Pulumi.yaml). */
export const PROJECT = "devsecops-pipelines";

export interface ServiceConfig {
    /** Service name: lowercase letters, digits and hyphens; names the repository, pipeline and ECS service. */
    readonly name: string;
    /** CodeCommit repository name in the tool account: the service name. */
    readonly repositoryName: string;
    /** The repository already exists (existingRepositories): the tool stack refers to it and creates none. */
    readonly existingRepository: boolean;
    readonly containerPort: number;
    readonly cpu: number;
    readonly memory: number;
    readonly desiredCount: number;
    readonly healthCheckPath: string;
    /** Secrets Manager secrets injected into the container as environment variables. */
    readonly secrets: readonly { readonly name: string; readonly valueFrom: string }[];
    /** Customer-managed KMS keys of those secrets: decrypted only via Secrets Manager. */
    readonly secretsKmsKeyArns: readonly string[];
    /** Outbound connections of the tasks beyond HTTPS (443) to anywhere. */
    readonly egress: readonly ServiceEgress[];
}

/** One outbound connection of a service's tasks: a TCP port to a CIDR or to a security group. */
export interface ServiceEgress {
    readonly port: number;
    /** An IPv4 CIDR, e.g. 10.0.0.0/16. */
    readonly cidr?: string;
    /** A security group id (sg-...) of the same VPC. */
    readonly securityGroupId?: string;
}

export interface NetworkConfig {
    /** An existing VPC; when absent a new VPC is created with `vpcCidr`. */
    readonly vpcId?: string;
    readonly privateSubnetIds: readonly string[];
    readonly publicSubnetIds: readonly string[];
    readonly vpcCidr: string;
}

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

export interface BudgetConfig {
    readonly monthlyLimitUsd: number;
    /** GovCloud: the paired standard (commercial) account that holds this account's billing. */
    readonly billingAccountId?: string;
    /** GovCloud: credentials of the budget's provider for the paired account. */
    readonly billingCredentials?: BillingCredentials;
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
    /** The builds' AWS CLI calls use FIPS endpoints: the config value, else on in aws-us-gov only. */
    readonly fipsEndpoints: boolean;
    /** Findings the image scan gate of this environment allows. */
    readonly imageScan: { readonly maxCritical: number; readonly maxHigh: number };
    /** Keys (schema names, e.g. notificationEmails) set with `--secret`: resources get their values as secrets. */
    readonly secretKeys: readonly string[];
}

/** Raw config as the Pulumi CLI hands it to the program: key -> string (objects and arrays as JSON). */
export type RawConfig = Readonly<Record<string, string | undefined>>;

export class StackConfigError extends InputRefusal {
    constructor(
        readonly stackFile: string,
        readonly problems: readonly string[],
    ) {
        super(
            "StackConfigError",
            `Invalid stack configuration in ${stackFile} (${problems.length} problem${problems.length === 1 ? "" : "s"}); nothing was deployed:\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
    }
}

/** Settings of the assumption of budgetBillingRoleArn (meaningless without it). */
const BILLING_ROLE_SETTINGS = [
    "budgetBillingWebIdentityTokenFile",
    "budgetBillingPreviewRoleArn",
    "budgetBillingExternalId",
    "budgetBillingSessionName",
];
/** How the budget's provider reaches the paired standard account (with budgetBillingAccountId only). */
const BILLING_KEYS = ["budgetBillingProfile", "budgetBillingRoleArn", ...BILLING_ROLE_SETTINGS];

/** Raw config of one stack as the CLI hands it over: namespaced key -> text (objects and arrays as JSON). */
type Values = Record<string, any>;

/**
 * Validates the raw config of one stack against the schema (domain/configSchema.ts) and returns it typed and
 * frozen, or throws a StackConfigError that lists every problem: the key, the value found and what is expected,
 * in the schema's order (unknown keys first). `secretKeys` are the keys the user set with `--secret` (namespaced);
 * `projectValues` the `value:`s of Pulumi.yaml's config, which a stack file may not contradict.
 */
export function validateStackConfig(
    raw: RawConfig,
    project: string,
    stack: string,
    secretKeys: readonly string[] = [],
    projectValues?: Readonly<Record<string, unknown>>,
): StackConfig {
    const stackFile = `Pulumi.${stack}.yaml`;
    const problems: { order: number; text: string }[] = [];
    const full = (k: string) => namespaced(project, k);
    const show = (v: unknown) => (v === undefined ? "nothing" : JSON.stringify(v));
    /** Keys set with --secret (schema names): their values never appear in a message (CI logs, PR comments). */
    const secretNames = new Set(secretKeys.map((k) => withoutNamespace(project, k)));
    /** A problem with `base` (a schema key) or a part of it (`suffix`: `[2]`, `.tags.Owner`). */
    const problem = (base: string, found: unknown, expected: string, suffix = "") =>
        problems.push({
            order: CONFIG_KEY_NAMES.indexOf(base),
            text: `${full(base)}${suffix}: found ${secretNames.has(base) ? "[secret]" : show(found)}, expected ${expected}`,
        });

    unknownKeys(raw, project).forEach(({ key, value, expected }) =>
        problems.push({
            order: -1,
            text: `${key}: found ${secretKeys.includes(key) ? "[secret]" : show(value)}, expected ${expected}`,
        }),
    );
    const secrets: string[] = [];
    for (const k of secretKeys) {
        const name = withoutNamespace(project, k);
        if (secretAllowedKeys().includes(name)) {
            secrets.push(name);
            continue;
        }
        problems.push({
            order: -1,
            text:
                `${k}: found a secret value, expected a plain value: this key ends up in resource names, ARNs, ids ` +
                "or policies, which Pulumi keeps in plain text in the state, so it cannot stay secret (set it without " +
                `--secret; keys that may be secret: ${secretAllowedKeys().join(", ")})`,
        });
    }

    // Values every stack shares (Pulumi.yaml's `value:`s): the CLI lets a stack file override them; the program not.
    const contradicted = new Set<string>();
    if (projectValues) {
        for (const k of sharedKeys()) {
            const text = raw[full(k)];
            if (text === undefined || secretNames.has(k)) continue; // a secret one is refused above
            const type = CONFIG_KEYS.find((d) => d.key === k)!.type;
            const found = decode(type, text);
            const stated = projectValues[k];
            if (stated === undefined) {
                contradicted.add(k);
                problem(
                    k,
                    found,
                    `nothing in the stack file: ${k} is shared by every stack, so it is stated once, as a value in Pulumi.yaml's config`,
                );
            } else if (JSON.stringify(found) !== JSON.stringify(type === "string" ? String(stated) : stated)) {
                contradicted.add(k);
                problem(
                    k,
                    found,
                    `${show(stated)}, the value Pulumi.yaml states for every stack (remove ${k} from the stack file; change it in Pulumi.yaml, for all stacks)`,
                );
            }
        }
    }

    // Each key alone: decode the CLI's text, check it with the key's schema; `v` keeps the values that pass.
    const v: Values = {};
    for (const def of CONFIG_KEYS) {
        if (contradicted.has(def.key)) continue;
        const text = raw[full(def.key)];
        if (text === undefined && !def.required) {
            v[def.key] = def.default;
            continue;
        }
        if (secretNames.has(def.key) && !secrets.includes(def.key)) {
            // Refused above, once, whether or not its value could be decrypted.
            if (!def.required) v[def.key] = def.default;
            continue;
        }
        const value = text === undefined ? undefined : decode(def.type, text);
        const result = def.schema.safeParse(value);
        // An undecrypted secret (the offline plan, another secrets provider) is not checked: the plan says so.
        const unchecked = (path: readonly PropertyKey[]) =>
            secrets.includes(def.key) && at(value, path.slice(0, 1)) === UNDECRYPTED_SECRET;
        const issues = result.success ? [] : result.error.issues.filter((issue) => !unchecked(issue.path));
        if (result.success) v[def.key] = result.data;
        else if (issues.length === 0) v[def.key] = value;
        else for (const issue of issues) problem(def.key, at(value, issue.path), issue.message, suffix(issue));
    }

    // Rules across keys, on the values that passed their own checks.
    const role: StackRole | undefined = v.environment;
    const region: string | undefined = v["aws:region"];
    const regionPartition = region ? partitionOfRegion(region) : undefined;
    let partition: PartitionName = regionPartition ?? "aws";
    if (raw[full("partition")] !== undefined && v.partition !== undefined) {
        if (regionPartition && v.partition !== regionPartition) {
            problem(
                "partition",
                v.partition,
                `"${regionPartition}", the partition of aws:region ${region} (or change aws:region)`,
            );
        } else partition = v.partition;
    }

    const accounts = {} as Record<StackRole, string>;
    const seen = new Map<string, StackRole>();
    for (const name of ["tool", ...ENVIRONMENTS] as StackRole[]) {
        const k = `${name}AccountId`;
        const id: string | undefined = v[k];
        if (id === undefined) continue;
        const other = seen.get(id);
        if (other)
            problem(k, id, `an account of its own: ${other}AccountId is also ${id} (one AWS account per environment)`);
        seen.set(id, name);
        accounts[name] = id;
    }
    const accountId = role ? accounts[role] : undefined;

    const allowedAccountIds: string[] = v["aws:allowedAccountIds"] ?? [];
    if (v["aws:allowedAccountIds"] !== undefined) {
        const own = accountId ? ` ${accountId}` : "";
        if (allowedAccountIds.length === 0) {
            problem("aws:allowedAccountIds", allowedAccountIds, `a list holding this stack's own account id${own}`);
        } else if (accountId && !allowedAccountIds.includes(accountId)) {
            problem(
                "aws:allowedAccountIds",
                allowedAccountIds,
                `a list holding this stack's own account id ${accountId} (${role}AccountId)`,
            );
        } else if (accountId && allowedAccountIds.length !== 1) {
            problem("aws:allowedAccountIds", allowedAccountIds, `only this stack's own account id ${accountId}`);
        }
    }
    const defaultTags: Record<string, string> = v["aws:defaultTags"]?.tags ?? {};
    if (role && defaultTags.Environment !== undefined && defaultTags.Environment !== role) {
        problem(
            "aws:defaultTags",
            defaultTags.Environment,
            `"${role}", the value of ${full("environment")}`,
            ".tags.Environment",
        );
    }

    const branches = {} as Record<EnvironmentName, string>;
    for (const env of ENVIRONMENTS) {
        const b: string | undefined = v[`${env}Branch`];
        if (b === undefined) continue;
        const other = ENVIRONMENTS.find((e) => branches[e] === b);
        if (other) {
            problem(
                `${env}Branch`,
                b,
                `a branch of its own: ${other}Branch is also ${b} (a push would start both pipelines)`,
            );
        }
        branches[env] = b;
    }

    const mustApprove = role !== undefined && role !== "tool" && APPROVAL_REQUIRED.includes(role);
    if (mustApprove && v.requireApproval === false) {
        problem("requireApproval", false, `true: ${role} cannot deploy without a manual approval`);
    }
    const requireApproval = role === "tool" ? false : (v.requireApproval ?? mustApprove);

    const cpu: number | undefined = v.taskCpu;
    const memory: number | undefined = v.taskMemory;
    if (cpu !== undefined && memory !== undefined && !FARGATE_SIZES[cpu].includes(memory)) {
        problem("taskMemory", memory, `a Fargate memory size for taskCpu ${cpu}: ${sizes(FARGATE_SIZES[cpu])}`);
    }
    const services: (ServiceConfig & {
        secrets: { name: string; valueFrom: string }[];
        secretsKmsKeyArns: string[];
        egress: ServiceEgress[];
    })[] = ((v.services as string[] | undefined) ?? []).map((name) => ({
        name,
        repositoryName: name,
        existingRepository: ((v.existingRepositories as string[] | undefined) ?? []).includes(name),
        containerPort: v.containerPort,
        cpu: cpu!,
        memory: memory!,
        desiredCount: v.desiredCount,
        healthCheckPath: v.healthCheckPath,
        secrets: [],
        secretsKmsKeyArns: [],
        egress: [],
    }));

    ((v.existingRepositories as string[] | undefined) ?? []).forEach((name, i) => {
        if (!services.some((s) => s.name === name)) {
            problem(
                "existingRepositories",
                name,
                `a service of this stack (${services.map((s) => s.name).join(", ")})`,
                `[${i}]`,
            );
        }
    });

    // Service secrets: "<service>:<VARIABLE>=<secret ARN>[:json-key:version-stage:version-id]"
    const secretArn = new RegExp(
        `^arn:${partition}:secretsmanager:${region ?? "[a-z0-9-]+"}:${accountId ?? "\\d{12}"}:secret:[\\w/+=.@-]+-[A-Za-z0-9]{6}(:[^:]*:[^:]*:[^:]*)?$`,
    );
    ((v.serviceSecrets as string[] | undefined) ?? []).forEach((entry, i) => {
        const [, service, variable, arn] = /^([^:]+):([^=]+)=(.*)$/.exec(entry) ?? [];
        const target = services.find((s) => s.name === service);
        if (!target) {
            problem(
                "serviceSecrets",
                entry,
                `a service of this stack (${services.map((s) => s.name).join(", ")})`,
                `[${i}]`,
            );
        } else if (!secretArn.test(arn)) {
            problem(
                "serviceSecrets",
                entry,
                `a Secrets Manager secret ARN of this account and region (arn:${partition}:secretsmanager:${region}:${accountId ?? "<account>"}:secret:<name>-<6 characters>, optionally :<json-key>:<version-stage>:<version-id>)`,
                `[${i}]`,
            );
        } else if (variable === "PORT") {
            problem(
                "serviceSecrets",
                entry,
                "a variable other than PORT (the task definition sets PORT to containerPort)",
                `[${i}]`,
            );
        } else if (target.secrets.some((s) => s.name === variable)) {
            problem("serviceSecrets", entry, `one secret per variable: ${service} already has ${variable}`, `[${i}]`);
        } else target.secrets.push({ name: variable, valueFrom: arn });
    });

    // Secret keys: "<service>=<KMS key ARN>" of this account and region
    const kmsKeyArn = new RegExp(
        `^arn:${partition}:kms:${region ?? "[a-z0-9-]+"}:${accountId ?? "\\d{12}"}:key/(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`,
    );
    ((v.serviceSecretKeys as string[] | undefined) ?? []).forEach((entry, i) => {
        const [, service, arn] = /^([^=]+)=(.*)$/.exec(entry) ?? [];
        const target = services.find((s) => s.name === service);
        if (!target) {
            problem(
                "serviceSecretKeys",
                entry,
                `a service of this stack (${services.map((s) => s.name).join(", ")})`,
                `[${i}]`,
            );
        } else if (!kmsKeyArn.test(arn)) {
            problem(
                "serviceSecretKeys",
                entry,
                `a KMS key ARN of this account and region (arn:${partition}:kms:${region}:${accountId ?? "<account>"}:key/<key id>; an alias does not work in an IAM policy's Resource)`,
                `[${i}]`,
            );
        } else target.secretsKmsKeyArns.push(arn);
    });

    // Egress: "<service>:<port>=<IPv4 CIDR or security group id>"
    ((v.serviceEgress as string[] | undefined) ?? []).forEach((entry, i) => {
        const [, service, portText, peer] = /^([^:]+):(\d+)=(.*)$/.exec(entry) ?? [];
        const port = Number(portText);
        const target = services.find((s) => s.name === service);
        if (!target) {
            problem(
                "serviceEgress",
                entry,
                `a service of this stack (${services.map((s) => s.name).join(", ")})`,
                `[${i}]`,
            );
        } else if (!Number.isInteger(port) || port < 1 || port > 65535) {
            problem("serviceEgress", entry, "a TCP port from 1 to 65535", `[${i}]`);
        } else if (/^sg-[0-9a-f]{8,17}$/.test(peer)) {
            target.egress.push({ port, securityGroupId: peer });
        } else if (isIpv4Cidr(peer)) {
            target.egress.push({ port, cidr: peer });
        } else {
            problem(
                "serviceEgress",
                entry,
                "an IPv4 CIDR (e.g. 10.0.0.0/16, host bits 0) or a security group id (sg-...) after the =",
                `[${i}]`,
            );
        }
    });

    const adminArn = new RegExp(`^arn:${partition}:iam::${accountId ?? "\\d{12}"}:(role|user)/[\\w+=,.@/-]+$`);
    const keyAdministratorArns: string[] = v.keyAdministrators ?? [];
    keyAdministratorArns.forEach((arn, i) => {
        if (!adminArn.test(arn)) {
            problem(
                "keyAdministrators",
                arn,
                `an IAM role or user ARN of this stack's account in partition ${partition}, e.g. arn:${partition}:iam::${accountId ?? "<account>"}:role/KeyAdmins`,
                `[${i}]`,
            );
        }
    });
    const protectedEnv = role !== undefined && role !== "tool" && PROTECTED_ENVIRONMENTS.includes(role);
    if (protectedEnv && v.keyDeletionWindowDays !== undefined && v.keyDeletionWindowDays !== 30) {
        problem("keyDeletionWindowDays", v.keyDeletionWindowDays, `30 in ${role} (the longest window AWS allows)`);
    }

    // Network
    const vpcId: string | undefined = v.vpcId;
    const privateSubnetIds: string[] = v.privateSubnetIds ?? [];
    const publicSubnetIds: string[] = v.publicSubnetIds ?? [];
    const subnetsChecked = v.privateSubnetIds !== undefined && v.publicSubnetIds !== undefined;
    if (
        raw[full("vpcId")] !== undefined &&
        subnetsChecked &&
        (privateSubnetIds.length < 2 || publicSubnetIds.length < 2)
    ) {
        problem(
            "privateSubnetIds",
            { privateSubnetIds, publicSubnetIds },
            "with vpcId, at least two private and two public subnet ids (two availability zones)",
        );
    }
    if (raw[full("vpcId")] === undefined && (privateSubnetIds.length > 0 || publicSubnetIds.length > 0)) {
        problem("vpcId", undefined, "the VPC of the given privateSubnetIds / publicSubnetIds");
    }
    publicSubnetIds.forEach((id, i) => {
        if (privateSubnetIds.includes(id)) {
            problem(
                "publicSubnetIds",
                id,
                "a public subnet that is not also in privateSubnetIds (tasks and load balancers need their own)",
                `[${i}]`,
            );
        }
    });

    // Budget
    const notificationEmails: string[] = v.notificationEmails ?? [];
    let budget: BudgetConfig | undefined;
    let billingCredentials: BillingCredentials | undefined;
    /**
     * How the budget's provider reaches the paired standard account: exactly one of a profile and a role. IAM is
     * separate per partition ("You cannot use IAM credentials from one partition to interact with resources in a
     * different partition", https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/partitions.html),
     * so the role is assumed with a web identity token (AssumeRoleWithWebIdentity accepts one from an OIDC provider of
     * the role's account) or from commercial default credentials.
     */
    const billingCredentialsOf = (billingAccountId: string): BillingCredentials | undefined => {
        const profile: string | undefined = v.budgetBillingProfile;
        const roleText: string | undefined = v.budgetBillingRoleArn;
        const given = (k: string) => raw[full(k)] !== undefined;
        if (!given("budgetBillingProfile") && !given("budgetBillingRoleArn")) {
            problem(
                "budgetBillingRoleArn",
                undefined,
                `a role of standard account ${billingAccountId} (CI) or budgetBillingProfile (a workstation): GovCloud credentials cannot reach it`,
            );
            return undefined;
        }
        if (given("budgetBillingProfile") && given("budgetBillingRoleArn")) {
            problem(
                "budgetBillingProfile",
                profile,
                "nothing when budgetBillingRoleArn is set: the budget's credentials come from one of them",
            );
            return undefined;
        }
        for (const k of BILLING_ROLE_SETTINGS) {
            if (given(k) && !given("budgetBillingRoleArn")) {
                problem(k, v[k], "nothing without budgetBillingRoleArn (it is a setting of the role's assumption)");
            }
        }
        if (profile !== undefined) return { kind: "profile", profile };
        if (roleText === undefined) return undefined;
        /** A role ARN of the paired standard account (the provider is pinned to it), rebuilt from its parts. */
        const billingRole = (key: string, text: string): string | undefined => {
            const [, partitionText, account, roleName] = /^arn:([^:]*):iam::([^:]*):role\/(.+)$/.exec(text) ?? [];
            const expected = `arn:${STANDARD_PARTITION}:iam::${billingAccountId}:role/<name>`;
            if (partitionText !== STANDARD_PARTITION || !/^[\w+=,.@/-]{1,512}$/.test(roleName ?? "")) {
                problem(
                    key,
                    text,
                    `a role ARN of the standard partition, ${expected}: AWS Budgets and the billing of a GovCloud account live there`,
                );
                return undefined;
            }
            if (account !== billingAccountId) {
                problem(
                    key,
                    text,
                    `a role of budgetBillingAccountId ${billingAccountId}, ${expected} (the budget's provider is pinned to that account)`,
                );
                return undefined;
            }
            return `arn:${STANDARD_PARTITION}:iam::${billingAccountId}:role/${roleName}`;
        };
        const roleArn = billingRole("budgetBillingRoleArn", roleText);
        const previewText: string | undefined = v.budgetBillingPreviewRoleArn;
        const previewRoleArn =
            previewText === undefined ? undefined : billingRole("budgetBillingPreviewRoleArn", previewText);
        if (roleArn === undefined || (previewText !== undefined && previewRoleArn === undefined)) return undefined;
        if (given("budgetBillingPreviewRoleArn") && !given("budgetBillingWebIdentityTokenFile")) {
            problem(
                "budgetBillingPreviewRoleArn",
                previewText,
                "nothing without budgetBillingWebIdentityTokenFile (pull-request previews assume it with the job's OIDC token)",
            );
            return undefined;
        }
        const sessionName: string = v.budgetBillingSessionName ?? `cicd-${stack}-budget`;
        const tokenFile: string | undefined = v.budgetBillingWebIdentityTokenFile;
        if (given("budgetBillingWebIdentityTokenFile")) {
            if (tokenFile === undefined) return undefined; // its own problem is reported
            if (given("budgetBillingExternalId")) {
                problem(
                    "budgetBillingExternalId",
                    v.budgetBillingExternalId,
                    "nothing with budgetBillingWebIdentityTokenFile: AssumeRoleWithWebIdentity takes no external id",
                );
                return undefined;
            }
            // Kept relative: the provider's inputs (and so its diff) must not depend on where the project is
            // checked out.
            return {
                kind: "web-identity",
                roleArn,
                sessionName,
                tokenFile,
                ...(previewRoleArn !== undefined ? { previewRoleArn } : {}),
            };
        }
        if (!given("aws:profile")) {
            problem(
                "budgetBillingWebIdentityTokenFile",
                undefined,
                "a web identity token file (CI), or aws:profile for the stack's own provider: without either, the budget's AssumeRole would start from the stack's GovCloud credentials, which cannot reach a commercial role",
            );
            return undefined;
        }
        return { kind: "assume-role", roleArn, sessionName, externalId: v.budgetBillingExternalId };
    };
    if (raw[full("budgetMonthlyLimitUsd")] !== undefined) {
        if (raw[full("notificationEmails")] !== undefined && v.notificationEmails === undefined) {
            // its own problems are reported
        } else if (notificationEmails.length === 0) {
            problem("notificationEmails", [], "at least one email address to receive the budget alerts");
        } else if (notificationEmails.length > BUDGET_MAX_EMAIL_SUBSCRIBERS) {
            problem(
                "notificationEmails",
                notificationEmails,
                `at most ${BUDGET_MAX_EMAIL_SUBSCRIBERS} addresses: AWS Budgets allows ${BUDGET_MAX_EMAIL_SUBSCRIBERS} email subscribers per notification`,
            );
        }
        const billingAccountId: string | undefined = v.budgetBillingAccountId;
        if (billingAccountId !== undefined) {
            const own = Object.entries(accounts).find(([, id]) => id === billingAccountId);
            if (regionPartition === "aws") {
                problem(
                    "budgetBillingAccountId",
                    billingAccountId,
                    "nothing in the commercial partition: the budget goes to the stack's own account",
                );
            } else if (own) {
                problem(
                    "budgetBillingAccountId",
                    billingAccountId,
                    `the standard (commercial) account paired with this GovCloud account, not a GovCloud account of this project (${own[0]}AccountId)`,
                );
            } else billingCredentials = billingCredentialsOf(billingAccountId);
        }
        if (raw[full("budgetBillingAccountId")] === undefined) {
            for (const k of BILLING_KEYS.filter((x) => raw[full(x)] !== undefined)) {
                problem(k, v[k], "nothing without budgetBillingAccountId (the paired standard account it reaches)");
            }
        }
        budget = {
            monthlyLimitUsd: v.budgetMonthlyLimitUsd,
            billingAccountId,
            billingCredentials,
            thresholdsPercent: v.budgetThresholdsPercent ?? [],
            subscriberEmails: notificationEmails,
        };
    }

    const certificateArn: string | undefined = v.certificateArn;
    const certificatePattern = new RegExp(
        `^arn:${partition}:acm:${region ?? "[a-z0-9-]+"}:${accountId ?? "\\d{12}"}:certificate/[0-9a-f-]{36}$`,
    );
    if (certificateArn !== undefined && !certificatePattern.test(certificateArn)) {
        problem(
            "certificateArn",
            certificateArn,
            `an ACM certificate of this stack's account and region, arn:${partition}:acm:${region}:${accountId ?? "<account>"}:certificate/<id>`,
        );
    } else if (raw[full("certificateArn")] === undefined && protectedEnv) {
        problem("certificateArn", undefined, `an ACM certificate: ${role} serves HTTPS only`);
    }

    if (problems.length > 0 || !role || !region || !accountId) {
        const ordered = problems.map((p, i) => ({ ...p, i })).sort((a, b) => a.order - b.order || a.i - b.i);
        throw new StackConfigError(
            stackFile,
            ordered.map((p) => p.text),
        );
    }

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
        createKeyAdminUser: v.createKeyAdminUser,
        keyDeletionWindowDays: v.keyDeletionWindowDays,
        logRetentionDays: v.logRetentionDays,
        notificationEmails,
        network: { vpcId, privateSubnetIds, publicSubnetIds, vpcCidr: v.vpcCidr },
        budget,
        defaultTags,
        allowedAccountIds,
        organizationId: v.organizationId,
        certificateArn,
        awsProfile: v["aws:profile"],
        fipsEndpoints: v.fipsEndpoints ?? partition === "aws-us-gov",
        imageScan: { maxCritical: v.imageScanMaxCritical, maxHigh: v.imageScanMaxHigh },
        secretKeys: secrets,
    });
}

/**
 * Keys the program does not read: in the project's namespace (or one a typo away from it), and `aws:` keys the
 * stack's explicit provider ignores. Unknown keys were silently dropped before: a typo of `services` fell back to
 * a default and deleted the other services' resources.
 */
function unknownKeys(raw: RawConfig, project: string): { key: string; value: unknown; expected: string }[] {
    const projectKeys = CONFIG_KEY_NAMES.filter((k) => !k.includes(":"));
    const out: { key: string; value: unknown; expected: string }[] = [];
    for (const [key, text] of Object.entries(raw)) {
        const colon = key.indexOf(":");
        const ns = key.slice(0, colon);
        const name = key.slice(colon + 1);
        const value = text === undefined ? undefined : decode("object", text);
        if (ns === "aws") {
            if (PROVIDER_KEYS.includes(key)) continue;
            const near = closestKey(key, PROVIDER_KEYS);
            out.push({
                key,
                value,
                expected: `${near ? `${near}? ` : ""}the stack's provider reads only ${PROVIDER_KEYS.join(", ")} (the default provider is disabled)`,
            });
        } else if (ns === project || (ns !== "pulumi" && editDistance(ns, project) <= 3)) {
            if (ns === project && projectKeys.includes(name)) continue;
            const near = closestKey(name, projectKeys);
            out.push({
                key,
                value,
                expected: near
                    ? `a key the program reads: did you mean ${project}:${near}? (an unknown key is ignored, and its value lost)`
                    : `a key the program reads (see Pulumi.yaml); an unknown key is ignored, and its value lost`,
            });
        }
    }
    return out;
}

/** An IPv4 CIDR with its host bits 0, /0 to /32. */
export function isIpv4Cidr(text: string): boolean {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
    if (!m) return false;
    const octets = m.slice(1, 5).map(Number);
    const prefix = Number(m[5]);
    if (octets.some((o) => o > 255) || prefix > 32) return false;
    const address = octets.reduce((a, o) => a * 256 + o, 0);
    return address % 2 ** (32 - prefix) === 0;
}

/** The CLI's text of a value, decoded: strings stay text, everything else is JSON when it parses. */
function decode(type: string, text: string): unknown {
    if (type === "string") return text;
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

/** The part of `value` a zod issue points at. */
function at(value: unknown, path: readonly PropertyKey[]): unknown {
    return path.reduce<any>((v, p) => (v === null || v === undefined ? undefined : v[p as any]), value);
}

function suffix(issue: z.core.$ZodIssue): string {
    return issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
}

function sizes(list: readonly number[]): string {
    return list.length > 8
        ? `${list[0]} to ${list[list.length - 1]} in steps of ${list[1] - list[0]}`
        : list.join(", ");
}

function deepFreeze<T>(value: T): T {
    if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
        Object.freeze(value);
        for (const x of Object.values(value)) deepFreeze(x);
    }
    return value;
}
