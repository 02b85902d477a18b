/**
 * What a preview of one stack amounts to, read the same way from the engine's events (`pulumi preview --json`
 * with streaming events) and from the offline plan: every resource (type, name, parent, inputs) and every policy
 * report (policy, resource, level, message), with the resource options the engine's events carry (protect,
 * retainOnDelete; aliases and ignoreChanges show only against a prior state). Two snapshots of the same stack are
 * expected to be equal, except for the children of provider-side components (awsx), which only the engine constructs.
 */
import * as pulumi from "@pulumi/pulumi";
import type { StackRun } from "../offline/runtime/mockRuntime";
import type { PolicyVerdict } from "../offline/analysis/policyRunner";

/** How the engine writes an unknown value in its JSON events. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const ROOT_TYPE = "pulumi:pulumi:Stack";

// SDK internals: secrets and unknowns in recorded inputs.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const rpc = require("@pulumi/pulumi/runtime/rpc") as { specialSigKey: string; specialSecretSig: string };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const outputModule = require("@pulumi/pulumi/output") as { isUnknown(v: unknown): boolean };

/** How the engine's events show a secret value. */
export const BLINDED_SECRET = Object.freeze({ [rpc.specialSigKey]: rpc.specialSecretSig, ciphertext: "[secret]" });

export interface ResourceSnapshot {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly parent?: string;
    readonly inputs: Record<string, unknown>;
    /** The options set on it, each present only when true (the engine's events omit false ones). */
    readonly options?: ResourceOptionsSnapshot;
}

export interface ResourceOptionsSnapshot {
    readonly protect?: true;
    readonly retainOnDelete?: true;
}

/** The options object of a snapshot: only those set, or nothing. */
function optionsOf(protect: unknown, retainOnDelete: unknown): { options?: ResourceOptionsSnapshot } {
    const options = {
        ...(protect === true ? { protect } : {}),
        ...(retainOnDelete === true ? { retainOnDelete } : {}),
    };
    return Object.keys(options).length > 0 ? { options: options as ResourceOptionsSnapshot } : {};
}

export interface PolicyReportSnapshot {
    readonly policyName: string;
    /** The resource reported on; the stack's own URN for a stack policy that names none. */
    readonly urn: string;
    readonly enforcementLevel: string;
    readonly message: string;
}

export interface StackSnapshot {
    readonly stack: string;
    /** Sorted by URN; the root stack resource left out. */
    readonly resources: ResourceSnapshot[];
    /** Sorted by policy, resource and message. */
    readonly policyReports: PolicyReportSnapshot[];
    /** Types of provider-side components (their children are constructed by the provider plugin). */
    readonly remoteComponents: string[];
}

const nameOf = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);
const byUrn = <T extends { urn: string }>(a: T, b: T) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0);
const byReport = (a: PolicyReportSnapshot, b: PolicyReportSnapshot) =>
    `${a.policyName}\0${a.urn}\0${a.message}`.localeCompare(`${b.policyName}\0${b.urn}\0${b.message}`);

/** The stack's root URN, as the engine names it. */
export function stackUrn(project: string, stack: string): string {
    return `urn:pulumi:${stack}::${project}::${ROOT_TYPE}::${project}-${stack}`;
}

/** The snapshot of a `pulumi preview --json` run with PULUMI_ENABLE_STREAMING_JSON_PREVIEW. */
export function fromEngineEvents(stack: string, events: readonly Record<string, any>[]): StackSnapshot {
    const resources: ResourceSnapshot[] = [];
    const policyReports: PolicyReportSnapshot[] = [];
    for (const event of events) {
        const pre = event.resourcePreEvent?.metadata;
        if (pre?.new && pre.type !== ROOT_TYPE) {
            resources.push({
                urn: pre.new.urn,
                type: pre.new.type,
                name: nameOf(pre.new.urn),
                ...(pre.new.parent && !pre.new.parent.includes(`::${ROOT_TYPE}::`) ? { parent: pre.new.parent } : {}),
                inputs: pre.new.inputs ?? {},
                ...optionsOf(pre.new.protect, pre.new.retainOnDelete),
            });
        }
        const policy = event.policyEvent;
        if (policy) {
            policyReports.push({
                policyName: policy.policyName,
                urn: policy.resourceUrn,
                enforcementLevel: policy.enforcementLevel,
                message: String(policy.message).replace(/\n$/, ""),
            });
        }
    }
    return {
        stack,
        resources: resources.sort(byUrn),
        policyReports: policyReports.sort(byReport),
        remoteComponents: [],
    };
}

