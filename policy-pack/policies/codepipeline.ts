import * as aws from "@pulumi/aws";
import { validateResourceOfType } from "@pulumi/policy";
import { CONTEXT_SCHEMA, contextOf, isProtected, resourcePolicy } from "./common";

/**
 * How the pack recognises pipeline actions (the pipeline component follows the same convention):
 * - unit tests: an action of category Test, or a Build action whose name matches UNIT_TEST_NAME;
 * - security scans: an action (Build or Test) whose name matches SECURITY_SCAN_NAME;
 * - approval: category Approval, provider Manual.
 * An action comes before another when its stage is earlier, or in the same stage its runOrder is lower.
 */
export const UNIT_TEST_NAME = /unit[-_ ]?test/i;
export const SECURITY_SCAN_NAME = /security|scan|sast|dependency[-_ ]?audit|npm[-_ ]?audit/i;
/** Source providers that poll unless PollForSourceChanges is "false". */
export const POLLING_SOURCES = ["CodeCommit", "S3", "GitHub"];

interface Located {
    stage: string;
    name: string;
    category: string;
    provider: string;
    configuration: Record<string, string>;
    /** [stage index, runOrder]: compared lexicographically. */
    at: [number, number];
}

function actionsOf(pipeline: aws.codepipeline.PipelineArgs | any): Located[] {
    const stages = (pipeline.stages ?? []) as any[];
    return stages.flatMap((stage, s) =>
        ((stage.actions ?? []) as any[]).map((a) => ({
            stage: stage.name,
            name: a.name,
            category: a.category,
            provider: a.provider,
            configuration: a.configuration ?? {},
            at: [s, a.runOrder ?? 1] as [number, number],
        })),
    );
}
const before = (a: Located, b: Located) => a.at[0] < b.at[0] || (a.at[0] === b.at[0] && a.at[1] < b.at[1]);
const firstDeploy = (actions: Located[]) => actions.find((a) => a.category === "Deploy");
const label = (a: Located) => `"${a.stage}/${a.name}"`;

export const pipelineArtifactStoreCmk = resourcePolicy(
    {
        name: "codepipeline-artifact-store-cmk",
        summary: "Every pipeline artifact store is encrypted with a customer-managed KMS key (encryptionKey type KMS).",
        severity: "high",
        nist: ["SC-28", "SC-12"],
    },
    validateResourceOfType(aws.codepipeline.Pipeline, (pipeline, args, report) => {
        if ((pipeline.artifactStores ?? []).length === 0) {
            report(
                `Pipeline "${args.name}" has no artifact store; required: an S3 store with encryptionKey { type: "KMS" }; ` +
                    `fix: add artifactStores with the pipeline key.`,
            );
        }
        for (const store of pipeline.artifactStores ?? []) {
            const key = store.encryptionKey;
            if (!key?.id || key.type !== "KMS") {
                report(
                    `Pipeline "${args.name}": artifact store ${store.location}${store.region ? ` (${store.region})` : ""} ` +
                        `has encryptionKey ${JSON.stringify(key ?? null)}; required: { id: <customer-managed key ARN>, ` +
                        `type: "KMS" } (the AWS-managed key cannot be shared across accounts); fix: set encryptionKey.`,
                );
            }
        }
    }),
);

export const pipelineApprovalBeforeDeploy = resourcePolicy(
    {
        name: "codepipeline-approval-before-deploy",
        summary: "In stage and prod a Manual approval action comes in a stage before any Deploy action.",
        severity: "high",
        nist: ["CM-3", "CM-5"],
    },
    validateResourceOfType(aws.codepipeline.Pipeline, (pipeline, args, report) => {
        const ctx = contextOf(args.provider, args.getConfig());
        if (!isProtected(ctx)) args.notApplicable(`no approval required in ${ctx.environment}`);
        const actions = actionsOf(pipeline);
        const deploy = firstDeploy(actions);
        if (!deploy) return;
        const approved = actions.some(
            (a) => a.category === "Approval" && a.provider === "Manual" && a.at[0] < deploy.at[0],
        );
        if (!approved) {
            report(
                `Pipeline "${args.name}" deploys at ${label(deploy)} in ${ctx.environment} without a Manual approval ` +
                    `in an earlier stage; required: an Approval/Manual action in a stage before the first Deploy action; ` +
                    `fix: add an approval stage before "${deploy.stage}".`,
            );
        }
    }),
    CONTEXT_SCHEMA,
);

export const pipelineTestsAndScansBeforeDeploy = resourcePolicy(
    {
        name: "codepipeline-tests-and-scans-before-deploy",
        summary: "Unit-test and security-scan actions run before any Deploy action.",
        severity: "high",
        nist: ["SI-2", "SA-11", "RA-5"],
    },
    validateResourceOfType(aws.codepipeline.Pipeline, (pipeline, args, report) => {
        const actions = actionsOf(pipeline);
        const deploy = firstDeploy(actions);
        if (!deploy) return;
        const earlier = actions.filter((a) => before(a, deploy));
        const missing = [
            earlier.some((a) => a.category === "Test" || (a.category === "Build" && UNIT_TEST_NAME.test(a.name)))
                ? undefined
                : `a unit-test action (category Test, or a Build action named like ${UNIT_TEST_NAME})`,
            earlier.some((a) => (a.category === "Build" || a.category === "Test") && SECURITY_SCAN_NAME.test(a.name))
                ? undefined
                : `a security-scan action (Build or Test, named like ${SECURITY_SCAN_NAME})`,
        ].filter((m): m is string => !!m);
        if (missing.length > 0) {
            report(
                `Pipeline "${args.name}" deploys at ${label(deploy)} without ${missing.join(" and ")} before it; ` +
                    `required: both before the first Deploy action; fix: add the action(s) to an earlier stage.`,
            );
        }
    }),
);

export const pipelineNoPolling = resourcePolicy(
    {
        name: "codepipeline-source-no-polling",
        summary: `${POLLING_SOURCES.join(", ")} source actions set PollForSourceChanges "false" (events start the pipeline).`,
        severity: "low",
        nist: ["CM-6"],
    },
    validateResourceOfType(aws.codepipeline.Pipeline, (pipeline, args, report) => {
        for (const a of actionsOf(pipeline)) {
            if (a.category !== "Source" || !POLLING_SOURCES.includes(a.provider)) continue;
            const poll = a.configuration.PollForSourceChanges;
            if (String(poll) !== "false") {
                report(
                    `Pipeline "${args.name}": source action ${label(a)} (${a.provider}) has PollForSourceChanges ` +
                        `${poll === undefined ? "unset (polls by default)" : JSON.stringify(poll)}; required: "false" ` +
                        `with an EventBridge rule starting the pipeline; fix: set configuration.PollForSourceChanges "false".`,
                );
            }
        }
    }),
);

export const codepipelinePolicies = [
    pipelineArtifactStoreCmk,
    pipelineApprovalBeforeDeploy,
    pipelineTestsAndScansBeforeDeploy,
    pipelineNoPolling,
];
