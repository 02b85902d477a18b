import * as pulumi from "@pulumi/pulumi";
import type {
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyProviderResource,
    PolicyResource,
    ResourceValidation,
    ResourceValidationPolicy,
    Severity,
    StackValidation,
    StackValidationPolicy,
} from "@pulumi/policy";
import { WaiverContext, WAIVERS_PROPERTY, waiverAudit, waiverFilter, withWaiversSchema } from "./waivers";

/** What docs, the plan tool and auditors need to know about one policy. */
export interface PolicyMetadata {
    readonly name: string;
    /** One sentence: what the policy checks. */
    readonly summary: string;
    readonly severity: Severity;
    /** AWS Foundational Security Best Practices (Security Hub) control ids, where one exists. */
    readonly fsbp: readonly string[];
    /** NIST SP 800-53 rev. 5 control ids. */
    readonly nist: readonly string[];
    readonly enforcementLevel: EnforcementLevel;
    readonly scope: "resource" | "stack";
}

type MetaInput = Omit<PolicyMetadata, "scope" | "enforcementLevel" | "fsbp"> & {
    readonly enforcementLevel?: EnforcementLevel;
    readonly fsbp?: readonly string[];
};

/** The default for security controls: block the deployment. */
export const DEFAULT_LEVEL: EnforcementLevel = "mandatory";

const registry = new Map<string, PolicyMetadata>();

/** Metadata of a policy built by resourcePolicy / stackPolicy. */
export function metadataOf(name: string): PolicyMetadata | undefined {
    return registry.get(name);
}

function describe(meta: PolicyMetadata): string {
    const ids = [
        `severity: ${meta.severity}`,
        meta.fsbp.length ? `AWS FSBP: ${meta.fsbp.join(", ")}` : "AWS FSBP: none",
        `NIST SP 800-53: ${meta.nist.join(", ")}`,
    ];
    return `${meta.summary} [${ids.join("; ")}]`;
}

function register(input: MetaInput, scope: PolicyMetadata["scope"]): PolicyMetadata {
    const meta: PolicyMetadata = {
        ...input,
        fsbp: input.fsbp ?? [],
        enforcementLevel: input.enforcementLevel ?? DEFAULT_LEVEL,
        scope,
    };
    registry.set(meta.name, meta);
    return meta;
}

function common(meta: PolicyMetadata, configSchema?: PolicyConfigSchema) {
    return {
        name: meta.name,
        description: describe(meta),
        enforcementLevel: meta.enforcementLevel,
        severity: meta.severity,
        tags: [...meta.fsbp.map((c) => `fsbp:${c}`), ...meta.nist.map((c) => `nist:${c}`)],
        configSchema: withWaiversSchema(configSchema),
    };
}

/** The stack waivers are judged against: its name and project, and its environment as the policies see it. */
const waiverContext = (): WaiverContext => ({
    stack: pulumi.getStack(),
    project: pulumi.getProject(),
    environment: stackConfig().environment,
});

/** A validation whose reports go through the policy's own waivers (keeping a typed validation's type token). */
function waived(name: string, validate: ResourceValidation): ResourceValidation {
    const wrapped: ResourceValidation = (args, report) =>
        validate(
            args,
            waiverFilter(
                name,
                args.getConfig<Record<string, unknown>>()[WAIVERS_PROPERTY],
                report,
                args.urn,
                waiverContext,
            ),
        );
    const type = (validate as { __pulumiType?: string }).__pulumiType;
    if (type) (wrapped as { __pulumiType?: string }).__pulumiType = type;
    return wrapped;
}

/**
 * A resource policy with its metadata in the description, tags and the metadata table, and waivers: the analyzer
 * hands a policy only its own config (`args.getConfig()`), so the policy filters its reports through its own
 * `waivers` and audits them itself, in a stack validation beside its resource validation (the analyzer runs both
 * for a policy that has both: @pulumi/policy server.js checks isResourcePolicy and isStackPolicy independently).
 */
