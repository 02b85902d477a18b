import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type {
    Policy,
    PolicyConfigSchema,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ReportViolation,
    ResourceValidation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import {
    allPolicies,
    POLICY_PACK_ENFORCEMENT_LEVEL,
    POLICY_PACK_NAME,
    POLICY_PACK_VERSION,
} from "../../policy-pack/policies";
import { forgetStackConfig } from "../../policy-pack/policies/common";
import { setWaivedSink, WaivedReport } from "../../policy-pack/policies/waivers";
import type { RecordedResource, StackRun } from "../runtime/mockRuntime";

// The analyzer's own unknown sentinels and the proxy that throws on reading one (internal to @pulumi/policy).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxy = require("@pulumi/policy/proxy") as {
    unknownCheckingProxy<T>(value: T): T;
    UnknownValueError: new (...args: any[]) => Error;
    unknownStringValue: string;
};

// SDK internals: how secrets and unknown values look in the recorded inputs.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const rpc = require("@pulumi/pulumi/runtime/rpc") as { specialSigKey: string; specialSecretSig: string };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const outputModule = require("@pulumi/pulumi/output") as { isUnknown(v: unknown): boolean };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const settings = require("@pulumi/pulumi/runtime/settings") as {
    _setStack(stack: string): string;
    _setProject(project: string): string;
};
const SIG_KEY = rpc.specialSigKey;
const SECRET_SIG = rpc.specialSecretSig;

export type EnforcementLevel = "advisory" | "mandatory" | "remediate" | "disabled";

export interface PolicyViolation {
    policyName: string;
    packName: string;
    enforcementLevel: EnforcementLevel;
    /** What the policy reported (the engine prints the policy's description above it). */
    message: string;
    /** The message as the analyzer hands it to the engine: the description, then what the policy reported. */
    engineMessage: string;
    urn?: string;
    resourceType?: string;
    resourceName?: string;
    severity?: string;
}

export interface PolicyVerdict {
    violations: PolicyViolation[];
    /** Violations that would fail `pulumi preview` / `pulumi up`. */
    mandatory: number;
    advisory: number;
}

export interface EvaluateOptions {
    config?: PolicyPackConfig;
    policies?: Policy[];
    /**
     * Told of each policy that ran to the end on a resource (or the stack) without calling notApplicable() and
     * without stopping at an unknown value: with no violation of its own, the stack is compliant with it.
     */
    onApplied?: (policyName: string) => void;
    /** Told of each finding a policy's waiver accepted (not reported to the engine, so not a violation). */
    onWaived?: (waived: WaivedReport) => void;
    /**
     * Told how each policy call ended, per resource (`urn`) or for the stack: it ran to the end, it called
     * notApplicable() (with its reason), or it stopped at a value unknown at preview (with the analyzer's message).
     */
    onOutcome?: (outcome: PolicyOutcome) => void;
}

/** How one policy call ended (see EvaluateOptions.onOutcome). */
export interface PolicyOutcome {
    readonly policyName: string;
    readonly phase: "resource" | "stack";
    /** The resource of a resource validation; undefined for a stack validation. */
    readonly urn?: string;
    readonly outcome: "ran" | "not-applicable" | "unknown";
    readonly reason?: string;
}

/** The file `pulumi preview --policy-pack-config FILE` reads: policy name (or "all") -> level or settings. */
export type PolicyPackConfig = Record<
    string,
    EnforcementLevel | { enforcementLevel?: EnforcementLevel; [k: string]: unknown }
>;

const LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];
const ALL = "all";

