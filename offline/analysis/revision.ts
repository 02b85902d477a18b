/**
 * Plans another git revision of the project (`npm run plan -- --base REF`): checks it out in a temporary worktree,
 * links this checkout's node_modules, lays this revision's plan tooling (offline/, scripts/) over it so that both
 * revisions are planned and compared by the same code, and runs the plan there in a child process (in parallel
 * with this process planning the working tree). The base's own program, stack files and policy pack are used.
 */
import { spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { StackSnapshot } from "./plan";
import { PROJECT_ROOT } from "../runtime/stackFiles";

/** What `--snapshot FILE` writes: the stacks' plans with the resources they registered. */
export interface RevisionSnapshot {
    readonly project: string;
    readonly stacks: StackSnapshot[];
}

/** A base revision that cannot be checked out or planned; the message says which and why. */
export class RevisionError extends Error {}

const STALE_LOCK_MS = 10 * 60 * 1000;

/** The plan tooling laid over the base revision (what imports the program, never imported by it). */
const TOOLING = ["offline", "scripts"];
/**
 * Folders the tooling shares with the program: a file the base revision lacks (a module added since, which this
 * checkout's tooling imports) is copied in; the base's own files are never replaced, so its program runs as it was.
 */
const SHARED_WITH_PROGRAM = ["domain", "awsFacts"];

function git(args: string[], cwd: string): string {
    const r = spawnSync("git", args, { cwd, encoding: "utf8" });
    if (r.status !== 0) throw new RevisionError(`git ${args.join(" ")}: ${(r.stderr || r.stdout).trim()}`);
    return r.stdout.trim();
}

/** The commit a ref names, or a RevisionError that says the ref is unknown. */
export function resolveCommit(ref: string, root = PROJECT_ROOT): string {
    try {
        return git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], root);
    } catch {
        throw new RevisionError(`--base ${ref}: not a commit of this repository (try a branch, tag or commit id)`);
    }
}

export interface RevisionOptions {
    /** Stacks to plan (`--all`: every stack file of the base revision). */
    readonly stacks?: readonly string[];
    /** Extra plan arguments (absolute paths), e.g. `--policy-pack-config`. */
    readonly planArgs?: readonly string[];
    readonly root?: string;
}

/** Plans the stacks of `ref` in a temporary worktree; always removes the worktree. */
export async function snapshotRevision(
    ref: string,
    options: RevisionOptions = {},
): Promise<{ ref: string; commit: string; project: string; stacks: StackSnapshot[] }> {
    const root = options.root ?? PROJECT_ROOT;
    const commit = resolveCommit(ref, root);
    const { dir, tree, release } = worktreePlace(root);
    try {
        git(["worktree", "add", "--detach", "--quiet", tree, commit], root);
        fs.symlinkSync(path.join(root, "node_modules"), path.join(tree, "node_modules"), "dir");
        for (const part of TOOLING) {
            fs.rmSync(path.join(tree, part), { recursive: true, force: true });
            fs.cpSync(path.join(root, part), path.join(tree, part), { recursive: true });
        }
        for (const part of SHARED_WITH_PROGRAM) {
            fs.cpSync(path.join(root, part), path.join(tree, part), { recursive: true, force: false });
        }
        const out = path.join(dir, `snapshot-${process.pid}.json`);
        const stacks = options.stacks
            ? options.stacks
                  .filter((s) => fs.existsSync(path.join(tree, `Pulumi.${s}.yaml`)))
                  .flatMap((s) => ["--stack", s])
            : ["--all"];
        if (stacks.length === 0) return { ref, commit, project: "", stacks: [] };
        const output = await run(
            [
                "-r",
                "./scripts/register.js",
                path.join("scripts", "plan.ts"),
                ...stacks,
                ...(options.planArgs ?? []),
                "--snapshot",
                out,
                "--quiet",
            ],
            tree,
            ref,
        );
        if (!fs.existsSync(out)) throw new RevisionError(`the plan of ${ref} wrote no snapshot:\n${output.trim()}`);
        const snapshot = JSON.parse(fs.readFileSync(out, "utf8")) as RevisionSnapshot;
        fs.rmSync(out, { force: true });
        return { ref, commit, project: snapshot.project, stacks: snapshot.stacks };
    } finally {
        spawnSync("git", ["worktree", "remove", "--force", tree], { cwd: root });
        fs.rmSync(tree, { recursive: true, force: true });
        spawnSync("git", ["worktree", "prune"], { cwd: root });
        release();
    }
}

/**
 * Where the worktree goes: a fixed directory per checkout, so that the TypeScript loader's cache (keyed by file
 * path and source) serves the unchanged files of every later run; a fresh temporary one while another run of the
 * same checkout holds the fixed one.
 */
function worktreePlace(root: string): { dir: string; tree: string; release: () => void } {
    const fixed = path.join(
        os.tmpdir(),
        `plan-base-${crypto.createHash("sha256").update(root).digest("hex").slice(0, 12)}`,
    );
    fs.mkdirSync(fixed, { recursive: true });
    const lock = path.join(fixed, "lock");
    // A lock older than any plan is left by a run that was killed.
    const stale = fs.existsSync(lock) && Date.now() - fs.statSync(lock).mtimeMs > STALE_LOCK_MS;
    if (stale) fs.rmSync(lock, { recursive: true, force: true });
    try {
        fs.mkdirSync(lock);
    } catch {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-base-"));
        return { dir, tree: path.join(dir, "tree"), release: () => fs.rmSync(dir, { recursive: true, force: true }) };
    }
    const tree = path.join(fixed, "tree");
    // A run that was killed may have left its worktree behind.
    spawnSync("git", ["worktree", "remove", "--force", tree], { cwd: root });
    fs.rmSync(tree, { recursive: true, force: true });
    return { dir: fixed, tree, release: () => fs.rmSync(lock, { recursive: true, force: true }) };
}

/** Runs node in the worktree; exit 0 and 1 (violations) are plans, anything else is a failure to plan. */
function run(args: string[], cwd: string, ref: string): Promise<string> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        child.stdout.on("data", (d) => (output += d));
        child.stderr.on("data", (d) => (output += d));
        child.on("error", reject);
        child.on("close", (code) => {
            if (code === 0 || code === 1 || code === 2) resolve(output);
            else reject(new RevisionError(`the plan of ${ref} failed (exit ${code}):\n${output.trim()}`));
        });
    });
}
