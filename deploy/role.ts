/**
 * What the deploy role of bootstrap/account.yaml may do, derived from the resource types the program registers.
 * Each type the program creates maps to the mutating IAM actions the AWS provider calls to create, update, tag and
 * delete it; reads (Describe, Get*Configuration, List: metadata, never data) come from the template's
 * ProgramMetadataReads policy, shared with the preview role. Each action is granted in one scope (SCOPES below): the
 * program's roles and users (named `cicd-*` or `<stack>-*`, with the permissions boundary), buckets (`cicd-*`),
 * keys (tagged with the project), parameters (`/cicd/*`), or the account. A test plans every stack and checks that this table covers exactly
 * the types registered, and that the template grants exactly the actions below: a new resource type in the program
 * fails that test until its actions are added here and in the template.
 */

/** What one resource type needs beyond read-only access. */
export interface TypePermissions {
    /** Mutating actions, granted on `*` of the account (component types make no AWS call: none). */
    readonly actions: readonly string[];
    /** Services this type passes a role to (`iam:PassRole` with `iam:PassedToService`). */
    readonly passRoleTo?: readonly string[];
    /** Service-linked roles AWS creates on the first use of this type (`iam:CreateServiceLinkedRole`). */
    readonly serviceLinkedRoles?: readonly string[];
    /** KMS grants AWS creates for the resource on the caller's behalf (`kms:GrantIsForAWSResource`). */
    readonly kmsGrants?: boolean;
}

const TAG_EVENTS = ["events:TagResource", "events:UntagResource"];
const SG_TAGS = ["ec2:CreateTags", "ec2:DeleteTags"];
const LB_TAGS = ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"];
const COMPONENT: TypePermissions = { actions: [] };

