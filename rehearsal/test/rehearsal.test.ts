// Slow (npm registry, minutes): npm run test:rehearsal. The sample passes dev and the promotion to qa; each planted
// fault stops the pipeline at its gate with its message; the audit fails closed when it gets no report.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { advisoryRegistry, LocalRegistry, LODASH_COMMAND_INJECTION, refusingRegistry } from "../auditRegistry";
import type { StackRun } from "../../offline/runtime/mockRuntime";
import { containerPortParameterName } from "../../targets/fargate/service";
import { artifactBucketName, formatArn } from "../../domain/naming";
import { ACCOUNTS, PARTITION, rehearse, RehearsalOptions, RehearsalResult, REGION, targetGroupArn } from "../pipeline";

const SAMPLE = path.join(__dirname, "..", "..", "examples", "orders-api");
const bucket = (account: string) => artifactBucketName(account, REGION);

/** A copy of the sample named orders-api, changed by `plant`. */
function copyOfSample(plant: (dir: string) => void = () => undefined): string {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "fault-")), "orders-api");
    fs.cpSync(SAMPLE, dir, { recursive: true, filter: (src) => !/node_modules|reports/.test(path.basename(src)) });
    plant(dir);
    return dir;
}

function edit(file: string, from: string, to: string): void {
    const text = fs.readFileSync(file, "utf8");
    if (!text.includes(from)) throw new Error(`${file} does not contain ${from}`);
    fs.writeFileSync(file, text.replace(from, to));
}

function failure(result: RehearsalResult, action: string) {
    const a = result.actions.find((x) => x.action === action && !x.ok);
    if (!a) throw new Error(`${action} did not fail: ${JSON.stringify(result.stoppedAt)}`);
    return a;
}