/** Reads and checks a policy pack config file against the pack's policies; throws one error listing every problem. */
export function readPolicyPackConfig(file: string, policies: readonly Policy[] = allPolicies): PolicyPackConfig {
    let parsed: unknown;
    try {
        parsed = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
        throw new Error(`Policy pack config ${path.basename(file)} is not valid JSON: ${(e as Error).message}`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw new Error(
            `Policy pack config ${path.basename(file)}: found ${JSON.stringify(parsed)}, expected a JSON object ` +
                `mapping policy names (or "all") to an enforcement level or { "enforcementLevel": ..., <properties> }`,
        );
    }
    const problems = validatePolicyPackConfig(parsed as Record<string, unknown>, policies);
    if (problems.length > 0) {
        throw new Error(
            `Invalid policy pack config ${path.basename(file)} (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
    }
    return parsed as PolicyPackConfig;
}

/** Every problem of a config object: unknown policy names, bad levels, properties the policy's schema rejects. */
export function validatePolicyPackConfig(config: Record<string, unknown>, policies: readonly Policy[]): string[] {
    const problems: string[] = [];
    const byName = new Map(policies.map((p) => [p.name, p]));
    const levels = LEVELS.map((l) => `"${l}"`).join(", ");
    for (const [name, value] of Object.entries(config)) {
        const policy = byName.get(name);
        if (!policy && name !== ALL) {
            problems.push(
                `${name}: no such policy in ${POLICY_PACK_NAME} (the policies are listed in policy-pack/README.md)`,
            );
            continue;
        }
        if (typeof value === "string") {
            if (!LEVELS.includes(value as EnforcementLevel))
                problems.push(`${name}: found "${value}", expected one of ${levels}`);
            continue;
        }
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
            problems.push(`${name}: found ${JSON.stringify(value)}, expected an enforcement level or an object`);
            continue;
        }
        const { enforcementLevel, ...props } = value as Record<string, unknown>;
        if (enforcementLevel !== undefined && !LEVELS.includes(enforcementLevel as EnforcementLevel)) {
            problems.push(
                `${name}.enforcementLevel: found ${JSON.stringify(enforcementLevel)}, expected one of ${levels}`,
            );
        }
        if (name === ALL) {
            if (Object.keys(props).length > 0)
                problems.push(`all: found properties ${Object.keys(props).join(", ")}, expected only enforcementLevel`);
            continue;
        }
        problems.push(...checkProperties(name, props, policy!.configSchema));
    }
    return problems;
}

const JSON_TYPES: Record<string, (v: unknown) => boolean> = {
    string: (v) => typeof v === "string",
    number: (v) => typeof v === "number",
    integer: (v) => Number.isInteger(v),
    boolean: (v) => typeof v === "boolean",
    array: (v) => Array.isArray(v),
    object: (v) => typeof v === "object" && v !== null && !Array.isArray(v),
};

function checkProperties(policy: string, props: Record<string, unknown>, schema?: PolicyConfigSchema): string[] {
    const problems: string[] = [];
    const declared = schema?.properties ?? {};
    for (const [key, value] of Object.entries(props)) {
        const s = declared[key] as { type?: string; enum?: unknown[]; items?: { type?: string } } | undefined;
        if (!s) {
            const known = Object.keys(declared);
            problems.push(
                `${policy}.${key}: not a property of this policy (it has ${known.length ? known.join(", ") : "none"})`,
            );
        } else if (s.type && JSON_TYPES[s.type] && !JSON_TYPES[s.type](value)) {
            problems.push(`${policy}.${key}: found ${JSON.stringify(value)}, expected ${s.type}`);
        } else if (s.enum && !s.enum.includes(value)) {
            problems.push(
                `${policy}.${key}: found ${JSON.stringify(value)}, expected one of ${JSON.stringify(s.enum)}`,
            );
        } else if (Array.isArray(value) && s.items?.type && JSON_TYPES[s.items.type]) {
            const bad = value.filter((v) => !JSON_TYPES[s.items!.type!](v));
            if (bad.length)
                problems.push(`${policy}.${key}: found ${JSON.stringify(bad)}, expected ${s.items.type} items`);
        }
    }
    for (const key of schema?.required ?? []) {
        if (!(key in props) && (declared[key] as { default?: unknown } | undefined)?.default === undefined) {
            problems.push(`${policy}.${key}: required by the policy, found nothing`);
        }
    }
    return problems;
}

/** The level the engine uses: the policy's own config entry, then "all", then the policy, then the pack. */
export function enforcementLevelOf(policy: Policy, config: PolicyPackConfig = {}): EnforcementLevel {
    const levelIn = (entry: PolicyPackConfig[string] | undefined) =>
        typeof entry === "string" ? entry : entry?.enforcementLevel;
    return (
        levelIn(config[policy.name]) ??
        levelIn(config[ALL]) ??
        (policy.enforcementLevel as EnforcementLevel | undefined) ??
        POLICY_PACK_ENFORCEMENT_LEVEL
    );
}

/** Policy properties as the CLI hands them to the analyzer: schema defaults overridden by the config file. */
export function policyConfigOf(policy: Policy, config: PolicyPackConfig = {}): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
        const d = (schema as { default?: unknown }).default;
        if (d !== undefined) out[key] = d;
    }
    const entry = config[policy.name];
    if (typeof entry === "object" && entry !== null) {
        const { enforcementLevel: _level, ...props } = entry;
        Object.assign(out, props);
    }
    return out;
}

class NotApplicableError extends Error {
    constructor(readonly reason?: string) {
        super(reason ?? "Policy does not apply");
    }
}
// Policies call notApplicable() thousands of times per plan: build the error without capturing a stack trace.
const notApplicable = (reason?: string): never => {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    const error = new NotApplicableError(reason);
    Error.stackTraceLimit = limit;
    throw error;
};

/**
 * Evaluates policies against a recorded stack the way the engine's analyzer does during `pulumi preview`:
 * remediations first (reported with level "remediate", never failing), then every resource policy on every
 * resource, then every stack policy on the whole stack. Unknown values make a policy report an advisory
 * "can't run during preview"; `notApplicable()` records nothing; any other error in a policy throws.
 */
export async function evaluatePolicies(run: StackRun, options: EvaluateOptions = {}): Promise<PolicyVerdict> {
    const leave = enterStack(run);
    const restoreSink = setWaivedSink(options.onWaived);
    try {
        return await evaluate(run, options);
    } finally {
        restoreSink();
        leave();
    }
}

/**
 * The engine starts the policy pack with the previewed stack's name, project and config (PULUMI_NODEJS_STACK,
 * PULUMI_NODEJS_PROJECT, PULUMI_CONFIG; pulumi/pulumi sdk/go/common/resource/plugin/analyzer_plugin.go,
 * constructEnv), so pulumi.getStack() and pulumi.Config work inside policies. The same here, restored after.
 */
function enterStack(run: StackRun): () => void {
    const before = { stack: pulumi.getStack(), project: pulumi.getProject(), config: pulumi.runtime.allConfig() };
    settings._setStack(run.stack);
    settings._setProject(run.project);
    pulumi.runtime.setAllConfig({ ...run.config }, []);
    forgetStackConfig();
    return () => {
        settings._setStack(before.stack);
        settings._setProject(before.project);
        pulumi.runtime.setAllConfig(before.config, []);
        forgetStackConfig();
    };
}

async function evaluate(run: StackRun, options: EvaluateOptions): Promise<PolicyVerdict> {
    const policies = options.policies ?? allPolicies;
    const config = options.config ?? {};
    const stackTags: ReadonlyMap<string, string> = new Map();
    const violations: PolicyViolation[] = [];
    const records = new Map(run.resources.map((r) => [r.urn, r]));

    const propsOf = new Map<string, Record<string, any>>(run.resources.map((r) => [r.urn, policyValueOf(r.inputs)]));
    const providerOf = (r: RecordedResource): PolicyProviderResource | undefined => {
        const ref = r.provider;
        if (!ref) return undefined;
        const urn = ref.split("::").slice(0, 4).join("::");
        const p = records.get(urn);
        if (!p) return undefined;
        return { type: p.type, name: p.name, urn: p.urn, props: proxy.unknownCheckingProxy(propsOf.get(p.urn)!) };
    };
    const record = (
        policy: Policy,
        level: EnforcementLevel,
        urn: string | undefined,
        message: string,
        engineMessage: string,
    ) => {
        const target = records.get(urn ?? "");
        violations.push({
            policyName: policy.name,
            packName: POLICY_PACK_NAME,
            enforcementLevel: level,
            message,
            engineMessage,
            ...(target ? { urn: target.urn, resourceType: target.type, resourceName: target.name } : {}),
            ...(policy.severity ? { severity: policy.severity } : {}),
        });
    };
    // As @pulumi/policy reports a violation: the engine gets the description, then the policy's message.
    const report =
        (policy: Policy, level: EnforcementLevel, defaultUrn?: string): ReportViolation =>
        (message: string, urn?: string) =>
            record(
                policy,
                level,
                urn ?? defaultUrn,
                message || policy.description,
                message ? `${policy.description}\n${message}` : policy.description,
            );
    // Synchronous when the validation is (most are): an await per policy and resource costs more than the check.
    const guard = (policy: Policy, urn: string | undefined, what: string, fn: () => unknown): Promise<void> | void => {
        const outcome = (o: PolicyOutcome["outcome"], reason?: string) =>
            what === "policy" &&
            options.onOutcome?.({
                policyName: policy.name,
                phase: urn === undefined ? "stack" : "resource",
                ...(urn !== undefined ? { urn } : {}),
                outcome: o,
                ...(reason !== undefined ? { reason } : {}),
            });
        const ran = () => {
            if (what === "policy") options.onApplied?.(policy.name);
            outcome("ran");
        };
        const failed = (e: unknown) => {
            const from = `${what} '${policy.name}' from policy pack '${POLICY_PACK_NAME}@v${POLICY_PACK_VERSION}'`;
            if (e instanceof proxy.UnknownValueError) {
                const message = `can't run ${from} during preview: ${e.message}`;
                record(policy, "advisory", urn, message, message);
                outcome("unknown", message);
            } else if (e instanceof NotApplicableError) {
                outcome("not-applicable", e.reason);
            } else {
                throw new Error(`Error validating resource with ${from}: ${(e as Error).message ?? e}`);
            }
        };
        let result: unknown;
        try {
            result = fn();
        } catch (e) {
            return failed(e);
        }
        if (typeof (result as PromiseLike<unknown> | undefined)?.then === "function") {
            return Promise.resolve(result).then(ran, failed);
        }
        ran();
    };
    // Each policy's properties, built once (a policy's waivers are read on every resource).
    const configs = new Map<Policy, Record<string, unknown>>();
    const configOf = (policy: Policy) => {
        if (!configs.has(policy)) configs.set(policy, policyConfigOf(policy, config));
        return configs.get(policy)!;
    };
    // Props and provider as policies see them, built once per resource after the remediations (proxies hold no state).
    const seen = new Map<string, { props: Record<string, any>; provider?: PolicyProviderResource }>();
    const viewOf = (r: RecordedResource) => {
        let view = seen.get(r.urn);
        if (!view) {
            view = { props: proxy.unknownCheckingProxy(propsOf.get(r.urn)!), provider: providerOf(r) };
            seen.set(r.urn, view);
        }
        return view;
    };
    const resourceArgs = (r: RecordedResource, policy: Policy): ResourceValidationArgs => {
        const { props, provider } = viewOf(r);
        const args: ResourceValidationArgs = {
            type: r.type,
            props,
            urn: r.urn,
            name: r.name,
            opts: optionsOf(r),
            stackTags,
            isType: (cls) => isTypeOf(r.type, cls),
            asType: (cls: any) => (isTypeOf(r.type, cls) ? (props as any) : undefined),
            getConfig: <T extends object>() => configOf(policy) as T,
            notApplicable,
        };
        if (provider) args.provider = provider;
        return args;
    };

    // Remediations run first and change the props the validations see.
    for (const policy of policies) {
        const p = policy as ResourceValidationPolicy;
        if (enforcementLevelOf(policy, config) !== "remediate" || typeof p.remediateResource !== "function") continue;
        for (const r of run.resources) {
            await guard(policy, r.urn, "remediation", async () => {
                const result = await Promise.resolve(p.remediateResource!(resourceArgs(r, policy)));
                if (result) {
                    propsOf.set(r.urn, toPolicyValue(result) as Record<string, any>);
                    seen.clear();
                    report(policy, "remediate", r.urn)(`remediated ${r.type} "${r.name}": ${policy.description}`);
                }
            });
        }
    }

    for (const policy of policies) {
        const level = enforcementLevelOf(policy, config);
        const validations = (policy as ResourceValidationPolicy).validateResource;
        if (level === "disabled" || validations === undefined) continue;
        const effective = level === "remediate" ? "mandatory" : level;
        const list: ResourceValidation[] = Array.isArray(validations) ? validations : [validations];
        for (const r of run.resources) {
            for (const validate of list) {
                const onlyType = (validate as { __pulumiType?: string }).__pulumiType;
                if (!Array.isArray(validations) && onlyType && onlyType !== r.type) continue;
                const pending = guard(policy, r.urn, "policy", () =>
                    validate(resourceArgs(r, policy), report(policy, effective, r.urn)),
                );
                if (pending) await pending;
            }
        }
    }

    const stackResources = buildStackResources(run.resources, propsOf, providerOf);
    for (const policy of policies) {
        const level = enforcementLevelOf(policy, config);
        const validate = (policy as StackValidationPolicy).validateStack;
        if (level === "disabled" || typeof validate !== "function") continue;
        const onlyType = (validate as { __pulumiType?: string }).__pulumiType;
        if (onlyType && !run.resources.some((r) => r.type === onlyType)) continue;
        const args: StackValidationArgs = {
            resources: stackResources,
            stackTags,
            getConfig: <T extends object>() => configOf(policy) as T,
            notApplicable,
        };
        await guard(policy, undefined, "policy", () =>
            validate(args, report(policy, level === "remediate" ? "mandatory" : level)),
        );
    }

    return {
        violations,
        mandatory: violations.filter((v) => v.enforcementLevel === "mandatory").length,
        advisory: violations.filter((v) => v.enforcementLevel === "advisory").length,
    };
}