/** Resource types of the program (and of awsx's VPC, which the awsx provider creates) and their permissions. */
export const TYPE_PERMISSIONS: Readonly<Record<string, TypePermissions>> = {
    "aws:budgets/budget:Budget": { actions: ["budgets:ModifyBudget", "budgets:TagResource"] },
    "aws:cloudwatch/eventBusPolicy:EventBusPolicy": { actions: ["events:PutPermission", "events:RemovePermission"] },
    "aws:cloudwatch/eventRule:EventRule": {
        actions: ["events:DeleteRule", "events:DisableRule", "events:EnableRule", "events:PutRule", ...TAG_EVENTS],
    },
    "aws:cloudwatch/eventTarget:EventTarget": {
        actions: ["events:PutTargets", "events:RemoveTargets"],
        passRoleTo: ["events.amazonaws.com"],
    },
    "aws:cloudwatch/logGroup:LogGroup": {
        actions: [
            "logs:AssociateKmsKey",
            "logs:CreateLogGroup",
            "logs:DeleteLogGroup",
            "logs:DeleteRetentionPolicy",
            "logs:DisassociateKmsKey",
            "logs:PutRetentionPolicy",
            "logs:TagResource",
            "logs:UntagResource",
        ],
    },
    "aws:cloudwatch/dashboard:Dashboard": {
        actions: ["cloudwatch:PutDashboard", "cloudwatch:DeleteDashboards"],
    },
    "aws:cloudwatch/metricAlarm:MetricAlarm": {
        actions: [
            "cloudwatch:DeleteAlarms",
            "cloudwatch:PutMetricAlarm",
            "cloudwatch:TagResource",
            "cloudwatch:UntagResource",
        ],
    },
    "aws:codebuild/project:Project": {
        actions: ["codebuild:CreateProject", "codebuild:DeleteProject", "codebuild:UpdateProject"],
        passRoleTo: ["codebuild.amazonaws.com"],
    },
    "aws:codebuild/reportGroup:ReportGroup": {
        actions: ["codebuild:CreateReportGroup", "codebuild:DeleteReportGroup", "codebuild:UpdateReportGroup"],
    },
    "aws:codecommit/repository:Repository": {
        actions: [
            "codecommit:CreateRepository",
            "codecommit:DeleteRepository",
            "codecommit:TagResource",
            "codecommit:UntagResource",
            "codecommit:UpdateDefaultBranch",
            "codecommit:UpdateRepositoryDescription",
            "codecommit:UpdateRepositoryName",
        ],
    },
    "aws:codepipeline/pipeline:Pipeline": {
        actions: [
            "codepipeline:CreatePipeline",
            "codepipeline:DeletePipeline",
            "codepipeline:TagResource",
            "codepipeline:UntagResource",
            "codepipeline:UpdatePipeline",
        ],
        passRoleTo: ["codepipeline.amazonaws.com"],
    },
    "aws:ec2/flowLog:FlowLog": {
        actions: ["ec2:CreateFlowLogs", "ec2:DeleteFlowLogs", ...SG_TAGS],
        passRoleTo: ["vpc-flow-logs.amazonaws.com"],
    },
    "aws:ec2/securityGroup:SecurityGroup": {
        actions: [
            "ec2:AuthorizeSecurityGroupEgress",
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:CreateSecurityGroup",
            "ec2:DeleteSecurityGroup",
            "ec2:RevokeSecurityGroupEgress",
            "ec2:RevokeSecurityGroupIngress",
            ...SG_TAGS,
        ],
    },
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": { actions: ["ecr:DeleteLifecyclePolicy", "ecr:PutLifecyclePolicy"] },
    // A KMS-encrypted repository: ECR creates a grant on the key as the caller, who needs kms:CreateGrant
    // (https://docs.aws.amazon.com/AmazonECR/latest/userguide/encryption-at-rest.html).
    "aws:ecr/repository:Repository": {
        actions: [
            "ecr:CreateRepository",
            "ecr:DeleteRepository",
            "ecr:PutImageScanningConfiguration",
            "ecr:PutImageTagMutability",
            "ecr:TagResource",
            "ecr:UntagResource",
        ],
        kmsGrants: true,
    },
    "aws:ecr/repositoryPolicy:RepositoryPolicy": {
        actions: ["ecr:DeleteRepositoryPolicy", "ecr:SetRepositoryPolicy"],
    },
    "aws:ecs/cluster:Cluster": {
        actions: [
            "ecs:CreateCluster",
            "ecs:DeleteCluster",
            "ecs:PutClusterCapacityProviders",
            "ecs:TagResource",
            "ecs:UntagResource",
            "ecs:UpdateCluster",
            "ecs:UpdateClusterSettings",
        ],
        serviceLinkedRoles: ["ecs.amazonaws.com"],
    },
    "aws:ecs/service:Service": {
        actions: [
            "ecs:CreateService",
            "ecs:DeleteService",
            "ecs:TagResource",
            "ecs:UntagResource",
            "ecs:UpdateService",
        ],
        serviceLinkedRoles: ["ecs.amazonaws.com"],
    },
    "aws:ecs/taskDefinition:TaskDefinition": {
        actions: [
            "ecs:DeleteTaskDefinitions",
            "ecs:DeregisterTaskDefinition",
            "ecs:RegisterTaskDefinition",
            "ecs:TagResource",
        ],
        passRoleTo: ["ecs-tasks.amazonaws.com"],
    },
    "aws:iam/role:Role": {
        actions: [
            "iam:CreateRole",
            "iam:DeleteRole",
            "iam:DeleteRolePolicy",
            "iam:DetachRolePolicy",
            "iam:PutRolePermissionsBoundary",
            "iam:TagRole",
            "iam:UntagRole",
            "iam:UpdateAssumeRolePolicy",
            "iam:UpdateRole",
            "iam:UpdateRoleDescription",
        ],
    },
    "aws:iam/rolePolicy:RolePolicy": { actions: ["iam:DeleteRolePolicy", "iam:PutRolePolicy"] },
    "aws:iam/user:User": {
        actions: [
            "iam:CreateUser",
            "iam:DeleteUser",
            "iam:DeleteUserPolicy",
            "iam:PutUserPermissionsBoundary",
            "iam:TagUser",
            "iam:UntagUser",
            "iam:UpdateUser",
        ],
    },
    "aws:iam/userPolicy:UserPolicy": { actions: ["iam:DeleteUserPolicy", "iam:PutUserPolicy"] },
    "aws:kms/alias:Alias": { actions: ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"] },
    "aws:kms/key:Key": {
        actions: [
            "kms:CreateKey",
            "kms:DisableKeyRotation",
            "kms:EnableKeyRotation",
            "kms:PutKeyPolicy",
            "kms:ScheduleKeyDeletion",
            "kms:TagResource",
            "kms:UntagResource",
            "kms:UpdateKeyDescription",
        ],
    },
    "aws:lb/listener:Listener": {
        actions: [
            "elasticloadbalancing:CreateListener",
            "elasticloadbalancing:DeleteListener",
            "elasticloadbalancing:ModifyListener",
            ...LB_TAGS,
        ],
    },
    "aws:lb/listenerRule:ListenerRule": {
        actions: [
            "elasticloadbalancing:CreateRule",
            "elasticloadbalancing:DeleteRule",
            "elasticloadbalancing:ModifyRule",
            "elasticloadbalancing:SetRulePriorities",
            ...LB_TAGS,
        ],
    },
    "aws:lb/loadBalancer:LoadBalancer": {
        actions: [
            "elasticloadbalancing:CreateLoadBalancer",
            "elasticloadbalancing:DeleteLoadBalancer",
            "elasticloadbalancing:ModifyLoadBalancerAttributes",
            "elasticloadbalancing:SetSecurityGroups",
            "elasticloadbalancing:SetSubnets",
            ...LB_TAGS,
        ],
        serviceLinkedRoles: ["elasticloadbalancing.amazonaws.com"],
    },
    "aws:lb/targetGroup:TargetGroup": {
        actions: [
            "elasticloadbalancing:CreateTargetGroup",
            "elasticloadbalancing:DeleteTargetGroup",
            "elasticloadbalancing:ModifyTargetGroup",
            "elasticloadbalancing:ModifyTargetGroupAttributes",
            ...LB_TAGS,
        ],
    },
    // A destroy of a bucket with forceDestroy (dev, qa) first empties it: every object version and delete marker is
    // listed (ListObjectVersions) and deleted by version id (pulumi/pulumi-aws#1132, fixed upstream by
    // hashicorp/terraform-provider-aws#24020); without these the versioned bucket's destroy fails BucketNotEmpty.
    // Stage and prod retain their bucket (protect, no forceDestroy). No widening in effect: the role already
    // writes the bucket's policy.
    "aws:s3/bucket:Bucket": {
        actions: [
            "s3:CreateBucket",
            "s3:DeleteBucket",
            "s3:DeleteObjectVersion",
            "s3:ListBucketVersions",
            "s3:PutBucketTagging",
        ],
    },
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": { actions: ["s3:PutLifecycleConfiguration"] },
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": { actions: ["s3:PutBucketOwnershipControls"] },
    "aws:s3/bucketPolicy:BucketPolicy": { actions: ["s3:DeleteBucketPolicy", "s3:PutBucketPolicy"] },
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": { actions: ["s3:PutBucketPublicAccessBlock"] },
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": {
        actions: ["s3:PutEncryptionConfiguration"],
    },
    "aws:s3/bucketVersioning:BucketVersioning": { actions: ["s3:PutBucketVersioning"] },
    "aws:sns/topic:Topic": {
        actions: [
            "sns:CreateTopic",
            "sns:DeleteTopic",
            "sns:SetTopicAttributes",
            "sns:TagResource",
            "sns:UntagResource",
        ],
    },
    "aws:sns/topicPolicy:TopicPolicy": { actions: ["sns:SetTopicAttributes"] },
    "aws:sns/topicSubscription:TopicSubscription": {
        actions: ["sns:SetSubscriptionAttributes", "sns:Subscribe", "sns:Unsubscribe"],
    },
    "aws:ssm/parameter:Parameter": {
        actions: ["ssm:AddTagsToResource", "ssm:DeleteParameter", "ssm:PutParameter", "ssm:RemoveTagsFromResource"],
    },
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": {
        actions: [
            "ec2:AuthorizeSecurityGroupEgress",
            "ec2:ModifySecurityGroupRules",
            "ec2:RevokeSecurityGroupEgress",
            ...SG_TAGS,
        ],
    },
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": {
        actions: [
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:ModifySecurityGroupRules",
            "ec2:RevokeSecurityGroupIngress",
            ...SG_TAGS,
        ],
    },
    // The awsx provider creates the VPC's children: VPC, subnets, route tables and routes, internet gateway,
    // Elastic IPs and NAT gateways (engine/providers/awsx.ts stands in for the same layout).
    "awsx:ec2:Vpc": {
        actions: [
            "ec2:AllocateAddress",
            "ec2:AssociateRouteTable",
            "ec2:AttachInternetGateway",
            "ec2:CreateInternetGateway",
            "ec2:CreateNatGateway",
            "ec2:CreateRoute",
            "ec2:CreateRouteTable",
            "ec2:CreateSubnet",
            "ec2:CreateVpc",
            "ec2:DeleteInternetGateway",
            "ec2:DeleteNatGateway",
            "ec2:DeleteRoute",
            "ec2:DeleteRouteTable",
            "ec2:DeleteSubnet",
            "ec2:DeleteVpc",
            "ec2:DetachInternetGateway",
            "ec2:DisassociateAddress",
            "ec2:DisassociateRouteTable",
            "ec2:ModifySubnetAttribute",
            "ec2:ModifyVpcAttribute",
            "ec2:ReleaseAddress",
            "ec2:ReplaceRoute",
            ...SG_TAGS,
        ],
    },
    "devsecops:budget:AccountBudget": COMPONENT,
    "devsecops:events:PushEventRule": COMPONENT,
    "devsecops:network:ServiceNetwork": COMPONENT,
    "devsecops:notifications:PipelineNotifications": COMPONENT,
    "devsecops:pipeline:PipelineBuildProjects": COMPONENT,
    "devsecops:pipeline:ServicePipeline": COMPONENT,
    "devsecops:registry:ContainerRegistry": COMPONENT,
    "devsecops:security:ArtifactBucket": COMPONENT,
    "devsecops:security:CrossAccountKmsKey": COMPONENT,
    "devsecops:security:PersonRoles": COMPONENT,
    "devsecops:security:PipelineRoleTrust": COMPONENT,
    "devsecops:service:FargateService": COMPONENT,
    "devsecops:service:ServiceAlarms": COMPONENT,
    "devsecops:service:ServiceDashboard": COMPONENT,
    "pulumi:providers:aws": COMPONENT,
};

