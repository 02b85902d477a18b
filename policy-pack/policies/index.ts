import type { EnforcementLevel, Policy } from "@pulumi/policy";
import { codebuildBehaviourPolicies, codebuildPolicies } from "./codebuild";
import { codepipelineBehaviourPolicies, codepipelinePolicies } from "./codepipeline";
import { metadataOf, PolicyMetadata } from "./common";
import { ecrPolicies, ecrRetentionPolicies } from "./ecr";
import { ecsPolicies, ecsRuntimePolicies } from "./ecs";
import { lambdaPolicies } from "./lambda";
import { iamEscalationPolicies, iamPolicies } from "./iam";
import { kmsKeyPolicyPolicies, kmsPolicies } from "./kms";
import { loggingPolicies } from "./logging";
import { s3ContentPolicies, s3Policies } from "./s3";
import { tagPolicies } from "./tags";
import { resourcePolicyPolicies } from "./resourcePolicies";
import { loadBalancerBehaviourPolicies, loadBalancerPolicies } from "./loadBalancers";
import { egressPolicies, networkPolicies } from "./network";
import { protectionPolicies, sourceProtectionPolicies } from "./protection";
import { eventPolicies } from "./events";
import { auditPolicies } from "./audit";
import { peoplePolicies } from "./people";
import packageJson from "../package.json";

export type { PolicyMetadata } from "./common";

/** The pack's name, as `pulumi preview --policy-pack` reports it. */
export const POLICY_PACK_NAME = "devsecops-pipelines";
/** The pack's version as the analyzer reports it: policy-pack/package.json's. */
export const POLICY_PACK_VERSION: string = packageJson.version;
/** The pack-wide default for a policy that sets no level of its own (every policy here sets one). */
export const POLICY_PACK_ENFORCEMENT_LEVEL: EnforcementLevel = "mandatory";

/** Every policy of the pack, in the order the README lists them. */
export const allPolicies: Policy[] = [
    ...s3Policies,
    ...kmsPolicies,
    ...iamPolicies,
    ...peoplePolicies,
    ...resourcePolicyPolicies,
    ...codebuildPolicies,
    ...codepipelinePolicies,
    ...ecrPolicies,
    ...ecsPolicies,
    ...lambdaPolicies,
    ...loggingPolicies,
    ...loadBalancerPolicies,
    ...networkPolicies,
    ...protectionPolicies,
    ...tagPolicies,
    // Judged by behaviour: event routing, the audit trail, escalation, containers and load balancers, keys and
    // buckets, pipelines.
    ...eventPolicies,
    ...auditPolicies,
    ...iamEscalationPolicies,
    ...ecsRuntimePolicies,
    ...loadBalancerBehaviourPolicies,
    ...egressPolicies,
    ...kmsKeyPolicyPolicies,
    ...s3ContentPolicies,
    ...ecrRetentionPolicies,
    ...sourceProtectionPolicies,
    ...codebuildBehaviourPolicies,
    ...codepipelineBehaviourPolicies,
];

/** Name, summary, severity, AWS FSBP and NIST SP 800-53 ids and default level of every policy. */
export const policyMetadata: PolicyMetadata[] = allPolicies.map((p) => {
    const meta = metadataOf(p.name);
    if (!meta) throw new Error(`policy ${p.name} has no metadata: build it with resourcePolicy() or stackPolicy()`);
    return meta;
});
