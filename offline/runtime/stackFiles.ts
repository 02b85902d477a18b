/**
 * The stack files, read offline: Pulumi.yaml and Pulumi.<stack>.yaml, in plain YAML only (maps, lists and plain
 * values; project values and defaults, declared types, namespaces, passphrase secrets), merged into the config a
 * stack's program receives under `pulumi preview` (CLI v3.248.0). Anything else is refused with a pointer to
 * `npm run preview`, which runs the real CLI: test/stackFileParity.test.ts holds this reader to what the CLI did with
 * the same files.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { passphraseDecrypter } from "./passphrase";
import {
    compareUtf8,
    Decrypter,
    describe,
    isSecure,
    NotPlainYaml,
    plainValue,
    PulumiCliError,
    readPlainYaml,
    render,
    Value,
    withSecrets,
} from "./plainYaml";
import { fullTypeName, loadProject, Project, validateConfigValue } from "./projectFile";

export { NotPlainYaml, PulumiCliError };

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
