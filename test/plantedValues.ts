/**
 * Inputs AWS refuses, one resource each, planted in a program that both previews run (the offline plan's mock
 * runtime and the real engine with the stand-in `aws` provider): each must fail both, naming the resource, the
 * property and the constraint. The resources are registered by type token, so the engine's fixture program can
 * carry them as JSON.
 */
import * as pulumi from "@pulumi/pulumi";

export interface Plant {
    /** What is wrong, in a few words. */
    readonly kind: string;
    readonly type: string;
    readonly name: string;
    readonly args: Record<string, unknown>;
    /** What both report: the property path and the constraint. */
    readonly problems: readonly { readonly property: string; readonly constraint: string }[];
}

const PARTITION = "aws-us-gov";
const ACCOUNT = "111111111111";
const arn = (service: string, resource: string, region = "us-gov-west-1") =>
    `arn:${PARTITION}:${service}:${region}:${ACCOUNT}:${resource}`;
const container = (extra: Record<string, unknown> = {}) =>
    JSON.stringify([{ name: "app", image: "nginx:1.27", essential: true, ...extra }]);
const TASK = {
    family: "planted",
    containerDefinitions: container(),
    cpu: "256",
    memory: "512",
    networkMode: "awsvpc",
    requiresCompatibilities: ["FARGATE"],
};
const LISTENER = {
    loadBalancerArn: arn("elasticloadbalancing", "loadbalancer/app/planted/0123456789abcdef"),
    port: 80,
    protocol: "HTTP",
    defaultActions: [
        { type: "forward", targetGroupArn: arn("elasticloadbalancing", "targetgroup/planted/0123456789abcdef") },
    ],
};
const TRUST = JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }],
});

const problem = (property: string, constraint: string) => ({ property, constraint });
const TD = "aws:ecs/taskDefinition:TaskDefinition";
const LS = "aws:lb/listener:Listener";

