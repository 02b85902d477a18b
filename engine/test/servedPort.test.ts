/**
 * A containerPort change of a running service with the real CLI: dev previewed with containerPort
 * 8080 while its deploy step recorded 3000 in SSM (the stand-in aws plugin reads the account from
 * STANDIN_AWS_WORLD_ENV, the mock runtime from RunOptions.world). The ECS service keeps the served port, Pulumi's
 * revision maps the new one, the security groups take both, and the engine and the offline plan agree on every
 * resource and policy report. A recorded value that is no port stops both with the same ServedPortError before
 * anything but the provider is registered.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { containerPortParameterName } from "../../targets/fargate/service";
import type { AwsWorld } from "../../offline/runtime/awsAnswers";
import { runStack } from "../../offline/runtime/mockRuntime";
import { evaluatePolicies, readPolicyPackConfig } from "../../offline/analysis/policyRunner";
import { PROJECT_ROOT, resolveStackConfig } from "../../offline/runtime/stackFiles";
import { defineStack } from "../../stacks/program";
import { ServedPortError } from "../../stacks/servedPorts";
import { ensureEngine } from "../cli";
import { differences, fromEngineEvents, fromPlan, ResourceSnapshot, UNKNOWN } from "../parity";
import { PreviewWorkspace, previewArgs } from "../preview";
import { STANDIN_AWS_WORLD_ENV } from "../providers/aws";

const NS = "devsecops-pipelines";
const SERVICE: string = JSON.parse(resolveStackConfig("dev")[`${NS}:services`])[0];
const PARAMETER = containerPortParameterName(SERVICE);
const PREFIX = `dev-${SERVICE}-service`;
const PROVIDER = `urn:pulumi:dev::${NS}::pulumi:providers:aws::aws`;

const recorded = (value: string): AwsWorld => ({ ssmParameters: { [PARAMETER]: value } });

const NOT_A_PORT =
    "Invalid deploy record in SSM Parameter Store; nothing was deployed:\n" +
    `  - ${PARAMETER} holds "abc", expected the container port ${SERVICE}'s deploy step records (1024 to 65535): ` +
    "set it to the port of the service's load balancer entry " +
    "(aws ecs describe-services --query 'services[0].loadBalancers')";

/** `pulumi preview --policy-pack --json` of dev, with streaming events and the account holding `world`. */
async function previewDev(
    ws: PreviewWorkspace,
    world: AwsWorld,
): Promise<{ code: number; stderr: string; events: Record<string, any>[] }> {
    const select = await ws.run(["stack", "select", "--create", "dev", "--non-interactive"]);
    expect(select.code, select.stderr).to.equal(0);
    const preview = await ws.run(previewArgs("dev", ws.root, "json"), {
        PULUMI_ENABLE_STREAMING_JSON_PREVIEW: "true",
        [STANDIN_AWS_WORLD_ENV]: JSON.stringify(world),
    });
    const events = preview.stdout
        .split("\n")
        .filter((line) => line.trim().startsWith("{"))
        .map((line) => JSON.parse(line) as Record<string, any>);
    return { code: preview.code, stderr: preview.stderr, events };
}

function only(resources: readonly ResourceSnapshot[], type: string, name: string): ResourceSnapshot {
    const found = resources.filter((r) => r.type === type && r.name === name);
    expect(
        found.map((r) => r.name),
        `${type} ${name}`,
    ).to.deep.equal([name]);
    return found[0];
}

/** The load balancer's rules to and from the tasks: [name, fromPort, toPort, description]. */
function loadBalancerRules(resources: readonly ResourceSnapshot[]): unknown[][] {
    return resources
        .filter((r) => r.type.startsWith("aws:vpc/securityGroup") && /-(alb-out|service-in)(-\d+)?$/.test(r.name))
        .map((r) => [r.name, r.inputs.fromPort, r.inputs.toPort, r.inputs.description])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
}

