import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import {
    httpsSslPolicy,
    containerDefinitions,
    containerPortParameterName,
    FargateService,
    FargateServiceArgs,
    loadBalancedPorts,
    loadBalancerName,
    scaleUpCommands,
    targetGroupName,
    secretArnOf,
    taskDefinitionParameterName,
    taskRoleTrustPolicy,
    validateFargateServiceArgs,
} from "../targets/fargate/service";
import { RecordedResource, runStack } from "../offline/runtime/mockRuntime";

const ACCOUNT = "271828182845";
const REPO_URL = `${ACCOUNT}.dkr.ecr.us-gov-west-1.amazonaws.com/orders-api`;
const REPO_ARN = `arn:aws-us-gov:ecr:us-gov-west-1:${ACCOUNT}:repository/orders-api`;
const KEY = `arn:aws-us-gov:kms:us-gov-west-1:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`;
const SECRET = `arn:aws-us-gov:secretsmanager:us-gov-west-1:${ACCOUNT}:secret:orders-api/db-AbC123`;
const CERT = `arn:aws-us-gov:acm:us-gov-west-1:${ACCOUNT}:certificate/abc`;
const PRIVATE = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"];
const PUBLIC = ["subnet-0a1b2c3d4e5f60003", "subnet-0a1b2c3d4e5f60004"];

const BASE: FargateServiceArgs = {
    serviceName: "orders-api",
    repositoryUrl: REPO_URL,
    repositoryArn: REPO_ARN,
    partition: "aws-us-gov",
    region: "us-gov-west-1",
    accountId: ACCOUNT,
    vpcId: "vpc-0123456789abcdef0",
    privateSubnetIds: PRIVATE,
    publicSubnetIds: PUBLIC,
    logKmsKeyArn: KEY,
    logRetentionDays: 90,
    desiredCount: 3,
    secrets: [{ name: "DB_PASSWORD", valueFrom: `${SECRET}:password::` }],
    environment: { NODE_ENV: "production" },
};

async function plan(overrides: Partial<FargateServiceArgs> = {}) {
    const outputs: Record<string, unknown> = {};
    const run = await runStack("dev", async () => {
        const provider = new aws.Provider("aws", { region: "us-gov-west-1" });
        const svc = new FargateService("orders-api", { ...BASE, ...overrides }, { provider });
        outputs.containerName = svc.containerName;
        outputs.desiredCount = svc.desiredCount;
        pulumi
            .all([svc.clusterName, svc.clusterArn, svc.serviceName, svc.taskDefinitionFamily, svc.executionRoleArn])
            .apply(([clusterName, clusterArn, serviceName, family, executionRoleArn]) =>
                Object.assign(outputs, { clusterName, clusterArn, serviceName, family, executionRoleArn }),
            );
    });
    if (run.error) throw run.error;
    const of = (type: string): RecordedResource[] => run.resources.filter((r) => r.type === type);
    const one = (type: string, name?: string): RecordedResource => {
        const found = of(type).filter((r) => name === undefined || r.name === name);
        expect(found, `${type} ${name ?? ""}`).to.have.length(1);
        return found[0];
    };
    return { run, of, one, outputs };
}