/** The deploy role's permissions for a set of registered types, each list sorted and without duplicates. */
export interface DeployPermissions {
    readonly actions: string[];
    readonly passRoleTo: string[];
    readonly serviceLinkedRoles: string[];
    readonly kmsGrants: boolean;
}

const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

/** Unknown types are an error that names them: the table must be extended first. */
export function deployPermissions(types: Iterable<string>): DeployPermissions {
    const list = sorted(types);
    const unknown = list.filter((t) => !(t in TYPE_PERMISSIONS));
    if (unknown.length > 0) {
        throw new Error(
            `no deploy permissions for ${unknown.join(", ")}: add the IAM actions that create, update, tag and ` +
                "delete them to TYPE_PERMISSIONS in deploy/role.ts and to the deploy policy of bootstrap/account.yaml",
        );
    }
    const entries = list.map((t) => TYPE_PERMISSIONS[t]);
    return {
        actions: sorted(entries.flatMap((e) => e.actions)),
        passRoleTo: sorted(entries.flatMap((e) => e.passRoleTo ?? [])),
        serviceLinkedRoles: sorted(entries.flatMap((e) => e.serviceLinkedRoles ?? [])),
        kmsGrants: entries.some((e) => e.kmsGrants),
    };
}

/**
 * Where the template grants an action, by the statement's Sid in bootstrap/account.yaml:
 *   BoundedRoles/BoundedUsers   the program's names, and only with the permissions boundary (iam:PermissionsBoundary)
 *   ProgramRoles/ProgramUsers   the program's names (actions without the boundary condition key)
 *   ProgramBuckets              arn:<partition>:s3:::cicd-*
 *   NewKeys                     kms:CreateKey with the project tag (aws:RequestTag/Project)
 *   ProgramKeys                 keys tagged with the project (aws:ResourceTag/Project)
 *   ProgramAliases              alias/cicd-* (and, in KeysOfProgramAliases, the project's keys)
 *   ProgramParameters           parameter/cicd/*
 *   ProgramResources            the account ("*")
 */
