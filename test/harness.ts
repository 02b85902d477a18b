import { defineStack } from "../stacks/program";
import { sharedKeys } from "../domain/configSchema";
import { RunOptions, runStack, StackRun } from "../offline/runtime/mockRuntime";

export { promiseOf } from "../offline/runtime/mockRuntime";
export type { RecordedResource, StackRun } from "../offline/runtime/mockRuntime";

/** Runs the real program for `stack` under mocks, with its real Pulumi.<stack>.yaml unless told otherwise. */
export function runProgram(stack: string, options: RunOptions = {}): Promise<StackRun> {
    return runStack(stack, defineStack, options);
}

const realStackRuns = new Map<string, Promise<StackRun>>();

/**
 * Runs a stack and fails with the program's own error if it threw. Runs of the real stack files (no options)
 * are made once per test process and shared: tests must not mutate what they get.
 */
export async function planStack(stack: string, options?: RunOptions): Promise<StackRun> {
    let pending = options ? undefined : realStackRuns.get(stack);
    if (!pending) {
        pending = runProgram(stack, options);
        if (!options) realStackRuns.set(stack, pending);
    }
    const run = await pending;
    if (run.error) throw run.error;
    return run;
}

/**
 * Config changes as a user makes them: the shared keys (services, account ids, branches, organizationId) in
 * Pulumi.yaml, for every stack (a temporary project), the others in the stack file.
 */
export function asUserWould(changes: Record<string, unknown>): RunOptions {
    const shared = Object.entries(changes).filter(([k]) => sharedKeys().includes(k));
    const own = Object.entries(changes).filter(([k]) => !sharedKeys().includes(k));
    return {
        overrides: Object.fromEntries(own),
        ...(shared.length > 0 ? { projectValues: Object.fromEntries(shared) } : {}),
    };
}
