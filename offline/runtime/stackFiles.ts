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
 * What the Pulumi CLI (v3.248.0) refuses, with the text it prints after `error: ` (`pulumi preview`: stack file
 * errors start `getting stack configuration: `, config validation errors `validating stack config: `).
 */
export class PulumiCliError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "PulumiCliError";
    }
}

/**
 * A stack or project file this reader will not read: it is not plain YAML, or it holds something whose exact
 * reading by the CLI (gopkg.in/yaml.v3, then a re-marshal) this reader does not reproduce. The real CLI reads it.
 */
export class NotPlainYaml extends Error {
    constructor(file: string, key: string, found: string) {
        super(
            `${file}: ${key || "(the document)"}: found ${found}. The offline plan reads plain YAML only (maps, ` +
                "lists and plain values); run `npm run preview` (the real Pulumi CLI) for such files.",
        );
        this.name = "NotPlainYaml";
    }
}

/** Something the CLI can do but this offline reader cannot (decrypt with a cloud KMS, open ESC environments). */
class OfflineLimit extends Error {}

/**
 * The config a stack's program receives, as `pulumi preview` (CLI v3.248.0) builds it and hands it to the Node.js
 * language host, for plain YAML files (see {@link readPlainYaml}; anything else is a {@link NotPlainYaml}):
 *
 * - Pulumi.yaml's `config:` is schema-checked and validated as `workspace.LoadProject` does (shorthand values
 *   become defaults or values, typed defaults must match their type);
 * - the stack file's `config:` keys are namespaced by the project when they have no namespace and parsed as
 *   `config.ParseKey` does; objects and arrays become Go's JSON (sorted keys, `<>&` escaped);
 * - `workspace.mergeConfig` adds project defaults and values, refuses project keys that have neither and are not
 *   in the stack file, and `validateStackConfigValues` checks typed keys.
 *
 * `overrides` edit the stack file's `config:` before it is read (keys may omit the project namespace; undefined
 * removes a key). Throws a {@link PulumiCliError} with the CLI's message for whatever the CLI refuses.
 */
export function resolveStackConfig(
    stack: string,
    options: { root?: string; stackFile?: string; overrides?: Record<string, unknown> } = {},
): Record<string, string> {
    return resolveStack(stack, options).config;
}

/**
 * resolveStackConfig, and the keys whose values are secure (`config.Map.SecureKeys`, the `configSecretKeys` the CLI
 * hands the language host). Secure values are decrypted as the CLI does with the passphrase secrets provider
 * (PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE and the stack file's `encryptionsalt`). Without it
 * (another provider, e.g. awskms://, needs cloud credentials; or no passphrase) each secure value, whole or a list
 * item, becomes UNDECRYPTED_SECRET, which the program accepts unchecked where the key may be secret; `undecrypted`
 * lists those keys and `secretsProvider` is the stack file's (absent: the passphrase or the Pulumi Cloud).
 */
