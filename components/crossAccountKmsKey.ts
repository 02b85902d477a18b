import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_KEY_DELETION_WINDOW_DAYS, MIN_KEY_DELETION_WINDOW_DAYS } from "../domain/defaults";
import { accountRootArn, formatArn } from "../domain/naming";
import { CrossAccountPrincipals, keyByAlias, knownArn, narrowedAccountPrincipal } from "./policyDocuments";

/** Cryptographic use another account may get: never administration, never `kms:*`. */
export const CROSS_ACCOUNT_KEY_USE = [
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:DescribeKey",
] as const;
/** What a reader of artifacts (a later environment's promotion) needs. */
export const CROSS_ACCOUNT_KEY_READ = ["kms:Decrypt", "kms:DescribeKey"] as const;
/** Administration without use: key administrators can manage the key but cannot decrypt with it. */
export const KEY_ADMIN_ACTIONS = [
    "kms:Create*",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
    "kms:RotateKeyOnDemand",
] as const;
/** What a service that publishes encrypted messages (SNS via CodeStar Notifications, EventBridge) needs. */
export const SERVICE_KEY_USE = ["kms:GenerateDataKey*", "kms:Decrypt"] as const;
/** What CloudWatch Logs needs to encrypt this account's log groups with the key. */
export const LOGS_KEY_USE = [
    "kms:Encrypt*",
    "kms:Decrypt*",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:Describe*",
] as const;
/**
 * Service principals that must get the key without `aws:SourceAccount`/`aws:SourceArn`: the SNS developer guide
 * (key management, event sources and encrypted topics) says these conditions are not supported for
 * EventBridge-to-encrypted-topic delivery (landing-zone-accelerator-on-aws#407, aws-deployment-framework#769).
 */
export const SERVICES_WITHOUT_SOURCE_CONDITIONS: readonly string[] = ["events.amazonaws.com"];
/** What the key policy denies its administrators: any cryptographic use. */
export const KEY_USE_DENIED_TO_ADMINISTRATORS = [
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:CreateGrant",
] as const;
/** Default deletion window, days: the longest AWS allows (domain/defaults.ts, for the config too). */
export const DEFAULT_DELETION_WINDOW_DAYS = DEFAULT_KEY_DELETION_WINDOW_DAYS;
/** Shortest deletion window AWS allows, days. */
export const MIN_DELETION_WINDOW_DAYS = MIN_KEY_DELETION_WINDOW_DAYS;
/** Default key description. */
export const DEFAULT_KEY_DESCRIPTION = "Pipeline artifact key";

export interface CrossAccountKmsKeyArgs {
    /** Partition of the stack (from aws.getPartition). Required. */
    readonly partition: string;
    /** Account that owns the key; its root keeps full administration. Required. */
    readonly accountId: string;
    /** Region of the key (CloudWatch Logs principal and conditions). Required. */
    readonly region: string;
    /** Alias, `alias/...`; deterministic so other accounts can scope IAM policies by kms:ResourceAliases. Required. */
    readonly alias: string;
    /** Key description. Default DEFAULT_KEY_DESCRIPTION ("Pipeline artifact key"). */
    readonly description?: string;
    /** Days before a deleted key is destroyed, 7 to 30. Default DEFAULT_DELETION_WINDOW_DAYS (30). */
    readonly deletionWindowInDays?: number;
    /** Role or user ARNs of this account that administer the key without using it. Default: none. */
    readonly administratorArns?: readonly string[];
    /** Name of an IAM user to create with key-administration rights only and no access keys. Default: no user. */
    readonly adminUserName?: string;
    /** Other accounts' principals that may use the key for encryption and decryption. Default: none. */
    readonly users?: readonly CrossAccountPrincipals[];
    /** Other accounts' principals that may only decrypt (read artifacts). Default: none. */
    readonly readers?: readonly CrossAccountPrincipals[];
    /** Limit cross-account use to calls made through these services, e.g. `s3.<region>.amazonaws.com`. Default: no limit. */
    readonly viaServices?: readonly string[];
    /** Service principals of this account (e.g. `events.amazonaws.com`) allowed to encrypt messages. Default: none. */
    readonly servicePrincipals?: readonly string[];
    /** Let CloudWatch Logs encrypt this account's log groups with the key. Default: false. */
    readonly encryptLogs?: boolean;
    /** Protect the key and retain it when the stack is destroyed (stage, prod). Default: false. */
    readonly protect?: boolean;
}

