/**
 * Per-service settings from config, through the real program (issue 10): the CMKs of the service secrets
 * (item 3) and the tasks' egress beyond HTTPS (item 4).
 */
import { expect } from "chai";
import { StackConfigError } from "../domain/config";
import { ACCOUNTS } from "./accounts";
import { planStack, RecordedResource, runProgram, StackRun } from "./harness";

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

describe("service secrets under customer-managed keys (serviceSecretKeys)", () => {
    it("the execution role decrypts with exactly the configured keys, only through Secrets Manager", async () => {
        const run = await planStack("dev", {
            overrides: {
                serviceSecrets: [`orders-api:DB_PASSWORD=${SECRET}:password::`],
                serviceSecretKeys: [`orders-api=${KEY}`, `orders-api=${MRK}`],
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

    it("rejects an unknown service, an alias, another account's key, and a malformed entry", async () => {
        expect(
            await problems({
                serviceSecretKeys: [
                    `billing=${KEY}`,
                    `orders-api=arn:${P}:kms:${REGION}:${DEV}:alias/secrets`,
                    `orders-api=arn:${P}:kms:${REGION}:${ACCOUNTS.qa}:key/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9`,
                ],
            }),
        ).to.deep.equal([
            `devsecops-pipelines:serviceSecretKeys[0]: found "billing=${KEY}", expected a service of this stack (orders-api)`,
            `devsecops-pipelines:serviceSecretKeys[1]: found "orders-api=arn:${P}:kms:${REGION}:${DEV}:alias/secrets", ` +
                `expected a KMS key ARN of this account and region (arn:${P}:kms:${REGION}:${DEV}:key/<key id>; an alias does not work in an IAM policy's Resource)`,
            `devsecops-pipelines:serviceSecretKeys[2]: found "orders-api=arn:${P}:kms:${REGION}:${ACCOUNTS.qa}:key/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9", ` +
                `expected a KMS key ARN of this account and region (arn:${P}:kms:${REGION}:${DEV}:key/<key id>; an alias does not work in an IAM policy's Resource)`,
        ]);
        // A malformed entry fails the key's own check; the rules across keys then wait for a well-formed list.
        expect(await problems({ serviceSecretKeys: [`orders-api=${KEY}`, "orders-api:alias/secrets"] })).to.deep.equal([
            'devsecops-pipelines:serviceSecretKeys[1]: found "orders-api:alias/secrets", expected <service>=<KMS key ARN>',
        ]);
    });
});

describe("task egress beyond HTTPS (serviceEgress)", () => {
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
            overrides: { serviceEgress: ["orders-api:5432=sg-0123456789abcdef0", "orders-api:3306=10.1.0.0/16"] },
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

    it("rejects an unknown service, a port out of range and a peer that is neither CIDR nor security group", async () => {
        expect(
            await problems({
                serviceEgress: [
                    "billing:5432=10.0.0.0/16",
                    "orders-api:70000=10.0.0.0/16",
                    "orders-api:5432=10.0.0.1/16",
                    "orders-api:5432=db.example.gov",
                ],
            }),
        ).to.deep.equal([
            'devsecops-pipelines:serviceEgress[0]: found "billing:5432=10.0.0.0/16", expected a service of this stack (orders-api)',
            'devsecops-pipelines:serviceEgress[1]: found "orders-api:70000=10.0.0.0/16", expected a TCP port from 1 to 65535',
            'devsecops-pipelines:serviceEgress[2]: found "orders-api:5432=10.0.0.1/16", expected an IPv4 CIDR (e.g. 10.0.0.0/16, host bits 0) or a security group id (sg-...) after the =',
            'devsecops-pipelines:serviceEgress[3]: found "orders-api:5432=db.example.gov", expected an IPv4 CIDR (e.g. 10.0.0.0/16, host bits 0) or a security group id (sg-...) after the =',
        ]);
        expect(await problems({ serviceEgress: ["orders-api=10.0.0.0/16"] })).to.deep.equal([
            'devsecops-pipelines:serviceEgress[0]: found "orders-api=10.0.0.0/16", expected <service>:<port>=<IPv4 CIDR or sg-...>',
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
