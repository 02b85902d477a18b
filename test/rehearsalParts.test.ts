import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { parse } from "yaml";
import { dockerfileProblems, readDockerfile, registryHost } from "../rehearsal/dockerfile";
import { aws, Call, docker, ecsFile, putParameter, StandInError, writeTaskDefinitions } from "../rehearsal/standins";
import { startTask } from "../rehearsal/task";

const SAMPLE = path.join(__dirname, "..", "examples", "orders-api");
const SETTINGS = { healthCheckPath: "/health" };
const DEV = "271828182845";
const QA = "161803398874";
const REGION = "us-gov-west-1";
const registry = (a: string) => `${a}.dkr.ecr.${REGION}.amazonaws.com`;
const bucket = (a: string) => `cicd-artifacts-${a}-${REGION}`;
const key = (a: string) => `arn:aws-us-gov:kms:${REGION}:${a}:key/k-${a}`;

describe("rehearsal: the Dockerfile contract", () => {
    it("the sample's Dockerfile meets it: ECR Public base, uid 1000, node started directly, port 3000, /health", () => {
        const facts = readDockerfile(fs.readFileSync(path.join(SAMPLE, "Dockerfile"), "utf8"));
        expect(facts.baseImages).to.deep.equal(["public.ecr.aws/docker/library/node:22-alpine"]);
        expect(facts.user).to.equal("1000");
        expect(facts.command).to.deep.equal(["node", "src/server.js"]);
        expect(facts.env).to.deep.equal({ NODE_ENV: "production", PORT: "3000", HEALTH_CHECK_PATH: "/health" });
        expect(dockerfileProblems(facts, SETTINGS)).to.deep.equal([]);
    });

    it("a pull-through cache given as a build arg replaces the default registry", () => {
        const cache = `${registry(DEV)}/ecr-public/docker/library`;
        const facts = readDockerfile(fs.readFileSync(path.join(SAMPLE, "Dockerfile"), "utf8"), {
            BASE_IMAGE_REGISTRY: cache,
        });
        expect(facts.baseImages).to.deep.equal([`${cache}/node:22-alpine`]);
    });

    it("names every breach: Docker Hub base, root user, npm start, a baked-in secret; ENV PORT is none", () => {
        // The task definition sets PORT to the stack's containerPort, which overrides the image's ENV PORT.
        const facts = readDockerfile('FROM node:22\nENV PORT=8080 API_TOKEN=abc\nCMD ["npm", "start"]\n');
        expect(registryHost("node:22")).to.equal("docker.io");
        expect(dockerfileProblems(facts, SETTINGS)).to.deep.equal([
            "FROM node:22: pulls from Docker Hub anonymously (rate-limited on CodeBuild); take it from ECR Public " +
                "(public.ecr.aws/docker/library/...) or an ECR pull-through cache through an ARG such as BASE_IMAGE_REGISTRY",
            "USER: the final stage runs as root (no USER); add USER 1000 (the task runs as uid 1000)",
            'CMD: ["npm","start"] starts npm, which writes to the read-only root filesystem; start node directly, ' +
                'e.g. CMD ["node", "src/server.js"]',
            "ENV API_TOKEN: a secret baked into the image; give it to the task from Secrets Manager (the secrets of serviceSettings)",
        ]);
    });
});

