import type { PolicyResource } from "@pulumi/policy";
import {
    contextOf,
    isAllow,
    known,
    list,
    ownAccounts,
    parseJsonish,
    stackPolicy,
    stackProvider,
    Statement,
    statementsOf,
} from "./common";

/**
 * Roles for people: the program tags each with PersonRole (developer, operator, auditor, break-glass). A person role
 * carries a permissions boundary, break-glass requires MFA on every trust, and no person holds admin in prod.
 */
export const PERSON_ROLE_TAG = "PersonRole";
export const BREAK_GLASS = "break-glass";
/** IAM's shortest MaxSessionDuration: a break-glass session lasts at most this (seconds). */
export const BREAK_GLASS_MAX_SESSION_SECONDS = 3600;

const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment";

/** The stack's person roles and which person each is. */
function personRoles(resources: readonly PolicyResource[]): { role: PolicyResource; person: string }[] {
    return resources
        .filter((r) => r.type === ROLE)
        .flatMap((role) => {
            const person = (known(() => role.props.tags) as Record<string, unknown> | undefined)?.[PERSON_ROLE_TAG];
            return typeof person === "string" ? [{ role, person }] : [];
        });
}

export const personRoleBoundary = stackPolicy(
    {
        name: "iam-person-role-boundary",
        summary: "Every role for people (tagged PersonRole) carries a permissions boundary.",
        severity: "high",
        nist: ["AC-6", "AC-6(10)"],
    },
    (args, report) => {
        const roles = personRoles(args.resources);
        if (roles.length === 0) args.notApplicable("no person role in the stack");
        for (const { role, person } of roles) {
            const boundary = known(() => role.props.permissionsBoundary);
            if (typeof boundary !== "string" || boundary === "") {
                report(
                    `Role "${role.name}" (${person}) has no permissions boundary; required: the account's boundary ` +
                        `policy, so the role cannot exceed it; fix: set permissionsBoundary (the program's stack ` +
                        `transformation sets it on every role it registers).`,
                    role.urn,
                );
            }
        }
    },
);

/** Every Allow of a trust policy: MFA present (Bool aws:MultiFactorAuthPresent true). */
function withoutMfa(trust: Statement[]): number[] {
    return trust.flatMap((s, i) => {
        if (!isAllow(s)) return [];
        const present = (s.Condition?.Bool as Record<string, unknown> | undefined)?.["aws:MultiFactorAuthPresent"];
        return list(present as string | string[] | undefined)
            .map(String)
            .includes("true")
            ? []
            : [i];
    });
}

export const breakGlassMfa = stackPolicy(
    {
        name: "iam-break-glass-mfa",
        summary: `A break-glass role is assumed only with MFA (every trust statement requires aws:MultiFactorAuthPresent) and for at most ${BREAK_GLASS_MAX_SESSION_SECONDS / 3600} hour.`,
        severity: "critical",
        nist: ["IA-2(1)", "AC-2(2)", "AC-6"],
    },
    (args, report) => {
        const roles = personRoles(args.resources).filter((r) => r.person === BREAK_GLASS);
        if (roles.length === 0) args.notApplicable("no break-glass role in the stack");
        for (const { role } of roles) {
            const trust = statementsOf(parseJsonish(known(() => role.props.assumeRolePolicy))) ?? [];
            const missing = withoutMfa(trust);
            if (trust.length === 0 || missing.length > 0) {
                const which = missing.map((i) => trust[i].Sid ?? `statement ${i + 1}`).join(", ");
                report(
                    `Role "${role.name}" (break-glass) can be assumed without MFA (${which || "no trust statement"}); ` +
                        `required: Bool aws:MultiFactorAuthPresent "true" on every Allow of its trust; fix: add the ` +
                        `condition (the program's breakGlassTrustPolicy does).`,
                    role.urn,
                );
            }
            const session = Number(known(() => role.props.maxSessionDuration) ?? 3600);
            if (session > BREAK_GLASS_MAX_SESSION_SECONDS) {
                report(
                    `Role "${role.name}" (break-glass) allows sessions of ${session} seconds; required: at most ` +
                        `${BREAK_GLASS_MAX_SESSION_SECONDS}; fix: set maxSessionDuration: ${BREAK_GLASS_MAX_SESSION_SECONDS}.`,
                    role.urn,
                );
            }
        }
    },
);

/** An Identity Center session role of `account` (aws-reserved/sso.amazonaws.com/[<region>/]AWSReservedSSO_<set>_*). */
const ssoSessionRole = (account: string) =>
    new RegExp(
        `^arn:[a-z-]+:iam::${account}:role/aws-reserved/sso\\.amazonaws\\.com/(\\*|[a-z0-9-]+/)?\\*?AWSReservedSSO_[\\w+=,.@-]+_\\*$`,
    );

