/** The command-line conventions of the npm scripts: `--flag VALUE` or `--flag=VALUE`, switches, `--stack` repeated. */

export class UsageError extends Error {}

export interface FlagSpec {
    /** Flags that take a value (the last one given wins, except `--stack`, which collects). */
    readonly valued: readonly string[];
    /** Flags without a value. */
    readonly switches: readonly string[];
}

export interface ParsedFlags {
    /** Every `--stack NAME`, in order. */
    readonly stacks: string[];
    readonly all: boolean;
    readonly values: ReadonlyMap<string, string>;
    readonly switches: ReadonlySet<string>;
}

/**
 * Parses `argv` against `spec` (`--stack` and `--all` are always known): throws a UsageError for an unknown
 * argument, a missing value, a value given to a switch, or neither or both of `--stack` and `--all`.
 */
export function parseFlags(argv: readonly string[], spec: FlagSpec): ParsedFlags {
    const valued = ["--stack", ...spec.valued];
    const switches = ["--all", ...spec.switches];
    const stacks: string[] = [];
    const values = new Map<string, string>();
    const on = new Set<string>();
    for (let i = 0; i < argv.length; i++) {
        const [flag, inline] = argv[i].startsWith("--") ? argv[i].split(/=(.*)/s) : [argv[i]];
        if (valued.includes(flag)) {
            const value = inline ?? argv[++i];
            if (value === undefined || value === "") throw new UsageError(`${flag} needs a value`);
            if (flag === "--stack") stacks.push(value);
            else values.set(flag, value);
        } else if (switches.includes(flag)) {
            if (inline !== undefined) throw new UsageError(`${flag} takes no value`);
            on.add(flag);
        } else {
            throw new UsageError(`unknown argument ${argv[i]}`);
        }
    }
    const all = on.has("--all");
    if (all === stacks.length > 0) throw new UsageError("give either --stack NAME or --all");
    return { stacks, all, values, switches: on };
}
