import * as aws from "@pulumi/aws";
import { containerPortParameterName, DEPLOY_PARAMETERS_PATH } from "../targets/fargate/service";
import { CONTAINER_PORTS, isContainerPort } from "../domain/config";
import { InputRefusal } from "../domain/refusal";

/** A recorded served port that is no port: the program stops before registering anything. */
export class ServedPortError extends InputRefusal {
    constructor(message: string) {
        super("ServedPortError", message);
    }
}

/**
 * The port each running service receives load balancer traffic on, as its deploy step recorded it
 * (containerPortParameterName; targets/fargate/service.ts, note 5). A service without a record (never deployed by
 * this program) is absent. One GetParametersByPath for the stack: it answers an empty list, never an error, when
 * nothing is recorded, and needs only read access (the pull-request preview role has it).
 */
export async function readServedContainerPorts(
    provider: aws.Provider,
    serviceNames: readonly string[],
): Promise<ReadonlyMap<string, number>> {
    const recorded = await aws.ssm.getParametersByPath(
        { path: DEPLOY_PARAMETERS_PATH, recursive: true, withDecryption: false },
        { provider },
    );
    const values = new Map(recorded.names.map((name, i) => [name, recorded.values[i]]));
    const served = new Map<string, number>();
    const problems: string[] = [];
    for (const service of serviceNames) {
        const name = containerPortParameterName(service);
        const value = values.get(name);
        if (value === undefined) continue;
        const port = Number(value);
        if (!/^\d+$/.test(value) || !isContainerPort(port)) {
            problems.push(
                `${name} holds ${JSON.stringify(value)}, expected the container port ${service}'s deploy step records ` +
                    `(${CONTAINER_PORTS.min} to ${CONTAINER_PORTS.max}): set it to the port of the service's load balancer entry ` +
                    `(aws ecs describe-services --query 'services[0].loadBalancers')`,
            );
        } else served.set(service, port);
    }
    if (problems.length > 0) {
        throw new ServedPortError(
            `Invalid deploy record in SSM Parameter Store; nothing was deployed:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
        );
    }
    return served;
}
