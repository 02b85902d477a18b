import {
    billingAccountOf,
    BillingCredentials,
    billingCredentialsOf,
    branchesOf,
    CONFIG_RULES,
    defaultTagsOf,
    existingRepositoriesOf,
    Facts,
    factsOf,
    keyAdministratorsOf,
    mustApprove,
    notificationEmailsOf,
    Problem,
    serviceSettingsOf,
    subnetsOf,
} from "./configRules";
import {
    CONFIG_KEY_NAMES,
    CONFIG_KEYS,
    closestKey,
    DeployTargetName,
    DeploymentStrategy,
    editDistance,
    EnvironmentName,
    issuesByPath,
    namespaced,
    PROVIDER_KEYS,
    secretAllowedKeys,
    sharedKeys,
    StackRole,
    UNDECRYPTED_SECRET,
    withoutNamespace,
} from "./configSchema";
import { InputRefusal } from "./refusal";
import { PartitionName } from "./regions";
import {
    RETIRED_SERVICE_KEYS,
    retiredKeyProblems,
    ServiceEgress,
    ServiceSecret,
    servicesOf as servicesIn,
    settingsOf,
} from "./serviceSettings";

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
export type { DeployTargetName, EnvironmentName, StackRole } from "./configSchema";
export type { BillingCredentials, Problem } from "./configRules";
export { isIpv4Cidr } from "./ipv4";
export { partitionOfRegion } from "./regions";
export type { ServiceEgress, ServiceSecret } from "./serviceSettings";
export type { PartitionName } from "./regions";

/** The project's config namespace (the `name:` in Pulumi.yaml). */
export const PROJECT = "devsecops-pipelines";

export interface ServiceConfig {
    /** Service name: lowercase letters, digits and hyphens; names the repository, pipeline and ECS service. */
    readonly name: string;
    /** Where it runs (`target` in services): fargate. */
    readonly target: DeployTargetName;
    /** CodeCommit repository name in the tool account: the service name. */
    readonly repositoryName: string;
    /** The repository already exists (existingRepositories): the tool stack refers to it and creates none. */
    readonly existingRepository: boolean;
    readonly containerPort: number;
    readonly cpu: number;
    readonly memory: number;
    readonly desiredCount: number;
    readonly healthCheckPath: string;
    /** Secrets Manager secrets injected into the container as environment variables (serviceSettings). */
    readonly secrets: readonly ServiceSecret[];
    /** Customer-managed KMS keys of those secrets: decrypted only via Secrets Manager. */
    readonly secretsKmsKeyArns: readonly string[];
    /** Outbound connections of the tasks beyond HTTPS (443) to anywhere. */
    readonly egress: readonly ServiceEgress[];
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
    /** GovCloud: credentials of the budget's provider for the paired account. */
    readonly billingCredentials?: BillingCredentials;
    /** Percentages of the limit at which subscribers are alerted. */
    readonly thresholdsPercent: readonly number[];
    readonly subscriberEmails: readonly string[];
}

/** The person roles of the account (docs/access.md): where people sign in, who may break glass. */
export interface PeopleConfig {
    readonly identitySource: "saml" | "identity-center";
    /** With identitySource saml: the IAM SAML provider of this account. */
    readonly samlProviderArn?: string;
    /** IAM users that may assume the break-glass role with MFA (environment accounts); none: no break-glass role. */
    readonly breakGlassUserArns: readonly string[];
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
    /** The person roles; undefined when peopleIdentitySource is none. */
    readonly people?: PeopleConfig;
    /** How deploys reach the services, and what their alarms watch. */
    readonly delivery: DeliveryConfig;
}

/** How a deploy reaches a service (deploymentStrategy, bakeTimeMinutes) and the thresholds of its alarms. */
export interface DeliveryConfig {
    readonly strategy: DeploymentStrategy;
    readonly bakeTimeMinutes: number;
    readonly alarms: AlarmThresholds;
}

