import type { PolicyResource } from "@pulumi/policy";
import { contextOf, isProtected, stackPolicy, stackProvider } from "./common";

/** Resources that hold what an environment cannot lose: keys, buckets, image repositories. */
export const PROTECTED_TYPES = ["aws:kms/key:Key", "aws:s3/bucket:Bucket", "aws:ecr/repository:Repository"];
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";
const TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition";

/** Log groups the services write to: those a task definition depends on (its awslogs-group). */
function serviceLogGroups(resources: readonly PolicyResource[]): PolicyResource[] {
    const written = new Set(
        resources.filter((r) => r.type === TASK_DEFINITION).flatMap((t) => t.dependencies.map((d) => d.urn)),
    );
    return resources.filter((r) => r.type === LOG_GROUP && written.has(r.urn));
}

export const statefulResourcesProtected = stackPolicy(
    {
        name: "stateful-resources-protected",
        summary:
            "In stage and prod, KMS keys, S3 buckets, ECR repositories and the services' log groups carry the protect resource option.",
        severity: "high",
        nist: ["CP-9", "AU-9", "SC-12"],
    },
    (args, report) => {
        const ctx = contextOf(stackProvider(args.resources));
        if (!isProtected(ctx)) args.notApplicable(`${ctx.environment} may delete its resources`);
        const targets = [
            ...args.resources.filter((r) => PROTECTED_TYPES.includes(r.type)),
            ...serviceLogGroups(args.resources),
        ];
        for (const r of targets) {
            if (r.opts.protect !== true) {
                report(
                    `${r.type} "${r.name}" is not protected in ${ctx.environment}; required: the protect resource ` +
                        `option, so that no update or destroy deletes it; fix: pass { protect: true } (the program's ` +
                        `components do in stage and prod).`,
                    r.urn,
                );
            }
        }
    },
);

const REPOSITORY = "aws:codecommit/repository:Repository";

export const sourceRepositoriesProtected = stackPolicy(
    {
        name: "source-repositories-protected",
        summary:
            "CodeCommit repositories carry the protect resource option in every stack: they hold the only copy of the services' source and history.",
        severity: "high",
        nist: ["CP-9", "CM-3"],
    },
    (args, report) => {
        const repositories = args.resources.filter((r) => r.type === REPOSITORY);
        if (repositories.length === 0) args.notApplicable("no CodeCommit repository in the stack");
        for (const r of repositories) {
            if (r.opts.protect !== true) {
                report(
                    `CodeCommit repository "${r.name}" is not protected; required: the protect resource option, so ` +
                        `that no update or destroy deletes the source; fix: pass { protect: true }.`,
                    r.urn,
                );
            }
        }
    },
);

export const protectionPolicies = [statefulResourcesProtected];

/** The source repositories of the tool stack. */
export const sourceProtectionPolicies = [sourceRepositoriesProtected];
