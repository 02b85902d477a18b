/**
 * Access a stack grants, as comparable atoms (effect, principal, action, resource, conditions) per policy document
 * and per security-group ingress, and the difference between two revisions: widened, narrowed, or, where a
 * document is computed from values AWS assigns at deploy, "cannot tell at preview".
 */
import { AccountContext, accountOfArn, POLICY_PROPERTIES, resourceAccountOf } from "./crossAccount";
import { isUnknown, showValue, unwrapSecret } from "../runtime/values";

export interface AccessAtom {
    readonly effect: string;
    readonly principal: string;
    readonly action: string;
    readonly resource: string;
    /** Canonical JSON of the statement's conditions, "" without. */
    readonly condition: string;
    /** Index of the statement (or ingress entry) in its document. */
    readonly statement: number;
}

/** One policy document (or the ingress of one security-group rule) of a resource. */
export interface AccessDocument {
    /** Resource URN plus the property, e.g. `urn...#assumeRolePolicy`. */
    readonly key: string;
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    /** What the document is: "trust policy", "key policy", "inline policy", "ingress", ... */
    readonly policy: string;
    /** `unknown`: computed from values only known after deploy, as in `pulumi preview`. */
    readonly status: "known" | "unknown";
    readonly atoms: readonly AccessAtom[];
    /** The statements (or ingress entries), for showing the one that causes a change. */
    readonly statements: readonly unknown[];
}

export interface AccessChange {
    /** `unknown`: a document involved is only known after deploy, so the preview cannot tell. */
    readonly direction: "widened" | "narrowed" | "unknown";
    readonly resource: { readonly urn: string; readonly type: string; readonly name: string };
    readonly policy: string;
    readonly sid?: string;
    /** The statement that causes the change: the new revision's for additions, the base's for removals. */
    readonly statement?: unknown;
    readonly actions: readonly string[];
    readonly resources: readonly string[];
    readonly principals: readonly string[];
    /** Conditions before and after, when only they changed. */
    readonly conditions?: { readonly before: string; readonly after: string };
    /** Wildcards, other accounts, new principals, openings to the internet, why the preview cannot tell. */
    readonly notes: readonly string[];
}

const POLICY_LABELS: Readonly<Record<string, string>> = {
    "aws:kms/key:Key": "key policy",
    "aws:kms/keyPolicy:KeyPolicy": "key policy",
    "aws:s3/bucketPolicy:BucketPolicy": "bucket policy",
    "aws:cloudwatch/eventBusPolicy:EventBusPolicy": "event bus policy",
    "aws:ecr/repositoryPolicy:RepositoryPolicy": "repository policy",
    "aws:iam/role:Role": "trust policy",
    "aws:iam/rolePolicy:RolePolicy": "inline policy",
    "aws:iam/userPolicy:UserPolicy": "inline policy",
    "aws:iam/policy:Policy": "managed policy",
    "aws:sns/topicPolicy:TopicPolicy": "topic policy",
};

/** Policy-carrying types beyond the cross-account summary's. */
const EXTRA_POLICY_PROPERTIES: Readonly<Record<string, { property: string; kind: string }>> = {
    "aws:iam/userPolicy:UserPolicy": { property: "policy", kind: "identity-policy" },
    "aws:sns/topicPolicy:TopicPolicy": { property: "policy", kind: "resource-policy" },
};

const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const str = (v: unknown): string => (typeof v === "string" ? v : showValue(v));

function canonical(v: unknown): string {
    if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
    if (typeof v === "object" && v !== null) {
        return `{${Object.keys(v)
            .sort()
            .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
            .join(",")}}`;
    }
    return JSON.stringify(v);
}

function principalsOf(s: Record<string, unknown>): string[] {
    const negate = s.NotPrincipal !== undefined;
    const p = negate ? s.NotPrincipal : s.Principal;
    const prefix = negate ? "NOT " : "";
    if (p === undefined) return [];
    if (typeof p !== "object" || p === null) return [`${prefix}${str(p)}`];
    return Object.entries(p).flatMap(([kind, values]) =>
        list(values).map((v) => `${prefix}${kind === "AWS" ? "" : `${kind}:`}${str(v)}`),
    );
}

