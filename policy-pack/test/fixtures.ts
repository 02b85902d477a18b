import type { Policy } from "@pulumi/policy";
import { evaluatePolicies, PolicyPackConfig, PolicyVerdict } from "../../offline/analysis/policyRunner";
import type { RecordedResource, StackRun } from "../../offline/runtime/mockRuntime";

/** Small recorded stacks for policy tests: an explicit "aws" provider plus the resources given. */
export const PROJECT = "devsecops-pipelines";
export const ACCOUNTS = { tool: "314159265358", dev: "271828182845", stage: "141421356237", prod: "173205080756" };

export interface FixtureOptions {
    environment?: string;
    region?: string;
    /** Replaces the provider's default tags (undefined keys removed). */
    defaultTags?: Record<string, string | undefined>;
    allowedAccountIds?: string[] | null;
    /** The stack's own config (namespaced keys), as the engine hands it to the pack; default none. */
    stackConfig?: Record<string, string>;
}

export function providerResource(stack: string, options: FixtureOptions = {}): RecordedResource {
    const environment = options.environment ?? stack;
    const tags: Record<string, string> = {};
    const merged = {
        Project: PROJECT,
        Environment: environment,
        CostCenter: "CC-1",
        Owner: "team@example.gov",
        ManagedBy: "pulumi",
        ...options.defaultTags,
    };
    for (const [k, v] of Object.entries(merged)) if (v !== undefined) tags[k] = v;
    const account = (ACCOUNTS as Record<string, string>)[environment] ?? ACCOUNTS.dev;
    // The SDK sends a provider's non-string inputs as JSON text, as recorded by the mock runtime.
    const inputs: Record<string, any> = {
        region: options.region ?? "us-gov-west-1",
        defaultTags: JSON.stringify({ tags }),
    };
    if (options.allowedAccountIds !== null) {
        inputs.allowedAccountIds = JSON.stringify(options.allowedAccountIds ?? [account]);
    }
    return {
        urn: `urn:pulumi:${stack}::${PROJECT}::pulumi:providers:aws::aws`,
        type: "pulumi:providers:aws",
        name: "aws",
        custom: true,
        remote: false,
        inputs,
        state: inputs,
        protect: false,
        retainOnDelete: false,
        ignoreChanges: [],
        dependencies: [],
    };
}

export interface Res {
    type: string;
    name: string;
    inputs: Record<string, any>;
    dependsOn?: Res[];
    /** Each input property's dependencies, as the engine hands them to a stack policy (also dependencies). */
    propertyDependsOn?: Record<string, Res[]>;
    custom?: boolean;
    parent?: Res;
    /** The protect resource option. */
    protect?: boolean;
}

export const res = (type: string, name: string, inputs: Record<string, any> = {}, extra: Partial<Res> = {}): Res => ({
    type,
    name,
    inputs,
    ...extra,
});

export const urnOf = (stack: string, r: { type: string; name: string }) =>
    `urn:pulumi:${stack}::${PROJECT}::${r.type}::${r.name}`;

/** A StackRun holding the provider and the given resources (all using that provider). */
export function stackRun(resources: Res[], stack = "dev", options: FixtureOptions = {}): StackRun {
    const provider = providerResource(stack, options);
    const recorded: RecordedResource[] = [
        provider,
        ...resources.map((r) => ({
            urn: urnOf(stack, r),
            type: r.type,
            name: r.name,
            custom: r.custom ?? true,
            remote: false,
            inputs: r.inputs,
            state: r.inputs,
            parent: r.parent ? urnOf(stack, r.parent) : undefined,
            provider: r.custom === false ? undefined : `${provider.urn}::aws-provider-id`,
            protect: r.protect ?? false,
            retainOnDelete: false,
            ignoreChanges: [],
            dependencies: [...(r.dependsOn ?? []), ...Object.values(r.propertyDependsOn ?? {}).flat()].map((d) =>
                urnOf(stack, d),
            ),
            propertyDependencies: Object.fromEntries(
                Object.entries(r.propertyDependsOn ?? {}).map(([k, deps]) => [k, deps.map((d) => urnOf(stack, d))]),
            ),
        })),
    ];
    return { project: PROJECT, stack, config: options.stackConfig ?? {}, resources: recorded, calls: [] };
}

/**
 * Per policy, how many check() calls it passed (applied, no violation of its own) and failed: the coverage test
 * requires both for every policy of the pack.
 */
export const coverage = new Map<string, { compliant: number; nonCompliant: number }>();

/**
 * Policies that forbid a resource type: they apply to nothing in a compliant stack, so a compliant case is one
 * holding the resource the forbidden one would attach to (a user without access keys or a login profile).
 */
const FORBIDDING: Readonly<Record<string, string>> = {
    "iam-no-access-keys": "aws:iam/user:User",
    "iam-no-console-login": "aws:iam/user:User",
};

function recordCoverage(
    policies: Policy[],
    verdict: PolicyVerdict,
    applied: ReadonlySet<string>,
    types: readonly string[],
): void {
    const violated = new Set(
        verdict.violations.filter((v) => !v.message.startsWith("can't run ")).map((v) => v.policyName),
    );
    for (const { name } of policies) {
        const entry = coverage.get(name) ?? { compliant: 0, nonCompliant: 0 };
        if (violated.has(name)) entry.nonCompliant++;
        else if (applied.has(name) || (FORBIDDING[name] && types.includes(FORBIDDING[name]))) entry.compliant++;
        coverage.set(name, entry);
    }
}

/** `[policy, resource name, message]` of every violation, in report order. */
export async function check(
    policies: Policy[],
    resources: Res[],
    options: FixtureOptions & { stack?: string; config?: PolicyPackConfig } = {},
): Promise<[string, string | undefined, string][]> {
    const applied = new Set<string>();
    const verdict: PolicyVerdict = await evaluatePolicies(stackRun(resources, options.stack ?? "dev", options), {
        policies,
        config: options.config,
        onApplied: (name) => applied.add(name),
    });
    recordCoverage(
        policies,
        verdict,
        applied,
        resources.map((r) => r.type),
    );
    return verdict.violations.map((v) => [v.policyName, v.resourceName, v.message]);
}
