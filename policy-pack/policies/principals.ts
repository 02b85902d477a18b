import { describeStatement, isAllow, isPublicPrincipal, list, Statement } from "./common";

// Who a policy statement really grants: its principals, narrowed only by conditions on the caller's identity.
// IAM evaluates the Principal element, then every condition; a condition narrows *who* only when it tests the
// caller (aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalOrgID, or for service principals aws:SourceAccount /
// aws:SourceArn). aws:SecureTransport, kms:ViaService and the like narrow *how*, not who.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html

/** Positive operators only: a negated operator (ArnNotEquals, StringNotLike) admits everyone else. */
const POSITIVE = /^(ForAnyValue:)?(ArnEquals|ArnLike|StringEquals|StringLike|StringEqualsIgnoreCase)(IfExists)?$/;

const hasWildcard = (v: string) => /[*?]|\$\{/.test(v);
const accountOf = (arn: string) => (/^\d{12}$/.test(arn) ? arn : /^arn:[\w-]+:[\w-]*:[\w-]*:(\d{12}):/.exec(arn)?.[1]);

/**
 * Operators that require the key to be present and equal (or match) a value: no negation, no IfExists (true when
 * the key is absent), no ForAnyValue / ForAllValues (set operators; ForAllValues is true when the key is absent).
 */
export const REQUIRED_MATCH = /^(ArnEquals|ArnLike|StringEquals|StringLike)$/;

/**
 * Values of a condition key under positive operators (case-insensitive key); undefined when it is not tested.
 * `operators`: which operators count (default: every positive one, IfExists and ForAnyValue included).
 */
export function positiveValues(s: Statement, key: string, operators: RegExp = POSITIVE): string[] | undefined {
    let out: string[] | undefined;
    for (const [op, block] of Object.entries(s.Condition ?? {})) {
        if (!operators.test(op)) continue;
        for (const [k, v] of Object.entries(block ?? {})) {
            if (k.toLowerCase() === key.toLowerCase()) out = [...(out ?? []), ...list(v)];
        }
    }
    return out;
}

export interface Grantee {
    /** Principal "*" (or AWS "*"), or NotPrincipal: anyone. */
    readonly anyone: boolean;
    /** Whole accounts: root ARNs or bare account ids. */
    readonly accounts: string[];
    /** Exact IAM principals (roles, users) named in Principal. */
    readonly principals: string[];
    readonly services: string[];
}

export function granteesOf(s: Statement): Grantee {
    const p = s.Principal;
    const aws = typeof p === "object" && p !== null ? list((p as Record<string, unknown>).AWS) : [];
    const services = typeof p === "object" && p !== null ? list((p as Record<string, unknown>).Service) : [];
    const accounts: string[] = [];
    const principals: string[] = [];
    for (const a of aws) {
        if (a === "*") continue;
        if (/^\d{12}$/.test(a) || /:root$/.test(a)) accounts.push(accountOf(a) ?? a);
        else principals.push(a);
    }
    return { anyone: isPublicPrincipal(p) || s.NotPrincipal !== undefined, accounts, principals, services };
}

/**
 * Why an Allow statement grants more than named callers, or undefined when it does not. `own`: the accounts of
 * the stack. A statement is narrow when every AWS grantee is the own account, an exact principal, or a whole
 * account (or anyone) narrowed by aws:PrincipalArn to exact ARNs of that account (of own accounts, for anyone);
 * anyone may also be narrowed by aws:PrincipalAccount / aws:SourceAccount to the own account, or by
 * aws:PrincipalOrgID to one organization.
 */
export function overlyBroad(s: Statement, i: number, own: readonly string[]): string | undefined {
    if (!isAllow(s)) return undefined;
    const g = granteesOf(s);
    const what = describeStatement(s, i);
    if (s.NotPrincipal !== undefined) {
        return `${what} allows everyone except NotPrincipal ${JSON.stringify(s.NotPrincipal)}`;
    }
    const arns = positiveValues(s, "aws:PrincipalArn");
    const wildArns = (arns ?? []).filter(hasWildcard);
    const wildPrincipals = g.principals.filter(hasWildcard);
    if (wildPrincipals.length > 0) return `${what} names wildcard principals ${JSON.stringify(wildPrincipals)}`;
    if (g.anyone) {
        const accounts = [
            ...(positiveValues(s, "aws:PrincipalAccount") ?? []),
            ...(positiveValues(s, "aws:SourceAccount") ?? []),
            ...(positiveValues(s, "kms:CallerAccount") ?? []),
        ];
        const orgs = positiveValues(s, "aws:PrincipalOrgID") ?? [];
        if (arns && arns.length > 0 && wildArns.length === 0) return undefined;
        if (accounts.length > 0 && accounts.every((a) => own.includes(a))) return undefined;
        if (orgs.length === 1 && !hasWildcard(orgs[0])) return undefined;
        const keys = Object.values(s.Condition ?? {}).flatMap((b) => Object.keys(b ?? {}));
        return (
            `${what} allows Principal "*" ` +
            (keys.length ? `with conditions on ${keys.join(", ")} that do not narrow the caller` : "without conditions")
        );
    }
    const foreign = g.accounts.filter((a) => !own.includes(a));
    if (foreign.length === 0) return undefined;
    if (!arns || arns.length === 0) {
        return `${what} lets account ${foreign.join(", ")} in without an aws:PrincipalArn condition naming its callers`;
    }
    if (wildArns.length > 0) {
        return `${what} lets account ${foreign.join(", ")} in with wildcard aws:PrincipalArn ${JSON.stringify(wildArns)}`;
    }
    const elsewhere = arns.filter((a) => !g.accounts.includes(accountOf(a) ?? ""));
    if (elsewhere.length > 0) {
        return (
            `${what} lets account ${foreign.join(", ")} in with aws:PrincipalArn ${JSON.stringify(elsewhere)} ` +
            `of another account`
        );
    }
    return undefined;
}

/** Accounts other than `own` that a statement lets in (as whole accounts, exact principals or narrowed ARNs). */
export function foreignAccountsOf(s: Statement, own: readonly string[]): string[] {
    const g = granteesOf(s);
    const all = [
        ...g.accounts,
        ...g.principals.map((p) => accountOf(p) ?? ""),
        ...(g.anyone ? (positiveValues(s, "aws:PrincipalArn") ?? []).map((a) => accountOf(a) ?? "") : []),
    ];
    return [...new Set(all.filter((a) => a && !own.includes(a)))];
}

/** The condition keys AWS services set to the resource (and its account) a call is made for. */
const SOURCE_KEYS = ["aws:SourceAccount", "aws:SourceArn"];

/** The account a value of aws:SourceAccount or aws:SourceArn names; undefined for a wildcard account. */
function sourceAccountOf(key: string, value: string): string | undefined {
    if (key === "aws:SourceAccount") return /^\d{12}$/.test(value) ? value : undefined;
    return /^arn:[^:]*:[^:]*:[^:]*:(\d{12}):/.exec(value)?.[1];
}

/**
 * Why an Allow statement for a service principal does not narrow the service's calls to an own account, or
 * undefined when it does. Condition blocks are ANDed, so one block suffices: an exact operator (REQUIRED_MATCH) on
 * aws:SourceAccount or aws:SourceArn whose every value names an own account. Negated, IfExists and set operators,
 * wildcard accounts and other accounts do not count (confused deputy:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html).
 */
export function sourceNotNarrowed(s: Statement, own: readonly string[]): string | undefined {
    const reasons: string[] = [];
    for (const [op, block] of Object.entries(s.Condition ?? {})) {
        for (const [k, v] of Object.entries(block ?? {})) {
            const key = SOURCE_KEYS.find((x) => x.toLowerCase() === k.toLowerCase());
            if (!key) continue;
            if (!REQUIRED_MATCH.test(op)) {
                reasons.push(`${op} ${key} does not require the key (negated, IfExists or set operator)`);
                continue;
            }
            const values = list(v);
            const wide = values.filter((x) => !own.includes(sourceAccountOf(key, x) ?? ""));
            if (values.length > 0 && wide.length === 0) return undefined;
            for (const x of wide) {
                const account = sourceAccountOf(key, x);
                reasons.push(
                    `${op} ${key} ${JSON.stringify(x)} ` +
                        (account ? `names account ${account}, not this one` : "has a wildcard account"),
                );
            }
        }
    }
    return reasons.length > 0 ? reasons.join("; ") : "no aws:SourceAccount or aws:SourceArn condition";
}