/** Atoms of one IAM policy document; `subject` stands for the principal (identity) or resource (resource policy). */
function statementAtoms(
    doc: unknown,
    identity: boolean,
    subject: string,
): { atoms: AccessAtom[]; statements: unknown[] } {
    const parsed = typeof doc === "string" ? JSON.parse(doc) : doc;
    const statements = list((parsed as { Statement?: unknown })?.Statement) as Record<string, unknown>[];
    const atoms: AccessAtom[] = [];
    statements.forEach((s, index) => {
        const actions =
            s.Action !== undefined ? list(s.Action).map(str) : list(s.NotAction).map((a) => `NOT ${str(a)}`);
        const resources =
            s.Resource !== undefined || s.NotResource !== undefined
                ? s.Resource !== undefined
                    ? list(s.Resource).map(str)
                    : list(s.NotResource).map((r) => `NOT ${str(r)}`)
                : [subject];
        const principals = identity ? [subject] : principalsOf(s);
        const condition = s.Condition === undefined ? "" : canonical(s.Condition);
        for (const principal of principals.length > 0 ? principals : [subject]) {
            for (const action of actions) {
                for (const resource of resources) {
                    atoms.push({ effect: str(s.Effect), principal, action, resource, condition, statement: index });
                }
            }
        }
    });
    return { atoms, statements };
}

function document(
    r: ResourceLike,
    property: string,
    policy: string,
    status: "known" | "unknown",
    parts: { atoms: AccessAtom[]; statements: unknown[] } = { atoms: [], statements: [] },
): AccessDocument {
    return { key: `${r.urn}#${property}`, urn: r.urn, type: r.type, name: r.name, policy, status, ...parts };
}

const portRange = (from: unknown, to: unknown) =>
    from === to || to === undefined ? str(from) : `${str(from)}-${str(to)}`;
const protocol = (p: unknown) => (p === "-1" || p === -1 ? "all" : str(p));

/** Ingress entries of a security group, a security-group rule or an ingress rule resource, as atoms. */
function ingressAtoms(r: ResourceLike): { atoms: AccessAtom[]; statements: unknown[] } | undefined {
    const atom = (entry: number, action: string, source: string): AccessAtom => ({
        effect: "Allow",
        principal: source,
        action,
        resource: r.name,
        condition: "",
        statement: entry,
    });
    const i = r.inputs;
    switch (r.type) {
        case "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": {
            const referenced = i.referencedSecurityGroupId;
            const source =
                i.cidrIpv4 ??
                i.cidrIpv6 ??
                i.prefixListId ??
                (referenced !== undefined ? `security group ${str(referenced)}` : undefined);
            return {
                atoms: [atom(0, `${protocol(i.ipProtocol)} ${portRange(i.fromPort, i.toPort)}`, str(source))],
                statements: [i],
            };
        }
        case "aws:ec2/securityGroupRule:SecurityGroupRule":
        case "aws:ec2/securityGroup:SecurityGroup": {
            const entries =
                r.type === "aws:ec2/securityGroup:SecurityGroup" ? list(i.ingress) : i.type === "ingress" ? [i] : [];
            if (entries.length === 0) return undefined;
            const atoms = (entries as Record<string, any>[]).flatMap((e, n) => {
                const action = `${protocol(e.protocol)} ${portRange(e.fromPort, e.toPort)}`;
                const sources = [
                    ...list(e.cidrBlocks),
                    ...list(e.ipv6CidrBlocks),
                    ...list(e.prefixListIds),
                    ...list(e.securityGroups ?? e.sourceSecurityGroupId).map((g) => `security group ${str(g)}`),
                    ...(e.self ? ["the group itself"] : []),
                ];
                return sources.map((s) => atom(n, action, str(s)));
            });
            return { atoms, statements: entries };
        }
    }
    return undefined;
}

/** The slice of a recorded resource the access summary reads. */
export interface ResourceLike {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, any>;
}

/** Who an identity policy is attached to: the role or user it names, else the policy itself. */
function identitySubject(r: ResourceLike): string {
    if (r.inputs.role !== undefined) return `role ${str(r.inputs.role)}`;
    if (r.inputs.user !== undefined) return `user ${str(r.inputs.user)}`;
    return r.type === "aws:iam/role:Role" ? `role ${str(r.inputs.name ?? r.name)}` : `policy ${r.name}`;
}

