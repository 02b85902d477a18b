import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ArtifactBucket } from "../components/artifactBucket";
import { CrossAccountKmsKey } from "../components/crossAccountKmsKey";
import { CrossAccountPrincipals } from "../components/policyDocuments";
import { eventBusPolicy } from "../components/pushTrigger";
import { EnvironmentName } from "./config";
import {
    artifactBucketName,
    artifactKeyAlias,
    buildRoleName,
    eventForwarderRoleName,
    roleArn,
    sourceRoleName,
} from "./naming";
import { StackContext } from "./program";
import { nextEnvironment } from "./promotion";

/** Name of the IAM user that administers the artifact key when config asks for one. */
export function keyAdminUserName(env: EnvironmentName): string {
    return `cicd-${env}-key-administrator`;
}

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
            servicePrincipals: ["events.amazonaws.com", "codestar-notifications.amazonaws.com"],
            encryptLogs: true,
            protect: config.protectResources,
        },
        opts,
    );
    const bucket = new ArtifactBucket(
        `${env}-artifacts`,
        {
            partition,
            bucketName: artifactBucketName(config.accountId, config.region),
            kmsKeyArn: key.keyArn,
            sourceWriters: [sourceRoles],
            releaseReaders: promoters,
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
    return { artifactKeyArn: key.keyArn, artifactBucket: bucket.bucketName };
}
