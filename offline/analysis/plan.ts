/**
 * The offline plan: runs a stack's program under the mock runtime (no cloud credentials, provider plugins or
 * Pulumi CLI), and reports its resources, cross-account access and policy verdict.
 */
import * as fs from "fs";
import * as path from "path";
import { AwsConstraintError, constraintProblems } from "../../awsFacts/constraints";
import { providerAccountRefusal } from "../../awsFacts/regions";
import { STACK_ROLES, StackConfig, StackConfigError, validateStackConfig } from "../../domain/config";
import { artifactBucketName } from "../../domain/naming";
import { defineStack } from "../../stacks/program";
import { CrossAccountGrant, crossAccountGrants, policySourcesOf } from "./crossAccount";
import { formerUrns } from "../runtime/aliases";
import type { AwsWorld } from "../runtime/awsAnswers";
import { ComputedOutputs, RecordedResource, runStack, StackRun } from "../runtime/mockRuntime";
import { evaluatePolicies, PolicyVerdict, PolicyViolation, readPolicyPackConfig } from "./policyRunner";
import { QuotaUsage, quotaUsage } from "./quotas";
import { PROJECT_ROOT } from "../runtime/stackFiles";
import { plainJson } from "../runtime/values";

/** Version of the JSON report's shape; bumped on any incompatible change. */
export const REPORT_VERSION = 1;

/** Exit codes of `npm run plan`; `widened` only with `--base`: access widens (or may) in stage or prod. */
export const EXIT = { clean: 0, mandatory: 1, error: 2, widened: 3 } as const;

/** Machine-readable report written by `npm run plan -- --json FILE`. */
export interface PlanReport {
    readonly version: typeof REPORT_VERSION;
    readonly project: string;
    /** `clean` (exit 0), `violations` (mandatory policy violations, exit 1), `error` (config or program, exit 2). */
    readonly status: PlanStatus;
    readonly exitCode: number;
    readonly stacks: StackPlan[];
}

export type PlanStatus = "clean" | "violations" | "error";

export interface StackPlan {
    readonly stack: string;
    readonly status: PlanStatus;
    /** Stack file and policy config used, relative to the project root when inside it. */
    readonly stackFile: string;
    /** Present when the config or the program failed; nothing else is then reported. */
    readonly error?: { readonly kind: "config" | "program"; readonly message: string; readonly problems?: string[] };
    readonly environment?: string;
    readonly accountId?: string;
    readonly partition?: string;
    readonly region?: string;
    /**
     * Secure config values the plan could not decrypt (a secrets provider needing cloud credentials, e.g. awskms://,
     * or no passphrase): the program accepted them unchecked; `pulumi preview` checks them. Absent when none.
     */
    readonly undecryptedSecrets?: { readonly keys: string[]; readonly secretsProvider?: string };
    /** Account ids by stack role (tool, dev, ...), for naming accounts in the summary. */
    readonly accounts?: Readonly<Record<string, string>>;
    readonly resources: {
        readonly total: number;
        readonly byType: Readonly<Record<string, number>>;
        /** Component tree: top-level resources (children of the stack) with their children. */
        readonly tree: PlanNode[];
        /** URNs of resources with `protect`. */
        readonly protected: string[];
        /** URNs of resources with `retainOnDelete`. */
        readonly retained: string[];
    };
    readonly crossAccount: CrossAccountGrant[];
    /** What the stack uses of the account quotas that bite first (see offline/analysis/quotas.ts). */
    readonly quotas: QuotaUsage[];
    readonly policy: PolicyResult;
}

/** A registered resource as the diff compares it: plain JSON inputs (unknowns and secrets marked). */
export interface SnapshotResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly parent?: string;
    readonly custom: boolean;
    readonly protect: boolean;
    readonly retainOnDelete: boolean;
    readonly inputs: Record<string, unknown>;
    /** URNs it had before, from its and its parents' aliases (offline/runtime/aliases.ts): the diff matches it to them. */
    readonly formerUrns?: readonly string[];
}

/** A stack's plan with the resources it registered (what `--base` compares). */
export interface StackSnapshot {
    readonly plan: StackPlan;
    readonly resources: SnapshotResource[];
}

export interface PlanNode {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly protect: boolean;
    readonly retainOnDelete: boolean;
    readonly children: PlanNode[];
}

export type PolicyResult =
    | {
          readonly evaluated: true;
          /** Policy pack config file applied, if any. */
          readonly config?: string;
          readonly mandatory: number;
          readonly advisory: number;
          readonly violations: PolicyViolation[];
      }
    | { readonly evaluated: false; readonly reason: string };

/** Evaluates the policy pack on a recorded run; `configFile` is a policy pack config (JSON). */
export type PolicyEvaluator = (run: StackRun, configFile: string | undefined) => Promise<PolicyVerdict>;

