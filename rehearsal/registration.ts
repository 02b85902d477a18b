/**
 * What the program registers for the rehearsed environments, run offline from their checked-in stack files: each
 * CodeBuild project's role and environment, and the service's task definition (its roles and tags). The rehearsal
 * runs each build with its project's registered role and variables, so the authorizer evaluates the calls against
 * exactly what `pulumi up` would create.
 */
import { runStack, StackRun } from "../offline/runtime/mockRuntime";
import { defineStack } from "../stacks/program";

/** One environment's registration, as the rehearsal uses it. */
export interface RegisteredEnvironment {
    /** The PLAINTEXT variables of the environment's projects (they agree on every name they share). */
    readonly vars: Readonly<Record<string, string>>;
    /** The service role of the project named `name`. */
    readonly roleOfProject: (name: string) => string;
    readonly taskRoleArn: string;
    readonly executionRoleArn: string;
    /** The tags of Pulumi's revision: the provider's default tags and the task definition's own. */
    readonly taskTags: readonly { key: string; value: string }[];
}

/** Runs the program for `stacks` under mocks (one at a time: the mocked runtime is global to the process). */
export async function registeredRuns(stacks: readonly string[]): Promise<StackRun[]> {
    const runs: StackRun[] = [];
    for (const stack of stacks) {
        const run = await runStack(stack, defineStack);
        if (run.error) throw run.error;
        runs.push(run);
    }
    return runs;
}

export function registeredEnvironment(run: StackRun, service: string): RegisteredEnvironment {
    const projects = run.resources.filter(
        (r) => r.type === "aws:codebuild/project:Project" && r.inputs.name.startsWith(`${service}-${run.stack}-`),
    );
    if (projects.length === 0) throw new Error(`${run.stack}: no CodeBuild project of the service ${service}`);
    const vars: Record<string, string> = {};
    for (const project of projects) {
        for (const v of project.inputs.environment.environmentVariables as {
            name: string;
            value: string;
            type: string;
        }[]) {
            if (v.type !== "PLAINTEXT") continue;
            if (v.name in vars && vars[v.name] !== v.value) {
                throw new Error(`${run.stack}: projects of ${service} disagree on ${v.name}`);
            }
            vars[v.name] = v.value;
        }
    }
    const taskDefinitions = run.resources.filter(
        (r) => r.type === "aws:ecs/taskDefinition:TaskDefinition" && r.inputs.family === service,
    );
    if (taskDefinitions.length !== 1) throw new Error(`${run.stack}: no task definition of the family ${service}`);
    const task = taskDefinitions[0].inputs;
    const tags = { ...JSON.parse(run.config["aws:defaultTags"] ?? "{}").tags, ...task.tags } as Record<string, string>;
    return {
        vars,
        roleOfProject: (name) => {
            const project = projects.find((p) => p.inputs.name === name);
            if (!project) throw new Error(`${run.stack}: no CodeBuild project named ${name}`);
            return project.inputs.serviceRole as string;
        },
        taskRoleArn: task.taskRoleArn,
        executionRoleArn: task.executionRoleArn,
        taskTags: Object.entries(tags).map(([key, value]) => ({ key, value })),
    };
}
