/**
 * A credential-free `pulumi preview --policy-pack` of the project's stacks with the real CLI and engine: a local
 * file backend and a private PULUMI_HOME in a temporary directory, a throwaway passphrase, the stand-in provider
 * plugins of engine/providers installed under that PULUMI_HOME, and the project seen through a directory of links
 * in which only the stack files are copies (`pulumi stack select --create` writes an encryption salt into the
 * stack file, which must not touch the checked-in one).
 */
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Engine } from "./cli";
// eslint-disable-next-line @typescript-eslint/no-require-imports -- plain JavaScript shared with scripts/register.js
const { compiledJs } = require("../scripts/transpileCache.js") as { compiledJs: (filename: string) => string };

const PROJECT_ROOT = path.resolve(__dirname, "..");
const COMPILE_CACHE = path.join(PROJECT_ROOT, "scripts", "compileCache.js");

/** Stand-ins by plugin name; any other resource plugin a package requires gets the inert one. */
const STAND_INS: Record<string, string> = { aws: "aws.ts", awsx: "awsx.ts" };

export interface RequiredPlugin {
    readonly name: string;
    readonly version: string;
}

/** The resource plugins the installed packages require (package.json `pulumi.resource`), as the language host lists them. */
export function requiredPlugins(root = PROJECT_ROOT): RequiredPlugin[] {
    const found = new Map<string, RequiredPlugin>();
    const visit = (dir: string) => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
            if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
            const pkgDir = path.join(dir, entry.name);
            if (entry.name.startsWith("@")) {
                visit(pkgDir);
                continue;
            }
            const manifest = path.join(pkgDir, "package.json");
            if (fs.existsSync(manifest)) {
                const pkg = JSON.parse(fs.readFileSync(manifest, "utf8"));
                if (pkg.pulumi?.resource) {
                    const name = pkg.pulumi.name ?? String(pkg.name).replace(/^@pulumi\//, "");
                    const version = String(pkg.pulumi.version ?? pkg.version).replace(/^v/, "");
                    found.set(`${name}@${version}`, { name, version });
                }
            }
            const nested = path.join(pkgDir, "node_modules");
            if (fs.existsSync(nested)) visit(nested);
        }
    };
    visit(path.join(root, "node_modules"));
    return [...found.values()].sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
}

/** The temporary backend, PULUMI_HOME and project view shared by the previews of one run. */
export class PreviewWorkspace {
    readonly dir: string;
    readonly home: string;
    readonly state: string;
    readonly project: string;
    /** The throwaway PULUMI_CONFIG_PASSPHRASE of this workspace's stacks (tests decrypt their files with it). */
    readonly passphrase = crypto.randomBytes(24).toString("base64");

    private constructor(
        private readonly engine: Engine,
        readonly root: string,
    ) {
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-preview-"));
        this.home = path.join(this.dir, "home");
        this.state = path.join(this.dir, "state");
        this.project = path.join(this.dir, "project");
    }

    static create(
        engine: Engine,
        options: { root?: string; stackFiles?: Record<string, string> } = {},
    ): PreviewWorkspace {
        const ws = new PreviewWorkspace(engine, options.root ?? PROJECT_ROOT);
        fs.mkdirSync(ws.state, { recursive: true });
        ws.installStandIns();
        ws.linkProject(options.stackFiles ?? {});
        return ws;
    }

    /** Launchers under PULUMI_HOME/plugins, where the engine looks for `pulumi-resource-<name>` v<version>. */
    private installStandIns(): void {
        const register = path.join(this.root, "scripts", "register.js");
        for (const plugin of requiredPlugins(this.root)) {
            const dir = path.join(this.home, "plugins", `resource-${plugin.name}-v${plugin.version}`);
            fs.mkdirSync(dir, { recursive: true });
            const entry = path.join(__dirname, "providers", STAND_INS[plugin.name] ?? "inert.ts");
            const launcher = path.join(dir, `pulumi-resource-${plugin.name}`);
            fs.writeFileSync(
                launcher,
                [
                    "#!/bin/sh",
                    `export PULUMI_STANDIN_PLUGIN_NAME='${plugin.name}' PULUMI_STANDIN_PLUGIN_VERSION='${plugin.version}'`,
                    `exec node -r '${register}' '${entry}' "$@"`,
                    "",
                ].join("\n"),
                { mode: 0o755 },
            );
        }
    }