describe("rehearsal: the buildspecs' SBOM and audit", () => {
    const buildspec = (file: string) => fs.readFileSync(path.join(__dirname, "..", "buildspecs", file), "utf8");

    it("the SBOM is generated with the image and travels in the image artifact of build-image and promote-image", () => {
        expect(buildspec("build-image.yml")).to.include(
            '"$SBOM_TOOL_DIR/node_modules/.bin/cyclonedx-npm" --omit dev --package-lock-only',
        );
        for (const file of ["build-image.yml", "promote-image.yml"]) {
            expect(parse(buildspec(file)).artifacts.files, file).to.include("sbom.cdx.json");
        }
    });

    it("the SBOM generator is pinned by version and sha512 integrity and installed without the service's npm settings", () => {
        const command = (parse(buildspec("build-image.yml")).phases.build.commands as string[]).find((c) =>
            c.includes("cyclonedx-npm"),
        )!;
        const heredoc = (file: string) =>
            JSON.parse(new RegExp(`cat > "\\$SBOM_TOOL_DIR/${file}" <<'JSON'\n([\\s\\S]*?)\nJSON\n`).exec(command)![1]);
        expect(heredoc("package.json").dependencies).to.deep.equal({ "@cyclonedx/cyclonedx-npm": "6.0.1" });
        const lock = heredoc("package-lock.json");
        expect(lock.packages[""].dependencies).to.deep.equal({ "@cyclonedx/cyclonedx-npm": "6.0.1" });
        const packages = Object.entries(lock.packages as Record<string, { version: string; integrity: string }>).filter(
            ([name]) => name !== "",
        );
        expect(packages).to.have.length(22);
        expect(
            packages.filter(([, p]) => !/^sha512-[A-Za-z0-9+/]{86}==$/.test(p.integrity)).map(([n]) => n),
        ).to.deep.equal([]);
        expect(lock.packages["node_modules/@cyclonedx/cyclonedx-npm"].version).to.equal("6.0.1");
        // Outside the source tree, an empty user config, the pipeline's registry, no install scripts.
        expect(command).to.include('SBOM_TOOL_DIR="$(mktemp -d)"');
        expect(command).to.include(
            '(cd "$SBOM_TOOL_DIR" && npm ci --userconfig empty-npmrc --registry "$SBOM_TOOL_REGISTRY" --ignore-scripts',
        );
        expect(parse(buildspec("build-image.yml")).env.variables.SBOM_TOOL_REGISTRY).to.equal(
            "https://registry.npmjs.org/",
        );
    });

    it("no buildspec runs a package it did not pin (npm exec, npx, npm i -g)", () => {
        const files = fs.readdirSync(path.join(__dirname, "..", "buildspecs")).filter((f) => f.endsWith(".yml"));
        expect(files).to.have.length(9);
        expect(files.filter((f) => /npm exec|npx |npm i -g/.test(buildspec(f)))).to.deep.equal([]);
    });

    it("publish-release names the SBOM in the manifest; promote-image refuses a manifest without one", () => {
        expect(buildspec("publish-release.yml")).to.include('SBOM_KEY="releases/$SERVICE_NAME/$COMMIT.sbom.cdx.json"');
        expect(buildspec("publish-release.yml")).to.include(
            'sbom: {key: $sbom, format: "CycloneDX", sha256: $sbomSha256}',
        );
        expect(buildspec("promote-image.yml")).to.include(
            "names no SBOM (sbom.key): $PREVIOUS_ENVIRONMENT must publish one",
        );
    });

    it("the dependency audit fails closed when the registry serves no audit endpoint", () => {
        expect(buildspec("security-scan.yml")).to.include(
            "No dependency was audited, so the security scan fails closed. Set NPM_AUDIT_REGISTRY",
        );
    });
});

