// The mark the program puts on every CodeBuild project of a pipeline (domain/pipelineSteps.ts states it for the
// program; test/pipelineSteps.test.ts keeps the two equal). Stated here again because the pack is self-contained:
// `pulumi policy publish` uploads the policy-pack folder alone, so it may import nothing from outside it.

/** The tag that names a project's pipeline step role. */
export const PIPELINE_STEP_TAG = "PipelineStep";

/** The roles a step declares: it builds or publishes, it checks (tests, scans, gates), or it changes what runs. */
export const PIPELINE_STEP_ROLES = ["build", "test", "deploy"] as const;