    /** Links to every top-level entry of the project; stack files copied (or replaced by `stackFiles`). */
    private linkProject(stackFiles: Record<string, string>): void {
        fs.mkdirSync(this.project);
        const asJavaScript = importedFolders(this.root);
        for (const entry of fs.readdirSync(this.root)) {
            if (entry === ".git") continue;
            const source = path.join(this.root, entry);
            const target = path.join(this.project, entry);
            if (/^Pulumi\..+\.yaml$/.test(entry)) fs.copyFileSync(source, target);
            else if (asJavaScript.includes(entry)) linkAsJavaScript(source, target);
            else fs.symlinkSync(source, target);
        }
        // The program's entry is JavaScript too: package.json names it, and Pulumi.yaml starts the program without
        // ts-node (runtime option typescript: false), which would otherwise transpile again what is JavaScript.
        writeJsMain(path.join(this.root, "package.json"), path.join(this.project, "package.json"));
        const projectFile = path.join(this.project, "Pulumi.yaml");
        const project = fs.readFileSync(projectFile, "utf8");
        const runtime = /^(runtime:\n(?:[ \t]+.*\n)*?[ \t]+typescript:[ \t]*)true[ \t]*$/m;
        if (runtime.test(project)) {
            fs.rmSync(projectFile);
            fs.writeFileSync(projectFile, project.replace(runtime, "$1false"));
        }
        for (const [stack, file] of Object.entries(stackFiles)) {
            fs.copyFileSync(file, path.join(this.project, `Pulumi.${stack}.yaml`));
        }
    }

    /** The CLI's environment: this workspace only, no update checks, no plugin downloads. */
    env(): NodeJS.ProcessEnv {
        return {
            ...process.env,
            PATH: [...this.engine.path, process.env.PATH ?? ""].join(path.delimiter),
            PULUMI_HOME: this.home,
            PULUMI_BACKEND_URL: `file://${this.state}`,
            PULUMI_CONFIG_PASSPHRASE: this.passphrase,
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            // `npm test` type-checks the program; the preview only runs it (the SDK's documented switch; the
            // program is JavaScript here, see importedFolders, but a .ts file it might still load is not type-checked).
            PULUMI_NODEJS_TRANSPILE_ONLY: "true",
            // V8's code cache for every node process the CLI starts (program, policy pack, plugins).
            NODE_OPTIONS: [process.env.NODE_OPTIONS, `--require ${JSON.stringify(COMPILE_CACHE)}`]
                .filter(Boolean)
                .join(" "),
            PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
        };
    }

    /** Runs the CLI in the project view; resolves with its exit code and what it printed. */
    run(
        args: readonly string[],
        extraEnv: NodeJS.ProcessEnv = {},
    ): Promise<{ code: number; stdout: string; stderr: string }> {
        return new Promise((resolve, reject) => {
            const child = spawn(this.engine.pulumi, args, { cwd: this.project, env: { ...this.env(), ...extraEnv } });
            const out: Buffer[] = [];
            const err: Buffer[] = [];
            child.stdout.on("data", (b: Buffer) => out.push(b));
            child.stderr.on("data", (b: Buffer) => err.push(b));
            child.on("error", reject);
            child.on("close", (code) =>
                resolve({
                    code: code ?? 1,
                    stdout: Buffer.concat(out).toString("utf8"),
                    stderr: Buffer.concat(err).toString("utf8"),
                }),
            );
        });
    }