/** Why an Allow of a person role's trust lets in more than the identity source, or undefined when it does not. */
function trustWidening(s: Statement, accounts: readonly string[]): string | undefined {
    const principal = (s.Principal ?? {}) as Record<string, unknown>;
    const federated = list(principal.Federated as string | string[] | undefined);
    const aws = list(principal.AWS as string | string[] | undefined);
    const actions = list(s.Action);
    if (federated.length > 0) {
        const audience = (s.Condition?.StringEquals as Record<string, unknown> | undefined)?.["SAML:aud"];
        if (!federated.every((f) => /:saml-provider\//.test(f))) return `trusts ${federated.join(", ")}`;
        if (!actions.every((a) => a === "sts:AssumeRoleWithSAML")) return `allows ${actions.join(", ")}`;
        return audience ? undefined : "has no SAML:aud condition";
    }
    if (aws.length === 0) return "trusts no AWS or SAML principal it names";
    const sessions = list(
        (s.Condition?.ArnLike as Record<string, unknown> | undefined)?.["aws:PrincipalArn"] as string | string[],
    );
    if (!aws.every((a) => accounts.some((acct) => a === `arn:${a.split(":")[1]}:iam::${acct}:root`))) {
        return `trusts ${aws.join(", ")}`;
    }
    if (sessions.length === 0) return "trusts the whole account (no aws:PrincipalArn condition)";
    const foreign = sessions.filter((arn) => !accounts.some((acct) => ssoSessionRole(acct).test(arn)));
    return foreign.length > 0 ? `admits ${foreign.join(", ")}` : undefined;
}

export const personRoleTrustNarrowed = stackPolicy(
    {
        name: "iam-person-role-trust-narrowed",
        summary:
            "A role for people (break-glass aside) trusts only the identity source: the SAML provider with its audience, or the account's Identity Center session roles.",
        severity: "critical",
        nist: ["AC-2", "AC-3", "IA-2"],
    },
    (args, report) => {
        const accounts = ownAccounts(contextOf(stackProvider(args.resources)));
        const roles = personRoles(args.resources).filter((r) => r.person !== BREAK_GLASS);
        if (roles.length === 0) args.notApplicable("no person role other than break-glass in the stack");
        for (const { role, person } of roles) {
            const trust = statementsOf(parseJsonish(known(() => role.props.assumeRolePolicy))) ?? [];
            for (const [i, s] of trust.entries()) {
                const widening = isAllow(s) ? trustWidening(s, accounts) : undefined;
                if (!widening) continue;
                report(
                    `Role "${role.name}" (${person}): trust ${s.Sid ? `statement "${s.Sid}"` : `statement ${i + 1}`} ` +
                        `${widening}; required: the SAML provider with SAML:aud, or this account's root narrowed by ` +
                        `ArnLike aws:PrincipalArn to its AWSReservedSSO_ session roles; fix: use personTrustPolicy ` +
                        `(components/personRoles.ts).`,
                    role.urn,
                );
            }
        }
    },
);

/** An Allow of every action ("*", "*:*" or NotAction) on every resource ("*" or NotResource). */
function isAdmin(s: Statement): boolean {
    if (!isAllow(s)) return false;
    const everyAction = s.NotAction !== undefined || list(s.Action).some((a) => a === "*" || a === "*:*");
    const everyResource = s.NotResource !== undefined || list(s.Resource).includes("*");
    return everyAction && everyResource;
}

/** Managed policies that grant everything. */
const ADMIN_MANAGED_POLICIES = [/:policy\/AdministratorAccess$/, /:policy\/PowerUserAccess$/];

export const noPersonAdminInProd = stackPolicy(
    {
        name: "iam-person-role-no-admin-in-prod",
        summary:
            "In prod no role for people (break-glass included) allows every action on every resource, inline or through AdministratorAccess or PowerUserAccess.",
        severity: "critical",
        nist: ["AC-6", "AC-6(5)"],
    },
    (args, report) => {
        const ctx = contextOf(stackProvider(args.resources));
        if (ctx.environment !== "prod") args.notApplicable(`${ctx.environment} is not prod`);
        const roles = personRoles(args.resources);
        if (roles.length === 0) args.notApplicable("no person role in the stack");
        for (const { role, person } of roles) {
            const name = known(() => role.props.name);
            const inline = [
                ...((known(() => role.props.inlinePolicies) as { policy?: unknown }[] | undefined) ?? []).map(
                    (p) => p.policy,
                ),
                ...args.resources
                    .filter((r) => r.type === ROLE_POLICY && known(() => r.props.role) === name)
                    .map((r) => known(() => r.props.policy)),
            ];
            const admin = inline.flatMap((d) => statementsOf(parseJsonish(d)) ?? []).filter(isAdmin);
            const managed = [
                ...list(known(() => role.props.managedPolicyArns) as string[] | undefined),
                ...args.resources
                    .filter((r) => r.type === ATTACHMENT && known(() => r.props.role) === name)
                    .map((r) => String(known(() => r.props.policyArn))),
            ].filter((arn) => ADMIN_MANAGED_POLICIES.some((p) => p.test(arn)));
            const found = [
                ...admin.map(
                    (s) => `${s.Sid ? `statement "${s.Sid}"` : "a statement"} allows every action on every resource`,
                ),
                ...managed.map((arn) => `attached ${arn}`),
            ];
            if (found.length > 0) {
                report(
                    `Role "${role.name}" (${person}) is an administrator in prod: ${found.join("; ")}; required: ` +
                        `named actions on named resources; fix: grant what the person's work needs (components/` +
                        `personRoles.ts) and keep repairs to break-glass's scoped statements.`,
                    role.urn,
                );
            }
        }
    },
);

export const peoplePolicies = [personRoleBoundary, personRoleTrustNarrowed, breakGlassMfa, noPersonAdminInProd];
