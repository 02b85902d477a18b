/**
 * Plain YAML as the stack files are read offline: the yaml package under the YAML 1.2 core schema, where the CLI's
 * yaml.v3 reads the same, and refusals (NotPlainYaml) where it would not; values rendered as the program gets them
 * (text, and objects and lists as the CLI's JSON).
 */
import * as fs from "fs";
import * as YAML from "yaml";
import { UNDECRYPTED_SECRET } from "../../domain/configSchema";

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

// Plain YAML: the yaml package's reading under the YAML 1.2 core schema, where the CLI's yaml.v3 reads the same.

/** A `secure:` value: a ciphertext of the stack's secrets provider. */
export class Secure {
    constructor(readonly ciphertext: string) {}
}

/** A plain value: integers as bigint (within int64), other numbers finite. */
export type Value = null | boolean | bigint | number | string | Secure | Value[] | Map<string, Value>;

export const inInt64 = (n: bigint) => n >= -(2n ** 63n) && n < 2n ** 63n;

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
export function readPlainYaml(file: string, shown: string): Value {
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
export function plainValue(v: unknown, refuse: (found: string) => Error): Value {
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
export function withSecrets(v: Value): Value {
    if (Array.isArray(v)) return v.map(withSecrets);
    if (!(v instanceof Map)) return v;
    const secure = v.size === 1 ? v.get("secure") : undefined;
    if (typeof secure === "string") return new Secure(secure);
    return new Map([...v].map(([k, x]) => [k, withSecrets(x)]));
}

export function isSecure(v: Value): boolean {
    if (v instanceof Secure) return true;
    if (Array.isArray(v)) return v.some(isSecure);
    return v instanceof Map && [...v.values()].some(isSecure);
}

// Values as the program reads them: text, and objects and lists as the CLI's JSON.

export type Decrypter = (ciphertext: string) => string;

/** Bytewise UTF-8 order, as the CLI sorts keys. */
export const compareUtf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));

/** The text the program gets: strings as they are, null as "", objects and lists as JSON. */
export function render(v: Value, decrypt?: Decrypter): string {
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

export function describe(v: Value): string {
    if (v === null) return "nothing";
    if (Array.isArray(v)) return "a list";
    if (v instanceof Map) return "a map";
    if (typeof v === "string") return `the string ${JSON.stringify(v)}`;
    return `the ${typeof v === "boolean" ? "boolean" : "number"} ${render(v)}`;
}