export function resolveStack(
    stack: string,
    options: { root?: string; stackFile?: string; overrides?: Record<string, unknown> } = {},
): { config: Record<string, string>; secretKeys: string[]; undecrypted: string[]; secretsProvider?: string } {
    const root = path.resolve(options.root ?? PROJECT_ROOT);
    const project = loadProject(root);
    const stackFile = options.stackFile ?? path.join(root, project.stackConfigDir ?? "", `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(stackFile)) {
        throw new Error(`No stack file ${path.basename(stackFile)}: stacks here are ${listStacks(root).join(", ")}`);
    }

    let config: StackValues;
    try {
        config = loadStack(project, stackFile, shownPath(root, stackFile), options.overrides ?? {});
    } catch (e) {
        throw rethrow(e, "getting stack configuration: ");
    }
    let decrypt: Decrypter | undefined;
    try {
        decrypt = mergeConfig(stack, project, config);
    } catch (e) {
        throw rethrow(e, "validating stack config: ");
    }

    const out: Record<string, string> = {};
    const secretKeys: string[] = [];
    const undecrypted: string[] = [];
    for (const [key, entry] of [...config.values].sort(([a], [b]) => compareGo(a, b))) {
        out[key] = render(entry.value, decrypt);
        if (isSecure(entry.value)) {
            secretKeys.push(key);
            if (!decrypt) undecrypted.push(key);
        }
    }
    return {
        config: out,
        secretKeys,
        undecrypted,
        ...(config.secretsProvider ? { secretsProvider: config.secretsProvider } : {}),
    };
}

function rethrow(e: unknown, prefix: string): unknown {
    if (e instanceof NotPlainYaml) return e;
    if (e instanceof OfflineLimit) return new Error(e.message);
    if (e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError) return e; // a bug here
    return new PulumiCliError(prefix + (e instanceof Error ? e.message : String(e)));
}

/** A file as messages name it: relative to the project root when inside it. */
function shownPath(root: string, file: string): string {
    const relative = path.relative(root, path.resolve(file));
    return relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
}

// ---------------------------------------------------------------------------------------------------------------
// Plain YAML
// ---------------------------------------------------------------------------------------------------------------

/** A `secure:` value: the ciphertext of the passphrase secrets provider (or another). */
class Secure {
    constructor(readonly ciphertext: string) {}
}

/** A plain YAML value: integers as bigint (always within int64), other numbers as number (always finite). */
type Value = null | boolean | bigint | number | string | Secure | Value[] | Map<string, Value>;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INTEGER = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|[0-9]+)$/;
const FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/**
 * A stack or project file, read as plain YAML: one document of maps (string keys, each once), lists and plain
 * values. Refused ({@link NotPlainYaml}): anchors and aliases, tags, merge keys, several documents, keys that are
 * not strings, and values the CLI reads differently from what they say or that it changes when it re-marshals the
 * file (dates and times, integers outside int64, NaN and infinities, multi-line strings starting with a line break
 * or a tab, tabs where a block scalar's indentation is expected). Plain scalars are resolved as yaml.v3 resolves
 * them: `true`/`True`/`TRUE` and `false` forms are booleans, `~`/`null`/empty are null, integers may be hex
 * (`0x`), octal (`0o`, or a leading zero with digits 0-7), binary (`0b`) and have underscores; `yes`, `on`, `1:30`
 * and anything else are strings.
 */
function readPlainYaml(file: string, shown: string): Value {
    let text = fs.readFileSync(file, "utf8");
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const lines = new YAML.LineCounter();
    const docs = YAML.parseAllDocuments(text, { lineCounter: lines, merge: false, uniqueKeys: false });
    if (!Array.isArray(docs)) return null;
    if (docs.length > 1) throw new NotPlainYaml(shown, "", "a second document (`---`)");
    const doc = docs[0];
    if (!doc) return null;
    const error = doc.errors[0];
    if (error) {
        const { line, col } = lines.linePos(error.pos[0]);
        const what = error.message.split(" at line ")[0];
        throw new NotPlainYaml(shown, `line ${line}, column ${col}`, `invalid YAML (${what})`);
    }
    return plainNode(doc.contents, "", { text, shown });
}

interface Reading {
    readonly text: string;
    readonly shown: string;
}

/** `a.b[0]`: where a value is, as messages name it. */
function keyPath(at: string, key: string | number): string {
    return typeof key === "number" ? `${at}[${key}]` : at ? `${at}.${key}` : key;
}

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
    if (n.type === "PLAIN") return plainScalar(n.source ?? "", refuse);
    if ((n.type === "BLOCK_LITERAL" || n.type === "BLOCK_FOLDED") && n.range) {
        // libyaml refuses a tab where a block scalar's indentation is expected; the npm package accepts it.
        const lines = r.text.slice(n.range[0], n.range[1]).split("\n").slice(1);
        if (lines.some((line) => /^ *\t/.test(line))) throw refuse("a tab at the start of a block scalar's line");
    }
    return plainString(String(n.value), refuse);
}

function plainKey(node: unknown, at: string, r: Reading): string {
    const refuse = (found: string) => new NotPlainYaml(r.shown, at, found);
    if (!YAML.isScalar(node) || node.anchor || node.tag) {
        if (YAML.isScalar(node) || YAML.isAlias(node)) plainNode(node, at, r); // refuses the anchor, alias or tag
        throw refuse(`a key that is not a string (${node === null ? "an empty key" : String(node)})`);
    }
    if (node.type !== "PLAIN") return plainString(String(node.value), refuse);
    const text = node.source ?? "";
    if (text === "<<") throw refuse("a merge key (<<)");
    const value = plainScalar(text, refuse);
    if (typeof value !== "string") throw refuse(`a key that is not a string (${text || "an empty key"})`);
    return value;
}

/** A string, unless the CLI would change it: yaml.v3 re-marshals a multi-line string as a literal block. */
function plainString(s: string, refuse: (found: string) => Error): string {
    if (s.includes("\n") && /^[\t\n\r\u0085\u2028\u2029]/.test(s)) {
        throw refuse(`a multi-line string starting with ${s[0] === "\t" ? "a tab" : "a line break"}`);
    }
    return s;
}

/** A plain scalar, as yaml.v3 resolves it (see readPlainYaml). */
function plainScalar(text: string, refuse: (found: string) => Error): Value {
    if (["", "~", "null", "Null", "NULL"].includes(text)) return null;
    if (["true", "True", "TRUE", "false", "False", "FALSE"].includes(text)) return text.toLowerCase() === "true";
    if (/^[-+]?\.(inf|Inf|INF|nan|NaN|NAN)$/.test(text)) throw refuse(`${text}, a number with no JSON form`);
    if (/^[0-9]{4}-/.test(text)) throw refuse(`${text}, which yaml.v3 may read as a date or time`);
    if (text === "<<") throw refuse("a merge key (<<) as a value");
    // yaml.v3 drops underscores from what starts with a digit or a sign; after a leading dot, Go's ParseFloat decides.
    const bare = /^[-+0-9]/.test(text) ? text.replace(/_/g, "") : text;
    if (/^\.[0-9_]/.test(text) && text.includes("_")) throw refuse(`${text}, a number with underscores`);
    const int = INTEGER.exec(bare);
    if (int && !/^0[0-9]*[89]/.test(int[2])) {
        const digits = /^0[0-7]+$/.test(int[2]) ? "0o" + int[2].slice(1) : int[2];
        const n = (int[1] === "-" ? -1n : 1n) * BigInt(digits);
        if (n < INT64_MIN || n > INT64_MAX) throw refuse(`${text}, an integer outside the signed 64-bit range`);
        return n;
    }
    if (FLOAT.test(bare)) {
        const f = Number(bare);
        return Number.isFinite(f) ? f : text; // out of range: yaml.v3 keeps the text
    }
    return text;
}

/** A JavaScript override as the value a stack file holding it would have. */
function plainOverride(v: unknown, refuse: (found: string) => Error): Value {
    if (v === null || v === undefined) return null;
    if (typeof v === "string") return plainString(v, refuse);
    if (typeof v === "boolean") return v;
    if (typeof v === "bigint") return v;
    if (typeof v === "number") {
        if (!Number.isFinite(v)) throw refuse(`${v}, a number with no JSON form`);
        return Number.isInteger(v) && Math.abs(v) < 2 ** 63 ? BigInt(v) : v;
    }
    if (Array.isArray(v)) return v.map((x) => plainOverride(x, refuse));
    if (typeof v === "object") return new Map(Object.entries(v).map(([k, x]) => [k, plainOverride(x, refuse)]));
    return String(v);
}

/** `{ secure: <ciphertext> }` maps, at any depth, become Secure (config.unmarshalObject). */
function withSecrets(v: Value): Value {
    if (Array.isArray(v)) return v.map(withSecrets);
    if (v instanceof Map) {
        const secure = v.size === 1 ? v.get("secure") : undefined;
        if (typeof secure === "string") return new Secure(secure);
        return new Map([...v].map(([k, x]) => [k, withSecrets(x)]));
    }
    return v;
}

function isSecure(v: Value): boolean {
    if (v instanceof Secure) return true;
    if (Array.isArray(v)) return v.some(isSecure);
    if (v instanceof Map) return [...v.values()].some(isSecure);
    return false;
}

// ---------------------------------------------------------------------------------------------------------------
// Values as the program reads them: strings, and objects as Go's encoding/json writes them
// ---------------------------------------------------------------------------------------------------------------

type Decrypter = (ciphertext: string) => string;

/** Go string order (bytewise UTF-8), as sort.Strings and encoding/json's map keys use. */
function compareGo(a: string, b: string): number {
    return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** A float as the CLI passes it (yaml.v3 writes it back with %g, encoding/json with ES6 formatting). */
const floatText = (f: number) => (Object.is(f, -0) ? "0" : String(f));

/** The text the program gets: strings as they are, null as "", objects and arrays as JSON. */
function render(v: Value, decrypt?: Decrypter): string {
    if (v === null) return "";
    if (typeof v === "string") return v;
    if (typeof v === "number") return floatText(v);
    if (v instanceof Secure) return decrypt ? decrypt(v.ciphertext) : UNDECRYPTED_SECRET;
    if (typeof v === "object") return goJson(v, decrypt);
    return String(v);
}

function goJson(v: Value, decrypt?: Decrypter): string {
    if (v === null) return "null";
    if (typeof v === "string") return goJsonString(v);
    if (typeof v === "number") return floatText(v);
    if (v instanceof Secure) return goJsonString(render(v, decrypt));
    if (Array.isArray(v)) return "[" + v.map((x) => goJson(x, decrypt)).join(",") + "]";
    if (v instanceof Map) {
        const keys = [...v.keys()].sort(compareGo);
        return "{" + keys.map((k) => `${goJsonString(k)}:${goJson(v.get(k)!, decrypt)}`).join(",") + "}";
    }
    return String(v);
}

/** encoding/json's string encoding: HTML characters, U+2028 and U+2029 escaped. */
function goJsonString(s: string): string {
    let out = '"';
    for (const ch of s) {
        const c = ch.codePointAt(0)!;
        if (ch === '"' || ch === "\\") out += "\\" + ch;
        else if (ch === "\b") out += "\\b";
        else if (ch === "\f") out += "\\f";
        else if (ch === "\n") out += "\\n";
        else if (ch === "\r") out += "\\r";
        else if (ch === "\t") out += "\\t";
        else if (c < 0x20 || ch === "<" || ch === ">" || ch === "&" || c === 0x2028 || c === 0x2029) {
            out += "\\u" + c.toString(16).padStart(4, "0");
        } else if (c >= 0xd800 && c <= 0xdfff) out += "\\ufffd";
        else out += ch;
    }
    return out + '"';
}

const decrypters = new Map<string, Decrypter>();

/**
 * The passphrase secrets manager of the CLI (pkg/secrets/passphrase): key = PBKDF2-SHA256(passphrase, salt,
 * 1,000,000 iterations, 32 bytes); each value `v1:<nonce>:<ciphertext>`, AES-256-GCM; the salt state ends with
 * "pulumi" encrypted, which checks the passphrase. Undefined without a salt or a passphrase.
 */
function passphraseDecrypter(salt: string | undefined): Decrypter | undefined {
    const file = process.env.PULUMI_CONFIG_PASSPHRASE_FILE;
    const phrase = process.env.PULUMI_CONFIG_PASSPHRASE ?? (file ? fs.readFileSync(file, "utf8") : undefined);
    if (salt === undefined || phrase === undefined) return undefined;
    const cacheKey = `${salt}\u0000${phrase}`;
    const cached = decrypters.get(cacheKey);
    if (cached) return cached;
    const [, saltText, check] = /^v1:([^:]+):(v1:.+)$/.exec(salt) ?? [];
    if (!saltText || !check) throw new OfflineLimit(`unsupported encryptionsalt ${salt}`);
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
    decrypters.set(cacheKey, decrypt);
    return decrypt;
}

// ---------------------------------------------------------------------------------------------------------------
// Pulumi.yaml: workspace.LoadProject (project.json's schema for `config:`, Project.Validate)
// ---------------------------------------------------------------------------------------------------------------

interface ItemsType {
    readonly type: string;
    readonly items?: ItemsType;
}

/** workspace.ProjectConfigType; default and value null when absent. */
interface ConfigType {
    readonly type?: string;
    readonly items?: ItemsType;
    readonly default: Value;
    readonly value: Value;
    readonly secret: boolean;
}

interface Project {
    readonly name: string;
    readonly config: Map<string, ConfigType>;
    readonly stackConfigDir?: string;
}

const projects = new Map<string, Project>();

/** workspace.LoadProject(root/Pulumi.yaml), read once per process. */
function loadProject(root: string): Project {
    let project = projects.get(root);
    if (!project) {
        project = loadProjectFile(path.join(root, "Pulumi.yaml"));
        projects.set(root, project);
    }
    return project;
}

function loadProjectFile(file: string): Project {
    const doc = readPlainYaml(file, "Pulumi.yaml");
    if (!(doc instanceof Map)) throw new NotPlainYaml("Pulumi.yaml", "", `${describe(doc)} where a map is expected`);
    const name = doc.get("name");
    if (typeof name !== "string" || name === "") {
        throw new NotPlainYaml("Pulumi.yaml", "name", `${describe(name ?? null)} where the project's name is expected`);
    }
    const block = doc.get("config") ?? null;
    if (typeof block === "string") {
        throw new NotPlainYaml("Pulumi.yaml", "config", "a directory (the old spelling of stackConfigDir)");
    }
    const schemaError = schemaConfig(block, "/config");
    if (schemaError) {
        const lines: string[] = [];
        const flatten = (e: SchemaError) => {
            if (e.location !== "" && e.message !== "") lines.push(`#${e.location}: ${e.message}`);
            e.causes.forEach(flatten);
        };
        flatten(schemaError);
        const count = lines.length === 1 ? "1 error" : `${lines.length} errors`;
        throw new PulumiCliError(
            `could not validate '${file}': ${count} occurred:\n${lines.map((l) => `\t* ${l}\n`).join("")}\n`,
        );
    }

    const config = new Map<string, ConfigType>();
    for (const [key, entry] of block instanceof Map ? block : []) {
        // RewriteShorthandConfigValues: a plain value is the default of a project key, else the value.
        const shorthand = typeof entry === "string" || typeof entry === "boolean" || typeof entry === "bigint";
        const attribute = namespacedByProject(name, key) ? "default" : "value";
        const decl = shorthand || Array.isArray(entry) ? new Map([[attribute, entry]]) : entry;
        if (!(decl instanceof Map)) {
            throw new NotPlainYaml("Pulumi.yaml", `config.${key}`, `${describe(entry)} as a shorthand value`);
        }
        if (/[.[]/.test(key.slice(key.indexOf(":") + 1))) {
            throw new NotPlainYaml("Pulumi.yaml", `config.${key}`, "a key that reads as a property path");
        }
        const items = (v: Value | undefined): ItemsType | undefined =>
            v instanceof Map ? { type: String(v.get("type") ?? ""), items: items(v.get("items")) } : undefined;
        const type = decl.get("type");
        config.set(key, {
            type: type === null || type === undefined ? undefined : String(type),
            items: items(decl.get("items")),
            default: decl.get("default") ?? null,
            value: decl.get("value") ?? null,
            secret: decl.get("secret") === true,
        });
    }
    const stackConfigDir = doc.get("stackConfigDir");
    const project: Project = {
        name,
        config,
        ...(typeof stackConfigDir === "string" ? { stackConfigDir } : {}),
    };
    try {
        validateProjectConfig(project);
    } catch (e) {
        throw new PulumiCliError(`could not unmarshal '${file}': ${(e as Error).message}`);
    }
    return project;
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

/** A santhosh-tekuri/jsonschema v5 ValidationError: an empty message only groups its causes. */
interface SchemaError {
    readonly location: string;
    readonly message: string;
    readonly causes: SchemaError[];
}

type Check = (v: Value, location: string) => SchemaError | undefined;

const SIMPLE_TYPES = ["string", "integer", "boolean", "array", "object"];

function schemaError(location: string, message: string, causes: SchemaError[] = []): SchemaError {
    return { location, message, causes };
}

function schemaGroup(location: string, errors: SchemaError[]): SchemaError | undefined {
    return errors.length === 0 ? undefined : errors.length === 1 ? errors[0] : schemaError(location, "", errors);
}

function schemaType(v: Value, types: string[], location: string): SchemaError | undefined {
    const t =
        v === null
            ? "null"
            : Array.isArray(v)
              ? "array"
              : v instanceof Map
                ? "object"
                : typeof v === "bigint" || typeof v === "number"
                  ? "number"
                  : typeof v;
    const isInteger = typeof v === "bigint" || (typeof v === "number" && Number.isInteger(v));
    if (types.includes(t) || (types.includes("integer") && isInteger)) return undefined;
    return schemaError(location, `expected ${types.join(" or ")}, but got ${t}`);
}

function schemaRef(name: string, validate: Check): Check {
    return (v, location) => {
        const e = validate(v, location);
        if (!e) return undefined;
        return schemaError(location, `doesn't validate with '/$defs/${name}'`, e.message === "" ? e.causes : [e]);
    };
}

/** url.PathEscape after JSON-pointer escaping, as jsonschema writes instance locations. */
function pointerEscape(token: string): string {
    const escaped = token.replace(/~/g, "~0").replace(/\//g, "~1");
    let out = "";
    for (const byte of Buffer.from(escaped, "utf8")) {
        const c = String.fromCharCode(byte);
        out += /[$&+\-.0-9:=@A-Za-z_~]/.test(c) ? c : "%" + byte.toString(16).toUpperCase().padStart(2, "0");
    }
    return out;
}

function schemaConfig(v: Value, location: string): SchemaError | undefined {
    const typeError = schemaType(v, ["object", "string", "null"], location);
    if (typeError || !(v instanceof Map)) return typeError;
    const errors: SchemaError[] = [];
    for (const [key, entry] of v) {
        const at = `${location}/${pointerEscape(key)}`;
        const e = key === "secret" ? schemaType(entry, ["boolean"], at) : schemaConfigEntry(entry, at);
        if (e) errors.push(e);
    }
    return schemaGroup(location, errors);
}

function schemaConfigEntry(v: Value, location: string): SchemaError | undefined {
    const alternatives: Check[] = [
        ...["string", "integer", "boolean", "array"].map(
            (t): Check =>
                (x, l) =>
                    schemaType(x, [t], l),
        ),
        schemaRef("configTypeDeclaration", schemaDeclaration),
    ];
    const causes: SchemaError[] = [];
    for (const alternative of alternatives) {
        const e = alternative(v, location);
        if (!e) return undefined;
        causes.push(e);
    }
    return schemaError(location, "oneOf failed", causes);
}

const schemaSimpleType = schemaRef("simpleConfigType", (v, location) =>
    typeof v === "string" && SIMPLE_TYPES.includes(v)
        ? undefined
        : schemaError(location, `value must be one of ${SIMPLE_TYPES.map((t) => `"${t}"`).join(", ")}`),
);

/** $defs/configTypeDeclaration (Go checks the properties in map order; here: type, items, description, secret). */
function schemaDeclaration(v: Value, location: string): SchemaError | undefined {
    const typeError = schemaType(v, ["object"], location);
    if (typeError || !(v instanceof Map)) return typeError;
    const errors: SchemaError[] = [];
    const property: Record<string, Check> = {
        type: schemaSimpleType,
        items: schemaItemsRef,
        description: (x, l) => schemaType(x, ["string"], l),
        secret: (x, l) => schemaType(x, ["boolean"], l),
    };
    for (const [name, validate] of Object.entries(property)) {
        const e = v.has(name) ? validate(v.get(name) ?? null, `${location}/${name}`) : undefined;
        if (e) errors.push(e);
    }
    const unknown = [...v.keys()].filter((k) => !(k in property) && k !== "default" && k !== "value");
    if (unknown.length > 0) {
        errors.push(
            schemaError(location, `additionalProperties ${unknown.map((k) => `'${k}'`).join(", ")} not allowed`),
        );
    }
    return schemaGroup(location, errors);
}

/** $defs/configItemsType */
function schemaItems(v: Value, location: string): SchemaError | undefined {
    const typeError = schemaType(v, ["object"], location);
    if (typeError || !(v instanceof Map)) return typeError;
    const errors: SchemaError[] = [];
    if (!v.has("type")) errors.push(schemaError(location, "missing properties: 'type'"));
    if (v.has("type")) {
        const at = `${location}/type`;
        const causes = [schemaSimpleType, schemaItemsRef].map((validate) => validate(v.get("type") ?? null, at));
        if (causes.every((c) => c !== undefined)) errors.push(schemaError(at, "oneOf failed", causes as SchemaError[]));
    }
    if (v.has("items")) {
        const e = schemaItemsRef(v.get("items") ?? null, `${location}/items`);
        if (e) errors.push(e);
    }
    if ((!v.has("type") || v.get("type") === "array") && !v.has("items")) {
        errors.push(schemaError(location, "if-then failed", [schemaError(location, "missing properties: 'items'")]));
    }
    return schemaGroup(location, errors);
}

const schemaItemsRef = schemaRef("configItemsType", schemaItems);

/** Project.Validate (Go checks the keys in map order; here in file order). */
function validateProjectConfig(project: Project): void {
    for (const [key, t] of project.config) {
        if (t.default !== null && t.value !== null) {
            throw new Error(`project config '${key}' cannot have both a 'default' and 'value' attribute`);
        }
        if (namespacedByProject(project.name, key)) {
            if (t.type === "array" && t.items === undefined) {
                throw new Error(
                    `The configuration key '${key}' declares an array but does not specify the underlying type via the 'items' attribute`,
                );
            }
            if (t.type !== undefined && t.default !== null && !validateConfigValue(t.type, t.items, t.default)) {
                throw new Error(
                    `The default value specified for configuration key '${key}' is not of the expected type '${fullTypeName(t.type, t.items)}'`,
                );
            }
        } else {
            if (t.type !== undefined) {
                throw new Error(
                    `Configuration key '${key}' is not namespaced by the project and should not define a type`,
                );
            }
            if (t.default !== null) {
                throw new Error(
                    `Configuration key '${key}' is not namespaced by the project and should not define a default value. Did you mean to use the 'value' attribute instead of 'default'?`,
                );
            }
            if (t.value === null) {
                throw new Error(`Configuration key '${key}' is namespaced and must provide an attribute 'value'`);
            }
        }
    }
}

/** InferFullTypeName */
function fullTypeName(type: string, items: ItemsType | undefined): string {
    return items ? `array<${fullTypeName(items.type, items.items)}>` : type;
}

/** ValidateConfigValue, on a project default or on a stack value as text or as JSON.parse of its JSON. */
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
    if (!Array.isArray(value) || !items) return false;
    return value.every((item) => validateConfigValue(items.type, items.items, item));
}

const inInt64 = (n: bigint) => n >= INT64_MIN && n <= INT64_MAX;

// ---------------------------------------------------------------------------------------------------------------
// The stack file: workspace.LoadProjectStack, then workspace.mergeConfig
// ---------------------------------------------------------------------------------------------------------------

/** A config value; `object`: the CLI keeps it as JSON (what a typed key is checked on). */
interface Entry {
    readonly value: Value;
    readonly object: boolean;
}

interface StackValues {
    readonly values: Map<string, Entry>;
    /** The stack file's `encryptionsalt` (passphrase secrets provider). */
    readonly encryptionSalt?: string;
    /** The stack file's `secretsprovider` (e.g. awskms://...; absent for the passphrase and the Pulumi Cloud). */
    readonly secretsProvider?: string;
}

/** config.ParseKey: `<namespace>:<name>` or `<namespace>:config:<name>`; no namespace: the project's. */
function configKey(projectName: string, key: string): string {
    const parts = key.split(":");
    if (parts.length === 1) return `${projectName}:${key}`;
    if (parts.length === 2) return key;
    if (parts.length === 3 && parts[1] === "config") return `${parts[0]}:${parts[2]}`;
    throw new Error(
        `invalid YAML file: could not unmarshal map: could not parse ${key} as a configuration key (configuration keys should be of the form \`<namespace>:<name>\`)`,
    );
}

/** The stack file's `config:` (plus the overrides), keyed `<namespace>:<name>`. */
function loadStack(project: Project, file: string, shown: string, overrides: Record<string, unknown>): StackValues {
    const doc = readPlainYaml(file, shown) ?? new Map<string, Value>();
    if (!(doc instanceof Map)) throw new NotPlainYaml(shown, "", `${describe(doc)} where a map is expected`);
    if (doc.get("environment") !== undefined && doc.get("environment") !== null) {
        throw new OfflineLimit(
            "This offline reader cannot open the stack's ESC environments (`environment:` in the stack file)",
        );
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
        else written.set(k, plainOverride(value, refuse));
    }
    const values = new Map<string, Entry>();
    for (const [key, value] of written) {
        const v = withSecrets(value);
        values.set(configKey(project.name, key), { value: v, object: Array.isArray(v) || v instanceof Map });
    }
    const salt = doc.get("encryptionsalt");
    const provider = doc.get("secretsprovider");
    return {
        values,
        ...(typeof salt === "string" ? { encryptionSalt: salt } : {}),
        ...(typeof provider === "string" ? { secretsProvider: provider } : {}),
    };
}

/**
 * workspace.mergeConfig (validate = true): project defaults and values, missing keys, then typed values (on the
 * decrypted values). Returns the decrypter of the stack's secure values, when it has any and the passphrase is set.
 */
function mergeConfig(stackName: string, project: Project, config: StackValues): Decrypter | undefined {
    const keys = [...project.config.keys()].sort(compareGo);
    const missing: string[] = [];
    for (const projectKey of keys) {
        const t = project.config.get(projectKey)!;
        const key = configKey(project.name, projectKey);
        const given = t.default ?? t.value;
        if (config.values.has(key)) continue;
        if (given !== null) {
            // workspace.createConfigValue: strings, integers and booleans as text, anything else as JSON.
            const v = withSecrets(given);
            const text =
                typeof v === "string" || typeof v === "boolean" || typeof v === "bigint" || v instanceof Secure;
            config.values.set(key, { value: v, object: !text });
        } else if (key.startsWith(project.name + ":")) missing.push(projectKey);
    }
    if (missing.length > 0) {
        const names =
            missing.length === 1
                ? `'${missing[0]}'`
                : missing
                      .map((k, i) =>
                          i === missing.length - 1 ? `and '${k}'` : i === missing.length - 2 ? `'${k}' ` : `'${k}', `,
                      )
                      .join("");
        throw new Error(`Stack '${stackName}' is missing configuration value${missing.length > 1 ? "s" : ""} ${names}`);
    }

    const secure = [...config.values.values()].some((e) => isSecure(e.value));
    const decrypt = secure ? passphraseDecrypter(config.encryptionSalt) : undefined;
    for (const [, entry] of config.values) render(entry.value, decrypt);
    for (const projectKey of keys) {
        const t = project.config.get(projectKey)!;
        const entry = config.values.get(configKey(project.name, projectKey)) ?? { value: null, object: false };
        if (t.type === undefined) continue;
        if (t.secret && !isSecure(entry.value)) {
            throw new Error(
                `Stack '${stackName}' with configuration key '${projectKey}' must be encrypted as it's secret`,
            );
        }
        // Not decrypted (see resolveStack): its type cannot be told, except that text is never a list or an object.
        const undecided = entry.object || t.type === "integer" || t.type === "boolean";
        if (isSecure(entry.value) && !decrypt && undecided) continue;
        const text = render(entry.value, decrypt);
        if (!validateConfigValue(t.type, t.items, entry.object ? JSON.parse(text) : text)) {
            throw new Error(
                `Stack '${stackName}' with configuration key '${projectKey}' must be of type '${fullTypeName(t.type, t.items)}'`,
            );
        }
    }
    return decrypt;
}
