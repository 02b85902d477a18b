import * as aws from "@pulumi/aws";
import { deployedImageParameterName, LAMBDA_PARAMETERS_PATH } from "../targets/lambda/contract";
import { InputRefusal } from "../domain/refusal";

/** A recorded image that is no image of the service's repository by digest: nothing is registered. */
export class DeployedImageError extends InputRefusal {
    constructor(message: string) {
        super("DeployedImageError", message);
    }
}

/** An image by digest after its repository's URL. */
const DIGEST = /^@sha256:[0-9a-f]{64}$/;

/**
 * The image each Lambda service's deploy step recorded (deployedImageParameterName; targets/lambda/function.ts,
 * note 2): `pulumi up` creates the function from it. Read only when the stack has a Lambda service, in one
 * GetParametersByPath, which answers an empty list when nothing is recorded.
 */
export async function readDeployedImages(
    provider: aws.Provider,
    lambdaServices: readonly string[],
    repositoryUrlOf: (service: string) => string,
): Promise<ReadonlyMap<string, string>> {
    if (lambdaServices.length === 0) return new Map();
    const recorded = await aws.ssm.getParametersByPath(
        { path: LAMBDA_PARAMETERS_PATH, recursive: true, withDecryption: false },
        { provider },
    );
    const values = new Map(recorded.names.map((name, i) => [name, recorded.values[i]]));
    const images = new Map<string, string>();
    const problems: string[] = [];
    for (const service of lambdaServices) {
        const name = deployedImageParameterName(service);
        const value = values.get(name);
        if (value === undefined) continue;
        const repository = repositoryUrlOf(service);
        if (!value.startsWith(repository) || !DIGEST.test(value.slice(repository.length))) {
            problems.push(
                `${name} holds ${JSON.stringify(value)}, expected the image of ${service}'s repository in this account ` +
                    `by digest (${repository}@sha256:<64 hex>), as its deploy step records it: delete the parameter and run the pipeline`,
            );
        } else images.set(service, value);
    }
    if (problems.length > 0) {
        throw new DeployedImageError(
            `Invalid deploy record in SSM Parameter Store; nothing was deployed:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
        );
    }
    return images;
}