/** The thresholds of a service's alarms (alarmErrorRatePercent, alarmLatencyP99Ms, alarmEvaluationMinutes). */
export interface AlarmThresholds {
    readonly errorRatePercent: number;
    readonly latencyP99Ms: number;
    readonly evaluationMinutes: number;
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

/** A problem as reported: its text, and where it sorts (the schema's key order; -1 before every key). */
interface Reported {
    readonly order: number;
    readonly text: string;
}

/**
 * Validates the raw config of one stack against the schema (domain/configSchema.ts) and the rules across keys
 * (domain/configRules.ts) and returns it typed and frozen, or throws a StackConfigError that lists every problem:
 * the key, the value found and what is expected, in the schema's order (unknown keys first). `secretKeys` are the
 * keys the user set with `--secret` (namespaced); `projectValues` the `value:`s of Pulumi.yaml's config, which a
 * stack file may not contradict.
 */
export function validateStackConfig(
    raw: RawConfig,
    project: string,
    stack: string,
    secretKeys: readonly string[] = [],
    projectValues?: Readonly<Record<string, unknown>>,
): StackConfig {
    const stackFile = `Pulumi.${stack}.yaml`;
    /** Keys set with --secret (schema names): their values never appear in a message (CI logs, PR comments). */
    const secretNames = new Set(secretKeys.map((k) => withoutNamespace(project, k)));
    const secrets = secretKeys
        .map((k) => withoutNamespace(project, k))
        .filter((name) => secretAllowedKeys().includes(name));
    const given = (k: string) => raw[namespaced(project, k)] !== undefined;
    const contradictions = projectValues ? sharedKeyProblems(raw, project, secretNames, projectValues) : [];
    const keys = keyValues(raw, project, secretNames, secrets, new Set(contradictions.map((p) => p.key)));
    const facts = factsOf(project, stack, keys.values, given);
    const reported: Reported[] = [
        ...unknownKeys(raw, project).map(({ key, value, expected }) => ({
            order: -1,
            text: `${key}: found ${secretKeys.includes(key) ? "[secret]" : show(value)}, expected ${expected}`,
        })),
        ...secretRefusals(project, secretKeys),
        ...[
            ...contradictions,
            ...retiredKeys(raw, project, secretNames),
            ...keys.problems,
            ...CONFIG_RULES.flatMap((rule) => rule(facts)),
        ].map((p) => ({
            order: CONFIG_KEY_NAMES.indexOf(p.order ?? p.key),
            text: `${namespaced(project, p.key)}${p.suffix ?? ""}: found ${secretNames.has(p.key) ? "[secret]" : show(p.found)}, expected ${p.expected}`,
        })),
    ];
    if (reported.length > 0 || !facts.role || !facts.region || !facts.accountId) {
        const ordered = reported.map((p, i) => ({ ...p, i })).sort((a, b) => a.order - b.order || a.i - b.i);
        throw new StackConfigError(
            stackFile,
            ordered.map((p) => p.text),
        );
    }
    return deepFreeze(stackConfigOf(facts, stackFile, secrets));
}

/** The validated config, from facts that broke no rule. */
function stackConfigOf(f: Facts, stackFile: string, secretKeys: string[]): StackConfig {
    const v = f.values;
    const { privateSubnetIds, publicSubnetIds } = subnetsOf(f);
    return {
        project: f.project,
        stack: f.stack,
        stackFile,
        role: f.role!,
        region: f.region!,
        partition: f.partition,
        accounts: f.accounts,
        accountId: f.accountId!,
        branches: branchesOf(f),
        requireApproval: f.role === "tool" ? false : (v.requireApproval ?? mustApprove(f)),
        protectResources: f.protectedEnvironment,
        services: servicesOf(f),
        keyAdministratorArns: keyAdministratorsOf(f),
        createKeyAdminUser: v.createKeyAdminUser,
        keyDeletionWindowDays: v.keyDeletionWindowDays,
        logRetentionDays: v.logRetentionDays,
        notificationEmails: notificationEmailsOf(f),
        network: { vpcId: v.vpcId, privateSubnetIds, publicSubnetIds, vpcCidr: v.vpcCidr },
        budget: budgetOf(f),
        defaultTags: defaultTagsOf(f),
        allowedAccountIds: v["aws:allowedAccountIds"] ?? [],
        organizationId: v.organizationId,
        certificateArn: v.certificateArn,
        awsProfile: v["aws:profile"],
        fipsEndpoints: v.fipsEndpoints ?? f.partition === "aws-us-gov",
        imageScan: { maxCritical: v.imageScanMaxCritical, maxHigh: v.imageScanMaxHigh },
        secretKeys,
        people: peopleOf(f),
        delivery: {
            strategy: v.deploymentStrategy,
            bakeTimeMinutes: v.bakeTimeMinutes,
            alarms: {
                errorRatePercent: v.alarmErrorRatePercent,
                latencyP99Ms: v.alarmLatencyP99Ms,
                evaluationMinutes: v.alarmEvaluationMinutes,
            },
        },
    };
}

/** The person roles, when people sign in through SAML or Identity Center. */
function peopleOf(f: Facts): PeopleConfig | undefined {
    const source: string = f.values.peopleIdentitySource;
    if (source !== "saml" && source !== "identity-center") return undefined;
    return {
        identitySource: source,
        ...(source === "saml" ? { samlProviderArn: f.values.peopleSamlProviderArn } : {}),
        breakGlassUserArns: f.values.breakGlassUserArns ?? [],
    };
}

/** The services, each with its settings in serviceSettings. */
function servicesOf(f: Facts): ServiceConfig[] {
    const v = f.values;
    const settings = serviceSettingsOf(f);
    return servicesIn(v.services).map((service) => {
        const s = settingsOf(service, settings);
        return {
            name: service.name,
            target: s.target,
            repositoryName: service.name,
            existingRepository: existingRepositoriesOf(f).includes(service.name),
            containerPort: v.containerPort,
            cpu: v.taskCpu,
            memory: v.taskMemory,
            desiredCount: v.desiredCount,
            healthCheckPath: v.healthCheckPath,
            secrets: s.secrets,
            secretsKmsKeyArns: s.secretsKmsKeyArns,
            egress: s.egress,
        };
    });
}

/** The account's budget, when budgetMonthlyLimitUsd is set. */
function budgetOf(f: Facts): BudgetConfig | undefined {
    if (!f.given("budgetMonthlyLimitUsd")) return undefined;
    const billingAccountId: string | undefined = f.values.budgetBillingAccountId;
    const paired = billingAccountOf(f);
    return {
        monthlyLimitUsd: f.values.budgetMonthlyLimitUsd,
        billingAccountId,
        billingCredentials: paired === undefined ? undefined : billingCredentialsOf(f, paired).value,
        thresholdsPercent: f.values.budgetThresholdsPercent ?? [],
        subscriberEmails: notificationEmailsOf(f),
    };
}

/** `--secret` on a key that may not be secret. */
function secretRefusals(project: string, secretKeys: readonly string[]): Reported[] {
    return secretKeys
        .filter((k) => !secretAllowedKeys().includes(withoutNamespace(project, k)))
        .map((k) => ({
            order: -1,
            text:
                `${k}: found a secret value, expected a plain value: this key ends up in resource names, ARNs, ids ` +
                "or policies, which Pulumi keeps in plain text in the state, so it cannot stay secret (set it without " +
                `--secret; keys that may be secret: ${secretAllowedKeys().join(", ")})`,
        }));
}

/**
 * The keys serviceSettings replaced (serviceSecrets, serviceSecretKeys, serviceEgress): refused, each entry with the
 * serviceSettings entry that replaces it. One set with --secret is refused as a secret, without its value.
 */
function retiredKeys(raw: RawConfig, project: string, secretNames: ReadonlySet<string>): Problem[] {
    return Object.keys(RETIRED_SERVICE_KEYS).flatMap((key) => {
        const text = raw[namespaced(project, key)];
        if (text === undefined || secretNames.has(key)) return [];
        return retiredKeyProblems(key, decode("object", text)).map((p) => ({ key, ...p, order: "serviceSettings" }));
    });
}

/** Values every stack shares (Pulumi.yaml's `value:`s): the CLI lets a stack file override them; the program not. */
function sharedKeyProblems(
    raw: RawConfig,
    project: string,
    secretNames: ReadonlySet<string>,
    projectValues: Readonly<Record<string, unknown>>,
): Problem[] {
    return sharedKeys().flatMap((key): Problem[] => {
        const text = raw[namespaced(project, key)];
        if (text === undefined || secretNames.has(key)) return []; // a secret one is refused as such
        const type = CONFIG_KEYS.find((d) => d.key === key)!.type;
        const found = decode(type, text);
        const stated = projectValues[key];
        if (stated === undefined) {
            const expected = `nothing in the stack file: ${key} is shared by every stack, so it is stated once, as a value in Pulumi.yaml's config`;
            return [{ key, found, expected }];
        }
        if (JSON.stringify(found) === JSON.stringify(type === "string" ? String(stated) : stated)) return [];
        const expected = `${show(stated)}, the value Pulumi.yaml states for every stack (remove ${key} from the stack file; change it in Pulumi.yaml, for all stacks)`;
        return [{ key, found, expected }];
    });
}

/**
 * Each key alone: the CLI's text decoded and checked with the key's schema. `values` keeps the values that pass
 * (defaults for keys not set), `problems` the rest; a contradicted shared key is left out of both.
 */
function keyValues(
    raw: RawConfig,
    project: string,
    secretNames: ReadonlySet<string>,
    secrets: readonly string[],
    contradicted: ReadonlySet<string>,
): { values: Record<string, any>; problems: Problem[] } {
    const values: Record<string, any> = {};
    const problems: Problem[] = [];
    for (const def of CONFIG_KEYS) {
        if (contradicted.has(def.key)) continue;
        const text = raw[namespaced(project, def.key)];
        if (text === undefined && !def.required) {
            values[def.key] = def.default;
            continue;
        }
        if (secretNames.has(def.key) && !secrets.includes(def.key)) {
            // Refused as a secret, once, whether or not its value could be decrypted.
            if (!def.required) values[def.key] = def.default;
            continue;
        }
        const value = text === undefined ? undefined : decode(def.type, text);
        const result = def.schema.safeParse(value);
        // An undecrypted secret (the offline plan, another secrets provider) is not checked: the plan says so.
        const unchecked = (path: readonly PropertyKey[]) =>
            secrets.includes(def.key) && at(value, path.slice(0, 1)) === UNDECRYPTED_SECRET;
        const issues = result.success ? [] : issuesByPath(result.error.issues).filter((i) => !unchecked(i.path));
        if (result.success) values[def.key] = result.data;
        else if (issues.length === 0) values[def.key] = value;
        else
            for (const issue of issues)
                problems.push({
                    key: def.key,
                    found: at(value, issue.path),
                    expected: issue.message,
                    suffix: suffix(issue.path),
                });
    }
    return { values, problems };
}

function show(v: unknown): string {
    return v === undefined ? "nothing" : JSON.stringify(v);
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
            if (ns === project && (projectKeys.includes(name) || name in RETIRED_SERVICE_KEYS)) continue;
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

function suffix(path: readonly PropertyKey[]): string {
    return path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
}

function deepFreeze<T>(value: T): T {
    if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
        Object.freeze(value);
        for (const x of Object.values(value)) deepFreeze(x);
    }
    return value;
}