describe("FargateService", () => {
    it("creates the service at 0 tasks on the bootstrap image, ignoring what the pipeline owns", async () => {
        const { one, outputs } = await plan();
        const service = one("aws:ecs/service:Service");
        const cluster = one("aws:ecs/cluster:Cluster");
        const taskDef = one("aws:ecs/taskDefinition:TaskDefinition");
        const serviceSg = one("aws:ec2/securityGroup:SecurityGroup", "orders-api-service-sg");
        const tg = one("aws:lb/targetGroup:TargetGroup");
        const listener = one("aws:lb/listener:Listener");
        expect(service.inputs).to.deep.equal({
            name: "orders-api",
            cluster: cluster.state.arn,
            launchType: "FARGATE",
            platformVersion: "LATEST",
            taskDefinition: taskDef.state.arn,
            desiredCount: 0,
            networkConfiguration: { subnets: PRIVATE, securityGroups: [serviceSg.state.id], assignPublicIp: false },
            loadBalancers: [{ targetGroupArn: tg.state.arn, containerName: "orders-api", containerPort: 3000 }],
            deploymentCircuitBreaker: { enable: true, rollback: true },
            deploymentMinimumHealthyPercent: 100,
            deploymentMaximumPercent: 200,
            healthCheckGracePeriodSeconds: 60,
            propagateTags: "SERVICE",
            enableEcsManagedTags: true,
            enableExecuteCommand: false,
            waitForSteadyState: false,
        });
        expect(service.ignoreChanges).to.deep.equal(["taskDefinition", "desiredCount"]);
        expect(service.dependencies).to.include(listener.urn);
        expect(cluster.inputs.settings).to.deep.equal([{ name: "containerInsights", value: "enabled" }]);
        expect(outputs).to.deep.include({
            containerName: "orders-api",
            desiredCount: 3,
            clusterName: cluster.state.name,
            clusterArn: cluster.state.arn,
            serviceName: "orders-api",
            family: "orders-api",
        });
    });

    it("Pulumi's revision is published for the deploy step: its ARN in a String SSM parameter named by the service", async () => {
        const { one } = await plan();
        const taskDef = one("aws:ecs/taskDefinition:TaskDefinition");
        const parameter = one("aws:ssm/parameter:Parameter", "orders-api-task-definition-arn");
        expect(parameter.inputs).to.deep.equal({
            name: "/cicd/ecs/orders-api/task-definition",
            description: "Task definition of orders-api that pulumi up registered; the pipeline deploys it",
            type: "String",
            tier: "Standard",
            insecureValue: taskDef.state.arn,
        });
        expect(taskDefinitionParameterName("billing-api")).to.equal("/cicd/ecs/billing-api/task-definition");
    });

    it("the port the service receives traffic on is recorded for the deploy step, which alone rewrites it", async () => {
        const { one } = await plan();
        const parameter = one("aws:ssm/parameter:Parameter", "orders-api-container-port");
        expect(parameter.inputs).to.deep.equal({
            name: "/cicd/ecs/orders-api/container-port",
            description: "Container port orders-api receives load balancer traffic on; its deploy step records it",
            type: "String",
            tier: "Standard",
            insecureValue: "3000",
        });
        expect(parameter.ignoreChanges).to.deep.equal(["insecureValue"]);
        expect(containerPortParameterName("billing-api")).to.equal("/cicd/ecs/billing-api/container-port");
    });

    it("task definition: Fargate awsvpc, non-root, read-only root with /tmp, awslogs, secrets from Secrets Manager", async () => {
        const { one, outputs } = await plan();
        const taskDef = one("aws:ecs/taskDefinition:TaskDefinition");
        const logGroup = one("aws:cloudwatch/logGroup:LogGroup");
        const executionRole = one("aws:iam/role:Role", "orders-api-execution");
        const taskRole = one("aws:iam/role:Role", "orders-api-task");
        expect(taskDef.inputs).to.deep.include({
            family: "orders-api",
            requiresCompatibilities: ["FARGATE"],
            networkMode: "awsvpc",
            cpu: "256",
            memory: "512",
            runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
            executionRoleArn: executionRole.state.arn,
            taskRoleArn: taskRole.state.arn,
            volumes: [{ name: "tmp" }],
            tags: { Service: "orders-api" },
        });
        expect(outputs.executionRoleArn).to.equal(executionRole.state.arn);
        const [container] = JSON.parse(taskDef.inputs.containerDefinitions);
        expect(container).to.deep.equal({
            name: "orders-api",
            image: `${REPO_URL}:bootstrap`,
            essential: true,
            user: "1000",
            readonlyRootFilesystem: true,
            privileged: false,
            linuxParameters: { capabilities: { drop: ["ALL"] }, initProcessEnabled: true },
            portMappings: [{ containerPort: 3000, protocol: "tcp" }],
            mountPoints: [{ sourceVolume: "tmp", containerPath: "/tmp", readOnly: false }],
            // PORT from containerPort: the stack, not the image, decides the port.
            environment: [
                { name: "NODE_ENV", value: "production" },
                { name: "PORT", value: "3000" },
            ],
            secrets: [{ name: "DB_PASSWORD", valueFrom: `${SECRET}:password::` }],
            logConfiguration: {
                logDriver: "awslogs",
                options: {
                    "awslogs-group": "/ecs/orders-api",
                    "awslogs-region": "us-gov-west-1",
                    "awslogs-stream-prefix": "orders-api",
                },
            },
            healthCheck: {
                command: [
                    "CMD-SHELL",
                    `node -e "require('http').get('http://localhost:3000/health',r=>process.exit(r.statusCode<400?0:1)).on('error',()=>process.exit(1))"`,
                ],
                interval: 30,
                timeout: 5,
                retries: 3,
                startPeriod: 60,
            },
        });
        expect(logGroup.inputs).to.deep.equal({ name: "/ecs/orders-api", retentionInDays: 90, kmsKeyId: KEY });
        expect([logGroup.protect, logGroup.retainOnDelete]).to.deep.equal([false, false]);
    });

    it("execution role: pull from one repository, write one log group, read exactly the service's secrets", async () => {
        const { one, of } = await plan({ secretsKmsKeyArns: [KEY] });
        const logGroup = one("aws:cloudwatch/logGroup:LogGroup");
        const executionRole = one("aws:iam/role:Role", "orders-api-execution");
        // Confused-deputy guard: ECS tasks of this account and region only, as on the task role.
        expect(JSON.parse(executionRole.inputs.assumeRolePolicy)).to.deep.equal({
            Version: "2012-10-17",
            Statement: [
                {
                    Effect: "Allow",
                    Principal: { Service: "ecs-tasks.amazonaws.com" },
                    Action: "sts:AssumeRole",
                    Condition: {
                        ArnLike: { "aws:SourceArn": `arn:aws-us-gov:ecs:us-gov-west-1:${ACCOUNT}:*` },
                        StringEquals: { "aws:SourceAccount": ACCOUNT },
                    },
                },
            ],
        });
        const policies = of("aws:iam/rolePolicy:RolePolicy");
        expect(policies.map((p) => p.inputs.role)).to.deep.equal([executionRole.state.id]);
        expect(JSON.parse(policies[0].inputs.policy)).to.deep.equal({
            Version: "2012-10-17",
            Statement: [
                { Sid: "RegistryToken", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
                {
                    Sid: "PullImage",
                    Effect: "Allow",
                    Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
                    Resource: REPO_ARN,
                },
                {
                    Sid: "WriteLogs",
                    Effect: "Allow",
                    Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                    Resource: `${logGroup.state.arn}:log-stream:*`,
                },
                { Sid: "ReadSecrets", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: [SECRET] },
                {
                    Sid: "DecryptSecrets",
                    Effect: "Allow",
                    Action: "kms:Decrypt",
                    Resource: [KEY],
                    Condition: { StringEquals: { "kms:ViaService": "secretsmanager.us-gov-west-1.amazonaws.com" } },
                },
            ],
        });
    });

    it("task role: no permissions, trusted only by ECS tasks of this account and region", async () => {
        const { one, of } = await plan();
        const taskRole = one("aws:iam/role:Role", "orders-api-task");
        expect(JSON.parse(taskRole.inputs.assumeRolePolicy)).to.deep.equal({
            Version: "2012-10-17",
            Statement: [
                {
                    Effect: "Allow",
                    Principal: { Service: "ecs-tasks.amazonaws.com" },
                    Action: "sts:AssumeRole",
                    Condition: {
                        StringEquals: { "aws:SourceAccount": ACCOUNT },
                        ArnLike: { "aws:SourceArn": `arn:aws-us-gov:ecs:us-gov-west-1:${ACCOUNT}:*` },
                    },
                },
            ],
        });
        expect(of("aws:iam/rolePolicy:RolePolicy").some((p) => p.inputs.role === taskRole.state.id)).to.equal(false);
        expect(of("aws:iam/rolePolicyAttachment:RolePolicyAttachment")).to.have.length(0);
    });

    it("without a certificate: HTTP 80 from the internet to the ALB, the container port from the ALB only", async () => {
        const { one, of } = await plan();
        const albSg = one("aws:ec2/securityGroup:SecurityGroup", "orders-api-alb-sg");
        const serviceSg = one("aws:ec2/securityGroup:SecurityGroup", "orders-api-service-sg");
        // Registration order is not deterministic: sort by group, then port.
        const rules = (type: string) =>
            of(type)
                .map((r) => ({
                    sg: r.inputs.securityGroupId === albSg.state.id ? "alb" : "service",
                    port: [r.inputs.fromPort, r.inputs.toPort],
                    from:
                        r.inputs.cidrIpv4 ??
                        (r.inputs.referencedSecurityGroupId === albSg.state.id ? "alb" : "service"),
                }))
                .sort((a, b) => a.sg.localeCompare(b.sg) || a.port[0] - b.port[0]);
        expect(rules("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")).to.deep.equal([
            { sg: "alb", port: [80, 80], from: "0.0.0.0/0" },
            { sg: "service", port: [3000, 3000], from: "alb" },
        ]);
        expect(rules("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")).to.deep.equal([
            { sg: "alb", port: [3000, 3000], from: "service" },
            { sg: "service", port: [443, 443], from: "0.0.0.0/0" },
        ]);
        // The container port's rules are named by port and answer to their names from before.
        expect(
            one("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "orders-api-alb-out-3000").aliases,
        ).to.deep.equal(["orders-api-alb-out"]);
        expect(
            one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "orders-api-service-in-3000").aliases,
        ).to.deep.equal(["orders-api-service-in"]);
        expect([albSg.inputs.vpcId, serviceSg.inputs.vpcId]).to.deep.equal([BASE.vpcId, BASE.vpcId]);

        const alb = one("aws:lb/loadBalancer:LoadBalancer");
        expect(alb.inputs).to.deep.include({
            loadBalancerType: "application",
            internal: false,
            securityGroups: [albSg.state.id],
            subnets: PUBLIC,
            dropInvalidHeaderFields: true,
            enableDeletionProtection: false,
        });
        expect(alb.inputs.accessLogs).to.equal(undefined);
        const tg = one("aws:lb/targetGroup:TargetGroup");
        expect(tg.inputs).to.deep.include({ port: 3000, protocol: "HTTP", targetType: "ip", vpcId: BASE.vpcId });
        expect(tg.inputs.healthCheck).to.deep.equal({
            enabled: true,
            path: "/health",
            protocol: "HTTP",
            matcher: "200-399",
            interval: 30,
            timeout: 5,
            healthyThreshold: 2,
            unhealthyThreshold: 3,
        });
        const listener = one("aws:lb/listener:Listener");
        expect(listener.inputs).to.deep.equal({
            loadBalancerArn: alb.state.arn,
            port: 80,
            protocol: "HTTP",
            defaultActions: [{ type: "forward", targetGroupArn: tg.state.arn }],
        });
    });

    it("the HTTPS listener's TLS policy is a FIPS policy in GovCloud only", () => {
        expect(httpsSslPolicy("aws-us-gov")).to.equal("ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04");
        expect(httpsSslPolicy("aws")).to.equal("ELBSecurityPolicy-TLS13-1-2-2021-06");
    });

    it("with a certificate: HTTPS 443 (TLS 1.2+) forwards, HTTP 80 redirects; access logs when asked", async () => {
        const { one, of, run } = await plan({
            certificateArn: CERT,
            accessLogs: { bucket: "alb-logs-bucket", prefix: "orders-api" },
            ingressCidrs: ["10.0.0.0/8"],
        });
        const alb = one("aws:lb/loadBalancer:LoadBalancer");
        const tg = one("aws:lb/targetGroup:TargetGroup");
        expect(alb.inputs.accessLogs).to.deep.equal({ bucket: "alb-logs-bucket", prefix: "orders-api", enabled: true });
        expect(one("aws:lb/listener:Listener", "orders-api-https").inputs).to.deep.equal({
            loadBalancerArn: alb.state.arn,
            port: 443,
            protocol: "HTTPS",
            // GovCloud: ELB's FIPS policy (TLS 1.3 and 1.2); the commercial partition keeps the non-FIPS one.
            sslPolicy: "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
            certificateArn: CERT,
            defaultActions: [{ type: "forward", targetGroupArn: tg.state.arn }],
        });
        expect(one("aws:lb/listener:Listener", "orders-api-http").inputs.defaultActions).to.deep.equal([
            { type: "redirect", redirect: { port: "443", protocol: "HTTPS", statusCode: "HTTP_301" } },
        ]);
        const albIn = of("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.inputs.cidrIpv4);
        expect(albIn.map((r) => [r.inputs.fromPort, r.inputs.cidrIpv4]).sort()).to.deep.equal([
            [443, "10.0.0.0/8"],
            [80, "10.0.0.0/8"],
        ]);
        const service = one("aws:ecs/service:Service");
        expect(service.dependencies).to.include(run.resources.find((r) => r.name === "orders-api-https")!.urn);
    });

    it("uses an existing cluster instead of creating one", async () => {
        const arn = `arn:aws-us-gov:ecs:us-gov-west-1:${ACCOUNT}:cluster/dev`;
        const { of, one, outputs } = await plan({ cluster: { arn, name: "dev" } });
        expect(of("aws:ecs/cluster:Cluster")).to.have.length(0);
        expect(one("aws:ecs/service:Service").inputs.cluster).to.equal(arn);
        expect(outputs).to.deep.include({ clusterArn: arn, clusterName: "dev" });
    });

    it("protected: log group protected and retained, load balancer deletion protection", async () => {
        const { one } = await plan({ protect: true });
        const logGroup = one("aws:cloudwatch/logGroup:LogGroup");
        expect([logGroup.protect, logGroup.retainOnDelete]).to.deep.equal([true, true]);
        expect(one("aws:lb/loadBalancer:LoadBalancer").inputs.enableDeletionProtection).to.equal(true);
    });

    it("every child sits under the component with the explicit provider", async () => {
        const { run } = await plan();
        const component = run.resources.find((r) => r.type === "devsecops:service:FargateService")!;
        const children = run.resources.filter((r) => r.custom && r.type !== "pulumi:providers:aws");
        expect(children).to.have.length(18);
        for (const child of children) {
            expect(child.parent, child.name).to.equal(component.urn);
            expect(child.provider, child.name).to.match(/::aws::/);
        }
    });

    it("rejects bad args, listing every problem, before registering anything", async () => {
        const run = await runStack("dev", async () => {
            new FargateService("x", {
                ...BASE,
                containerPort: 80,
                healthCheckPath: "health",
                secrets: [
                    { name: "DB-PASSWORD", valueFrom: SECRET },
                    { name: "NODE_ENV", valueFrom: "arn:aws:secretsmanager:us-east-1:111111111111:secret:x-AbC123" },
                ],
            });
        });
        expect(run.error?.message).to.equal(
            "FargateService orders-api:\n" +
                "  - containerPort: found 80, expected a non-privileged port from 1024 to 65535 (the container is not root)\n" +
                '  - healthCheckPath: found "health", expected a URL path starting with "/"\n' +
                '  - secrets[0].name: found "DB-PASSWORD", expected an environment variable name\n' +
                '  - secrets[1].name: found "NODE_ENV", expected a name no other secret or variable uses\n' +
                '  - secrets[1].valueFrom: found "arn:aws:secretsmanager:us-east-1:111111111111:secret:x-AbC123", ' +
                "expected the full ARN of a Secrets Manager secret in partition aws-us-gov (with its 6-character suffix)",
        );
        expect(run.resources).to.deep.equal([]);
        expect(() =>
            validateFargateServiceArgs({ ...BASE, secrets: [{ name: "A", valueFrom: SECRET }] }),
        ).not.to.throw();
    });
});

describe("FargateService replacement (names that do not collide)", () => {
    const names = async (overrides: Partial<FargateServiceArgs>) => {
        const { one } = await plan(overrides);
        const alb = one("aws:lb/loadBalancer:LoadBalancer");
        const tg = one("aws:lb/targetGroup:TargetGroup");
        const listener = one("aws:lb/listener:Listener");
        const service = one("aws:ecs/service:Service");
        // The listener and the service follow the target group of this plan.
        expect(listener.inputs.defaultActions[0].targetGroupArn).to.equal(tg.state.arn);
        expect(service.inputs.loadBalancers[0].targetGroupArn).to.equal(tg.state.arn);
        expect(tg.state.arn).to.include(tg.inputs.name);
        return { alb: alb.inputs.name as string, tg: tg.inputs.name as string, port: tg.inputs.port };
    };

    it("a containerPort change keeps the target group (its name, and its port ignored) and the load balancer", async () => {
        const before = await names({ containerPort: 3000 });
        const after = await names({ containerPort: 8080 });
        expect(before.tg).to.equal(targetGroupName("orders-api", BASE.vpcId as string));
        expect(before.tg).to.match(/^orders-api-[0-9a-f]{8}$/);
        expect(after.tg).to.equal(before.tg);
        expect(after.alb).to.equal(before.alb);
        // ECS registers each task with its container port; the group's port is only a default (ignored after creation).
        const { one } = await plan({ containerPort: 8080 });
        expect(one("aws:lb/targetGroup:TargetGroup").ignoreChanges).to.deep.equal(["port"]);
    });

    it("a VPC change renames both (a load balancer cannot move between VPCs)", async () => {
        const before = await names({});
        const after = await names({ vpcId: "vpc-0fedcba9876543210" });
        expect(after.alb).not.to.equal(before.alb);
        expect(after.tg).not.to.equal(before.tg);
    });

    it("names stay within ELB's 32 characters for the longest service names", () => {
        const long = "a".repeat(32);
        expect(loadBalancerName(long, "vpc-0123456789abcdef0")).to.match(/^a{23}-[0-9a-f]{8}$/);
        expect(targetGroupName(long, "vpc-0123456789abcdef0")).to.have.length(32);
        // Same VPC, other kind of resource: the target group's name is not the load balancer's.
        expect(targetGroupName(long, "vpc-0123456789abcdef0")).not.to.equal(
            loadBalancerName(long, "vpc-0123456789abcdef0"),
        );
    });
});

describe("FargateService containerPort change of a running service (served 3000, configured 8080)", () => {
    const transition = () => plan({ containerPort: 8080, servedContainerPort: 3000 });

    it("keeps the service's load balancer entry on the served port; Pulumi's revision maps and sets the new one", async () => {
        const { one } = await transition();
        const tg = one("aws:lb/targetGroup:TargetGroup");
        expect(one("aws:ecs/service:Service").inputs.loadBalancers).to.deep.equal([
            { targetGroupArn: tg.state.arn, containerName: "orders-api", containerPort: 3000 },
        ]);
        const [container] = JSON.parse(one("aws:ecs/taskDefinition:TaskDefinition").inputs.containerDefinitions);
        expect(container.portMappings).to.deep.equal([{ containerPort: 8080, protocol: "tcp" }]);
        expect(container.environment).to.deep.include({ name: "PORT", value: "8080" });
        expect(container.healthCheck.command[1]).to.include("http://localhost:8080/health");
        expect(one("aws:ssm/parameter:Parameter", "orders-api-container-port").inputs.insecureValue).to.equal("3000");
    });

    it("lets the load balancer reach both ports until the deploy step switches; only the served port's rules keep old names", async () => {
        const { of } = await transition();
        const rules = (type: string) =>
            of(type)
                .filter((r) => r.inputs.referencedSecurityGroupId !== undefined)
                .map((r) => ({ name: r.name, port: [r.inputs.fromPort, r.inputs.toPort], aliases: r.aliases }))
                .sort((a, b) => a.name.localeCompare(b.name));
        expect(rules("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")).to.deep.equal([
            { name: "orders-api-alb-out-3000", port: [3000, 3000], aliases: ["orders-api-alb-out"] },
            { name: "orders-api-alb-out-8080", port: [8080, 8080], aliases: [] },
        ]);
        expect(rules("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")).to.deep.equal([
            { name: "orders-api-service-in-3000", port: [3000, 3000], aliases: ["orders-api-service-in"] },
            { name: "orders-api-service-in-8080", port: [8080, 8080], aliases: [] },
        ]);
        expect(loadBalancedPorts({ ...BASE, containerPort: 8080, servedContainerPort: 3000 })).to.deep.equal([
            3000, 8080,
        ]);
    });

    it("after the deploy step recorded 8080: one port again, the 3000 rules gone", async () => {
        const { of, one } = await plan({ containerPort: 8080, servedContainerPort: 8080 });
        const names = [
            ...of("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"),
            ...of("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"),
        ]
            .filter((r) => r.inputs.referencedSecurityGroupId !== undefined)
            .map((r) => r.name)
            .sort();
        expect(names).to.deep.equal(["orders-api-alb-out-8080", "orders-api-service-in-8080"]);
        expect(one("aws:ecs/service:Service").inputs.loadBalancers[0].containerPort).to.equal(8080);
    });

    it("refuses a served port that is no port, and PORT set elsewhere than containerPort", () => {
        expect(() =>
            validateFargateServiceArgs({
                ...BASE,
                servedContainerPort: 80,
                environment: { PORT: "8080" },
                secrets: [{ name: "PORT", valueFrom: SECRET }],
            }),
        ).to.throw(
            "FargateService orders-api:\n" +
                "  - servedContainerPort: found 80, expected a non-privileged port from 1024 to 65535 (the container is not root)\n" +
                '  - environment.PORT: found "8080", expected no PORT (the task definition sets it to containerPort)\n' +
                '  - secrets[0].name: found "PORT", expected a name other than PORT (the task definition sets it to containerPort)',
        );
    });
});

describe("FargateService egress", () => {
    it("rejects a port out of range and an egress with both or neither peer", () => {
        expect(() =>
            validateFargateServiceArgs({
                ...BASE,
                egress: [
                    { port: 0, cidr: "10.0.0.0/16" },
                    { port: 5432, cidr: "10.0.0.0/16", securityGroupId: "sg-0123456789abcdef0" },
                    { port: 5432 },
                ],
            }),
        ).to.throw(
            "FargateService orders-api:\n" +
                "  - egress[0].port: found 0, expected a TCP port from 1 to 65535\n" +
                '  - egress[1]: found {"port":5432,"cidr":"10.0.0.0/16","securityGroupId":"sg-0123456789abcdef0"}, expected exactly one of cidr and securityGroupId\n' +
                '  - egress[2]: found {"port":5432}, expected exactly one of cidr and securityGroupId',
        );
    });
});

describe("FargateService documents", () => {
    it("secretArnOf strips the json key, stage and version", () => {
        expect(secretArnOf(`${SECRET}:password::`)).to.equal(SECRET);
        expect(secretArnOf(SECRET)).to.equal(SECRET);
    });

    it("a container definition with no secrets or variables has PORT alone and leaves secrets out", () => {
        const [c] = containerDefinitions({
            name: "a",
            image: "i",
            containerPort: 8080,
            healthCheckPath: "/ready",
            logGroupName: "/ecs/a",
            region: "us-east-1",
            secrets: [],
            environment: {},
        }) as any[];
        expect(c).to.not.have.any.keys("secrets");
        expect(c.environment).to.deep.equal([{ name: "PORT", value: "8080" }]);
        expect(c.portMappings).to.deep.equal([{ containerPort: 8080, protocol: "tcp" }]);
        expect(c.healthCheck.command[1]).to.contain("http://localhost:8080/ready");
    });

    it("task role trust is built from the partition (commercial)", () => {
        const doc = taskRoleTrustPolicy("aws", "us-east-1", "111111111111") as any;
        expect(doc.Statement[0].Condition.ArnLike).to.deep.equal({
            "aws:SourceArn": "arn:aws:ecs:us-east-1:111111111111:*",
        });
    });

    it("scale-up step: raises the count only from 0, then waits for a steady service", () => {
        expect(scaleUpCommands()).to.deep.equal([
            `current=$(aws ecs describe-services --cluster "$ECS_CLUSTER_NAME" --services "$ECS_SERVICE_NAME" --query 'services[0].desiredCount' --output text)`,
            `if [ "$current" = "0" ]; then aws ecs update-service --cluster "$ECS_CLUSTER_NAME" --service "$ECS_SERVICE_NAME" --desired-count "$ECS_DESIRED_COUNT" > /dev/null; fi`,
            `aws ecs wait services-stable --cluster "$ECS_CLUSTER_NAME" --services "$ECS_SERVICE_NAME"`,
        ]);
    });
});
