import * as path from "path";
import { expect } from "chai";
import { BUILDSPEC_DIR, stepFacts } from "../components/buildProjects";
import { FARGATE_PIPELINE_STEPS } from "../targets/fargate/deployStep";

const BUILDSPEC_FILES = stepFacts(FARGATE_PIPELINE_STEPS, (step) => step.buildspec);
import { BuildspecRunOptions, canRunBuildspecs, runBuildspec } from "./buildspecRunner";

// buildspecs/deploy-task-definition.yml against fake aws (test/buildspecRunner.ts): the revision Pulumi registered,
// with only the service container's image replaced by the promoted digest, is registered, deployed and followed.

const QA = "161803398874";
const REGION = "us-gov-west-1";
const DIGEST = `sha256:${"a".repeat(64)}`;
const REPOSITORY_URI = `${QA}.dkr.ecr.${REGION}.amazonaws.com/orders-api`;
const PARAMETER = "/cicd/ecs/orders-api/task-definition";
const PORT_PARAMETER = "/cicd/ecs/orders-api/container-port";
const TARGET_GROUP = `arn:aws-us-gov:elasticloadbalancing:${REGION}:${QA}:targetgroup/orders-api-1a2b3c4d/0123456789abcdef`;
const ecs = `arn:aws-us-gov:ecs:${REGION}:${QA}`;
const PULUMI_REVISION = `${ecs}:task-definition/orders-api:7`;
const REGISTERED = `${ecs}:task-definition/orders-api:9`;
const TAGS = [
    { key: "Service", value: "orders-api" },
    { key: "Environment", value: "qa" },
];

/** What `pulumi up` registered: a secret, 1 vCPU / 2 GiB, port 8080, a variable, a sidecar; the bootstrap image. */
const serviceContainer = {
    name: "orders-api",
    image: `${REPOSITORY_URI}:bootstrap`,
    essential: true,
    portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: "tcp" }],
    environment: [{ name: "NODE_ENV", value: "production" }],
    secrets: [{ name: "DATABASE_URL", valueFrom: `arn:aws-us-gov:secretsmanager:${REGION}:${QA}:secret:db-AbC123` }],
    readonlyRootFilesystem: true,
};
const sidecar = { name: "log-router", image: "public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.0" };
const registeredFields = {
    family: "orders-api",
    taskRoleArn: `arn:aws-us-gov:iam::${QA}:role/orders-api-task`,
    executionRoleArn: `arn:aws-us-gov:iam::${QA}:role/orders-api-execution`,
    networkMode: "awsvpc",
    containerDefinitions: [serviceContainer, sidecar],
    volumes: [{ name: "tmp" }],
    requiresCompatibilities: ["FARGATE"],
    cpu: "1024",
    memory: "2048",
    runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
};
/** DescribeTaskDefinition adds these to what was registered; RegisterTaskDefinition refuses them. */
const describedOnly = {
    taskDefinitionArn: PULUMI_REVISION,
    revision: 7,
    status: "ACTIVE",
    requiresAttributes: [{ name: "com.amazonaws.ecs.capability.task-iam-role" }],
    compatibilities: ["EC2", "FARGATE"],
    registeredAt: "2026-01-01T00:00:00Z",
    registeredBy: `arn:aws-us-gov:sts::${QA}:assumed-role/github-pulumi-deploy/run`,
};

const env = {
    REPOSITORY_URI,
    CONTAINER_NAME: "orders-api",
    ECS_CLUSTER_NAME: "orders-api-cluster",
    ECS_SERVICE_NAME: "orders-api",
    ECS_TASK_FAMILY: "orders-api",
    TASK_DEFINITION_PARAMETER: PARAMETER,
    CONTAINER_PORT_PARAMETER: PORT_PARAMETER,
    DEPLOYMENT_TIMEOUT_MINUTES: "30",
    DEPLOY_POLL_SECONDS: "0",
};
const image = (uri = `${REPOSITORY_URI}@${DIGEST}`) =>
    JSON.stringify({ service: "orders-api", commitId: "0".repeat(40), imageDigest: DIGEST, imageUri: uri });
const deployment = (id: string, extra: object) => ({
    id,
    status: id === "ecs-svc/new" ? "PRIMARY" : "ACTIVE",
    ...extra,
});
const service = (taskDefinition: string, ...deployments: object[]) => ({ services: [{ taskDefinition, deployments }] });
/** The service before the deploy: the running revision, its load balancer entry on `port`. */
const running = (port: number) => ({
    services: [
        {
            taskDefinition: `${ecs}:task-definition/orders-api:6`,
            loadBalancers: [{ targetGroupArn: TARGET_GROUP, containerName: "orders-api", containerPort: port }],
            deployments: [deployment("ecs-svc/old", { rolloutState: "COMPLETED", runningCount: 2, desiredCount: 2 })],
        },
    ],
});
const inProgress = service(
    REGISTERED,
    deployment("ecs-svc/new", { rolloutState: "IN_PROGRESS", runningCount: 1, desiredCount: 2 }),
    deployment("ecs-svc/old", { rolloutState: "COMPLETED", runningCount: 2, desiredCount: 2 }),
);
const completed = service(
    REGISTERED,
    deployment("ecs-svc/new", { rolloutState: "COMPLETED", runningCount: 2, desiredCount: 2 }),
);

