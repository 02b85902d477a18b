/**
 * Which CloudFormation resource type and property each Pulumi type and property the program registers is, so that
 * its inputs are checked against AWS's own schema. The AWS provider's names come from the AWS APIs through
 * Terraform (camelCase, some flattened or renamed); CloudFormation's are PascalCase. Nested keys are mapped by
 * capitalising their first letter unless `names` says otherwise.
 */

type Value = unknown;

/** How one Pulumi input maps to the schema. */
export type PropertyRule =
    /** The CloudFormation property (a dotted path reaches into a nested block, e.g. `DeploymentConfiguration.MaximumPercent`). */
    | string
    | {
          readonly to: string;
          /** The input is a JSON document in a string (container definitions, policies, event patterns). */
          readonly json?: true;
          /** Reshapes the input (still in the provider's camelCase) to the schema's structure. */
          readonly as?: (value: Value) => Value;
          /** Nested keys whose schema name is not the key capitalised. */
          readonly names?: Readonly<Record<string, string>>;
      }
    /** Not a property of the AWS resource (a provider behaviour or a reference checked elsewhere): why. */
    | { readonly unchecked: string };

export interface TypeRule {
    /** The CloudFormation resource type. */
    readonly cfn: string;
    /** A definition inside that type's schema, where the Pulumi resource is one block of a CloudFormation resource. */
    readonly definition?: string;
    readonly properties: Readonly<Record<string, PropertyRule>>;
}

const PROVIDER_ONLY = { unchecked: "a behaviour of the AWS provider, not sent to AWS" };
export const PARENT = { unchecked: "names the resource it belongs to (checked on that resource)" };
const ATTRIBUTE = { unchecked: "a load balancer attribute (key-value pair), not a schema property" };

/** Pulumi's tag map as CloudFormation's list of Key/Value pairs. */
const TAGS = {
    to: "Tags",
    as: (tags: Value) =>
        typeof tags === "object" && tags !== null && !Array.isArray(tags)
            ? Object.entries(tags).map(([key, value]) => ({ key, value }))
            : tags,
};
const POLICY = (to: string) => ({ to, json: true as const });
const listOf = (to: string, as: (v: any) => Value) => ({
    to,
    as: (v: Value) => (Array.isArray(v) ? v.map(as) : v),
});

/** CodePipeline: the provider's flat action (category, owner, provider, version) as CloudFormation's ActionTypeId. */
function pipelineStage(stage: any): Value {
    if (typeof stage !== "object" || stage === null || !Array.isArray(stage.actions)) return stage;
    const names = (a: unknown) => (Array.isArray(a) ? a.map((name) => ({ name })) : a);
    return {
        ...stage,
        actions: stage.actions.map((a: any) => {
            const { category, owner, provider, version, inputArtifacts, outputArtifacts, ...rest } = a ?? {};
            return {
                ...rest,
                actionTypeId: { category, owner, provider, version },
                ...(inputArtifacts ? { inputArtifacts: names(inputArtifacts) } : {}),
                ...(outputArtifacts ? { outputArtifacts: names(outputArtifacts) } : {}),
            };
        }),
    };
}

