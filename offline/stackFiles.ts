import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { UNDECRYPTED_SECRET } from "../domain/configSchema";

/** The project root: where Pulumi.yaml lives. */
export const PROJECT_ROOT = path.resolve(__dirname, "..");

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
 * The config a stack's program receives, built exactly as `pulumi preview` (CLI v3.248.0) builds it and hands it
 * to the Node.js language host:
 *
 * - Pulumi.yaml is read, schema-checked and validated as `workspace.LoadProjectBytes` does (shorthand values
 *   become defaults or values, typed defaults must match their type);
 * - the stack file is read as `workspace.LoadProjectStackBytes` does: gopkg.in/yaml.v3 scalar resolution (not
 *   YAML 1.2 core), a marshal/unmarshal round trip (`2048.0` becomes `2048`), keys namespaced and parsed as
 *   `config.ParseKey`, values turned into strings by `config.object` (objects and arrays as Go's JSON: sorted keys,
 *   `<>&` escaped);
 * - `workspace.mergeConfig` adds project defaults and values, refuses project keys that have neither and are not
 *   in the stack file, and `validateStackConfigValues` checks typed keys;
 * - `config.Map.Decrypt` renders each value as the program reads it.
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

    let config: ConfigMap;
    try {
        config = loadProjectStack(project, fs.readFileSync(stackFile), options.overrides ?? {});
    } catch (e) {
        throw rethrow(e, "getting stack configuration: ");
    }
    try {
        mergeConfig(stack, project, config);
    } catch (e) {
        throw rethrow(e, "validating stack config: ");
    }

    const out: Record<string, string> = {};
    const secretKeys: string[] = [];
    const undecrypted: string[] = [];
    const entries = config.entries().sort(([a], [b]) => compareGo(a, b));
    const decrypter = decrypterOf(config);
    for (const [key, value] of entries) {
        out[key] = decryptText(value, decrypter);
        if (value.secure) secretKeys.push(key);
        if (value.secure && !decrypter) undecrypted.push(key);
    }
    return {
        config: out,
        secretKeys,
        undecrypted,
        ...(config.secretsProvider ? { secretsProvider: config.secretsProvider } : {}),
    };
}

const decrypters = new Map<string, (ciphertext: string) => string>();

/** The decrypter of a stack's secure values, when it has any and the passphrase is given. */
function decrypterOf(config: ConfigMap): ((ciphertext: string) => string) | undefined {
    return config.entries().some(([, v]) => v.secure) ? passphraseDecrypter(config.encryptionSalt) : undefined;
}

/**
 * The passphrase secrets manager of the CLI (pkg/secrets/passphrase): key = PBKDF2-SHA256(passphrase, salt,
 * 1,000,000 iterations, 32 bytes); each value `v1:<nonce>:<ciphertext>`, AES-256-GCM; the salt state ends with
 * "pulumi" encrypted, which checks the passphrase.
 */