export function resourcePolicy(
    input: MetaInput,
    validateResource: ResourceValidation,
    configSchema?: PolicyConfigSchema,
    decideUnknowns?: StackValidation,
): ResourceValidationPolicy {
    const meta = register(input, "resource");
    const validations = Array.isArray(validateResource) ? validateResource : [validateResource];
    const wrapped = validations.map((v) => waived(meta.name, v));
    const policy: ResourceValidationPolicy & Pick<StackValidationPolicy, "validateStack"> = {
        ...common(meta, configSchema),
        validateResource: Array.isArray(validateResource) ? wrapped : wrapped[0],
        validateStack: async (args, report) => {
            waiverAudit(meta.name, args, report, !decideUnknowns, waiverContext);
            // What a resource's own inputs leave unknown at preview, decided by what the value depends on (only
            // a stack validation sees dependencies); what it cannot decide is reported as undecided.
            if (decideUnknowns) {
                const config = args.getConfig<Record<string, unknown>>()[WAIVERS_PROPERTY];
                const urns = args.resources.map((r) => r.urn);
                await decideUnknowns(args, waiverFilter(meta.name, config, report, undefined, waiverContext, urns));
            }
        },
    };
    return policy;
}

/** A stack policy with its metadata in the description, tags and the metadata table, and waivers (see above). */
export function stackPolicy(
    input: MetaInput,
    validateStack: StackValidation,
    configSchema?: PolicyConfigSchema,
): StackValidationPolicy {
    const meta = register(input, "stack");
    // Untyped, so the audit runs even when the stack holds none of the policy's types.
    const wrapped: StackValidation = async (args, report) => {
        waiverAudit(meta.name, args, report, false, waiverContext);
        await validateStack(
            args,
            waiverFilter(
                meta.name,
                args.getConfig<Record<string, unknown>>()[WAIVERS_PROPERTY],
                report,
                undefined,
                waiverContext,
                args.resources.map((r) => r.urn),
            ),
        );
    };
    return { ...common(meta, configSchema), validateStack: wrapped };
}

// ---------------------------------------------------------------------------------------------------------------
// Stack context: environment and partition.

/** The AWS provider type token; the program always creates an explicit one named "aws". */
export const AWS_PROVIDER_TYPE = "pulumi:providers:aws";
export const PROTECTED_ENVIRONMENTS = ["stage", "prod"];

export const KNOWN_ENVIRONMENTS = ["tool", "dev", "qa", "stage", "prod"];

export interface StackContext {
    /** The stack being previewed (pulumi.getStack()). */
    readonly stack: string;
    /** dev, qa, stage, prod or tool: the stack's `environment` config, else its name; "unknown" otherwise. */
    readonly environment: string;
    /** The stack's own account id: its `<environment>AccountId` config. */
    readonly account?: string;
    /** aws, aws-us-gov or aws-cn, from the provider's region; undefined when no region is known. */
    readonly partition?: string;
    readonly region?: string;
    readonly allowedAccountIds?: readonly string[];
    readonly defaultTags: Readonly<Record<string, string>>;
}

/**
 * The stack's own config (the engine hands the policy pack the stack's name, project and config, as
 * PULUMI_NODEJS_STACK / PULUMI_CONFIG); never policy config, so a policy-pack config file cannot weaken a stack.
 */
export function stackConfig(): { stack: string; environment: string; account?: string } {
    const stack = pulumi.getStack();
    if (stackConfigMemo?.stack === stack) return stackConfigMemo;
    // The SDK parses the whole config on every read; policies ask for this once per resource.
    const config = new pulumi.Config(pulumi.getProject());
    const configured = config.get("environment");
    const environment = configured ?? (KNOWN_ENVIRONMENTS.includes(stack) ? stack : undefined);
    stackConfigMemo =
        !environment || !KNOWN_ENVIRONMENTS.includes(environment)
            ? { stack, environment: "unknown" }
            : { stack, environment, account: config.get(`${environment}AccountId`) };
    return stackConfigMemo;
}

