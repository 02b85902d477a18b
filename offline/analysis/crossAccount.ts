/**
 * Cross-account access summary: reads the IAM policy documents a stack would deploy and lists every grant that
 * crosses an account boundary: which account and principal may do what on which resource. Pure functions over
 * plain data, so they work on recorded mock runs and on fixture documents alike.
 */

/** How the grant is written: on the resource (key, bucket, bus, repository, role trust) or on the caller. */
export type GrantKind = "resource-policy" | "trust-policy" | "identity-policy";

/**
 * `inbound`: a principal of another account may act on this stack's resource.
 * `outbound`: this stack's principal is allowed to act on another account's resource (the other side must
 * also allow it).
 */
export type GrantDirection = "inbound" | "outbound";

export interface CrossAccountGrant {
    readonly kind: GrantKind;
    readonly direction: GrantDirection;
    /** The principal's account id; `*` for any account. */
    readonly principalAccount: string;
    /** Exact principal: a role or user ARN, an account root ARN, or `*`. */
    readonly principal: string;
    /** The resource's account id; `*` when it cannot be told. */
    readonly resourceAccount: string;
    /** Resource ARN (or ARN pattern) the actions apply to. */
    readonly resource: string;
    readonly actions: readonly string[];
    /** Conditions of the statement other than the one that named the principal. */
    readonly conditions?: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
    /** Where the grant is written. */
    readonly source: {
        readonly type: string;
        readonly name: string;
        readonly urn?: string;
        readonly sid?: string;
    };
}

/** A policy document attached to something, in the form the summary needs. */
export interface PolicySource {
    readonly kind: GrantKind;
    /** The policy JSON (string as AWS takes it, or the parsed object). */
    readonly document: unknown;
    /** Resource type token and logical name of what carries the policy. */
    readonly type: string;
    readonly name: string;
    readonly urn?: string;
    /**
     * For resource and trust policies: the ARN of the resource the policy is on (used where a statement's
     * Resource is absent or `*`). For identity policies: the ARN of the principal the policy is attached to.
     */
    readonly subjectArn?: string;
}

/** What the summary knows of the stack. */
export interface AccountContext {
    /** The stack's own account id. */
    readonly accountId: string;
    /** The partition, for ARNs the summary builds (account roots). */
    readonly partition: string;
    /** The stack's region, for ARNs the summary builds (event buses). */
    readonly region?: string;
    /**
     * Accounts of resources whose ARN carries no account (S3 buckets): bucket name -> account id. The project's
     * bucket names are deterministic, so the plan fills this from config.
     */
    readonly bucketAccounts?: Readonly<Record<string, string>>;
}

interface Statement {
    Sid?: string;
    Effect?: string;
    Principal?: unknown;
    NotPrincipal?: unknown;
    Action?: unknown;
    NotAction?: unknown;
    Resource?: unknown;
    NotResource?: unknown;
    Condition?: Record<string, Record<string, unknown>>;
}

/** Thrown for a document that is not an IAM policy; the message names the source. */
export class PolicyDocumentError extends Error {
    constructor(source: PolicySource, reason: string) {
        super(`${source.type} ${source.name}: policy document ${reason}`);
        this.name = "PolicyDocumentError";
    }
}

/** Parses an IAM policy document (JSON text or object) into its statements. */
export function statementsOf(source: PolicySource): Statement[] {
    let doc = source.document;
    if (typeof doc === "string") {
        try {
            doc = JSON.parse(doc);
        } catch {
            throw new PolicyDocumentError(source, "is not valid JSON");
        }
    }
    if (typeof doc !== "object" || doc === null) throw new PolicyDocumentError(source, "is not an object");
    const raw = (doc as { Statement?: unknown }).Statement;
    if (raw === undefined) throw new PolicyDocumentError(source, "has no Statement");
    return (Array.isArray(raw) ? raw : [raw]) as Statement[];
}

const list = (v: unknown): string[] => (v === undefined ? [] : (Array.isArray(v) ? v : [v]).map(String));

/** The account id in an ARN (`arn:p:svc:region:account:...`), or undefined when the ARN has none. */
export function accountOfArn(arn: string): string | undefined {
    const parts = arn.split(":");
    if (parts[0] !== "arn" || parts.length < 6) return undefined;
    return /^\d{12}$/.test(parts[4]) ? parts[4] : undefined;
}

/** The account a resource ARN belongs to, using the bucket map for S3 ARNs. */
export function resourceAccountOf(arn: string, ctx: AccountContext): string | undefined {
    const parts = arn.split(":");
    if (parts[0] === "arn" && parts[2] === "s3" && parts[4] === "") {
        const bucket = parts.slice(5).join(":").split("/")[0];
        return ctx.bucketAccounts?.[bucket];
    }
    return accountOfArn(arn);
}

interface Principal {
    readonly account: string;
    readonly arn: string;
}

