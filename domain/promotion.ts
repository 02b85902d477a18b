import { ENVIRONMENTS, EnvironmentName } from "./config";

/** The environment whose tested image an environment promotes, or undefined for dev (which builds). */
export function previousEnvironment(env: EnvironmentName): EnvironmentName | undefined {
    const i = ENVIRONMENTS.indexOf(env);
    return i > 0 ? ENVIRONMENTS[i - 1] : undefined;
}

/** The environment that promotes what this one has deployed, or undefined for prod. */
export function nextEnvironment(env: EnvironmentName): EnvironmentName | undefined {
    return ENVIRONMENTS[ENVIRONMENTS.indexOf(env) + 1];
}
