/**
 * Per-service settings from config (serviceSettings), through the real program: the secrets and their
 * customer-managed keys, the tasks' egress beyond HTTPS, the retired keys it replaced, and services as objects.
 */
import { expect } from "chai";
import { StackConfigError } from "../domain/config";
import { ACCOUNTS } from "./accounts";
import { asUserWould, planStack, RecordedResource, runProgram, StackRun } from "./harness";

const P = "aws-us-gov";
const REGION = "us-gov-west-1";
const DEV = ACCOUNTS.dev;
const KEY = `arn:${P}:kms:${REGION}:${DEV}:key/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9`;
const MRK = `arn:${P}:kms:${REGION}:${DEV}:key/mrk-0123456789abcdef0123456789abcdef`;
const SECRET = `arn:${P}:secretsmanager:${REGION}:${DEV}:secret:orders-api/db-AbC123`;

const of = (run: StackRun, type: string) => run.resources.filter((r) => r.type === type);
const named = (run: StackRun, type: string, name: string): RecordedResource => {
    const found = of(run, type).filter((r) => r.name === name);
    expect(found, `${type} ${name}`).to.have.length(1);
    return found[0];
};

async function problems(overrides: Record<string, unknown>): Promise<readonly string[]> {
    const run = await runProgram("dev", { overrides });
    expect(run.error).to.be.instanceOf(StackConfigError);
    expect(run.resources).to.deep.equal([]);
    return (run.error as StackConfigError).problems;
}

describe("service secrets under customer-managed keys (serviceSettings: secrets, secretKeys)", () => {
    it("the execution role decrypts with exactly the configured keys, only through Secrets Manager", async () => {
        const run = await planStack("dev", {
            overrides: {
                serviceSettings: {
                    "orders-api": { secrets: { DB_PASSWORD: `${SECRET}:password::` }, secretKeys: [KEY, MRK] },
                },
            },
        });
        const role = named(run, "aws:iam/role:Role", "dev-orders-api-service-execution");
        const policy = of(run, "aws:iam/rolePolicy:RolePolicy").find((p) => p.inputs.role === role.state.id)!;
        const statements = JSON.parse(policy.inputs.policy).Statement;
        expect(statements.filter((s: any) => /Secrets$/.test(s.Sid))).to.deep.equal([
            { Sid: "ReadSecrets", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: [SECRET] },
            {
                Sid: "DecryptSecrets",
                Effect: "Allow",
                Action: "kms:Decrypt",
                Resource: [KEY, MRK],
                Condition: { StringEquals: { "kms:ViaService": "secretsmanager.us-gov-west-1.amazonaws.com" } },
            },
        ]);
    });

    it("without keys the execution role has no KMS statement", async () => {
        const run = await planStack("dev");
        const role = named(run, "aws:iam/role:Role", "dev-orders-api-service-execution");
        const policy = of(run, "aws:iam/rolePolicy:RolePolicy").find((p) => p.inputs.role === role.state.id)!;
        expect(JSON.parse(policy.inputs.policy).Statement.map((s: any) => s.Sid)).to.deep.equal([
            "RegistryToken",
            "PullImage",
            "WriteLogs",
        ]);
    });

    it("rejects settings of an unknown service, an alias, and another account's key", async () => {
        expect(
            await problems({
                serviceSettings: {
                    billing: { secretKeys: [KEY] },
                    "orders-api": {
                        secretKeys: [
                            KEY,
                            `arn:${P}:kms:${REGION}:${DEV}:alias/secrets`,
                            `arn:${P}:kms:${REGION}:${ACCOUNTS.qa}:key/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9`,
                        ],
                    },
                },
            }),
        ).to.deep.equal([
            `devsecops-pipelines:serviceSettings.billing: found {"secretKeys":["${KEY}"]}, expected settings of a service of this stack (orders-api)`,
            `devsecops-pipelines:serviceSettings.orders-api.secretKeys[1]: found "arn:${P}:kms:${REGION}:${DEV}:alias/secrets", ` +
                `expected a KMS key ARN of this account and region (arn:${P}:kms:${REGION}:${DEV}:key/<key id>; an alias does not work in an IAM policy's Resource)`,
            `devsecops-pipelines:serviceSettings.orders-api.secretKeys[2]: found "arn:${P}:kms:${REGION}:${ACCOUNTS.qa}:key/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9", ` +
                `expected a KMS key ARN of this account and region (arn:${P}:kms:${REGION}:${DEV}:key/<key id>; an alias does not work in an IAM policy's Resource)`,
        ]);
    });

    it("refuses a malformed entry by its shape; the account and region checks then wait for a well-formed key", async () => {
        expect(
            await problems({
                serviceSettings: {
                    "orders-api": {
                        secret: { TOKEN: SECRET },
                        secrets: { "DB-PASSWORD": SECRET, PORT: SECRET },
                        secretKeys: [KEY, KEY],
                    },
                    Billing: {},
                },
            }),
        ).to.deep.equal([
            `devsecops-pipelines:serviceSettings.orders-api.secrets.DB-PASSWORD: found "${SECRET}", expected an environment variable name: letters, digits and _, not starting with a digit`,
            `devsecops-pipelines:serviceSettings.orders-api.secrets.PORT: found "${SECRET}", expected a variable other than PORT (the task definition sets PORT to containerPort)`,
            `devsecops-pipelines:serviceSettings.orders-api.secretKeys[1]: found "${KEY}", expected a key listed once`,
            `devsecops-pipelines:serviceSettings.orders-api.secret: found {"TOKEN":"${SECRET}"}, expected one of the properties secrets, secretKeys, egress`,
            "devsecops-pipelines:serviceSettings.Billing: found {}, expected 3-32 lowercase letters, digits or hyphens, starting with a letter",
        ]);
        expect(await problems({ serviceSettings: ["orders-api"] })).to.deep.equal([
            'devsecops-pipelines:serviceSettings: found ["orders-api"], expected settings by service name, { <service>: { secrets: { <VARIABLE>: <secret ARN> }, secretKeys: [<KMS key ARN>], egress: [{ port, cidr or securityGroupId }] } }',
        ]);
    });
});

