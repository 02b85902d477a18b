/**
 * The AWS constraint checker both previews share (the offline plan and the engine's stand-in `aws` provider): a
 * resource's inputs, mapped to its CloudFormation type (resourceMap.ts), checked against AWS's resource schema
 * (schemas.json: types, required properties of nested blocks, enums, patterns, lengths, ranges, item counts) and
 * the documented constraints the schemas leave out (DOCUMENTED below). No Pulumi SDK: values the engine does not
 * know yet (unknowns) and resource references are skipped, secrets are checked by their value and never printed.
 */
import { ConstraintFailure, DOCUMENTED } from "./documented";
import { PropertyRule, RESOURCE_MAP, TypeRule } from "./resourceMap";
import { ResourceSchema, SchemaNode, schemaSubset } from "./schemaSource";

export type { ConstraintFailure };

/** The engine's unknown sentinel in a Struct, and the SDK's deserialized unknown. */
const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
/** Stands for a value to skip (unknown at preview, or a resource reference). */
const SKIP = Symbol("unknown");

/** Unknowns and resource references become SKIP; secrets become their value (marked, to be shown as [secret]). */
function plain(value: unknown, secrets: Set<unknown>): unknown {
    if (value === UNKNOWN_STRING) return SKIP;
    if (Array.isArray(value)) return value.map((v) => plain(v, secrets));
    if (typeof value !== "object" || value === null) return value;
    const record = value as Record<string, unknown>;
    if (record.__pulumiUnknown === true) return SKIP;
    if (record[SIG] === SECRET_SIG) {
        const inner = plain(record.value, secrets);
        secrets.add(inner);
        return inner;
    }
    if (SIG in record || Object.getPrototypeOf(record) !== Object.prototype) return SKIP;
    return Object.fromEntries(
        Object.entries(record)
            .filter(([k, v]) => !k.startsWith("__") && v !== undefined)
            .map(([k, v]) => [k, plain(v, secrets)]),
    );
}

const capitalise = (key: string) => key.charAt(0).toUpperCase() + key.slice(1);
const uncapitalise = (key: string) => key.charAt(0).toLowerCase() + key.slice(1);

/** The provider's nested keys as the schema's: capitalised, or renamed by `names`. */
function toSchemaKeys(value: unknown, names: Readonly<Record<string, string>>): unknown {
    if (Array.isArray(value)) return value.map((v) => toSchemaKeys(v, names));
    if (typeof value !== "object" || value === null) return value;
    return Object.fromEntries(
        Object.entries(value)
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => [names[k] ?? capitalise(k), toSchemaKeys(v, names)]),
    );
}

interface Mapped {
    /** Top-level Pulumi property. */
    readonly property: string;
    /** Where it lands in the schema (dotted; empty: merged into the resource's own properties). */
    readonly to: string;
    readonly value: unknown;
    readonly names: Readonly<Record<string, string>>;
}

function mapProperty(property: string, rule: PropertyRule, raw: unknown): Mapped | ConstraintFailure | undefined {
    if (typeof rule === "string") return { property, to: rule, value: toSchemaKeys(raw, {}), names: {} };
    if ("unchecked" in rule) return undefined;
    let value = raw;
    if (rule.json && typeof value === "string") {
        try {
            value = JSON.parse(value);
        } catch (e) {
            return { property, reason: `is not valid JSON (${(e as Error).message})` };
        }
    }
    if (rule.as && value !== SKIP) value = rule.as(value);
    const names = rule.names ?? {};
    return { property, to: rule.to, value: toSchemaKeys(value, names), names };
}

/** Resolves a schema node's reference into the resource schema's definitions. */
function resolve(node: SchemaNode, schema: ResourceSchema): SchemaNode {
    let current = node;
    for (let depth = 0; current.ref_name && depth < 20; depth++) {
        const target = schema.definitions?.[current.ref_name];
        if (!target) break;
        current = { ...target, ...Object.fromEntries(Object.entries(current).filter(([k]) => k !== "ref_name")) };
    }
    return current;
}

const patterns = new Map<string, RegExp | null>();

/** A schema pattern (Rust regex syntax) as a JavaScript RegExp, or null when JavaScript cannot read it. */
function regexp(pattern: string): RegExp | null {
    if (!patterns.has(pattern)) {
        let compiled: RegExp | null;
        try {
            compiled = new RegExp(pattern.replace(/\\Z/g, "$").replace(/\\A/g, "^"), "u");
        } catch {
            compiled = null;
        }
        patterns.set(pattern, compiled);
    }
    return patterns.get(pattern)!;
}

