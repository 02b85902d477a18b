/**
 * `npm run bench`: how long the offline plan takes. Prints figures only, asserts nothing.
 * Every process is timed by the wall clock, so a busy machine inflates all figures alike; the floor, the plan and the
 * engine preview also by their CPU (user + sys of every process they start; Linux with python3).
 *   - the floor: a bare `node -e "require('@pulumi/pulumi'); require('@pulumi/aws')"`, spawned in this run;
 *   - `npm run plan -- --all` as a spawned process (what CI pays), and its ratio to the floor;
 *   - `npm run plan -- --all --base HEAD` (the base revision planned in a worktree beside the working tree), and its
 *     ratio to the plan (target <= 2.5x);
 *   - in one process: loading, each stack's plan (program + policy verdict), peak RSS, and where a warm plan's time
 *     goes (the program under the mock runtime, the AWS constraint checks, the policy verdict; five stacks summed);
 *   - all five stacks as the services per account grow (1, 5, 25);
 *   - the real engine: `npm run preview -- --all` once (the CLI built beforehand, not timed), per stack and in all,
 *     beside the offline plan (skip with --no-engine).
 * Target: the five stacks' plan + verdict within 2x the floor, and linear in services; the engine preview of the
 * five stacks under a minute.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { performance } from "perf_hooks";

const ROOT = path.resolve(__dirname, "..");
/** Spawned runs of the floor and of the plan, interleaved so that a busy machine slows both alike. */
const RUNS = 5;
/** Repeats of each in-process scaling figure (the fastest is kept). */
const REPEATS = 3;
const SERVICE_COUNTS = [1, 5, 25];
/** How the `plan` and `bench` npm scripts start node (kept in step with package.json). */
const REGISTER = ["-r", "./scripts/register.js"];
const PLAN_NODE_ARGS = [...REGISTER, path.join("scripts", "plan.ts")];
const PREVIEW_NODE_ARGS = [...REGISTER, path.join("scripts", "preview.ts")];