/** The pack's policies through the in-process runner, with the config file when there is one. */
export const packEvaluator: PolicyEvaluator = (run, configFile) =>
    evaluatePolicies(run, configFile ? { config: readPolicyPackConfig(configFile) } : {});

export interface PlanOptions {
    /** The program to run; default the project's (`defineStack`). */
    readonly program?: () => Promise<Record<string, unknown> | void>;
    /** A stack file other than `Pulumi.<stack>.yaml`. */
    readonly stackFile?: string;
    /** Config overrides of the stack file. */
    readonly overrides?: Record<string, unknown>;
    /** Shared values for every stack, in a temporary project's Pulumi.yaml (bench: `services`). */
    readonly projectValues?: Record<string, unknown>;
    /** Policy pack config; default `policy-pack/config/<stack>.json` when it exists. */
    readonly policyPackConfig?: string;
    /** The policy evaluator; default the pack's. `null`: report the verdict as not evaluated. */
    readonly evaluate?: PolicyEvaluator | null;
    /** AWS-computed outputs: "preview" (default, unknown as in `pulumi preview`) or "deployed". */
    readonly outputs?: ComputedOutputs;
    /** What the account holds (data sources read it, e.g. the deploy steps' SSM records) and whose credentials run the plan; default: nothing, each provider's own account. */
    readonly world?: AwsWorld;
}

/** Where a stack's policy pack config lives by default. */
export function defaultPolicyPackConfig(stack: string, root = PROJECT_ROOT): string {
    return path.join(root, "policy-pack", "config", `${stack}.json`);
}

/** The policy pack config a stack is evaluated with: the given file, else the default one when it exists. */
export function policyPackConfigFor(stack: string, given?: string): string | undefined {
    const file = given ?? defaultPolicyPackConfig(stack);
    return given !== undefined || fs.existsSync(file) ? file : undefined;
}

/** A path relative to the project root when inside it (reports carry no machine paths). */
export function displayPath(file: string): string {
    const rel = path.relative(PROJECT_ROOT, path.resolve(file));
    return rel.startsWith("..") || path.isAbsolute(rel) ? path.basename(file) : rel;
}

/** Plans one stack: runs the program, then summarises it. Never throws for config or program errors. */
export async function planStack(stack: string, options: PlanOptions = {}): Promise<StackPlan> {
    return (await snapshotStack(stack, options)).plan;
}