function passphraseDecrypter(salt: string | undefined): ((ciphertext: string) => string) | undefined {
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

function rethrow(e: unknown, prefix: string): unknown {
    if (e instanceof OfflineLimit) return new Error(e.message);
    if (e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError) return e; // a bug here
    return new PulumiCliError(prefix + (e instanceof Error ? e.message : String(e)));
}

/** Something the CLI can do but this offline reader cannot (decrypt secrets, open ESC environments). */
class OfflineLimit extends Error {}

// ---------------------------------------------------------------------------------------------------------------
// Go values: what gopkg.in/yaml.v3 decodes into `interface{}` (int and int64 as bigint, float64 as number)
// ---------------------------------------------------------------------------------------------------------------

const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** A time.Time as yaml.v3 decodes a timestamp: its wall clock and zone (offset in minutes, null for UTC). */
class GoTime {
    constructor(
        readonly year: number,
        readonly month: number,
        readonly day: number,
        readonly hour: number,
        readonly minute: number,
        readonly second: number,
        readonly nanos: number,
        readonly offsetMinutes: number | null,
    ) {}

    private clock(dateTimeSep: string): string {
        const p = (n: number, w = 2) => String(n).padStart(w, "0");
        const frac = this.nanos ? "." + p(this.nanos, 9).replace(/0+$/, "") : "";
        return `${p(this.year, 4)}-${p(this.month)}-${p(this.day)}${dateTimeSep}${p(this.hour)}:${p(this.minute)}:${p(this.second)}${frac}`;
    }

    private zone(colon: boolean): string {
        const off = this.offsetMinutes ?? 0;
        const abs = Math.abs(off);
        const hh = String(Math.floor(abs / 60)).padStart(2, "0");
        const mm = String(abs % 60).padStart(2, "0");
        return `${off < 0 ? "-" : "+"}${hh}${colon ? ":" : ""}${mm}`;
    }

    /** time.Time.String(): `2006-01-02 15:04:05.999999999 -0700 MST` (a fixed zone has no name: its offset). */
    toString(): string {
        const zone = this.zone(false);
        return `${this.clock(" ")} ${zone} ${this.offsetMinutes === null ? "UTC" : zone}`;
    }

    /** time.RFC3339Nano, as json.Marshal writes a time.Time. */
    rfc3339Nano(): string {
        return this.clock("T") + (this.offsetMinutes === null ? "Z" : this.zone(true));
    }
}

/** map[interface{}]interface{}: a YAML mapping with a key that is not a string. */
class GoAnyMap {
    constructor(readonly entries: [GoAny, GoAny][]) {}
}

type GoAny = null | boolean | bigint | number | string | GoTime | GoAny[] | GoMap | GoAnyMap;
/** map[string]interface{} */
type GoMap = Map<string, GoAny>;

function isGoInt(v: GoAny): v is bigint {
    return typeof v === "bigint" && v <= INT64_MAX;
}

/** `%T` */
function goTypeName(v: GoAny): string {
    if (v === null) return "<nil>";
    if (typeof v === "boolean") return "bool";
    if (typeof v === "bigint") return v <= INT64_MAX ? "int" : "uint64";
    if (typeof v === "number") return "float64";
    if (typeof v === "string") return "string";
    if (v instanceof GoTime) return "time.Time";
    if (Array.isArray(v)) return "[]interface {}";
    if (v instanceof GoAnyMap) return "map[interface {}]interface {}";
    return "map[string]interface {}";
}

/** `%v` of a scalar (map keys turned into strings by config.object). */
function goSprintV(v: GoAny): string {
    if (v === null) return "<nil>";
    if (typeof v === "number") return goFormatFloatG(v);
    if (typeof v === "boolean" || typeof v === "bigint" || typeof v === "string") return String(v);
    if (v instanceof GoTime) return v.toString();
    return goTypeName(v);
}

/** `%s` of a map key that is not a string. */
function goSprintS(v: GoAny): string {
    if (typeof v === "string" || v instanceof GoTime) return goSprintV(v);
    if (v === null) return "%!s(<nil>)";
    return `%!s(${goTypeName(v)}=${goSprintV(v)})`;
}

/** strconv.FormatFloat(f, 'g', -1, 64): shortest digits, exponent form below 1e-4 and from 1e6. */
function goFormatFloatG(f: number): string {
    if (Number.isNaN(f)) return "NaN";
    if (f === Infinity) return "+Inf";
    if (f === -Infinity) return "-Inf";
    if (f === 0) return Object.is(f, -0) ? "-0" : "0";
    const sign = f < 0 ? "-" : "";
    const [mantissa, exponent] = Math.abs(f).toExponential().split("e");
    const digits = mantissa.replace(".", "");
    const exp = Number(exponent);
    if (exp < -4 || exp >= 6) {
        const frac = digits.length > 1 ? "." + digits.slice(1) : "";
        return `${sign}${digits[0]}${frac}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
    }
    const point = exp + 1;
    if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
    if (point >= digits.length) return sign + digits + "0".repeat(point - digits.length);
    return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** strconv.Quote, as `%#v` prints a string. */
function goQuote(s: string): string {
    const escapes: Record<string, string> = {
        '"': '\\"',
        "\\": "\\\\",
        "\x07": "\\a",
        "\b": "\\b",
        "\f": "\\f",
        "\n": "\\n",
        "\r": "\\r",
        "\t": "\\t",
        "\v": "\\v",
    };
    let out = '"';
    for (const ch of s) {
        const c = ch.codePointAt(0)!;
        if (escapes[ch]) out += escapes[ch];
        else if (c < 0x20 || c === 0x7f) out += "\\x" + c.toString(16).padStart(2, "0");
        else if ((c >= 0x80 && c < 0xa0) || c === 0xad || c === 0x2028 || c === 0x2029 || c === 0xfeff) {
            out += "\\u" + c.toString(16).padStart(4, "0");
        } else out += ch;
    }
    return out + '"';
}

/** Go string order (bytewise UTF-8), as sort.Strings and encoding/json's map keys use. */
function compareGo(a: string, b: string): number {
    return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

// ---------------------------------------------------------------------------------------------------------------
// Go's strconv, the parts yaml.v3's resolver and Pulumi's validation use
// ---------------------------------------------------------------------------------------------------------------

const DIGITS: Record<number, RegExp> = { 2: /^[01]*$/, 8: /^[0-7]*$/, 10: /^[0-9]*$/, 16: /^[0-9a-fA-F]*$/ };

/** strconv.ParseUint(s, base, 64) for base 0 (prefixes 0b, 0o, 0x, 0) or an explicit base; no underscores. */
function goParseUint(s: string, base: number): bigint | undefined {
    if (s === "") return undefined;
    let digits = s;
    if (base === 0) {
        base = 10;
        if (s[0] === "0") {
            const p = s[1]?.toLowerCase();
            if (s.length >= 3 && (p === "b" || p === "o" || p === "x")) {
                base = p === "b" ? 2 : p === "o" ? 8 : 16;
                digits = s.slice(2);
            } else {
                base = 8;
                digits = s.slice(1);
            }
        }
    }
    if (!DIGITS[base].test(digits)) return undefined;
    let n = 0n;
    for (const d of digits) n = n * BigInt(base) + BigInt(parseInt(d, 16));
    return n > UINT64_MAX ? undefined : n;
}

/** strconv.ParseInt(s, base, 64). */
function goParseInt(s: string, base: number): bigint | undefined {
    if (s === "") return undefined;
    const neg = s[0] === "-";
    const u = goParseUint(s[0] === "-" || s[0] === "+" ? s.slice(1) : s, base);
    if (u === undefined) return undefined;
    if (neg ? u > INT64_MAX + 1n : u > INT64_MAX) return undefined;
    return neg ? -u : u;
}

/** strconv.Atoi: optional sign and decimal digits, in the int64 range. */
function goAtoi(s: string): boolean {
    return /^[+-]?[0-9]+$/.test(s) && goParseInt(s, 10) !== undefined;
}

/** strconv's underscoreOK: underscores only between digits (or after a base prefix). */
function underscoreOK(s: string): boolean {
    let saw = "^";
    let i = 0;
    if (s[0] === "-" || s[0] === "+") s = s.slice(1);
    let hex = false;
    if (s.length >= 2 && s[0] === "0" && "box".includes(s[1].toLowerCase())) {
        i = 2;
        saw = "0";
        hex = s[1].toLowerCase() === "x";
    }
    for (; i < s.length; i++) {
        if (/[0-9]/.test(s[i]) || (hex && /[a-f]/i.test(s[i]))) {
            saw = "0";
            continue;
        }
        if (s[i] === "_") {
            if (saw !== "0") return false;
            saw = "_";
            continue;
        }
        if (saw === "_") return false;
        saw = "!";
    }
    return saw !== "_";
}

/** strconv.ParseFloat(s, 64) for decimal text (the only forms yaml.v3 hands it); out of range fails. */
function goParseFloat(s: string): number | undefined {
    if (!underscoreOK(s)) return undefined;
    const t = s.replace(/_/g, "");
    if (!/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(t)) return undefined;
    const f = Number(t);
    return Number.isFinite(f) ? f : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// gopkg.in/yaml.v3: resolve.go (plain scalars), decode.go (mappings, merges, duplicate keys), encode.go (floats)
// ---------------------------------------------------------------------------------------------------------------

/** A yaml.v3 failure that is not a type error: the marshaller prefixes `invalid YAML file: `. */
class YamlError extends Error {}
/** yaml.v3's *yaml.TypeError: returned as is. */
class YamlTypeError extends Error {
    constructor(readonly errors: string[]) {
        super("yaml: unmarshal errors:\n  " + errors.join("\n  "));
    }
}

const STR = "!!str";
const INT = "!!int";
const FLOAT = "!!float";
const BOOL = "!!bool";
const NULL = "!!null";
const TIMESTAMP = "!!timestamp";
const BINARY = "!!binary";
const MERGE = "!!merge";
const MAP = "!!map";
const SEQ = "!!seq";
const LONG_TAG_PREFIX = "tag:yaml.org,2002:";
const RESOLVABLE = new Set(["", STR, BOOL, INT, FLOAT, NULL, TIMESTAMP]);
const RESOLVE_MAP = new Map<string, [string, GoAny]>();
for (const [tag, value, texts] of [
    [BOOL, true, ["true", "True", "TRUE"]],
    [BOOL, false, ["false", "False", "FALSE"]],
    [NULL, null, ["", "~", "null", "Null", "NULL"]],
    [FLOAT, NaN, [".nan", ".NaN", ".NAN"]],
    [FLOAT, Infinity, [".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"]],
    [FLOAT, -Infinity, ["-.inf", "-.Inf", "-.INF"]],
    [MERGE, "<<", ["<<"]],
] as [string, GoAny, string[]][]) {
    for (const text of texts) RESOLVE_MAP.set(text, [tag, value]);
}
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

function shortTag(tag: string): string {
    return tag.startsWith(LONG_TAG_PREFIX) ? "!!" + tag.slice(LONG_TAG_PREFIX.length) : tag;
}

/** yaml.v3 resolve(tag, in): the tag and Go value of a scalar. */
function resolve(tag: string, text: string): [string, GoAny] {
    tag = shortTag(tag);
    if (!RESOLVABLE.has(tag)) return [tag, text];
    const [rtag, out] = resolveUntagged(tag, text);
    if (tag === "" || tag === rtag || tag === STR) return [rtag, out];
    if (tag === FLOAT && rtag === INT) return [FLOAT, Number(out as bigint)];
    throw new YamlError(`yaml: cannot decode ${rtag} \`${text}\` as a ${tag}`);
}

function resolveUntagged(tag: string, text: string): [string, GoAny] {
    const c = text[0];
    const hint =
        text === ""
            ? "N"
            : c === "+" || c === "-"
              ? "S"
              : c >= "0" && c <= "9"
                ? "D"
                : "yYnNtTfFoO~".includes(c)
                  ? "M"
                  : c === "."
                    ? "."
                    : "";
    if (hint === "" || tag === STR) return [STR, text];
    const known = RESOLVE_MAP.get(text);
    if (known) return known;
    if (hint === ".") {
        const f = goParseFloat(text);
        if (f !== undefined) return [FLOAT, f];
    } else if (hint === "D" || hint === "S") {
        if (tag === "" || tag === TIMESTAMP) {
            const t = parseTimestamp(text);
            if (t) return [TIMESTAMP, t];
        }
        const plain = text.replace(/_/g, "");
        const int = goParseInt(plain, 0) ?? goParseUint(plain, 0);
        if (int !== undefined) return [INT, int];
        if (YAML_STYLE_FLOAT.test(plain)) {
            const f = goParseFloat(plain);
            if (f !== undefined) return [FLOAT, f];
        }
        for (const [prefix, base] of [
            ["0b", 2],
            ["0o", 8],
        ] as [string, number][]) {
            if (plain.startsWith(prefix)) {
                const n = goParseInt(plain.slice(2), base) ?? goParseUint(plain.slice(2), base);
                if (n !== undefined) return [INT, n];
            } else if (plain.startsWith("-" + prefix)) {
                const n = goParseInt("-" + plain.slice(3), base);
                if (n !== undefined) return [INT, n];
            }
        }
    }
    return [STR, text];
}

/** yaml.v3 parseTimestamp: four digits and `-`, then one of its layouts (time.Parse rules, UTC as Local). */
function parseTimestamp(s: string): GoTime | undefined {
    const m =
        /^(\d{4})-(\d\d?)-(\d\d?)(?:(?:[Tt](\d\d?):(\d\d?):(\d\d?)(?:[.,](\d+))?(Z|[+-]\d\d:\d\d))|(?: (\d\d?):(\d\d?):(\d\d?)(?:[.,](\d+))?))?$/.exec(
            s,
        );
    if (!m) return undefined;
    const [year, month, day] = [m[1], m[2], m[3]].map(Number);
    const [hour, minute, second] = [m[4] ?? m[9] ?? "0", m[5] ?? m[10] ?? "0", m[6] ?? m[11] ?? "0"].map(Number);
    const fraction = m[7] ?? m[12] ?? "";
    const daysIn = new Date(Date.UTC(year, month, 0)).getUTCDate();
    if (month < 1 || month > 12 || day < 1 || day > daysIn || hour > 23 || minute > 59 || second > 59) return undefined;
    let offset: number | null = null;
    if (m[8] && m[8] !== "Z") {
        const [hh, mm] = [Number(m[8].slice(1, 3)), Number(m[8].slice(4, 6))];
        if (hh > 24 || mm > 60) return undefined;
        offset = (m[8][0] === "-" ? -1 : 1) * (hh * 60 + mm);
        if (offset === 0) offset = null; // the offset of Local (UTC): time.Parse uses Local
    }
    const nanos = fraction ? Number(fraction.slice(0, 9).padEnd(9, "0")) : 0;
    return new GoTime(year, month, day, hour, minute, second, nanos, offset);
}

type YamlNode = YAML.Scalar | YAML.YAMLMap | YAML.YAMLSeq | YAML.Alias | YAML.Pair | null | undefined;

interface DecodeState {
    readonly source: string;
    readonly doc: YAML.Document;
    readonly lines: YAML.LineCounter;
    readonly typeErrors: string[];
    /** Keys already set while merging (`<<`): yaml.v3's decoder.mergedFields. */
    mergedFields?: Set<string>;
    readonly aliases: Set<YamlNode>;
}

/** yaml.Unmarshal(data, &v) with v an interface{}: the first document, or nil. */
function decodeYaml(data: Buffer): GoAny {
    let text = data.toString("utf8");
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const lines = new YAML.LineCounter();
    const docs = YAML.parseAllDocuments(text, { lineCounter: lines, merge: false, uniqueKeys: false });
    const doc = docs[0] as YAML.Document | undefined;
    if (!doc) return null;
    const error = doc.errors[0];
    if (error) {
        // The CLI prints libyaml's own wording here; this reader cannot reproduce it.
        throw new YamlError(`yaml: line ${lines.linePos(error.pos[0]).line}: ${error.message.split(" at line ")[0]}`);
    }
    const state: DecodeState = { source: text, doc, lines, typeErrors: [], aliases: new Set() };
    const value = decodeNode(doc.contents as YamlNode, state, -1);
    if (state.typeErrors.length > 0) throw new YamlTypeError(state.typeErrors);
    return value;
}

/** The message `encoding.YAML.Unmarshal` returns for a failure. */
function yamlMessage(e: unknown): string {
    if (e instanceof YamlTypeError) return e.message;
    if (e instanceof YamlError) return `invalid YAML file: ${e.message}`;
    throw e;
}

function isNode<T>(guard: (n: unknown) => n is T, node: unknown): node is T {
    return guard(node);
}

/** The tag yaml.v3's parser gives a scalar node (explicit, `!!str` for quoted and block scalars, else resolved). */
function scalarTag(node: YAML.Scalar): string {
    const tag = node.tag;
    if (tag && tag !== "!") return shortTag(tag);
    if (node.type && node.type !== "PLAIN") return STR;
    const text = scalarText(node);
    if (text === "<<") return MERGE;
    return resolve("", text)[0];
}

function scalarText(node: YAML.Scalar): string {
    return node.source ?? (node.value === null || node.value === undefined ? "" : String(node.value));
}

/** yaml.v3 Node.ShortTag(). */
function nodeShortTag(node: YamlNode, state: DecodeState): string {
    if (node === null || node === undefined) return NULL;
    if (isNode(YAML.isAlias, node)) return nodeShortTag(node.resolve(state.doc) as YamlNode, state);
    if (isNode(YAML.isScalar, node)) return scalarTag(node);
    const tag = (node as YAML.YAMLMap).tag;
    if (tag && tag !== "!") return shortTag(tag);
    return isNode(YAML.isSeq, node) ? SEQ : MAP;
}

function nodeKind(node: YamlNode): string {
    if (node === null || node === undefined || isNode(YAML.isScalar, node)) return "scalar";
    if (isNode(YAML.isAlias, node)) return "alias";
    return isNode(YAML.isSeq, node) ? "seq" : "map";
}

/** yaml.v3 Node.Value: a scalar's text, an alias's anchor name, nothing for collections. */
function nodeValue(node: YamlNode): string {
    if (node === null || node === undefined) return "";
    if (isNode(YAML.isScalar, node)) return scalarText(node);
    if (isNode(YAML.isAlias, node)) return node.source;
    return "";
}

function nodeLine(node: YamlNode, state: DecodeState): number {
    const range = (node as YAML.Scalar | undefined)?.range;
    return range ? state.lines.linePos(range[0]).line : 0;
}

/** Decodes a node; `indent` is the column of the block collection holding it (libyaml's parser.indent). */
function decodeNode(node: YamlNode, state: DecodeState, indent: number): GoAny {
    if (node === null || node === undefined) return null;
    if (isNode(YAML.isAlias, node)) {
        const target = node.resolve(state.doc) as YamlNode;
        if (!target) throw new YamlError(`yaml: unknown anchor '${node.source}' referenced`);
        if (state.aliases.has(target)) throw new YamlError(`yaml: anchor '${node.source}' value contains itself`);
        state.aliases.add(target);
        try {
            return decodeNode(target, state, indent);
        } finally {
            state.aliases.delete(target);
        }
    }
    if (isNode(YAML.isScalar, node)) {
        if (node.type === "BLOCK_LITERAL" || node.type === "BLOCK_FOLDED") checkBlockScalarTabs(node, state, indent);
        return decodeScalar(node);
    }
    if (isNode(YAML.isSeq, node)) {
        const column = columnOf(node, state);
        return node.items.map((item) => decodeNode(item as YamlNode, state, column));
    }
    if (isNode(YAML.isMap, node)) {
        const isStringMap = node.items.every((pair) => {
            const tag = nodeShortTag(pair.key as YamlNode, state);
            return tag === STR || tag === MERGE;
        });
        const out: GoMap | GoAnyMap = isStringMap ? new Map() : new GoAnyMap([]);
        return decodeMapping(node, out, state) ? out : null;
    }
    throw new YamlError("yaml: cannot decode node");
}

/** The column (0-based) where a node starts. */
function columnOf(node: YamlNode, state: DecodeState): number {
    const range = (node as YAML.Scalar | undefined)?.range;
    return range ? state.lines.linePos(range[0]).col - 1 : 0;
}

/**
 * libyaml (yaml_parser_scan_block_scalar_breaks) refuses a tab where a block scalar's indentation is expected: on
 * the lines before its indentation is known, or within that indentation afterwards.
 */
function checkBlockScalarTabs(node: YAML.Scalar, state: DecodeState, parentIndent: number): void {
    const src = state.source;
    const start = node.range![0];
    const header = /^[|>]([1-9][+-]?|[+-][1-9]?)?/.exec(src.slice(start))![0];
    const increment = Number(header.replace(/[^1-9]/g, "") || 0);
    let indent = increment > 0 ? (parentIndent >= 0 ? parentIndent + increment : increment) : 0;
    let maxIndent = 0;
    let pos = src.indexOf("\n", start);
    const headerLine = state.lines.linePos(start).line;
    while (pos >= 0 && pos < src.length) {
        pos++; // past the line break
        let col = 0;
        while ((indent === 0 || col < indent) && src[pos + col] === " ") col++;
        maxIndent = Math.max(maxIndent, col);
        const c = src[pos + col];
        if ((indent === 0 || col < indent) && c === "\t") {
            const line = headerLine > 1 ? headerLine : state.lines.linePos(pos + col).line;
            throw new YamlError(`yaml: line ${line}: found a tab character where an indentation space is expected`);
        }
        if (c === undefined) return;
        if (c !== "\n" && c !== "\r") {
            if (indent === 0) indent = Math.max(maxIndent, parentIndent + 1, 1);
            if (col < indent) return; // the scalar has ended
        }
        pos = src.indexOf("\n", pos);
    }
}

function decodeScalar(node: YAML.Scalar): GoAny {
    const tag = scalarTag(node);
    const text = scalarText(node);
    if (tag === STR) return text;
    const [rtag, value] = resolve(tag, text);
    if (rtag !== BINARY) return value;
    const base64 = text.replace(/[\r\n]/g, "");
    if (base64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) {
        throw new YamlError("yaml: !!binary value contains invalid base64 data");
    }
    const bytes = Buffer.from(base64, "base64");
    const decoded = bytes.toString("utf8");
    if (!Buffer.from(decoded, "utf8").equals(bytes)) throw new OfflineLimit("!!binary values that are not UTF-8 text");
    return decoded;
}

/** Identity of a decoded map key (Go interface equality). */
function keyId(key: GoAny): string {
    if (key === null) return "nil";
    if (key instanceof GoTime) return "time:" + key.toString();
    if (typeof key === "object") {
        throw new YamlError(`yaml: invalid map key: ${goTypeName(key)}`);
    }
    return `${typeof key}:${String(key)}`;
}

/** yaml.v3 decoder.mapping, into a new or (when merging) existing map. False: refused for duplicate keys. */
function decodeMapping(node: YAML.YAMLMap, out: GoMap | GoAnyMap, state: DecodeState): boolean {
    const pairs = node.items;
    const before = state.typeErrors.length;
    for (let i = 0; i < pairs.length; i++) {
        for (let j = i + 1; j < pairs.length; j++) {
            const [ki, kj] = [pairs[i].key as YamlNode, pairs[j].key as YamlNode];
            if (nodeKind(ki) === nodeKind(kj) && nodeValue(ki) === nodeValue(kj)) {
                state.typeErrors.push(
                    `line ${nodeLine(kj, state)}: mapping key ${goQuote(nodeValue(kj))} already defined at line ${nodeLine(ki, state)}`,
                );
            }
        }
    }
    if (state.typeErrors.length > before) return false;

    const mergedFields = state.mergedFields;
    state.mergedFields = undefined;
    const column = columnOf(node, state);
    let mergeNode: YamlNode;
    for (const pair of pairs) {
        const keyNode = pair.key as YamlNode;
        if (isMergeKey(keyNode)) {
            mergeNode = pair.value as YamlNode;
            continue;
        }
        // Into a map[string]interface{} a key is its text; into map[interface{}]interface{} its resolved value.
        const key = out instanceof Map ? stringKey(keyNode, state) : decodeNode(keyNode, state, column);
        const id = keyId(key); // refuses a mapping or sequence as a key
        if (mergedFields) {
            if (mergedFields.has(id)) continue;
            mergedFields.add(id);
        }
        const value = decodeNode(pair.value as YamlNode, state, column);
        if (out instanceof Map) out.set(key as string, value);
        else {
            const at = out.entries.findIndex(([k]) => keyId(k) === id);
            if (at >= 0) out.entries[at] = [key, value];
            else out.entries.push([key, value]);
        }
    }
    state.mergedFields = mergedFields;
    if (mergeNode !== undefined) decodeMerge(node, mergeNode, out, state);
    return true;
}

function isMergeKey(node: YamlNode): boolean {
    if (!isNode(YAML.isScalar, node) || scalarText(node) !== "<<") return false;
    const tag = node.tag;
    if (tag === undefined || tag === "!") return !node.type || node.type === "PLAIN";
    return shortTag(tag) === MERGE;
}

function stringKey(node: YamlNode, state: DecodeState): string {
    if (isNode(YAML.isAlias, node)) return stringKey(node.resolve(state.doc) as YamlNode, state);
    if (isNode(YAML.isScalar, node)) {
        const tag = scalarTag(node);
        return tag === BINARY ? (decodeScalar(node) as string) : scalarText(node);
    }
    throw new YamlError("yaml: invalid map key");
}

/** yaml.v3 decoder.merge: the parent's own keys win, then earlier merged maps over later ones. */
function decodeMerge(parent: YAML.YAMLMap, merge: YamlNode, out: GoMap | GoAnyMap, state: DecodeState): void {
    const mergedFields = state.mergedFields;
    if (!mergedFields) {
        state.mergedFields = new Set();
        for (const pair of parent.items) {
            state.mergedFields.add(keyId(decodeNode(pair.key as YamlNode, state, columnOf(parent, state))));
        }
    }
    const wantMap = () => new YamlError("yaml: map merge requires map or sequence of maps as the value");
    const target = (n: YamlNode) => (isNode(YAML.isAlias, n) ? (n.resolve(state.doc) as YamlNode) : n);
    if (isNode(YAML.isSeq, merge)) {
        for (const item of merge.items) {
            const m = target(item as YamlNode);
            if (!isNode(YAML.isMap, m)) throw wantMap();
            decodeMapping(m, out, state);
        }
    } else {
        const m = target(merge);
        if (!isNode(YAML.isMap, m)) throw wantMap();
        decodeMapping(m, out, state);
    }
    state.mergedFields = mergedFields;
}

/** workspace.SimplifyMarshalledValue: map[interface{}]interface{} reached through such maps and arrays. */
function simplify(value: GoAny): GoAny {
    if (value instanceof GoAnyMap) {
        const out: GoMap = new Map();
        for (const [key, v] of value.entries) {
            if (typeof key !== "string") throw new Error(`expected only string keys, got '${goSprintS(key)}'`);
            out.set(key, simplify(v));
        }
        return out;
    }
    if (Array.isArray(value)) return value.map(simplify);
    return value;
}

/** workspace.SimplifyMarshalledProject (also applied to stack files). */
function simplifyDocument(raw: GoAny): GoMap {
    const result = simplify(raw);
    if (!(result instanceof Map)) throw new Error(`expected project to be an object, was '${goTypeName(result)}'`);
    return result;
}

const YAML_BREAKS = "\n\r\u0085\u2028\u2029";

/** libyaml's is_printable (a tab is not, but does not prevent a block scalar). */
function yamlPrintable(c: number): boolean {
    return (
        c === 0x0a ||
        (c >= 0x20 && c <= 0x7e) ||
        (c >= 0xa0 && c <= 0xd7ff) ||
        (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff)
    );
}

/**
 * Whether yaml.v3 writes a string as a literal block (`|`): it holds "\n" and libyaml's scalar analysis allows a
 * block (no trailing space, no space before a line break, nothing unprintable but tabs).
 */
function isLiteralBlock(s: string): boolean {
    if (!s.includes("\n") || s.endsWith(" ")) return false;
    for (let i = 0; i < s.length; i++) {
        const c = s.codePointAt(i)!;
        if (s[i] === " " && YAML_BREAKS.includes(s[i + 1])) return false;
        if (c !== 0x09 && !yamlPrintable(c)) return false;
        if (c > 0xffff) i++;
    }
    return true;
}

/** yaml.v3's keyList.Less: map keys in "natural" order (digit runs compared as numbers, letters first). */
function yamlKeyLess(a: string, b: string): boolean {
    const [ar, br] = [[...a], [...b]];
    const isDigit = (c: string) => /\p{Nd}/u.test(c);
    const isLetter = (c: string) => /\p{L}/u.test(c);
    let digits = false;
    for (let i = 0; i < ar.length && i < br.length; i++) {
        if (ar[i] === br[i]) {
            digits = isDigit(ar[i]);
            continue;
        }
        const [al, bl] = [isLetter(ar[i]), isLetter(br[i])];
        if (al && bl) return ar[i].codePointAt(0)! < br[i].codePointAt(0)!;
        if (al || bl) return digits ? al : bl;
        let [an, bn] = [0n, 0n];
        if (ar[i] === "0" || br[i] === "0") {
            for (let j = i - 1; j >= 0 && isDigit(ar[j]); j--) {
                if (ar[j] !== "0") {
                    an = bn = 1n;
                    break;
                }
            }
        }
        let ai = i;
        for (; ai < ar.length && isDigit(ar[ai]); ai++) an = an * 10n + BigInt(ar[ai].charCodeAt(0) - 48);
        let bi = i;
        for (; bi < br.length && isDigit(br[bi]); bi++) bn = bn * 10n + BigInt(br[bi].charCodeAt(0) - 48);
        if (an !== bn) return an < bn;
        if (ai !== bi) return ai < bi;
        return ar[i].codePointAt(0)! < br[i].codePointAt(0)!;
    }
    return ar.length < br.length;
}

/**
 * What a document becomes when the CLI re-marshals it with yaml.v3 (indent 2, keys sorted) and decodes it again:
 * floats are written with strconv's %g (`2048.0` → `2048`, read back as an int); a literal block loses a leading
 * line break, and one starting with a tab cannot be read back (yaml.v3 fails on its own output). Everything else
 * reads back unchanged. Lines are counted to name the line of that failure (best effort: long scalars that yaml.v3
 * folds at 80 columns are counted as one line).
 */
class Reencoder {
    private line = 1;

    document(doc: GoMap): GoMap {
        const out: GoMap = new Map();
        for (const key of this.sorted([...doc.keys()])) out.set(this.string(key), this.entry(doc.get(key) ?? null));
        return out;
    }

    /** A value written after `key: ` or `- ` on the current line. */
    private entry(v: GoAny): GoAny {
        if (typeof v === "string") {
            if (!isLiteralBlock(v)) {
                this.line++;
                return v;
            }
            const read = this.string(v);
            let content = YAML_BREAKS.includes(v[0]) ? v.slice(1) : v;
            if (content.length > 0 && YAML_BREAKS.includes(content[content.length - 1])) content = content.slice(0, -1);
            this.line += 1 + (content === "" && v !== content ? 0 : content.split(/[\n\u2028\u2029]/).length);
            return read;
        }
        if (typeof v === "number") {
            this.line++;
            return this.number(v);
        }
        if (Array.isArray(v)) {
            this.line++;
            return v.length === 0 ? v : v.map((item) => this.item(item));
        }
        if (v instanceof Map || v instanceof GoAnyMap) {
            this.line++;
            return this.mapping(v);
        }
        this.line++;
        return v;
    }

    /** A sequence item: a mapping or sequence starts on the `- ` line. */
    private item(v: GoAny): GoAny {
        if (Array.isArray(v) && v.length > 0) return v.map((item) => this.item(item));
        if ((v instanceof Map && v.size > 0) || (v instanceof GoAnyMap && v.entries.length > 0)) {
            return this.mapping(v);
        }
        return this.entry(v);
    }

    private mapping(v: GoMap | GoAnyMap): GoAny {
        const entries: [GoAny, GoAny][] = v instanceof Map ? [...v] : v.entries;
        const order = this.sorted(entries.map(([k]) => encodedKeyText(k)));
        const byText = new Map(entries.map(([k, value]) => [encodedKeyText(k), [k, value] as [GoAny, GoAny]]));
        const out: [GoAny, GoAny][] = order.map((text) => {
            const [k, value] = byText.get(text)!;
            const key = typeof k === "string" ? this.string(k) : typeof k === "number" ? this.number(k) : k;
            return [key, this.entry(value)];
        });
        return out.every(([k]) => typeof k === "string")
            ? new Map(out.map(([k, value]) => [k as string, value]))
            : new GoAnyMap(out);
    }

    private number(v: number): GoAny {
        return Number.isFinite(v) ? resolve("", goFormatFloatG(v))[1] : v;
    }

    private string(s: string): string {
        if (!isLiteralBlock(s)) return s;
        if (s[0] === "\t") {
            throw new YamlError(
                `yaml: line ${this.line}: found a tab character where an indentation space is expected`,
            );
        }
        return YAML_BREAKS.includes(s[0]) ? s.slice(1) : s;
    }

    private sorted(keys: string[]): string[] {
        return [...keys].sort((a, b) => (yamlKeyLess(a, b) ? -1 : yamlKeyLess(b, a) ? 1 : 0));
    }
}

/** The text yaml.v3 writes for a scalar map key (what a map[string]T reads back). */
function encodedKeyText(key: GoAny): string {
    if (typeof key === "string") return key;
    if (key === null) return "null";
    if (typeof key === "number") {
        if (Number.isNaN(key)) return ".nan";
        if (!Number.isFinite(key)) return key > 0 ? ".inf" : "-.inf";
        return goFormatFloatG(key);
    }
    if (key instanceof GoTime) return key.rfc3339Nano();
    return String(key);
}

// ---------------------------------------------------------------------------------------------------------------
// Go's encoding/json
// ---------------------------------------------------------------------------------------------------------------

/** encoding/json's float64 encoding (ES6 number formatting); NaN and infinities are refused. */
function goJsonFloat(f: number): string {
    if (!Number.isFinite(f)) throw new Error(`json: unsupported value: ${goFormatFloatG(f)}`);
    return Object.is(f, -0) ? "-0" : String(f);
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

function goJsonObject(entries: [string, string][]): string {
    entries.sort(([a], [b]) => compareGo(a, b));
    return "{" + entries.map(([k, v]) => `${goJsonString(k)}:${v}`).join(",") + "}";
}

/** json.Marshal of a decoded Go value. */
function goJsonMarshal(value: GoAny): string {
    if (value === null) return "null";
    if (typeof value === "boolean" || typeof value === "bigint") return String(value);
    if (typeof value === "number") return goJsonFloat(value);
    if (typeof value === "string") return goJsonString(value);
    if (value instanceof GoTime) return goJsonString(value.rfc3339Nano());
    if (Array.isArray(value)) return "[" + value.map(goJsonMarshal).join(",") + "]";
    if (value instanceof GoAnyMap) throw new Error("json: unsupported type: map[interface {}]interface {}");
    return goJsonObject([...value].map(([k, v]) => [k, goJsonMarshal(v)]));
}

/** A JSON document with its numbers as written (json.Decoder.UseNumber). */
type JsonValue = null | boolean | { readonly number: string } | string | JsonValue[] | Map<string, JsonValue>;

function parseJsonUseNumber(text: string): JsonValue {
    let i = 0;
    const ws = () => {
        while (/\s/.test(text[i] ?? "")) i++;
    };
    const value = (): JsonValue => {
        ws();
        const c = text[i];
        if (c === "{") {
            i++;
            const out = new Map<string, JsonValue>();
            ws();
            if (text[i] === "}") return (i++, out);
            for (;;) {
                ws();
                const key = value() as string;
                ws();
                i++; // ':'
                out.set(key, value());
                ws();
                if (text[i++] === "}") return out;
            }
        }
        if (c === "[") {
            i++;
            const out: JsonValue[] = [];
            ws();
            if (text[i] === "]") return (i++, out);
            for (;;) {
                out.push(value());
                ws();
                if (text[i++] === "]") return out;
            }
        }
        if (c === '"') {
            const m = /^"(?:[^"\\]|\\.)*"/.exec(text.slice(i))!;
            i += m[0].length;
            return JSON.parse(m[0]) as string;
        }
        const m = /^(?:true|false|null|-?[0-9.eE+-]+)/.exec(text.slice(i));
        if (!m) throw new Error(`invalid character '${c}' looking for beginning of value`);
        i += m[0].length;
        return m[0] === "true" ? true : m[0] === "false" ? false : m[0] === "null" ? null : { number: m[0] };
    };
    const out = value();
    ws();
    if (i < text.length) throw new Error(`invalid character '${text[i]}' after top-level value`);
    return out;
}

// ---------------------------------------------------------------------------------------------------------------
// sdk/go/common/resource/config: Key, Value, object, Map
// ---------------------------------------------------------------------------------------------------------------

interface Key {
    readonly namespace: string;
    readonly name: string;
}

const keyString = (k: Key) => `${k.namespace}:${k.name}`;

/** config.ParseKey: `<namespace>:<name>` or `<namespace>:config:<name>`. */
function parseKey(s: string): Key {
    const parts = s.split(":");
    if (parts.length === 2) return { namespace: parts[0], name: parts[1] };
    if (parts.length === 3 && parts[1] === "config") return { namespace: parts[0], name: parts[2] };
    throw new Error(
        `could not parse ${s} as a configuration key (configuration keys should be of the form \`<namespace>:<name>\`)`,
    );
}

/** config.Value (always of TypeUnknown here): a string, ciphertext or JSON text. */
interface Value {
    readonly value: string;
    readonly secure: boolean;
    readonly object: boolean;
}

const ZERO_VALUE: Value = { value: "", secure: false, object: false };

class Ciphertext {
    constructor(readonly value: string) {}
}

/** config.object's value. bigint: int64 or uint64. */
type Obj = null | boolean | bigint | number | string | Ciphertext | Obj[] | Map<string, Obj>;

function isSecureMap(m: Map<string, unknown>): string | undefined {
    const s = m.size === 1 ? m.get("secure") : undefined;
    return typeof s === "string" ? s : undefined;
}

/** config.unmarshalObject for a value yaml.v3 decoded. */
function objFromGo(v: GoAny): Obj {
    if (v instanceof GoTime) return v.toString();
    if (Array.isArray(v)) return v.map(objFromGo);
    if (v instanceof GoAnyMap) return objFromGo(new Map(v.entries.map(([k, val]) => [goSprintV(k), val])));
    if (v instanceof Map) {
        const secure = isSecureMap(v);
        if (secure !== undefined) return new Ciphertext(secure);
        return new Map([...v].map(([k, val]) => [k, objFromGo(val)]));
    }
    return v;
}

/** config.unmarshalObject for JSON decoded with UseNumber: an integer if it fits int64, else a float64. */
function objFromJson(v: JsonValue): Obj {
    if (Array.isArray(v)) return v.map(objFromJson);
    if (v instanceof Map) {
        const secure = isSecureMap(v);
        if (secure !== undefined) return new Ciphertext(secure);
        return new Map([...v].map(([k, val]) => [k, objFromJson(val)]));
    }
    if (v !== null && typeof v === "object") {
        const int = /^-?[0-9]+$/.test(v.number) ? goParseInt(v.number, 10) : undefined;
        return int ?? Number(v.number);
    }
    return v;
}

function objSecure(o: Obj): boolean {
    if (o instanceof Ciphertext) return true;
    if (Array.isArray(o)) return o.some(objSecure);
    if (o instanceof Map) return [...o.values()].some(objSecure);
    return false;
}

/**
 * object.MarshalJSON: json.Marshal(object.marshalObject()), ciphertexts as {"secure": ...}. Each nested object is
 * marshalled by its own MarshalJSON, so encoding/json wraps an error once per level.
 */
function objJson(o: Obj): string {
    if (o instanceof Ciphertext) return `{"secure":${goJsonString(o.value)}}`;
    const nested = (v: Obj): string => {
        try {
            return objJson(v);
        } catch (e) {
            throw new Error(`json: error calling MarshalJSON for type config.object: ${(e as Error).message}`);
        }
    };
    if (Array.isArray(o)) return "[" + o.map(nested).join(",") + "]";
    if (o instanceof Map) return goJsonObject([...o].map(([k, v]) => [k, nested(v)]));
    if (typeof o === "number") return goJsonFloat(o);
    if (typeof o === "string") return goJsonString(o);
    return String(o);
}

/** object.MarshalString: the Value an object is stored as. */
function marshalValue(o: Obj): Value {
    if (typeof o === "boolean" || typeof o === "bigint" || typeof o === "number") {
        return { value: objJson(o), secure: false, object: false };
    }
    if (typeof o === "string") return { value: o, secure: false, object: false };
    if (o instanceof Ciphertext) return { value: o.value, secure: true, object: false };
    return { value: objJson(o), secure: objSecure(o), object: true };
}

/** Value.unmarshalObject. */
function valueObj(v: Value): Obj {
    if (!v.object) return v.secure ? new Ciphertext(v.value) : v.value;
    return objFromJson(parseJsonUseNumber(v.value));
}

/**
 * Value.Value(decrypter) with a real decrypter: the text the program (and validation) gets. Without one (see
 * resolveStack) each ciphertext becomes UNDECRYPTED_SECRET.
 */
function decryptText(v: Value, decrypt?: (ciphertext: string) => string): string {
    const plain = (o: Obj): Obj => {
        if (o instanceof Ciphertext) return decrypt ? decrypt(o.value) : UNDECRYPTED_SECRET;
        if (Array.isArray(o)) return o.map(plain);
        if (o instanceof Map) return new Map([...o].map(([k, x]) => [k, plain(x)]));
        return o;
    };
    const o = plain(valueObj(v));
    return typeof o === "string" ? o : objJson(o);
}

/** Value.coerceObject: `true`, `false` and canonical integers become typed (config set --path semantics). */
function coerceObject(v: Value): Obj {
    if (v.secure || v.object) return valueObj(v);
    if (v.value === "true" || v.value === "false") return v.value === "true";
    if (v.value.length > 1 && v.value[0] === "0") return valueObj(v);
    return goParseInt(v.value, 10) ?? goParseUint(v.value, 10) ?? valueObj(v);
}

type PathElement = string | number;

/** resource.ParsePropertyPathStrict. */
function parsePropertyPath(p: string): PathElement[] {
    const elements: PathElement[] = [];
    if (p[0] === ".") throw new Error("expected property path to start with a name or index");
    while (p.length > 0) {
        if (p[0] === ".") {
            p = p.slice(1);
            if (p.length === 0) throw new Error("expected property path to end with a name or index");
            if (p[0] === "[") throw new Error("expected property name after '.'");
        } else if (p[0] === "[") {
            if (p[1] === '"') {
                let key = "";
                let i = 2;
                for (;;) {
                    if (i >= p.length) throw new Error("missing closing quote in property name");
                    if (p[i] === '"') {
                        i++;
                        break;
                    }
                    if (p[i] === "\\" && p[i + 1] === '"') {
                        key += '"';
                        i += 2;
                    } else key += p[i++];
                }
                if (p[i] !== "]") throw new Error("missing closing bracket in property access");
                elements.push(key);
                p = p.slice(i + 1);
            } else {
                const close = p.indexOf("]");
                if (close < 0) throw new Error("missing closing bracket in array index");
                const segment = p.slice(1, close);
                if (segment === "*") elements.push("*");
                else {
                    const index = goParseInt(segment, 10);
                    if (index === undefined || !/^[+-]?[0-9]+$/.test(segment)) {
                        throw new Error(
                            `invalid array index: strconv.ParseInt: parsing ${goQuote(segment)}: invalid syntax`,
                        );
                    }
                    elements.push(Number(index));
                }
                p = p.slice(close + 1);
            }
        } else {
            const end = p.search(/[.[]/);
            elements.push(end < 0 ? p : p.slice(0, end));
            p = end < 0 ? "" : p.slice(end);
        }
    }
    return elements;
}

/** config.parseKeyPath: the path in a key's name, and the key of its first element. */
function parseKeyPath(k: Key): [PathElement[], Key] {
    let p: PathElement[];
    try {
        p = parsePropertyPath(k.name);
    } catch (e) {
        throw new Error(`invalid config key path: ${(e as Error).message}`);
    }
    if (p.length === 0) throw new Error("empty config key path");
    if (typeof p[0] !== "string") throw new Error("first path segement of config key must be a string");
    if (p[0] === "") throw new Error("config key is empty");
    return [p, { namespace: k.namespace, name: p[0] }];
}

function formatPath(p: PathElement[]): string {
    return p.map((e, i) => (typeof e === "number" ? `[${e}]` : i === 0 ? e : `.${e}`)).join("");
}

/** config.Map */
class ConfigMap {
    private readonly values = new Map<string, Value>();
    /** The stack file's `encryptionsalt` (passphrase secrets provider). */
    encryptionSalt?: string;
    /** The stack file's `secretsprovider` (e.g. awskms://...; absent for the passphrase and the Pulumi Cloud). */
    secretsProvider?: string;

    entries(): [string, Value][] {
        return [...this.values];
    }

    setRaw(key: Key, value: Value): void {
        this.values.set(keyString(key), value);
    }

    /** Map.Get(k, path=true). */
    get(k: Key): [Value, boolean] {
        const [p, configKey] = parseKeyPath(k);
        const root = this.values.get(keyString(configKey));
        if (p.length === 1) return [root ?? ZERO_VALUE, root !== undefined];
        let o: Obj = valueObj(root ?? ZERO_VALUE);
        for (const element of p.slice(1)) {
            if (Array.isArray(o) && typeof element === "number" && element >= 0 && element < o.length) o = o[element];
            else if (o instanceof Map && typeof element === "string" && o.has(element)) o = o.get(element)!;
            else return [ZERO_VALUE, false];
        }
        return [marshalValue(o), true];
    }

    /** Map.Set(k, v, path=true). */
    set(k: Key, v: Value): void {
        const [p, configKey] = parseKeyPath(k);
        if (p.length === 1) {
            this.values.set(keyString(configKey), v);
            return;
        }
        const replacement = coerceObject(v);
        const root = this.values.get(keyString(configKey));
        const box = { value: root ? valueObj(root) : newContainer(p[1]) };
        setIn(box, p.slice(0, 1), p.slice(1), replacement);
        this.values.set(keyString(configKey), marshalValue(box.value));
    }
}

function newContainer(accessor: PathElement): Obj {
    return typeof accessor === "number" ? new Array<Obj>(accessor + 1).fill(null) : new Map<string, Obj>();
}

/** object.Set */
function setIn(box: { value: Obj }, prefix: PathElement[], p: PathElement[], replacement: Obj): void {
    if (p.length === 0) {
        box.value = replacement;
        return;
    }
    if (box.value === null) box.value = newContainer(p[0]);
    else if (!Array.isArray(box.value) && !(box.value instanceof Map)) {
        if (prefix.length === 1) box.value = newContainer(p[0]);
        else throw new Error(`${formatPath(prefix)}: expected ${typeof p[0] === "number" ? "an array" : "a map"}`);
    }
    prefix = [...prefix, p[0]];
    const container = box.value;
    if (Array.isArray(container)) {
        const index = p[0];
        if (typeof index !== "number") throw new Error(`${formatPath(prefix)}: key for an array must be an int`);
        if (index < 0 || index > container.length) throw new Error(`${formatPath(prefix)}: array index out of range`);
        if (index === container.length) container.push(null);
        const element = { value: container[index] };
        setIn(element, prefix, p.slice(1), replacement);
        container[index] = element.value;
    } else if (container instanceof Map) {
        const key = p[0];
        if (typeof key !== "string") throw new Error(`${formatPath(prefix)}: key for a map must be a string`);
        if (p.length === 1 && container.size === 0 && key === "secure" && typeof replacement === "string") {
            throw new Error('maps with the single key "secure" are reserved');
        }
        const element = { value: container.get(key) ?? null };
        setIn(element, prefix, p.slice(1), replacement);
        container.set(key, element.value);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// sdk/go/common/workspace: loaders.go, project.go, config.go
// ---------------------------------------------------------------------------------------------------------------

interface ItemsType {
    readonly type: string;
    readonly items?: ItemsType;
}

/** workspace.ProjectConfigType; default and value null when absent (Go nil). */
interface ConfigType {
    readonly type?: string;
    readonly items?: ItemsType;
    readonly default: GoAny;
    readonly value: GoAny;
    readonly secret: boolean;
}

interface Project {
    readonly name: string;
    readonly file: string;
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

/** workspace.LoadProjectBytes */
function loadProjectFile(file: string): Project {
    let raw: GoAny;
    try {
        raw = decodeYaml(fs.readFileSync(file));
    } catch (e) {
        throw new PulumiCliError(`could not unmarshal '${file}': ${yamlMessage(e)}`);
    }
    let def: GoMap;
    try {
        def = validateProject(raw);
    } catch (e) {
        if (e instanceof OfflineLimit) throw new Error(e.message);
        throw new PulumiCliError(`could not validate '${file}': ${(e as Error).message}`);
    }
    const name = def.get("name") as string;

    // RewriteConfigPathIntoStackConfigDir: `config: <dir>` is the old spelling of stackConfigDir.
    let configBlock = def.get("config") ?? null;
    let stackConfigDir = def.get("stackConfigDir");
    if (typeof configBlock === "string") {
        if (def.has("stackConfigDir")) {
            throw new PulumiCliError(
                "Should not use both config and stackConfigDir to define the stack directory. Use only stackConfigDir instead.",
            );
        }
        stackConfigDir = configBlock;
        configBlock = null;
    }

    // RewriteShorthandConfigValues, then the marshal/unmarshal into Project.
    const rewritten: GoMap = new Map(def);
    if (configBlock instanceof Map) {
        const block: GoMap = new Map();
        for (const [key, entry] of configBlock) {
            const shorthand =
                typeof entry === "string" || typeof entry === "boolean" || isGoInt(entry) || Array.isArray(entry);
            const attribute = configKeyIsNamespacedByProject(name, key) ? "default" : "value";
            block.set(key, shorthand ? new Map([[attribute, entry]]) : entry);
        }
        rewritten.set("config", block);
    } else rewritten.set("config", configBlock);
    let reread: GoMap;
    try {
        reread = new Reencoder().document(rewritten);
    } catch (e) {
        throw new PulumiCliError(yamlMessage(e));
    }
    const config = new Map<string, ConfigType>();
    const block = reread.get("config");
    for (const [key, decl] of block instanceof Map ? block : []) {
        if (!(decl instanceof Map)) {
            throw new Error(`Pulumi.yaml: config key '${key}' is neither a value nor a type declaration`);
        }
        const items = (v: GoAny): ItemsType | undefined =>
            v instanceof Map ? { type: String(v.get("type") ?? ""), items: items(v.get("items") ?? null) } : undefined;
        const type = decl.get("type");
        config.set(key, {
            type: type === null || type === undefined ? undefined : String(type),
            items: items(decl.get("items") ?? null),
            default: decl.get("default") ?? null,
            value: decl.get("value") ?? null,
            secret: decl.get("secret") === true,
        });
    }

    const project: Project = {
        name,
        file,
        config,
        stackConfigDir: typeof stackConfigDir === "string" ? stackConfigDir : undefined,
    };
    try {
        validateProjectConfig(project);
    } catch (e) {
        throw new PulumiCliError(`could not unmarshal '${file}': ${(e as Error).message}`);
    }
    return project;
}

function configKeyIsNamespacedByProject(projectName: string, key: string): boolean {
    return !key.includes(":") || key.startsWith(projectName + ":");
}

/** workspace.ValidateProject: the name, and the project schema (project.json) of the `config` block. */
function validateProject(raw: GoAny): GoMap {
    const project = simplifyDocument(raw);
    if (!project.has("name")) {
        const closest = findClosestKey("name", [...project.keys()], 2);
        throw new Error(`project is missing a 'name' attribute${closest ? `; found '${closest}' instead` : ""}`);
    }
    const name = project.get("name");
    if (typeof name !== "string" || name === "")
        throw new Error("project is missing a non-empty string 'name' attribute");
    if (project.has("config")) {
        const error = schemaConfig(project.get("config") ?? null, "/config");
        if (error) {
            const lines: string[] = [];
            const flatten = (e: SchemaError) => {
                if (e.location !== "" && e.message !== "") lines.push(`#${e.location}: ${e.message}`);
                e.causes.forEach(flatten);
            };
            flatten(error);
            throw new Error(
                lines.length === 1
                    ? `1 error occurred:\n\t* ${lines[0]}\n\n`
                    : `${lines.length} errors occurred:\n\t${lines.map((l) => `* ${l}`).join("\n\t")}\n\n`,
            );
        }
    }
    return project;
}

/** findClosestKey: the key within a Levenshtein distance of 2 (case-insensitive), first in sorted order. */
function findClosestKey(needle: string, keys: string[], maxDistance: number): string {
    let match = "";
    let closest = maxDistance + 1;
    for (const key of [...keys].sort(compareGo)) {
        const [a, b] = [[...needle.toLowerCase()], [...key.toLowerCase()]];
        let row = b.map((_, j) => j + 1);
        row.unshift(0);
        for (let i = 1; i <= a.length; i++) {
            const next = [i];
            for (let j = 1; j <= b.length; j++) {
                next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
            }
            row = next;
        }
        const d = row[b.length];
        if (d === 0) return key;
        if (d < closest) {
            closest = d;
            match = key;
        }
    }
    return match;
}

/** A santhosh-tekuri/jsonschema v5 ValidationError: an empty message only groups its causes. */
interface SchemaError {
    readonly location: string;
    readonly message: string;
    readonly causes: SchemaError[];
}

const SIMPLE_TYPES = ["string", "integer", "boolean", "array", "object"];

function schemaError(location: string, message: string, causes: SchemaError[] = []): SchemaError {
    return { location, message, causes };
}

function schemaGroup(location: string, errors: SchemaError[]): SchemaError | undefined {
    return errors.length === 0 ? undefined : errors.length === 1 ? errors[0] : schemaError(location, "", errors);
}

function jsonType(v: GoAny): string {
    if (v === null) return "null";
    if (typeof v === "boolean") return "boolean";
    if (typeof v === "bigint" || typeof v === "number") return "number";
    if (typeof v === "string") return "string";
    if (Array.isArray(v)) return "array";
    if (v instanceof Map) return "object";
    throw new OfflineLimit(
        `Pulumi.yaml holds a ${goTypeName(v)} value, which the CLI's schema validation cannot check`,
    );
}

function schemaType(v: GoAny, types: string[], location: string): SchemaError | undefined {
    const t = jsonType(v);
    const isInteger = typeof v === "bigint" || (typeof v === "number" && Number.isInteger(v));
    if (types.includes(t) || (types.includes("integer") && isInteger)) return undefined;
    return schemaError(location, `expected ${types.join(" or ")}, but got ${t}`);
}

function schemaRef(
    name: string,
    validate: (v: GoAny, location: string) => SchemaError | undefined,
): (v: GoAny, location: string) => SchemaError | undefined {
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

function schemaConfig(v: GoAny, location: string): SchemaError | undefined {
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

function schemaConfigEntry(v: GoAny, location: string): SchemaError | undefined {
    const alternatives = [
        (x: GoAny, l: string) => schemaType(x, ["string"], l),
        (x: GoAny, l: string) => schemaType(x, ["integer"], l),
        (x: GoAny, l: string) => schemaType(x, ["boolean"], l),
        (x: GoAny, l: string) => schemaType(x, ["array"], l),
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
function schemaDeclaration(v: GoAny, location: string): SchemaError | undefined {
    const typeError = schemaType(v, ["object"], location);
    if (typeError || !(v instanceof Map)) return typeError;
    const errors: SchemaError[] = [];
    const property: Record<string, (x: GoAny, l: string) => SchemaError | undefined> = {
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
function schemaItems(v: GoAny, location: string): SchemaError | undefined {
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
        if (configKeyIsNamespacedByProject(project.name, key)) {
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

/** A value as ValidateConfigValue sees it: a Go value (project defaults) or json.Unmarshal output (stack values). */
type Checked = GoAny | Record<string, unknown> | unknown[];

/** ValidateConfigValue */
function validateConfigValue(type: string, items: ItemsType | undefined, value: Checked): boolean {
    switch (type) {
        case "string":
            return typeof value === "string";
        case "integer":
            return (
                isGoInt(value as GoAny) ||
                (typeof value === "number" && (Number.isInteger(value) || Math.abs(value) === Infinity)) ||
                (typeof value === "string" && goAtoi(value))
            );
        case "boolean":
            return value === "true" || value === "false" || typeof value === "boolean";
        case "object":
            return (
                value instanceof Map || (value !== null && typeof value === "object" && value.constructor === Object)
            );
    }
    if (!Array.isArray(value) || !items) return false;
    return value.every((item) => validateConfigValue(items.type, items.items, item as Checked));
}

/** workspace.createConfigValue: strings, ints and bools as text, anything else as JSON. */
function createConfigValue(raw: GoAny): Value {
    if (typeof raw === "string" || typeof raw === "boolean" || isGoInt(raw)) {
        return { value: String(raw), secure: false, object: false };
    }
    return { value: goJsonMarshal(simplify(raw)), secure: false, object: true };
}

/** workspace.parseConfigKey */
function parseConfigKey(projectName: string, key: string): Key {
    return key.includes(":") ? parseKey(key) : { namespace: projectName, name: key };
}

/** workspace.LoadProjectStackBytes (plus the mock's overrides): the stack file's `config:` as a config.Map. */
function loadProjectStack(project: Project, data: Buffer, overrides: Record<string, unknown>): ConfigMap {
    let raw: GoAny;
    try {
        raw = decodeYaml(data);
    } catch (e) {
        throw new Error(yamlMessage(e));
    }
    const config = new ConfigMap();
    if (raw === null) return config;
    const stack = simplifyDocument(raw);
    const salt = stack.get("encryptionsalt");
    if (typeof salt === "string") config.encryptionSalt = salt;
    const provider = stack.get("secretsprovider");
    if (typeof provider === "string") config.secretsProvider = provider;
    if (stack.has("environment") && stack.get("environment") !== null) {
        throw new OfflineLimit(
            "This offline reader cannot open the stack's ESC environments (`environment:` in the stack file)",
        );
    }

    // stackConfigNamespacedWithProject, then the mock's overrides.
    let block = stack.get("config") ?? null;
    if (block instanceof Map) {
        block = new Map([...block].map(([k, v]) => [k.includes(":") ? k : `${project.name}:${k}`, v]));
    }
    for (const [key, value] of Object.entries(overrides)) {
        if (block === null) block = new Map();
        if (!(block instanceof Map)) break;
        const k = key.includes(":") ? key : `${project.name}:${key}`;
        if (value === undefined) block.delete(k);
        else block.set(k, goFromJs(value));
    }
    const rewritten: GoMap = new Map(stack);
    rewritten.set("config", block);
    try {
        block = new Reencoder().document(rewritten).get("config") ?? null;
    } catch (e) {
        throw new Error(yamlMessage(e));
    }
    if (block === null) return config;

    // ProjectStack.Config: config.Map.UnmarshalYAML, each value by config.Value.UnmarshalYAML.
    let entries: [string, GoAny, boolean][];
    if (block instanceof Map) entries = [...block].map(([k, v]) => [k, v, v === null]);
    else if (block instanceof GoAnyMap) entries = block.entries.map(([k, v]) => [encodedKeyText(k), v, v === null]);
    else throw new Error(`invalid YAML file: could not unmarshal map: ${notAMap(block, stack)}`);
    const values: [string, Value][] = [];
    for (const [key, value, isNull] of entries) {
        // yaml.v3 calls no unmarshaler for a null: the zero Value, an empty string.
        try {
            values.push([key, isNull ? ZERO_VALUE : marshalValue(objFromGo(value))]);
        } catch (e) {
            throw new Error(`invalid YAML file: could not unmarshal map: ${(e as Error).message}`);
        }
    }
    for (const [key, value] of values) {
        let k: Key;
        try {
            k = parseKey(key);
        } catch (e) {
            throw new Error(`invalid YAML file: could not unmarshal map: ${(e as Error).message}`);
        }
        config.setRaw(k, value);
    }
    return config;
}

/** The type error yaml.v3 reports for a `config:` that is not a mapping (in the re-marshalled, key-sorted file). */
function notAMap(block: GoAny, stack: GoMap): string {
    // The keys before `config:` (as one line each), and a block sequence starts on the next line.
    let line = 1 + [...stack.keys()].filter((k) => compareGo(k, "config") < 0).length;
    let tag: string;
    let text = "";
    if (Array.isArray(block)) {
        tag = SEQ;
        if (block.length > 0) line++;
    } else {
        text = encodedKeyText(block);
        tag = typeof block === "string" ? STR : resolve("", text)[0];
        text = text.length > 10 ? ` \`${text.slice(0, 7)}...\`` : ` \`${text}\``;
    }
    return `yaml: unmarshal errors:\n  line ${line}: cannot unmarshal ${tag}${text} into map[string]config.Value`;
}

/** A JavaScript override as the Go value a stack file holding it would decode to. */
function goFromJs(v: unknown): GoAny {
    if (v === null || v === undefined) return null;
    if (typeof v === "string" || typeof v === "boolean" || typeof v === "bigint") return v;
    if (typeof v === "number") return Number.isInteger(v) && Math.abs(v) < 2 ** 63 ? BigInt(v) : v;
    if (Array.isArray(v)) return v.map(goFromJs);
    if (typeof v === "object") return new Map(Object.entries(v).map(([k, x]) => [k, goFromJs(x)]));
    return String(v);
}

/** workspace.mergeConfig (validate = true): project defaults and values, missing keys, then typed values. */
function mergeConfig(stackName: string, project: Project, config: ConfigMap): void {
    const keys = [...project.config.keys()].sort(compareGo);
    const missing: string[] = [];
    for (const projectKey of keys) {
        const t = project.config.get(projectKey)!;
        const key = parseConfigKey(project.name, projectKey);
        const [, found] = getValue(config, key);
        const hasDefault = t.default !== null;
        const hasValue = t.value !== null;
        if (!found && !hasValue && !hasDefault && key.namespace === project.name) {
            missing.push(projectKey);
            continue;
        }
        if (!found && (hasValue || hasDefault)) config.set(key, createConfigValue(hasDefault ? t.default : t.value));
    }
    if (missing.length > 0) {
        missing.sort(compareGo);
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

    // validateStackConfigValues, on the decrypted values
    const decrypt = decrypterOf(config);
    for (const [, value] of config.entries()) decryptText(value, decrypt);
    for (const projectKey of keys) {
        const t = project.config.get(projectKey)!;
        const [value] = getValue(config, parseConfigKey(project.name, projectKey));
        if (t.type === undefined) continue;
        if (t.secret && !value.secure) {
            throw new Error(
                `Stack '${stackName}' with configuration key '${projectKey}' must be encrypted as it's secret`,
            );
        }
        // Not decrypted (see resolveStack): its type cannot be told, except that text is never a list or an object.
        if (value.secure && !decrypt && (value.object || t.type === "integer" || t.type === "boolean")) continue;
        const text = decryptText(value, decrypt);
        const content: Checked = value.object ? (JSON.parse(text) as Checked) : text;
        if (!validateConfigValue(t.type, t.items, content)) {
            throw new Error(
                `Stack '${stackName}' with configuration key '${projectKey}' must be of type '${fullTypeName(t.type, t.items)}'`,
            );
        }
    }
}

function getValue(config: ConfigMap, key: Key): [Value, boolean] {
    try {
        return config.get(key);
    } catch (e) {
        throw new Error(`getting stack config value for key '${keyString(key)}': ${(e as Error).message}`);
    }
}
