import * as aws from "@pulumi/aws";
import { PolicyResource, validateResourceOfType } from "@pulumi/policy";
import { PIPELINE_STEP_ROLES, PIPELINE_STEP_TAG } from "./pipelineSteps";
import {
    accountOfArn,
    configuredBranch,
    contextOf,
    createdHere,
    Deferred,
    ownAccounts,
    programAccounts,
    isProtected,
    keyVerdict,
    KMS_KEY,
    resourcePolicy,
    stackPolicy,
    stackProvider,
    UNKNOWN,
} from "./common";

// Pipeline gates are recognised by what an action runs, never by its name: a CodeBuild action runs the project
// named by its ProjectName, and that project runs its inline buildspec. A buildspec kept in the source
// repository (or a project outside the stack) cannot be read here, so it proves nothing.
//
// Deploys fail closed: an action deploys when it is a Deploy action, or runs a project marked as deploying (the
// PipelineStep tag, policies/pipelineSteps.ts), or one whose buildspec runs a deploy command, or one without a known
// mark, or a project that is not one of this stack. Only a project marked "build" or "test" whose buildspec runs
// no deploy command is not a deploy.

/** Commands that run a service's unit tests. */
export const UNIT_TEST_COMMAND = /\b(npm|yarn|pnpm)\s+(run\s+)?test\b|\bnpx\s+(jest|mocha|vitest)\b/;
/** Commands that scan the source for vulnerable dependencies, secrets or insecure code. */
export const SECURITY_SCAN_COMMAND =
    /\bnpm\s+audit\b|\bsecretlint\b|\bsemgrep\b|\bgitleaks\b|\btrufflehog\b|\btrivy\s+(fs|repo)\b|\bosv-scanner\b|\bgrype\b|eslint-plugin-security|\bsnyk\s+test\b/;
/** Commands that judge a built image's vulnerability findings (the image scan gate). */
export const IMAGE_SCAN_COMMAND =
    /\baws\s+ecr\s+describe-image-scan-findings\b|\baws\s+inspector2\s+list-findings\b|\btrivy\s+image\b|\bgrype\s+\S/;
/** Commands that push an image to a registry (build or promotion). */
export const IMAGE_PUSH_COMMAND = /\bdocker\s+push\b|\bdocker\s+buildx\s+build\b[^\n]*--push\b|\bcrane\s+(copy|push)\b/;
/** Commands that change what runs, by what they deploy to; a CodeBuild project running any of them deploys. */
export const DEPLOY_COMMANDS: Readonly<Record<string, RegExp>> = {
    ECS: /\baws\s+ecs\s+(update-service|create-service|run-task|start-task)\b/,
    Lambda: /\baws\s+lambda\s+(update-function-code|update-function-configuration|create-function|publish-version|update-alias|create-alias)\b/,
    CloudFormation:
        /\baws\s+cloudformation\s+(deploy|create-stack|update-stack|execute-change-set|create-stack-instances|update-stack-instances|update-stack-set)\b/,
    SAM: /\bsam\s+(deploy|sync)\b/,
    CDK: /\bcdk\s+(deploy|watch)\b/,
    "Pulumi or Terraform": /\bpulumi\s+(up|update|destroy)\b|\bterraform\s+(apply|destroy)\b/,
    Kubernetes:
        /\bkubectl\b[^\n]*\s(apply|create|replace|patch|set|scale|delete|run|rollout\s+(restart|undo|resume))(?=\s|$)/m,
    Helm: /\bhelm\b[^\n]*\s(install|upgrade|rollback|uninstall)(?=\s|$)/m,
    "S3 site": /\baws\s+s3\s+sync\b/,
    CodeDeploy: /\baws\s+deploy\s+(create-deployment|deploy|push)\b/,
    "Elastic Beanstalk or App Runner":
        /\baws\s+elasticbeanstalk\s+update-environment\b|\beb\s+deploy\b|\baws\s+apprunner\s+(start-deployment|update-service)\b/,
};
/** Any of DEPLOY_COMMANDS. */
export const DEPLOY_COMMAND = new RegExp(
    Object.values(DEPLOY_COMMANDS)
        .map((c) => c.source)
        .join("|"),
    "m",
);
/** The deploy command a buildspec's commands run (its first match, with its kind), if any. */
export function deployCommandOf(commands: string): string | undefined {
    for (const [kind, pattern] of Object.entries(DEPLOY_COMMANDS)) {
        const found = pattern.exec(commands);
        if (found) return `${kind}: ${found[0].replace(/\s+/g, " ")}`;
    }
    return undefined;
}
/** Source providers that poll unless PollForSourceChanges is "false". */
export const POLLING_SOURCES = ["CodeCommit", "S3", "GitHub"];

