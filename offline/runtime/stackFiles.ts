/**
 * The stack files, read offline: Pulumi.yaml and Pulumi.<stack>.yaml, in plain YAML only (maps, lists and plain
 * values; project values and defaults, declared types, namespaces, passphrase secrets), merged into the config a
 * stack's program receives under `pulumi preview` (CLI v3.248.0). Anything else is refused with a pointer to
 * `npm run preview`, which runs the real CLI: test/stackFileParity.test.ts holds this reader to what the CLI did with
 * the same files.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { UNDECRYPTED_SECRET } from "../../domain/configSchema";

/** The project root: where Pulumi.yaml lives. */
export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

interface ProjectFile {
    name: string;
    config?: Record<string, { default?: unknown; value?: unknown } | unknown>;
}

const projectFiles = new Map<string, ProjectFile>();

/** Pulumi.yaml of the project at `root`, read once per process. */
export function readProjectFile(root = PROJECT_ROOT): ProjectFile {
    let project = projectFiles.get(root);
    if (!project) {
        project = YAML.parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as ProjectFile;
        projectFiles.set(root, project);
    }
    return project;
}

/** The stacks that have a `Pulumi.<stack>.yaml` beside Pulumi.yaml. */
export function listStacks(root = PROJECT_ROOT): string[] {
    return fs
        .readdirSync(root)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

/**
 * What the Pulumi CLI refuses, with the text it prints after `error: ` (`pulumi preview`: stack file errors start
 * `getting stack configuration: `, config validation errors `validating stack config: `).
 */
export class PulumiCliError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "PulumiCliError";
    }
}

/** A stack or project file this reader does not read (not plain YAML, or beyond it): the real CLI reads it. */
export class NotPlainYaml extends Error {
    constructor(file: string, key: string, found: string) {
        super(
            `${file}: ${key || "(the document)"}: found ${found}. The offline plan reads plain YAML only (maps, ` +
                "lists and plain values); run `npm run preview` (the real Pulumi CLI) for such files.",
        );
        this.name = "NotPlainYaml";
    }
}

type StackOptions = { root?: string; stackFile?: string; overrides?: Record<string, unknown> };

/**
 * The config a stack's program receives, keyed `<namespace>:<name>`: the stack file's values (keys without a
 * namespace get the project's), then Pulumi.yaml's defaults and values for keys the stack file does not set; objects
 * and lists as JSON. `overrides` edit the stack file's `config:` first (undefined removes a key). Throws a
 * {@link PulumiCliError} with the CLI's message for what the CLI refuses, a {@link NotPlainYaml} for what it
 * leaves to the CLI.
 */
export function resolveStackConfig(stack: string, options: StackOptions = {}): Record<string, string> {
    return resolveStack(stack, options).config;
}

/**
 * resolveStackConfig, and the keys whose values are secure (what the CLI hands the language host as secret).
 * Secure values are decrypted with the passphrase (PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE) and
 * the stack file's `encryptionsalt`. Without them (another secrets provider, e.g. awskms://, needs cloud credentials)
 * each secure value becomes UNDECRYPTED_SECRET, which the program accepts unchecked where a key may be secret;
 * `undecrypted` lists those keys and `secretsProvider` is the stack file's.
 */