export interface KeyPolicyInput {
    readonly partition: string;
    readonly accountId: string;
    readonly administratorArns: readonly string[];
    readonly users: readonly CrossAccountPrincipals[];
    readonly readers: readonly CrossAccountPrincipals[];
    readonly viaServices: readonly string[];
    readonly servicePrincipals: readonly string[];
    /** Region whose CloudWatch Logs may use the key, when log groups are encrypted with it. */
    readonly logsRegion?: string;
}

/** The key policy: root administration, administrators without use, narrowed cross-account use. */
export function artifactKeyPolicy(input: KeyPolicyInput): aws.iam.PolicyDocument {
    const statements: aws.iam.PolicyStatement[] = [
        {
            Sid: "AccountRootAdministration",
            Effect: "Allow",
            Principal: { AWS: accountRootArn(input.partition, input.accountId) },
            Action: "kms:*",
            Resource: "*",
        },
    ];
    if (input.administratorArns.length > 0) {
        statements.push({
            Sid: "KeyAdministrationWithoutUse",
            Effect: "Allow",
            ...narrowedAccountPrincipal(input.partition, {
                accountId: input.accountId,
                principalArns: input.administratorArns,
            }),
            Action: [...KEY_ADMIN_ACTIONS],
            Resource: "*",
        });
        // The root's kms:* lets IAM policies grant use to anyone in the account; an explicit Deny in the key policy
        // keeps the administrators from using the key whatever their own IAM policies say.
        statements.push({
            Sid: "DenyKeyUseToAdministrators",
            Effect: "Deny",
            ...narrowedAccountPrincipal(input.partition, {
                accountId: input.accountId,
                principalArns: input.administratorArns,
            }),
            Action: [...KEY_USE_DENIED_TO_ADMINISTRATORS],
            Resource: "*",
        });
    }
    const crossAccount = (sid: string, principals: CrossAccountPrincipals, actions: readonly string[]) => {
        const narrowed = narrowedAccountPrincipal(input.partition, principals);
        const condition: Record<string, any> = { ...narrowed.Condition };
        if (input.viaServices.length > 0) condition.StringEquals = { "kms:ViaService": [...input.viaServices] };
        statements.push({
            Sid: `${sid}${principals.accountId}`,
            Effect: "Allow",
            Principal: narrowed.Principal,
            Action: [...actions],
            Resource: "*",
            Condition: condition,
        });
    };
    for (const user of input.users) crossAccount("CrossAccountUse", user, CROSS_ACCOUNT_KEY_USE);
    for (const reader of input.readers) crossAccount("CrossAccountRead", reader, CROSS_ACCOUNT_KEY_READ);
    const unconditioned = input.servicePrincipals.filter((s) => SERVICES_WITHOUT_SOURCE_CONDITIONS.includes(s));
    const conditioned = input.servicePrincipals.filter((s) => !SERVICES_WITHOUT_SOURCE_CONDITIONS.includes(s));
    if (conditioned.length > 0) {
        statements.push({
            Sid: "ServicesOfThisAccount",
            Effect: "Allow",
            Principal: { Service: conditioned },
            Action: [...SERVICE_KEY_USE],
            Resource: "*",
            Condition: { StringEquals: { "aws:SourceAccount": input.accountId } },
        });
    }
    if (unconditioned.length > 0) {
        // Narrowed as far as AWS supports: data keys and decryption only; the topic policy limits who publishes.
        statements.push({
            Sid: "EventBridgeToEncryptedTopics",
            Effect: "Allow",
            Principal: { Service: unconditioned },
            Action: [...SERVICE_KEY_USE],
            Resource: "*",
        });
    }
    if (input.logsRegion) {
        statements.push({
            Sid: "CloudWatchLogsOfThisAccount",
            Effect: "Allow",
            Principal: { Service: `logs.${input.logsRegion}.amazonaws.com` },
            Action: [...LOGS_KEY_USE],
            Resource: "*",
            Condition: {
                ArnLike: {
                    "kms:EncryptionContext:aws:logs:arn": formatArn({
                        partition: input.partition,
                        service: "logs",
                        region: input.logsRegion,
                        accountId: input.accountId,
                        resource: "log-group:*",
                    }),
                },
            },
        });
    }
    return { Version: "2012-10-17", Statement: statements };
}

