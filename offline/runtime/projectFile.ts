/** Pulumi.yaml, read offline: the project's config declarations, checked as the CLI checks them. */
import * as path from "path";
import { describe, inInt64, NotPlainYaml, PulumiCliError, readPlainYaml, Value } from "./plainYaml";

const SIMPLE_TYPES = ["string", "integer", "boolean", "array", "object"];
const DECLARATION_ATTRIBUTES = ["type", "items", "description", "secret", "default", "value"];

interface ItemsType {
    readonly type: string;
    readonly items?: ItemsType;
}

interface Declaration {
    readonly type?: string;
    readonly items?: ItemsType;
    readonly default: Value;
    readonly value: Value;
    readonly secret: boolean;
}

export interface Project {
    readonly name: string;
    readonly config: Map<string, Declaration>;
    readonly stackConfigDir?: string;
}

const projects = new Map<string, Project>();

export function loadProject(root: string): Project {
    let project = projects.get(root);
    if (!project) {
        project = loadProjectFile(path.join(root, "Pulumi.yaml"));
        projects.set(root, project);
    }
    return project;
}

export function loadProjectFile(file: string): Project {
    const shown = "Pulumi.yaml";
    const doc = readPlainYaml(file, shown);
    if (!(doc instanceof Map)) throw new NotPlainYaml(shown, "", `${describe(doc)} where a map is expected`);
    const name = doc.get("name");
    if (typeof name !== "string" || name === "") {
        throw new NotPlainYaml(shown, "name", `${describe(name ?? null)} where the project's name is expected`);
    }
    const block = doc.get("config") ?? new Map<string, Value>();
    if (!(block instanceof Map)) throw new NotPlainYaml(shown, "config", `${describe(block)} where a map is expected`);
    const config = new Map<string, Declaration>();
    for (const [key, entry] of block) {
        const at = `config.${key}`;
        // A shorthand (a string, integer, boolean or list) is the default of a project key, else the value.
        const shorthand = ["string", "boolean", "bigint"].includes(typeof entry) || Array.isArray(entry);
        const decl = shorthand ? new Map([[namespacedByProject(name, key) ? "default" : "value", entry]]) : entry;
        if (!(decl instanceof Map)) throw new NotPlainYaml(shown, at, `${describe(entry)} as a shorthand value`);
        const unknown = [...decl.keys()].find((k) => !DECLARATION_ATTRIBUTES.includes(k));
        if (unknown) throw new NotPlainYaml(shown, at, `an attribute a config declaration does not have (${unknown})`);
        if (/[.[]/.test(key.slice(key.indexOf(":") + 1)))
            throw new NotPlainYaml(shown, at, "a key that reads as a property path");
        const type = decl.get("type");
        if (type !== undefined && !SIMPLE_TYPES.includes(type as string)) {
            throw new NotPlainYaml(
                shown,
                `${at}.type`,
                `${describe(type)} where ${SIMPLE_TYPES.join(", ")} is expected`,
            );
        }
        const secret = decl.get("secret") ?? false;
        if (typeof secret !== "boolean")
            throw new NotPlainYaml(shown, `${at}.secret`, `${describe(secret)} where true or false is expected`);
        const items = decl.get("items");
        config.set(key, {
            ...(type !== undefined ? { type: type as string } : {}),
            ...(items !== undefined ? { items: itemsType(items, `${at}.items`) } : {}),
            default: decl.get("default") ?? null,
            value: decl.get("value") ?? null,
            secret,
        });
    }
    const stackConfigDir = doc.get("stackConfigDir");
    const project = { name, config, ...(typeof stackConfigDir === "string" ? { stackConfigDir } : {}) };
    try {
        validateProjectConfig(project);
    } catch (e) {
        throw new PulumiCliError(`could not unmarshal '${file}': ${(e as Error).message}`);
    }
    return project;
}

/** A declaration's `items`: `{ type, items }`, items required of an array. */
function itemsType(v: Value, at: string): ItemsType {
    const type = v instanceof Map ? v.get("type") : undefined;
    if (!(v instanceof Map))
        throw new NotPlainYaml("Pulumi.yaml", at, `${describe(v)} where a map { type, items } is expected`);
    const keysKnown = [...v.keys()].every((k) => k === "type" || k === "items");
    if (!keysKnown || !SIMPLE_TYPES.includes(type as string) || (type === "array" && !v.has("items"))) {
        throw new NotPlainYaml(
            "Pulumi.yaml",
            at,
            "a type other than string, integer, boolean, object or array (with items)",
        );
    }
    const items = v.get("items");
    return { type: type as string, ...(items !== undefined ? { items: itemsType(items, `${at}.items`) } : {}) };
}

export function namespacedByProject(projectName: string, key: string): boolean {
    return !key.includes(":") || key.startsWith(projectName + ":");
}

/** The CLI's checks of the project's declarations, in its words: the first broken rule of each key. */
function validateProjectConfig(project: Project): void {
    for (const [key, t] of project.config) {
        const rules: [boolean, string][] = namespacedByProject(project.name, key)
            ? [
                  [
                      t.default !== null && t.value !== null,
                      `project config '${key}' cannot have both a 'default' and 'value' attribute`,
                  ],
                  [
                      t.type === "array" && !t.items,
                      `The configuration key '${key}' declares an array but does not specify the underlying type via the 'items' attribute`,
                  ],
                  [
                      t.type !== undefined && t.default !== null && !validateConfigValue(t.type, t.items, t.default),
                      `The default value specified for configuration key '${key}' is not of the expected type '${fullTypeName(t.type ?? "", t.items)}'`,
                  ],
              ]
            : [
                  [
                      t.default !== null && t.value !== null,
                      `project config '${key}' cannot have both a 'default' and 'value' attribute`,
                  ],
                  [
                      t.type !== undefined,
                      `Configuration key '${key}' is not namespaced by the project and should not define a type`,
                  ],
                  [
                      t.default !== null,
                      `Configuration key '${key}' is not namespaced by the project and should not define a default value. Did you mean to use the 'value' attribute instead of 'default'?`,
                  ],
                  [t.value === null, `Configuration key '${key}' is namespaced and must provide an attribute 'value'`],
              ];
        const broken = rules.find(([isBroken]) => isBroken);
        if (broken) throw new Error(broken[1]);
    }
}

export function fullTypeName(type: string, items: ItemsType | undefined): string {
    return items ? `array<${fullTypeName(items.type, items.items)}>` : type;
}

/** The CLI's type check, on a project default or on a stack value as text or as the parse of its JSON. */
export function validateConfigValue(type: string, items: ItemsType | undefined, value: unknown): boolean {
    switch (type) {
        case "string":
            return typeof value === "string";
        case "integer":
            return (
                typeof value === "bigint" ||
                (typeof value === "number" && (Number.isInteger(value) || Math.abs(value) === Infinity)) ||
                (typeof value === "string" && /^[+-]?[0-9]+$/.test(value) && inInt64(BigInt(value)))
            );
        case "boolean":
            return value === "true" || value === "false" || typeof value === "boolean";
        case "object":
            return (
                value instanceof Map || (value !== null && typeof value === "object" && value.constructor === Object)
            );
    }
    return Array.isArray(value) && !!items && value.every((item) => validateConfigValue(items.type, items.items, item));
}
