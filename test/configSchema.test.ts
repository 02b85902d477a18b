/**
 * Issue 11: the mistakes a new user makes in stack files, each through the path the CLI user sees (the program
 * run under the mock runtime with the stack file plus overrides): a clear error before anything is registered,
 * or, for values AWS accepts, a clean run.
 */
import * as aws from "@pulumi/aws";
import { expect } from "chai";
import { StackConfigError } from "../domain/config";
import { closestKey, LOG_RETENTION_DAYS, statefulReplacements } from "../domain/configSchema";
import { REGIONS } from "../domain/regions";
import { asUserWould, planStack, runProgram } from "./harness";

const NS = "devsecops-pipelines";
const TAGS = {
    Project: "p",
    Environment: "dev",
    CostCenter: "CC-4100-DEV",
    Owner: "o@example.gov",
    ManagedBy: "pulumi",
};
const EMAIL = "an email address such as team@example.gov (ASCII, no display name or angle brackets)";
const UNKNOWN = (near: string) =>
    `a key the program reads: did you mean ${NS}:${near}? (an unknown key is ignored, and its value lost)`;

async function problems(stack: string, overrides: Record<string, unknown>): Promise<string[]> {
    const run = await runProgram(stack, asUserWould(overrides));
    expect(run.error, "the program should reject this config").to.be.instanceOf(StackConfigError);
    expect(run.resources, "nothing registered").to.deep.equal([]);
    expect(run.error!.message.split("\n")[0]).to.match(
        new RegExp(
            `^Invalid stack configuration in Pulumi\\.${stack}\\.yaml \\(\\d+ problems?\\); nothing was deployed:$`,
        ),
    );
    return [...(run.error as StackConfigError).problems];
}

