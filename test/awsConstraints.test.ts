import * as aws from "@pulumi/aws";
import { expect } from "chai";
import * as fs from "fs";
import { checkResource } from "../awsFacts/constraints";
import { FARGATE_TASK_SIZES } from "../awsFacts/documented";
import { mappedCfnTypes, RESOURCE_MAP } from "../awsFacts/resourceMap";
import { extractSchemas, schemaSubset, SUBSET_FILE } from "../awsFacts/schemaSource";
import { AccountBudget, budgetPlacement } from "../components/accountBudget";
import { typeOfUrn } from "../engine/providers/aws";
import { snapshotStack, StackSnapshot } from "../offline/analysis/plan";
import { PLANTS, problemLine, registerPlants } from "./plantedValues";

const STACKS = ["tool", "dev", "qa", "stage", "prod"];

/** What awsx's Vpc registers in the engine (engine/providers/awsx.ts); the mock runtime cannot construct it. */
const AWSX_CHILDREN = [
    "aws:ec2/eip:Eip",
    "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/natGateway:NatGateway",
    "aws:ec2/route:Route",
    "aws:ec2/routeTable:RouteTable",
    "aws:ec2/routeTableAssociation:RouteTableAssociation",
    "aws:ec2/subnet:Subnet",
    "aws:ec2/vpc:Vpc",
];