describe("task egress beyond HTTPS (serviceSettings: egress)", () => {
    /** The egress rules of the service's security group: [port, peer]. */
    function serviceEgress(run: StackRun): [number, string][] {
        const sg = named(run, "aws:ec2/securityGroup:SecurityGroup", "dev-orders-api-service-service-sg");
        return of(run, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
            .filter((r) => r.inputs.securityGroupId === sg.state.id)
            .map((r): [number, string] => {
                expect([r.inputs.ipProtocol, r.inputs.toPort]).to.deep.equal(["tcp", r.inputs.fromPort]);
                return [r.inputs.fromPort, r.inputs.cidrIpv4 ?? r.inputs.referencedSecurityGroupId];
            })
            .sort((a, b) => a[0] - b[0]);
    }

    it("HTTPS to anywhere by default, nothing else", async () => {
        expect(serviceEgress(await planStack("dev"))).to.deep.equal([[443, "0.0.0.0/0"]]);
    });

    it("adds a port to a CIDR and a port to a security group, keeping 443", async () => {
        const run = await planStack("dev", {
            overrides: {
                serviceSettings: {
                    "orders-api": {
                        egress: [
                            { port: 5432, securityGroupId: "sg-0123456789abcdef0" },
                            { port: 3306, cidr: "10.1.0.0/16" },
                        ],
                    },
                },
            },
        });
        expect(serviceEgress(run)).to.deep.equal([
            [443, "0.0.0.0/0"],
            [3306, "10.1.0.0/16"],
            [5432, "sg-0123456789abcdef0"],
        ]);
        const rule = named(
            run,
            "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
            "dev-orders-api-service-service-out-0",
        );
        expect(rule.inputs.description).to.equal("Configured egress on 5432 (serviceEgress)");
    });

    it("rejects a port out of range, a peer that is neither CIDR nor security group, both, and neither", async () => {
        const egress = [
            { port: 70000, cidr: "10.0.0.0/16" },
            { port: 5432, cidr: "10.0.0.1/16" },
            { port: 5432, securityGroupId: "db.example.gov" },
            { port: 5432, cidr: "10.0.0.0/16", securityGroupId: "sg-0123456789abcdef0" },
            { port: 5432 },
            { port: 5433, cidr: "10.0.0.0/16", host: "db.example.gov" },
        ];
        expect(await problems({ serviceSettings: { "orders-api": { egress } } })).to.deep.equal([
            "devsecops-pipelines:serviceSettings.orders-api.egress[0].port: found 70000, expected a TCP port from 1 to 65535",
            'devsecops-pipelines:serviceSettings.orders-api.egress[1].cidr: found "10.0.0.1/16", expected an IPv4 CIDR, e.g. 10.0.0.0/16 (four numbers 0-255, host bits 0)',
            'devsecops-pipelines:serviceSettings.orders-api.egress[2].securityGroupId: found "db.example.gov", expected a security group id (sg-...) of the services\' VPC',
            'devsecops-pipelines:serviceSettings.orders-api.egress[3]: found {"cidr":"10.0.0.0/16","port":5432,"securityGroupId":"sg-0123456789abcdef0"}, expected exactly one of cidr and securityGroupId: { port, cidr } or { port, securityGroupId }',
            'devsecops-pipelines:serviceSettings.orders-api.egress[4]: found {"port":5432}, expected exactly one of cidr and securityGroupId: { port, cidr } or { port, securityGroupId }',
            'devsecops-pipelines:serviceSettings.orders-api.egress[5].host: found "db.example.gov", expected one of the properties port, cidr, securityGroupId',
        ]);
    });
});

describe("the keys serviceSettings replaced (serviceSecrets, serviceSecretKeys, serviceEgress)", () => {
    it("are refused, each entry with the serviceSettings entry that replaces it", async () => {
        expect(
            await problems({
                serviceSecrets: [`orders-api:DB_PASSWORD=${SECRET}:password::`],
                serviceSecretKeys: [`orders-api=${KEY}`],
                serviceEgress: ["orders-api:5432=sg-0123456789abcdef0", "orders-api:3306=10.1.0.0/16", "5432"],
            }),
        ).to.deep.equal([
            `devsecops-pipelines:serviceSecrets[0]: found "orders-api:DB_PASSWORD=${SECRET}:password::", expected this entry as serviceSettings: {"orders-api":{"secrets":{"DB_PASSWORD":"${SECRET}:password::"}}} (serviceSecrets is replaced by serviceSettings, see docs/configuration.md)`,
            `devsecops-pipelines:serviceSecretKeys[0]: found "orders-api=${KEY}", expected this entry as serviceSettings: {"orders-api":{"secretKeys":["${KEY}"]}} (serviceSecretKeys is replaced by serviceSettings, see docs/configuration.md)`,
            'devsecops-pipelines:serviceEgress[0]: found "orders-api:5432=sg-0123456789abcdef0", expected this entry as serviceSettings: {"orders-api":{"egress":[{"port":5432,"securityGroupId":"sg-0123456789abcdef0"}]}} (serviceEgress is replaced by serviceSettings, see docs/configuration.md)',
            'devsecops-pipelines:serviceEgress[1]: found "orders-api:3306=10.1.0.0/16", expected this entry as serviceSettings: {"orders-api":{"egress":[{"port":3306,"cidr":"10.1.0.0/16"}]}} (serviceEgress is replaced by serviceSettings, see docs/configuration.md)',
            'devsecops-pipelines:serviceEgress[2]: found "5432", expected nothing: serviceEgress is replaced by serviceSettings, see docs/configuration.md',
        ]);
        expect(await problems({ serviceSecrets: [] })).to.deep.equal([
            "devsecops-pipelines:serviceSecrets: found [], expected nothing: serviceSecrets is replaced by serviceSettings, see docs/configuration.md",
        ]);
    });
});

describe("services as names or { name, target }", () => {
    it("a name and { name } are the same service, on the fargate target; both plan the same resources", async () => {
        const asName = await planStack("dev");
        const asObject = await planStack("dev", asUserWould({ services: [{ name: "orders-api", target: "fargate" }] }));
        expect(asObject.resources.map((r) => [r.type, r.name, r.inputs])).to.deep.equal(
            asName.resources.map((r) => [r.type, r.name, r.inputs]),
        );
    });

    it("refuses another target, another property and an entry that is neither", async () => {
        const run = await runProgram(
            "dev",
            asUserWould({
                services: [
                    { name: "orders-api", target: "ecs" },
                    { name: "billing-api", repo: "x" },
                    42,
                    { target: "fargate" },
                ],
            }),
        );
        expect(run.error).to.be.instanceOf(StackConfigError);
        expect((run.error as StackConfigError).problems).to.deep.equal([
            'devsecops-pipelines:services[0].target: found "ecs", expected one of fargate, lambda (the deploy targets)',
            'devsecops-pipelines:services[1].repo: found "x", expected one of the properties name, target',
            "devsecops-pipelines:services[2]: found 42, expected a service name, or { name, target } with target one of fargate, lambda",
            "devsecops-pipelines:services[3].name: found nothing, expected 3-32 lowercase letters, digits or hyphens, starting with a letter",
        ]);
    });
});

describe("build settings per environment (fipsEndpoints, imageScanMaxCritical, imageScanMaxHigh)", () => {
    /** The variables of one project of the dev pipeline: name -> value. */
    function variables(run: StackRun, suffix: string): Record<string, string> {
        const project = of(run, "aws:codebuild/project:Project").find(
            (p) => p.inputs.name === `orders-api-dev-${suffix}`,
        )!;
        return Object.fromEntries(project.inputs.environment.environmentVariables.map((v: any) => [v.name, v.value]));
    }
    const fips = (run: StackRun) => [
        ...new Set(
            of(run, "aws:codebuild/project:Project").map(
                (p) => variables(run, p.inputs.name.slice(15)).AWS_USE_FIPS_ENDPOINT,
            ),
        ),
    ];

    it("every project uses FIPS endpoints in GovCloud by default; fipsEndpoints: false turns them off", async () => {
        expect(fips(await planStack("dev"))).to.deep.equal(["true"]);
        expect(fips(await planStack("dev", { overrides: { fipsEndpoints: false } }))).to.deep.equal(["false"]);
    });

    it("off by default in the commercial partition, on when asked", async () => {
        const commercial = { "aws:region": "us-east-1", partition: "aws" };
        expect(fips(await planStack("dev", { overrides: commercial }))).to.deep.equal(["false"]);
        expect(fips(await planStack("dev", { overrides: { ...commercial, fipsEndpoints: true } }))).to.deep.equal([
            "true",
        ]);
    });

    it("the scan gate gets this environment's thresholds (0 and 0 by default)", async () => {
        const gate = (run: StackRun) => {
            const v = variables(run, "image-scan-gate");
            return [v.MAX_CRITICAL_FINDINGS, v.MAX_HIGH_FINDINGS];
        };
        expect(gate(await planStack("dev"))).to.deep.equal(["0", "0"]);
        expect(
            gate(await planStack("dev", { overrides: { imageScanMaxCritical: 1, imageScanMaxHigh: 12 } })),
        ).to.deep.equal(["1", "12"]);
        expect(await problems({ imageScanMaxHigh: -1 })).to.deep.equal([
            "devsecops-pipelines:imageScanMaxHigh: found -1, expected a whole number from 0 to 10000",
        ]);
    });
});
