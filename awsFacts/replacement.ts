/**
 * Which inputs replace a resource when they change, from AWS's own resource schema: the properties CloudFormation
 * marks create-only ("createOnlyProperties: a property that can only be specified when creating a resource; a new
 * value requires a replacement", CloudFormation resource schema documentation), found through the same map of Pulumi
 * properties to schema paths the constraint checker uses. An input naming the resource it belongs to (a bucket
 * policy's bucket) replaces too: the block cannot move to another resource.
 */
import { PARENT, PropertyRule, RESOURCE_MAP } from "./resourceMap";
import { schemaSubset } from "./schemaSource";

/** The schema path a Pulumi property lands on; undefined when it is unchecked or merged into the resource. */
function schemaPath(rule: PropertyRule): string | undefined {
    if (typeof rule === "string") return rule;
    return "to" in rule && rule.to !== "" ? rule.to : undefined;
}

/** Two dotted paths where one holds the other (a create-only block, or a create-only field inside a property). */
const overlaps = (a: string, b: string) => a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);

/**
 * The Pulumi properties of a type whose change replaces the resource, sorted; undefined for a type the map does
 * not hold.
 */
export function createOnlyInputs(type: string): string[] | undefined {
    const rule = RESOURCE_MAP[type];
    if (!rule) return undefined;
    const createOnly = rule.definition ? [] : (schemaSubset().schemas[rule.cfn]?.create_only_properties ?? []);
    return Object.entries(rule.properties)
        .filter(([, propertyRule]) => {
            if (propertyRule === PARENT) return true;
            const at = schemaPath(propertyRule);
            return at !== undefined && createOnly.some((c) => overlaps(at, c));
        })
        .map(([property]) => property)
        .sort();
}
