/**
 * The mark of a pipeline step's CodeBuild project: the tag PIPELINE_STEP_TAG with the step's role. The program sets
 * it on every project from its step's row; the policy pack's deploy gates read it. A project marked "deploy"
 * deploys; one without a known mark is counted as deploying (fail closed); "build" and "test" mark nothing by
 * themselves (a project's buildspec may still deploy, and only its buildspec shows that it tests or scans).
 */
export const PIPELINE_STEP_TAG = "PipelineStep";

/** The roles a step declares: it changes what runs, it checks (tests, scans, gates), or it builds or publishes. */
export const PIPELINE_STEP_ROLES = ["build", "test", "deploy"] as const;
export type PipelineStepRole = (typeof PIPELINE_STEP_ROLES)[number];

/** The role of a step: deploy when it deploys, test for a Test action, build otherwise. */
export function pipelineStepRole(step: { readonly deploys?: boolean; readonly category: string }): PipelineStepRole {
    if (step.deploys) return "deploy";
    return step.category === "Test" ? "test" : "build";
}
