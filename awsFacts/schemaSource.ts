/**
 * Where AWS's resource schemas come from: the CloudFormation registry schemas that @aws/cloudformation-validate
 * bundles (every resource type, as the registry publishes them, in the package's processed form: `type_name`,
 * `properties`, `definitions`, `required`, `enum`, `pattern`, `min_length`, ...). The package keeps them inside its
 * WebAssembly module as zstd frames of JSON and parses all 1,766 of them when a SchemaValidator is constructed
 * (about 4 s); the checks need a few dozen, so `schemas.json` beside this file holds just those, taken from the
 * installed package by `extractSchemas` (a test keeps the two equal: `UPDATE_AWS_SCHEMAS=1` rewrites the file).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";

const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
const PACKAGE = "@aws/cloudformation-validate";

/** A property or definition in the package's schema form. */
export interface SchemaNode {
    readonly type?: string | string[];
    readonly ref_name?: string;
    readonly enum?: readonly unknown[];
    readonly enum_case_insensitive?: boolean;
    readonly pattern?: string;
    readonly min_length?: number;
    readonly max_length?: number;
    readonly minimum?: number;
    readonly maximum?: number;
    readonly min_items?: number;
    readonly max_items?: number;
    readonly items?: SchemaNode;
    readonly properties?: Readonly<Record<string, SchemaNode>>;
    readonly required?: readonly string[];
    readonly additional_properties?: boolean;
    readonly pattern_properties?: Readonly<Record<string, SchemaNode>>;
    readonly format?: string;
}

export interface ResourceSchema extends SchemaNode {
    readonly type_name: string;
    readonly definitions?: Readonly<Record<string, SchemaNode>>;
    readonly create_only_properties?: readonly string[];
}

/** What schemas.json holds: the package's version, the schemas of the mapped types, the regions that have each. */
export interface SchemaSubset {
    readonly source: string;
    readonly schemas: Readonly<Record<string, ResourceSchema>>;
    readonly regions: Readonly<Record<string, readonly string[]>>;
}

export const SUBSET_FILE = path.join(__dirname, "schemas.json");

function decompress(frame: Buffer, limit?: number): Buffer {
    const native = (zlib as unknown as { zstdDecompressSync?: (b: Buffer) => Buffer }).zstdDecompressSync;
    if (native && limit === undefined) return native(frame);
    // Node < 22.15 has no zstd: the zstd command line tool (Debian's zstd package) reads the frame.
    const run = spawnSync("zstd", ["-d", "-c", "-q"], { input: frame, maxBuffer: limit ?? 256 * 1024 * 1024 });
    if (run.error && (run.error as NodeJS.ErrnoException).code === "ENOENT") {
        throw new Error("reading the bundled schemas needs Node.js 22.15 or later, or the zstd command");
    }
    return run.stdout ?? Buffer.alloc(0);
}

/** The JSON documents bundled in the package's module whose text starts with `prefix`. */
function bundledJson(prefix: RegExp): unknown {
    const dir = path.dirname(require.resolve(`${PACKAGE}/package.json`));
    const wasm = fs.readFileSync(path.join(dir, "bindings_wasm_bg.wasm"));
    for (let at = wasm.indexOf(ZSTD_MAGIC); at >= 0; at = wasm.indexOf(ZSTD_MAGIC, at + 4)) {
        const head = decompress(wasm.subarray(at, at + 1024 * 1024), 64).toString("utf8");
        if (prefix.test(head)) return JSON.parse(decompress(wasm.subarray(at)).toString("utf8"));
    }
    throw new Error(`${PACKAGE}: no bundled document starting ${prefix}`);
}

const DROPPED = new Set(["description", "source_url", "documentation_url"]);

function withoutProse<T>(value: T): T {
    if (Array.isArray(value)) return value.map(withoutProse) as T;
    if (typeof value !== "object" || value === null) return value;
    return Object.fromEntries(
        Object.entries(value)
            .filter(([k]) => !DROPPED.has(k))
            .map(([k, v]) => [k, withoutProse(v)]),
    ) as T;
}

/** The schemas of `types` and the regions that have each, from the installed package. */
export function extractSchemas(types: readonly string[]): SchemaSubset {
    const all = bundledJson(/^\{"[A-Z][A-Za-z0-9]*::[A-Za-z0-9]+::[A-Za-z0-9]+":\{"type_name"/) as Record<
        string,
        ResourceSchema
    >;
    const byRegion = (bundledJson(/^\{"region_resource_types"/) as Record<string, Record<string, Record<string, true>>>)
        .region_resource_types;
    const sorted = [...new Set(types)].sort();
    const missing = sorted.filter((t) => !all[t]);
    if (missing.length > 0) throw new Error(`${PACKAGE} has no schema for ${missing.join(", ")}`);
    const version = JSON.parse(fs.readFileSync(require.resolve(`${PACKAGE}/package.json`), "utf8")).version;
    return {
        source: `${PACKAGE} ${version}`,
        schemas: Object.fromEntries(sorted.map((t) => [t, withoutProse(all[t])])),
        regions: Object.fromEntries(
            sorted.map((t) => [
                t,
                Object.keys(byRegion)
                    .filter((r) => byRegion[r][t])
                    .sort(),
            ]),
        ),
    };
}

let loaded: SchemaSubset | undefined;

/** schemas.json, read once. */
export function schemaSubset(): SchemaSubset {
    loaded ??= JSON.parse(fs.readFileSync(SUBSET_FILE, "utf8")) as SchemaSubset;
    return loaded;
}
