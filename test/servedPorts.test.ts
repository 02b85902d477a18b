import { expect } from "chai";
import { planStack, runProgram, StackRun } from "./harness";

// stacks/servedPorts.ts: the port each running service receives traffic on, read from the deploy step's record
// before anything is registered (targets/fargate/service.ts, note 5).

const RECORD = "/cicd/ecs/orders-api/container-port";
const ONE_READ = {
    token: "aws:ssm/getParametersByPath:getParametersByPath",
    inputs: { path: "/cicd/ecs", recursive: true, withDecryption: false },
};

const loadBalancerPort = (run: StackRun) =>
    run.resources.find((r) => r.type === "aws:ecs/service:Service")!.inputs.loadBalancers[0].containerPort;
const taskPorts = (run: StackRun) =>
    run.resources
        .filter((r) => r.name.includes("-service-in-"))
        .map((r) => r.inputs.fromPort)
        .sort();

describe("served container ports (the deploy step's record)", () => {
    it("an environment stack reads every service's record in one call before registering; none means the configured port", async () => {
        const run = await planStack("qa");
        expect(
            run.calls.filter((c) => c.token.startsWith("aws:ssm/")).map(({ token, inputs }) => ({ token, inputs })),
        ).to.deep.equal([ONE_READ]);
        expect(loadBalancerPort(run)).to.equal(3000);
        expect(taskPorts(run)).to.deep.equal([3000]);
    });

    it("the tool stack reads nothing", async () => {
        const run = await planStack("tool");
        expect(run.calls.filter((c) => c.token.startsWith("aws:ssm/"))).to.deep.equal([]);
    });

    it("a recorded port other than the configured one: the service stays on it, the tasks take both", async () => {
        const run = await planStack("dev", {
            overrides: { containerPort: 8080 },
            world: { ssmParameters: { [RECORD]: "3000", "/cicd/ecs/orders-api/task-definition": "ignored" } },
        });
        expect(loadBalancerPort(run)).to.equal(3000);
        expect(taskPorts(run)).to.deep.equal([3000, 8080]);
        const taskDefinition = run.resources.find((r) => r.type === "aws:ecs/taskDefinition:TaskDefinition")!;
        expect(JSON.parse(taskDefinition.inputs.containerDefinitions)[0].portMappings).to.deep.equal([
            { containerPort: 8080, protocol: "tcp" },
        ]);
    });

    it("a record of another service is not this service's", async () => {
        const run = await planStack("dev", {
            world: { ssmParameters: { "/cicd/ecs/billing-api/container-port": "8080" } },
        });
        expect(loadBalancerPort(run)).to.equal(3000);
    });

    it("a record that is no port stops the program before anything is registered, saying what to set", async () => {
        for (const value of ["abc", "80", "3000.5", ""]) {
            const run = await runProgram("dev", { world: { ssmParameters: { [RECORD]: value } } });
            expect(run.error?.message, value).to.equal(
                "Invalid deploy record in SSM Parameter Store; nothing was deployed:\n" +
                    `  - ${RECORD} holds ${JSON.stringify(value)}, expected the container port orders-api's deploy step records ` +
                    "(1024 to 65535): set it to the port of the service's load balancer entry " +
                    "(aws ecs describe-services --query 'services[0].loadBalancers')",
            );
            expect(run.resources.filter((r) => r.type !== "pulumi:providers:aws")).to.deep.equal([]);
        }
    });
});
