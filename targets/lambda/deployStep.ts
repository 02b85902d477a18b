/**
 * The Lambda target's build step: deploy (a version with the promoted image, the alias shifted by CodeDeploy), with
 * exactly the permissions and variables it needs.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
    ARTIFACT_KEY_READ,
    BuildRolePolicyInput,
    DEFAULT_COMPUTE_TYPE,
    pipelineSteps,
    ProjectVariable,
    stepTable,
    TargetBuild,
} from "../../components/buildProjects";
import { ssmParameterArn } from "../../domain/naming";
import { LAMBDA_DEPLOY_ENV } from "./contract";

/** The function a Lambda pipeline deploys to: what its deploy step reads (names and ARNs known at preview). */
export interface LambdaFunctionTarget {
    readonly functionName: string;
    readonly functionArn: string;
    readonly alias: string;
    readonly applicationName: string;
    readonly applicationArn: string;
    readonly deploymentGroupName: string;
    readonly deploymentGroupArn: string;
    readonly deploymentConfigArn: string;
    /** SSM parameter of the deployed image (deployedImageParameterName). */
    readonly imageParameterName: string;
}

/** Minutes of the deploy build: CodeDeploy's wait (120 polls of 15 s, AWS CLI reference) and a margin. */
export const LAMBDA_DEPLOY_BUILD_MINUTES = 45;

/** The steps the Lambda target adds to a service's pipeline. */
export const LAMBDA_STEPS = stepTable<"deployLambda", LambdaFunctionTarget>({
    deployLambda: {
        stage: "Deploy",
        action: "DeployToLambda",
        category: "Build",
        input: "image",
        deploys: true,
        suffix: "deploy",
        buildspec: "deploy-lambda.yml",
        computeType: DEFAULT_COMPUTE_TYPE,
        privileged: false,
        runsUntrustedCode: false,
        writesArtifacts: false,
        artifactKeyUse: ARTIFACT_KEY_READ,
        statements: lambdaDeployStatements,
        variables: lambdaDeployVariables,
        buildTimeoutMinutes: () => LAMBDA_DEPLOY_BUILD_MINUTES,
    },
});

/** The steps of a Lambda pipeline: the common ones and LAMBDA_STEPS, in pipeline order. */
export const LAMBDA_PIPELINE_STEPS = pipelineSteps(LAMBDA_STEPS);

/** What the build projects need of a Lambda target. */
export function lambdaBuild(target: LambdaFunctionTarget): TargetBuild<LambdaFunctionTarget> {
    return { steps: LAMBDA_STEPS, facts: target, containerName: target.functionName };
}

/**
 * The deploy step: publish versions of one function with an image of its repository (UpdateFunctionCode and
 * PublishVersion on the function; Lambda reads the image with the caller's ecr:BatchGetImage and
 * ecr:GetDownloadUrlForLayer, "Amazon ECR permissions", Lambda developer guide), read its alias, start and watch
 * deployments of its one deployment group (CreateDeployment on the group, the application's revisions and the
 * group's config, as CodePipeline's CodeDeploy action needs them), and read and write its image record.
 */
export function lambdaDeployStatements(
    input: BuildRolePolicyInput,
    target: pulumi.Unwrap<LambdaFunctionTarget>,
): aws.iam.PolicyStatement[] {
    const { partition, region, accountId } = input;
    return [
        {
            Sid: "PublishFunctionVersions",
            Effect: "Allow",
            Action: ["lambda:GetFunction", "lambda:UpdateFunctionCode", "lambda:PublishVersion"],
            Resource: target.functionArn,
        },
        {
            Sid: "ReadFunctionVersions",
            Effect: "Allow",
            Action: ["lambda:GetFunction", "lambda:GetFunctionConfiguration", "lambda:GetAlias"],
            Resource: `${target.functionArn}:*`,
        },
        {
            Sid: "ReadImage",
            Effect: "Allow",
            Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            Resource: input.ecrRepositoryArn,
        },
        {
            Sid: "DeployAlias",
            Effect: "Allow",
            Action: ["codedeploy:CreateDeployment", "codedeploy:GetDeployment"],
            Resource: target.deploymentGroupArn,
        },
        {
            Sid: "RegisterRevisions",
            Effect: "Allow",
            Action: ["codedeploy:GetApplicationRevision", "codedeploy:RegisterApplicationRevision"],
            Resource: target.applicationArn,
        },
        {
            Sid: "ReadDeploymentConfig",
            Effect: "Allow",
            Action: "codedeploy:GetDeploymentConfig",
            Resource: target.deploymentConfigArn,
        },
        {
            Sid: "RecordDeployedImage",
            Effect: "Allow",
            Action: ["ssm:GetParameter", "ssm:PutParameter"],
            Resource: ssmParameterArn(partition, region, accountId, target.imageParameterName),
        },
    ];
}

/** Which function, alias, deployment group and record the deploy step uses. */
function lambdaDeployVariables(target: LambdaFunctionTarget): ProjectVariable[] {
    const plain = (name: string, value: string): ProjectVariable => ({ name, value, type: "PLAINTEXT" });
    return [
        plain(LAMBDA_DEPLOY_ENV.functionName, target.functionName),
        plain(LAMBDA_DEPLOY_ENV.alias, target.alias),
        plain(LAMBDA_DEPLOY_ENV.application, target.applicationName),
        plain(LAMBDA_DEPLOY_ENV.deploymentGroup, target.deploymentGroupName),
        plain(LAMBDA_DEPLOY_ENV.parameter, target.imageParameterName),
    ];
}
