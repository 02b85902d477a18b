import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

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
 * The config a stack's program receives, built the way the Pulumi CLI builds it: project-level defaults and
 * values from Pulumi.yaml, overridden by the stack file; keys fully qualified (`<namespace>:<key>`); scalars
 * as strings; objects and arrays as JSON.
 */
export function resolveStackConfig(
    stack: string,
    options: { root?: string; stackFile?: string; overrides?: Record<string, unknown> } = {},
): Record<string, string> {
    const root = options.root ?? PROJECT_ROOT;
    const project = readProjectFile(root);
    const values: Record<string, unknown> = {};
    const qualify = (key: string) => (key.includes(":") ? key : `${project.name}:${key}`);

    for (const [key, decl] of Object.entries(project.config ?? {})) {
        const d = decl as { default?: unknown; value?: unknown };
        if (typeof decl === "object" && decl !== null && !Array.isArray(decl)) {
            if ("value" in d) values[qualify(key)] = d.value;
            else if ("default" in d) values[qualify(key)] = d.default;
        } else values[qualify(key)] = decl;
    }
    const stackFile = options.stackFile ?? path.join(root, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(stackFile)) {
        throw new Error(`No stack file ${path.basename(stackFile)}: stacks here are ${listStacks(root).join(", ")}`);
    }
    const stackDoc = (YAML.parse(fs.readFileSync(stackFile, "utf8")) ?? {}) as { config?: Record<string, unknown> };
    for (const [key, value] of Object.entries(stackDoc.config ?? {})) values[qualify(key)] = value;
    for (const [key, value] of Object.entries(options.overrides ?? {})) {
        if (value === undefined) delete values[qualify(key)];
        else values[qualify(key)] = value;
    }

    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(values)) {
        out[key] = typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
    }
    return out;
}
