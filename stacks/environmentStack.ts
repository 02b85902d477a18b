import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ArtifactBucket } from "../components/artifactBucket";
import { pipelineArtifactPrefix, projectRoleName } from "../components/buildProjects";
import { ServicePipeline } from "../components/servicePipeline";
import { natGatewaysFor, ServiceNetwork } from "../components/network";
import { fargateTarget } from "../targets/fargate/target";
import { lambdaTarget } from "../targets/lambda/target";
import { DeployTarget } from "../components/deployTarget";
import { DeployTargetName } from "../domain/configSchema";
import {
    DEFAULT_PUBLISHER_SERVICES,
    notificationTopicName,
    PipelineNotifications,
    topicArnOf,
} from "../components/notifications";
import { CrossAccountKmsKey } from "../components/crossAccountKmsKey";
import { alarmArn, ServiceDashboard } from "../components/serviceAlarms";
import { CrossAccountPrincipals } from "../components/policyDocuments";
import { eventBusPolicy } from "../components/pushTrigger";
import { EnvironmentName, ServiceConfig } from "../domain/config";
import {
    artifactBucketName,
    artifactKeyAlias,
    buildRoleName,
    pipelineName,
    eventForwarderRoleName,
    roleArn,
    sourceRoleName,
} from "../domain/naming";
import { defineAccountBudget } from "./budget";
import { definePersonRoles } from "./people";
import { StackContext } from "./context";
import { nextEnvironment, previousEnvironment } from "../domain/environments";

/** Name of the IAM user that administers the artifact key when config asks for one. */
export function keyAdminUserName(env: EnvironmentName): string {
    return `cicd-${env}-key-administrator`;
}

/** What the environment gives every deploy target of its services. */
interface TargetShared {
    readonly network: ServiceNetwork;
    readonly logKmsKeyArn: pulumi.Input<string>;
    /** The account's notification topic. */
    readonly topicArn: string;
}

/** Each deploy target (a service's `target`) from the stack and the service. */
const DEPLOY_TARGETS: Record<
    DeployTargetName,
    (ctx: StackContext, service: ServiceConfig, shared: TargetShared) => DeployTarget
> = {
    fargate: (ctx, service, shared) =>
        fargateTarget({
            partition: ctx.partition,
            region: ctx.config.region,
            accountId: ctx.config.accountId,
            service,
            servedContainerPort: ctx.servedContainerPorts.get(service.name),
            network: shared.network,
            logKmsKeyArn: shared.logKmsKeyArn,
            logRetentionDays: ctx.config.logRetentionDays,
            certificateArn: ctx.config.certificateArn,
            protect: ctx.config.protectResources,
            delivery: ctx.config.delivery,
        }) as DeployTarget,
    lambda: (ctx, service, shared) =>
        lambdaTarget({
            partition: ctx.partition,
            region: ctx.config.region,
            accountId: ctx.config.accountId,
            service,
            deployedImage: ctx.deployedImages.get(service.name),
            network: shared.network,
            logKmsKeyArn: shared.logKmsKeyArn,
            logRetentionDays: ctx.config.logRetentionDays,
            certificateArn: ctx.config.certificateArn,
            alarmTopicArn: shared.topicArn,
            protect: ctx.config.protectResources,
        }) as DeployTarget,
};

