/**
 * `npm run plan -- --stack <name> | --all [--base REF] [--stack-file FILE] [--policy-pack-config FILE]
 * [--json FILE] [--markdown FILE] [--sarif FILE] [--compliance DIR]`: the offline plan and policy gate, or with
 * `--base` what the working tree changes against another revision. Exit 0 clean, 1 mandatory policy violations, 2
 * config or program error (or bad arguments), 3 (with --base) access widens in stage or prod.
 */
import * as fs from "fs";
import * as path from "path";
import { STACK_ROLES, StackRole } from "../domain/config";
import { buildDiffReport, DiffReport } from "../offline/analysis/diff";
import { formatDiffMarkdown, formatDiffText } from "../offline/report/diffFormat";
import {
    buildReport,
    EXIT,
    packEvaluator,
    planStack,
    PlanReport,
    PolicyEvaluator,
    snapshotStack,
    StackPlan,
    StackSnapshot,
} from "../offline/analysis/plan";
import { formatMarkdown, formatText } from "../offline/report/planFormat";
import type { ComplianceReport } from "../offline/analysis/compliance";
import { RevisionError, RevisionSnapshot, snapshotRevision } from "../offline/analysis/revision";
import { listStacks, readProjectFile } from "../offline/runtime/stackFiles";
import { parseFlags, UsageError } from "./flags";

export { UsageError };

export const USAGE = `usage: npm run plan -- (--stack NAME | --all) [options]
  --stack NAME                 plan one stack (repeatable)
  --all                        plan every stack that has a Pulumi.<stack>.yaml
  --base REF                   compare with the git revision REF (planned in a temporary worktree): resources,
                               access, data loss, policy verdict; exit 3 when access widens in stage or prod
  --stack-file FILE            use FILE as the stack file (one --stack only)
  --policy-pack-config FILE    policy pack config (default: policy-pack/config/<stack>.json when it exists)
  --json FILE                  write the machine-readable report (PlanReport)
  --markdown FILE              write a pull-request comment with a Mermaid diagram
  --sarif FILE                 write the policy verdict as SARIF 2.1.0 (GitHub code scanning)
  --compliance DIR             write the compliance evidence (every policy x resource, NIST and FSBP summaries) into
                               DIR: compliance.csv, compliance-controls.csv, compliance.md, compliance.json
  --quiet                      print only the result line
exit: 0 clean, 1 mandatory policy violations, 2 config or program error, 3 access widens in stage or prod`;

export interface PlanArgs {
    stacks: string[];
    all: boolean;
    stackFile?: string;
    policyPackConfig?: string;
    json?: string;
    markdown?: string;
    /** Write the policy verdict as SARIF 2.1.0 (with --base: the working tree's). */
    sarif?: string;
    /** Write the compliance evidence into this directory. */
    compliance?: string;
    /** Compare with this git revision. */
    base?: string;
    /** Internal (the base revision's child process): write the stacks' snapshots to this file. */
    snapshot?: string;
    quiet: boolean;
}

export function parseArgs(argv: readonly string[]): PlanArgs {
    const flags = parseFlags(argv, {
        valued: [
            "--stack-file",
            "--policy-pack-config",
            "--json",
            "--markdown",
            "--sarif",
            "--compliance",
            "--base",
            "--snapshot",
        ],
        switches: ["--quiet"],
    });
    const given = (flag: string, key: keyof PlanArgs) =>
        flags.values.has(flag) ? { [key]: flags.values.get(flag) } : {};
    const args: PlanArgs = {
        stacks: flags.stacks,
        all: flags.all,
        ...given("--stack-file", "stackFile"),
        ...given("--policy-pack-config", "policyPackConfig"),
        ...given("--json", "json"),
        ...given("--markdown", "markdown"),
        ...given("--sarif", "sarif"),
        ...given("--compliance", "compliance"),
        ...given("--base", "base"),
        ...given("--snapshot", "snapshot"),
        quiet: flags.switches.has("--quiet"),
    };
    if (args.stackFile && args.stacks.length !== 1) throw new UsageError("--stack-file needs exactly one --stack");
    if (args.base && args.snapshot) throw new UsageError("--base and --snapshot do not go together");
    if (args.compliance && (args.base || args.snapshot))
        throw new UsageError("--compliance does not go with --base or --snapshot");
    return args;
}