let stackConfigMemo: ReturnType<typeof stackConfig> | undefined;

/**
 * Forgets what stackConfig() read. The analyzer runs one stack per process; a runner that switches stacks or
 * config in one process (the offline plan) calls this on every switch.
 */
export function forgetStackConfig(): void {
    stackConfigMemo = undefined;
}

/** The SDK sends a provider's non-string inputs as JSON strings; policies may see either form. */
export function parseJsonish(value: unknown): unknown {
    if (typeof value !== "string") return value;
    const t = value.trim();
    if (!t.startsWith("{") && !t.startsWith("[")) return value;
    try {
        return JSON.parse(t);
    } catch {
        return value;
    }
}

export function partitionOfRegion(region: string | undefined): string | undefined {
    if (!region) return undefined;
    if (region.startsWith("us-gov-")) return "aws-us-gov";
    if (region.startsWith("cn-")) return "aws-cn";
    return "aws";
}

/** Region, allowed accounts and default tags of a provider resource. */
export function providerSettings(provider: Pick<PolicyProviderResource, "props"> | undefined) {
    const props = provider?.props ?? {};
    const region = typeof props.region === "string" ? props.region : undefined;
    const allowed = parseJsonish(props.allowedAccountIds);
    const defaultTags = parseJsonish(props.defaultTags) as { tags?: Record<string, unknown> } | undefined;
    const tags: Record<string, string> = {};
    for (const [k, v] of Object.entries(defaultTags?.tags ?? {})) tags[k] = String(v);
    return {
        region,
        allowedAccountIds: Array.isArray(allowed) ? allowed.map(String) : undefined,
        defaultTags: tags,
    };
}

/** The stack's context: environment and account from the stack's config, partition from its provider's region. */
export function contextOf(provider: Pick<PolicyProviderResource, "props"> | undefined): StackContext {
    const s = providerSettings(provider);
    return {
        ...stackConfig(),
        partition: partitionOfRegion(s.region),
        region: s.region,
        allowedAccountIds: s.allowedAccountIds,
        defaultTags: s.defaultTags,
    };
}

/** Accounts the stack itself owns: its configured account, else what its provider allows. */
export function ownAccounts(ctx: StackContext): string[] {
    return ctx.account ? [ctx.account] : [...(ctx.allowedAccountIds ?? [])];
}

/** The AWS provider most of the stack's resources use (the explicit "aws" one in this program). */
export function stackProvider(resources: readonly PolicyResource[]): PolicyResource | undefined {
    const providers = resources.filter((r) => r.type === AWS_PROVIDER_TYPE);
    return providers.find((p) => p.name === "aws") ?? providers[0];
}

/** Stricter rules apply when the environment is protected or unknown. */
export function isProtected(ctx: StackContext): boolean {
    return PROTECTED_ENVIRONMENTS.includes(ctx.environment) || ctx.environment === "unknown";
}

// ---------------------------------------------------------------------------------------------------------------
// Policy documents (IAM, KMS key policies, bucket policies).

export interface Statement {
    Sid?: string;
    Effect?: string;
    Principal?: unknown;
    NotPrincipal?: unknown;
    Action?: string | string[];
    NotAction?: string | string[];
    Resource?: string | string[];
    NotResource?: string | string[];
    Condition?: Record<string, Record<string, unknown>>;
}

/** The statements of a policy document given as JSON text or an object; undefined when it cannot be read. */
export function statementsOf(document: unknown): Statement[] | undefined {
    let doc = document;
    if (typeof doc === "string") {
        try {
            doc = JSON.parse(doc);
        } catch {
            return undefined;
        }
    }
    if (typeof doc !== "object" || doc === null) return undefined;
    const s = (doc as { Statement?: unknown }).Statement;
    if (s === undefined) return [];
    return (Array.isArray(s) ? s : [s]) as Statement[];
}