const typeOf = (v: unknown): string =>
    Array.isArray(v) ? "array" : v === null ? "null" : Number.isInteger(v) ? "integer" : typeof v;

function typeMatches(expected: string, v: unknown): boolean {
    const actual = typeOf(v);
    if (expected === "number") return actual === "integer" || actual === "number";
    return actual === expected;
}

interface Walk {
    readonly schema: ResourceSchema;
    readonly secrets: Set<unknown>;
    readonly failures: ConstraintFailure[];
    /** Keys the schema has no place for (a gap in the map, not the program's error). */
    readonly unplaced: string[];
    readonly names: Readonly<Record<string, string>>;
}

const show = (v: unknown, w: Walk) => (w.secrets.has(v) ? "[secret]" : JSON.stringify(v));

/** The provider's name of a schema key: the inverse of `names`, or the key uncapitalised. */
function providerKey(key: string, names: Readonly<Record<string, string>>): string {
    return Object.entries(names).find(([, to]) => to === key)?.[0] ?? uncapitalise(key);
}

function check(node: SchemaNode, value: unknown, path: string, w: Walk, where: string): void {
    if (value === SKIP) return;
    const n = resolve(node, w.schema);
    const fail = (reason: string) => w.failures.push({ property: path, reason: `${reason} (${where})` });
    const types = n.type === undefined ? [] : Array.isArray(n.type) ? n.type : [n.type];
    if (types.length > 0 && !types.some((t) => typeMatches(t, value))) {
        // A JSON document given as a string is what the provider sends (policies, patterns).
        if (!(typeof value === "string" && (types.includes("object") || n.format === "json"))) {
            fail(`${show(value, w)} is not of type ${types.join(" or ")}`);
            return;
        }
    }
    if (n.enum && !n.enum.some((e) => e === value || (n.enum_case_insensitive && sameText(e, value)))) {
        fail(`${show(value, w)} is not one of ${n.enum.map((e) => JSON.stringify(e)).join(", ")}`);
    }
    if (typeof value === "string") {
        const length = [...value].length;
        if (n.min_length !== undefined && length < n.min_length) {
            fail(`${show(value, w)} is shorter than ${n.min_length} characters`);
        }
        if (n.max_length !== undefined && length > n.max_length) {
            fail(
                `${w.secrets.has(value) ? "[secret]" : `a value of ${length} characters`} is longer than ${n.max_length}`,
            );
        }
        const re = n.pattern ? regexp(n.pattern) : null;
        if (re && !re.test(value)) fail(`${show(value, w)} does not match ${n.pattern}`);
    }
    if (typeof value === "number") {
        if (n.minimum !== undefined && value < n.minimum) fail(`${value} is less than the minimum ${n.minimum}`);
        if (n.maximum !== undefined && value > n.maximum) fail(`${value} is more than the maximum ${n.maximum}`);
    }
    if (Array.isArray(value)) {
        if (n.min_items !== undefined && value.length < n.min_items) {
            fail(`has ${value.length} items, fewer than ${n.min_items}`);
        }
        if (n.max_items !== undefined && value.length > n.max_items) {
            fail(`has ${value.length} items, more than ${n.max_items}`);
        }
        if (n.items) value.forEach((item, i) => check(n.items!, item, `${path}[${i}]`, w, `${where}[${i}]`));
    }
    if (typeof value === "object" && value !== null && !Array.isArray(value) && n.properties) {
        checkObject(n, value as Record<string, unknown>, path, w, where);
    }
}

function sameText(a: unknown, b: unknown): boolean {
    return typeof a === "string" && typeof b === "string" && a.toLowerCase() === b.toLowerCase();
}

function checkObject(n: SchemaNode, value: Record<string, unknown>, path: string, w: Walk, where: string): void {
    for (const key of n.required ?? []) {
        if (value[key] === undefined) {
            const at = `${path}.${providerKey(key, w.names)}`;
            w.failures.push({ property: at, reason: `is required (${where}.${key})` });
        }
    }
    for (const [key, v] of Object.entries(value)) {
        const child = n.properties?.[key];
        const at = path ? `${path}.${providerKey(key, w.names)}` : providerKey(key, w.names);
        if (child) check(child, v, at, w, `${where}.${key}`);
        else if (!n.pattern_properties && n.additional_properties !== true) w.unplaced.push(`${where}.${key}`);
    }
}