describe("rehearsal: AWS and Docker stand-ins", () => {
    let state: string;
    let cwd: string;
    const envOf = (account: string) => ({ ECR_REGISTRY: registry(account), SERVICE_NAME: "orders-api" });
    const call = (args: string[], account = DEV): Call => ({ args, env: envOf(account), cwd, state });
    beforeEach(() => {
        state = fs.mkdtempSync(path.join(os.tmpdir(), "standins-"));
        cwd = fs.mkdtempSync(path.join(os.tmpdir(), "standins-cwd-"));
        fs.writeFileSync(path.join(state, "keys.json"), JSON.stringify({ [DEV]: key(DEV), [QA]: key(QA) }));
        fs.writeFileSync(path.join(cwd, "release.json"), "{}");
    });
    afterEach(() => {
        fs.rmSync(state, { recursive: true, force: true });
        fs.rmSync(cwd, { recursive: true, force: true });
    });

    const denied = (fn: () => unknown) =>
        expect(fn).to.throw(StandInError, "An error occurred (AccessDenied) when calling the PutObject operation");

    it("S3 takes a put only with SSE-KMS and the bucket's own artifact key, from its own account", () => {
        const put = (extra: string[], account = DEV, to = bucket(DEV)) =>
            aws(call(["s3", "cp", "release.json", `s3://${to}/releases/orders-api/c.json`, ...extra], account));
        denied(() => put([]));
        denied(() => put(["--sse", "aws:kms", "--sse-kms-key-id", key(QA)]));
        denied(() => put(["--sse", "aws:kms", "--sse-kms-key-id", key(QA)], QA));
        expect(put(["--sse", "aws:kms", "--sse-kms-key-id", key(DEV)])).to.equal(
            `upload: release.json to s3://${bucket(DEV)}/releases/orders-api/c.json`,
        );
        // The next account reads releases/<service>/ only; a missing object is AccessDenied (no ListBucket).
        aws(
            call(
                ["s3api", "get-object", "--bucket", bucket(DEV), "--key", "releases/orders-api/c.json", "out.json"],
                QA,
            ),
        );
        expect(fs.readFileSync(path.join(cwd, "out.json"), "utf8")).to.equal("{}");
        expect(() =>
            aws(call(["s3api", "get-object", "--bucket", bucket(DEV), "--key", "releases/orders-api/x.json", "o"], QA)),
        ).to.throw("An error occurred (AccessDenied) when calling the GetObject operation: Access Denied");
    });

    it("docker build checks the Dockerfile contract; ECR tags are immutable; pulls need a pushed digest", () => {
        fs.writeFileSync(path.join(cwd, "Dockerfile"), 'FROM node:22\nUSER 1000\nCMD ["node", "a.js"]\n');
        const env = { ...envOf(DEV), REHEARSAL_HEALTH_CHECK_PATH: "/health" };
        const ref = `${registry(DEV)}/orders-api:t1`;
        expect(() => docker({ args: ["build", "--pull", "--tag", ref, "."], env, cwd, state })).to.throw(
            "The Dockerfile breaks the service contract:\n  - FROM node:22: pulls from Docker Hub anonymously",
        );
        fs.writeFileSync(
            path.join(cwd, "Dockerfile"),
            'FROM public.ecr.aws/docker/library/node:22\nUSER 1000\nCMD ["node", "a.js"]\n',
        );
        docker({ args: ["build", "--pull", "--tag", ref, "."], env, cwd, state });
        const pushed = docker({ args: ["push", ref], env, cwd, state });
        const digest = /digest: (sha256:[0-9a-f]{64})$/.exec(pushed)![1];
        expect(docker({ args: ["inspect", "--format", "{{index .RepoDigests 0}}", ref], env, cwd, state })).to.equal(
            `${registry(DEV)}/orders-api@${digest}`,
        );
        fs.writeFileSync(path.join(cwd, "a.js"), "changed");
        docker({ args: ["build", "--pull", "--tag", ref, "."], env, cwd, state });
        expect(() => docker({ args: ["push", ref], env, cwd, state })).to.throw(
            "tag invalid: The image tag 't1' already exists in the 'orders-api' repository and cannot be overwritten " +
                "because the repository is immutable.",
        );
        expect(() =>
            docker({ args: ["pull", `${registry(DEV)}/orders-api@sha256:${"0".repeat(64)}`], env, cwd, state }),
        ).to.throw("manifest unknown");
        expect(
            aws(call(["ecr", "describe-images", "--repository-name", "orders-api", "--image-ids", "imageTag=t1"])),
        ).to.equal(digest);
    });

    it("SSM: get-parameter answers the value (or the record), put-parameter overwrites only with --overwrite", () => {
        const name = "/cicd/ecs/orders-api/container-port";
        const get = (extra: string[] = ["--query", "Parameter.Value", "--output", "text"], account = DEV) =>
            aws(call(["ssm", "get-parameter", "--name", name, ...extra], account));
        expect(() => get()).to.throw(
            StandInError,
            `An error occurred (ParameterNotFound) when calling the GetParameter operation: ${name}`,
        );
        putParameter(state, DEV, name, "3000");
        expect(get()).to.equal("3000");
        expect(JSON.parse(get(["--output", "json"]))).to.deep.equal({
            Parameter: { Name: name, Type: "String", Value: "3000", Version: 1 },
        });
        // Parameters are per account: qa's is another one.
        expect(() => get(undefined, QA)).to.throw(StandInError, "ParameterNotFound");
        const put = (extra: string[]) =>
            aws(call(["ssm", "put-parameter", "--name", name, "--value", "8080", ...extra, "--output", "json"]));
        expect(() => put([])).to.throw(
            StandInError,
            "An error occurred (ParameterAlreadyExists) when calling the PutParameter operation: The parameter " +
                "already exists. To overwrite this value, set the overwrite option in the request to true.",
        );
        expect(get()).to.equal("3000");
        expect(JSON.parse(put(["--overwrite"]))).to.deep.equal({ Version: 2, Tier: "Standard" });
        expect(get()).to.equal("8080");
    });

    describe("ECS load balancer entries", () => {
        const family = "orders-api";
        const arn = (n: number) => `arn:aws-us-gov:ecs:${REGION}:${DEV}:task-definition/${family}:${n}`;
        const tg = `arn:aws-us-gov:elasticloadbalancing:${REGION}:${DEV}:targetgroup/orders-api/0123456789abcdef`;
        const revision = (port: number) => ({
            taskDefinition: {
                family,
                containerDefinitions: [
                    { name: "app", image: "i", portMappings: [{ containerPort: port, protocol: "tcp" }] },
                ],
            },
            tags: [],
        });
        const entry = (port: number, containerName = "app") => ({
            targetGroupArn: tg,
            containerName,
            containerPort: port,
        });
        const ecs = (args: string[]) =>
            JSON.parse(aws(call(["ecs", ...args, "--cluster", "orders-api-dev", "--output", "json"])));
        const update = (args: string[]) => ecs(["update-service", "--service", "orders-api", ...args]).service;
        beforeEach(() => {
            writeTaskDefinitions(state, { [arn(1)]: revision(3000), [arn(2)]: revision(8080) });
            const file = ecsFile({ state }, "orders-api-dev", "orders-api");
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(
                file,
                JSON.stringify({ desiredCount: 2, taskDefinition: arn(1), loadBalancers: [entry(3000)] }),
            );
        });

        it("describe-services answers the service's entry as ECS does: target group, container, port", () => {
            expect(ecs(["describe-services", "--services", "orders-api"]).services[0].loadBalancers).to.deep.equal([
                entry(3000),
            ]);
        });

        it("update-service refuses a revision that does not map the entry's port, and an entry it does not map", () => {
            // ECS checks the service's entries against the revision it is to run (pulumi/pulumi-awsx#1172).
            expect(() => update(["--task-definition", arn(2)])).to.throw(
                StandInError,
                "An error occurred (InvalidParameterException) when calling the UpdateService operation: " +
                    "The container app did not have a container port 3000 defined.",
            );
            fs.writeFileSync(path.join(cwd, "lb.json"), JSON.stringify([entry(8080)]));
            expect(() => update(["--load-balancers", "file://lb.json"])).to.throw(
                StandInError,
                "The container app did not have a container port 8080 defined.",
            );
            fs.writeFileSync(path.join(cwd, "lb.json"), JSON.stringify([entry(8080, "web")]));
            expect(() => update(["--task-definition", arn(2), "--load-balancers", "file://lb.json"])).to.throw(
                StandInError,
                "The container web does not exist in the task definition.",
            );
            const unchanged = ecs(["describe-services", "--services", "orders-api"]).services[0];
            expect([unchanged.taskDefinition, unchanged.loadBalancers]).to.deep.equal([arn(1), [entry(3000)]]);
        });

        it("update-service with the new revision and --load-balancers file://... switches both in one deployment", () => {
            fs.writeFileSync(path.join(cwd, "load-balancers.json"), JSON.stringify([entry(8080)]));
            const service = update(["--task-definition", arn(2), "--load-balancers", "file://load-balancers.json"]);
            expect(service.taskDefinition).to.equal(arn(2));
            expect(service.loadBalancers).to.deep.equal([entry(8080)]);
            expect(
                service.deployments.map((d: Record<string, unknown>) => [d.status, d.taskDefinition, d.rolloutState]),
            ).to.deep.equal([["PRIMARY", arn(2), "IN_PROGRESS"]]);
            expect(ecs(["describe-services", "--services", "orders-api"]).services[0].loadBalancers).to.deep.equal([
                entry(8080),
            ]);
            // A later count change keeps the entry; it is checked against the revision the service runs.
            expect(update(["--desired-count", "3"]).loadBalancers).to.deep.equal([entry(8080)]);
        });
    });

    describe("a task", function () {
        // npm ci of an empty lock file and a node process per task: a few seconds.
        this.timeout(15000);
        const SERVER =
            'require("http").createServer((req, res) => { res.statusCode = req.url === "/health" ? 200 : 404; ' +
            "res.end(); }).listen(PORT, () => console.log(`listening on ${PORT}`));\n";
        /** Builds and pushes an image whose server listens on `port` (an expression), with ENV PORT=3000. */
        function image(port: string): string {
            const files: Record<string, string> = {
                Dockerfile:
                    "FROM public.ecr.aws/docker/library/node:22\nENV PORT=3000\nUSER 1000\n" +
                    'CMD ["node", "server.js"]\n',
                "package.json": JSON.stringify({ name: "svc", version: "1.0.0" }),
                "package-lock.json": JSON.stringify({
                    name: "svc",
                    version: "1.0.0",
                    lockfileVersion: 3,
                    requires: true,
                    packages: { "": { name: "svc", version: "1.0.0" } },
                }),
                "server.js": `const PORT = ${port};\n${SERVER}`,
            };
            for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(cwd, f), text);
            const env = { ...envOf(DEV), REHEARSAL_HEALTH_CHECK_PATH: "/health" };
            const ref = `${registry(DEV)}/svc:${port.length}`;
            docker({ args: ["build", "--tag", ref, "."], env, cwd, state });
            const digest = /digest: (sha256:[0-9a-f]{64})$/.exec(docker({ args: ["push", ref], env, cwd, state }))![1];
            return `${registry(DEV)}/svc@${digest}`;
        }
        const spec = (imageUri: string) => ({
            image: imageUri,
            registry: registry(DEV),
            environment: { NODE_ENV: "production", PORT: "8080" },
            containerPorts: [8080],
            healthCheckPort: 8080,
            healthCheckPath: "/health",
        });

        it("runs with the task definition's PORT over the image's and answers on that container port", async () => {
            const r = await startTask(state, spec(image("Number(process.env.PORT)")), path.join(state, "t1"));
            expect(r.ok, r.output).to.equal(true);
            expect(r.output).to.match(
                /^node server\.js \(PORT=8080; container port 8080 on 127\.0\.0\.1:\d+\)\nlistening on 8080\nGET \/health on container port 8080: 200\n$/,
            );
        });

        it("a service that ignores PORT answers no health check on the mapped port", async () => {
            const r = await startTask(state, spec(image("3000")), path.join(state, "t2"), 1500);
            expect(r.ok).to.equal(false);
            expect(r.output).to.match(/\nlistening on 3000\n/);
            expect(r.output.split("\n").at(-2)).to.equal(
                "The task did not answer GET /health on container port 8080 with 200 within 1.5 s (last status 0)",
            );
        });
    });
});
