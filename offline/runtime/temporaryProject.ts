import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { projectType } from "../../domain/configDocs";
import { configKey } from "../../domain/configSchema";
import { PROJECT_ROOT } from "./stackFiles";

const projects = new Map<string, string>();

/**
 * A copy of the project whose Pulumi.yaml states other shared values (`value:`s every stack gets, such as
 * `services`): a directory of links to the project's entries, with its own Pulumi.yaml. Stack files may not
 * contradict the shared values, so a test or a benchmark with other services uses such a project. Made once per
 * set of values and process, removed when the process exits. `undefined` removes a value.
 */
export function temporaryProject(values: Readonly<Record<string, unknown>>, root = PROJECT_ROOT): string {
    const cacheKey = JSON.stringify([root, Object.entries(values).sort(([a], [b]) => a.localeCompare(b))]);
    const known = projects.get(cacheKey);
    if (known) return known;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-project-"));
    if (projects.size === 0)
        process.once("exit", () => projects.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
    for (const entry of fs.readdirSync(root)) {
        if (entry === ".git" || entry === "Pulumi.yaml") continue;
        fs.symlinkSync(path.join(root, entry), path.join(dir, entry));
    }
    const doc = YAML.parseDocument(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8"));
    for (const [key, value] of Object.entries(values)) {
        if (value === undefined) {
            doc.deleteIn(["config", key, "value"]);
            continue;
        }
        if (!doc.hasIn(["config", key])) {
            const { type, items } = projectType(configKey(key)?.type ?? "string");
            doc.setIn(["config", key], doc.createNode(items ? { type, items: { type: items } } : { type }));
        }
        doc.setIn(["config", key, "value"], doc.createNode(value));
    }
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), doc.toString());
    projects.set(cacheKey, dir);
    return dir;
}
