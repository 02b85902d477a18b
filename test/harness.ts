import { defineStack } from "../lib/program";
import { RunOptions, runStack, StackRun } from "../lib/offline/mockRuntime";

export { promiseOf } from "../lib/offline/mockRuntime";
export type { RecordedResource, StackRun } from "../lib/offline/mockRuntime";

/** Runs the real program for `stack` under mocks, with its real Pulumi.<stack>.yaml unless told otherwise. */
export function runProgram(stack: string, options: RunOptions = {}): Promise<StackRun> {
    return runStack(stack, defineStack, options);
}

/** Runs a stack and fails with the program's own error if it threw. */
export async function planStack(stack: string, options: RunOptions = {}): Promise<StackRun> {
    const run = await runProgram(stack, options);
    if (run.error) throw run.error;
    return run;
}
