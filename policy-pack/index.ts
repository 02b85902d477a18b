import { PolicyPack } from "@pulumi/policy";
import { allPolicies, POLICY_PACK_ENFORCEMENT_LEVEL, POLICY_PACK_NAME } from "./policies";

// Entry point for `pulumi preview --policy-pack policy-pack`: composes the policies, nothing else.
new PolicyPack(POLICY_PACK_NAME, {
    policies: allPolicies,
    enforcementLevel: POLICY_PACK_ENFORCEMENT_LEVEL,
    description: "Cross-account DevSecOps pipelines on AWS (GovCloud-ready), mapped to AWS FSBP and NIST SP 800-53.",
    provider: "aws",
    tags: ["aws", "govcloud", "fsbp", "nist-800-53", "codepipeline", "ecs"],
});