export type Scope =
    | "BoundedRoles"
    | "ProgramRoles"
    | "BoundedUsers"
    | "ProgramUsers"
    | "ProgramBuckets"
    | "NewKeys"
    | "ProgramKeys"
    | "ProgramAliases"
    | "ProgramParameters"
    | "ProgramResources";

/** The IAM actions whose request carries iam:PermissionsBoundary (the entity's boundary). */
const BOUNDARY_KEYED = new Set([
    "iam:CreateRole",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
    "iam:CreateUser",
    "iam:DeleteUserPolicy",
    "iam:PutUserPermissionsBoundary",
    "iam:PutUserPolicy",
]);

/** The scope the template grants `action` in. */
export function scopeOf(action: string): Scope {
    const [service, name] = action.split(":");
    if (service === "iam") {
        const kind = /User/.test(name) ? "Users" : "Roles";
        return `${BOUNDARY_KEYED.has(action) ? "Bounded" : "Program"}${kind}`;
    }
    if (service === "s3") return "ProgramBuckets";
    if (action === "kms:CreateKey") return "NewKeys";
    if (/^kms:(Create|Delete|Update)Alias$/.test(action)) return "ProgramAliases";
    if (service === "kms") return "ProgramKeys";
    if (service === "ssm") return "ProgramParameters";
    return "ProgramResources";
}

/** The derived actions grouped by the scope they are granted in, each list sorted. */
export function actionsByScope(actions: readonly string[]): Partial<Record<Scope, string[]>> {
    const grouped: Partial<Record<Scope, string[]>> = {};
    for (const action of sorted(actions)) (grouped[scopeOf(action)] ??= []).push(action);
    return grouped;
}