/** AWS principals of a statement (service and federated principals are not accounts and are skipped). */
function awsPrincipals(principal: unknown, ctx: AccountContext): Principal[] {
    if (principal === "*") return [{ account: "*", arn: "*" }];
    if (typeof principal !== "object" || principal === null) return [];
    return list((principal as { AWS?: unknown }).AWS).map((p) => {
        if (p === "*") return { account: "*", arn: "*" };
        if (/^\d{12}$/.test(p)) return { account: p, arn: `arn:${ctx.partition}:iam::${p}:root` };
        return { account: accountOfArn(p) ?? "*", arn: p };
    });
}

const ARN_CONDITION_OPS = ["arnequals", "arnlike", "stringequals", "stringlike"];

/**
 * Finds a condition that narrows the caller (`aws:PrincipalArn`, `aws:PrincipalAccount`) and returns its
 * values plus the statement's other conditions.
 */
function principalNarrowing(condition: Statement["Condition"]): {
    arns: string[];
    accounts: string[];
    rest: Record<string, Record<string, string[]>>;
} {
    const arns: string[] = [];
    const accounts: string[] = [];
    const rest: Record<string, Record<string, string[]>> = {};
    for (const [op, entries] of Object.entries(condition ?? {})) {
        const narrowing = ARN_CONDITION_OPS.includes(op.replace(/^ForAnyValue:/i, "").toLowerCase());
        for (const [key, value] of Object.entries(entries ?? {})) {
            const k = key.toLowerCase();
            if (narrowing && k === "aws:principalarn") arns.push(...list(value));
            else if (narrowing && k === "aws:principalaccount") accounts.push(...list(value));
            else (rest[op] ??= {})[key] = list(value);
        }
    }
    return { arns, accounts, rest };
}

/** Values of `aws:ResourceAccount` conditions (identity policies that scope `*` to other accounts). */
function resourceAccountCondition(condition: Statement["Condition"]): string[] {
    const out: string[] = [];
    for (const [op, entries] of Object.entries(condition ?? {})) {
        if (!/^(ForAnyValue:)?String(Equals|Like)$/i.test(op)) continue;
        for (const [key, value] of Object.entries(entries ?? {})) {
            if (key.toLowerCase() === "aws:resourceaccount") out.push(...list(value));
        }
    }
    return out;
}

function actionsOf(s: Statement): string[] {
    if (s.Action !== undefined) return list(s.Action);
    return list(s.NotAction).map((a) => `NOT ${a}`);
}

/** Whether an ARN (or ArnLike pattern) can name a principal of `account`. */
function matchesAccount(arnPattern: string, account: string): boolean {
    const field = arnPattern.split(":")[4];
    return field === account || field === "*";
}

/** Cross-account grants of one policy document. */
export function grantsOf(source: PolicySource, ctx: AccountContext): CrossAccountGrant[] {
    const grants: CrossAccountGrant[] = [];
    for (const s of statementsOf(source)) {
        if (s.Effect !== "Allow") continue;
        const actions = actionsOf(s);
        const sourceRef: CrossAccountGrant["source"] = {
            type: source.type,
            name: source.name,
            ...(source.urn !== undefined ? { urn: source.urn } : {}),
            ...(s.Sid !== undefined ? { sid: s.Sid } : {}),
        };

        if (source.kind === "identity-policy") {
            const principal = source.subjectArn ?? `${source.type} ${source.name}`;
            const scoped = resourceAccountCondition(s.Condition).filter((a) => a !== ctx.accountId);
            for (const resource of list(s.Resource)) {
                const account = resourceAccountOf(resource, ctx);
                const accounts = account !== undefined ? [account] : resource === "*" ? scoped : [];
                for (const resourceAccount of accounts) {
                    if (resourceAccount === ctx.accountId) continue;
                    grants.push(
                        withConditions(
                            {
                                kind: source.kind,
                                direction: "outbound",
                                principalAccount: ctx.accountId,
                                principal,
                                resourceAccount,
                                resource,
                                actions,
                                source: sourceRef,
                            },
                            s.Condition,
                        ),
                    );
                }
            }
            continue;
        }

        // Resource and trust policies: who, other than this account, is let in.
        const principals =
            s.NotPrincipal !== undefined ? [{ account: "*", arn: "*" }] : awsPrincipals(s.Principal, ctx);
        const { arns, accounts, rest } = principalNarrowing(s.Condition);
        const resources = list(s.Resource).filter((r) => r !== "*");
        const targets = resources.length > 0 ? resources : [source.subjectArn ?? `${source.type} ${source.name}`];
        for (const p of principals) {
            let exact: Principal[] = [p];
            if (arns.length > 0) {
                // Account root (or anyone) narrowed to exact callers: report the callers.
                exact = arns
                    .filter((arn) => p.account === "*" || matchesAccount(arn, p.account))
                    .map((arn) => ({ account: accountOfArn(arn) ?? p.account, arn }));
            } else if (accounts.length > 0 && p.account === "*") {
                exact = accounts.map((a) => ({ account: a, arn: `arn:${ctx.partition}:iam::${a}:root` }));
            }
            for (const principal of exact) {
                if (principal.account === ctx.accountId) continue;
                for (const resource of targets) {
                    grants.push(
                        withConditions(
                            {
                                kind: source.kind,
                                direction: "inbound",
                                principalAccount: principal.account,
                                principal: principal.arn,
                                resourceAccount: resourceAccountOf(resource, ctx) ?? ctx.accountId,
                                resource,
                                actions,
                                source: sourceRef,
                            },
                            rest,
                        ),
                    );
                }
            }
        }
    }
    return grants;
}

