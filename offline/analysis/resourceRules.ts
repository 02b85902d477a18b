/**
 * What the diff needs to know about AWS resource types: which hold data (a delete or replace loses it) and which
 * property changes make the provider replace a resource instead of updating it in place. The engine's stand-in
 * `aws` provider answers Diff from the same rules, so both previews name the same replacements.
 */
import { createOnlyInputs } from "../../awsFacts/replacement";

/** Resource types whose deletion or replacement loses data, with what is lost. */
export const STATEFUL_TYPES: Readonly<Record<string, string>> = {
    "aws:kms/key:Key": "everything encrypted with the key becomes unreadable once the deletion window ends",
    "aws:s3/bucket:Bucket": "the bucket's objects (artifacts, release manifests)",
    "aws:s3/bucketV2:BucketV2": "the bucket's objects (artifacts, release manifests)",
    "aws:ecr/repository:Repository": "the repository's images",
    "aws:codecommit/repository:Repository": "the repository and its history",
    "aws:cloudwatch/logGroup:LogGroup": "the log group's events",
    "aws:codebuild/reportGroup:ReportGroup": "the test reports",
};

/** A property whose change replaces the resource, and where that is documented. */
interface ReplaceRule {
    readonly properties: readonly string[];
    /** Every input except these replaces (task definitions are immutable revisions). */
    readonly allExcept?: readonly string[];
}

/**
 * Properties whose change replaces a resource (the AWS provider's "forces new resource"; CloudFormation documents
 * the same per property as "Update requires: Replacement"). A type not listed here is updated in place, except
 * that a change of `name` or `namePrefix` is taken to replace it, as for nearly every named AWS resource.
 * Renaming a resource in the program (a new URN) is a delete and a create whatever the type.
 */
export const REPLACE_ON_CHANGE: Readonly<Record<string, ReplaceRule>> = {
    // KeySpec, KeyUsage, Origin and MultiRegion are immutable: "If you change the value of the KeySpec, KeyUsage,
    // Origin, or MultiRegion properties of an existing KMS key, the update request fails" (CloudFormation
    // AWS::KMS::Key); the AWS provider replaces the key instead.
    "aws:kms/key:Key": {
        properties: ["customerMasterKeySpec", "keyUsage", "multiRegion", "customKeyStoreId", "xksKeyId"],
    },
    // AWS::S3::Bucket BucketName and ObjectLockEnabled: "Update requires: Replacement".
    "aws:s3/bucket:Bucket": { properties: ["bucket", "bucketPrefix", "objectLockEnabled"] },
    "aws:s3/bucketV2:BucketV2": { properties: ["bucket", "bucketPrefix", "objectLockEnabled"] },
    // AWS::ECR::Repository RepositoryName and EncryptionConfiguration: "Update requires: Replacement"
    // (ECR cannot change a repository's encryption after creation).
    "aws:ecr/repository:Repository": { properties: ["name", "encryptionConfigurations"] },
    // CodeCommit renames in place (UpdateRepositoryName; the ARN and clone URLs change, the history stays).
    "aws:codecommit/repository:Repository": { properties: [] },
    // AWS::Logs::LogGroup LogGroupName and LogGroupClass: "Update requires: Replacement"; the provider forces
    // replacement on log_group_class (hashicorp/terraform-provider-aws#34924).
    "aws:cloudwatch/logGroup:LogGroup": { properties: ["name", "namePrefix", "logGroupClass"] },
    // AWS::CodeBuild::ReportGroup Name and Type: "Update requires: Replacement".
    "aws:codebuild/reportGroup:ReportGroup": { properties: ["name", "type"] },
    "aws:iam/role:Role": { properties: ["name", "namePrefix", "path"] },
    "aws:iam/rolePolicy:RolePolicy": { properties: ["name", "namePrefix", "role"] },
    "aws:iam/userPolicy:UserPolicy": { properties: ["name", "namePrefix", "user"] },
    // IAM users rename in place (UpdateUser).
    "aws:iam/user:User": { properties: [] },
    "aws:kms/alias:Alias": { properties: ["name", "namePrefix"] },
    "aws:s3/bucketPolicy:BucketPolicy": { properties: ["bucket"] },
    "aws:ecr/repositoryPolicy:RepositoryPolicy": { properties: ["repository"] },
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": { properties: ["repository"] },
    "aws:sns/topic:Topic": { properties: ["name", "namePrefix", "fifoTopic"] },
    "aws:sns/topicPolicy:TopicPolicy": { properties: ["arn"] },
    "aws:sns/topicSubscription:TopicSubscription": { properties: ["topic", "protocol", "endpoint"] },
    "aws:ec2/securityGroup:SecurityGroup": { properties: ["name", "namePrefix", "description", "vpcId"] },
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": { properties: ["securityGroupId"] },
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": { properties: ["securityGroupId"] },
    "aws:lb/loadBalancer:LoadBalancer": { properties: ["name", "namePrefix", "internal", "loadBalancerType"] },
    "aws:lb/targetGroup:TargetGroup": {
        properties: ["name", "namePrefix", "port", "protocol", "protocolVersion", "targetType", "vpcId"],
    },
    "aws:lb/listener:Listener": { properties: ["loadBalancerArn"] },
    // Task definitions are immutable revisions: any change registers a new one.
    "aws:ecs/taskDefinition:TaskDefinition": { properties: [], allExcept: ["tags", "skipDestroy", "trackLatest"] },
    "aws:ecs/service:Service": { properties: ["name", "cluster", "schedulingStrategy"] },
    "aws:ecs/cluster:Cluster": { properties: ["name"] },
    "aws:cloudwatch/eventRule:EventRule": { properties: ["name", "namePrefix", "eventBusName"] },
    "aws:cloudwatch/eventTarget:EventTarget": { properties: ["rule", "targetId", "eventBusName"] },
    "aws:cloudwatch/eventBusPolicy:EventBusPolicy": { properties: ["eventBusName"] },
    "aws:budgets/budget:Budget": { properties: ["name", "namePrefix", "accountId"] },
};