function deploy(options: Partial<BuildspecRunOptions> = {}) {
    return runBuildspec(path.join(BUILDSPEC_DIR, BUILDSPEC_FILES.deploy), {
        env,
        files: { "image.json": image() },
        ssmParameters: { [PARAMETER]: PULUMI_REVISION, [PORT_PARAMETER]: "8080" },
        taskDefinitions: {
            [PULUMI_REVISION]: { taskDefinition: { ...registeredFields, ...describedOnly }, tags: TAGS },
        },
        registeredArn: REGISTERED,
        serviceStates: [running(8080), inProgress, completed],
        ...options,
    });
}

describe("deploy-task-definition buildspec against fake aws", function () {
    before(function () {
        if (!canRunBuildspecs()) this.skip();
    });

    it("registers Pulumi's revision with only the service container's image replaced, keeping its tags, and deploys it", () => {
        const r = deploy();
        expect(r.status, r.stderr).to.equal(0);
        expect(r.calls).to.deep.equal([
            `aws ssm get-parameter --name ${PARAMETER} --query Parameter.Value --output text`,
            `aws ssm get-parameter --name ${PORT_PARAMETER} --query Parameter.Value --output text`,
            `aws ecs describe-task-definition --task-definition ${PULUMI_REVISION} --include TAGS --output json`,
            "aws ecs register-task-definition --cli-input-json file://task-definition.json --query taskDefinition.taskDefinitionArn --output text",
            "aws ecs describe-services --cluster orders-api-cluster --services orders-api --output json",
            `aws ecs update-service --cluster orders-api-cluster --service orders-api --task-definition ${REGISTERED} --output json`,
            "aws ecs describe-services --cluster orders-api-cluster --services orders-api --output json",
            "aws ecs describe-services --cluster orders-api-cluster --services orders-api --output json",
        ]);
        // Same port as the service's load balancer entry: no switch, nothing to record.
        expect(r.updatedLoadBalancers).to.equal(undefined);
        expect(r.ssmParameters[PORT_PARAMETER]).to.equal("8080");
        // Everything Pulumi registered (roles, cpu, memory, ports, secrets, variables, the sidecar) and its tags;
        // nothing DescribeTaskDefinition adds; the promoted digest in the service container only.
        expect(r.registeredTaskDefinition).to.deep.equal({
            ...registeredFields,
            containerDefinitions: [{ ...serviceContainer, image: `${REPOSITORY_URI}@${DIGEST}` }, sidecar],
            tags: TAGS,
        });
        expect(r.stdout).to.include(`Registered ${REGISTERED} from ${PULUMI_REVISION}`);
        expect(r.stdout).to.include(`orders-api runs ${REPOSITORY_URI}@${DIGEST} (${REGISTERED})`);
    });

    it("fails when the circuit breaker fails the deployment, even though the service becomes stable again", () => {
        const failed = service(
            PULUMI_REVISION,
            deployment("ecs-svc/new", {
                rolloutState: "FAILED",
                rolloutStateReason: "ECS deployment circuit breaker: tasks failed to start.",
                runningCount: 0,
                desiredCount: 2,
            }),
            deployment("ecs-svc/old", { rolloutState: "COMPLETED", runningCount: 2, desiredCount: 2 }),
        );
        const r = deploy({ serviceStates: [running(8080), inProgress, failed] });
        expect(r.status).not.to.equal(0);
        expect(r.stderr).to.include(
            `Deployment ecs-svc/new of orders-api failed and the circuit breaker rolls the service back to ${PULUMI_REVISION}: ECS deployment circuit breaker: tasks failed to start.`,
        );
    });

    it("fails when its deployment is gone: the service is stable, but on the revision it was rolled back to", () => {
        const rolledBack = service(
            PULUMI_REVISION,
            deployment("ecs-svc/rollback", { rolloutState: "COMPLETED", runningCount: 2, desiredCount: 2 }),
        );
        const r = deploy({ serviceStates: [running(8080), rolledBack] });
        expect(r.status).not.to.equal(0);
        expect(r.stderr).to.include(
            `Deployment ecs-svc/new of orders-api failed and the circuit breaker rolls the service back to ${PULUMI_REVISION}: the deployment is gone`,
        );
    });

    it("gives up after DEPLOYMENT_TIMEOUT_MINUTES while its deployment is in progress", () => {
        const r = deploy({
            env: { ...env, DEPLOYMENT_TIMEOUT_MINUTES: "0" },
            serviceStates: [running(8080), inProgress],
        });
        expect(r.status).not.to.equal(0);
        expect(r.stderr).to.include("Deployment ecs-svc/new of orders-api did not complete within 0 minutes");
    });

    it("refuses a parameter that names no revision of the family, before registering anything", () => {
        for (const value of ["bootstrap", `${ecs}:task-definition/billing-api:3`]) {
            const r = deploy({ ssmParameters: { [PARAMETER]: value, [PORT_PARAMETER]: "8080" } });
            expect(r.status).not.to.equal(0);
            expect(r.stderr).to.include(
                `${PARAMETER} holds '${value}', expected a task definition ARN of family orders-api: run pulumi up for this stack`,
            );
            expect(r.calls.filter((c) => c.includes("register-task-definition"))).to.deep.equal([]);
        }
    });

    describe("a new containerPort (Pulumi's revision maps 8080, the service's load balancer entry names 3000)", () => {
        const switched = [{ targetGroupArn: TARGET_GROUP, containerName: "orders-api", containerPort: 8080 }];
        const portChange = (options: Partial<BuildspecRunOptions> = {}) =>
            deploy({
                ssmParameters: { [PARAMETER]: PULUMI_REVISION, [PORT_PARAMETER]: "3000" },
                serviceStates: [running(3000), inProgress, completed],
                ...options,
            });

        it("switches the load balancer entry in the same update-service as the revision, then records the port", () => {
            const r = portChange();
            expect(r.status, r.stderr).to.equal(0);
            expect(r.calls.slice(4)).to.deep.equal([
                "aws ecs describe-services --cluster orders-api-cluster --services orders-api --output json",
                `aws ecs update-service --cluster orders-api-cluster --service orders-api --task-definition ${REGISTERED} --load-balancers file://load-balancers.json --output json`,
                "aws ecs describe-services --cluster orders-api-cluster --services orders-api --output json",
                "aws ecs describe-services --cluster orders-api-cluster --services orders-api --output json",
                `aws ssm put-parameter --name ${PORT_PARAMETER} --value 8080 --overwrite --output json`,
            ]);
            // Same target group and container: only the port changes.
            expect(r.updatedLoadBalancers).to.deep.equal(switched);
            expect(r.ssmParameters[PORT_PARAMETER]).to.equal("8080");
            expect(r.stdout).to.include(
                "Switching the load balancer entry of orders-api from port 3000 to 8080 with this revision",
            );
            expect(r.stdout).to.include(
                `Recorded port 8080 in ${PORT_PARAMETER} (was 3000): the next pulumi up removes the security group rules of port 3000`,
            );
        });

        it("records nothing when the deployment fails: the circuit breaker restores the old revision and port", () => {
            const failed = service(
                PULUMI_REVISION,
                deployment("ecs-svc/new", {
                    rolloutState: "FAILED",
                    rolloutStateReason: "tasks failed",
                    runningCount: 0,
                    desiredCount: 2,
                }),
            );
            const r = portChange({ serviceStates: [running(3000), failed] });
            expect(r.status).not.to.equal(0);
            expect(r.updatedLoadBalancers).to.deep.equal(switched);
            expect(r.calls.filter((c) => c.includes("put-parameter"))).to.deep.equal([]);
            expect(r.ssmParameters[PORT_PARAMETER]).to.equal("3000");
        });

        it("records a switch an earlier run made but did not record (it stopped at its timeout)", () => {
            const r = portChange({ serviceStates: [running(8080), inProgress, completed] });
            expect(r.status, r.stderr).to.equal(0);
            expect(r.updatedLoadBalancers).to.equal(undefined);
            expect(r.ssmParameters[PORT_PARAMETER]).to.equal("8080");
        });
    });

    it("refuses a revision that maps no port of the service container, before registering anything", () => {
        const r = deploy({
            taskDefinitions: {
                [PULUMI_REVISION]: {
                    taskDefinition: {
                        ...registeredFields,
                        containerDefinitions: [{ ...serviceContainer, portMappings: [] }],
                    },
                    tags: TAGS,
                },
            },
        });
        expect(r.status).not.to.equal(0);
        expect(r.stderr).to.include(`${PULUMI_REVISION} maps no port of container orders-api`);
        expect(r.calls.filter((c) => c.includes("register-task-definition"))).to.deep.equal([]);
    });

    it("refuses to deploy before pulumi up has created the port parameter", () => {
        const r = deploy({ ssmParameters: { [PARAMETER]: PULUMI_REVISION } });
        expect(r.status).not.to.equal(0);
        expect(r.stderr).to.include(
            `${PORT_PARAMETER} cannot be read: run pulumi up for this stack (it creates the parameter)`,
        );
        expect(r.calls.filter((c) => c.includes("register-task-definition"))).to.deep.equal([]);
    });

    it("refuses an image.json that names no image of this repository by digest", () => {
        const r = deploy({ files: { "image.json": image(`${REPOSITORY_URI}:latest`) } });
        expect(r.status).not.to.equal(0);
        expect(r.stderr).to.include(`image.json of the input artifact names no image of ${REPOSITORY_URI} by digest:`);
        expect(r.calls).to.deep.equal([]);
    });

    it("refuses a revision without the service container", () => {
        const r = deploy({
            taskDefinitions: {
                [PULUMI_REVISION]: {
                    taskDefinition: { ...registeredFields, containerDefinitions: [sidecar] },
                    tags: TAGS,
                },
            },
        });
        expect(r.status).not.to.equal(0);
        expect(r.stderr).to.include(`${PULUMI_REVISION} has no container named orders-api`);
    });
});
