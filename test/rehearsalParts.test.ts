import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { parse } from "yaml";
import { dockerfileProblems, readDockerfile, registryHost } from "../rehearsal/dockerfile";
import { aws, Call, docker, StandInError } from "../rehearsal/standins";

const SAMPLE = path.join(__dirname, "..", "examples", "orders-api");
const SETTINGS = { containerPort: 3000, healthCheckPath: "/health" };
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

    it("names every breach: Docker Hub base, root user, npm start, another port, a baked-in secret", () => {
        const facts = readDockerfile('FROM node:22\nENV PORT=8080 API_TOKEN=abc\nCMD ["npm", "start"]\n');
        expect(registryHost("node:22")).to.equal("docker.io");
        expect(dockerfileProblems(facts, SETTINGS)).to.deep.equal([
            "FROM node:22: pulls from Docker Hub anonymously (rate-limited on CodeBuild); take it from ECR Public " +
                "(public.ecr.aws/docker/library/...) or an ECR pull-through cache through an ARG such as BASE_IMAGE_REGISTRY",
            "USER: the final stage runs as root (no USER); add USER 1000 (the task runs as uid 1000)",
            'CMD: ["npm","start"] starts npm, which writes to the read-only root filesystem; start node directly, ' +
                'e.g. CMD ["node", "src/server.js"]',
            "ENV PORT=8080: the stack's containerPort is 3000; make them equal",
            "ENV API_TOKEN: a secret baked into the image; give it to the task from Secrets Manager (serviceSecrets)",
        ]);
    });
});

describe("rehearsal: the buildspecs' SBOM and audit", () => {
    const buildspec = (file: string) => fs.readFileSync(path.join(__dirname, "..", "buildspecs", file), "utf8");

    it("the SBOM is generated with the image and travels in the image artifact of build-image and promote-image", () => {
        expect(buildspec("build-image.yml")).to.include(
            'npm exec --yes --package "@cyclonedx/cyclonedx-npm@6.0.1" -- cyclonedx-npm --omit dev --package-lock-only',
        );
        for (const file of ["build-image.yml", "promote-image.yml"]) {
            expect(parse(buildspec(file)).artifacts.files, file).to.include("sbom.cdx.json");
        }
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
        const env = { ...envOf(DEV), REHEARSAL_CONTAINER_PORT: "3000", REHEARSAL_HEALTH_CHECK_PATH: "/health" };
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
});