/** An environment account: artifact key and bucket shared by the pipelines of all its services. */
export function defineEnvironmentStack(ctx: StackContext, env: EnvironmentName): Record<string, unknown> {
    const { config, partition } = ctx;
    const opts: pulumi.ComponentResourceOptions = { provider: ctx.provider };
    const toolAccountId = config.accounts.tool;
    const sourceRoles: CrossAccountPrincipals = {
        accountId: toolAccountId,
        principalArns: config.services.map((s) => roleArn(partition, toolAccountId, sourceRoleName(env, s.name))),
    };
    const next = nextEnvironment(env);
    const promoters: CrossAccountPrincipals[] = next
        ? [
              {
                  accountId: config.accounts[next],
                  principalArns: config.services.map((s) =>
                      roleArn(partition, config.accounts[next], buildRoleName(next, s.name)),
                  ),
              },
          ]
        : [];

    const bucketName = artifactBucketName(config.accountId, config.region);
    const key = new CrossAccountKmsKey(
        `${env}-artifacts`,
        {
            partition,
            accountId: config.accountId,
            region: config.region,
            alias: artifactKeyAlias(env),
            description: `Pipeline artifacts of the ${env} account`,
            deletionWindowInDays: config.keyDeletionWindowDays,
            administratorArns: config.keyAdministratorArns,
            adminUserName: config.createKeyAdminUser ? keyAdminUserName(env) : undefined,
            users: [sourceRoles],
            readers: promoters,
            viaServices: [`s3.${config.region}.${ctx.dnsSuffix}`],
            servicePrincipals: [...DEFAULT_PUBLISHER_SERVICES],
            encryptLogs: true,
            protect: config.protectResources,
        },
        opts,
    );
    const bucket = new ArtifactBucket(
        `${env}-artifacts`,
        {
            partition,
            bucketName,
            kmsKeyArn: key.keyArn,
            sourceWriters: [sourceRoles],
            releaseReaders: promoters,
            pipelineArtifactPrefixes: config.services.map((s) => pipelineArtifactPrefix(env, s.name)),
            releasePublishers: config.services.map((s) =>
                roleArn(partition, config.accountId, projectRoleName(env, s.name, "publishRelease")),
            ),
            protect: config.protectResources,
        },
        opts,
    );
    // One policy per bus: the tool account's forwarder roles of every service may put events on it.
    new aws.cloudwatch.EventBusPolicy(
        `${env}-event-bus-policy`,
        {
            eventBusName: "default",
            policy: pulumi.jsonStringify(
                eventBusPolicy(partition, config.region, config.accountId, {
                    accountId: toolAccountId,
                    principalArns: config.services.map((s) =>
                        roleArn(partition, toolAccountId, eventForwarderRoleName(env, s.name)),
                    ),
                }),
            ),
        },
        { provider: ctx.provider },
    );

    const network = new ServiceNetwork(
        `${env}-network`,
        config.network.vpcId
            ? {
                  existing: {
                      vpcId: config.network.vpcId,
                      privateSubnetIds: [...config.network.privateSubnetIds],
                      publicSubnetIds: [...config.network.publicSubnetIds],
                  },
              }
            : {
                  cidrBlock: config.network.vpcCidr,
                  natGateways: natGatewaysFor(env),
                  flowLogs: {
                      partition,
                      region: config.region,
                      accountId: config.accountId,
                      kmsKeyArn: key.keyArn,
                      retentionInDays: config.logRetentionDays,
                  },
              },
        opts,
    );
    const topicName = notificationTopicName(env);
    const notifications = new PipelineNotifications(
        `${env}-notifications`,
        {
            kmsKeyArn: key.keyArn,
            accountId: config.accountId,
            partition,
            region: config.region,
            topicName,
            emails: config.notificationEmails,
            secretEmails: config.secretKeys.includes("notificationEmails"),
        },
        opts,
    );

    const previous = previousEnvironment(env);
    const pipelines: Record<string, pulumi.Output<string>> = {};
    const endpoints: Record<string, pulumi.Output<string>> = {};
    const watchedServices: { name: string; alarmArns: string[] }[] = [];
    for (const service of config.services) {
        const pipeline = new ServicePipeline(
            `${env}-${service.name}`,
            {
                target: DEPLOY_TARGETS[service.target](ctx, service, {
                    network,
                    logKmsKeyArn: key.keyArn,
                    topicArn: topicArnOf(partition, config.region, config.accountId, topicName),
                }),
                partition,
                region: config.region,
                dnsSuffix: ctx.dnsSuffix,
                accountId: config.accountId,
                toolAccountId,
                env,
                service,
                branch: config.branches[env],
                requireApproval: config.requireApproval,
                artifactBucketName: bucketName,
                kmsKeyArn: key.keyArn,
                kmsKeyAlias: artifactKeyAlias(env),
                notificationTopicArn: topicArnOf(partition, config.region, config.accountId, topicName),
                alarmEvaluationMinutes: config.delivery.alarms.evaluationMinutes,
                logRetentionDays: config.logRetentionDays,
                previous: previous && {
                    env: previous,
                    accountId: config.accounts[previous],
                    bucketName: artifactBucketName(config.accounts[previous], config.region),
                    keyAlias: artifactKeyAlias(previous),
                    repositoryName: service.name,
                },
                nextPuller: next && {
                    accountId: config.accounts[next],
                    roleArn: roleArn(partition, config.accounts[next], buildRoleName(next, service.name)),
                },
                protect: config.protectResources,
                fipsEndpoints: config.fipsEndpoints,
                maxCriticalFindings: config.imageScan.maxCritical,
                maxHighFindings: config.imageScan.maxHigh,
            },
            // The topic is named by ARN, not by output: the pipeline waits for it (and the bucket) as before.
            { ...opts, dependsOn: [bucket, notifications] },
        );
        pipelines[service.name] = pipeline.pipelineName;
        endpoints[service.name] = pipeline.endpoint;
        watchedServices.push({
            name: service.name,
            alarmArns: pipeline.alarmNames.map((n) => alarmArn(partition, config.region, config.accountId, n)),
        });
    }
    // One dashboard per account: every service's alarms.
    const dashboard = new ServiceDashboard(
        `${env}-services`,
        { env, region: config.region, services: watchedServices },
        opts,
    );

    return {
        artifactKeyArn: key.keyArn,
        artifactBucket: bucket.bucketName,
        notificationTopicArn: notifications.topicArn,
        pipelines,
        endpoints,
        dashboard: dashboard.dashboardName,
        budget: defineAccountBudget(ctx),
        people: definePersonRoles(
            ctx,
            config.services.map((s) => pipelineName(env, s.name)),
            // Known at preview: the topic's ARN from its name.
            topicArnOf(partition, config.region, config.accountId, topicName),
            [notifications],
        ),
    };
}
