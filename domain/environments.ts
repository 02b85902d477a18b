/**
 * The environments, in promotion order, and what each one is: one row per environment, read by the config rules,
 * the components, the pipeline and the offline diff. A trait that differs between environments is a column here,
 * not an `env === "prod"` in a component. SDK-free.
 */

export const ENVIRONMENTS = ["dev", "qa", "stage", "prod"] as const;
export type EnvironmentName = (typeof ENVIRONMENTS)[number];

export interface EnvironmentTraits {
    /** dev builds the image from source; every later environment promotes the one the previous environment tested. */
    readonly image: "building" | "promoting";
    /** Its pipeline stops at a manual approval before deploying (the config refuses turning it off). */
    readonly approvalRequired: boolean;
    /** Data-bearing resources (keys, buckets, logs) are protected and retained on destroy. */
    readonly protectedData: boolean;
    /** Its changes are reviewed from a saved plan: the diff report flags replacements and data loss as blocking. */
    readonly gatedChanges: boolean;
    /** NAT gateways of a created VPC: one per zone keeps egress through a zone outage. */
    readonly natGateways: "Single" | "OnePerAz";
    /** Developers own it (experiments inside the boundary); elsewhere they read metadata. */
    readonly developerOwned: boolean;
}

const INTEGRATION: EnvironmentTraits = {
    image: "promoting",
    approvalRequired: false,
    protectedData: false,
    gatedChanges: false,
    natGateways: "Single",
    developerOwned: false,
};
const RELEASE: EnvironmentTraits = {
    image: "promoting",
    approvalRequired: true,
    protectedData: true,
    gatedChanges: true,
    natGateways: "OnePerAz",
    developerOwned: false,
};

export const ENVIRONMENT_TRAITS: Readonly<Record<EnvironmentName, EnvironmentTraits>> = {
    dev: { ...INTEGRATION, image: "building", developerOwned: true },
    qa: INTEGRATION,
    stage: RELEASE,
    prod: RELEASE,
};

/** The environments with a trait, in promotion order. */
export function environmentsWhere(trait: (t: EnvironmentTraits) => boolean): EnvironmentName[] {
    return ENVIRONMENTS.filter((env) => trait(ENVIRONMENT_TRAITS[env]));
}

/** Whether a stack role (an environment or the tool account) is an environment with a trait. */
export function hasTrait(role: string | undefined, trait: (t: EnvironmentTraits) => boolean): boolean {
    return isEnvironment(role) && trait(ENVIRONMENT_TRAITS[role]);
}

export function isEnvironment(role: string | undefined): role is EnvironmentName {
    return (ENVIRONMENTS as readonly string[]).includes(role ?? "");
}

/** The environment whose tested image an environment promotes, or undefined for dev (which builds). */
export function previousEnvironment(env: EnvironmentName): EnvironmentName | undefined {
    const i = ENVIRONMENTS.indexOf(env);
    return i > 0 ? ENVIRONMENTS[i - 1] : undefined;
}

/** The environment that promotes what this one has deployed, or undefined for prod. */
export function nextEnvironment(env: EnvironmentName): EnvironmentName | undefined {
    return ENVIRONMENTS[ENVIRONMENTS.indexOf(env) + 1];
}
