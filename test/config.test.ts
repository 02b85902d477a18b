import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { StackConfigError, validateStackConfig } from "../domain/config";
import { CONFIG_KEYS, sharedKeys } from "../domain/configSchema";
import { PROJECT_ROOT, PulumiCliError, resolveStackConfig } from "../offline/runtime/stackFiles";
import { asUserWould, planStack, runProgram } from "./harness";

const STACKS = ["tool", "dev", "qa", "stage", "prod"];
const NS = "devsecops-pipelines";

/** Runs the program with config changes and returns its error; asserts nothing at all was registered. */
async function configError(stack: string, overrides: Record<string, unknown>): Promise<string[]> {
    const run = await runProgram(stack, asUserWould(overrides));
    expect(run.error, "the program should reject this config").to.be.instanceOf(StackConfigError);
    expect(run.resources, "no resource may be registered for a bad config").to.deep.equal([]);
    expect(run.calls, "no provider function may be called for a bad config").to.deep.equal([]);
    const error = run.error as StackConfigError;
    expect(error.message).to.equal(
        `Invalid stack configuration in Pulumi.${stack}.yaml (${error.problems.length} problem${error.problems.length === 1 ? "" : "s"}); nothing was deployed:\n` +
            error.problems.map((p) => `  - ${p}`).join("\n"),
    );
    return [...error.problems];
}