/**
 * The identity policy of the key-administrator user: administration of this one key, no use. The key is named by
 * its alias (its id is assigned at creation), so the document is known at preview.
 */
export function keyAdministratorUserPolicy(
    partition: string,
    region: string,
    accountId: string,
    alias: string,
): aws.iam.PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "AdministerArtifactKey",
                Effect: "Allow",
                Action: [...KEY_ADMIN_ACTIONS],
                ...keyByAlias(partition, region, accountId, alias),
            },
        ],
    };
}

/** An environment's customer-managed artifact key, usable by named principals of other accounts. */
export class CrossAccountKmsKey extends pulumi.ComponentResource {
    public readonly keyArn: pulumi.Output<string>;
    public readonly keyId: pulumi.Output<string>;
    public readonly aliasName: pulumi.Output<string>;
    public readonly adminUserArn?: pulumi.Output<string>;

    constructor(name: string, args: CrossAccountKmsKeyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:security:CrossAccountKmsKey", name, {}, opts);
        const protect = args.protect ?? false;
        const deletionWindowInDays = args.deletionWindowInDays ?? DEFAULT_DELETION_WINDOW_DAYS;
        if (
            !Number.isInteger(deletionWindowInDays) ||
            deletionWindowInDays < MIN_DELETION_WINDOW_DAYS ||
            deletionWindowInDays > DEFAULT_DELETION_WINDOW_DAYS
        ) {
            throw new Error(`${name}: deletionWindowInDays is ${deletionWindowInDays}, expected 7 to 30`);
        }

        const adminUser = args.adminUserName
            ? new aws.iam.User(`${name}-admin`, { name: args.adminUserName, forceDestroy: false }, { parent: this })
            : undefined;
        // The user's ARN from its name: the key policy is known at preview.
        const administratorArns = [
            ...(args.administratorArns ?? []),
            ...(args.adminUserName
                ? [
                      knownArn({
                          partition: args.partition,
                          service: "iam",
                          accountId: args.accountId,
                          resource: `user/${args.adminUserName}`,
                      }),
                  ]
                : []),
        ];
        const key = new aws.kms.Key(
            `${name}-key`,
            {
                description: args.description ?? DEFAULT_KEY_DESCRIPTION,
                keyUsage: "ENCRYPT_DECRYPT",
                customerMasterKeySpec: "SYMMETRIC_DEFAULT",
                enableKeyRotation: true,
                deletionWindowInDays,
                policy: pulumi.jsonStringify(
                    artifactKeyPolicy({
                        partition: args.partition,
                        accountId: args.accountId,
                        administratorArns,
                        users: args.users ?? [],
                        readers: args.readers ?? [],
                        viaServices: args.viaServices ?? [],
                        servicePrincipals: args.servicePrincipals ?? [],
                        logsRegion: args.encryptLogs ? args.region : undefined,
                    }),
                ),
            },
            // After the user the policy names, as when it read the user's ARN.
            { parent: this, protect, retainOnDelete: protect, dependsOn: adminUser ? [adminUser] : [] },
        );
        const alias = new aws.kms.Alias(
            `${name}-alias`,
            { name: args.alias, targetKeyId: key.keyId },
            { parent: this },
        );

        if (adminUser) {
            new aws.iam.UserPolicy(
                `${name}-admin-policy`,
                {
                    user: adminUser.name,
                    policy: pulumi.jsonStringify(
                        keyAdministratorUserPolicy(args.partition, args.region, args.accountId, args.alias),
                    ),
                },
                // Scoped by the alias: in place once the alias names the key.
                { parent: this, dependsOn: [alias] },
            );
            this.adminUserArn = adminUser.arn;
        }
        this.keyArn = key.arn;
        this.keyId = key.keyId;
        this.aliasName = alias.name;
        this.registerOutputs({
            keyArn: this.keyArn,
            keyId: this.keyId,
            aliasName: this.aliasName,
            adminUserArn: this.adminUserArn,
        });
    }
}
