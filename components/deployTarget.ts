/**
 * The seam between a service's pipeline and where it runs. The pipeline (ServicePipeline) owns source, tests, scans,
 * the image, promotion, approval and release; a deploy target owns its runtime resources (a Fargate service behind
 * a load balancer, a Lambda function...) and its deploy steps, rows like BUILD_STEPS' placed in the Deploy stage, the
 * one that deploys marked `deploys`.
 */
import * as pulumi from "@pulumi/pulumi";
import { EnvironmentName } from "../domain/config";
import { TargetBuild } from "./buildProjects";
import { WatchedAlarm } from "./serviceAlarms";

/** What a target is given to create its resources. */
export interface TargetScope {
    /** The pipeline's resource name: the target's resources are named from it. */
    readonly name: string;
    /** The pipeline component: the parent of the target's resources. */
    readonly parent: pulumi.Resource;
    /** The environment deployed to. */
    readonly env: EnvironmentName;
    /** The service's ECR repository, where the pipeline's images are (computed from its name: known at preview). */
    readonly repositoryUrl: string;
    readonly repositoryArn: string;
}

/** What a created target gives the pipeline back. */
export interface DeployedTarget<T = unknown> {
    /** Its deploy steps and what they read (PipelineBuildProjects renders them with the common steps). */
    readonly build: TargetBuild<T>;
    /** Where the deployed service answers (e.g. its load balancer's DNS name). */
    readonly endpoint: pulumi.Output<string>;
    /** What the build projects wait for: its facts are names, not outputs. Default: nothing. */
    readonly resources?: pulumi.Resource;
    /**
     * What the service's alarms watch (ServiceAlarms creates them, routed to the environment's topic); those that
     * roll back are named by serviceAlarmName(scope.name, suffix), which the target may give its deployments.
     * Default: nothing watched.
     */
    readonly watched?: readonly WatchedAlarm[];
}

/** A place a service's pipeline deploys to. */
export interface DeployTarget<T = unknown> {
    /** Its name in descriptions and outputs, e.g. "fargate". */
    readonly kind: string;
    /** What the pipeline delivers to it: a container image in the service's ECR repository. */
    readonly artifact: "image";
    /** Creates its resources under the pipeline; called once, after the service's repository. */
    create(scope: TargetScope): DeployedTarget<T>;
}