export function resolveStack(
    stack: string,
    options: StackOptions = {},
): { config: Record<string, string>; secretKeys: string[]; undecrypted: string[]; secretsProvider?: string } {
    const root = path.resolve(options.root ?? PROJECT_ROOT);
    const project = loadProject(root);
    const stackFile = options.stackFile ?? path.join(root, project.stackConfigDir ?? "", `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(stackFile)) {
        throw new Error(`No stack file ${path.basename(stackFile)}: stacks here are ${listStacks(root).join(", ")}`);
    }
    const stackValues = cliStep("getting stack configuration: ", () =>
        loadStack(project, stackFile, shownPath(root, stackFile), options.overrides ?? {}),
    );
    const decrypt = cliStep("validating stack config: ", () => mergeConfig(stack, project, stackValues));

    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    const undecrypted: string[] = [];
    for (const [key, value] of [...stackValues.values].sort(([a], [b]) => compareUtf8(a, b))) {
        config[key] = render(value, decrypt);
        if (isSecure(value)) {
            secretKeys.push(key);
            if (!decrypt) undecrypted.push(key);
        }
    }
    const { secretsProvider } = stackValues;
    return { config, secretKeys, undecrypted, ...(secretsProvider ? { secretsProvider } : {}) };
}

/** Runs a step of the CLI's: its refusals (plain Errors) become PulumiCliErrors with the CLI's prefix. */
function cliStep<T>(prefix: string, step: () => T): T {
    try {
        return step();
    } catch (e) {
        if (e instanceof NotPlainYaml || e instanceof PulumiCliError || !(e instanceof Error)) throw e;
        if (e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError) throw e; // a bug here
        throw new PulumiCliError(prefix + e.message);
    }
}

/** A file as messages name it: relative to the project root when inside it. */
function shownPath(root: string, file: string): string {
    const relative = path.relative(root, path.resolve(file));
    return relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
}

// Plain YAML: the yaml package's reading under the YAML 1.2 core schema, where the CLI's yaml.v3 reads the same.

/** A `secure:` value: a ciphertext of the stack's secrets provider. */
class Secure {
    constructor(readonly ciphertext: string) {}
}

/** A plain value: integers as bigint (within int64), other numbers finite. */
type Value = null | boolean | bigint | number | string | Secure | Value[] | Map<string, Value>;

const inInt64 = (n: bigint) => n >= -(2n ** 63n) && n < 2n ** 63n;

/**
 * Plain scalars that the CLI's YAML library (yaml.v3) reads otherwise than the YAML 1.2 core schema this reader uses,
 * or that have no JSON form: refused rather than imitated.
 */
const REFUSED_SCALARS: [(source: string) => boolean, string][] = [
    [(s) => /^[-+]?\.(inf|Inf|INF|nan|NaN|NAN)$/.test(s), "a number with no JSON form"],
    [(s) => /^[0-9]{4}-/.test(s), "which yaml.v3 may read as a date or time"],
    [(s) => /^[-+]?0[0-7_]+$/.test(s), "a number with a leading zero, which yaml.v3 reads as octal"],
    [
        (s) => /^[-+]?0[bB][01_]+$|^[-+]0[xXoO][0-9a-fA-F_]+$|^0[XO][0-9a-fA-F_]+$/.test(s),
        "a number that yaml.v3 reads as an integer and YAML 1.2 as a string",
    ],
    [
        (s) => s.includes("_") && /^[-+.0-9]/.test(s) && typeof YAML.parse(s.replace(/_/g, "")) === "number",
        "a number with underscores, which yaml.v3 drops and YAML 1.2 keeps in a string",
    ],
    [(s) => s === "<<", "a merge key"],
];

/**
 * A stack or project file as plain YAML: one document of maps (string keys, each once), lists and plain values.
 * Refused: anchors, aliases, tags, merge keys, several documents, keys that are not strings, the scalars of
 * REFUSED_SCALARS, integers beyond int64, floats beyond float64, multi-line strings starting with a line break or a
 * tab, and tabs where a block scalar's indentation is expected (which the CLI's YAML library refuses).
 */
function readPlainYaml(file: string, shown: string): Value {
    const text = fs.readFileSync(file, "utf8").replace(/^\uFEFF/, "");
    const lines = new YAML.LineCounter();
    const docs = YAML.parseAllDocuments(text, {
        lineCounter: lines,
        merge: false,
        uniqueKeys: false,
        intAsBigInt: true,
    });
    if (!Array.isArray(docs) || docs.length === 0) return null;
    if (docs.length > 1) throw new NotPlainYaml(shown, "", "a second document (`---`)");
    const error = docs[0].errors[0];
    if (error) {
        const { line, col } = lines.linePos(error.pos[0]);
        throw new NotPlainYaml(
            shown,
            `line ${line}, column ${col}`,
            `invalid YAML (${error.message.split(" at line ")[0]})`,
        );
    }
    return plainNode(docs[0].contents, "", { text, shown });
}

interface Reading {
    readonly text: string;
    readonly shown: string;
}

/** `a.b[0]`: where a value is, as messages name it. */
const keyPath = (at: string, key: string | number) =>
    typeof key === "number" ? `${at}[${key}]` : at ? `${at}.${key}` : key;

function plainNode(node: unknown, at: string, r: Reading): Value {
    if (node === null || node === undefined) return null;
    const refuse = (found: string) => new NotPlainYaml(r.shown, at, found);
    if (YAML.isAlias(node)) throw refuse(`an alias (*${node.source})`);
    const n = node as YAML.Scalar | YAML.YAMLMap | YAML.YAMLSeq;
    if (n.anchor) throw refuse(`an anchor (&${n.anchor})`);
    if (n.tag) throw refuse(`a tag (${n.tag.replace("tag:yaml.org,2002:", "!!")})`);
    if (YAML.isSeq(n)) return n.items.map((item, i) => plainNode(item, keyPath(at, i), r));
    if (YAML.isMap(n)) {
        const out = new Map<string, Value>();
        for (const pair of n.items) {
            const key = plainKey(pair.key, at, r);
            if (out.has(key)) throw new NotPlainYaml(r.shown, keyPath(at, key), "this key a second time");
            out.set(key, plainNode(pair.value, keyPath(at, key), r));
        }
        return out;
    }
    if (!YAML.isScalar(n)) throw refuse("a YAML node this reader does not know");
    if ((n.type === "BLOCK_LITERAL" || n.type === "BLOCK_FOLDED") && n.range) {
        const blockLines = r.text.slice(n.range[0], n.range[1]).split("\n").slice(1);
        if (blockLines.some((line) => /^ *\t/.test(line))) throw refuse("a tab at the start of a block scalar's line");
    }
    if (n.type !== "PLAIN") return plainValue(String(n.value), refuse);
    const source = n.source ?? "";
    const refused = REFUSED_SCALARS.find(([matches]) => matches(source));
    if (refused) throw refuse(`${source}, ${refused[1]}`);
    return plainValue(n.value, (found) => refuse(found.replace(/^[^,]+/, source)));
}

function plainKey(node: unknown, at: string, r: Reading): string {
    if (YAML.isScalar(node) && node.type === "PLAIN" && node.source === "<<") {
        throw new NotPlainYaml(r.shown, at, "a merge key (<<)");
    }
    const key = plainNode(node, at, r);
    if (typeof key !== "string") {
        const shown = node === null ? "an empty key" : String(node);
        throw new NotPlainYaml(r.shown, at, `a key that is not a string (${shown})`);
    }
    return key;
}

/** A value as the yaml package (or an override) gives it, refused where the CLI would read or write it otherwise. */
function plainValue(v: unknown, refuse: (found: string) => Error): Value {
    if (v === null || v === undefined) return null;
    if (typeof v === "string") {
        if (v.includes("\n") && /^[\t\n\r\u0085\u2028\u2029]/.test(v)) {
            throw refuse(`a multi-line string starting with ${v[0] === "\t" ? "a tab" : "a line break"}`);
        }
        return v;
    }
    if (typeof v === "boolean") return v;
    if (typeof v === "number" && Number.isInteger(v) && Math.abs(v) < 2 ** 53) return BigInt(v);
    if (typeof v === "bigint") {
        if (!inInt64(v)) throw refuse(`${v}, an integer outside the signed 64-bit range`);
        return v;
    }
    if (typeof v === "number") {
        if (!Number.isFinite(v)) throw refuse(`${v}, a number beyond the 64-bit floating-point range`);
        return v;
    }
    if (Array.isArray(v)) return v.map((x) => plainValue(x, refuse));
    if (typeof v === "object") return new Map(Object.entries(v).map(([k, x]) => [k, plainValue(x, refuse)]));
    return String(v);
}

/** `{ secure: <ciphertext> }` maps, at any depth, become Secure. */
function withSecrets(v: Value): Value {
    if (Array.isArray(v)) return v.map(withSecrets);
    if (!(v instanceof Map)) return v;
    const secure = v.size === 1 ? v.get("secure") : undefined;
    if (typeof secure === "string") return new Secure(secure);
    return new Map([...v].map(([k, x]) => [k, withSecrets(x)]));
}

function isSecure(v: Value): boolean {
    if (v instanceof Secure) return true;
    if (Array.isArray(v)) return v.some(isSecure);
    return v instanceof Map && [...v.values()].some(isSecure);
}

// Values as the program reads them: text, and objects and lists as the CLI's JSON.

type Decrypter = (ciphertext: string) => string;

/** Bytewise UTF-8 order, as the CLI sorts keys. */
const compareUtf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));

/** The text the program gets: strings as they are, null as "", objects and lists as JSON. */
function render(v: Value, decrypt?: Decrypter): string {
    if (v === null) return "";
    if (typeof v === "string") return v;
    if (v instanceof Secure) return decrypt ? decrypt(v.ciphertext) : UNDECRYPTED_SECRET;
    if (typeof v === "object") return json(v, decrypt);
    return Object.is(v, -0) ? "0" : String(v);
}

/** JSON with sorted keys and HTML characters escaped, as the CLI (Go's encoding/json) writes objects. */
function json(v: Value, decrypt?: Decrypter): string {
    if (Array.isArray(v)) return `[${v.map((x) => json(x, decrypt)).join(",")}]`;
    if (v instanceof Map) {
        const entries = [...v].sort(([a], [b]) => compareUtf8(a, b));
        return `{${entries.map(([k, x]) => `${json(k)}:${json(x, decrypt)}`).join(",")}}`;
    }
    if (typeof v === "string" || v instanceof Secure) {
        const text = JSON.stringify(typeof v === "string" ? v : render(v, decrypt));
        return text.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
    }
    return v === null ? "null" : render(v);
}

const decrypters = new Map<string, Decrypter>();

/**
 * The CLI's passphrase secrets manager: key = PBKDF2-SHA256(passphrase, salt, 1,000,000 iterations, 32 bytes); each
 * value `v1:<nonce>:<ciphertext>`, AES-256-GCM; the salt ends with "pulumi" encrypted, which checks the passphrase.
 * Undefined without a salt or a passphrase.
 */
function passphraseDecrypter(salt: string | undefined, shown: string): Decrypter | undefined {
    const file = process.env.PULUMI_CONFIG_PASSPHRASE_FILE;
    const phrase = process.env.PULUMI_CONFIG_PASSPHRASE ?? (file ? fs.readFileSync(file, "utf8") : undefined);
    if (salt === undefined || phrase === undefined) return undefined;
    const cached = decrypters.get(`${salt}\u0000${phrase}`);
    if (cached) return cached;
    const [, saltText, check] = /^v1:([^:]+):(v1:.+)$/.exec(salt) ?? [];
    if (!saltText || !check) throw new NotPlainYaml(shown, "encryptionsalt", "a salt of another format than v1");
    const key = crypto.pbkdf2Sync(phrase, Buffer.from(saltText, "base64"), 1_000_000, 32, "sha256");
    const decrypt = (ciphertext: string): string => {
        const [v, nonce, data] = ciphertext.split(":");
        if (v !== "v1" || !nonce || !data) throw new Error(`failed to decrypt: unknown ciphertext format`);
        const bytes = Buffer.from(data, "base64");
        const gcm = crypto.createDecipheriv("aes-256-gcm", key, Buffer.from(nonce, "base64"));
        gcm.setAuthTag(bytes.subarray(bytes.length - 16));
        return Buffer.concat([gcm.update(bytes.subarray(0, bytes.length - 16)), gcm.final()]).toString("utf8");
    };
    let verified = false;
    try {
        verified = decrypt(check) === "pulumi";
    } catch {
        verified = false;
    }
    if (!verified)
        throw new Error("incorrect passphrase, please set PULUMI_CONFIG_PASSPHRASE to the correct passphrase");
    decrypters.set(`${salt}\u0000${phrase}`, decrypt);
    return decrypt;
}

// Pulumi.yaml: the project's config declarations, checked as the CLI checks them.

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

interface Project {
    readonly name: string;
    readonly config: Map<string, Declaration>;
    readonly stackConfigDir?: string;
}

const projects = new Map<string, Project>();

function loadProject(root: string): Project {
    let project = projects.get(root);
    if (!project) {
        project = loadProjectFile(path.join(root, "Pulumi.yaml"));
        projects.set(root, project);
    }
    return project;
}

function loadProjectFile(file: string): Project {
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

function describe(v: Value): string {
    if (v === null) return "nothing";
    if (Array.isArray(v)) return "a list";
    if (v instanceof Map) return "a map";
    if (typeof v === "string") return `the string ${JSON.stringify(v)}`;
    return `the ${typeof v === "boolean" ? "boolean" : "number"} ${render(v)}`;
}

function namespacedByProject(projectName: string, key: string): boolean {
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

function fullTypeName(type: string, items: ItemsType | undefined): string {
    return items ? `array<${fullTypeName(items.type, items.items)}>` : type;
}

/** The CLI's type check, on a project default or on a stack value as text or as the parse of its JSON. */
function validateConfigValue(type: string, items: ItemsType | undefined, value: unknown): boolean {
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

// The stack file's values, then the project's defaults and values merged under them.

interface StackValues {
    /** The stack file as messages name it. */
    readonly shown: string;
    readonly values: Map<string, Value>;
    readonly encryptionSalt?: string;
    /** e.g. awskms://...; absent for the passphrase and the Pulumi Cloud. */
    readonly secretsProvider?: string;
}

/** `<namespace>:<name>` or `<namespace>:config:<name>`; no namespace: the project's. */
function configKey(projectName: string, key: string): string {
    const parts = key.split(":");
    if (parts.length === 1) return `${projectName}:${key}`;
    if (parts.length === 2) return key;
    if (parts.length === 3 && parts[1] === "config") return `${parts[0]}:${parts[2]}`;
    throw new Error(
        `invalid YAML file: could not unmarshal map: could not parse ${key} as a configuration key (configuration keys should be of the form \`<namespace>:<name>\`)`,
    );
}

function loadStack(project: Project, file: string, shown: string, overrides: Record<string, unknown>): StackValues {
    const doc = readPlainYaml(file, shown) ?? new Map<string, Value>();
    if (!(doc instanceof Map)) throw new NotPlainYaml(shown, "", `${describe(doc)} where a map is expected`);
    const environment = doc.get("environment");
    if (environment !== undefined && environment !== null) {
        throw new NotPlainYaml(shown, "environment", "ESC environments, which only the CLI opens");
    }
    const block = doc.get("config") ?? new Map<string, Value>();
    if (!(block instanceof Map)) {
        throw new NotPlainYaml(shown, "config", `${describe(block)} where a map of config keys is expected`);
    }
    const written = new Map([...block].map(([k, v]) => [k.includes(":") ? k : `${project.name}:${k}`, v]));
    for (const [key, value] of Object.entries(overrides)) {
        const k = key.includes(":") ? key : `${project.name}:${key}`;
        const refuse = (found: string) => new NotPlainYaml(shown, `config.${k} (an override)`, found);
        if (value === undefined) written.delete(k);
        else written.set(k, plainValue(value, refuse));
    }
    const values = new Map([...written].map(([k, v]) => [configKey(project.name, k), withSecrets(v)]));
    const salt = doc.get("encryptionsalt");
    const provider = doc.get("secretsprovider");
    return {
        shown,
        values,
        ...(typeof salt === "string" ? { encryptionSalt: salt } : {}),
        ...(typeof provider === "string" ? { secretsProvider: provider } : {}),
    };
}

/**
 * The project's defaults and values for keys the stack does not set, then the checks: every project key without
 * either is set, secret keys are secure, typed keys have their type. Returns the decrypter of the stack's secure
 * values, when it has any and the passphrase is set.
 */
function mergeConfig(stackName: string, project: Project, config: StackValues): Decrypter | undefined {
    const keys = [...project.config.keys()].sort(compareUtf8);
    const missing: string[] = [];
    for (const projectKey of keys) {
        const t = project.config.get(projectKey)!;
        const key = configKey(project.name, projectKey);
        const given = t.default ?? t.value;
        if (config.values.has(key)) continue;
        if (given !== null) config.values.set(key, withSecrets(given));
        else if (key.startsWith(project.name + ":")) missing.push(projectKey);
    }
    if (missing.length > 0) {
        const quoted = missing.map((k) => `'${k}'`);
        const names = quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(", ")} and ${quoted.at(-1)}`;
        throw new Error(`Stack '${stackName}' is missing configuration value${missing.length > 1 ? "s" : ""} ${names}`);
    }

    const secure = [...config.values.values()].some(isSecure);
    const decrypt = secure ? passphraseDecrypter(config.encryptionSalt, config.shown) : undefined;
    for (const value of config.values.values()) render(value, decrypt);
    for (const projectKey of keys) {
        const t = project.config.get(projectKey)!;
        const value = config.values.get(configKey(project.name, projectKey)) ?? null;
        if (t.type === undefined) continue;
        if (t.secret && !isSecure(value)) {
            throw new Error(
                `Stack '${stackName}' with configuration key '${projectKey}' must be encrypted as it's secret`,
            );
        }
        const object = Array.isArray(value) || value instanceof Map;
        // Not decrypted (see resolveStack): its type cannot be told, except that text is never a list or an object.
        if (isSecure(value) && !decrypt && (object || t.type === "integer" || t.type === "boolean")) continue;
        const text = render(value, decrypt);
        if (!validateConfigValue(t.type, t.items, object ? JSON.parse(text) : text)) {
            throw new Error(
                `Stack '${stackName}' with configuration key '${projectKey}' must be of type '${fullTypeName(t.type, t.items)}'`,
            );
        }
    }
    return decrypt;
}
