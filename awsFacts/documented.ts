/**
 * Constraints AWS documents but its resource schemas leave out, per Pulumi type: each takes the resource's inputs
 * (unknown values are `skip`) and returns its failures. One function a constraint, each citing its source.
 */
/** A refused input, as a provider's Check reports it: the property path and why. */
export interface ConstraintFailure {
    /** The Pulumi property path, e.g. `defaultActions[0].type`; empty for the resource as a whole. */
    readonly property: string;
    readonly reason: string;
}

type Inputs = Readonly<Record<string, unknown>>;
type Documented = (inputs: Inputs, skip: symbol) => ConstraintFailure[];

const GIB = 1024;
const range = (from: number, to: number, step: number) =>
    Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);

/**
 * Fargate task sizes: task CPU in units and the memory (MiB) each allows. "For task definitions that specify FARGATE
 * for the requiresCompatibilities parameter (even if EC2 is also specified), you must use one of the values in the
 * following table" (Amazon ECS Developer Guide, "Troubleshoot Amazon ECS task definition invalid CPU or memory
 * errors"; the same table in the TaskDefinition API reference, `memory`).
 */
export const FARGATE_TASK_SIZES: Readonly<Record<number, readonly number[]>> = {
    256: [512, 1024, 2048],
    512: range(1 * GIB, 4 * GIB, GIB),
    1024: range(2 * GIB, 8 * GIB, GIB),
    2048: range(4 * GIB, 16 * GIB, GIB),
    4096: range(8 * GIB, 30 * GIB, GIB),
    8192: range(16 * GIB, 60 * GIB, 4 * GIB),
    16384: range(32 * GIB, 120 * GIB, 8 * GIB),
};

/** "The cpu value can be expressed in CPU units or vCPUs ... The memory value can be expressed in MiB or GB" (same page). */
function units(value: unknown, unit: RegExp, per: number): number | undefined {
    const text = String(value).trim();
    if (/^\d+$/.test(text)) return Number(text);
    const match = unit.exec(text);
    return match ? Math.round(Number(match[1]) * per) : undefined;
}

const fargateTaskSize: Documented = (inputs, skip) => {
    const compat = inputs.requiresCompatibilities;
    if (!Array.isArray(compat) || !compat.includes("FARGATE")) return [];
    const failures: ConstraintFailure[] = [];
    const where = "Fargate task size, Amazon ECS Developer Guide";
    const cpu =
        inputs.cpu === skip || inputs.cpu === undefined ? undefined : units(inputs.cpu, /^(\d*\.?\d+)\s*vcpu$/i, 1024);
    if (inputs.cpu === undefined) failures.push({ property: "cpu", reason: `is required on Fargate (${where})` });
    else if (inputs.cpu !== skip && (cpu === undefined || !FARGATE_TASK_SIZES[cpu])) {
        failures.push({
            property: "cpu",
            reason: `${JSON.stringify(inputs.cpu)} is not a Fargate task CPU: one of ${Object.keys(FARGATE_TASK_SIZES).join(", ")} CPU units (${where})`,
        });
    }
    const memory =
        inputs.memory === skip || inputs.memory === undefined
            ? undefined
            : units(inputs.memory, /^(\d*\.?\d+)\s*gb$/i, GIB);
    if (inputs.memory === undefined) failures.push({ property: "memory", reason: `is required on Fargate (${where})` });
    else if (
        cpu !== undefined &&
        FARGATE_TASK_SIZES[cpu] &&
        memory !== undefined &&
        !FARGATE_TASK_SIZES[cpu].includes(memory)
    ) {
        const allowed = FARGATE_TASK_SIZES[cpu];
        failures.push({
            property: "memory",
            reason: `${JSON.stringify(inputs.memory)} MiB is not allowed with ${cpu} CPU units: ${allowed[0]} to ${allowed[allowed.length - 1]} in steps of ${allowed.length > 1 ? allowed[1] - allowed[0] : 0} (${where})`,
        });
    }
    return failures;
};

/**
 * "Fargate ... The awsvpc network mode is required" (Amazon ECS Developer Guide, task definition parameters for
 * Fargate, networkMode: "If using the Fargate launch type, the awsvpc network mode is required").
 */
const fargateNetworkMode: Documented = (inputs, skip) => {
    const compat = inputs.requiresCompatibilities;
    if (!Array.isArray(compat) || !compat.includes("FARGATE") || inputs.networkMode === skip) return [];
    return inputs.networkMode === "awsvpc"
        ? []
        : [
              {
                  property: "networkMode",
                  reason: `${JSON.stringify(inputs.networkMode ?? "(none)")} on Fargate: the awsvpc network mode is required (Amazon ECS Developer Guide, networkMode)`,
              },
          ];
};

/**
 * "To create an HTTPS listener, you must deploy at least one SSL server certificate on your load balancer" (Elastic
 * Load Balancing, HTTPS listeners for your Application Load Balancer); the same for a TLS listener of a Network
 * Load Balancer.
 */
const certificateForTls: Documented = (inputs) =>
    (inputs.protocol === "HTTPS" || inputs.protocol === "TLS") && inputs.certificateArn === undefined
        ? [
              {
                  property: "certificateArn",
                  reason: `is required for a ${inputs.protocol} listener (Elastic Load Balancing: "you must deploy at least one SSL server certificate")`,
              },
          ]
        : [];

/**
 * "You must select at least two Availability Zone subnets" for an Application Load Balancer (Elastic Load Balancing,
 * Availability Zones for your Application Load Balancer).
 */
const albSubnets: Documented = (inputs, skip) => {
    const type = inputs.loadBalancerType ?? "application";
    const subnets = inputs.subnets;
    if (type !== "application" || !Array.isArray(subnets) || subnets.includes(skip)) return [];
    return subnets.length >= 2
        ? []
        : [
              {
                  property: "subnets",
                  reason: `has ${subnets.length} subnet${subnets.length === 1 ? "" : "s"}: an Application Load Balancer needs subnets in at least two Availability Zones (Elastic Load Balancing)`,
              },
          ];
};

export const DOCUMENTED: Readonly<Record<string, readonly Documented[]>> = {
    "aws:ecs/taskDefinition:TaskDefinition": [fargateTaskSize, fargateNetworkMode],
    "aws:lb/listener:Listener": [certificateForTls],
    "aws:lb/loadBalancer:LoadBalancer": [albSubnets],
};