function buildStackResources(
    recorded: readonly RecordedResource[],
    propsOf: Map<string, Record<string, any>>,
    providerOf: (r: RecordedResource) => PolicyProviderResource | undefined,
): PolicyResource[] {
    const byUrn = new Map<string, PolicyResource>();
    for (const r of recorded) {
        const props = proxy.unknownCheckingProxy(propsOf.get(r.urn)!);
        const resource: PolicyResource = {
            type: r.type,
            props,
            urn: r.urn,
            name: r.name,
            opts: optionsOf(r),
            dependencies: [],
            propertyDependencies: {},
            isType: (cls) => isTypeOf(r.type, cls),
            asType: (cls: any) => (isTypeOf(r.type, cls) ? (props as any) : undefined),
        };
        const provider = providerOf(r);
        if (provider) resource.provider = provider;
        byUrn.set(r.urn, resource);
    }
    for (const r of recorded) {
        const resource = byUrn.get(r.urn)!;
        if (r.parent && byUrn.has(r.parent)) resource.parent = byUrn.get(r.parent);
        resource.dependencies = r.dependencies.map((d) => byUrn.get(d)).filter((d): d is PolicyResource => !!d);
        // The engine sends each property's dependencies; a recorded run holds them only when its recorder kept them.
        const byProperty = (r as { propertyDependencies?: Record<string, readonly string[]> }).propertyDependencies;
        for (const [key, urns] of Object.entries(byProperty ?? {})) {
            resource.propertyDependencies[key] = urns.map((d) => byUrn.get(d)).filter((d): d is PolicyResource => !!d);
        }
    }
    return [...byUrn.values()];
}