const PROJECT = "aws:codebuild/project:Project";

/** The commands of a buildspec: its lines without comments (YAML and shell: `#` at a word's start). */
export const commandsOf = (buildspec: string) =>
    buildspec
        .split("\n")
        .map((l) => l.replace(/(^|\s)#.*$/, ""))
        .join("\n");

interface Located {
    stage: string;
    name: string;
    category: string;
    provider: string;
    configuration: Record<string, unknown>;
    /** [stage index, runOrder]: compared lexicographically. */
    at: [number, number];
    /** What the action runs: unit tests, security scan, deploy (a CodeBuild action's buildspec, or category). */
    runs: Set<"unit-tests" | "security-scan" | "image-scan" | "image-push" | "deploy">;
    /** Why it counts as a deploy (the first reason), when it does. */
    deploys?: string;
    /** The CodeBuild project it runs, when one of this stack. */
    project?: string;
}

function actionsOf(pipeline: Record<string, any>, projects: PolicyResource[], deferred: Deferred): Located[] {
    const stages = deferred.read(() => (pipeline.stages ?? []) as any[]);
    if (stages === UNKNOWN) return [];
    return stages.flatMap((stage, s) =>
        ((stage.actions ?? []) as any[]).map((a) => {
            const configuration = (a.configuration ?? {}) as Record<string, unknown>;
            const located: Located = {
                stage: stage.name,
                name: a.name,
                category: a.category,
                provider: a.provider,
                configuration,
                at: [s, deferred.read(() => a.runOrder) === UNKNOWN ? 1 : (a.runOrder ?? 1)],
                runs: new Set(),
            };
            const deploys = (why: string) => {
                located.runs.add("deploy");
                located.deploys ??= why;
            };
            if (a.category === "Deploy") deploys("a Deploy action");
            if (a.provider === "CodeBuild") {
                const name = deferred.read(() => configuration.ProjectName);
                const project = projects.find((p) => name !== UNKNOWN && deferred.read(() => p.props.name) === name);
                if (project) {
                    located.project = project.name;
                    const spec = deferred.read(() => project.props.source?.buildspec as string | undefined);
                    const commands = typeof spec === "string" ? commandsOf(spec) : "";
                    if (UNIT_TEST_COMMAND.test(commands)) located.runs.add("unit-tests");
                    if (SECURITY_SCAN_COMMAND.test(commands)) located.runs.add("security-scan");
                    if (IMAGE_SCAN_COMMAND.test(commands)) located.runs.add("image-scan");
                    if (IMAGE_PUSH_COMMAND.test(commands)) located.runs.add("image-push");
                    const mark = deferred.read(() => project.props.tags?.[PIPELINE_STEP_TAG] as unknown);
                    const command = deployCommandOf(commands);
                    if (mark === "deploy") deploys(`project "${project.name}" is marked ${PIPELINE_STEP_TAG} "deploy"`);
                    if (command) deploys(`project "${project.name}" runs a deploy command (${command})`);
                    if (mark !== UNKNOWN && !(PIPELINE_STEP_ROLES as readonly unknown[]).includes(mark)) {
                        deploys(
                            `project "${project.name}" has ${mark === undefined ? "no" : `an unknown (${JSON.stringify(mark)})`} ` +
                                `${PIPELINE_STEP_TAG} tag, so it counts as deploying`,
                        );
                    }
                } else if (name !== UNKNOWN) {
                    deploys(`project ${JSON.stringify(name)} is not one of this stack, so it counts as deploying`);
                }
            }
            return located;
        }),
    );
}
const before = (a: Located, b: Located) => a.at[0] < b.at[0] || (a.at[0] === b.at[0] && a.at[1] < b.at[1]);
const firstDeploy = (actions: Located[]) =>
    actions.filter((a) => a.runs.has("deploy")).sort((a, b) => a.at[0] - b.at[0] || a.at[1] - b.at[1])[0];
const label = (a: Located) => `"${a.stage}/${a.name}"`;
/** The first deploying action and why it deploys. */
const deployLabel = (a: Located) => `${label(a)} (${a.deploys})`;

/** Runs `check` on every pipeline of the stack with its actions resolved; reports what must wait. */
function eachPipeline(
    check: (pipeline: PolicyResource, actions: Located[], report: (m: string) => void, deferred: Deferred) => void,
) {
    return (
        args: { resources: PolicyResource[]; notApplicable: (r?: string) => never },
        report: (m: string, urn?: string) => void,
    ) => {
        const pipelines = args.resources.filter((r) => r.isType(aws.codepipeline.Pipeline));
        if (pipelines.length === 0) args.notApplicable("no pipeline in the stack");
        const projects = args.resources.filter((r) => r.type === PROJECT);
        const deferred = new Deferred();
        for (const p of pipelines) check(p, actionsOf(p.props, projects, deferred), (m) => report(m, p.urn), deferred);
        deferred.finish();
    };
}

export const pipelineArtifactStoreCmk = stackPolicy(
    {
        name: "codepipeline-artifact-store-cmk",
        summary:
            "Every pipeline artifact store is encrypted with a customer-managed KMS key (type KMS; not an alias/aws/ key, not unset).",
        severity: "high",
        nist: ["SC-28", "SC-12"],
    },
    eachPipeline((pipeline, _actions, report, deferred) => {
        const stores = deferred.read(() => (pipeline.props.artifactStores ?? []) as any[]);
        if (stores === UNKNOWN) return;
        if (stores.length === 0) {
            report(
                `Pipeline "${pipeline.name}" has no artifact store; required: an S3 store with encryptionKey { type: "KMS" }; ` +
                    `fix: add artifactStores with the pipeline key.`,
            );
        }
        for (const store of stores) {
            const key = deferred.read(() => store.encryptionKey);
            if (key === UNKNOWN) continue;
            const verdict = keyVerdict(() => key?.id, deferred, pipeline, "artifactStores");
            if (verdict.kind === "unknown") continue;
            if (verdict.kind !== "cmk" || key?.type !== "KMS") {
                const found = `{ id: ${JSON.stringify(verdict.found)}, type: ${JSON.stringify(key?.type ?? null)} }`;
                report(
                    `Pipeline "${pipeline.name}": artifact store ${deferred.read(() => store.location) === UNKNOWN ? "(unknown)" : store.location} ` +
                        `has encryptionKey ${found}; required: { id: <customer-managed key ARN>, type: "KMS" } (an ` +
                        `AWS-managed key such as alias/aws/s3 cannot be shared across accounts); fix: set encryptionKey.`,
                );
            }
        }
    }),
);

export const pipelineApprovalBeforeDeploy = stackPolicy(
    {
        name: "codepipeline-approval-before-deploy",
        summary:
            "In stage and prod a Manual approval action comes before the first action that deploys: a Deploy action, or a CodeBuild action whose project is marked deploying (PipelineStep tag), runs a deploy command (ECS, Lambda, CloudFormation/SAM/CDK, kubectl/helm, S3 sync, CodeDeploy, ...), has no step mark or is not of this stack (fail closed).",
        severity: "high",
        nist: ["CM-3", "CM-5"],
    },
    (args, report) => {
        const ctx = contextOf(stackProvider(args.resources));
        if (!isProtected(ctx)) args.notApplicable(`no approval required in ${ctx.environment}`);
        eachPipeline((pipeline, actions, reportOn) => {
            const deploy = firstDeploy(actions);
            if (!deploy) return;
            const approved = actions.some(
                (a) => a.category === "Approval" && a.provider === "Manual" && before(a, deploy),
            );
            if (!approved) {
                reportOn(
                    `Pipeline "${pipeline.name}" deploys at ${deployLabel(deploy)} in ${ctx.environment} without a Manual ` +
                        `approval before it; required: an Approval/Manual action before the first deploying action; ` +
                        `fix: add an approval stage before "${deploy.stage}".`,
                );
            }
        })(args, report);
    },
);

export const pipelineTestsAndScansBeforeDeploy = stackPolicy(
    {
        name: "codepipeline-tests-and-scans-before-deploy",
        summary:
            "Before the first deploying action (as codepipeline-approval-before-deploy counts them, failing closed), a CodeBuild action of the pipeline runs the unit tests (npm test) and one runs a security scan (npm audit, secretlint, eslint-plugin-security, semgrep, ...), judged by its project's buildspec.",
        severity: "high",
        nist: ["SI-2", "SA-11", "RA-5"],
    },
    eachPipeline((pipeline, actions, report) => {
        const deploy = firstDeploy(actions);
        if (!deploy) return;
        const earlier = actions.filter((a) => before(a, deploy));
        const missing = [
            earlier.some((a) => a.runs.has("unit-tests"))
                ? undefined
                : `an action whose CodeBuild project runs the unit tests (${UNIT_TEST_COMMAND.source})`,
            earlier.some((a) => a.runs.has("security-scan"))
                ? undefined
                : `an action whose CodeBuild project runs a security scan (${SECURITY_SCAN_COMMAND.source})`,
        ].filter((m): m is string => !!m);
        if (missing.length > 0) {
            const seen = earlier.map((a) => `${label(a)}${a.project ? ` -> ${a.project}` : ""}`).join(", ") || "none";
            report(
                `Pipeline "${pipeline.name}" deploys at ${deployLabel(deploy)} without ${missing.join(" and ")} before it ` +
                    `(earlier actions: ${seen}); required: both before the first deploying action; fix: add the ` +
                    `action(s) to an earlier stage, running a project of this stack with an inline buildspec.`,
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
        const deferred = new Deferred();
        for (const a of actionsOf(pipeline, [], deferred)) {
            if (a.category !== "Source" || !POLLING_SOURCES.includes(a.provider)) continue;
            const poll = deferred.read(() => a.configuration.PollForSourceChanges);
            if (poll !== UNKNOWN && String(poll) !== "false") {
                report(
                    `Pipeline "${args.name}": source action ${label(a)} (${a.provider}) has PollForSourceChanges ` +
                        `${poll === undefined ? "unset (polls by default)" : JSON.stringify(poll)}; required: "false" ` +
                        `with an EventBridge rule starting the pipeline; fix: set configuration.PollForSourceChanges "false".`,
                );
            }
        }
        deferred.finish();
    }),
);

export const pipelineImageScanBeforeDeploy = stackPolicy(
    {
        name: "codepipeline-image-scan-before-deploy",
        summary:
            "A pipeline that pushes an image runs the image scan gate (a project whose buildspec judges the registry's scan findings: describe-image-scan-findings, inspector2 list-findings, trivy image, grype) after the push and before the first deploying action.",
        severity: "high",
        nist: ["RA-5", "SI-2", "SA-11"],
    },
    eachPipeline((pipeline, actions, report) => {
        const deploy = firstDeploy(actions);
        const push = actions.find((a) => a.runs.has("image-push"));
        if (!deploy || !push) return;
        const gate = actions.find((a) => a.runs.has("image-scan") && before(a, deploy) && !before(a, push));
        if (!gate) {
            const elsewhere = actions.filter((a) => a.runs.has("image-scan")).map(label);
            report(
                `Pipeline "${pipeline.name}" pushes an image at ${label(push)} and deploys at ${deployLabel(deploy)} ` +
                    `without an image scan gate between them${elsewhere.length ? ` (the gate runs at ${elsewhere.join(", ")})` : ""}; ` +
                    `required: an action whose project judges the image's scan findings (${IMAGE_SCAN_COMMAND.source}) ` +
                    `after the push and before the deploy; fix: move the gate before "${deploy.stage}".`,
            );
        }
    }),
);

export const pipelineOwnAccounts = stackPolicy(
    {
        name: "codepipeline-own-accounts",
        summary:
            "A pipeline, its artifact store key and its actions' roles are of this account; only a Source action may assume a role of the program's tool account.",
        severity: "high",
        nist: ["AC-3", "AC-6"],
    },
    (args, reportViolation) => {
        const own = ownAccounts(contextOf(stackProvider(args.resources)));
        const tool = programAccounts().tool;
        eachPipeline((pipeline, _actions, report, deferred) => {
            const problems: string[] = [];
            const foreign = (what: string, arn: unknown, allowed: readonly string[]) => {
                if (typeof arn !== "string") return;
                const account = accountOfArn(arn);
                if (account && !allowed.includes(account)) problems.push(`${what} ${arn} is of account ${account}`);
            };
            const role = deferred.read(() => pipeline.props.roleArn);
            if (role !== UNKNOWN) foreign("the pipeline role", role, own);
            const stores = deferred.read(() => (pipeline.props.artifactStores ?? []) as any[]);
            if (stores !== UNKNOWN)
                for (const store of stores) {
                    // Unknown at preview: decided when the stores depend only on keys this stack creates.
                    const key = deferred.peek(() => store.encryptionKey?.id);
                    if (key !== UNKNOWN) foreign("the artifact store key", key, own);
                    else if (!createdHere(pipeline, "artifactStores", [KMS_KEY]))
                        deferred.read(() => store.encryptionKey?.id);
                }
            const stages = deferred.read(() => (pipeline.props.stages ?? []) as any[]);
            if (stages !== UNKNOWN)
                for (const stage of stages)
                    for (const a of stage.actions ?? []) {
                        const arn = deferred.read(() => a.roleArn);
                        if (arn === UNKNOWN) continue;
                        const allowed = a.category === "Source" && tool ? [...own, tool] : own;
                        foreign(`the role of action "${stage.name}/${a.name}"`, arn, allowed);
                    }
            if (problems.length > 0) {
                report(
                    `Pipeline "${pipeline.name}": ${problems.join("; ")}; required: this account (${own.join(", ") || "unknown"})` +
                        `${tool ? `, and for Source actions the tool account (${tool})` : ""}; fix: use this account's ` +
                        `key and roles.`,
                );
            }
        })(args, reportViolation);
    },
);

/** The environments whose branches take unreviewed pushes: their pipelines run on every commit. */
const INTEGRATION_ENVIRONMENTS = ["dev", "qa"];

export const pipelineReviewedBranch = stackPolicy(
    {
        name: "codepipeline-reviewed-branch",
        summary:
            "In stage and prod, source actions follow the environment's configured branch (<environment>Branch), never the dev or qa branch.",
        severity: "high",
        nist: ["CM-3", "CM-5"],
    },
    (args, reportViolation) => {
        const ctx = contextOf(stackProvider(args.resources));
        if (!isProtected(ctx)) args.notApplicable(`${ctx.environment} may follow any branch`);
        const expected = configuredBranch(ctx.environment);
        const integration = INTEGRATION_ENVIRONMENTS.map((e) => [e, configuredBranch(e)] as const).filter(
            ([, b]) => b !== undefined && b !== expected,
        );
        eachPipeline((pipeline, actions, report, deferred) => {
            for (const a of actions) {
                if (a.category !== "Source") continue;
                const branch = deferred.read(() => a.configuration.BranchName);
                if (branch === UNKNOWN || branch === undefined) continue;
                const of = integration.find(([, b]) => b === branch)?.[0];
                if ((expected !== undefined && branch !== expected) || of) {
                    report(
                        `Pipeline "${pipeline.name}": source action ${label(a)} follows branch ${JSON.stringify(branch)}` +
                            `${of ? ` (the ${of} branch)` : ""} in ${ctx.environment}; required: ` +
                            `${expected ? JSON.stringify(expected) : "the environment's reviewed branch"} ` +
                            `(${ctx.environment}Branch); fix: set BranchName to it.`,
                    );
                }
            }
        })(args, reportViolation);
    },
);

export const codepipelinePolicies = [
    pipelineArtifactStoreCmk,
    pipelineApprovalBeforeDeploy,
    pipelineTestsAndScansBeforeDeploy,
    pipelineNoPolling,
];

/** The image scan gate's place, the accounts and the branch a pipeline really uses. */
export const codepipelineBehaviourPolicies = [
    pipelineImageScanBeforeDeploy,
    pipelineOwnAccounts,
    pipelineReviewedBranch,
];
