/**
 * `npm run plan -- --stack <name> | --all [--stack-file FILE] [--policy-pack-config FILE] [--json FILE]
 * [--markdown FILE]`: the offline plan and policy gate. Exit 0 clean, 1 mandatory policy violations,
 * 2 config or program error (or bad arguments).
 */
import * as fs from "fs";
import * as path from "path";
import { STACK_ROLES, StackRole } from "../domain/config";
import { buildReport, EXIT, packEvaluator, planStack, PlanReport, PolicyEvaluator, StackPlan } from "../offline/plan";
import { formatMarkdown, formatText } from "../offline/planFormat";
import { listStacks, readProjectFile } from "../offline/stackFiles";

export const USAGE = `usage: npm run plan -- (--stack NAME | --all) [options]
  --stack NAME                 plan one stack (repeatable)
  --all                        plan every stack that has a Pulumi.<stack>.yaml
  --stack-file FILE            use FILE as the stack file (one --stack only)
  --policy-pack-config FILE    policy pack config (default: policy-pack/config/<stack>.json when it exists)
  --json FILE                  write the machine-readable report (PlanReport)
  --markdown FILE              write a pull-request comment with a Mermaid diagram
  --quiet                      print only the result line
exit: 0 clean, 1 mandatory policy violations, 2 config or program error`;

export interface PlanArgs {
    stacks: string[];
    all: boolean;
    stackFile?: string;
    policyPackConfig?: string;
    json?: string;
    markdown?: string;
    quiet: boolean;
}

export class UsageError extends Error {}

export function parseArgs(argv: readonly string[]): PlanArgs {
    const args: PlanArgs = { stacks: [], all: false, quiet: false };
    const valued = ["--stack", "--stack-file", "--policy-pack-config", "--json", "--markdown"];
    for (let i = 0; i < argv.length; i++) {
        const [flag, inline] = argv[i].startsWith("--") ? argv[i].split(/=(.*)/s) : [argv[i]];
        const value = () => {
            const v = inline ?? argv[++i];
            if (v === undefined || v === "") throw new UsageError(`${flag} needs a value`);
            return v;
        };
        if (!valued.includes(flag) && inline !== undefined) throw new UsageError(`${flag} takes no value`);
        switch (flag) {
            case "--stack":
                args.stacks.push(value());
                break;
            case "--all":
                args.all = true;
                break;
            case "--stack-file":
                args.stackFile = value();
                break;
            case "--policy-pack-config":
                args.policyPackConfig = value();
                break;
            case "--json":
                args.json = value();
                break;
            case "--markdown":
                args.markdown = value();
                break;
            case "--quiet":
                args.quiet = true;
                break;
            default:
                throw new UsageError(`unknown argument ${argv[i]}`);
        }
    }
    if (args.all === args.stacks.length > 0) throw new UsageError("give either --stack NAME or --all");
    if (args.stackFile && args.stacks.length !== 1) throw new UsageError("--stack-file needs exactly one --stack");
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
    const stacks = args.all ? deployOrder(listStacks()) : args.stacks;
    const plans: StackPlan[] = [];
    for (const stack of stacks) {
        plans.push(
            await planStack(stack, {
                stackFile: args.stackFile,
                policyPackConfig: args.policyPackConfig,
                evaluate,
            }),
        );
    }
    return buildReport(readProjectFile().name, plans);
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
    const report = await plan(args, evaluate);
    const text = formatText(report);
    if (args.quiet) io.out(text.slice(text.lastIndexOf("Result:")));
    else io.out(text);
    const write = (file: string, content: string) => {
        fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
        fs.writeFileSync(file, content);
    };
    if (args.json) write(args.json, JSON.stringify(report, null, 2) + "\n");
    if (args.markdown) write(args.markdown, formatMarkdown(report));
    return report.exitCode;
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