describe("stack config", () => {
    for (const stack of STACKS) {
        it(`Pulumi.${stack}.yaml loads, validates and runs`, async () => {
            const run = await planStack(stack);
            expect(run.outputs).to.include({ environment: stack, partition: "aws-us-gov", region: "us-gov-west-1" });
            const config = validateStackConfig(resolveStackConfig(stack), NS, stack);
            expect(config.role).to.equal(stack);
            expect(config.allowedAccountIds).to.deep.equal([config.accountId]);
            expect(Object.isFrozen(config) && Object.isFrozen(config.services[0])).to.equal(true);
        });
    }

    it("the stack's provider gets region, account guard, default tags and aws:profile", async () => {
        const run = await planStack("qa", { overrides: { "aws:profile": "qa-deployer" } });
        const provider = run.resources.find((r) => r.type === "pulumi:providers:aws" && r.name === "aws")!;
        expect(provider.inputs.region).to.equal("us-gov-west-1");
        expect(provider.inputs.profile).to.equal("qa-deployer");
        expect(JSON.parse(provider.inputs.allowedAccountIds)).to.deep.equal(["161803398874"]);
        expect(JSON.parse(provider.inputs.defaultTags).tags).to.include({ Environment: "qa", ManagedBy: "pulumi" });
        const custom = run.resources.filter((r) => r.custom && r.type.startsWith("aws:"));
        expect(
            custom.every((r) => r.provider !== undefined),
            "every AWS resource names an explicit provider",
        ).to.equal(true);
    });

    it("all stack files agree on the accounts and branches", () => {
        const shared = STACKS.map((stack) => {
            const c = validateStackConfig(resolveStackConfig(stack), NS, stack);
            return { accounts: c.accounts, branches: c.branches, partition: c.partition, region: c.region };
        });
        for (const s of shared) expect(s).to.deep.equal(shared[0]);
        expect(new Set(Object.values(shared[0].accounts)).size).to.equal(5);
    });

    it("stage and prod require approval and protect their resources; dev and qa do not", () => {
        const get = (stack: string) => validateStackConfig(resolveStackConfig(stack), NS, stack);
        expect(["dev", "qa", "stage", "prod"].map((s) => get(s).requireApproval)).to.deep.equal([
            false,
            false,
            true,
            true,
        ]);
        expect(["dev", "qa", "stage", "prod"].map((s) => get(s).protectResources)).to.deep.equal([
            false,
            false,
            true,
            true,
        ]);
        expect(get("prod").keyDeletionWindowDays).to.equal(30);
    });

    it("Pulumi.yaml declares the defaults the schema applies, and states the shared values once", () => {
        const project = YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), "utf8"));
        for (const k of CONFIG_KEYS.filter((x) => x.default !== undefined)) {
            expect(project.config[k.key].default, k.key).to.deep.equal(k.default);
        }
        expect(sharedKeys()).to.deep.equal([
            "toolAccountId",
            "devAccountId",
            "qaAccountId",
            "stageAccountId",
            "prodAccountId",
            "organizationId",
            "devBranch",
            "qaBranch",
            "stageBranch",
            "prodBranch",
            "services",
        ]);
        for (const k of sharedKeys().filter((x) => x !== "organizationId")) {
            expect(project.config[k].value, `${k} is stated once in Pulumi.yaml`).to.not.equal(undefined);
        }
    });

    it("no stack file sets a value every stack shares (it would contradict Pulumi.yaml)", () => {
        for (const stack of STACKS) {
            const file = YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`), "utf8"));
            const keys = Object.keys(file.config).map((k) => k.replace(`${NS}:`, ""));
            expect(
                keys.filter((k) => sharedKeys().includes(k)),
                `Pulumi.${stack}.yaml`,
            ).to.deep.equal([]);
        }
    });

    it("a missing environment is refused by the CLI's own rule before the program runs", async () => {
        // Typed in Pulumi.yaml without a default or value, so the CLI requires it (mergeConfig).
        const refused = await runProgram("dev", { overrides: { environment: undefined } }).then(
            () => undefined,
            (e: Error) => e,
        );
        expect(refused).to.be.instanceOf(PulumiCliError);
        expect(refused?.message).to.equal(
            "validating stack config: Stack 'dev' is missing configuration value 'environment'",
        );
    });

    describe("rejects malformed config with every problem, before anything is registered", () => {
        const cases: [string, string, Record<string, unknown>, string[]][] = [
            [
                "an account id that is not 12 digits",
                "qa",
                { toolAccountId: "31415926535" },
                [
                    `${NS}:toolAccountId: found "31415926535", expected a 12-digit AWS account id in quotes, e.g. "123456789012"`,
                ],
            ],
            [
                "two environments sharing an account",
                "tool",
                { qaAccountId: "271828182845" },
                [
                    `${NS}:qaAccountId: found "271828182845", expected an account of its own: devAccountId is also 271828182845 (one AWS account per environment)`,
                ],
            ],
            [
                "the tool account reused by an environment",
                "prod",
                { stageAccountId: "314159265358" },
                [
                    `${NS}:stageAccountId: found "314159265358", expected an account of its own: toolAccountId is also 314159265358 (one AWS account per environment)`,
                ],
            ],
            [
                "allowedAccountIds without the stack's account",
                "stage",
                { "aws:allowedAccountIds": ["173205080756"] },
                [
                    `aws:allowedAccountIds: found ["173205080756"], expected a list holding this stack's own account id 141421356237 (stageAccountId)`,
                ],
            ],
            [
                "allowedAccountIds with a second account",
                "dev",
                { "aws:allowedAccountIds": ["271828182845", "161803398874"] },
                [
                    `aws:allowedAccountIds: found ["271828182845","161803398874"], expected only this stack's own account id 271828182845`,
                ],
            ],
            [
                "an unknown environment",
                "dev",
                { environment: "development" },
                [`${NS}:environment: found "development", expected one of tool, dev, qa, stage, prod`],
            ],
            [
                "a region outside the supported partitions",
                "dev",
                { "aws:region": "cn-north-1", partition: undefined },
                [
                    `aws:region: found "cn-north-1", expected a region of the commercial (aws) or GovCloud (aws-us-gov) partition`,
                ],
            ],
            [
                "a partition that contradicts the region",
                "prod",
                { partition: "aws" },
                [
                    `${NS}:partition: found "aws", expected "aws-us-gov", the partition of aws:region us-gov-west-1 (or change aws:region)`,
                ],
            ],
            [
                "an unknown partition",
                "qa",
                { partition: "aws-cn" },
                [`${NS}:partition: found "aws-cn", expected "aws" or "aws-us-gov"`],
            ],
            [
                "an invalid branch name",
                "tool",
                { qaBranch: "release qa", prodBranch: "main..hotfix" },
                [
                    `${NS}:qaBranch: found "release qa", expected a valid git branch name (no spaces, ~ ^ : ? * [ \\ or ..)`,
                    `${NS}:prodBranch: found "main..hotfix", expected a valid git branch name (no spaces, ~ ^ : ? * [ \\ or ..)`,
                ],
            ],
            [
                "prod turning approval off",
                "prod",
                { requireApproval: false },
                [`${NS}:requireApproval: found false, expected true: prod cannot deploy without a manual approval`],
            ],
            [
                "stage turning approval off",
                "stage",
                { requireApproval: "no" },
                [`${NS}:requireApproval: found "no", expected true or false`],
            ],
            [
                "a missing required cost tag",
                "qa",
                { "aws:defaultTags": { tags: { Project: "p", Environment: "qa", Owner: "o", ManagedBy: "pulumi" } } },
                [
                    `aws:defaultTags.tags.CostCenter: found nothing, expected a non-empty tag value (cost and ownership tracking)`,
                ],
            ],
            [
                "an Environment tag of another stack",
                "dev",
                {
                    "aws:defaultTags": {
                        tags: { Project: "p", Environment: "prod", CostCenter: "c", Owner: "o", ManagedBy: "pulumi" },
                    },
                },
                [`aws:defaultTags.tags.Environment: found "prod", expected "dev", the value of ${NS}:environment`],
            ],
            [
                "a service name that is not DNS-safe, and a duplicate",
                "dev",
                { services: ["Orders_API", "billing", "billing"] },
                [
                    `${NS}:services[0]: found "Orders_API", expected 3-32 lowercase letters, digits or hyphens, starting with a letter`,
                    `${NS}:services[2]: found "billing", expected a name no other service in the list uses`,
                ],
            ],
            [
                "an empty service list",
                "tool",
                { services: [] },
                [`${NS}:services: found [], expected a list of at least one service name, e.g. [orders-api]`],
            ],
            [
                "Fargate memory that does not fit the CPU",
                "prod",
                { taskCpu: 256, taskMemory: 4096 },
                [`${NS}:taskMemory: found 4096, expected a Fargate memory size for taskCpu 256: 512, 1024, 2048`],
            ],
            [
                "a key administrator in the commercial partition",
                "stage",
                { keyAdministrators: ["arn:aws:iam::141421356237:role/KeyAdministrators"] },
                [
                    `${NS}:keyAdministrators[0]: found "arn:aws:iam::141421356237:role/KeyAdministrators", expected an IAM role or user ARN of this stack's account in partition aws-us-gov, e.g. arn:aws-us-gov:iam::141421356237:role/KeyAdmins`,
                ],
            ],
            [
                "a short key deletion window in prod",
                "prod",
                { keyDeletionWindowDays: 7 },
                [`${NS}:keyDeletionWindowDays: found 7, expected 30 in prod (the longest window AWS allows)`],
            ],
            [
                "a log retention CloudWatch does not offer",
                "qa",
                { logRetentionDays: 100 },
                [
                    `${NS}:logRetentionDays: found 100, expected one of CloudWatch's periods: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653`,
                ],
            ],
            [
                "a VPC without its subnets",
                "dev",
                { vpcId: "vpc-0a1b2c3d4e5f60718" },
                [
                    `${NS}:privateSubnetIds: found {"privateSubnetIds":[],"publicSubnetIds":[]}, expected with vpcId, at least two private and two public subnet ids (two availability zones)`,
                ],
            ],
            [
                "an organization id that is not one",
                "tool",
                { organizationId: "org-123" },
                [
                    `${NS}:organizationId: found "org-123", expected an AWS Organizations id, o- and 10 to 32 lowercase letters or digits`,
                ],
            ],
            [
                "a GovCloud billing account in the commercial partition",
                "dev",
                { "aws:region": "us-east-1", partition: "aws", budgetBillingAccountId: "577215664901" },
                [
                    `${NS}:budgetBillingAccountId: found "577215664901", expected nothing in the commercial partition: the budget goes to the stack's own account`,
                ],
            ],
            [
                "a GovCloud billing account without credentials for it",
                "prod",
                { budgetBillingAccountId: "602214076000" },
                [
                    `${NS}:budgetBillingRoleArn: found nothing, expected a role of standard account 602214076000 (CI) or budgetBillingProfile (a workstation): GovCloud credentials cannot reach it`,
                ],
            ],
            [
                "prod without a certificate",
                "prod",
                { certificateArn: undefined },
                [`${NS}:certificateArn: found nothing, expected an ACM certificate: prod serves HTTPS only`],
            ],
            [
                "a certificate of another account",
                "stage",
                {
                    certificateArn:
                        "arn:aws-us-gov:acm:us-gov-west-1:173205080756:certificate/7a1e5c3b-2f84-4d96-b0e7-9c5d3a8f2e61",
                },
                [
                    `${NS}:certificateArn: found "arn:aws-us-gov:acm:us-gov-west-1:173205080756:certificate/7a1e5c3b-2f84-4d96-b0e7-9c5d3a8f2e61", expected an ACM certificate of this stack's account and region, arn:aws-us-gov:acm:us-gov-west-1:141421356237:certificate/<id>`,
                ],
            ],
            [
                "person roles through SAML without the account's SAML provider",
                "qa",
                { peopleSamlProviderArn: undefined },
                [
                    `${NS}:peopleSamlProviderArn: found nothing, expected the IAM SAML provider people sign in through, arn:aws-us-gov:iam::161803398874:saml-provider/<name> (or peopleIdentitySource identity-center or none)`,
                ],
            ],
            [
                "a SAML provider of another account",
                "qa",
                { peopleSamlProviderArn: "arn:aws-us-gov:iam::271828182845:saml-provider/OrganizationIdP" },
                [
                    `${NS}:peopleSamlProviderArn: found "arn:aws-us-gov:iam::271828182845:saml-provider/OrganizationIdP", expected an IAM SAML provider of this stack's account in partition aws-us-gov, arn:aws-us-gov:iam::161803398874:saml-provider/<name>`,
                ],
            ],
            [
                "an identity source that does not exist",
                "stage",
                { peopleIdentitySource: "okta" },
                [`${NS}:peopleIdentitySource: found "okta", expected saml, identity-center, none`],
            ],
            [
                "a SAML provider when people sign in through Identity Center",
                "tool",
                { peopleIdentitySource: "identity-center" },
                [
                    `${NS}:peopleSamlProviderArn: found "arn:aws-us-gov:iam::314159265358:saml-provider/OrganizationIdP", expected nothing when peopleIdentitySource is identity-center (the person roles trust no SAML provider then)`,
                ],
            ],
            [
                "break-glass users in tool",
                "tool",
                { breakGlassUserArns: ["arn:aws-us-gov:iam::314159265358:user/break-glass/alice"] },
                [
                    `${NS}:breakGlassUserArns: found ["arn:aws-us-gov:iam::314159265358:user/break-glass/alice"], expected nothing in tool: break-glass roles are in the environment accounts, alarmed through their notification topic`,
                ],
            ],
            [
                "break-glass users that are a role or of the commercial partition",
                "prod",
                {
                    breakGlassUserArns: [
                        "arn:aws-us-gov:iam::314159265358:role/Admins",
                        "arn:aws:iam::314159265358:user/alice",
                    ],
                },
                [
                    `${NS}:breakGlassUserArns[0]: found "arn:aws-us-gov:iam::314159265358:role/Admins", expected an IAM user ARN in partition aws-us-gov, e.g. arn:aws-us-gov:iam::<account>:user/break-glass-1 (a user signs in with MFA when the identity source is down)`,
                    `${NS}:breakGlassUserArns[1]: found "arn:aws:iam::314159265358:user/alice", expected an IAM user ARN in partition aws-us-gov, e.g. arn:aws-us-gov:iam::<account>:user/break-glass-1 (a user signs in with MFA when the identity source is down)`,
                ],
            ],
            [
                "secrets of an unknown service, of another account, and for PORT",
                "prod",
                {
                    serviceSettings: {
                        "billing-api": {
                            secrets: {
                                TOKEN: "arn:aws-us-gov:secretsmanager:us-gov-west-1:173205080756:secret:t-Ab12Cd",
                            },
                        },
                        "orders-api": {
                            secrets: {
                                TOKEN: "arn:aws-us-gov:secretsmanager:us-gov-west-1:141421356237:secret:t-Ab12Cd",
                                PORT: "arn:aws-us-gov:secretsmanager:us-gov-west-1:173205080756:secret:t-Ab12Cd",
                            },
                        },
                    },
                },
                [
                    `${NS}:serviceSettings.orders-api.secrets.PORT: found "arn:aws-us-gov:secretsmanager:us-gov-west-1:173205080756:secret:t-Ab12Cd", expected a variable other than PORT (the task definition sets PORT to containerPort)`,
                ],
            ],
            [
                "secrets of an unknown service and of another account",
                "prod",
                {
                    serviceSettings: {
                        "billing-api": {
                            secrets: {
                                TOKEN: "arn:aws-us-gov:secretsmanager:us-gov-west-1:173205080756:secret:t-Ab12Cd",
                            },
                        },
                        "orders-api": {
                            secrets: {
                                TOKEN: "arn:aws-us-gov:secretsmanager:us-gov-west-1:141421356237:secret:t-Ab12Cd",
                            },
                        },
                    },
                },
                [
                    `${NS}:serviceSettings.billing-api: found {"secrets":{"TOKEN":"arn:aws-us-gov:secretsmanager:us-gov-west-1:173205080756:secret:t-Ab12Cd"}}, expected settings of a service of this stack (orders-api)`,
                    `${NS}:serviceSettings.orders-api.secrets.TOKEN: found "arn:aws-us-gov:secretsmanager:us-gov-west-1:141421356237:secret:t-Ab12Cd", expected a Secrets Manager secret ARN of this account and region (arn:aws-us-gov:secretsmanager:us-gov-west-1:173205080756:secret:<name>-<6 characters>, optionally :<json-key>:<version-stage>:<version-id>)`,
                ],
            ],
            [
                "a budget with nobody to alert",
                "dev",
                { budgetMonthlyLimitUsd: 500, notificationEmails: undefined },
                [
                    `${NS}:notificationEmails: found [], expected at least one email address to receive the budget alerts`,
                ],
            ],
        ];
        for (const [what, stack, overrides, expected] of cases) {
            it(`${what} (Pulumi.${stack}.yaml)`, async () => {
                const problems = await configError(stack, overrides);
                expect(problems).to.deep.equal(expected);
            });
        }

        it("reports every problem at once", async () => {
            const problems = await configError("dev", {
                devAccountId: "abc",
                "aws:region": "mars-north-1",
                partition: undefined,
                devBranch: "feature~1",
                taskCpu: 300,
            });
            expect(problems).to.deep.equal([
                `aws:region: found "mars-north-1", expected a region of the commercial (aws) or GovCloud (aws-us-gov) partition`,
                `${NS}:devAccountId: found "abc", expected a 12-digit AWS account id in quotes, e.g. "123456789012"`,
                `${NS}:devBranch: found "feature~1", expected a valid git branch name (no spaces, ~ ^ : ? * [ \\ or ..)`,
                `${NS}:taskCpu: found 300, expected a Fargate CPU size: 256, 512, 1024, 2048, 4096, 8192, 16384`,
            ]);
        });

        it("names the stack file the values came from", async () => {
            const fixture = path.join(__dirname, "fixtures", "Pulumi.broken.yaml");
            const run = await runProgram("broken", { stackFile: fixture });
            expect(run.error?.message.split("\n")[0]).to.equal(
                "Invalid stack configuration in Pulumi.broken.yaml (3 problems); nothing was deployed:",
            );
            expect(run.resources).to.deep.equal([]);
            const asDev = await runProgram("dev", { stackFile: fixture });
            expect(asDev.error?.message.split("\n")[0]).to.equal(
                "Invalid stack configuration in Pulumi.broken.yaml (3 problems); nothing was deployed:",
            );
        });
    });
});