function optionsOf(r: RecordedResource): PolicyResourceOptions {
    return {
        protect: r.protect,
        ignoreChanges: [...r.ignoreChanges],
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [],
        ...(r.parent ? { parent: r.parent } : {}),
    };
}

function isTypeOf(type: string, cls: any): boolean {
    const token = cls?.__pulumiType;
    if (typeof token === "string" && token.length > 0) return type === token;
    return typeof cls?.isInstance === "function" && cls.isInstance({ __pulumiType: type }) === true;
}

/**
 * The policy view of recorded inputs, converted once per inputs object: runs that share resources (the mutation
 * suite's copies of one stack) share the conversion. Policies only read them (none of this pack's writes to props).
 */
const converted = new WeakMap<object, Record<string, any>>();
function policyValueOf(inputs: Record<string, any>): Record<string, any> {
    let value = converted.get(inputs);
    if (!value) {
        value = toPolicyValue(inputs) as Record<string, any>;
        converted.set(inputs, value);
    }
    return value;
}

/** Recorded SDK values as the analyzer sees them: secrets unwrapped, unknowns as the analyzer's sentinel. */
function toPolicyValue(value: unknown): unknown {
    if (value === null || typeof value !== "object") return value;
    if (pulumi.Resource.isInstance(value) || pulumi.Output.isInstance(value)) return proxy.unknownStringValue;
    if (outputModule.isUnknown(value)) return proxy.unknownStringValue;
    if (Array.isArray(value)) return value.map(toPolicyValue);
    const obj = value as Record<string, unknown>;
    if (obj[SIG_KEY] === SECRET_SIG) return toPolicyValue(obj.value);
    if (obj[SIG_KEY] !== undefined) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = toPolicyValue(v);
    return out;
}
