import * as aws from "@pulumi/aws";
import { accountRootArn } from "../domain/naming";

/** Principals of one other account, narrowed to exact role or user ARNs. */
export interface CrossAccountPrincipals {
    /** The 12-digit id of the account the principals live in. */
    readonly accountId: string;
    /** Exact ARNs of the callers allowed; they need not exist yet (they are matched by condition). */
    readonly principalArns: readonly string[];
}

/**
 * The account root of `principals.accountId` narrowed by `aws:PrincipalArn`: AWS does not check conditions for
 * existence, so a policy may name a role that a later stack creates (the pattern ADF uses across accounts).
 */
export function narrowedAccountPrincipal(
    partition: string,
    principals: CrossAccountPrincipals,
): Pick<aws.iam.PolicyStatement, "Principal" | "Condition"> {
    return {
        Principal: { AWS: accountRootArn(partition, principals.accountId) },
        Condition: { ArnEquals: { "aws:PrincipalArn": [...principals.principalArns] } },
    };
}

/**
 * A trust policy for an AWS service, limited to calls made on behalf of one source (aws:SourceArn; a pattern with
 * `*` is matched with ArnLike) and one account (aws:SourceAccount). With neither, any use of the service.
 */
export function serviceTrustPolicy(
    service: string,
    condition: { sourceArn?: string; sourceAccount?: string } = {},
): aws.iam.PolicyDocument {
    const conditions: Record<string, Record<string, string>> = {};
    if (condition.sourceArn) {
        conditions[condition.sourceArn.includes("*") ? "ArnLike" : "ArnEquals"] = {
            "aws:SourceArn": condition.sourceArn,
        };
    }
    if (condition.sourceAccount) conditions.StringEquals = { "aws:SourceAccount": condition.sourceAccount };
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Effect: "Allow",
                Principal: { Service: service },
                Action: "sts:AssumeRole",
                ...(Object.keys(conditions).length > 0 ? { Condition: conditions } : {}),
            },
        ],
    };
}

/**
 * ARN of a resource the program names, known before it exists: partition, service, region (empty for a global
 * service such as IAM or S3), account (empty for S3) and the resource part.
 */
export function knownArn(p: {
    readonly partition: string;
    readonly service: string;
    readonly region?: string;
    readonly accountId?: string;
    readonly resource: string;
}): string {
    return `arn:${p.partition}:${p.service}:${p.region ?? ""}:${p.accountId ?? ""}:${p.resource}`;
}

/**
 * A KMS key named by its alias: AWS assigns the key id at creation, so an identity policy scopes to the account's
 * keys that carry the alias (`kms:ResourceAliases`, multi-valued, hence ForAnyValue; AWS KMS developer guide,
 * "Condition keys for AWS KMS"), which is known at preview, as the cross-account grants do.
 */
export function keyByAlias(
    partition: string,
    region: string,
    accountId: string,
    alias: string,
): Required<Pick<aws.iam.PolicyStatement, "Resource" | "Condition">> {
    return {
        Resource: knownArn({ partition, service: "kms", region, accountId, resource: "key/*" }),
        Condition: { "ForAnyValue:StringEquals": { "kms:ResourceAliases": [alias] } },
    };
}
