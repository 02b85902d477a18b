import type { EnforcementLevel, Policy } from "@pulumi/policy";
import { codebuildPolicies } from "./codebuild";
import { codepipelinePolicies } from "./codepipeline";
import { metadataOf, PolicyMetadata } from "./common";
import { ecrPolicies } from "./ecr";
import { ecsPolicies } from "./ecs";
import { iamPolicies } from "./iam";
import { kmsPolicies } from "./kms";
import { loggingPolicies } from "./logging";
import { s3Policies } from "./s3";
import { tagPolicies } from "./tags";
import { resourcePolicyPolicies } from "./resourcePolicies";
import { loadBalancerPolicies } from "./loadBalancers";
import { networkPolicies } from "./network";
import { protectionPolicies } from "./protection";
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
    ...loggingPolicies,
    ...loadBalancerPolicies,
    ...networkPolicies,
    ...protectionPolicies,
    ...tagPolicies,
];

/** Name, summary, severity, AWS FSBP and NIST SP 800-53 ids and default level of every policy. */
export const policyMetadata: PolicyMetadata[] = allPolicies.map((p) => {
    const meta = metadataOf(p.name);
    if (!meta) throw new Error(`policy ${p.name} has no metadata: build it with resourcePolicy() or stackPolicy()`);
    return meta;
});