/** The schema node a dotted path leads to (through nested objects), or undefined. */
function nodeAt(root: SchemaNode, dotted: string, schema: ResourceSchema): SchemaNode | undefined {
    let node: SchemaNode | undefined = root;
    for (const key of dotted.split(".")) {
        node = node && resolve(node, schema).properties?.[key];
    }
    return node;
}

export interface ResourceCheck {
    readonly failures: ConstraintFailure[];
    /** Schema paths the map could not place (a key the schema does not have): gaps in the map, reported by tests. */
    readonly unplaced: string[];
}

/** Checks one resource's inputs against AWS's schema for its type and the documented constraints. */
export function checkResource(type: string, inputs: Record<string, unknown>, region?: string): ResourceCheck {
    const rule: TypeRule | undefined = RESOURCE_MAP[type];
    const out: ResourceCheck = { failures: [], unplaced: [] };
    if (!rule) return out;
    const { schemas, regions } = schemaSubset();
    const schema = schemas[rule.cfn];
    const root: SchemaNode = rule.definition ? schema.definitions![rule.definition] : schema;
    const label = rule.definition ? `${rule.cfn} ${rule.definition}` : rule.cfn;
    if (region && regions[rule.cfn] && !regions[rule.cfn].includes(region)) {
        out.failures.push({ property: "", reason: `${rule.cfn} is not available in ${region}` });
    }
    const secrets = new Set<unknown>();
    const values = plain(inputs, secrets) as Record<string, unknown>;
    for (const [property, raw] of Object.entries(values)) {
        const propertyRule = rule.properties[property];
        if (propertyRule === undefined) {
            out.unplaced.push(`${type} ${property}`);
            continue;
        }
        if (raw === SKIP) continue;
        const mapped = mapProperty(property, propertyRule, raw);
        if (!mapped) continue;
        if ("reason" in mapped) {
            out.failures.push({
                property,
                reason: `${mapped.reason} (${label} ${(propertyRule as { to: string }).to})`,
            });
            continue;
        }
        const w: Walk = { schema, secrets, failures: out.failures, unplaced: out.unplaced, names: mapped.names };
        if (mapped.to === "") {
            if (typeof mapped.value === "object" && mapped.value !== null) {
                for (const [key, v] of Object.entries(mapped.value)) {
                    const node = root.properties?.[key];
                    if (node) check(node, v, `${property}.${providerKey(key, mapped.names)}`, w, `${label} ${key}`);
                    else out.unplaced.push(`${label} ${key}`);
                }
            }
            continue;
        }
        const node = nodeAt(root, mapped.to, schema);
        if (!node) {
            out.unplaced.push(`${label} ${mapped.to}`);
            continue;
        }
        check(node, mapped.value, property, w, `${label} ${mapped.to}`);
    }
    for (const documented of DOCUMENTED[type] ?? []) out.failures.push(...documented(values, SKIP));
    return out;
}

/** A registered resource, as the offline plan records it. */
export interface CheckedResource {
    readonly urn?: string;
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, unknown>;
    /** Its provider reference (`<provider urn>::<id>`), when it names one. */
    readonly provider?: string;
}

const PROVIDER_TYPE = "pulumi:providers:aws";

/**
 * Every failure of a stack's resources, one line each: resource, property, constraint. Each resource is checked
 * in its provider's region (a budget of a GovCloud stack goes through a provider in us-east-1), else `region`.
 */
export function constraintProblems(resources: readonly CheckedResource[], region?: string): string[] {
    const providerRegions = new Map<string, string>();
    for (const r of resources) {
        if (r.type === PROVIDER_TYPE && r.urn && typeof r.inputs.region === "string") {
            providerRegions.set(r.urn, r.inputs.region);
        }
    }
    const out: string[] = [];
    for (const r of resources) {
        const providerUrn = r.provider?.slice(0, r.provider.lastIndexOf("::"));
        const at = (providerUrn && providerRegions.get(providerUrn)) || region;
        for (const f of checkResource(r.type, r.inputs, at).failures) {
            out.push(`${r.type} "${r.name}"${f.property ? ` ${f.property}` : ""}: ${f.reason}`);
        }
    }
    return out;
}

/** The error the offline plan reports for inputs AWS would refuse (a program error, exit code 2). */
export class AwsConstraintError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(
            `${problems.length} input${problems.length === 1 ? "" : "s"} AWS would refuse; nothing was deployed:\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "AwsConstraintError";
    }
}