    dispose(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

/**
 * What the engine starts is handed to it as JavaScript: the program's sources and the policy pack (index.ts, like
 * every top-level .ts file, too). `npm test` type-checks both; started as TypeScript, the program would be transpiled
 * by ts-node on every start, and the pack type-checked against @pulumi/aws's declarations on every start (the SDK's
 * cmd/run-policy-pack registers ts-node with type-checking and has no switch to turn it off:
 * PULUMI_NODEJS_TRANSPILE_ONLY is read by cmd/run only), most of a stack's CPU.
 */
const ENTRIES = ["index.ts", path.join("policy-pack", "index.ts")];

/**
 * The top-level folders the program and the policy pack load: their entries' relative imports followed through
 * every file they reach (a folder added to the program, such as a new deploy target, needs no list kept here).
 */
export function importedFolders(root = PROJECT_ROOT): string[] {
    const folders = new Set<string>();
    const seen = new Set<string>();
    const visit = (file: string): void => {
        if (seen.has(file)) return;
        seen.add(file);
        const top = path.relative(root, file).split(path.sep);
        if (top.length > 1) folders.add(top[0]);
        for (const [, spec] of fs
            .readFileSync(file, "utf8")
            .matchAll(/(?:from|import|require\()\s*"(\.{1,2}\/[^"]+)"/g)) {
            const base = path.resolve(path.dirname(file), spec);
            const found = [`${base}.ts`, path.join(base, "index.ts")].find((f) => fs.existsSync(f));
            if (found) visit(found);
        }
    };
    for (const entry of ENTRIES) visit(path.join(root, entry));
    return [...folders].sort();
}

/**
 * A directory of TypeScript as JavaScript: each .ts file gets its transpiled .js (scripts/transpileCache.js, cached by
 * source) next to a link to the .ts (stack traces map to it through the inline source map); a package.json whose main
 * is a .ts file names the .js; everything else is a link. Node resolves `./x` to x.js first.
 */
export function linkAsJavaScript(source: string, target: string): void {
    fs.mkdirSync(target);
    for (const entry of fs.readdirSync(source, { withFileTypes: true })) {
        const from = path.join(source, entry.name);
        const to = path.join(target, entry.name);
        if (entry.isDirectory() && entry.name !== "node_modules" && entry.name !== "test") {
            linkAsJavaScript(from, to);
        } else if (entry.name === "package.json") {
            writeJsMain(from, to);
        } else {
            fs.symlinkSync(from, to);
            if (entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) {
                fs.writeFileSync(to.replace(/\.ts$/, ".js"), compiledJs(from));
            }
        }
    }
}

/** package.json at `to`: a copy naming the .js of a .ts main (which is transpiled beside it), else a link. */
function writeJsMain(from: string, to: string): void {
    if (fs.existsSync(to)) fs.rmSync(to);
    const pkg = JSON.parse(fs.readFileSync(from, "utf8"));
    if (typeof pkg.main !== "string" || !pkg.main.endsWith(".ts")) {
        fs.symlinkSync(from, to);
        return;
    }
    const main = path.join(path.dirname(from), pkg.main);
    const js = path.join(path.dirname(to), pkg.main.replace(/\.ts$/, ".js"));
    if (!fs.existsSync(js)) fs.writeFileSync(js, compiledJs(main));
    fs.writeFileSync(to, JSON.stringify({ ...pkg, main: pkg.main.replace(/\.ts$/, ".js") }, null, 4) + "\n");
}

/** The command users run for a stack's preview with the policy pack and the stack's policy config. */
export function previewArgs(stack: string, root = PROJECT_ROOT, mode: "diff" | "json" = "diff"): string[] {
    const args = ["preview", "--stack", stack, "--policy-pack", "policy-pack"];
    const policyConfig = path.join("policy-pack", "config", `${stack}.json`);
    if (fs.existsSync(path.join(root, policyConfig))) args.push("--policy-pack-config", policyConfig);
    args.push("--non-interactive", mode === "json" ? "--json" : "--diff");
    return args;
}

export interface StackPreview {
    readonly stack: string;
    /** The CLI's exit code: 0 clean, otherwise what the CLI reported. */
    readonly code: number;
    /** What the CLI printed (its own messages). */
    readonly output: string;
    /** With mode "json": the engine events, one object per line of the CLI's streaming JSON. */
    readonly events?: Record<string, any>[];
    readonly seconds: number;
}

/** `pulumi stack select --create`, then the preview; the stack's output comes back whole. */
export async function previewStack(
    ws: PreviewWorkspace,
    stack: string,
    mode: "diff" | "json" = "diff",
): Promise<StackPreview> {
    const started = Date.now();
    const select = await ws.run(["stack", "select", "--create", stack, "--non-interactive"]);
    if (select.code !== 0) {
        return {
            stack,
            code: select.code,
            output: select.stdout + select.stderr,
            seconds: (Date.now() - started) / 1000,
        };
    }
    // The CLI's switch for engine events (policy verdicts included) instead of one summary object.
    const streaming = mode === "json" ? { PULUMI_ENABLE_STREAMING_JSON_PREVIEW: "true" } : {};
    const result = await ws.run(previewArgs(stack, ws.root, mode), streaming);
    const seconds = (Date.now() - started) / 1000;
    if (mode === "diff") return { stack, code: result.code, output: result.stdout + result.stderr, seconds };
    const events = result.stdout
        .split("\n")
        .filter((line) => line.trim().startsWith("{"))
        .map((line) => JSON.parse(line) as Record<string, any>);
    return { stack, code: result.code, output: result.stderr, events, seconds };
}

/** Previews the stacks, `concurrency` at a time, reporting each as soon as it and every earlier one is done. */
export async function previewStacks(
    ws: PreviewWorkspace,
    stacks: readonly string[],
    options: { mode?: "diff" | "json"; concurrency?: number; onDone?: (preview: StackPreview) => void } = {},
): Promise<StackPreview[]> {
    const results: StackPreview[] = new Array(stacks.length);
    const done: boolean[] = new Array(stacks.length).fill(false);
    let next = 0;
    let reported = 0;
    const worker = async () => {
        while (next < stacks.length) {
            const i = next++;
            results[i] = await previewStack(ws, stacks[i], options.mode);
            done[i] = true;
            for (; reported < stacks.length && done[reported]; reported++) options.onDone?.(results[reported]);
        }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 2) }, worker));
    return results;
}