/** Stacks in the documented deploy order (tool, dev, qa, stage, prod), then any others by name. */
export function deployOrder(stacks: readonly string[]): string[] {
    const rank = (s: string) => {
        const i = STACK_ROLES.indexOf(s as StackRole);
        return i === -1 ? STACK_ROLES.length : i;
    };
    return [...stacks].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** Plans the stacks one after another in this process (the mock runtime is reset for each run). */
export async function plan(args: PlanArgs, evaluate: PolicyEvaluator = packEvaluator): Promise<PlanReport> {
    const plans: StackPlan[] = [];
    for (const stack of stacksOf(args)) plans.push(await planStack(stack, planOptions(args, evaluate)));
    return buildReport(readProjectFile().name, plans);
}

const stacksOf = (args: PlanArgs) => (args.all ? deployOrder(listStacks()) : args.stacks);

const planOptions = (args: PlanArgs, evaluate: PolicyEvaluator) => ({
    stackFile: args.stackFile,
    policyPackConfig: args.policyPackConfig,
    evaluate,
});

/** The stacks' plans with their resources (what a base revision's child process writes). */
export async function snapshots(args: PlanArgs, evaluate: PolicyEvaluator = packEvaluator): Promise<StackSnapshot[]> {
    const out: StackSnapshot[] = [];
    for (const stack of stacksOf(args)) out.push(await snapshotStack(stack, planOptions(args, evaluate)));
    return out;
}

/** The compliance evidence of the stacks planned (the same stack file and policy config). */
export async function compliance(args: PlanArgs): Promise<ComplianceReport> {
    // Loaded when asked for, like the SARIF writer: a plain plan does not pay for them.
    const { complianceReport } = await import("../offline/analysis/compliance");
    return complianceReport(readProjectFile().name, stacksOf(args), {
        stackFile: args.stackFile,
        policyPackConfig: args.policyPackConfig,
    });
}

/**
 * The working tree against `args.base`: the base revision is planned in a child process while this one plans the
 * working tree. A file given with --stack-file or --policy-pack-config applies to both revisions.
 */
export async function diff(args: PlanArgs, evaluate: PolicyEvaluator = packEvaluator): Promise<DiffReport> {
    const absolute = (flag: string, file?: string) => (file ? [flag, path.resolve(file)] : []);
    const base = snapshotRevision(args.base!, {
        stacks: args.all ? undefined : args.stacks,
        planArgs: [
            ...absolute("--stack-file", args.stackFile),
            ...absolute("--policy-pack-config", args.policyPackConfig),
        ],
    });
    // Attach a handler at once: a failing base must not be an unhandled rejection while the head is planned.
    base.catch(() => undefined);
    const head = await snapshots(args, evaluate);
    return buildDiffReport(readProjectFile().name, await base, head);
}

/** The CLI. Returns the exit code; writes the report files it is asked for. */
export async function main(
    argv: readonly string[],
    io: { out: (s: string) => void; err: (s: string) => void } = {
        out: (s) => process.stdout.write(s),
        err: (s) => process.stderr.write(s),
    },
    /** The policy evaluator (tests pass the runner with fixture policies). */
    evaluate: PolicyEvaluator = packEvaluator,
): Promise<number> {
    let args: PlanArgs;
    try {
        args = parseArgs(argv);
    } catch (e) {
        io.err(`${(e as Error).message}\n${USAGE}\n`);
        return EXIT.error;
    }
    if (args.snapshot) {
        const stacks = await snapshots(args, evaluate);
        write(args.snapshot, JSON.stringify({ project: readProjectFile().name, stacks } satisfies RevisionSnapshot));
        return buildReport(
            readProjectFile().name,
            stacks.map((s) => s.plan),
        ).exitCode;
    }
    if (args.base) {
        let report: DiffReport;
        try {
            report = await diff(args, evaluate);
        } catch (e) {
            if (!(e instanceof RevisionError)) throw e;
            io.err(`${e.message}\n`);
            return EXIT.error;
        }
        const text = formatDiffText(report);
        io.out(args.quiet ? text.slice(text.lastIndexOf("Result:")) : text);
        if (args.json) write(args.json, JSON.stringify(report, null, 2) + "\n");
        if (args.markdown) write(args.markdown, formatDiffMarkdown(report));
        // The working tree's verdict, with its waived findings (from its evidence) as suppressed results.
        if (args.sarif) await writeSarif(args.sarif, report.head, await compliance(args));
        return report.exitCode;
    }
    // SARIF needs the evidence too (its waived findings are the suppressed results): with the pack's own evaluator
    // it is kept while the plan evaluates, so each stack runs once.
    const wantsEvidence = Boolean(args.compliance || args.sarif);
    const collector =
        wantsEvidence && evaluate === packEvaluator
            ? (await import("../offline/analysis/compliance")).evidenceCollector()
            : undefined;
    const report = await plan(args, collector?.evaluate ?? evaluate);
    const text = formatText(report);
    if (args.quiet) io.out(text.slice(text.lastIndexOf("Result:")));
    else io.out(text);
    if (args.json) write(args.json, JSON.stringify(report, null, 2) + "\n");
    if (args.markdown) write(args.markdown, formatMarkdown(report));
    const evidence = collector
        ? collector.report(report.project, report.stacks)
        : wantsEvidence
          ? await compliance(args)
          : undefined;
    if (evidence && args.compliance)
        (await import("../offline/report/complianceFormat")).writeComplianceFiles(args.compliance, evidence);
    if (args.sarif) await writeSarif(args.sarif, report.stacks, evidence);
    return report.exitCode;
}

/** Writes a report file, making its directory. */
function write(file: string, content: string): void {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    fs.writeFileSync(file, content);
}

/** The policy verdict as SARIF, waived findings (from the evidence) as suppressed results; the writer loads on use. */
async function writeSarif(file: string, stacks: readonly StackPlan[], evidence: ComplianceReport | undefined) {
    const { policySarif } = await import("../offline/report/sarif");
    const records = evidence?.stacks.flatMap((s) => s.records);
    write(file, JSON.stringify(policySarif(stacks, { records }), null, 2) + "\n");
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (e) => {
            process.stderr.write(`plan: ${e instanceof Error ? e.message : String(e)}\n`);
            process.exit(EXIT.error);
        },
    );
}
