// The Lambda deploy contract: the names the program, the deploy buildspec and the tests share. SDK-free (it imports
// only domain/), like targets/fargate/contract.ts.
import { NAME_PREFIX } from "../../domain/naming";

/** Where the Lambda services' deploy records live in SSM: `<path>/<service>/<record>`. */
export const LAMBDA_PARAMETERS_PATH = `/${NAME_PREFIX}/lambda`;

/**
 * The SSM parameter that holds the image (`<repository>@sha256:...`) the deploy step last deployed, or, before the
 * function exists, the promoted image it waits for: `pulumi up` creates the function from it (a container image
 * function cannot be created without an image in its repository). A String parameter: an image URI is no secret.
 */
export function deployedImageParameterName(serviceName: string): string {
    return `${LAMBDA_PARAMETERS_PATH}/${serviceName}/image`;
}

/** The alias the load balancer invokes and CodeDeploy shifts between versions. */
export const LIVE_ALIAS = "live";

/** Log groups of the functions are `/aws/lambda/<function name>`, Lambda's default. */
export const LAMBDA_LOG_GROUP_PREFIX = "/aws/lambda/";

/** Environment variables the deploy step (buildspecs/deploy-lambda.yml) reads. */
export const LAMBDA_DEPLOY_ENV = {
    functionName: "LAMBDA_FUNCTION_NAME",
    alias: "LAMBDA_ALIAS",
    application: "CODEDEPLOY_APPLICATION",
    deploymentGroup: "CODEDEPLOY_DEPLOYMENT_GROUP",
    parameter: "DEPLOYED_IMAGE_PARAMETER",
} as const;