describe("rehearsal of examples/orders-api (real npm, scanners and SBOM generator; AWS and Docker stood in)", function () {
    let advisories: LocalRegistry;
    const run = (
        serviceDir: string,
        auditRegistry = advisories.url,
        environments?: ("dev" | "qa")[],
        more: Pick<RehearsalOptions, "containerPort" | "servedContainerPort" | "registration"> = {},
    ) =>
        rehearse({
            serviceDir,
            workDir: fs.mkdtempSync(path.join(os.tmpdir(), "rehearsal-")),
            auditRegistry,
            environments: environments ?? ["dev"],
            ...more,
        });

    before(async () => {
        // The advisory endpoint of this workplace's registry answers 405, so the audit is tested against a local one
        // that serves the GitHub advisory of the planted dependency.
        advisories = await advisoryRegistry({ lodash: [LODASH_COMMAND_INJECTION.advisory] });
    });
    after(() => advisories.close());

    it("passes dev and the promotion to qa; the SBOM is published with each manifest, encrypted, named, carried", async () => {
        const r = await run(copyOfSample(), advisories.url, ["dev", "qa"]);
        expect(r.stoppedAt, JSON.stringify(r.actions.filter((a) => !a.ok))).to.equal(undefined);
        expect(r.actions.map((a) => `${a.env} ${a.stage}/${a.action}`)).to.deep.equal(
            ["dev", "qa"].flatMap((env) => [
                `${env} Source/Source`,
                `${env} Build/UnitTests`,
                `${env} Build/SecurityScan`,
                ...(env === "dev" ? [`dev Build/BuildImage`, `dev Build/GenerateSbom`] : [`qa Build/PromoteImage`]),
                `${env} Build/ImageScanGate`,
                `${env} Deploy/DeployToFargate`,
                `${env} Deploy/ScaleUpService`,
                `${env} Release/PublishRelease`,
            ]),
        );
        const sbomKey = `releases/orders-api/${r.commit}.sbom.cdx.json`;
        const devSbom = r.s3(bucket(ACCOUNTS.dev), sbomKey)!;
        const sbom = JSON.parse(devSbom);
        expect(sbom.bomFormat).to.equal("CycloneDX");
        expect(sbom.metadata.component.name).to.equal("orders-api");
        expect(sbom.components.map((c: { purl: string }) => c.purl)).to.deep.equal(["pkg:npm/zod@3.25.76"]);
        for (const env of ["dev", "qa"] as const) {
            const account = ACCOUNTS[env];
            const manifest = JSON.parse(r.s3(bucket(account), `releases/orders-api/${r.commit}.json`)!);
            expect(manifest.sbom.key).to.equal(sbomKey);
            expect(manifest.sbom.format).to.equal("CycloneDX");
            // Carried forward unchanged: qa publishes dev's SBOM, byte for byte.
            expect(r.s3(bucket(account), sbomKey)).to.equal(devSbom);
            expect(r.s3Meta(bucket(account), sbomKey)).to.deep.equal({
                sse: "aws:kms",
                kmsKeyId: r.vars(env).ARTIFACT_KEY_ARN,
                contentType: "application/vnd.cyclonedx+json",
            });
        }
        const devManifest = JSON.parse(r.s3(bucket(ACCOUNTS.dev), `releases/orders-api/${r.commit}.json`)!);
        const qaManifest = JSON.parse(r.s3(bucket(ACCOUNTS.qa), `releases/orders-api/${r.commit}.json`)!);
        expect(qaManifest.imageDigest).to.equal(devManifest.imageDigest);
        // Each service runs the revision the deploy step registered from Pulumi's: the promoted digest in place of
        // the bootstrap image, and everything else (secrets, cpu, memory, ports, roles, tags) as Pulumi set it.
        for (const env of ["dev", "qa"] as const) {
            const service = r.ecsService(env);
            const pulumi = r.pulumiRevision(env);
            expect(service.taskDefinition).to.not.equal(pulumi.arn);
            expect(service.desiredCount).to.equal(Number(r.vars(env).ECS_DESIRED_COUNT));
            expect(service.deployments!.map((d) => [d.status, d.rolloutState, d.taskDefinition])).to.deep.equal([
                ["PRIMARY", "COMPLETED", service.taskDefinition],
            ]);
            const deployed = r.taskDefinitions()[service.taskDefinition!];
            const image = `${ACCOUNTS[env]}.dkr.ecr.${REGION}.amazonaws.com/orders-api@${qaManifest.imageDigest}`;
            const { containerDefinitions, ...rest } = pulumi.taskDefinition as { containerDefinitions: object[] };
            expect(deployed.taskDefinition).to.deep.include(rest);
            expect(deployed.taskDefinition.containerDefinitions).to.deep.equal([
                { ...(containerDefinitions[0] as object), image },
            ]);
            expect(deployed.tags).to.deep.equal(pulumi.tags);
            // No port change: the load balancer entry and the recorded port stay as pulumi up left them.
            expect(service.loadBalancers).to.deep.equal([
                { targetGroupArn: targetGroupArn(env, "orders-api"), containerName: "orders-api", containerPort: 3000 },
            ]);
            expect(r.parameter(env, containerPortParameterName("orders-api"))).to.deep.equal({
                value: "3000",
                version: 1,
            });
        }
        expect(r.calls().filter((c) => c.startsWith("aws ssm put-parameter"))).to.deep.equal([]);
        expect(r.calls().filter((c) => c.includes("--load-balancers"))).to.deep.equal([]);
    });

    it("a new containerPort (3000 to 8080): one update-service switches revision and entry, the port is recorded", async () => {
        const r = await run(copyOfSample(), advisories.url, ["dev"], {
            containerPort: 8080,
            servedContainerPort: 3000,
        });
        expect(r.stoppedAt, JSON.stringify(r.actions.filter((a) => !a.ok))).to.equal(undefined);
        const arn = (n: number) =>
            formatArn({
                partition: PARTITION,
                service: "ecs",
                region: REGION,
                accountId: ACCOUNTS.dev,
                resource: `task-definition/orders-api:${n}`,
            });
        const portParameter = containerPortParameterName("orders-api");
        // Revisions 1 and 2 served 3000, pulumi up registered 3 on 8080; the deploy step registers 4 from it.
        const service = r.ecsService("dev");
        expect(service.taskDefinition).to.equal(arn(4));
        expect(service.loadBalancers).to.deep.equal([
            { targetGroupArn: targetGroupArn("dev", "orders-api"), containerName: "orders-api", containerPort: 8080 },
        ]);
        expect(service.deployments!.map((d) => [d.status, d.rolloutState, d.taskDefinition])).to.deep.equal([
            ["PRIMARY", "COMPLETED", arn(4)],
        ]);
        const container = r.taskDefinitions()[arn(4)].taskDefinition.containerDefinitions[0];
        expect(container.portMappings).to.deep.equal([{ containerPort: 8080, protocol: "tcp" }]);
        expect(container.environment).to.deep.equal([
            { name: "NODE_ENV", value: "production" },
            { name: "PORT", value: "8080" },
        ]);
        // One update-service carries the new revision and the switched entry; the port is recorded once, after. The
        // service already runs 2 tasks, so the scale-up step leaves it.
        const calls = r.calls();
        const deployCalls = calls.filter((c) => /^aws (ecs update-service|ssm put-parameter) /.test(c));
        expect(deployCalls).to.deep.equal([
            `aws ecs update-service --cluster ${r.vars("dev").ECS_CLUSTER_NAME} --service orders-api --task-definition ${arn(4)} ` +
                "--load-balancers file://load-balancers.json --output json",
            `aws ssm put-parameter --name ${portParameter} --value 8080 --overwrite --output json`,
        ]);
        expect(r.parameter("dev", portParameter)).to.deep.equal({ value: "8080", version: 2 });
        const deploy = r.actions.find((a) => a.action === "DeployToFargate")!;
        expect(deploy.output).to.include(
            "Switching the load balancer entry of orders-api from port 3000 to 8080 with this revision",
        );
        expect(deploy.output).to.include(
            `Recorded port 8080 in ${portParameter} (was 3000): the next pulumi up removes the security group rules of port 3000`,
        );
        // The sample takes PORT from the task definition (over its image's ENV PORT=3000) and answers on 8080.
        expect(r.taskLog()).to.match(
            /^node src\/server\.js \(PORT=8080; container port 8080 on 127\.0\.0\.1:\d+\)\norders-api listening on 8080\nGET \/health on container port 8080: 200\n/,
        );
    });

    it("a service that ignores PORT fails the switched deploy: rolled back to port 3000, nothing recorded", async () => {
        const dir = copyOfSample((d) =>
            edit(path.join(d, "src", "server.js"), "server.listen(config.port,", "server.listen(3000,"),
        );
        const r = await run(dir, advisories.url, ["dev"], { containerPort: 8080, servedContainerPort: 3000 });
        expect(r.stoppedAt).to.deep.equal({ env: "dev", stage: "Deploy", actions: ["DeployToFargate"] });
        const arn = (n: number) =>
            formatArn({
                partition: PARTITION,
                service: "ecs",
                region: REGION,
                accountId: ACCOUNTS.dev,
                resource: `task-definition/orders-api:${n}`,
            });
        const deploy = failure(r, "DeployToFargate");
        expect(deploy.failedStep).to.equal(
            "build: Waiting up to $DEPLOYMENT_TIMEOUT_MINUTES minutes for deployment $DEPLOYMENT_ID of $ECS_SERVICE_NAME",
        );
        expect(deploy.output).to.match(
            new RegExp(
                `Deployment ecs-svc/\\d+ of orders-api failed and the circuit breaker rolls the service back to ${arn(2)}: ` +
                    "ECS deployment circuit breaker: tasks failed to start. The task did not answer GET /health on " +
                    "container port 8080 with 200 within 15 s \\(last status 0\\)\n",
            ),
        );
        // The rollback returns to the last completed service revision: its task definition and its entry on 3000.
        const service = r.ecsService("dev");
        expect(service.taskDefinition).to.equal(arn(2));
        expect(service.loadBalancers).to.deep.equal([
            { targetGroupArn: targetGroupArn("dev", "orders-api"), containerName: "orders-api", containerPort: 3000 },
        ]);
        expect(service.deployments!.map((d) => [d.status, d.rolloutState, d.taskDefinition])).to.deep.equal([
            ["PRIMARY", "COMPLETED", arn(2)],
            ["ACTIVE", "FAILED", arn(4)],
        ]);
        const portParameter = containerPortParameterName("orders-api");
        expect(r.parameter("dev", portParameter)).to.deep.equal({ value: "3000", version: 1 });
        expect(r.calls().filter((c) => c.startsWith("aws ssm put-parameter"))).to.deep.equal([]);
        // It logs the PORT it read, but listens on 3000, which the revision does not map: nothing answers on 8080.
        expect(r.taskLog()).to.match(
            /^node src\/server\.js \(PORT=8080; container port 8080 on 127\.0\.0\.1:\d+\)\norders-api listening on 8080\nThe task did not answer GET \/health on container port 8080 with 200 within 15 s \(last status 0\)\n$/,
        );
    });

    it("a registry-level action scoped to the repository stops dev at the scan gate with AWS's AccessDeniedException", async () => {
        const gateRole = "cicd-dev-orders-api-image-scan-gate";
        const repository = `arn:aws-us-gov:ecr:${REGION}:${ACCOUNTS.dev}:repository/orders-api`;
        // The role as it was before the scan gate fix: GetRegistryScanningConfiguration has no resource type, so a
        // statement scoped to the repository never matches it.
        const narrowed = (stack: StackRun): StackRun => {
            if (stack.stack !== "dev") return stack;
            const policy = stack.resources.find(
                (x) => x.type === "aws:iam/rolePolicy:RolePolicy" && x.inputs.role === gateRole,
            )!;
            const document = JSON.parse(policy.inputs.policy);
            const statement = document.Statement.find((x: { Sid?: string }) => x.Sid === "ReadRegistryScanType");
            statement.Resource = repository;
            policy.inputs.policy = JSON.stringify(document);
            return stack;
        };
        const r = await run(copyOfSample(), advisories.url, ["dev"], { registration: narrowed });
        expect(r.stoppedAt).to.deep.equal({ env: "dev", stage: "Build", actions: ["ImageScanGate"] });
        const gate = failure(r, "ImageScanGate");
        expect(gate.output).to.match(
            new RegExp(
                "An error occurred \\(AccessDeniedException\\) when calling the GetRegistryScanningConfiguration operation: " +
                    `User: arn:aws-us-gov:sts::${ACCOUNTS.dev}:assumed-role/${gateRole}/AWSCodeBuild-[0-9a-f-]{36} is not ` +
                    "authorized to perform: ecr:GetRegistryScanningConfiguration on resource: \\* because no " +
                    "identity-based policy allows the ecr:GetRegistryScanningConfiguration action\n",
            ),
        );
        // Every step before it made all its calls with its registered role.
        expect(r.actions.filter((a) => a.ok).map((a) => a.action)).to.deep.equal([
            "Source",
            "UnitTests",
            "SecurityScan",
            "BuildImage",
            "GenerateSbom",
        ]);
    });

    it("a committed AWS key stops dev at the security scan's secrets scan", async () => {
        // Made up at run time, so that no key-shaped string is committed here.
        const id = `AKIA${"Q7".repeat(8)}`;
        const secret = `${"wJalrXUtnFEMIK7MDENGbPxRfiCY".padEnd(40, "Z")}`;
        const dir = copyOfSample((d) =>
            fs.writeFileSync(
                path.join(d, "src", "aws.js"),
                `module.exports = { accessKeyId: "${id}", secretAccessKey: "${secret}" };\n`,
            ),
        );
        const r = await run(dir);
        expect(r.stoppedAt).to.deep.equal({ env: "dev", stage: "Build", actions: ["SecurityScan"] });
        const scan = failure(r, "SecurityScan");
        // The scans run in the build phase, so CodeBuild uploads their reports when one fails.
        expect(scan.failedStep).to.equal(
            "build: Secrets scan (secretlint $SECRETLINT_VERSION) of the source as committed",
        );
        expect(scan.output).to.match(
            /\n {2}- error @secretlint\/secretlint-rule-preset-recommend > @secretlint\/secretlint-rule-aws src\/aws\.js:1: found AWS Secret Access Key: \*+\n/,
        );
        expect(scan.output).to.include(
            "secretlint: 1 finding(s), 0 suppressed, 0 error(s); report reports/security/junit/secretlint.xml",
        );
    });

    it("a dependency with a high-severity advisory stops dev at the dependency audit", async () => {
        const dir = copyOfSample((d) => {
            edit(path.join(d, "package.json"), '"zod": "3.25.76"', '"lodash": "4.17.20",\n        "zod": "3.25.76"');
            execFileSync("npm", ["install", "--package-lock-only", "--no-audit", "--no-fund"], { cwd: d });
        });
        const r = await run(dir);
        expect(r.stoppedAt).to.deep.equal({ env: "dev", stage: "Build", actions: ["SecurityScan"] });
        const scan = failure(r, "SecurityScan");
        expect(scan.failedStep).to.match(/^build: Dependency audit of the production tree against/);
        expect(scan.output).to.include(
            "Dependency audit failed: high or critical advisories in the production dependencies:\n" +
                "  - high lodash <4.17.21: Command Injection in lodash https://github.com/advisories/GHSA-35jh-r3h4-6jhm",
        );
    });

    it("the same advisory passes with a reasoned, unexpired entry in audit-exceptions.json, and says so", async () => {
        const dir = copyOfSample((d) => {
            edit(path.join(d, "package.json"), '"zod": "3.25.76"', '"lodash": "4.17.20",\n        "zod": "3.25.76"');
            execFileSync("npm", ["install", "--package-lock-only", "--no-audit", "--no-fund"], { cwd: d });
            const exception = {
                advisory: "GHSA-35jh-r3h4-6jhm",
                reason: "template() is never called with user input",
                expires: "2099-01-01",
            };
            fs.writeFileSync(path.join(d, "audit-exceptions.json"), JSON.stringify([exception]));
        });
        const r = await run(dir);
        const scan = r.actions.find((a) => a.action === "SecurityScan")!;
        expect(scan.ok, scan.output).to.equal(true);
        expect(scan.output).to.include(
            "Suppressed by audit-exceptions.json:\n  - lodash https://github.com/advisories/GHSA-35jh-r3h4-6jhm until " +
                "2099-01-01: template() is never called with user input",
        );
    });

    it("an eval of request input stops dev at static analysis", async () => {
        const dir = copyOfSample((d) =>
            edit(
                path.join(d, "src", "app.js"),
                'if (req.method === "POST" && url.pathname === "/orders") {',
                'if (req.method === "POST" && url.pathname === "/calc") {\n' +
                    "                const input = await readJson(req);\n" +
                    "                return send(res, 200, { result: eval(input.expression) });\n" +
                    "            }\n" +
                    '            if (req.method === "POST" && url.pathname === "/orders") {',
            ),
        );
        const r = await run(dir);
        expect(r.stoppedAt).to.deep.equal({ env: "dev", stage: "Build", actions: ["SecurityScan"] });
        const scan = failure(r, "SecurityScan");
        expect(scan.failedStep).to.equal(
            "build: Static analysis (eslint-plugin-security $ESLINT_PLUGIN_SECURITY_VERSION); any warning fails the build",
        );
        // The real SARIF formatter's finding, as the report's JUnit converter prints it (path relative to the source).
        expect(scan.output).to.match(
            /\n {2}- warning security\/detect-eval-with-expression src\/app\.js:\d+: eval with argument of type MemberExpression\n/,
        );
        expect(scan.output).to.include(
            "eslint: 1 finding(s), 0 suppressed, 0 error(s); report reports/security/junit/eslint.xml",
        );
    });

    it("a failing test stops dev at the unit tests", async () => {
        const dir = copyOfSample((d) =>
            edit(path.join(d, "test", "app.test.js"), 'body: { status: "ok" }', 'body: { status: "fine" }'),
        );
        const r = await run(dir);
        expect(r.stoppedAt).to.deep.equal({ env: "dev", stage: "Build", actions: ["UnitTests"] });
        const tests = failure(r, "UnitTests");
        expect(tests.failedStep).to.equal("build: npm test");
        expect(tests.output).to.include("✖ answers the health check path");
        expect(tests.output).to.include("ℹ fail 1");
    });

    it("a registry that does not serve the audit endpoint fails the scan closed, saying what to configure", async () => {
        const refusing = await refusingRegistry();
        try {
            const r = await run(copyOfSample(), refusing.url);
            expect(r.stoppedAt).to.deep.equal({ env: "dev", stage: "Build", actions: ["SecurityScan"] });
            expect(failure(r, "SecurityScan").output).to.include(
                `The registry ${refusing.url} does not serve npm's audit endpoint ` +
                    "(POST /-/npm/v1/security/advisories/bulk answered 405).\n" +
                    "No dependency was audited, so the security scan fails closed. Set NPM_AUDIT_REGISTRY (security-scan " +
                    "project environment) to a registry that serves npm's audit endpoint: https://registry.npmjs.org/ or a " +
                    "mirror that proxies it.",
            );
        } finally {
            await refusing.close();
        }
    });

    it("an audit registry out of reach fails the scan closed, saying it cannot be reached", async () => {
        const port = await new Promise<number>((resolve) => {
            const s = net.createServer().listen(0, "127.0.0.1", () => {
                const p = (s.address() as net.AddressInfo).port;
                s.close(() => resolve(p));
            });
        });
        const url = `http://127.0.0.1:${port}/`;
        const r = await run(copyOfSample(), url);
        expect(r.stoppedAt).to.deep.equal({ env: "dev", stage: "Build", actions: ["SecurityScan"] });
        expect(failure(r, "SecurityScan").output).to.include(
            `The audit registry ${url} cannot be reached: request to ${url}-/npm/v1/security/advisories/bulk failed, ` +
                `reason: connect ECONNREFUSED 127.0.0.1:${port}`,
        );
    });
});
