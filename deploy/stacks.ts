/**
 * The ordered deploy as code, with the Automation API: each stack in deploy order (tool, dev, qa, stage, prod) is
 * created or selected in a LocalWorkspace over the project, then previewed or updated with the policy pack and the
 * stack's policy config, exactly as `pulumi up --policy-pack policy-pack --policy-pack-config
 * policy-pack/config/<stack>.json` from the CLI. The first stack that fails stops the run: later stacks are not
 * touched. The same code runs from a laptop, in the deploy workflow (one stack per job) and, with the preview
 * workspace of engine/preview.ts, offline against stand-in providers.
 */
import * as fs from "fs";
import * as path from "path";
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

/** `pulumi stack select --create <stack>` through the Automation API. */
export async function selectStack(stack: string, target: DeployTarget): Promise<Stack> {
    const options: LocalWorkspaceOptions = {
        workDir: target.workDir,
        envVars: stringEnv(target.env ?? process.env),
        ...(target.env?.PULUMI_HOME ? { pulumiHome: target.env.PULUMI_HOME } : {}),
        ...(target.secretsProvider ? { secretsProvider: stackSecretsProvider(target.secretsProvider, stack) } : {}),
    };
    return LocalWorkspace.createOrSelectStack({ stackName: stack, workDir: target.workDir }, options);
}

/**
 * Previews or updates the stacks one after another, in the order given, and stops at the first failure.
 * `onOutput` receives the engine's output as it streams; `onDone` each stack's result.
 */
export async function deployStacks(
    stacks: readonly string[],
    mode: DeployMode,
    target: DeployTarget,
    hooks: { onOutput?: (text: string) => void; onDone?: (result: StackDeploy) => void } = {},
): Promise<StackDeploy[]> {
    const results: StackDeploy[] = [];
    for (const stack of stacks) {
        const started = Date.now();
        let result: StackDeploy;
        try {
            const selected = await selectStack(stack, target);
            const options = { ...policyOptions(stack, target.workDir), onOutput: hooks.onOutput };
            if (mode === "up") await selected.up(options);
            else await selected.preview({ ...options, diff: true });
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