/** Plans one stack and keeps what it registered, for a diff. Never throws for config or program errors. */
export async function snapshotStack(stack: string, options: PlanOptions = {}): Promise<StackSnapshot> {
    const failed = (s: string, f: string, kind: "config" | "program", e: unknown): StackSnapshot => ({
        plan: failedPlan(s, f, kind, e),
        resources: [],
    });
    const stackFile = displayPath(options.stackFile ?? path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`));
    let run: StackRun;
    try {
        run = await runStack(stack, options.program ?? defineStack, {
            stackFile: options.stackFile,
            overrides: options.overrides,
            projectValues: options.projectValues,
            outputs: options.outputs ?? "preview",
            world: options.world,
        });
    } catch (e) {
        return failed(stack, stackFile, "config", e);
    }
    if (run.error)
        return failed(stack, stackFile, run.error instanceof StackConfigError ? "config" : "program", run.error);

    let config: StackConfig;
    try {
        config = validateStackConfig(run.config, run.project, stack, run.secretKeys ?? []);
    } catch (e) {
        return failed(stack, stackFile, "config", e);
    }
    // A provider the caller's account may not use fails before any resource, as the real provider's Configure.
    const accountRefusals = providerAccountRefusals(run.resources, options.world?.callerAccount);
    if (accountRefusals.length > 0) return failed(stack, stackFile, "program", new Error(accountRefusals.join("\n")));
    // Inputs AWS would refuse (its resource schemas and documented constraints), as the stand-in provider's Check.
    const refused = constraintProblems(run.resources, config.region);
    if (refused.length > 0) return failed(stack, stackFile, "program", new AwsConstraintError(refused));
    let crossAccount: CrossAccountGrant[];
    try {
        crossAccount = summariseCrossAccount(run.resources, config);
    } catch (e) {
        return failed(stack, stackFile, "program", e);
    }

    let policy: PolicyResult;
    const configFile = policyPackConfigFor(stack, options.policyPackConfig);
    const evaluate = options.evaluate === undefined ? packEvaluator : options.evaluate;
    if (evaluate === null) {
        policy = { evaluated: false, reason: "policy evaluation turned off" };
    } else {
        try {
            const verdict = await evaluate(run, configFile);
            policy = {
                evaluated: true,
                ...(configFile ? { config: displayPath(configFile) } : {}),
                mandatory: verdict.mandatory,
                advisory: verdict.advisory,
                violations: verdict.violations,
            };
        } catch (e) {
            return failed(stack, stackFile, "config", e);
        }
    }

    const plan: StackPlan = {
        stack,
        status: policy.evaluated && policy.mandatory > 0 ? "violations" : "clean",
        stackFile,
        environment: config.role,
        accountId: config.accountId,
        partition: config.partition,
        region: config.region,
        ...(run.undecryptedSecrets?.length
            ? {
                  undecryptedSecrets: {
                      keys: [...run.undecryptedSecrets],
                      ...(run.secretsProvider ? { secretsProvider: run.secretsProvider } : {}),
                  },
              }
            : {}),
        accounts: { ...config.accounts },
        resources: summariseResources(run.resources),
        crossAccount,
        quotas: quotaUsage(run.resources, config.accountId, config.region),
        policy,
    };
    const former = formerUrns(run.resources);
    return { plan, resources: byUrn(run.resources).map((r) => snapshotResource(r, former.get(r.urn) ?? [])) };
}

/** Each aws provider whose allowed accounts do not hold the caller's: "<provider URN>: AWS account ID not allowed: <id>". */
export function providerAccountRefusals(resources: readonly RecordedResource[], callerAccount?: string): string[] {
    return resources
        .filter((r) => r.type === "pulumi:providers:aws")
        .flatMap((r) => {
            const refusal = providerAccountRefusal(r.inputs, callerAccount);
            return refusal ? [`${r.urn}: ${refusal}`] : [];
        });
}

function snapshotResource(r: RecordedResource, formerUrns: readonly string[]): SnapshotResource {
    return {
        urn: r.urn,
        type: r.type,
        name: r.name,
        ...(r.parent ? { parent: r.parent } : {}),
        custom: r.custom,
        protect: r.protect,
        retainOnDelete: r.retainOnDelete,
        inputs: plainJson(r.inputs),
        ...(formerUrns.length > 0 ? { formerUrns } : {}),
    };
}

function failedPlan(stack: string, stackFile: string, kind: "config" | "program", e: unknown): StackPlan {
    const error = e instanceof Error ? e : new Error(String(e));
    return {
        stack,
        status: "error",
        stackFile,
        error: {
            kind,
            message: error.message,
            ...(error instanceof StackConfigError || error instanceof AwsConstraintError
                ? { problems: [...error.problems] }
                : {}),
        },
        resources: { total: 0, byType: {}, tree: [], protected: [], retained: [] },
        crossAccount: [],
        quotas: [],
        policy: { evaluated: false, reason: `the stack did not run (${kind} error)` },
    };
}

/** Resources in URN order: registrations complete in no fixed order, reports must not change between runs. */
function byUrn(resources: readonly RecordedResource[]): RecordedResource[] {
    return [...resources].sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
}

/** Counts, protection flags and the component tree (from the recorded parent URNs). */
export function summariseResources(resources: readonly RecordedResource[]): StackPlan["resources"] {
    resources = byUrn(resources);
    const byType: Record<string, number> = {};
    for (const r of resources) byType[r.type] = (byType[r.type] ?? 0) + 1;
    const known = new Set(resources.map((r) => r.urn));
    const children = new Map<string | undefined, RecordedResource[]>();
    for (const r of resources) {
        const parent = r.parent && known.has(r.parent) ? r.parent : undefined;
        children.set(parent, [...(children.get(parent) ?? []), r]);
    }
    const node = (r: RecordedResource): PlanNode => ({
        urn: r.urn,
        type: r.type,
        name: r.name,
        protect: r.protect,
        retainOnDelete: r.retainOnDelete,
        children: (children.get(r.urn) ?? []).map(node),
    });
    return {
        total: resources.length,
        byType: Object.fromEntries(Object.entries(byType).sort(([a], [b]) => a.localeCompare(b))),
        tree: (children.get(undefined) ?? []).map(node),
        protected: resources.filter((r) => r.protect).map((r) => r.urn),
        retained: resources.filter((r) => r.retainOnDelete).map((r) => r.urn),
    };
}

/** Cross-account grants of a stack, with S3 bucket accounts known from the deterministic bucket names. */
export function summariseCrossAccount(
    resources: readonly RecordedResource[],
    config: StackConfig,
): CrossAccountGrant[] {
    const bucketAccounts: Record<string, string> = {};
    for (const role of STACK_ROLES) {
        bucketAccounts[artifactBucketName(config.accounts[role], config.region)] = config.accounts[role];
    }
    const ctx = { accountId: config.accountId, partition: config.partition, region: config.region, bucketAccounts };
    return crossAccountGrants(policySourcesOf(byUrn(resources), ctx), ctx);
}

/** The report of several stack plans; its exit code is the worst of them. */
export function buildReport(project: string, stacks: StackPlan[]): PlanReport {
    const status: PlanStatus = stacks.some((s) => s.status === "error")
        ? "error"
        : stacks.some((s) => s.status === "violations")
          ? "violations"
          : "clean";
    const exitCode = status === "error" ? EXIT.error : status === "violations" ? EXIT.mandatory : EXIT.clean;
    return { version: REPORT_VERSION, project, status, exitCode, stacks };
}