interface ChildFigures {
    loadMs: number;
    stacks: Record<string, number>;
    allColdMs: number;
    allWarmMs: number;
    rssAfterAllMb: number;
    /** A warm plan of the five stacks in its parts, summed over the stacks. */
    parts: { programMs: number; constraintsMs: number; verdictMs: number };
    scaling: { services: number; ms: number; resources: number }[];
    peakRssMb: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timeProcess(args: string[], ok: readonly number[] = [0]): { ms: number; stdout: string } {
    const start = performance.now();
    const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8" });
    const ms = performance.now() - start;
    if (!ok.includes(r.status ?? -1)) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr || r.stdout}`);
    return { ms, stdout: r.stdout };
}

/** Runs in a child process: everything the plan does, timed step by step. */
async function child(): Promise<void> {
    const t0 = performance.now();
    const { planStack } = await import("../offline/analysis/plan");
    const { listStacks } = await import("../offline/runtime/stackFiles");
    const { deployOrder } = await import("./plan");
    const { packEvaluator, policyPackConfigFor } = await import("../offline/analysis/plan");
    const { runStack } = await import("../offline/runtime/mockRuntime");
    const { constraintProblems } = await import("../awsFacts/constraints");
    const { defineStack } = await import("../stacks/program");
    const loadMs = performance.now() - t0;
    const stacks = deployOrder(listStacks());
    const times: Record<string, number> = {};
    const all = async (projectValues?: Record<string, unknown>) => {
        let resources = 0;
        for (const stack of stacks) {
            const start = performance.now();
            const plan = await planStack(stack, { projectValues });
            if (plan.status === "error") throw new Error(`${stack}: ${plan.error?.message}`);
            times[stack] = performance.now() - start;
            resources += plan.resources.total;
        }
        return resources;
    };
    let start = performance.now();
    await all();
    const allColdMs = performance.now() - start;
    const coldStacks = { ...times };
    const rssAfterAllMb = process.resourceUsage().maxRSS / 1024;
    start = performance.now();
    await all();
    const allWarmMs = performance.now() - start;
    const parts = { programMs: 0, constraintsMs: 0, verdictMs: 0 };
    for (const stack of stacks) {
        start = performance.now();
        const run = await runStack(stack, defineStack, { outputs: "preview" });
        parts.programMs += performance.now() - start;
        start = performance.now();
        constraintProblems(run.resources, run.config["aws:region"]);
        parts.constraintsMs += performance.now() - start;
        start = performance.now();
        await packEvaluator(run, policyPackConfigFor(stack));
        parts.verdictMs += performance.now() - start;
    }
    const scaling: ChildFigures["scaling"] = [];
    for (const n of SERVICE_COUNTS) {
        // The stack files' own service first (their serviceSecrets name it), then svc-02, svc-03, ...
        const services = Array.from({ length: n }, (_, i) =>
            i === 0 ? "orders-api" : `svc-${String(i + 1).padStart(2, "0")}`,
        );
        let best = Infinity;
        let resources = 0;
        for (let r = 0; r < REPEATS; r++) {
            start = performance.now();
            resources = await all({ services });
            best = Math.min(best, performance.now() - start);
        }
        scaling.push({ services: n, ms: best, resources });
    }
    const figures: ChildFigures = {
        loadMs,
        stacks: coldStacks,
        allColdMs,
        allWarmMs,
        rssAfterAllMb,
        parts,
        scaling,
        peakRssMb: process.resourceUsage().maxRSS / 1024,
    };
    process.stdout.write(JSON.stringify(figures));
}

function parent(): void {
    const fmt = (ms: number) => `${ms.toFixed(0).padStart(6)} ms`;
    const floors: number[] = [];
    const plans: number[] = [];
    const floorCpu: number[] = [];
    const planCpu: number[] = [];
    const diffs: number[] = [];
    // A diff's exit code says what changed (1 violations, 3 widened), not whether it ran.
    timeProcess([...PLAN_NODE_ARGS, "--all", "--base", "HEAD", "--quiet"], [0, 1, 3]);
    for (let i = 0; i < RUNS; i++) {
        const floorRun = timeTree(["-e", "require('@pulumi/pulumi'); require('@pulumi/aws')"]);
        const planRun = timeTree([...PLAN_NODE_ARGS, "--all", "--quiet"], [0, 1]);
        floors.push(floorRun.ms);
        plans.push(planRun.ms);
        if (floorRun.cpuMs !== undefined && planRun.cpuMs !== undefined) {
            floorCpu.push(floorRun.cpuMs);
            planCpu.push(planRun.cpuMs);
        }
        diffs.push(timeProcess([...PLAN_NODE_ARGS, "--all", "--base", "HEAD", "--quiet"], [0, 1, 3]).ms);
    }
    const [floor, plan, diff] = [median(floors), median(plans), median(diffs)];
    const [floorBest, planBest] = [Math.min(...floors), Math.min(...plans)];
    const figures = JSON.parse(
        timeProcess([...REGISTER, path.join("scripts", "bench.ts"), "--child"]).stdout,
    ) as ChildFigures;

    const lines = [
        `Offline plan benchmark (${RUNS} spawned processes each, interleaved; node ${process.version})`,
        "",
        "                                                                   median    fastest",
        `floor: node -e "require('@pulumi/pulumi'); require('@pulumi/aws')"  ${fmt(floor)}  ${fmt(floorBest)}`,
        `npm run plan -- --all (process, 5 stacks + verdict)               ${fmt(plan)}  ${fmt(planBest)}`,
        `ratio to the floor (target <= 2x)                                  ${(plan / floor).toFixed(2).padStart(6)}x    ${(planBest / floorBest).toFixed(2).padStart(6)}x`,
        ...(planCpu.length === RUNS
            ? [
                  `CPU (user + sys): floor                                           ${fmt(median(floorCpu))}  ${fmt(Math.min(...floorCpu))}`,
                  `CPU (user + sys): npm run plan -- --all                           ${fmt(median(planCpu))}  ${fmt(Math.min(...planCpu))}`,
                  `CPU ratio to the floor (target <= 2x)                              ${(median(planCpu) / median(floorCpu)).toFixed(2).padStart(6)}x    ${(Math.min(...planCpu) / Math.min(...floorCpu)).toFixed(2).padStart(6)}x`,
              ]
            : []),
        `npm run plan -- --all --base HEAD (base + head diff, 5 stacks)     ${fmt(diff)}  ${fmt(Math.min(...diffs))}`,
        `ratio to the plan (target <= 2.5x)                                 ${(diff / plan).toFixed(2).padStart(6)}x    ${(Math.min(...diffs) / planBest).toFixed(2).padStart(6)}x`,
        "",
        "In one process:",
        `  load the plan, program, SDK and policy pack                      ${fmt(figures.loadMs)}`,
        ...Object.entries(figures.stacks).map(
            ([stack, ms]) => `  plan + verdict ${stack.padEnd(6)} (first run in the process)            ${fmt(ms)}`,
        ),
        `  all five, first run                                              ${fmt(figures.allColdMs)}`,
        `  all five, again (warm)                                           ${fmt(figures.allWarmMs)}`,
        `  peak RSS after all five                                          ${figures.rssAfterAllMb.toFixed(0).padStart(6)} MB`,
        "  where a warm plan of the five goes:",
        `    the program under the mock runtime                             ${fmt(figures.parts.programMs)}`,
        `    AWS constraint checks (schemas and documented constraints)     ${fmt(figures.parts.constraintsMs)}`,
        `    the policy pack's verdict                                      ${fmt(figures.parts.verdictMs)}`,
        "",
        `All five stacks as services per account grow (warm, fastest of ${REPEATS}):`,
        ...figures.scaling.map(
            (s) =>
                `  ${String(s.services).padStart(3)} service${s.services === 1 ? " " : "s"}  ${String(s.resources).padStart(5)} resources  ${fmt(s.ms)}  ${(s.ms / s.services).toFixed(1).padStart(7)} ms per service`,
        ),
        `  peak RSS                                                         ${figures.peakRssMb.toFixed(0).padStart(6)} MB`,
    ];
    if (!process.argv.includes("--no-engine")) lines.push("", ...engineFigures(plan));
    process.stdout.write(lines.join("\n") + "\n");
}

