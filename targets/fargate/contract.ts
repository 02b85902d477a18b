// The Fargate deploy contract: the names the program, the deploy and scale-up buildspecs, the rehearsal and the tests
// share. SDK-free (it imports only domain/), so a stand-in that runs once per `aws` call can import it cheaply.
import { NAME_PREFIX } from "../../domain/naming";

/** Log groups of the services are `/ecs/<serviceName>`. */
export const LOG_GROUP_PREFIX = "/ecs/";
/**
 * Tag of the service's task definitions (value: the service name). The deploy step keeps the tags of Pulumi's
 * revision, and its role may register task definitions only with this tag (aws:RequestTag) and tag only revisions
 * of the family (ecs:RegisterTaskDefinition and ecs:TagResource with ecs:CreateAction, both on the family's ARN).
 */
export const TASK_DEFINITION_SERVICE_TAG = "Service";

/** Where the services' deploy parameters live in SSM: `<path>/<service>/<parameter>`. */
export const DEPLOY_PARAMETERS_PATH = `/${NAME_PREFIX}/ecs`;

/**
 * The SSM parameter that holds the ARN of the newest task definition `pulumi up` registered for a service (one
 * account per environment, so the service name alone is unique). A String parameter: an ARN is no secret.
 */
export function taskDefinitionParameterName(serviceName: string): string {
    return `${DEPLOY_PARAMETERS_PATH}/${serviceName}/task-definition`;
}

/**
 * The SSM parameter that holds the container port the running service receives load balancer traffic on: `pulumi
 * up` creates it with the configured port, and the deploy step rewrites it when a deploy switches the service to a
 * new port (note 5 at the top of this file). Pulumi never writes it again (ignoreChanges).
 */
export function containerPortParameterName(serviceName: string): string {
    return `${DEPLOY_PARAMETERS_PATH}/${serviceName}/container-port`;
}

/** Environment variables the deploy step (buildspecs/deploy-task-definition.yml) reads. */
export const DEPLOY_ENV = {
    cluster: "ECS_CLUSTER_NAME",
    service: "ECS_SERVICE_NAME",
    family: "ECS_TASK_FAMILY",
    parameter: "TASK_DEFINITION_PARAMETER",
    portParameter: "CONTAINER_PORT_PARAMETER",
    timeoutMinutes: "DEPLOYMENT_TIMEOUT_MINUTES",
} as const;

/** Environment variables the scale-up step reads. */
export const SCALE_UP_ENV = {
    cluster: "ECS_CLUSTER_NAME",
    service: "ECS_SERVICE_NAME",
    desiredCount: "ECS_DESIRED_COUNT",
} as const;
