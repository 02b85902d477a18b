/**
 * The URNs a resource answers to besides its own, as the engine computes them from `aliases`: each alias of the
 * resource (a URN, or a spec of the name, type, parent, stack or project it had), and, multiplied out, its own and
 * its aliased names under every former URN of its parent (a component whose type token or parent changed carries its
 * children along). What the diff needs to match a moved resource to its former self instead of a delete and a create.
 */

/** One alias as the engine receives it: a former URN, or what differs (unset fields are the resource's own). */
export interface AliasSpec {
    readonly urn?: string;
    readonly name?: string;
    readonly type?: string;
    readonly stack?: string;
    readonly project?: string;
    /** The former parent's URN; unset: the resource's own parent. */
    readonly parentUrn?: string;
    /** It had no parent (the stack's root). */
    readonly noParent?: boolean;
}

/** What formerUrns reads of a registered resource. */
export interface AliasedResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly parent?: string;
    readonly aliasSpecs?: readonly AliasSpec[];
}

const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";

/** The parts of a URN: `urn:pulumi:<stack>::<project>::<qualified type>::<name>`. */
export function parseUrn(urn: string): { stack: string; project: string; qualifiedType: string; name: string } {
    const [head, project, qualifiedType, ...name] = urn.split("::");
    return { stack: head.replace(/^urn:pulumi:/, ""), project, qualifiedType, name: name.join("::") };
}

/** The URN of a resource of `type` named `name` under `parentUrn` (none, or the root stack: a top-level type). */
export function urnOf(stack: string, project: string, type: string, name: string, parentUrn?: string): string {
    const parentType = parentUrn === undefined ? undefined : parseUrn(parentUrn).qualifiedType;
    const qualified = parentType === undefined || parentType === ROOT_STACK_TYPE ? type : `${parentType}$${type}`;
    return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

/**
 * Former URNs of every resource, by URN (the engine's generateAliases): its aliases, then its own name and type and
 * each aliased one under every former URN of its parent, a name that starts with the parent's name taking the
 * parent's former name (Pulumi's inheritedChildAlias). Parents come before their children in `resources`.
 */
export function formerUrns(resources: readonly AliasedResource[]): Map<string, string[]> {
    const out = new Map<string, string[]>();
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const resolve = (r: AliasedResource): string[] => {
        const known = out.get(r.urn);
        if (known) return known;
        const { stack, project } = parseUrn(r.urn);
        const found: string[] = [];
        const add = (urn: string) => {
            if (urn !== r.urn && !found.includes(urn)) found.push(urn);
        };
        const own = (r.aliasSpecs ?? []).map((a) =>
            a.urn !== undefined
                ? { urn: a.urn }
                : {
                      name: a.name ?? r.name,
                      type: a.type ?? r.type,
                      stack: a.stack ?? stack,
                      project: a.project ?? project,
                      parent: a.noParent ? undefined : (a.parentUrn ?? r.parent),
                  },
        );
        for (const a of own) add(a.urn ?? urnOf(a.stack!, a.project!, a.type!, a.name!, a.parent));
        const parent = r.parent === undefined ? undefined : byUrn.get(r.parent);
        if (parent) {
            for (const formerParent of resolve(parent)) {
                const renamed = (name: string) => {
                    const formerName = parseUrn(formerParent).name;
                    return name.startsWith(parent.name) ? formerName + name.slice(parent.name.length) : name;
                };
                add(urnOf(stack, project, r.type, renamed(r.name), formerParent));
                for (const a of own) {
                    if (a.urn === undefined) add(urnOf(stack, project, a.type!, renamed(a.name!), formerParent));
                }
            }
        }
        out.set(r.urn, found);
        return found;
    };
    for (const r of resources) resolve(r);
    return out;
}
