/**
 * Recorded input values as plain JSON: the SDK's unknown values (computed by AWS, so unknown at preview) and
 * secrets keep a recognisable shape after a JSON round trip, so a plan written by another process compares
 * with one made in this process.
 */

/** How the SDK's unknown value serialises (its `Unknown` class has this one field). */
export const UNKNOWN_KEY = "__pulumiUnknown";
/** Pulumi's marker of a secret value in serialized properties (`{ <sig>: <secret sig>, value }`). */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export function isUnknown(v: unknown): boolean {
    return typeof v === "object" && v !== null && (v as Record<string, unknown>)[UNKNOWN_KEY] === true;
}

export function isSecret(v: unknown): v is { value: unknown } {
    return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** The value inside a secret, or the value itself. */
export function unwrapSecret(v: unknown): unknown {
    return isSecret(v) ? v.value : v;
}

/** Whether a value is, or contains, an unknown. */
export function containsUnknown(v: unknown): boolean {
    if (isUnknown(v)) return true;
    if (Array.isArray(v)) return v.some(containsUnknown);
    if (typeof v === "object" && v !== null) return Object.values(v).some(containsUnknown);
    return false;
}

/** A deep copy as plain JSON (unknowns become `{ "__pulumiUnknown": true }`, undefined fields disappear). */
export function plainJson<T>(v: T): T {
    return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

const MAX_SHOWN = 100;

/** A short rendering for a diff line: secrets hidden, unknowns named, long values cut. */
export function showValue(v: unknown): string {
    if (v === undefined) return "(none)";
    if (isUnknown(v)) return "(known after deploy)";
    if (isSecret(v)) return "[secret]";
    const text =
        typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v, (_k, x) => (isSecret(x) ? "[secret]" : x));
    return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 1)}…` : text;
}
