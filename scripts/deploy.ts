/**
 * `npm run deploy -- (--all | --stack NAME) [--preview-only] [--offline]`: the ordered deploy with the Automation
 * API (deploy/stacks.ts). Against your backend (PULUMI_BACKEND_URL, e.g. the s3:// URL of bootstrap/state.yaml) it
 * creates missing stacks with PULUMI_SECRETS_PROVIDER and runs `up` (or `preview`) with the policy pack, stack by
 * stack, stopping at the first failure. Without a backend, `--preview-only` runs offline, as `npm run preview` does:
 * the real CLI, stand-in providers, a throwaway file backend and passphrase. Exit 0 when every stack succeeded, 1 when
 * one failed (later stacks were not run), 2 on bad arguments, no backend for an update, or no CLI. `--save-plan DIR`
 * previews and saves each stack's plan (and the fingerprint of its state) in DIR; `--plan DIR` applies exactly
 * those plans, refusing a stack whose state moved since.
 */
import * as path from "path";
import { ensureEngine } from "../engine/cli";
import { deployStacks, DeployMode, DeployTarget, StackDeploy } from "../deploy/stacks";
import { PreviewWorkspace } from "../engine/preview";
import { listStacks } from "../offline/runtime/stackFiles";
import { parseFlags, UsageError } from "./flags";
import { deployOrder } from "./plan";

export const USAGE = `usage: npm run deploy -- (--all | --stack NAME) [options]
  --all                   every stack, in deploy order: tool, dev, qa, stage, prod
  --stack NAME            one stack (repeatable; run in deploy order)
  --preview-only          preview instead of update
  --offline               stand-in providers, a throwaway file backend and passphrase (the default for
                          --preview-only when PULUMI_BACKEND_URL is not set); an update there fails at its
                          first resource, as no AWS is reached
  --secrets-provider URL  secrets provider of stacks created now (default: $PULUMI_SECRETS_PROVIDER)
  --save-plan DIR         preview existing stacks and save each one's plan, and its state's fingerprint, in DIR
  --plan DIR              update exactly the plans saved in DIR (pulumi up --plan); a stack whose state moved
                          since its plan was saved is refused
  --build                 use the CLI built from engine/ even when a compatible \`pulumi\` is on PATH
exit: 0 every stack succeeded, 1 a stack failed (the rest were not run), 2 bad arguments, no backend or no CLI`;

export interface DeployArgs {
    stacks: string[];
    all: boolean;
    previewOnly: boolean;
    offline: boolean;
    secretsProvider?: string;
    build: boolean;
    /** Save the plans here (with --preview-only implied). */
    savePlan?: string;
    /** Apply the plans saved here. */
    plan?: string;
}

export function parseArgs(argv: readonly string[]): DeployArgs {
    const flags = parseFlags(argv, {
        valued: ["--secrets-provider", "--save-plan", "--plan"],
        switches: ["--preview-only", "--offline", "--build"],
    });
    const savePlan = flags.values.get("--save-plan");
    const plan = flags.values.get("--plan");
    if (savePlan !== undefined && plan !== undefined) throw new UsageError("--save-plan and --plan exclude each other");
    if (plan !== undefined && flags.switches.has("--preview-only")) {
        throw new UsageError("--plan applies a saved plan: it excludes --preview-only");
    }
    return {
        stacks: flags.stacks,
        all: flags.all,
        previewOnly: flags.switches.has("--preview-only") || savePlan !== undefined,
        savePlan,
        plan,
        offline: flags.switches.has("--offline"),
        secretsProvider: flags.values.get("--secrets-provider"),
        build: flags.switches.has("--build"),
    };
}

export const NO_BACKEND =
    "no state backend: set PULUMI_BACKEND_URL to the BackendUrl output of bootstrap/state.yaml " +
    '(s3://<bucket>?region=<region>) and run `pulumi login "$PULUMI_BACKEND_URL"`; an update never falls back ' +
    "to another backend (or pass --offline to try it against the stand-in providers)";

export interface Io {
    out(text: string): void;
    err(text: string): void;
}

const processIo: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

export async function main(argv: readonly string[], io: Io = processIo, env = process.env): Promise<number> {
    let args: DeployArgs;
    try {
        args = parseArgs(argv);
    } catch (e) {
        io.err(`${(e as Error).message}\n${USAGE}\n`);
        return 2;
    }
    const known = listStacks();
    const unknown = args.stacks.filter((s) => !known.includes(s));
    if (unknown.length > 0) {
        io.err(`no stack file for ${unknown.join(", ")}: stacks here are ${deployOrder(known).join(", ")}\n`);
        return 2;
    }
    const stacks = deployOrder(args.all ? known : [...new Set(args.stacks)]);
    const mode: DeployMode = args.previewOnly ? "preview" : "up";
    const offline = args.offline || (args.previewOnly && !env.PULUMI_BACKEND_URL);
    if (!offline && !env.PULUMI_BACKEND_URL) {
        io.err(`${NO_BACKEND}\n`);
        return 2;
    }

    let engine;
    try {
        engine = ensureEngine({ preferPath: !args.build });
    } catch (e) {
        io.err(`${(e as Error).message}\n`);
        return 2;
    }
    // The Automation API runs the `pulumi` it finds on PATH.
    env.PATH = [...engine.path, env.PATH ?? ""].join(":");
    const ws = offline ? PreviewWorkspace.create(engine) : undefined;
    const target: DeployTarget = ws
        ? { workDir: ws.project, env: { ...ws.env(), PATH: env.PATH } }
        : {
              // npm runs scripts in the package root; a copy of the project (a test) deploys from its own.
              workDir: process.cwd(),
              env,
              secretsProvider: args.secretsProvider ?? env.PULUMI_SECRETS_PROVIDER,
          };
    io.err(
        `[deploy] pulumi v${engine.version}; ${mode} of ${stacks.join(", ")}; ` +
            (ws ? "offline: stand-in providers, throwaway file backend\n" : `backend ${env.PULUMI_BACKEND_URL}\n`),
    );
    const started = Date.now();
    try {
        const report = (r: StackDeploy) =>
            io.out(
                r.ok
                    ? `\n=== ${r.stack}: ${mode} succeeded in ${r.seconds.toFixed(1)} s\n`
                    : `\n=== ${r.stack}: ${mode} failed in ${r.seconds.toFixed(1)} s\n${r.error}\n`,
            );
        const results = await deployStacks(
            stacks,
            mode,
            target,
            { onOutput: io.out, onDone: report },
            // The CLI runs in the workspace's directory: the plans' directory is resolved here.
            (args.savePlan ?? args.plan) ? path.resolve(args.savePlan ?? args.plan!) : undefined,
        );
        const failed = results.find((r) => !r.ok);
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        if (!failed) {
            io.out(`\ndeploy: ${mode} of ${stacks.join(", ")} succeeded in ${seconds} s\n`);
            return 0;
        }
        const skipped = stacks.slice(results.length);
        io.out(
            `\ndeploy: ${failed.stack} failed; ` +
                (skipped.length > 0 ? `not run: ${skipped.join(", ")}` : "no stack after it") +
                ` (${seconds} s)\n`,
        );
        return 1;
    } finally {
        ws?.dispose();
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (e) => {
            process.stderr.write(`${(e as Error).stack ?? e}\n`);
            process.exit(2);
        },
    );
}
