import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CROSS_ACCOUNT_KEY_USE } from "../components/crossAccountKmsKey";
import {
    RELEASE_WRITE_ACTIONS,
    RELEASES_PREFIX,
    SOURCE_WRITER_BUCKET_ACTIONS,
    SOURCE_WRITER_OBJECT_ACTIONS,
} from "../components/artifactBucket";
import { pipelineArtifactPrefix } from "../components/buildProjects";
import { PipelineRoleTrust } from "../components/pipelineRoleTrust";
import { PushEventRule } from "../components/pushTrigger";
import { ENVIRONMENTS, EnvironmentName } from "../domain/config";
import {
    artifactBucketName,
    artifactKeyAlias,
    bucketArn as s3BucketArn,
    codeCommitRepositoryArn,
    defaultEventBusArn,
    eventForwarderRoleName,
    formatArn,
    forwardRuleName,
    pipelineRoleName,
    roleArn,
    sourceRoleName,
} from "../domain/naming";
import { defineAccountBudget } from "./budget";
import { definePersonRoles } from "./people";
import { StackContext } from "./context";

/** CodeCommit actions a cross-account source action needs on the one repository it reads. */
export const SOURCE_REPOSITORY_ACTIONS = [
    "codecommit:GetBranch",
    "codecommit:GetCommit",
    "codecommit:GetRepository",
    "codecommit:GitPull",
    "codecommit:UploadArchive",
    "codecommit:GetUploadArchiveStatus",
    "codecommit:CancelUploadArchive",
];

export interface SourceRolePolicyInput {
    readonly partition: string;
    readonly region: string;
    readonly toolAccountId: string;
    readonly envAccountId: string;
    readonly env: EnvironmentName;
    readonly repositoryName: string;
    /** The service (its pipeline's name prefixes the artifacts). */
    readonly serviceName: string;
}

/**
 * The tool-account source role's permissions: one repository, the pipeline's own artifacts in one bucket (never
 * `releases/`, which the environment's bucket policy also denies), one key (by alias).
 */
export function sourceRolePolicy(input: SourceRolePolicyInput): aws.iam.PolicyDocument {
    const bucketArn = s3BucketArn(input.partition, artifactBucketName(input.envAccountId, input.region));
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ReadRepository",
                Effect: "Allow",
                Action: SOURCE_REPOSITORY_ACTIONS,
                Resource: codeCommitRepositoryArn(
                    input.partition,
                    input.region,
                    input.toolAccountId,
                    input.repositoryName,
                ),
            },
            {
                Sid: "WriteSourceArtifacts",
                Effect: "Allow",
                Action: SOURCE_WRITER_OBJECT_ACTIONS,
                Resource: `${bucketArn}/${pipelineArtifactPrefix(input.env, input.serviceName)}*`,
            },
            { Sid: "LocateArtifactBucket", Effect: "Allow", Action: SOURCE_WRITER_BUCKET_ACTIONS, Resource: bucketArn },
            {
                Sid: "UseArtifactKey",
                Effect: "Allow",
                Action: [...CROSS_ACCOUNT_KEY_USE],
                Resource: formatArn({
                    partition: input.partition,
                    service: "kms",
                    region: input.region,
                    accountId: input.envAccountId,
                    resource: "key/*",
                }),
                Condition: { "ForAnyValue:StringEquals": { "kms:ResourceAliases": artifactKeyAlias(input.env) } },
            },
            {
                Sid: "NeverWriteReleases",
                Effect: "Deny",
                Action: RELEASE_WRITE_ACTIONS,
                Resource: `${bucketArn}/${RELEASES_PREFIX}*`,
            },
        ],
    };
}

/** Permission of the tool-account role EventBridge uses to forward pushes: PutEvents to one bus. */
export function forwardEventsPolicy(eventBusArn: string): aws.iam.PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "ForwardToEnvironmentBus", Effect: "Allow", Action: "events:PutEvents", Resource: eventBusArn },
        ],
    };
}

/** HTTPS clone URL of a CodeCommit repository (the format CodeCommit returns as cloneUrlHttp). */
export function codeCommitCloneUrl(region: string, dnsSuffix: string, repositoryName: string): string {
    return `https://git-codecommit.${region}.${dnsSuffix}/v1/repos/${repositoryName}`;
}

/** The tool account: each service's repository and, per environment, the role its pipeline assumes. */
export function defineToolStack(ctx: StackContext): Record<string, unknown> {
    const { config, partition } = ctx;
    const opts: pulumi.CustomResourceOptions = { provider: ctx.provider };
    const repositories: Record<string, pulumi.Output<string>> = {};
    const sourceRoles: Record<string, pulumi.Output<string>> = {};
    for (const service of config.services) {
        const repository = service.existingRepository
            ? undefined
            : new aws.codecommit.Repository(
                  `${service.name}-repository`,
                  {
                      repositoryName: service.repositoryName,
                      // No defaultBranch: AWS can set it only once the repository has a branch (after the first push).
                      description: `Source of the ${service.name} service`,
                  },
                  { ...opts, protect: true, retainOnDelete: true },
              );
        // An existing repository is referred to by name: its ARN and clone URL are deterministic, so nothing is
        // read or created (CreateRepository is closed to new customers since July 2024:
        // https://aws.amazon.com/blogs/devops/how-to-migrate-your-aws-codecommit-repository-to-another-git-provider/).
        repositories[service.name] = repository
            ? repository.cloneUrlHttp
            : pulumi.output(codeCommitCloneUrl(config.region, ctx.dnsSuffix, service.repositoryName));
        const after = repository ? [repository] : [];
        for (const env of ENVIRONMENTS) {
            const envAccountId = config.accounts[env];
            const role = new PipelineRoleTrust(
                `${env}-${service.name}-source`,
                {
                    partition,
                    roleName: sourceRoleName(env, service.name),
                    description: `Lets the ${env} pipeline of ${service.name} read its repository and write the source artifact`,
                    principalOrgId: config.organizationId,
                    trusted: {
                        accountId: envAccountId,
                        principalArns: [roleArn(partition, envAccountId, pipelineRoleName(env, service.name))],
                    },
                    policies: {
                        "source-access": sourceRolePolicy({
                            partition,
                            region: config.region,
                            toolAccountId: config.accountId,
                            envAccountId,
                            env,
                            repositoryName: service.repositoryName,
                            serviceName: service.name,
                        }),
                    },
                },
                { ...opts, dependsOn: after },
            );
            sourceRoles[`${env}/${service.name}`] = role.roleArn;
            const envBusArn = defaultEventBusArn(partition, config.region, envAccountId);
            new PushEventRule(
                `${env}-${service.name}-forward`,
                {
                    partition,
                    region: config.region,
                    accountId: config.accountId,
                    ruleName: forwardRuleName(env, service.name),
                    description: `Forwards pushes to ${config.branches[env]} of ${service.repositoryName} to the ${env} account`,
                    repositoryArn: codeCommitRepositoryArn(
                        partition,
                        config.region,
                        config.accountId,
                        service.repositoryName,
                    ),
                    branch: config.branches[env],
                    targetArn: envBusArn,
                    roleName: eventForwarderRoleName(env, service.name),
                    targetPolicy: forwardEventsPolicy(envBusArn),
                },
                { ...opts, dependsOn: after },
            );
        }
    }
    return { repositories, sourceRoles, budget: defineAccountBudget(ctx), people: definePersonRoles(ctx, []) };
}
