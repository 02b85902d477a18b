import { CONFIG_KEYS, ConfigKey } from "./configSchema";

/**
 * Pulumi.yaml's `config:` block and the README's config table, rendered from the schema (the test
 * `test/configDocs.test.ts` fails when the files drift; `npm run config:docs` rewrites them).
 */

const WIDTH = 116;
const INDENT = "    ";

/** Keys in a namespace Pulumi does not let a project type (described in comments). */
const untypable = (k: ConfigKey) => k.key.includes(":");
/** Keys declared in Pulumi.yaml: required per stack, with a default, or a project value. */
const typed = (k: ConfigKey, values: Readonly<Record<string, unknown>>) =>
    !untypable(k) && (k.required || k.default !== undefined || values[k.key] !== undefined);
/** A type Pulumi.yaml cannot state (a project type has one item type): declared with its value only. */
const unstatable = (k: ConfigKey) => k.type.includes("|");

/**
 * The `config:` block of Pulumi.yaml. `values` are the project values (the shared keys' `value:`), kept from the
 * current file; a required shared key without one renders without `value:` (and the CLI then demands it).
 */
export function renderProjectConfig(values: Readonly<Record<string, unknown>>): string {
    const lines = [
        "config:",
        `${INDENT}# Generated from domain/configSchema.ts by \`npm run config:docs\`: edit the schema (and the values`,
        `${INDENT}# below), then regenerate. Keys with a \`value:\` are stated once for every stack; no stack file sets them.`,
        `${INDENT}#`,
        `${INDENT}# Keys each stack file sets that are not typed here (Pulumi allows types for project keys only):`,
        ...commentRows(CONFIG_KEYS.filter(untypable)),
        `${INDENT}#`,
        `${INDENT}# Optional keys without a default, validated by the program (typing them here would make the CLI`,
        `${INDENT}# require them in every stack file); a shared one (organizationId) is set here, with a \`value:\`:`,
        ...commentRows(CONFIG_KEYS.filter((k) => !untypable(k) && !typed(k, values))),
        `${INDENT}pulumi:disable-default-providers:`,
        `${INDENT}${INDENT}value: ["aws"]`,
    ];
    for (const k of CONFIG_KEYS.filter((x) => typed(x, values))) {
        const { type, items } = projectType(k.type);
        lines.push(`${INDENT}${k.key}:`);
        if (!unstatable(k)) lines.push(`${INDENT}${INDENT}type: ${type}`);
        if (items && !unstatable(k))
            lines.push(`${INDENT}${INDENT}items:`, `${INDENT}${INDENT}${INDENT}type: ${items}`);
        lines.push(...description(k.description));
        if (k.default !== undefined) lines.push(`${INDENT}${INDENT}default: ${yamlValue(k.default)}`);
        else if (values[k.key] !== undefined) lines.push(`${INDENT}${INDENT}value: ${yamlValue(values[k.key])}`);
    }
    return lines.join("\n") + "\n";
}

/** A schema type as Pulumi.yaml's config declares it: `array<string>` is type array with items of type string. */
export function projectType(schemaType: string): { type: string; items?: string } {
    return schemaType.startsWith("array<") ? { type: "array", items: schemaType.slice(6, -1) } : { type: schemaType };
}

/** The README's table of every key. */
export function renderConfigTable(): string {
    const rows = CONFIG_KEYS.map((k) => {
        const where = k.scope === "project" ? "Pulumi.yaml, once" : "stack file";
        const dflt =
            k.default !== undefined ? `\`${JSON.stringify(k.default)}\`` : k.required ? "required" : "optional";
        return `| \`${k.key}\` | ${k.type} | ${where} | ${dflt} | ${k.description.replace(/\|/g, "\\|")} |`;
    });
    return (
        ["| key | type | set in | default | meaning |", "| --- | --- | --- | --- | --- |", ...rows].join("\n") + "\n"
    );
}

function commentRows(keys: readonly ConfigKey[]): string[] {
    const keyWidth = Math.max(...keys.map((k) => k.key.length)) + 2;
    const typeWidth = Math.max(...keys.map((k) => k.type.length)) + 2;
    const prefix = `${INDENT}#   `;
    const hang = " ".repeat(keyWidth + typeWidth);
    return keys.flatMap((k) =>
        wrap(k.description, WIDTH - prefix.length - hang.length).map(
            (line, i) => `${prefix}${i === 0 ? k.key.padEnd(keyWidth) + k.type.padEnd(typeWidth) : hang}${line}`,
        ),
    );
}

function description(textValue: string): string[] {
    const first = `${INDENT}${INDENT}description: `;
    if (first.length + textValue.length <= WIDTH && !/[:#]\s|^[\W]/.test(textValue)) return [first + textValue];
    return [`${INDENT}${INDENT}description: >-`, ...wrap(textValue, WIDTH - 12).map((l) => `${INDENT.repeat(3)}${l}`)];
}

function yamlValue(v: unknown): string {
    return JSON.stringify(v).replace(/,/g, ", ");
}

function wrap(textValue: string, width: number): string[] {
    const out: string[] = [];
    let line = "";
    for (const word of textValue.split(" ")) {
        if (line && line.length + 1 + word.length > width) {
            out.push(line);
            line = word;
        } else line = line ? `${line} ${word}` : word;
    }
    if (line) out.push(line);
    return out;
}