describe("stack config: the mistakes of issue 11", () => {
    const rejected: [string, string, Record<string, unknown>, string[]][] = [
        // Silent data loss: unknown keys
        [
            "a typo of services",
            "dev",
            { servcies: ["orders-api", "billing-api"] },
            [`${NS}:servcies: found ["orders-api","billing-api"], expected ${UNKNOWN("services")}`],
        ],
        [
            "a typo of the namespace",
            "qa",
            { "devsecops-pipeline:services": ["orders-api"] },
            [`devsecops-pipeline:services: found ["orders-api"], expected ${UNKNOWN("services")}`],
        ],
        [
            "taskCPU for taskCpu",
            "stage",
            { taskCPU: 1024 },
            [`${NS}:taskCPU: found 1024, expected ${UNKNOWN("taskCpu")}`],
        ],
        [
            "a key nothing is close to",
            "tool",
            { colour: "blue" },
            [
                `${NS}:colour: found "blue", expected a key the program reads (see Pulumi.yaml); an unknown key is ignored, and its value lost`,
            ],
        ],
        [
            "an aws: key the stack's provider does not read",
            "dev",
            { "aws:skipCredentialsValidation": true },
            [
                "aws:skipCredentialsValidation: found true, expected the stack's provider reads only aws:region, aws:allowedAccountIds, aws:defaultTags, aws:profile (the default provider is disabled)",
            ],
        ],
        [
            "a typo of aws:region",
            "prod",
            { "aws:region": undefined, "aws:regoin": "us-gov-west-1" },
            [
                'aws:regoin: found "us-gov-west-1", expected aws:region? the stack\'s provider reads only aws:region, aws:allowedAccountIds, aws:defaultTags, aws:profile (the default provider is disabled)',
                "aws:region: found nothing, expected an AWS region, e.g. us-gov-west-1 or us-east-1",
            ],
        ],
        // Accepted, then failing at deploy
        [
            "two services whose first 23 characters are the same (load balancer and target group names keep 23)",
            "dev",
            { services: ["customer-notifications-service-a", "customer-notifications-service-b"] },
            [
                `${NS}:services[1]: found "customer-notifications-service-b", expected a name whose first 23 characters differ from services[0] (customer-notifications-service-a): load balancers and target groups are named <first 23 characters of the service>-<8-character hash>, so both services' would be customer-notifications--<hash>, told apart only by the hash in the console, alarms and logs`,
            ],
        ],
        [
            "a service named internal-...",
            "tool",
            { services: ["internal-api"] },
            [
                `${NS}:services[0]: found "internal-api", expected a name not starting with internal- (load balancer names may not)`,
            ],
        ],
        [
            "two hyphens in a service name",
            "qa",
            { services: ["orders--api"] },
            [
                `${NS}:services[0]: found "orders--api", expected no two hyphens in a row (ECR repository names allow one separator between letters or digits)`,
            ],
        ],
        [
            "a public subnet listed twice",
            "dev",
            {
                vpcId: "vpc-0a1b2c3d4e5f60718",
                privateSubnetIds: ["subnet-0a1b2c3d", "subnet-0a1b2c3e"],
                publicSubnetIds: ["subnet-1a1b2c3d", "subnet-1a1b2c3d"],
            },
            [
                `${NS}:publicSubnetIds[1]: found "subnet-1a1b2c3d", expected a subnet listed once (subnet-1a1b2c3d is already in the list; an ALB needs two zones)`,
            ],
        ],
        [
            "a private subnet listed twice",
            "qa",
            {
                vpcId: "vpc-0a1b2c3d4e5f60718",
                privateSubnetIds: ["subnet-0a1b2c3d", "subnet-0a1b2c3d"],
                publicSubnetIds: ["subnet-1a1b2c3d", "subnet-1a1b2c3e"],
            },
            [
                `${NS}:privateSubnetIds[1]: found "subnet-0a1b2c3d", expected a subnet listed once (subnet-0a1b2c3d is already in the list; two zones need two subnets)`,
            ],
        ],
        [
            "a CIDR octet over 255",
            "dev",
            { vpcCidr: "10.300.0.0/16" },
            [
                `${NS}:vpcCidr: found "10.300.0.0/16", expected an IPv4 CIDR from /16 to /24, four numbers 0-255, e.g. 10.0.0.0/16`,
            ],
        ],
        [
            "a CIDR with host bits",
            "qa",
            { vpcCidr: "10.0.0.1/16" },
            [`${NS}:vpcCidr: found "10.0.0.1/16", expected the network address 10.0.0.0/16 (the host bits must be 0)`],
        ],
        [
            "a link-local CIDR",
            "stage",
            { vpcCidr: "169.254.0.0/16" },
            [
                `${NS}:vpcCidr: found "169.254.0.0/16", expected a range outside 169.254.0.0/16 (link-local) (AWS does not allow it)`,
            ],
        ],
        [
            "a CIDR too large",
            "prod",
            { vpcCidr: "10.0.0.0/8" },
            [
                `${NS}:vpcCidr: found "10.0.0.0/8", expected an IPv4 CIDR from /16 to /24, four numbers 0-255, e.g. 10.0.0.0/16`,
            ],
        ],
        [
            "a region that does not exist",
            "dev",
            { "aws:region": "us-west-3", partition: undefined },
            [
                `aws:region: found "us-west-3", expected a region of the commercial (aws) or GovCloud (aws-us-gov) partition`,
            ],
        ],
        [
            "a GovCloud region that does not exist",
            "tool",
            { "aws:region": "us-gov-north-1" },
            [
                `aws:region: found "us-gov-north-1", expected a region of the commercial (aws) or GovCloud (aws-us-gov) partition`,
            ],
        ],
        [
            "a tag value with parentheses",
            "dev",
            { "aws:defaultTags": { tags: { ...TAGS, Owner: "Platform Team (DevSecOps)" } } },
            [
                'aws:defaultTags.tags.Owner: found "Platform Team (DevSecOps)", expected a tag value of letters, digits, spaces and _ . : / = + - @ only, at most 256 (IAM refuses others, so every role would fail)',
            ],
        ],
        [
            "a tag value with # and a comma",
            "dev",
            { "aws:defaultTags": { tags: { ...TAGS, CostCenter: "CC#4100, DEV" } } },
            [
                'aws:defaultTags.tags.CostCenter: found "CC#4100, DEV", expected a tag value of letters, digits, spaces and _ . : / = + - @ only, at most 256 (IAM refuses others, so every role would fail)',
            ],
        ],
        [
            "a tag key in the aws: prefix",
            "dev",
            { "aws:defaultTags": { tags: { ...TAGS, "aws:owner": "x" } } },
            [
                'aws:defaultTags.tags.aws:owner: found "x", expected a tag key of 1-128 letters, digits, spaces or _ . : / = + - @, not starting with aws:',
            ],
        ],
        [
            "eleven budget alert emails",
            "dev",
            { notificationEmails: Array.from({ length: 11 }, (_, i) => `dev${i}@example.gov`) },
            [
                `${NS}:notificationEmails: found ${JSON.stringify(Array.from({ length: 11 }, (_, i) => `dev${i}@example.gov`))}, expected at most 10 addresses: AWS Budgets allows 10 email subscribers per notification`,
            ],
        ],
        [
            "six budget thresholds",
            "qa",
            { budgetThresholdsPercent: [50, 60, 70, 80, 90, 100] },
            [
                `${NS}:budgetThresholdsPercent: found [50,60,70,80,90,100], expected at most 5 thresholds: each makes two notifications (actual, forecasted) and AWS Budgets allows 10 per budget`,
            ],
        ],
        [
            "a budget billing account that is one of the GovCloud accounts",
            "prod",
            { budgetBillingAccountId: "173205080756", budgetBillingProfile: "billing" },
            [
                `${NS}:budgetBillingAccountId: found "173205080756", expected the standard (commercial) account paired with this GovCloud account, not a GovCloud account of this project (prodAccountId)`,
            ],
        ],
        [
            "an email in angle brackets",
            "dev",
            { notificationEmails: ["<a@b.gov>"] },
            [`${NS}:notificationEmails[0]: found "<a@b.gov>", expected ${EMAIL}`],
        ],
        [
            "an email with two dots in a row",
            "qa",
            { notificationEmails: ["a@b..gov"] },
            [`${NS}:notificationEmails[0]: found "a@b..gov", expected ${EMAIL}`],
        ],
        [
            "a non-ASCII email",
            "stage",
            { notificationEmails: ["jöran@example.gov"] },
            [`${NS}:notificationEmails[0]: found "jöran@example.gov", expected ${EMAIL}`],
        ],
        [
            "a display name",
            "prod",
            { notificationEmails: ["Ops Team ops@example.gov"] },
            [`${NS}:notificationEmails[0]: found "Ops Team ops@example.gov", expected ${EMAIL}`],
        ],
        // Crashes
        [
            "a duplicate email (a duplicate-URN crash before)",
            "prod",
            { notificationEmails: ["release-approvers@example.gov", "release-approvers@example.gov"] },
            [
                `${NS}:notificationEmails[1]: found "release-approvers@example.gov", expected an address listed once (a second subscription of the same address collides)`,
            ],
        ],
        // Silently wrong
        [
            "two environments on the same branch",
            "tool",
            { qaBranch: "develop" },
            [
                `${NS}:qaBranch: found "develop", expected a branch of its own: devBranch is also develop (a push would start both pipelines)`,
            ],
        ],
        [
            "a branch given as a ref",
            "dev",
            { devBranch: "refs/heads/develop" },
            [
                `${NS}:devBranch: found "refs/heads/develop", expected a branch name without refs/heads/, e.g. "develop" (the push rule matches the short name)`,
            ],
        ],
        [
            "the same subnets as private and public",
            "dev",
            {
                vpcId: "vpc-0a1b2c3d4e5f60718",
                privateSubnetIds: ["subnet-0a1b2c3d", "subnet-0a1b2c3e"],
                publicSubnetIds: ["subnet-0a1b2c3d", "subnet-0a1b2c3e"],
            },
            [
                `${NS}:publicSubnetIds[0]: found "subnet-0a1b2c3d", expected a public subnet that is not also in privateSubnetIds (tasks and load balancers need their own)`,
                `${NS}:publicSubnetIds[1]: found "subnet-0a1b2c3e", expected a public subnet that is not also in privateSubnetIds (tasks and load balancers need their own)`,
            ],
        ],
        [
            "8 vCPU with too little memory",
            "prod",
            { taskCpu: 8192, taskMemory: 8192 },
            [
                `${NS}:taskMemory: found 8192, expected a Fargate memory size for taskCpu 8192: 16384 to 61440 in steps of 4096`,
            ],
        ],
        [
            "a CPU size Fargate does not have",
            "stage",
            { taskCpu: 3072, taskMemory: 8192 },
            [`${NS}:taskCpu: found 3072, expected a Fargate CPU size: 256, 512, 1024, 2048, 4096, 8192, 16384`],
        ],
    ];
    for (const [what, stack, overrides, expected] of rejected) {
        it(`refuses ${what} (Pulumi.${stack}.yaml)`, async () => {
            expect(await problems(stack, overrides)).to.deep.equal(expected);
        });
    }

    it("lists unknown keys first, then every other problem in the schema's order", async () => {
        expect(
            await problems("dev", {
                taskCPU: 1024,
                vpcCidr: "10.0.0.1/16",
                "aws:region": "us-west-3",
                partition: undefined,
            }),
        ).to.deep.equal([
            `${NS}:taskCPU: found 1024, expected ${UNKNOWN("taskCpu")}`,
            `aws:region: found "us-west-3", expected a region of the commercial (aws) or GovCloud (aws-us-gov) partition`,
            `${NS}:vpcCidr: found "10.0.0.1/16", expected the network address 10.0.0.0/16 (the host bits must be 0)`,
        ]);
    });

    describe("accepts what AWS accepts (too strict before)", () => {
        const taskDefinition = (run: Awaited<ReturnType<typeof planStack>>) =>
            run.resources.find((r) => r.type === "aws:ecs/taskDefinition:TaskDefinition")!.inputs;

        it("Fargate 8 vCPU with 60 GB", async () => {
            const run = await planStack("prod", { overrides: { taskCpu: 8192, taskMemory: 61440 } });
            expect([taskDefinition(run).cpu, taskDefinition(run).memory]).to.deep.equal(["8192", "61440"]);
        });

        it("Fargate 16 vCPU with 32 GB", async () => {
            const run = await planStack("stage", { overrides: { taskCpu: 16384, taskMemory: 32768 } });
            expect([taskDefinition(run).cpu, taskDefinition(run).memory]).to.deep.equal(["16384", "32768"]);
        });

        it("a Secrets Manager reference to a JSON key", async () => {
            const valueFrom =
                "arn:aws-us-gov:secretsmanager:us-gov-west-1:173205080756:secret:orders-api/database-Ab12Cd:password::";
            const run = await planStack("prod", {
                overrides: { serviceSettings: { "orders-api": { secrets: { DB_PASSWORD: valueFrom } } } },
            });
            const container = JSON.parse(taskDefinition(run).containerDefinitions)[0];
            expect(container.secrets).to.deep.equal([{ name: "DB_PASSWORD", valueFrom }]);
        });

        it("every retention period CloudWatch Logs accepts, e.g. 1827 days", async () => {
            const run = await planStack("qa", { overrides: { logRetentionDays: 1827 } });
            const groups = run.resources.filter((r) => r.type === "aws:cloudwatch/logGroup:LogGroup");
            expect(groups.length).to.be.greaterThan(0);
            expect(groups.every((g) => g.inputs.retentionInDays === 1827)).to.equal(true);
            expect(LOG_RETENTION_DAYS).to.have.length(22);
        });

        it("tag values with the characters IAM allows", async () => {
            const tags = {
                ...TAGS,
                Owner: "Platform Team - DevSecOps / ops+alerts@example.gov",
                CostCenter: "CC:4100=DEV",
            };
            const run = await planStack("dev", { overrides: { "aws:defaultTags": { tags } } });
            const provider = run.resources.find((r) => r.type === "pulumi:providers:aws")!;
            expect(JSON.parse(provider.inputs.defaultTags).tags).to.deep.equal(tags);
        });

        it("a commercial region from the list, and keys of unrelated namespaces", async () => {
            const run = await planStack("dev", {
                overrides: { "aws:region": "eu-central-2", partition: "aws", "otherproject:note": "kept" },
            });
            expect(run.outputs).to.include({ region: "eu-central-2", partition: "aws" });
        });
    });

    it("the regions are @pulumi/aws's for the commercial and GovCloud partitions", () => {
        const all = Object.values(aws.Region) as string[];
        const gov = all.filter((r) => r.startsWith("us-gov-"));
        const commercial = all.filter((r) => !/^(cn|us-gov|us-iso[a-z]*|eu-iso[a-z]*|eusc)-/.test(r));
        expect([...REGIONS["aws-us-gov"]].sort()).to.deep.equal(gov.sort());
        expect([...REGIONS.aws].sort()).to.deep.equal(commercial.sort());
    });

    it("suggests the closest key, case-insensitively, and nothing when none is close", () => {
        expect(closestKey("taskCPU", ["taskCpu", "taskMemory"])).to.equal("taskCpu");
        expect(closestKey("servcies", ["services", "serviceSettings"])).to.equal("services");
        expect(closestKey("colour", ["services", "taskCpu"])).to.equal(undefined);
    });

    it("names the stateful resources a config change replaces or deletes, for the plan", () => {
        const before = { [`${NS}:services`]: '["orders-api","billing-api"]', [`${NS}:vpcCidr`]: "10.0.0.0/16" };
        expect(statefulReplacements(NS, before, before)).to.deep.equal([]);
        expect(statefulReplacements(NS, before, { [`${NS}:services`]: '["orders-api"]' })).to.deep.equal([
            {
                key: `${NS}:services`,
                before: '["orders-api","billing-api"]',
                after: '["orders-api"]',
                replaces:
                    "a removed service: its CodeCommit repository (tool), ECR repository and images, log groups, load balancer, pipeline and test reports: billing-api",
            },
        ]);
        expect(
            statefulReplacements(NS, before, { ...before, [`${NS}:vpcCidr`]: "10.1.0.0/16" }).map((r) => r.replaces),
        ).to.deep.equal(["the created VPC, its subnets and gateways, the load balancers and services"]);
    });
});