export const list = (v: unknown): string[] =>
    v === undefined || v === null ? [] : (Array.isArray(v) ? v : [v]).map((x) => String(x));

export const isAllow = (s: Statement) => s.Effect === "Allow";
export const hasCondition = (s: Statement) => !!s.Condition && Object.keys(s.Condition).length > 0;

/** `*`, `{ AWS: "*" }` or `{ AWS: ["*"] }`: anyone. */
export function isPublicPrincipal(principal: unknown): boolean {
    if (principal === "*") return true;
    if (typeof principal === "object" && principal !== null) {
        return list((principal as Record<string, unknown>).AWS).includes("*");
    }
    return false;
}

/** The account ids of the AWS principals of a statement (root ARNs, role ARNs or bare account ids). */
export function principalAccounts(principal: unknown): string[] {
    if (typeof principal !== "object" || principal === null) return [];
    return list((principal as Record<string, unknown>).AWS)
        .map((p) => (/^\d{12}$/.test(p) ? p : /^arn:[\w-]+:iam::(\d{12}):/.exec(p)?.[1]))
        .filter((a): a is string => !!a);
}

/** Condition keys of a statement, lower-cased, across all operators. */
export function conditionKeys(s: Statement): string[] {
    return Object.values(s.Condition ?? {}).flatMap((block) => Object.keys(block ?? {}).map((k) => k.toLowerCase()));
}

/** The value of a condition key under any operator (case-insensitive key). */
export function conditionValues(s: Statement, operator: RegExp, key: string): string[] {
    const out: string[] = [];
    for (const [op, block] of Object.entries(s.Condition ?? {})) {
        if (!operator.test(op)) continue;
        for (const [k, v] of Object.entries(block ?? {}))
            if (k.toLowerCase() === key.toLowerCase()) out.push(...list(v));
    }
    return out;
}

export const describeStatement = (s: Statement, i: number) => (s.Sid ? `statement "${s.Sid}"` : `statement ${i + 1}`);

/** The account of an ARN-ish string, or undefined. */
export const accountOfArn = (arn: string): string | undefined => /^arn:[\w-]+:[\w-]*:[\w-]*:(\d{12}):/.exec(arn)?.[1];

/** Reads a value that may be unknown during preview; undefined when it is. */
export function known<T>(read: () => T): T | undefined {
    try {
        return read();
    } catch (e) {
        if ((e as Error)?.constructor?.name === "UnknownValueError") return undefined;
        throw e;
    }
}

/** The resources of `type` attached to `target` through property `property` (dependency or equal value). */
export function attachments(
    resources: readonly PolicyResource[],
    type: string,
    target: PolicyResource,
    property: string,
    targetValues: readonly unknown[],
): PolicyResource[] {
    const values: unknown[] = targetValues.filter((v) => v !== undefined);
    return resources.filter(
        (r) =>
            r.type === type &&
            (r.dependencies.some((d) => d.urn === target.urn) || values.includes(known(() => r.props[property]))),
    );
}

const isUnknownError = (e: unknown) => (e as Error)?.constructor?.name === "UnknownValueError";

/** Marks a value that is unknown during preview. */
export const UNKNOWN: unique symbol = Symbol("unknown during preview");

/**
 * Decide what can be decided during preview, and say what must wait: `read` returns UNKNOWN for a value the
 * preview does not know (remembering why); `finish()` then rethrows the first such error, which the analyzer
 * reports as "can't run policy ... during preview: <value> can't be known" after the violations already found.
 */
export class Deferred {
    private first?: unknown;
    read<T>(fn: () => T): T | typeof UNKNOWN {
        try {
            return fn();
        } catch (e) {
            if (!isUnknownError(e)) throw e;
            this.first ??= e;
            return UNKNOWN;
        }
    }
    /** Reads a value without remembering an unknown one (for values decided otherwise at preview). */
    peek<T>(fn: () => T): T | typeof UNKNOWN {
        try {
            return fn();
        } catch (e) {
            if (!isUnknownError(e)) throw e;
            return UNKNOWN;
        }
    }
    finish(): void {
        if (this.first !== undefined) throw this.first;
    }
}