describe("AWS constraint checker", () => {
    const snapshots: Record<string, StackSnapshot> = {};
    before(async function () {
        this.timeout(120000);
        for (const stack of STACKS) snapshots[stack] = await snapshotStack(stack, { evaluate: null });
        // A stack with a Lambda service whose deploy step recorded its image: the Lambda target's types too.
        snapshots.lambda = await snapshotStack("prod", {
            evaluate: null,
            projectValues: { services: ["orders-api", { name: "billing-fn", target: "lambda" }] },
            world: {
                ssmParameters: {
                    "/cicd/lambda/billing-fn/image": `173205080756.dkr.ecr.us-gov-west-1.amazonaws.com/billing-fn@sha256:${"a".repeat(64)}`,
                },
            },
        });
        // A budget where AWS Budgets holds it (a commercial account; the checked-in stacks are GovCloud's).
        snapshots.budget = await snapshotStack("dev", {
            evaluate: null,
            program: async () => {
                const provider = new aws.Provider("aws", { region: "us-east-1" });
                const budget = {
                    monthlyLimitUsd: 500,
                    thresholdsPercent: [80, 100],
                    subscriberEmails: ["a@example.gov"],
                };
                const placement = budgetPlacement("aws", { accountId: "271828182845", region: "us-east-1", budget });
                new AccountBudget("dev-cost", { placement, budget }, { provider });
            },
        });
    });

    it("schemas.json holds the mapped types' schemas as the installed @aws/cloudformation-validate bundles them", function () {
        this.timeout(120000);
        const extracted = extractSchemas(mappedCfnTypes());
        if (process.env.UPDATE_AWS_SCHEMAS) fs.writeFileSync(SUBSET_FILE, JSON.stringify(extracted) + "\n");
        expect(schemaSubset()).to.deep.equal(JSON.parse(JSON.stringify(extracted)));
        expect(Object.keys(extracted.schemas)).to.deep.equal(mappedCfnTypes());
        expect(extracted.schemas["AWS::ECS::TaskDefinition"].properties!.NetworkMode.enum).to.deep.equal([
            "awsvpc",
            "bridge",
            "host",
            "none",
        ]);
    });

    it("maps every AWS resource type the stacks register (and awsx's children in the engine), and no other", () => {
        const registered = new Set<string>(AWSX_CHILDREN);
        const other = new Set<string>();
        for (const s of Object.values(snapshots)) {
            for (const r of s.resources) (r.type.startsWith("aws:") ? registered : other).add(r.type);
        }
        expect(Object.keys(RESOURCE_MAP).sort()).to.deep.equal([...registered].sort());
        expect([...other].sort()).to.deep.equal([
            "awsx:ec2:Vpc",
            "devsecops:budget:AccountBudget",
            "devsecops:events:PushEventRule",
            "devsecops:network:ServiceNetwork",
            "devsecops:notifications:PipelineNotifications",
            "devsecops:pipeline:PipelineBuildProjects",
            "devsecops:pipeline:ServicePipeline",
            "devsecops:registry:ContainerRegistry",
            "devsecops:security:ArtifactBucket",
            "devsecops:security:CrossAccountKmsKey",
            "devsecops:security:PersonRoles",
            "devsecops:security:PipelineRoleTrust",
            "devsecops:service:FargateService",
            "devsecops:service:LambdaService",
            "devsecops:service:ServiceAlarms",
            "devsecops:service:ServiceDashboard",
            "pulumi:providers:aws",
        ]);
    });

    it("places every input of the five stacks in the schema, and finds nothing AWS would refuse", () => {
        expect(snapshots.budget.resources.map((r) => r.type)).to.include("aws:budgets/budget:Budget");
        for (const [stack, s] of Object.entries(snapshots)) {
            expect(s.plan.status, stack).to.equal("clean");
            const unplaced = new Set<string>();
            for (const r of s.resources)
                checkResource(r.type, r.inputs, s.plan.region).unplaced.forEach((u) => unplaced.add(u));
            expect([...unplaced], stack).to.deep.equal([]);
        }
    });

    describe(`the offline plan refuses ${PLANTS.length} kinds of planted values, naming resource, property and constraint`, () => {
        for (const plant of PLANTS) {
            it(plant.kind, async () => {
                const snapshot = await snapshotStack("dev", {
                    evaluate: null,
                    program: async () => registerPlants([plant]),
                });
                expect(snapshot.plan.status).to.equal("error");
                expect(snapshot.plan.error!.kind).to.equal("program");
                const lines = plant.problems.map((p) => problemLine(plant, p));
                expect(snapshot.plan.error!.problems).to.deep.equal(lines);
                expect(snapshot.plan.error!.message).to.equal(
                    `${lines.length} input${lines.length === 1 ? "" : "s"} AWS would refuse; nothing was deployed:\n` +
                        lines.map((l) => `  - ${l}`).join("\n"),
                );
            });
        }
    });

    it("skips values the engine does not know yet, in either form, and checks the rest", () => {
        const engineUnknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
        const sdkUnknown = { __pulumiUnknown: true };
        for (const unknown of [engineUnknown, sdkUnknown]) {
            expect(
                checkResource("aws:lb/listener:Listener", {
                    loadBalancerArn: unknown,
                    port: unknown,
                    protocol: "HTTPX",
                    defaultActions: [{ type: "forward", targetGroupArn: unknown }],
                }).failures.map((f) => f.property),
            ).to.deep.equal(["protocol"]);
        }
    });

    it("checks a secret by its value and never prints it", () => {
        const secret = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "a b" };
        expect(checkResource("aws:iam/role:Role", { name: secret }).failures).to.deep.equal([
            { property: "name", reason: "[secret] does not match ^[\\w+=,.@-]+$ (AWS::IAM::Role RoleName)" },
        ]);
    });

    it("refuses a type in a region that does not have it, from the package's per-region list", () => {
        const { regions } = schemaSubset();
        expect(regions["AWS::ECS::Service"]).to.include.members(["us-gov-west-1", "us-gov-east-1", "us-east-1"]);
        expect(checkResource("aws:ecs/cluster:Cluster", {}, "xx-nowhere-1").failures).to.deep.equal([
            { property: "", reason: "AWS::ECS::Cluster is not available in xx-nowhere-1" },
        ]);
    });

    it("Fargate sizes: every documented CPU with its memory range, vCPU and GB forms accepted", () => {
        expect(FARGATE_TASK_SIZES[1024]).to.deep.equal([2048, 3072, 4096, 5120, 6144, 7168, 8192]);
        expect(FARGATE_TASK_SIZES[8192][0]).to.equal(16384);
        expect(FARGATE_TASK_SIZES[8192].at(-1)).to.equal(61440);
        const task = (cpu: string, memory: string) =>
            checkResource("aws:ecs/taskDefinition:TaskDefinition", {
                family: "f",
                containerDefinitions: "[]",
                cpu,
                memory,
                networkMode: "awsvpc",
                requiresCompatibilities: ["FARGATE"],
            }).failures;
        expect(task("1 vCPU", "2 GB")).to.deep.equal([]);
        expect(task("1024", "2048")).to.deep.equal([]);
        expect(task(".25 vCPU", "3 GB").map((f) => f.property)).to.deep.equal(["memory"]);
    });

    it("the stand-in provider reads a resource's type from its URN", () => {
        expect(typeOfUrn("urn:pulumi:dev::p::devsecops:cicd:ArtifactBucket$aws:s3/bucket:Bucket::b")).to.equal(
            "aws:s3/bucket:Bucket",
        );
        expect(typeOfUrn("urn:pulumi:dev::p::aws:kms/key:Key::k")).to.equal("aws:kms/key:Key");
    });
});
