import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CrossAccountPrincipals, narrowedAccountPrincipal } from "./policyDocuments";

/** Default and largest session a cross-account pipeline role allows, seconds. */
export const DEFAULT_MAX_SESSION_SECONDS = 3600;
/** Shortest session a role may be limited to, seconds. */
export const MIN_SESSION_SECONDS = 900;

export interface PipelineRoleTrustArgs {
    /** Partition of the stack (from aws.getPartition). Required. */
    readonly partition: string;
    /** Deterministic role name (see domain/naming.ts), so the other account can compute the ARN. Required. */
    readonly roleName: string;
    /** The other account and the exact principals of it that may assume the role. Required. */
    readonly trusted: CrossAccountPrincipals;
    /** Required `sts:ExternalId`. Default: none. */
    readonly externalId?: string;
    /** Required `aws:PrincipalOrgID` (the AWS Organization of the caller). Default: none. */
    readonly principalOrgId?: string;
    /** Longest session, 900 to 3600 seconds. Default DEFAULT_MAX_SESSION_SECONDS (3600). */
    readonly maxSessionDurationSeconds?: number;
    /** Role description. Default: none. */
    readonly description?: string;
    /** Least-privilege inline policies by name, given by the caller. Required (may be empty). */
    readonly policies: Readonly<Record<string, pulumi.Input<aws.iam.PolicyDocument>>>;
}

/** Trust: the other account's root narrowed to exact principals, never `*`. */
export function crossAccountTrustPolicy(
    partition: string,
    trusted: CrossAccountPrincipals,
    extra: { externalId?: string; principalOrgId?: string } = {},
): aws.iam.PolicyDocument {
    const { Principal, Condition } = narrowedAccountPrincipal(partition, trusted);
    const condition: Record<string, any> = { ...Condition };
    const equals: Record<string, string> = {};
    if (extra.externalId) equals["sts:ExternalId"] = extra.externalId;
    if (extra.principalOrgId) equals["aws:PrincipalOrgID"] = extra.principalOrgId;
    if (Object.keys(equals).length > 0) condition.StringEquals = equals;
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "TrustNamedPrincipals", Effect: "Allow", Principal, Action: "sts:AssumeRole", Condition: condition },
        ],
    };
}

/** An IAM role that exact principals of another account assume, with the permissions the caller gives it. */
export class PipelineRoleTrust extends pulumi.ComponentResource {
    public readonly roleArn: pulumi.Output<string>;
    public readonly roleName: pulumi.Output<string>;

    constructor(name: string, args: PipelineRoleTrustArgs, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:security:PipelineRoleTrust", name, {}, opts);
        const maxSessionDuration = args.maxSessionDurationSeconds ?? DEFAULT_MAX_SESSION_SECONDS;
        if (maxSessionDuration < MIN_SESSION_SECONDS || maxSessionDuration > DEFAULT_MAX_SESSION_SECONDS) {
            throw new Error(`${name}: maxSessionDurationSeconds is ${maxSessionDuration}, expected 900 to 3600`);
        }
        if (args.trusted.principalArns.length === 0) {
            throw new Error(`${name}: trusted.principalArns is empty, expected the exact principals to trust`);
        }
        const role = new aws.iam.Role(
            `${name}-role`,
            {
                name: args.roleName,
                description: args.description,
                maxSessionDuration,
                assumeRolePolicy: pulumi.jsonStringify(
                    crossAccountTrustPolicy(args.partition, args.trusted, {
                        externalId: args.externalId,
                        principalOrgId: args.principalOrgId,
                    }),
                ),
            },
            { parent: this },
        );
        for (const [policyName, document] of Object.entries(args.policies)) {
            new aws.iam.RolePolicy(
                `${name}-${policyName}`,
                { role: role.name, name: policyName, policy: pulumi.jsonStringify(document) },
                { parent: this },
            );
        }
        this.roleArn = role.arn;
        this.roleName = role.name;
        this.registerOutputs({ roleArn: this.roleArn, roleName: this.roleName });
    }
}
