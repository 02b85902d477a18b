/**
 * The ordered deploy as code, with the Automation API: each stack in deploy order (tool, dev, qa, stage, prod) is
 * created or selected in a LocalWorkspace over the project, then previewed or updated with the policy pack and the
 * stack's policy config, exactly as `pulumi up --policy-pack policy-pack --policy-pack-config
 * policy-pack/config/<stack>.json` from the CLI. The first stack that fails stops the run: later stacks are not
 * touched. The same code runs from a laptop, in the deploy workflow (one stack per job) and, with the preview
 * workspace of engine/preview.ts, offline against stand-in providers.
 */
import { execFile } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { promisify } from "util";
import { CommandError, LocalWorkspace, LocalWorkspaceOptions, Stack } from "@pulumi/pulumi/automation";

export type DeployMode = "preview" | "up";

export interface DeployTarget {
    /** The project directory the CLI runs in (the repository, or the preview workspace's view of it). */
    readonly workDir: string;
    /** Environment of every CLI command (backend, PULUMI_HOME, passphrase, PATH); default the process's. */
    readonly env?: NodeJS.ProcessEnv;
    /** The secrets provider of a stack this run creates (`awskms://...`); default the CLI's. */
    readonly secretsProvider?: string;
}

export interface StackDeploy {
    readonly stack: string;
    readonly ok: boolean;
    readonly seconds: number;
    /** What the engine reported for a failed stack: its error lines, the provider's message among them. */
    readonly error?: string;
}

/** The policy flags of a stack: the pack, and the stack's config when `policy-pack/config/<stack>.json` exists. */
export function policyOptions(stack: string, workDir: string): { policyPacks: string[]; policyPackConfigs: string[] } {
    const config = path.join("policy-pack", "config", `${stack}.json`);
    return {
        policyPacks: ["policy-pack"],
        policyPackConfigs: fs.existsSync(path.join(workDir, config)) ? [config] : [],
    };
}

/** Only string values: the Automation API passes envVars to every command. */
function stringEnv(env: NodeJS.ProcessEnv): Record<string, string> {
    return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === "string"));
}

/** The lines of a failed command that say why: the engine's `error:` lines, else its last lines. */
export function failureLines(e: unknown): string {
    const text = e instanceof CommandError || e instanceof Error ? e.message : String(e);
    const lines = text.split("\n").map((l) => l.trimEnd());
    const errors = lines.filter((l) => /\berror:/.test(l));
    return (errors.length > 0 ? errors : lines.filter((l) => l.trim()).slice(-10)).join("\n");
}

/**
 * The secrets provider a stack is created with: `url` with the KMS encryption context pulumi_stack=<stack>
 * (gocloud's awskms `context_` parameter), which the key policy of bootstrap/state.yaml requires: each stack's roles
 * decrypt only their own stack's secrets. Other providers, and a URL that already sets it, are left as they are.
 */
export function stackSecretsProvider(url: string, stack: string): string {
    if (!url.startsWith("awskms://") || /[?&]context_pulumi_stack=/.test(url)) return url;
    return `${url}${url.includes("?") ? "&" : "?"}context_pulumi_stack=${encodeURIComponent(stack)}`;
}

function workspaceOptions(stack: string, target: DeployTarget): LocalWorkspaceOptions {
    return {
        workDir: target.workDir,
        envVars: stringEnv(target.env ?? process.env),
        ...(target.env?.PULUMI_HOME ? { pulumiHome: target.env.PULUMI_HOME } : {}),
        ...(target.secretsProvider ? { secretsProvider: stackSecretsProvider(target.secretsProvider, stack) } : {}),
    };
}

/** `pulumi stack select --create <stack>` through the Automation API. */
export async function selectStack(stack: string, target: DeployTarget): Promise<Stack> {
    return LocalWorkspace.createOrSelectStack(
        { stackName: stack, workDir: target.workDir },
        workspaceOptions(stack, target),
    );
}

/**
 * The command that creates a stack with its per-stack secrets context, for whoever holds the state account's
 * credentials: nothing needs committing afterwards, the secrets provider is kept in the stack's state.
 */
export function createStackCommand(stack: string): string {
    return `pulumi stack select --create ${stack} --non-interactive --secrets-provider "$PULUMI_SECRETS_PROVIDER&context_pulumi_stack=${stack}"`;
}