/** The snapshot of an offline run and its policy verdict. */
export function fromPlan(run: StackRun, verdict: PolicyVerdict): StackSnapshot {
    const root = stackUrn(run.project, run.stack);
    return {
        stack: run.stack,
        resources: run.resources
            .map((r) => ({
                urn: r.urn,
                type: r.type,
                name: r.name,
                ...(r.parent && r.parent !== root ? { parent: r.parent } : {}),
                inputs: r.type.startsWith("pulumi:providers:")
                    ? providerInputs(r.inputs, r.version)
                    : (engineValue(r.inputs) as Record<string, unknown>),
                ...optionsOf(r.protect, r.retainOnDelete),
            }))
            .sort(byUrn),
        policyReports: verdict.violations
            .filter((v) => v.enforcementLevel !== "remediate")
            .map((v) => ({
                policyName: v.policyName,
                urn: v.urn ?? root,
                enforcementLevel: v.enforcementLevel,
                message: v.engineMessage,
            }))
            .sort(byReport),
        remoteComponents: [...new Set(run.resources.filter((r) => r.remote).map((r) => r.type))].sort(),
    };
}

/**
 * A provider's inputs as the engine keeps them: with the plugin version the SDK asked for and the engine's
 * `__internal` bag (pulumi/pulumi pkg/resource/deploy/providers: SetProviderVersion, internal keys).
 */
function providerInputs(inputs: Record<string, unknown>, version?: string): Record<string, unknown> {
    return { ...(engineValue(inputs) as Record<string, unknown>), __internal: {}, ...(version ? { version } : {}) };
}

/**
 * A recorded SDK value as the engine's events show it: unknowns as the sentinel; secrets as the secret sig with
 * the ciphertext "[secret]" (pulumi/pulumi pkg/backend/display/events.go serializes with config.BlindingCrypter).
 */
export function engineValue(value: unknown): unknown {
    if (value === null || typeof value !== "object") return value;
    if (outputModule.isUnknown(value) || pulumi.Output.isInstance(value)) return UNKNOWN;
    if (Array.isArray(value)) return value.map(engineValue);
    const obj = value as Record<string, unknown>;
    if (obj[rpc.specialSigKey] === rpc.specialSecretSig) return BLINDED_SECRET;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = engineValue(v);
    return out;
}

/**
 * Every difference between the engine's snapshot and the plan's, in words. Resources under a provider-side
 * component of the plan are the engine's alone and are not differences.
 */
export function differences(engine: StackSnapshot, plan: StackSnapshot): string[] {
    const out: string[] = [];
    const planned = new Map(plan.resources.map((r) => [r.urn, r]));
    const remote = new Set(plan.resources.filter((r) => plan.remoteComponents.includes(r.type)).map((r) => r.urn));
    const engineByUrn = new Map(engine.resources.map((r) => [r.urn, r]));
    const underRemote = (r: ResourceSnapshot): boolean => {
        for (let p = r.parent; p; p = engineByUrn.get(p)?.parent) if (remote.has(p)) return true;
        return false;
    };
    for (const r of engine.resources) {
        const mine = planned.get(r.urn);
        if (!mine) {
            if (!underRemote(r)) out.push(`only the engine registers ${r.urn}`);
            continue;
        }
        if (mine.parent !== r.parent) out.push(`${r.urn}: parent ${r.parent} (engine) vs ${mine.parent} (plan)`);
        const [engineOptions, planOptions] = [JSON.stringify(r.options ?? {}), JSON.stringify(mine.options ?? {})];
        if (engineOptions !== planOptions) {
            out.push(`${r.urn}: options ${engineOptions} (engine) vs ${planOptions} (plan)`);
        }
        // A provider-side component's inputs are what its plugin registers, not the program's arguments.
        if (remote.has(r.urn)) continue;
        const a = JSON.stringify(sortKeys(r.inputs));
        const b = JSON.stringify(sortKeys(mine.inputs));
        if (a !== b) out.push(`${r.urn}: inputs differ\n  engine: ${a}\n  plan:   ${b}`);
    }
    for (const r of plan.resources) if (!engineByUrn.has(r.urn)) out.push(`only the plan registers ${r.urn}`);
    const key = (p: PolicyReportSnapshot) => JSON.stringify([p.policyName, p.urn, p.enforcementLevel, p.message]);
    const engineReports = new Set(engine.policyReports.map(key));
    const planReports = new Set(plan.policyReports.map(key));
    for (const k of engineReports) if (!planReports.has(k)) out.push(`only the engine reports ${k}`);
    for (const k of planReports) if (!engineReports.has(k)) out.push(`only the plan reports ${k}`);
    return out;
}

function sortKeys(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(sortKeys);
    if (value === null || typeof value !== "object") return value;
    return Object.fromEntries(
        Object.entries(value as Record<string, unknown>)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([k, v]) => [k, sortKeys(v)]),
    );
}