/** Every policy document and ingress of a stack's resources. */
export function accessDocuments(resources: readonly ResourceLike[]): AccessDocument[] {
    const out: AccessDocument[] = [];
    const policyDoc = (r: ResourceLike, property: string, value: unknown, identity: boolean, label: string) => {
        const doc = unwrapSecret(value);
        if (doc === undefined || doc === "") return;
        const subject = identity ? identitySubject(r) : `this ${label.replace(/ policy$/, "")}`;
        if (isUnknown(doc) || typeof doc !== "string") {
            out.push(document(r, property, label, typeof doc === "string" ? "known" : "unknown"));
            return;
        }
        let parts: { atoms: AccessAtom[]; statements: unknown[] } | undefined;
        try {
            parts = statementAtoms(doc, identity, subject);
        } catch {
            parts = undefined; // not JSON: the policy pack and AWS refuse it; nothing to compare
        }
        out.push(document(r, property, label, "known", parts));
    };
    for (const r of resources) {
        const spec = POLICY_PROPERTIES[r.type] ?? EXTRA_POLICY_PROPERTIES[r.type];
        const label = POLICY_LABELS[r.type] ?? "policy";
        if (spec) policyDoc(r, spec.property, r.inputs[spec.property], spec.kind === "identity-policy", label);
        if (r.type === "aws:iam/role:Role") {
            for (const [n, inline] of list(r.inputs.inlinePolicies).entries()) {
                const p = inline as { name?: unknown; policy?: unknown };
                policyDoc(r, `inlinePolicies[${n}]`, p?.policy, true, `inline policy ${str(p?.name ?? n)}`);
            }
            const managed = r.inputs.managedPolicyArns;
            if (managed !== undefined) {
                const atoms = isUnknown(managed)
                    ? undefined
                    : list(managed).map((arn, n) => ({
                          effect: "Allow",
                          principal: `role ${r.name}`,
                          action: "(managed policy)",
                          resource: str(arn),
                          condition: "",
                          statement: n,
                      }));
                out.push(
                    document(r, "managedPolicyArns", "managed policies", atoms ? "known" : "unknown", {
                        atoms: atoms ?? [],
                        statements: list(managed),
                    }),
                );
            }
        }
        if (r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment") {
            const arn = r.inputs.policyArn;
            out.push(
                document(r, "policyArn", "managed policy attachment", isUnknown(arn) ? "unknown" : "known", {
                    atoms: isUnknown(arn)
                        ? []
                        : [
                              {
                                  effect: "Allow",
                                  principal: `role ${str(r.inputs.role)}`,
                                  action: "(managed policy)",
                                  resource: str(arn),
                                  condition: "",
                                  statement: 0,
                              },
                          ],
                    statements: [r.inputs],
                }),
            );
        }
        const ingress = ingressAtoms(r);
        if (ingress) out.push(document(r, "ingress", "ingress", "known", ingress));
    }
    return out;
}

const atomKey = (a: AccessAtom) => `${a.effect}|${a.principal}|${a.action}|${a.resource}|${a.condition}`;
const coreKey = (a: AccessAtom) => `${a.effect}|${a.principal}|${a.action}|${a.resource}`;
const uniq = (xs: string[]) => [...new Set(xs)];

/** Whether conditions `after` admit no more than `before`: every key kept, with no new alternative values. */
function noWider(before: string, after: string): boolean {
    const b = (before ? JSON.parse(before) : {}) as Record<string, Record<string, unknown>>;
    const a = (after ? JSON.parse(after) : {}) as Record<string, Record<string, unknown>>;
    return Object.entries(b).every(([op, keys]) =>
        Object.entries(keys).every(([key, values]) => {
            const kept = a[op]?.[key];
            if (kept === undefined) return false;
            const old = new Set(list(values).map(String));
            return list(kept).every((v) => old.has(String(v)));
        }),
    );
}

/** Notes on atoms that widen access: wildcards, other accounts, openings to the internet. */
function notesOf(atoms: readonly AccessAtom[], doc: AccessDocument, ctx: AccountContext): string[] {
    const notes: string[] = [];
    const wild = uniq(
        atoms.flatMap((a) => [
            ...(a.action.includes("*") ? [`action ${a.action}`] : []),
            ...(a.resource.includes("*") ? [`resource ${a.resource}`] : []),
            ...(a.principal === "*" || a.principal === "AWS:*" ? ["any principal"] : []),
        ]),
    );
    if (wild.length > 0) notes.push(`wildcard: ${wild.join(", ")}`);
    const accounts = new Set<string>();
    for (const a of atoms) {
        if (doc.policy === "ingress") continue;
        if (
            doc.type === "aws:iam/rolePolicy:RolePolicy" ||
            doc.policy.startsWith("inline") ||
            doc.policy === "managed policy"
        ) {
            const account = resourceAccountOf(a.resource, ctx);
            if (account !== undefined && account !== ctx.accountId) accounts.add(account);
            continue;
        }
        const narrowed = [...a.condition.matchAll(/"aws:principalarn":\[([^\]]*)\]/gi)].flatMap((m) =>
            [...m[1].matchAll(/"([^"]+)"/g)].map((x) => accountOfArn(x[1])),
        );
        const raw = a.principal.replace(/^NOT /, "");
        const account = /^\d{12}$/.test(raw) ? raw : raw === "*" ? "*" : accountOfArn(raw);
        for (const acc of narrowed.length > 0 ? narrowed : [account]) {
            if (acc !== undefined && acc !== ctx.accountId) accounts.add(acc === "*" ? "any account" : acc);
        }
    }
    if (accounts.size > 0) notes.push(`cross-account: ${[...accounts].sort().join(", ")}`);
    if (atoms.some((a) => a.principal === "0.0.0.0/0" || a.principal === "::/0")) notes.push("open to the internet");
    return notes;
}

