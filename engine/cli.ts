/**
 * The real Pulumi CLI for credential-free previews: a `pulumi` already on PATH at a compatible version, or the CLI
 * built from its Go module (github.com/pulumi/pulumi/pkg/v3) at the version of @pulumi/pulumi in the lockfile,
 * together with the stand-in Node.js language host of engine/languagehost. The build is cached per user (see
 * engineCacheDir), shared by every clone on the machine; it is redone only when engine/'s sources change.
 */
import { execFileSync, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const PROJECT_ROOT = path.resolve(__dirname, "..");
const ENGINE_DIR = __dirname;

export interface Engine {
    /** The `pulumi` executable. */
    readonly pulumi: string;
    /** Directories to put first on PATH so that the CLI finds its language host. */
    readonly path: readonly string[];
    readonly version: string;
    /** "path" for a CLI found on PATH, "built" for the one built here. */
    readonly origin: "path" | "built";
}

/** Version of @pulumi/pulumi in package-lock.json: the CLI version this project is tested with. */
export function lockedSdkVersion(root = PROJECT_ROOT): string {
    const lock = JSON.parse(fs.readFileSync(path.join(root, "package-lock.json"), "utf8"));
    const version = lock.packages?.["node_modules/@pulumi/pulumi"]?.version;
    if (!version) throw new Error("package-lock.json has no node_modules/@pulumi/pulumi");
    return version;
}

/** A CLI is compatible when it has the locked major version and is not older than the locked SDK. */
export function isCompatible(found: string, locked: string): boolean {
    const parse = (v: string) => v.replace(/^v/, "").split(/[.+-]/).slice(0, 3).map(Number);
    const [fMajor, fMinor, fPatch] = parse(found);
    const [lMajor, lMinor, lPatch] = parse(locked);
    if (fMajor !== lMajor) return false;
    return fMinor > lMinor || (fMinor === lMinor && fPatch >= lPatch);
}

function pulumiOnPath(): { pulumi: string; version: string } | undefined {
    const found = spawnSync("pulumi", ["version"], {
        encoding: "utf8",
        env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "1" },
    });
    if (found.status !== 0 || !found.stdout) return undefined;
    const which = spawnSync("sh", ["-c", "command -v pulumi"], { encoding: "utf8" });
    return { pulumi: which.stdout.trim(), version: found.stdout.trim().replace(/^v/, "") };
}

/** Where built CLIs are kept: $PULUMI_ENGINE_CACHE, else the user's cache directory (not node_modules: npm ci wipes it). */
export function engineCacheDir(): string {
    const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
    return process.env.PULUMI_ENGINE_CACHE || path.join(base, "devsecops-pipelines", "pulumi-engine");
}

/** Hash of what the build depends on: a change to go.mod, go.sum or the language host rebuilds. */
function sourceStamp(version: string): string {
    const hash = crypto.createHash("sha256").update(version);
    for (const file of ["go.mod", "go.sum", "tools.go", "languagehost/main.go"]) {
        hash.update(file).update(fs.readFileSync(path.join(ENGINE_DIR, file)));
    }
    return hash.digest("hex").slice(0, 16);
}

function log(message: string): void {
    process.stderr.write(`[engine] ${message}\n`);
}

/** Builds the CLI and the language host into `dir`, streaming go's progress to stderr. */
function build(version: string, dir: string): void {
    const goVersion = spawnSync("go", ["version"], { encoding: "utf8" });
    if (goVersion.status !== 0) {
        throw new Error(
            "no `pulumi` on PATH and no Go toolchain to build it: install the Pulumi CLI " +
                `v${version} or newer, or Go (https://go.dev/dl) so that this script can build it`,
        );
    }
    const goMod = fs.readFileSync(path.join(ENGINE_DIR, "go.mod"), "utf8");
    if (!goMod.includes(`github.com/pulumi/pulumi/pkg/v3 v${version}`)) {
        throw new Error(
            `engine/go.mod pins a CLI other than v${version} (the @pulumi/pulumi of package-lock.json): ` +
                `set github.com/pulumi/pulumi/pkg/v3 and sdk/v3 to v${version} and run \`go mod tidy\` in engine/`,
        );
    }
    fs.mkdirSync(dir, { recursive: true });
    const targets: [string, string][] = [
        ["pulumi", "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"],
        ["pulumi-language-nodejs", "./languagehost"],
    ];
    for (const [binary, pkg] of targets) {
        log(`building ${binary} v${version} (first run: several minutes) ...`);
        const started = Date.now();
        // The CLI and the host report this version (the release build stamps it the same way).
        const ldflags = `-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${version}`;
        const result = spawnSync("go", ["build", "-ldflags", ldflags, "-o", path.join(dir, binary), pkg], {
            cwd: ENGINE_DIR,
            stdio: ["ignore", "inherit", "inherit"],
            env: { ...process.env, GOFLAGS: "-buildvcs=false" },
        });
        if (result.status !== 0)
            throw new Error(`go build of ${pkg} failed (exit ${result.status}); see the output above`);
        log(`built ${binary} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
}

/**
 * The CLI to run. `preferPath` (default true) takes a compatible `pulumi` from PATH, as a user with the CLI
 * installed has; otherwise the cached build, built now if missing or stale.
 */
export function ensureEngine(options: { preferPath?: boolean; root?: string } = {}): Engine {
    const version = lockedSdkVersion(options.root);
    if (options.preferPath ?? true) {
        const onPath = pulumiOnPath();
        if (onPath && isCompatible(onPath.version, version)) {
            return {
                pulumi: onPath.pulumi,
                path: [path.dirname(onPath.pulumi)],
                version: onPath.version,
                origin: "path",
            };
        }
        if (onPath) log(`pulumi v${onPath.version} on PATH is older than v${version}: building v${version}`);
    }
    const stamp = sourceStamp(version);
    const dir = path.join(engineCacheDir(), `v${version}-${stamp}`);
    const stampFile = path.join(dir, "stamp");
    const built = fs.existsSync(stampFile) && fs.readFileSync(stampFile, "utf8") === stamp;
    if (!built) {
        build(version, dir);
        fs.writeFileSync(stampFile, stamp);
    }
    const pulumi = path.join(dir, "pulumi");
    const reported = execFileSync(pulumi, ["version"], {
        encoding: "utf8",
        env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "1" },
    });
    return { pulumi, path: [dir], version: reported.trim().replace(/^v/, ""), origin: "built" };
}