/** A resource's dependencies behind one property: the engine's propertyDependencies, else all its dependencies. */
export function dependenciesOf(resource: PolicyResource, property: string): PolicyResource[] {
    return resource.propertyDependencies?.[property] ?? resource.dependencies;
}

/**
 * True when `property` of `resource` depends only on resources this stack creates, each of one of `types`: an
 * unknown value there is an output of such a resource (of this stack's account), whatever AWS assigns.
 */
export function createdHere(resource: PolicyResource, property: string, types: readonly string[] = []): boolean {
    const sources = dependenciesOf(resource, property);
    return sources.length > 0 && sources.every((d) => types.includes(d.type));
}

/** AWS-managed keys are addressed as alias/aws/<service>; they cannot be shared with another account. */
export const AWS_MANAGED_KEY = /(^|:)alias\/aws\//;

export type KeyVerdict =
    { kind: "cmk"; found: string } | { kind: "aws-managed" | "missing"; found: string } | { kind: "unknown" };

/**
 * What a key reference names. A known value: missing, an AWS-managed alias, or a customer-managed key (a key ARN,
 * id or alias of the account's own). An unknown one: a customer-managed key when the property depends on an
 * aws.kms.Key of the stack (decided at preview), unknown otherwise.
 */
export function keyVerdict(
    read: () => unknown,
    deferred: Deferred,
    holder?: PolicyResource,
    property?: string,
): KeyVerdict {
    const value = deferred.peek(read);
    if (value === UNKNOWN) {
        const key = holder && property ? dependenciesOf(holder, property).find((d) => d.type === KMS_KEY) : undefined;
        if (key) return { kind: "cmk", found: `key "${key.name}" of this stack` };
        deferred.read(read);
        return { kind: "unknown" };
    }
    if (value === undefined || value === null || value === "") return { kind: "missing", found: "none" };
    const s = String(value);
    return AWS_MANAGED_KEY.test(s) ? { kind: "aws-managed", found: s } : { kind: "cmk", found: s };
}

export const KMS_KEY = "aws:kms/key:Key";

/**
 * Resource types none of whose outputs is a plain-text secret: a key's ARN, id and policy; a task definition's
 * ARN, family and revision (its container definitions' environment is judged by ecs-no-secrets-in-environment).
 * A value unknown at preview that depends only on such resources of the stack is decided not to be a secret.
 */
export const NON_SECRET_SOURCES: readonly string[] = [KMS_KEY, "aws:ecs/taskDefinition:TaskDefinition"];

/** Glob match of an IAM pattern (`*`, `?`) against a value, case-insensitive (IAM actions are). */
export const globCovers = (pattern: string, value: string) =>
    new RegExp(
        `^${pattern
            .replace(/[.+^${}()|[\]\\]/g, "\\$&")
            .replace(/\*/g, ".*")
            .replace(/\?/g, ".")}$`,
        "i",
    ).test(value);

/** The accounts of the program's five environments (the stack's `<environment>AccountId` config), by environment. */
export function programAccounts(): Record<string, string> {
    const config = new pulumi.Config(pulumi.getProject());
    const out: Record<string, string> = {};
    for (const env of KNOWN_ENVIRONMENTS) {
        const id = config.get(`${env}AccountId`);
        if (id) out[env] = id;
    }
    return out;
}

/** The branch whose pushes start an environment's pipeline (the stack's `<environment>Branch` config). */
export const configuredBranch = (environment: string): string | undefined =>
    new pulumi.Config(pulumi.getProject()).get(`${environment}Branch`);

/** True when an Allow statement grants `action`: an Action pattern covers it, or NotAction does not list it. */
export function grantsAction(s: Statement, action: string): boolean {
    if (s.NotAction !== undefined) return !list(s.NotAction).some((a) => globCovers(a, action));
    return list(s.Action).some((a) => globCovers(a, action));
}