/** The access difference between a base and a new revision of one stack. */
export function diffAccess(
    base: readonly AccessDocument[],
    head: readonly AccessDocument[],
    ctx: AccountContext,
): { changes: AccessChange[]; unknownInBoth: number } {
    const baseBy = new Map(base.map((d) => [d.key, d]));
    const headBy = new Map(head.map((d) => [d.key, d]));
    const keys = uniq([...head.map((d) => d.key), ...base.map((d) => d.key)]);
    const changes: AccessChange[] = [];
    let unknownInBoth = 0;
    for (const key of keys) {
        const b = baseBy.get(key);
        const h = headBy.get(key);
        const doc = (h ?? b)!;
        const resource = { urn: doc.urn, type: doc.type, name: doc.name };
        if (b?.status === "unknown" || h?.status === "unknown") {
            if (b?.status === "unknown" && h?.status === "unknown") {
                unknownInBoth++;
                continue;
            }
            const why = !h
                ? "removed; its statements are only known after deploy"
                : !b
                  ? "new; its statements are computed from values AWS assigns at deploy"
                  : h.status === "unknown"
                    ? "now computed from values AWS assigns at deploy"
                    : "was computed from values AWS assigns at deploy";
            changes.push({
                direction: "unknown",
                resource,
                policy: doc.policy,
                actions: [],
                resources: [],
                principals: [],
                notes: [`cannot tell at preview: the ${doc.policy} is ${why}`],
            });
            continue;
        }
        const baseAtoms = b?.atoms ?? [];
        const headAtoms = h?.atoms ?? [];
        const baseKeys = new Set(baseAtoms.map(atomKey));
        const headKeys = new Set(headAtoms.map(atomKey));
        const added = headAtoms.filter((a) => !baseKeys.has(atomKey(a)));
        const removed = baseAtoms.filter((a) => !headKeys.has(atomKey(a)));
        if (added.length === 0 && removed.length === 0) continue;
        const removedCores = new Map(removed.map((a) => [coreKey(a), a]));
        const addedCores = new Set(added.map(coreKey));
        const basePrincipals = new Set(baseAtoms.map((a) => a.principal));

        const groups = new Map<string, { atoms: AccessAtom[]; side: "head" | "base"; kind: string }>();
        const put = (atom: AccessAtom, side: "head" | "base", kind: string) => {
            const k = `${side}|${kind}|${atom.statement}`;
            if (!groups.has(k)) groups.set(k, { atoms: [], side, kind });
            groups.get(k)!.atoms.push(atom);
        };
        for (const a of added) put(a, "head", removedCores.has(coreKey(a)) ? "conditions" : "added");
        for (const a of removed) if (!addedCores.has(coreKey(a))) put(a, "base", "removed");

        for (const { atoms, side, kind } of groups.values()) {
            const source = side === "head" ? h! : b!;
            const statement = source.statements[atoms[0].statement] as Record<string, unknown> | undefined;
            const allow = atoms[0].effect !== "Deny";
            let direction: AccessChange["direction"];
            let conditions: AccessChange["conditions"];
            if (kind === "conditions") {
                const before = removedCores.get(coreKey(atoms[0]))!.condition;
                const after = atoms[0].condition;
                conditions = { before, after };
                direction = noWider(before, after) === allow ? "narrowed" : "widened";
            } else direction = (kind === "added") === allow ? "widened" : "narrowed";
            const notes = direction === "widened" ? notesOf(atoms, source, ctx) : [];
            const fresh = uniq(atoms.map((a) => a.principal)).filter((p) => b && !basePrincipals.has(p));
            if (
                direction === "widened" &&
                fresh.length > 0 &&
                doc.policy !== "ingress" &&
                !doc.policy.startsWith("inline")
            )
                notes.push(`new principal: ${fresh.join(", ")}`);
            if (!b) notes.push(`new ${doc.policy}`);
            if (!h) notes.push(`${doc.policy} removed`);
            changes.push({
                direction,
                resource,
                policy: doc.policy,
                ...(typeof statement?.Sid === "string" ? { sid: statement.Sid } : {}),
                ...(statement !== undefined ? { statement } : {}),
                actions: uniq(atoms.map((a) => a.action)),
                resources: uniq(atoms.map((a) => a.resource)),
                principals: uniq(atoms.map((a) => a.principal)),
                ...(conditions ? { conditions } : {}),
                notes,
            });
        }
    }
    return { changes, unknownInBoth };
}