export const RESOURCE_MAP: Readonly<Record<string, TypeRule>> = {
    "aws:budgets/budget:Budget": {
        cfn: "AWS::Budgets::Budget",
        properties: {
            name: "Budget.BudgetName",
            budgetType: "Budget.BudgetType",
            timeUnit: "Budget.TimeUnit",
            limitAmount: { to: "Budget.BudgetLimit.Amount", as: (v) => (typeof v === "string" ? Number(v) : v) },
            limitUnit: "Budget.BudgetLimit.Unit",
            accountId: { unchecked: "the account the budget is created in (the API's AccountId, not in the schema)" },
            costFilters: { unchecked: "the provider's list of name/values pairs; the schema's CostFilters is a map" },
            notifications: listOf("NotificationsWithSubscribers", (n: any) => {
                if (typeof n !== "object" || n === null) return n;
                const { subscriberEmailAddresses, subscriberSnsTopicArns, ...notification } = n;
                const subscribers = [
                    ...(subscriberEmailAddresses ?? []).map((address: string) => ({
                        subscriptionType: "EMAIL",
                        address,
                    })),
                    ...(subscriberSnsTopicArns ?? []).map((address: string) => ({ subscriptionType: "SNS", address })),
                ];
                return { notification, subscribers };
            }),
        },
    },
    "aws:cloudwatch/eventBusPolicy:EventBusPolicy": {
        cfn: "AWS::Events::EventBusPolicy",
        properties: { eventBusName: "EventBusName", policy: POLICY("Statement") },
    },
    "aws:cloudwatch/eventRule:EventRule": {
        cfn: "AWS::Events::Rule",
        properties: {
            name: "Name",
            description: "Description",
            eventBusName: "EventBusName",
            eventPattern: POLICY("EventPattern"),
            state: "State",
        },
    },
    "aws:cloudwatch/eventTarget:EventTarget": {
        cfn: "AWS::Events::Rule",
        definition: "Target",
        properties: { arn: "Arn", roleArn: "RoleArn", targetId: "Id", rule: PARENT, eventBusName: PARENT },
    },
    "aws:cloudwatch/logGroup:LogGroup": {
        cfn: "AWS::Logs::LogGroup",
        properties: { name: "LogGroupName", kmsKeyId: "KmsKeyId", retentionInDays: "RetentionInDays", tags: TAGS },
    },
    "aws:cloudwatch/metricAlarm:MetricAlarm": {
        cfn: "AWS::CloudWatch::Alarm",
        properties: {
            name: "AlarmName",
            alarmActions: "AlarmActions",
            alarmDescription: "AlarmDescription",
            comparisonOperator: "ComparisonOperator",
            dimensions: {
                to: "Dimensions",
                as: (d) =>
                    typeof d === "object" && d !== null && !Array.isArray(d)
                        ? Object.entries(d).map(([name, value]) => ({ name, value }))
                        : d,
            },
            evaluationPeriods: "EvaluationPeriods",
            metricName: "MetricName",
            namespace: "Namespace",
            period: "Period",
            statistic: "Statistic",
            extendedStatistic: "ExtendedStatistic",
            datapointsToAlarm: "DatapointsToAlarm",
            okActions: { to: "OKActions" },
            // The provider's metric queries are the schema's Metrics: metric.stat/period are MetricStat's.
            metricQueries: {
                to: "Metrics",
                as: (queries) =>
                    Array.isArray(queries)
                        ? queries.map((q: any) =>
                              q?.metric
                                  ? {
                                        id: q.id,
                                        returnData: q.returnData,
                                        metricStat: {
                                            metric: {
                                                namespace: q.metric.namespace,
                                                metricName: q.metric.metricName,
                                                dimensions: Object.entries(q.metric.dimensions ?? {}).map(
                                                    ([name, value]) => ({ name, value }),
                                                ),
                                            },
                                            stat: q.metric.stat,
                                            period: q.metric.period,
                                        },
                                    }
                                  : q,
                          )
                        : queries,
            },
            threshold: "Threshold",
            treatMissingData: "TreatMissingData",
            actionsEnabled: "ActionsEnabled",
            tags: TAGS,
        },
    },
    "aws:codedeploy/application:Application": {
        cfn: "AWS::CodeDeploy::Application",
        properties: { name: "ApplicationName", computePlatform: "ComputePlatform", tags: TAGS },
    },
    "aws:codedeploy/deploymentGroup:DeploymentGroup": {
        cfn: "AWS::CodeDeploy::DeploymentGroup",
        properties: {
            appName: "ApplicationName",
            deploymentGroupName: "DeploymentGroupName",
            serviceRoleArn: "ServiceRoleArn",
            deploymentConfigName: "DeploymentConfigName",
            deploymentStyle: "DeploymentStyle",
            autoRollbackConfiguration: "AutoRollbackConfiguration",
            // The provider's alarm names are CloudFormation's list of { Name }.
            alarmConfiguration: {
                to: "AlarmConfiguration",
                as: (c: any) =>
                    typeof c === "object" && c !== null && Array.isArray(c.alarms)
                        ? { ...c, alarms: c.alarms.map((name: unknown) => ({ name })) }
                        : c,
            },
            tags: TAGS,
        },
    },
    "aws:cloudwatch/dashboard:Dashboard": {
        cfn: "AWS::CloudWatch::Dashboard",
        properties: { dashboardName: "DashboardName", dashboardBody: "DashboardBody" },
    },
    "aws:codebuild/project:Project": {
        cfn: "AWS::CodeBuild::Project",
        properties: {
            name: "Name",
            artifacts: "Artifacts",
            buildTimeout: "TimeoutInMinutes",
            description: "Description",
            encryptionKey: "EncryptionKey",
            environment: "Environment",
            logsConfig: { to: "LogsConfig", names: { cloudwatchLogs: "CloudWatchLogs" } },
            serviceRole: "ServiceRole",
            source: { to: "Source", names: { buildspec: "BuildSpec" } },
            tags: TAGS,
        },
    },
    "aws:codebuild/reportGroup:ReportGroup": {
        cfn: "AWS::CodeBuild::ReportGroup",
        properties: {
            name: "Name",
            type: "Type",
            deleteReports: "DeleteReports",
            exportConfig: { to: "ExportConfig", names: { type: "ExportConfigType" } },
            tags: TAGS,
        },
    },
    "aws:codecommit/repository:Repository": {
        cfn: "AWS::CodeCommit::Repository",
        properties: { repositoryName: "RepositoryName", description: "RepositoryDescription", tags: TAGS },
    },
    "aws:codepipeline/pipeline:Pipeline": {
        cfn: "AWS::CodePipeline::Pipeline",
        properties: {
            name: "Name",
            roleArn: "RoleArn",
            executionMode: "ExecutionMode",
            pipelineType: "PipelineType",
            // One store without a region is the schema's ArtifactStore; stores per region are ArtifactStores.
            artifactStores: {
                to: "",
                as: (stores) => {
                    if (!Array.isArray(stores)) return stores;
                    const [only] = stores as any[];
                    if (stores.length === 1 && only?.region === undefined) return { artifactStore: only };
                    return {
                        artifactStores: stores.map((s: any) => {
                            const { region, ...artifactStore } = s ?? {};
                            return { region, artifactStore };
                        }),
                    };
                },
            },
            stages: listOf("Stages", pipelineStage),
            tags: TAGS,
        },
    },
    "aws:ec2/flowLog:FlowLog": {
        cfn: "AWS::EC2::FlowLog",
        properties: {
            iamRoleArn: "DeliverLogsPermissionArn",
            logDestination: "LogDestination",
            logDestinationType: "LogDestinationType",
            maxAggregationInterval: "MaxAggregationInterval",
            trafficType: "TrafficType",
            vpcId: "ResourceId",
            tags: TAGS,
        },
    },
    "aws:ec2/securityGroup:SecurityGroup": {
        cfn: "AWS::EC2::SecurityGroup",
        properties: { name: "GroupName", description: "GroupDescription", vpcId: "VpcId", tags: TAGS },
    },
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": {
        cfn: "AWS::ECR::Repository",
        definition: "LifecyclePolicy",
        properties: { policy: "LifecyclePolicyText", repository: PARENT },
    },
    "aws:ecr/repository:Repository": {
        cfn: "AWS::ECR::Repository",
        properties: {
            name: "RepositoryName",
            encryptionConfigurations: {
                to: "EncryptionConfiguration",
                as: (list) => (Array.isArray(list) && list.length === 1 ? list[0] : list),
            },
            forceDelete: "EmptyOnDelete",
            imageScanningConfiguration: "ImageScanningConfiguration",
            imageTagMutability: "ImageTagMutability",
            tags: TAGS,
        },
    },
    "aws:ecr/repositoryPolicy:RepositoryPolicy": {
        cfn: "AWS::ECR::Repository",
        properties: { policy: POLICY("RepositoryPolicyText"), repository: "RepositoryName" },
    },
    "aws:ecs/cluster:Cluster": {
        cfn: "AWS::ECS::Cluster",
        properties: { name: "ClusterName", settings: "ClusterSettings", tags: TAGS },
    },
    "aws:ecs/service:Service": {
        cfn: "AWS::ECS::Service",
        properties: {
            name: "ServiceName",
            cluster: "Cluster",
            deploymentCircuitBreaker: "DeploymentConfiguration.DeploymentCircuitBreaker",
            deploymentConfiguration: {
                to: "DeploymentConfiguration",
                // The provider takes the bake as a string; the schema's BakeTimeInMinutes is an integer.
                as: (c: any) =>
                    typeof c === "object" && c !== null && typeof c.bakeTimeInMinutes === "string"
                        ? { ...c, bakeTimeInMinutes: Number(c.bakeTimeInMinutes) }
                        : c,
            },
            alarms: "DeploymentConfiguration.Alarms",
            deploymentMaximumPercent: "DeploymentConfiguration.MaximumPercent",
            deploymentMinimumHealthyPercent: "DeploymentConfiguration.MinimumHealthyPercent",
            desiredCount: "DesiredCount",
            enableEcsManagedTags: "EnableECSManagedTags",
            enableExecuteCommand: "EnableExecuteCommand",
            healthCheckGracePeriodSeconds: "HealthCheckGracePeriodSeconds",
            launchType: "LaunchType",
            loadBalancers: "LoadBalancers",
            networkConfiguration: {
                to: "NetworkConfiguration.AwsvpcConfiguration",
                as: (n: any) =>
                    typeof n === "object" && n !== null && typeof n.assignPublicIp === "boolean"
                        ? { ...n, assignPublicIp: n.assignPublicIp ? "ENABLED" : "DISABLED" }
                        : n,
            },
            platformVersion: "PlatformVersion",
            propagateTags: "PropagateTags",
            taskDefinition: "TaskDefinition",
            waitForSteadyState: PROVIDER_ONLY,
            tags: TAGS,
        },
    },
    "aws:ecs/taskDefinition:TaskDefinition": {
        cfn: "AWS::ECS::TaskDefinition",
        properties: {
            family: "Family",
            containerDefinitions: { to: "ContainerDefinitions", json: true },
            cpu: "Cpu",
            memory: "Memory",
            executionRoleArn: "ExecutionRoleArn",
            taskRoleArn: "TaskRoleArn",
            networkMode: "NetworkMode",
            requiresCompatibilities: "RequiresCompatibilities",
            runtimePlatform: "RuntimePlatform",
            volumes: "Volumes",
            tags: TAGS,
        },
    },
    "aws:iam/role:Role": {
        cfn: "AWS::IAM::Role",
        properties: {
            name: "RoleName",
            path: "Path",
            assumeRolePolicy: POLICY("AssumeRolePolicyDocument"),
            description: "Description",
            maxSessionDuration: "MaxSessionDuration",
            permissionsBoundary: "PermissionsBoundary",
            tags: TAGS,
        },
    },
    "aws:iam/rolePolicy:RolePolicy": {
        cfn: "AWS::IAM::RolePolicy",
        properties: { name: "PolicyName", policy: POLICY("PolicyDocument"), role: "RoleName" },
    },
    "aws:iam/user:User": {
        cfn: "AWS::IAM::User",
        properties: {
            name: "UserName",
            path: "Path",
            permissionsBoundary: "PermissionsBoundary",
            forceDestroy: PROVIDER_ONLY,
            tags: TAGS,
        },
    },
    "aws:iam/userPolicy:UserPolicy": {
        cfn: "AWS::IAM::UserPolicy",
        properties: { name: "PolicyName", policy: POLICY("PolicyDocument"), user: "UserName" },
    },
    "aws:kms/alias:Alias": {
        cfn: "AWS::KMS::Alias",
        properties: { name: "AliasName", targetKeyId: "TargetKeyId" },
    },
    "aws:kms/key:Key": {
        cfn: "AWS::KMS::Key",
        properties: {
            customerMasterKeySpec: "KeySpec",
            deletionWindowInDays: "PendingWindowInDays",
            description: "Description",
            enableKeyRotation: "EnableKeyRotation",
            keyUsage: "KeyUsage",
            policy: POLICY("KeyPolicy"),
            tags: TAGS,
        },
    },
    "aws:lambda/function:Function": {
        cfn: "AWS::Lambda::Function",
        properties: {
            name: "FunctionName",
            packageType: "PackageType",
            imageUri: "Code.ImageUri",
            runtime: "Runtime",
            role: "Role",
            memorySize: "MemorySize",
            timeout: "Timeout",
            reservedConcurrentExecutions: "ReservedConcurrentExecutions",
            architectures: "Architectures",
            publish: { unchecked: "publishes a version on create (AWS::Lambda::Version in CloudFormation)" },
            vpcConfig: "VpcConfig",
            environment: "Environment",
            loggingConfig: "LoggingConfig",
            tags: TAGS,
        },
    },
    "aws:lambda/alias:Alias": {
        cfn: "AWS::Lambda::Alias",
        properties: { name: "Name", functionName: "FunctionName", functionVersion: "FunctionVersion" },
    },
    "aws:lambda/permission:Permission": {
        cfn: "AWS::Lambda::Permission",
        properties: {
            action: "Action",
            function: "FunctionName",
            principal: "Principal",
            sourceArn: "SourceArn",
            sourceAccount: "SourceAccount",
            qualifier: { unchecked: "the alias or version, part of FunctionName in CloudFormation" },
        },
    },
    "aws:lb/listener:Listener": {
        cfn: "AWS::ElasticLoadBalancingV2::Listener",
        properties: {
            loadBalancerArn: "LoadBalancerArn",
            port: "Port",
            protocol: "Protocol",
            sslPolicy: "SslPolicy",
            certificateArn: {
                to: "Certificates",
                as: (arn) => (typeof arn === "string" ? [{ certificateArn: arn }] : arn),
            },
            defaultActions: {
                to: "DefaultActions",
                names: { redirect: "RedirectConfig", fixedResponse: "FixedResponseConfig", forward: "ForwardConfig" },
            },
            tags: TAGS,
        },
    },
    "aws:lb/listenerRule:ListenerRule": {
        cfn: "AWS::ElasticLoadBalancingV2::ListenerRule",
        properties: {
            listenerArn: "ListenerArn",
            priority: "Priority",
            conditions: { to: "Conditions", names: { pathPattern: "PathPatternConfig" } },
            actions: { to: "Actions", names: { forward: "ForwardConfig", arn: "TargetGroupArn" } },
            tags: { unchecked: "ListenerRule's schema has no Tags; the provider tags the rule through AddTags" },
        },
    },
    "aws:lb/loadBalancer:LoadBalancer": {
        cfn: "AWS::ElasticLoadBalancingV2::LoadBalancer",
        properties: {
            name: "Name",
            internal: {
                to: "Scheme",
                as: (internal) =>
                    typeof internal === "boolean" ? (internal ? "internal" : "internet-facing") : internal,
            },
            loadBalancerType: "Type",
            securityGroups: "SecurityGroups",
            subnets: "Subnets",
            dropInvalidHeaderFields: ATTRIBUTE,
            enableDeletionProtection: ATTRIBUTE,
            tags: TAGS,
        },
    },
    "aws:lb/targetGroup:TargetGroup": {
        cfn: "AWS::ElasticLoadBalancingV2::TargetGroup",
        properties: {
            name: "Name",
            port: "Port",
            protocol: "Protocol",
            targetType: "TargetType",
            vpcId: "VpcId",
            deregistrationDelay: { unchecked: "a target group attribute (key-value pair), not a schema property" },
            // The provider's nested health check is flat in the schema.
            healthCheck: {
                to: "",
                as: (h: any) => {
                    if (typeof h !== "object" || h === null) return h;
                    const flat: Record<string, unknown> = {
                        healthCheckEnabled: h.enabled,
                        healthCheckPath: h.path,
                        healthCheckPort: h.port,
                        healthCheckProtocol: h.protocol,
                        healthCheckIntervalSeconds: h.interval,
                        healthCheckTimeoutSeconds: h.timeout,
                        healthyThresholdCount: h.healthyThreshold,
                        unhealthyThresholdCount: h.unhealthyThreshold,
                        matcher: h.matcher === undefined ? undefined : { httpCode: h.matcher },
                    };
                    return Object.fromEntries(Object.entries(flat).filter(([, v]) => v !== undefined));
                },
            },
            tags: TAGS,
        },
    },
    "aws:lb/targetGroupAttachment:TargetGroupAttachment": {
        cfn: "AWS::ElasticLoadBalancingV2::TargetGroup",
        definition: "TargetDescription",
        properties: { targetGroupArn: PARENT, targetId: "Id" },
    },
    "aws:s3/bucket:Bucket": {
        cfn: "AWS::S3::Bucket",
        properties: { bucket: "BucketName", forceDestroy: PROVIDER_ONLY, tags: TAGS },
    },
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": {
        cfn: "AWS::S3::Bucket",
        definition: "LifecycleConfiguration",
        properties: {
            bucket: PARENT,
            rules: listOf("Rules", (r: any) => {
                if (typeof r !== "object" || r === null) return r;
                const { expiration, filter, noncurrentVersionExpiration, ...rule } = r;
                return {
                    ...rule,
                    ...(expiration?.days !== undefined ? { expirationInDays: expiration.days } : {}),
                    ...(filter?.prefix !== undefined ? { prefix: filter.prefix } : {}),
                    ...(noncurrentVersionExpiration ? { noncurrentVersionExpiration } : {}),
                };
            }),
        },
    },
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": {
        cfn: "AWS::S3::Bucket",
        definition: "OwnershipControls",
        properties: { bucket: PARENT, rule: { to: "Rules", as: (rule) => [rule] } },
    },
    "aws:s3/bucketPolicy:BucketPolicy": {
        cfn: "AWS::S3::BucketPolicy",
        properties: { bucket: "Bucket", policy: POLICY("PolicyDocument") },
    },
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": {
        cfn: "AWS::S3::Bucket",
        definition: "PublicAccessBlockConfiguration",
        properties: {
            bucket: PARENT,
            blockPublicAcls: "BlockPublicAcls",
            blockPublicPolicy: "BlockPublicPolicy",
            ignorePublicAcls: "IgnorePublicAcls",
            restrictPublicBuckets: "RestrictPublicBuckets",
        },
    },
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": {
        cfn: "AWS::S3::Bucket",
        definition: "BucketEncryption",
        properties: {
            bucket: PARENT,
            rules: {
                to: "ServerSideEncryptionConfiguration",
                names: {
                    applyServerSideEncryptionByDefault: "ServerSideEncryptionByDefault",
                    sseAlgorithm: "SSEAlgorithm",
                    kmsMasterKeyId: "KMSMasterKeyID",
                },
            },
        },
    },
    "aws:s3/bucketVersioning:BucketVersioning": {
        cfn: "AWS::S3::Bucket",
        definition: "VersioningConfiguration",
        properties: { bucket: PARENT, versioningConfiguration: { to: "", as: (v) => v } },
    },
    "aws:sns/topic:Topic": {
        cfn: "AWS::SNS::Topic",
        properties: { name: "TopicName", kmsMasterKeyId: "KmsMasterKeyId", tags: TAGS },
    },
    "aws:sns/topicPolicy:TopicPolicy": {
        cfn: "AWS::SNS::TopicPolicy",
        properties: { arn: { to: "Topics", as: (arn) => [arn] }, policy: POLICY("PolicyDocument") },
    },
    "aws:sns/topicSubscription:TopicSubscription": {
        cfn: "AWS::SNS::Subscription",
        properties: { topic: "TopicArn", protocol: "Protocol", endpoint: "Endpoint" },
    },
    "aws:ssm/parameter:Parameter": {
        cfn: "AWS::SSM::Parameter",
        properties: {
            name: "Name",
            description: "Description",
            insecureValue: "Value",
            value: "Value",
            tier: "Tier",
            type: "Type",
            tags: { to: "Tags", as: (t) => t },
        },
    },
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": {
        cfn: "AWS::EC2::SecurityGroupEgress",
        properties: {
            securityGroupId: "GroupId",
            cidrIpv4: "CidrIp",
            description: "Description",
            fromPort: "FromPort",
            toPort: "ToPort",
            ipProtocol: "IpProtocol",
            referencedSecurityGroupId: "DestinationSecurityGroupId",
            tags: { unchecked: "the schema of AWS::EC2::SecurityGroupEgress has no tags" },
        },
    },
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": {
        cfn: "AWS::EC2::SecurityGroupIngress",
        properties: {
            securityGroupId: "GroupId",
            cidrIpv4: "CidrIp",
            description: "Description",
            fromPort: "FromPort",
            toPort: "ToPort",
            ipProtocol: "IpProtocol",
            referencedSecurityGroupId: "SourceSecurityGroupId",
            tags: { unchecked: "the schema of AWS::EC2::SecurityGroupIngress has no tags" },
        },
    },
    // What awsx's Vpc creates (engine/providers/awsx.ts).
    "aws:ec2/vpc:Vpc": {
        cfn: "AWS::EC2::VPC",
        properties: {
            cidrBlock: "CidrBlock",
            enableDnsHostnames: "EnableDnsHostnames",
            enableDnsSupport: "EnableDnsSupport",
            tags: TAGS,
        },
    },
    "aws:ec2/internetGateway:InternetGateway": {
        cfn: "AWS::EC2::InternetGateway",
        properties: { vpcId: { unchecked: "the attachment (AWS::EC2::VPCGatewayAttachment)" }, tags: TAGS },
    },
    "aws:ec2/subnet:Subnet": {
        cfn: "AWS::EC2::Subnet",
        properties: {
            vpcId: "VpcId",
            availabilityZone: "AvailabilityZone",
            cidrBlock: "CidrBlock",
            mapPublicIpOnLaunch: "MapPublicIpOnLaunch",
            tags: TAGS,
        },
    },
    "aws:ec2/routeTable:RouteTable": {
        cfn: "AWS::EC2::RouteTable",
        properties: { vpcId: "VpcId", tags: TAGS },
    },
    "aws:ec2/routeTableAssociation:RouteTableAssociation": {
        cfn: "AWS::EC2::SubnetRouteTableAssociation",
        properties: { routeTableId: "RouteTableId", subnetId: "SubnetId" },
    },
    "aws:ec2/eip:Eip": {
        cfn: "AWS::EC2::EIP",
        properties: { domain: "Domain", tags: TAGS },
    },
    "aws:ec2/natGateway:NatGateway": {
        cfn: "AWS::EC2::NatGateway",
        properties: { subnetId: "SubnetId", allocationId: "AllocationId", tags: TAGS },
    },
    "aws:ec2/route:Route": {
        cfn: "AWS::EC2::Route",
        properties: {
            routeTableId: "RouteTableId",
            destinationCidrBlock: "DestinationCidrBlock",
            gatewayId: "GatewayId",
            natGatewayId: "NatGatewayId",
        },
    },
};

/** Types that are not AWS resources: the provider itself and the components that group resources. */
export function isAwsResourceType(type: string): boolean {
    return type.startsWith("aws:");
}

/** The CloudFormation types the map uses, for schemas.json. */
export function mappedCfnTypes(): string[] {
    return [...new Set(Object.values(RESOURCE_MAP).map((r) => r.cfn))].sort();
}