/**
 * CPU seconds (user + system) of a command and of every process it starts, on Linux with python3: the command runs
 * under a child subreaper, so that processes whose parent was killed before reaping them (the engine kills its
 * plugins, the policy pack's language host with the pack) are reaped and counted too; getrusage of children alone
 * would miss them. Undefined elsewhere.
 */
const TREE_CPU = `
import ctypes, os, resource, subprocess, sys
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
child = subprocess.Popen(sys.argv[1:], stdout=sys.stdout, stderr=sys.stderr)
status = 1
while True:
    try:
        pid, st = os.waitpid(-1, 0)
    except ChildProcessError:
        break
    if pid == child.pid:
        status = os.waitstatus_to_exitcode(st)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
sys.stderr.write("tree-cpu %.3f\\n" % (r.ru_utime + r.ru_stime))
sys.exit(status)
`;

function timeTree(args: string[], ok: readonly number[] = [0]): { ms: number; cpuMs?: number; stdout: string } {
    const python = process.platform === "linux" ? spawnSync("python3", ["--version"]) : undefined;
    if (!python || python.status !== 0) return timeProcess(args, ok);
    const start = performance.now();
    const r = spawnSync("python3", ["-c", TREE_CPU, process.execPath, ...args], { cwd: ROOT, encoding: "utf8" });
    const ms = performance.now() - start;
    if (!ok.includes(r.status ?? -1)) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr || r.stdout}`);
    const cpu = /^tree-cpu ([\d.]+)$/m.exec(r.stderr);
    return { ms, cpuMs: cpu ? Number(cpu[1]) * 1000 : undefined, stdout: r.stdout };
}

/** One real-engine preview of every stack (after a run that builds or finds the CLI), beside the offline plan. */
function engineFigures(planMs: number): string[] {
    const fmt = (ms: number) => `${ms.toFixed(0).padStart(6)} ms`;
    timeProcess([...PREVIEW_NODE_ARGS, "--stack", "tool"]);
    const { ms, cpuMs, stdout } = timeTree([...PREVIEW_NODE_ARGS, "--all"]);
    const perStack = [...stdout.matchAll(/^=== (\S+): clean in ([\d.]+) s$/gm)].map(([, stack, seconds]) => ({
        stack,
        ms: Number(seconds) * 1000,
    }));
    return [
        "Real engine: pulumi preview --policy-pack of every stack (stand-in providers; 2 stacks at a time):",
        ...perStack.map(
            (p) => `  ${p.stack.padEnd(6)} stack select + preview                                ${fmt(p.ms)}`,
        ),
        `  npm run preview -- --all (process; target < 60 s)                ${fmt(ms)}`,
        cpuMs === undefined
            ? "  CPU of every process of the preview: not measured (needs Linux and python3)"
            : `  CPU of every process of the preview (user + sys; target <= 20 s) ${fmt(cpuMs)}`,
        `  ratio to the offline plan of the five stacks                     ${(ms / planMs).toFixed(1).padStart(6)}x`,
    ];
}

if (require.main === module) {
    if (process.argv.includes("--child")) {
        child().catch((e) => {
            process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
            process.exit(2);
        });
    } else parent();
}