function withConditions(grant: CrossAccountGrant, condition: Statement["Condition"]): CrossAccountGrant {
    const conditions: Record<string, Record<string, string[]>> = {};
    for (const [op, entries] of Object.entries(condition ?? {})) {
        for (const [key, value] of Object.entries(entries ?? {})) (conditions[op] ??= {})[key] = list(value);
    }
    return Object.keys(conditions).length > 0 ? { ...grant, conditions } : grant;
}

/** Cross-account grants of many documents, in source order. */
export function crossAccountGrants(sources: readonly PolicySource[], ctx: AccountContext): CrossAccountGrant[] {
    return sources.flatMap((s) => grantsOf(s, ctx));
}

/** Pulumi's marker of a secret value in serialized properties (`{ <sig>: <secret sig>, value }`). */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

function unwrapSecret(value: unknown): unknown {
    const v = value as Record<string, unknown> | undefined;
    return typeof v === "object" && v !== null && v[SIG_KEY] === SECRET_SIG ? v.value : value;
}

/** The slice of a recorded resource the summary reads. */
export interface ResourceLike {
    readonly urn?: string;
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, any>;
    readonly state?: Record<string, any>;
}

/** Where each resource type keeps its policy, and what kind of policy it is. */
export const POLICY_PROPERTIES: Readonly<Record<string, { property: string; kind: GrantKind }>> = {
    "aws:kms/key:Key": { property: "policy", kind: "resource-policy" },
    "aws:kms/keyPolicy:KeyPolicy": { property: "policy", kind: "resource-policy" },
    "aws:s3/bucketPolicy:BucketPolicy": { property: "policy", kind: "resource-policy" },
    "aws:cloudwatch/eventBusPolicy:EventBusPolicy": { property: "policy", kind: "resource-policy" },
    "aws:ecr/repositoryPolicy:RepositoryPolicy": { property: "policy", kind: "resource-policy" },
    "aws:iam/role:Role": { property: "assumeRolePolicy", kind: "trust-policy" },
    "aws:iam/rolePolicy:RolePolicy": { property: "policy", kind: "identity-policy" },
    "aws:iam/policy:Policy": { property: "policy", kind: "identity-policy" },
};

/**
 * Policy documents of a stack's resources, in the order given, each with the ARN it applies to: the key,
 * repository, bus or role it is on, or, for an inline role policy, the role it is attached to. Resources whose policy is absent (not set, or
 * unknown during a preview) are skipped.
 */
export function policySourcesOf(resources: readonly ResourceLike[], ctx: AccountContext): PolicySource[] {
    const arnOf = (r: ResourceLike | undefined): string | undefined =>
        typeof r?.state?.arn === "string" ? r.state.arn : undefined;
    const byState =
        (type: string, ...keys: string[]) =>
        (value: unknown) =>
            resources.find(
                (r) =>
                    r.type === type &&
                    value !== undefined &&
                    keys.some((k) => r.state?.[k] === value || r.inputs[k] === value),
            );
    const roleBy = byState("aws:iam/role:Role", "name", "id", "arn");
    const keyBy = byState("aws:kms/key:Key", "keyId", "id", "arn");
    const repoBy = byState("aws:ecr/repository:Repository", "name", "id");

    const out: PolicySource[] = [];
    for (const r of resources) {
        const spec = POLICY_PROPERTIES[r.type];
        const document = spec && unwrapSecret(r.inputs[spec.property]);
        if (!spec || typeof document !== "string" || document === "") continue;
        let subjectArn: string | undefined;
        switch (r.type) {
            case "aws:iam/rolePolicy:RolePolicy": {
                const role = r.inputs.role as string | undefined;
                subjectArn =
                    arnOf(roleBy(role)) ??
                    (role ? `arn:${ctx.partition}:iam::${ctx.accountId}:role/${role}` : undefined);
                break;
            }
            case "aws:kms/keyPolicy:KeyPolicy":
                subjectArn = arnOf(keyBy(r.inputs.keyId));
                break;
            case "aws:ecr/repositoryPolicy:RepositoryPolicy":
                subjectArn = arnOf(repoBy(r.inputs.repository));
                break;
            case "aws:cloudwatch/eventBusPolicy:EventBusPolicy": {
                const bus = (r.inputs.eventBusName as string | undefined) ?? "default";
                subjectArn = bus.startsWith("arn:")
                    ? bus
                    : `arn:${ctx.partition}:events:${ctx.region ?? "*"}:${ctx.accountId}:event-bus/${bus}`;
                break;
            }
            case "aws:iam/policy:Policy":
                subjectArn = undefined;
                break;
            default:
                subjectArn = arnOf(r);
        }
        out.push({ kind: spec.kind, document, type: r.type, name: r.name, urn: r.urn, subjectArn });
    }
    return out;
}