/**
 * Properties CloudFormation's schema marks create-only that the AWS provider nonetheless updates in place (its
 * resource is built on another API than CloudFormation's type).
 */
export const UPDATED_IN_PLACE: Readonly<Record<string, readonly string[]>> = {
    // UpdateBudget replaces the notifications in place (terraform-provider-aws aws_budgets_budget: no ForceNew).
    "aws:budgets/budget:Budget": ["notifications"],
    // UpdateUser renames a user in place.
    "aws:iam/user:User": ["name"],
    // ModifySecurityGroupRules changes a rule in place; only its group replaces it (aws_vpc_security_group_*_rule).
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": [
        "cidrIpv4",
        "fromPort",
        "ipProtocol",
        "referencedSecurityGroupId",
        "toPort",
    ],
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": [
        "cidrIpv4",
        "fromPort",
        "ipProtocol",
        "referencedSecurityGroupId",
        "toPort",
    ],
};

const NAME_PROPERTIES = ["name", "namePrefix"];

/**
 * Every top-level property whose change replaces a resource of this type: the create-only properties of AWS's
 * schema (awsFacts/replacement.ts) less UPDATED_IN_PLACE, with REPLACE_ON_CHANGE's (or, for a type it does not
 * list, `name` and `namePrefix`); undefined when every property but `allExcept` replaces.
 */
export function replacingInputs(type: string): string[] | undefined {
    const rule = REPLACE_ON_CHANGE[type];
    if (rule?.allExcept) return undefined;
    const inPlace = UPDATED_IN_PLACE[type] ?? [];
    const fromSchema = (createOnlyInputs(type) ?? []).filter((p) => !inPlace.includes(p));
    const listed = rule ? rule.properties : type.startsWith("aws:") ? NAME_PROPERTIES : [];
    return [...new Set([...listed, ...fromSchema])].sort();
}

/** Which of the changed top-level properties replace a resource of this type. */
export function replacingProperties(type: string, changed: readonly string[]): string[] {
    const rule = REPLACE_ON_CHANGE[type];
    if (rule?.allExcept) return changed.filter((p) => !rule.allExcept!.includes(p));
    const properties = replacingInputs(type) ?? [];
    return changed.filter((p) => properties.includes(p));
}
