import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { StackConfig, validateStackConfig } from "../domain/config";
import { withoutNamespace } from "../domain/configSchema";

/**
 * The program's edge for its config: what the Pulumi runtime and Pulumi.yaml hand over, read here and validated by
 * domain/config.ts (which imports neither the SDK nor the file system).
 */

/** Reads the selected stack's config from the Pulumi runtime and validates it. */
export function loadStackConfig(): StackConfig {
    const all = pulumi.runtime.allConfig();
    // The SDK's own check of `--secret` values (what Config.get warns with); internal, so looked up defensively.
    const runtime = pulumi.runtime as typeof pulumi.runtime & { isConfigSecret?: (k: string) => boolean };
    const secretKeys = Object.keys(all).filter((k) => runtime.isConfigSecret?.(k) === true);
    const root = projectRootDirectory();
    return validateStackConfig(
        all,
        pulumi.getProject(),
        pulumi.getStack(),
        secretKeys,
        readProjectValues(root, pulumi.getProject()),
    );
}

/**
 * A config value as a resource input: a secret output when its key was set with `--secret` (see secretAllowed in
 * the schema), else the plain value.
 */
export function configInput<T>(config: Pick<StackConfig, "secretKeys">, key: string, value: T): pulumi.Input<T> {
    return config.secretKeys.includes(key) ? (pulumi.secret(value) as pulumi.Output<T>) : value;
}

/**
 * The directory of Pulumi.yaml: the root directory the engine hands the program, else (an older language host)
 * the first directory from the working directory up that holds a Pulumi.yaml, as the CLI searches.
 */
export function projectRootDirectory(): string {
    const given = pulumi.runtime.getRootDirectory?.();
    if (given && fs.existsSync(path.join(given, "Pulumi.yaml"))) return path.resolve(given);
    for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
        if (path.dirname(dir) === dir) throw new Error(`no Pulumi.yaml in ${process.cwd()} or above it`);
    }
}

// One parse per distinct Pulumi.yaml text: the offline plan runs the program once per stack in one process.
let lastProjectFile: { text: string; parsed: any } | undefined;
function parseProjectFile(text: string): any {
    if (lastProjectFile?.text !== text) lastProjectFile = { text, parsed: YAML.parse(text) ?? {} };
    return lastProjectFile.parsed;
}

/** The `value:`s of Pulumi.yaml's config (keys without the project namespace): what every stack shares. */
export function readProjectValues(root: string, project: string): Record<string, unknown> {
    const file = parseProjectFile(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8"));
    const out: Record<string, unknown> = {};
    for (const [k, entry] of Object.entries<any>(file.config ?? {})) {
        const name = withoutNamespace(project, k);
        if (entry !== null && typeof entry === "object" && !Array.isArray(entry) && "value" in entry) {
            out[name] = entry.value;
        }
    }
    return out;
}