export const PLANTS: readonly Plant[] = [
    {
        kind: "an ECS network mode that does not exist",
        type: TD,
        name: "bad-network-mode",
        args: { ...TASK, requiresCompatibilities: ["EC2"], networkMode: "bridged" },
        problems: [
            problem(
                "networkMode",
                `"bridged" is not one of "awsvpc", "bridge", "host", "none" (AWS::ECS::TaskDefinition NetworkMode)`,
            ),
        ],
    },
    {
        kind: "a listener protocol that does not exist",
        type: LS,
        name: "bad-protocol",
        args: { ...LISTENER, protocol: "HTTPX" },
        problems: [
            problem(
                "protocol",
                `"HTTPX" is not one of "GENEVE", "HTTP", "HTTPS", "QUIC", "TCP", "TCP_QUIC", "TCP_UDP", "TLS", "UDP" (AWS::ElasticLoadBalancingV2::Listener Protocol)`,
            ),
        ],
    },
    {
        kind: "a nested block missing its required type",
        type: LS,
        name: "action-without-type",
        args: { ...LISTENER, defaultActions: [{ targetGroupArn: LISTENER.defaultActions[0].targetGroupArn }] },
        problems: [
            problem(
                "defaultActions[0].type",
                "is required (AWS::ElasticLoadBalancingV2::Listener DefaultActions[0].Type)",
            ),
        ],
    },
    {
        kind: "a log retention of 366 days",
        type: "aws:cloudwatch/logGroup:LogGroup",
        name: "bad-retention",
        args: { name: "/planted/bad-retention", retentionInDays: 366 },
        problems: [
            problem(
                "retentionInDays",
                "366 is not one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (AWS::Logs::LogGroup RetentionInDays)",
            ),
        ],
    },
    {
        kind: "an IAM role name AWS refuses",
        type: "aws:iam/role:Role",
        name: "bad-role-name",
        args: { name: "deploy role!", assumeRolePolicy: TRUST },
        problems: [problem("name", `"deploy role!" does not match ^[\\w+=,.@-]+$ (AWS::IAM::Role RoleName)`)],
    },
    {
        kind: "a string where a port goes",
        type: LS,
        name: "port-as-text",
        args: { ...LISTENER, port: "eighty" },
        problems: [problem("port", `"eighty" is not of type integer (AWS::ElasticLoadBalancingV2::Listener Port)`)],
    },
    {
        kind: 'a task CPU of "3"',
        type: TD,
        name: "bad-cpu",
        args: { ...TASK, cpu: "3" },
        problems: [
            problem(
                "cpu",
                `"3" is not a Fargate task CPU: one of 256, 512, 1024, 2048, 4096, 8192, 16384 CPU units (Fargate task size, Amazon ECS Developer Guide)`,
            ),
        ],
    },
    {
        kind: "a container port given as text inside the container definitions",
        type: TD,
        name: "container-port-as-text",
        args: { ...TASK, containerDefinitions: container({ portMappings: [{ containerPort: "eighty" }] }) },
        problems: [
            problem(
                "containerDefinitions[0].portMappings[0].containerPort",
                `"eighty" is not of type integer (AWS::ECS::TaskDefinition ContainerDefinitions[0].PortMappings[0].ContainerPort)`,
            ),
        ],
    },
    {
        kind: "Fargate memory the task CPU does not allow",
        type: TD,
        name: "bad-memory",
        args: { ...TASK, memory: "4096" },
        problems: [
            problem(
                "memory",
                `"4096" MiB is not allowed with 256 CPU units: 512 to 2048 in steps of 512 (Fargate task size, Amazon ECS Developer Guide)`,
            ),
        ],
    },
    {
        kind: "an ECR tag mutability that does not exist",
        type: "aws:ecr/repository:Repository",
        name: "bad-mutability",
        args: { name: "planted", imageTagMutability: "SOMETIMES" },
        problems: [
            problem(
                "imageTagMutability",
                '"SOMETIMES" is not one of "MUTABLE", "IMMUTABLE", "MUTABLE_WITH_EXCLUSION", "IMMUTABLE_WITH_EXCLUSION" (AWS::ECR::Repository ImageTagMutability)',
            ),
        ],
    },
    {
        kind: "a KMS key deletion window under 7 days",
        type: "aws:kms/key:Key",
        name: "short-window",
        args: { description: "planted", deletionWindowInDays: 3 },
        problems: [problem("deletionWindowInDays", "3 is less than the minimum 7 (AWS::KMS::Key PendingWindowInDays)")],
    },
    {
        kind: "an IAM role session shorter than an hour",
        type: "aws:iam/role:Role",
        name: "short-session",
        args: { name: "planted-session", assumeRolePolicy: TRUST, maxSessionDuration: 60 },
        problems: [
            problem("maxSessionDuration", "60 is less than the minimum 3600 (AWS::IAM::Role MaxSessionDuration)"),
        ],
    },
    {
        kind: "an Application Load Balancer in one subnet",
        type: "aws:lb/loadBalancer:LoadBalancer",
        name: "one-subnet",
        args: { name: "planted", loadBalancerType: "application", subnets: ["subnet-0123456789abcdef0"] },
        problems: [
            problem(
                "subnets",
                "has 1 subnet: an Application Load Balancer needs subnets in at least two Availability Zones (Elastic Load Balancing)",
            ),
        ],
    },
    {
        kind: "an HTTPS listener without a certificate",
        type: LS,
        name: "https-without-certificate",
        args: { ...LISTENER, port: 443, protocol: "HTTPS" },
        problems: [
            problem(
                "certificateArn",
                'is required for a HTTPS listener (Elastic Load Balancing: "you must deploy at least one SSL server certificate")',
            ),
        ],
    },
    {
        kind: "an SSM parameter tier that does not exist",
        type: "aws:ssm/parameter:Parameter",
        name: "bad-tier",
        args: { name: "/planted/tier", type: "String", insecureValue: "1", tier: "Premium" },
        problems: [
            problem(
                "tier",
                '"Premium" is not one of "Standard", "Advanced", "Intelligent-Tiering" (AWS::SSM::Parameter Tier)',
            ),
        ],
    },
];

/** A problem as the offline plan prints it. */
export const problemLine = (plant: Plant, p: Plant["problems"][number]) =>
    `${plant.type} "${plant.name}" ${p.property}: ${p.constraint}`;

/** The explicit `aws` provider the plants use (the project disables default providers). */
export const PLANT_PROVIDER = { region: "us-gov-west-1", allowedAccountIds: [ACCOUNT] };

class AwsProvider extends pulumi.ProviderResource {
    constructor(name: string, args: Record<string, unknown>) {
        super("aws", name, args);
    }
}

class Planted extends pulumi.CustomResource {
    constructor(plant: Plant, opts: pulumi.CustomResourceOptions) {
        super(plant.type, plant.name, plant.args, opts);
    }
}

/** Registers the plants by type token with an explicit `aws` provider. */
export function registerPlants(plants: readonly Plant[]): void {
    const provider = new AwsProvider("planted", PLANT_PROVIDER);
    for (const p of plants) new Planted(p, { provider });
}