describe("a containerPort change of a running service: the real engine and the offline plan", () => {
    let dir: string;
    let stackFile: string;
    let ws: PreviewWorkspace;

    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "served-port-"));
        stackFile = path.join(dir, "Pulumi.dev.yaml");
        const dev = fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.dev.yaml"), "utf8");
        expect(dev).not.to.include(`${NS}:containerPort`);
        fs.writeFileSync(stackFile, `${dev.trimEnd()}\n    ${NS}:containerPort: 8080\n`);
        ws = PreviewWorkspace.create(ensureEngine({ preferPath: false }), { stackFiles: { dev: stackFile } });
    });
    after(() => {
        ws?.dispose();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("served 3000, configured 8080: the service stays on 3000, the revision maps 8080, both ports open, no mandatory violation; the offline plan agrees", async () => {
        const world = recorded("3000");
        const preview = await previewDev(ws, world);
        expect(preview.code, preview.stderr).to.equal(0);
        const engine = fromEngineEvents("dev", preview.events);
        expect(engine.policyReports.filter((r) => r.enforcementLevel === "mandatory")).to.deep.equal([]);

        const service = only(engine.resources, "aws:ecs/service:Service", `${PREFIX}-service`);
        expect(service.inputs.loadBalancers).to.deep.equal([
            { containerName: SERVICE, containerPort: 3000, targetGroupArn: UNKNOWN },
        ]);
        const parameter = only(engine.resources, "aws:ssm/parameter:Parameter", `${PREFIX}-container-port`);
        expect(parameter.inputs).to.include({ name: PARAMETER, type: "String", insecureValue: "3000" });
        expect(loadBalancerRules(engine.resources)).to.deep.equal([
            [`${PREFIX}-alb-out-3000`, 3000, 3000, "To the tasks"],
            [`${PREFIX}-alb-out-8080`, 8080, 8080, "To the tasks"],
            [`${PREFIX}-service-in-3000`, 3000, 3000, "From the load balancer only"],
            [`${PREFIX}-service-in-8080`, 8080, 8080, "From the load balancer only"],
        ]);
        const targetGroup = only(engine.resources, "aws:lb/targetGroup:TargetGroup", `${PREFIX}-tg`);
        expect(targetGroup.inputs.port).to.equal(8080);
        // The revision's containers are known at preview (the repository's URL is built from its name): the new
        // revision maps and serves 8080, in the engine as in the plan (compared below).
        const taskDefinition = only(
            engine.resources,
            "aws:ecs/taskDefinition:TaskDefinition",
            `${PREFIX}-task-definition`,
        );
        const [previewed] = JSON.parse(taskDefinition.inputs.containerDefinitions as string);
        expect(previewed.image).to.equal(`271828182845.dkr.ecr.us-gov-west-1.amazonaws.com/${SERVICE}:bootstrap`);
        expect(previewed.portMappings).to.deep.equal([{ containerPort: 8080, protocol: "tcp" }]);
        expect(previewed.environment).to.deep.equal([{ name: "PORT", value: "8080" }]);

        const run = await runStack("dev", defineStack, { stackFile, outputs: "preview", world });
        expect(run.error).to.equal(undefined);
        const config = readPolicyPackConfig(path.join(PROJECT_ROOT, "policy-pack", "config", "dev.json"));
        const plan = fromPlan(run, await evaluatePolicies(run, { config }));
        expect(differences(engine, plan)).to.deep.equal([]);
        expect(engine.resources.length).to.be.greaterThan(0);
        expect(engine.policyReports.length).to.equal(plan.policyReports.length);
        expect(
            run.calls.filter((c) => c.token === "aws:ssm/getParametersByPath:getParametersByPath").map((c) => c.inputs),
        ).to.deep.equal([{ path: "/cicd/ecs", recursive: true, withDecryption: false }]);

        const deployed = await runStack("dev", defineStack, { stackFile, outputs: "deployed", world });
        expect(deployed.error).to.equal(undefined);
        const revision = deployed.resources.find((r) => r.name === `${PREFIX}-task-definition`)!;
        const [container] = JSON.parse(revision.inputs.containerDefinitions);
        expect(container.name).to.equal(SERVICE);
        expect(container.portMappings).to.deep.equal([{ containerPort: 8080, protocol: "tcp" }]);
        expect(container.environment).to.deep.equal([{ name: "PORT", value: "8080" }]);
        expect(container.healthCheck.command[1]).to.include("'http://localhost:8080/health'");
        expect(
            deployed.resources.find((r) => r.name === `${PREFIX}-service`)!.inputs.loadBalancers[0].containerPort,
        ).to.equal(3000);
    });

    it("a recorded port that is no port: the engine fails with the offline plan's ServedPortError, nothing registered but the provider", async () => {
        const world = recorded("abc");
        const run = await runStack("dev", defineStack, { stackFile, outputs: "preview", world });
        expect(run.error).to.be.instanceOf(ServedPortError);
        expect(run.error!.message).to.equal(NOT_A_PORT);
        expect(run.resources.map((r) => r.urn)).to.deep.equal([PROVIDER]);

        // Printed as its message alone (an InputRefusal is a RunError whose stack has no frames, so the language
        // host's util.inspect never meets the frames that exhaust the heap on Node.js without nodejs/node#64022).
        const preview = await previewDev(ws, world);
        expect(preview.code).to.equal(1);
        const errors = preview.events
            .filter((e) => e.diagnosticEvent?.prefix === "error: ")
            .map((e) => e.diagnosticEvent.message as string);
        expect(errors).to.have.length(1);
        expect(errors[0].trim()).to.equal(NOT_A_PORT);
        const registered = preview.events
            .filter((e) => e.resourcePreEvent && e.resourcePreEvent.metadata.type !== "pulumi:pulumi:Stack")
            .map((e) => e.resourcePreEvent.metadata.urn);
        expect(registered).to.deep.equal([PROVIDER]);
    });
});