/** `pulumi stack select <stack>`: a saved plan needs the stack it was computed against, so none is created here. */
async function selectExistingStack(stack: string, target: DeployTarget): Promise<Stack> {
    try {
        return await LocalWorkspace.selectStack(
            { stackName: stack, workDir: target.workDir },
            workspaceOptions(stack, target),
        );
    } catch (e) {
        if (!/no stack named/i.test(failureLines(e))) throw e;
        throw new Error(
            `error: stack ${stack} is not in the state backend yet, and a saved plan needs the stack it was computed ` +
                `against: create it once with the state account's credentials (nothing to commit afterwards), then ` +
                `run the deploy again: ${createStackCommand(stack)}`,
            { cause: e },
        );
    }
}

/** The files of a stack's saved plan in `dir`: the CLI's plan and the fingerprint of the state it was computed on. */
export function savedPlanFiles(dir: string, stack: string): { plan: string; state: string } {
    return { plan: path.join(dir, `${stack}.plan.json`), state: path.join(dir, `${stack}.state.sha256`) };
}

/**
 * The sha256 of `pulumi stack export` (secrets stay ciphertext): any update, import or state edit changes it. The
 * CLI's plan alone would not notice every move: an update constrained by a plan accepts a "same" where the plan
 * says create or update (ConstrainedTo in pulumi/pulumi pkg/resource/deploy/step.go, v3.248.0).
 */
export async function stateFingerprint(stack: string, target: DeployTarget): Promise<string> {
    const { stdout } = await promisify(execFile)("pulumi", ["stack", "export", "--stack", stack], {
        cwd: target.workDir,
        env: target.env ?? process.env,
        maxBuffer: 1 << 30,
    });
    return crypto.createHash("sha256").update(stdout).digest("hex");
}

/**
 * `pulumi preview --save-plan`, with the policy pack, and the fingerprint of the state it was computed against:
 * what the approver sees is what `applySavedPlan` applies.
 */
async function savePlan(stack: string, target: DeployTarget, dir: string, onOutput?: (text: string) => void) {
    const selected = await selectExistingStack(stack, target);
    const files = savedPlanFiles(dir, stack);
    fs.mkdirSync(dir, { recursive: true });
    const before = await stateFingerprint(stack, target);
    await selected.preview({ ...policyOptions(stack, target.workDir), diff: true, plan: files.plan, onOutput });
    fs.writeFileSync(files.state, `${before}\n`);
}

/**
 * `pulumi up --plan` of the saved plan, after checking that the stack has not moved since the plan was saved. The
 * CLI refuses any step the plan does not allow ("<op> is not allowed by the plan", pulumi/pulumi
 * pkg/resource/deploy/step_generator.go).
 */
async function applySavedPlan(stack: string, target: DeployTarget, dir: string, onOutput?: (text: string) => void) {
    const files = savedPlanFiles(dir, stack);
    for (const file of [files.plan, files.state]) {
        if (!fs.existsSync(file)) throw new Error(`error: no saved plan of ${stack}: ${file} is missing`);
    }
    const selected = await selectExistingStack(stack, target);
    const saved = fs.readFileSync(files.state, "utf8").trim();
    const now = await stateFingerprint(stack, target);
    if (now !== saved) {
        throw new Error(
            `error: stack ${stack} moved since its plan was saved (state sha256 ${saved.slice(0, 12)}, now ` +
                `${now.slice(0, 12)}): nothing was applied; run the deploy again to plan and approve the change anew`,
        );
    }
    await selected.up({ ...policyOptions(stack, target.workDir), plan: files.plan, onOutput });
}

/**
 * Previews or updates the stacks one after another, in the order given, and stops at the first failure.
 * `onOutput` receives the engine's output as it streams; `onDone` each stack's result. With `planDir`, a preview
 * saves each stack's plan there and an update applies exactly the plan saved there.
 */
export async function deployStacks(
    stacks: readonly string[],
    mode: DeployMode,
    target: DeployTarget,
    hooks: { onOutput?: (text: string) => void; onDone?: (result: StackDeploy) => void } = {},
    planDir?: string,
): Promise<StackDeploy[]> {
    const results: StackDeploy[] = [];
    for (const stack of stacks) {
        const started = Date.now();
        let result: StackDeploy;
        try {
            if (planDir !== undefined) {
                await (mode === "up" ? applySavedPlan : savePlan)(stack, target, planDir, hooks.onOutput);
            } else {
                const selected = await selectStack(stack, target);
                const options = { ...policyOptions(stack, target.workDir), onOutput: hooks.onOutput };
                if (mode === "up") await selected.up(options);
                else await selected.preview({ ...options, diff: true });
            }
            result = { stack, ok: true, seconds: (Date.now() - started) / 1000 };
        } catch (e) {
            result = { stack, ok: false, seconds: (Date.now() - started) / 1000, error: failureLines(e) };
        }
        results.push(result);
        hooks.onDone?.(result);
        if (!result.ok) break;
    }
    return results;
}
