import * as crypto from "crypto";
import * as path from "path";
import { expect } from "chai";
import { BUILDSPEC_DIR, BuildProjectKey, stepFacts } from "../components/buildProjects";
import { artifactBucketName, formatArn } from "../domain/naming";
import { partitionOfRegion } from "../domain/regions";
import { FARGATE_PIPELINE_STEPS } from "../targets/fargate/deployStep";

const BUILDSPEC_FILES = stepFacts(FARGATE_PIPELINE_STEPS, (step) => step.buildspec);
import { BuildspecRunOptions, canRunBuildspecs, runBuildspec } from "./buildspecRunner";

const DEV = "271828182845";
const QA = "161803398874";
const REGION = "us-gov-west-1";
const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const DIGEST = `sha256:${"a".repeat(64)}`;
const OTHER_DIGEST = `sha256:${"b".repeat(64)}`;
const BUILD_UUID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
const IMAGE_TAG = `${COMMIT}-${BUILD_UUID}`;
const registry = (account: string) => `${account}.dkr.ecr.${REGION}.amazonaws.com`;
const DEV_BUCKET = artifactBucketName(DEV, REGION);
const QA_BUCKET = artifactBucketName(QA, REGION);
const QA_KEY = formatArn({
    partition: partitionOfRegion(REGION)!,
    service: "kms",
    region: REGION,
    accountId: QA,
    resource: "key/1234abcd-12ab-34cd-56ef-1234567890ab",
});

const devEnv = {
    SERVICE_NAME: "orders-api",
    CONTAINER_NAME: "app",
    ENVIRONMENT: "dev",
    REPOSITORY_URI: `${registry(DEV)}/orders-api`,
    ECR_REGISTRY: registry(DEV),
    CODEBUILD_RESOLVED_SOURCE_VERSION: COMMIT,
    CODEBUILD_BUILD_ID: `orders-api-dev-build-image:${BUILD_UUID}`,
};
const qaEnv = {
    SERVICE_NAME: "orders-api",
    CONTAINER_NAME: "app",
    ENVIRONMENT: "qa",
    REPOSITORY_URI: `${registry(QA)}/orders-api`,
    ECR_REGISTRY: registry(QA),
    RELEASE_BUCKET: QA_BUCKET,
    ARTIFACT_KEY_ARN: QA_KEY,
    MAX_CRITICAL_FINDINGS: "0",
    MAX_HIGH_FINDINGS: "0",
    PREVIOUS_ENVIRONMENT: "dev",
    PREVIOUS_RELEASE_BUCKET: DEV_BUCKET,
    PREVIOUS_REPOSITORY_URI: `${registry(DEV)}/orders-api`,
    CODEBUILD_RESOLVED_SOURCE_VERSION: COMMIT,
};
/** The SBOM dev published beside its release manifest, and the manifest that names it. */
const SBOM = '{"bomFormat":"CycloneDX","specVersion":"1.6","components":[]}\n';
const SBOM_KEY = `releases/orders-api/${COMMIT}.sbom.cdx.json`;
const devRelease = JSON.stringify({
    service: "orders-api",
    commitId: COMMIT,
    imageDigest: DIGEST,
    imageUri: `${registry(DEV)}/orders-api@${DIGEST}`,
    environment: "dev",
    pipelineExecutionId: "11111111-2222-3333-4444-555555555555",
    publishedAt: "2026-01-01T00:00:00Z",
    sbom: { key: SBOM_KEY, format: "CycloneDX", sha256: crypto.createHash("sha256").update(SBOM).digest("hex") },
});
/** What dev's bucket holds for a promotion: the manifest and its SBOM. */
const devReleaseObjects = { [`releases/orders-api/${COMMIT}.json`]: devRelease, [SBOM_KEY]: SBOM };
/** The tag promotion gives the image: the commit and the digest it released. */
const PROMOTED_TAG = `${COMMIT}-${DIGEST.slice("sha256:".length)}`;
const qaImage = JSON.stringify({
    service: "orders-api",
    commitId: COMMIT,
    imageDigest: DIGEST,
    imageUri: `${registry(QA)}/orders-api@${DIGEST}`,
    environment: "qa",
});

function run(key: BuildProjectKey, options: BuildspecRunOptions) {
    return runBuildspec(path.join(BUILDSPEC_DIR, BUILDSPEC_FILES[key]), options);
}

describe("buildspecs run against fake aws and docker", function () {
    before(function () {
        if (!canRunBuildspecs()) this.skip();
    });

    it("build-image pushes a tag of its own (commit and build id) and writes the digest it pushed into both files", () => {
        const r = run("buildImage", { env: devEnv, pushDigest: DIGEST });
        expect(r.status, r.stderr).to.equal(0);
        expect(r.calls.filter((c) => c.startsWith("docker"))).to.deep.equal([
            `docker login --username AWS --password-stdin ${registry(DEV)}`,
            `docker build --pull --tag ${registry(DEV)}/orders-api:${IMAGE_TAG} .`,
            `docker push ${registry(DEV)}/orders-api:${IMAGE_TAG}`,
            `docker inspect --format {{index .RepoDigests 0}} ${registry(DEV)}/orders-api:${IMAGE_TAG}`,
        ]);
        expect(JSON.parse(r.file("image.json"))).to.deep.equal({
            service: "orders-api",
            commitId: COMMIT,
            imageDigest: DIGEST,
            imageUri: `${registry(DEV)}/orders-api@${DIGEST}`,
            environment: "dev",
            imageTag: IMAGE_TAG,
        });
        // The SBOM is generate-sbom's, in a project of its own: the privileged image build installs and runs nothing else.
        expect(r.calls.filter((c) => c.startsWith("npm") || c.startsWith("cyclonedx-npm"))).to.deep.equal([]);
        expect(() => r.file("sbom.cdx.json")).to.throw("the build wrote no sbom.cdx.json");
    });

    /** generate-sbom's input: the source (its working directory) and build-image's image.json as a second artifact. */
    const sbomRun = (image: object) =>
        run("generateSbom", {
            env: { SERVICE_NAME: "orders-api", COMMIT_ID: COMMIT, CODEBUILD_SRC_DIR_image: "image-artifact" },
            files: { "image-artifact/image.json": JSON.stringify(image) },
        });

    it("generate-sbom installs its pinned generator apart from the source and writes the SBOM of the image's commit", () => {
        const r = sbomRun({ service: "orders-api", commitId: COMMIT, imageDigest: DIGEST });
        expect(r.status, r.stderr).to.equal(0);
        // The generator is installed from its own lockfile with an empty user config and the pipeline's registry.
        expect(r.calls.filter((c) => c.startsWith("npm") || c.startsWith("cyclonedx-npm"))).to.deep.equal([
            "npm ci --userconfig empty-npmrc --registry https://registry.npmjs.org/ --ignore-scripts --omit optional " +
                "--no-audit --no-fund",
            "cyclonedx-npm --omit dev --package-lock-only --output-reproducible --spec-version 1.6 --mc-type application " +
                "--output-format JSON --output-file sbom.cdx.json",
        ]);
        expect(JSON.parse(r.file("sbom.cdx.json")).bomFormat).to.equal("CycloneDX");
        // It calls no AWS API and runs no docker.
        expect(r.calls.filter((c) => c.startsWith("aws") || c.startsWith("docker"))).to.deep.equal([]);
    });

    it("generate-sbom refuses an image artifact of another commit, and a missing one, before installing anything", () => {
        const other = "f".repeat(40);
        const r = sbomRun({ service: "orders-api", commitId: other, imageDigest: DIGEST });
        expect(r.status).not.to.equal(0);
        expect(r.stderr).to.include(
            `image.json describes {"service":"orders-api","commitId":"${other}"}, but the source is orders-api at '${COMMIT}'`,
        );
        expect(r.calls.filter((c) => c.startsWith("npm"))).to.deep.equal([]);
        const missing = run("generateSbom", { env: { SERVICE_NAME: "orders-api", COMMIT_ID: COMMIT } });
        expect(missing.status).not.to.equal(0);
        expect(missing.stderr).to.include(
            "No image artifact: expected image.json of build-image in CODEBUILD_SRC_DIR_image",
        );
    });

    it("build-image never adopts an image it did not build: a retry of the same commit builds and pushes again", () => {
        // An image of the same commit pushed earlier (or by anyone else) is ignored: this build's tag is new.
        const r = run("buildImage", {
            env: devEnv,
            ecrTags: { "orders-api": { [COMMIT]: OTHER_DIGEST } },
            pushDigest: DIGEST,
        });
        expect(r.status, r.stderr).to.equal(0);
        expect(r.calls).to.include(`docker push ${registry(DEV)}/orders-api:${IMAGE_TAG}`);
        expect(JSON.parse(r.file("image.json")).imageDigest).to.equal(DIGEST);
    });

    it("build-image refuses when its own tag already exists in ECR, before building", () => {
        const r = run("buildImage", { env: devEnv, ecrTags: { "orders-api": { [IMAGE_TAG]: OTHER_DIGEST } } });
        expect(r.status).not.to.equal(0);
        expect(r.stderr).to.include(
            `${registry(DEV)}/orders-api:${IMAGE_TAG} already exists before this build pushed it; refusing to adopt an image it did not build`,
        );
        expect(r.calls.some((c) => c.startsWith("docker build") || c.startsWith("docker push"))).to.equal(false);
    });

    it("build-image fails when ECR reports another digest under its tag than the one docker pushed", () => {
        const r = run("buildImage", { env: devEnv, pushDigest: DIGEST, registryDigest: OTHER_DIGEST });
        expect(r.status).not.to.equal(0);
        expect(r.stderr).to.include(
            `ECR holds '${OTHER_DIGEST}' under ${registry(DEV)}/orders-api:${IMAGE_TAG}, but this build pushed '${DIGEST}'`,
        );
        expect(() => r.file("image.json")).to.throw("the build wrote no image.json");
    });

    it("build-image takes COMMIT_ID from the pipeline action over the resolved source version", () => {
        const r = run("buildImage", {
            env: { ...devEnv, COMMIT_ID: COMMIT, CODEBUILD_RESOLVED_SOURCE_VERSION: "not-a-commit" },
            pushDigest: DIGEST,
        });
        expect(r.status, r.stderr).to.equal(0);
        expect(r.calls).to.include(`docker push ${registry(DEV)}/orders-api:${IMAGE_TAG}`);
    });

    it("build-image fails without a build id", () => {
        const r = run("buildImage", { env: { ...devEnv, CODEBUILD_BUILD_ID: "" } });
        expect(r.status).not.to.equal(0);
        expect(r.stderr).to.include("No build id: expected CODEBUILD_BUILD_ID <project>:<uuid>, got ''");
        expect(r.calls).to.deep.equal([]);
    });

    it("build-image fails without a commit id", () => {
        const r = run("buildImage", { env: { ...devEnv, CODEBUILD_RESOLVED_SOURCE_VERSION: "" } });
        expect(r.status).not.to.equal(0);
        expect(r.stderr).to.include("No commit id");
        expect(r.calls).to.deep.equal([]);
    });

    it("promote-image refuses a commit the previous environment never released, saying so", () => {
        const r = run("promoteImage", { env: qaEnv });
        expect(r.status).not.to.equal(0);
        expect(r.stderr).to.include(
            `Commit ${COMMIT} of orders-api has not passed dev: no readable release manifest ` +
                `s3://${DEV_BUCKET}/releases/orders-api/${COMMIT}.json.\n` +
                "Only a commit deployed successfully in dev can be promoted to qa, and only by a fast-forward merge " +
                "(CodeCommit: Fast forward merge; git merge --ff-only).\n" +
                "A squash or three-way merge creates a commit dev never built: merge the qa branch into the dev branch, " +
                "let that commit pass dev, then fast-forward the qa branch to it.\n",
        );
        expect(r.calls.filter((c) => c.startsWith("docker"))).to.deep.equal([]);
    });

    it("promote-image copies the released digest and tags it with the commit and the digest", () => {
        const r = run("promoteImage", {
            env: qaEnv,
            s3: { [DEV_BUCKET]: devReleaseObjects },
            pushDigest: DIGEST,
        });
        expect(r.status, r.stderr).to.equal(0);
        expect(r.calls.filter((c) => c.startsWith("docker"))).to.deep.equal([
            `docker login --username AWS --password-stdin ${registry(DEV)}`,
            `docker login --username AWS --password-stdin ${registry(QA)}`,
            `docker pull ${registry(DEV)}/orders-api@${DIGEST}`,
            `docker tag ${registry(DEV)}/orders-api@${DIGEST} ${registry(QA)}/orders-api:${PROMOTED_TAG}`,
            `docker push ${registry(QA)}/orders-api:${PROMOTED_TAG}`,
        ]);
        expect(JSON.parse(r.file("image.json"))).to.deep.equal({
            ...JSON.parse(qaImage),
            promotedFrom: "dev",
            imageTag: PROMOTED_TAG,
        });
    });

    it("promote-image fails when the pushed digest differs from the released one", () => {
        const r = run("promoteImage", {
            env: qaEnv,
            s3: { [DEV_BUCKET]: devReleaseObjects },
            pushDigest: OTHER_DIGEST,
        });
        expect(r.status).not.to.equal(0);
        expect(r.stderr).to.include(
            `Digest changed in promotion: dev released ${DIGEST}, ${registry(QA)}/orders-api:${PROMOTED_TAG} is ${OTHER_DIGEST}`,
        );
    });

    it("promote-image of a rebuilt commit: an earlier digest of the same commit does not stop the new one", () => {
        // dev rebuilt the commit (Release change) and released DIGEST; qa holds the first build's image already.
        const earlier = `${COMMIT}-${OTHER_DIGEST.slice("sha256:".length)}`;
        const r = run("promoteImage", {
            env: qaEnv,
            s3: { [DEV_BUCKET]: devReleaseObjects },
            ecrTags: { "orders-api": { [earlier]: OTHER_DIGEST } },
            pushDigest: DIGEST,
        });
        expect(r.status, r.stderr).to.equal(0);
        expect(r.calls).to.include(`docker push ${registry(QA)}/orders-api:${PROMOTED_TAG}`);
        expect(JSON.parse(r.file("image.json")).imageDigest).to.equal(DIGEST);
    });

    it("promote-image fails when its tag already holds another digest, and skips the copy when it holds this one", () => {
        const s3 = { [DEV_BUCKET]: devReleaseObjects };
        const conflict = run("promoteImage", {
            env: qaEnv,
            s3,
            ecrTags: { "orders-api": { [PROMOTED_TAG]: OTHER_DIGEST } },
        });
        expect(conflict.status).not.to.equal(0);
        expect(conflict.stderr).to.include(`exists with digest ${OTHER_DIGEST}, but dev released ${DIGEST}`);
        const again = run("promoteImage", { env: qaEnv, s3, ecrTags: { "orders-api": { [PROMOTED_TAG]: DIGEST } } });
        expect(again.status, again.stderr).to.equal(0);
        expect(again.calls.some((c) => c.startsWith("docker pull"))).to.equal(false);
    });

    it("promote-image rejects a manifest that describes another commit", () => {
        const r = run("promoteImage", {
            env: qaEnv,
            s3: {
                [DEV_BUCKET]: {
                    [`releases/orders-api/${COMMIT}.json`]: JSON.stringify({
                        ...JSON.parse(devRelease),
                        commitId: "f",
                    }),
                },
            },
        });
        expect(r.status).not.to.equal(0);
        expect(r.stderr).to.include(`does not describe orders-api at ${COMMIT}`);
    });

    const scanStatusCall = `aws ecr describe-image-scan-findings --repository-name orders-api --image-id imageDigest=${DIGEST} --query imageScanStatus.status --output text`;
    const image = `${registry(QA)}/orders-api@${DIGEST}`;

    describe("image-scan-gate under basic scanning: a scan without a verdict fails with what to do", () => {
        const basic = (options: Partial<BuildspecRunOptions>) =>
            run("imageScanGate", {
                env: { ...qaEnv, SCAN_POLL_SECONDS: "0" },
                files: { "image.json": qaImage },
                ...options,
            });

        it("waits through a missing and an in-progress scan until COMPLETE, then counts ECR's findings", () => {
            const r = basic({ scanStatuses: ["missing", "IN_PROGRESS", "COMPLETE"], severityCounts: '{"LOW": 1}' });
            expect(r.status, r.stderr).to.equal(0);
            expect(r.calls).to.deep.equal([
                "aws ecr get-registry-scanning-configuration --query scanningConfiguration.scanType --output text",
                scanStatusCall,
                scanStatusCall,
                scanStatusCall,
                `aws ecr describe-image-scan-findings --repository-name orders-api --image-id imageDigest=${DIGEST} --query imageScanFindings.findingSeverityCounts --output json`,
            ]);
        });

        it("fails at once on an image the scan does not support", () => {
            const r = basic({ scanStatuses: ["UNSUPPORTED_IMAGE"] });
            expect(r.status).not.to.equal(0);
            expect(r.stderr).to.include(
                `The BASIC scan does not support ${image} (UNSUPPORTED_IMAGE): build on a base image whose operating system it scans`,
            );
            expect(r.calls).to.have.length(2);
        });

        it("fails at once on a failed scan, saying how to scan again", () => {
            const r = basic({ scanStatuses: ["FAILED"] });
            expect(r.status).not.to.equal(0);
            expect(r.stderr).to.include(
                `The BASIC scan of ${image} ended FAILED: no verdict, so the gate refuses the image; push it again (a new scan) or start one with aws ecr start-image-scan`,
            );
        });

        it("names the scanning rules when no scan of the image is ever found", () => {
            const r = basic({ scanStatuses: ["missing"], env: { ...qaEnv, SCAN_WAIT_SECONDS: "0" } });
            expect(r.status).not.to.equal(0);
            expect(r.stderr).to.include(
                `No BASIC scan of ${image} was found after 0s: check that the registry's scanning rules cover orders-api (scan on push for BASIC, Inspector's ECR scanning for ENHANCED)`,
            );
        });

        it("fails at once, with AWS's error, when reading the scan is refused (no 20-minute wait)", () => {
            const r = basic({ scanStatuses: ["denied", "COMPLETE"] });
            expect(r.status).not.to.equal(0);
            expect(r.stderr).to.include(
                `Reading the scan of ${image} failed: An error occurred (AccessDeniedException) when calling the DescribeImageScanFindings operation`,
            );
            expect(r.calls).to.have.length(2);
        });
    });

    for (const [counts, maxHigh, passes] of [
        ["null", "0", true],
        ['{"HIGH": 2, "LOW": 7}', "3", true],
        ['{"HIGH": 4}', "3", false],
        ['{"CRITICAL": 1}', "10", false],
    ] as const) {
        it(`image-scan-gate with findings ${counts} and MAX_HIGH_FINDINGS ${maxHigh} ${passes ? "passes" : "fails"}`, () => {
            const r = run("imageScanGate", {
                env: { ...qaEnv, MAX_HIGH_FINDINGS: maxHigh },
                files: { "image.json": qaImage },
                severityCounts: counts,
            });
            expect(r.status === 0, r.stderr).to.equal(passes);
            expect(r.calls.slice(0, 2)).to.deep.equal([
                "aws ecr get-registry-scanning-configuration --query scanningConfiguration.scanType --output text",
                scanStatusCall,
            ]);
        });
    }

    describe("image-scan-gate under Inspector enhanced scanning (status ACTIVE, findings from Inspector)", () => {
        const enhanced = (options: Partial<BuildspecRunOptions>) =>
            run("imageScanGate", {
                env: { ...qaEnv, MAX_HIGH_FINDINGS: "1", SCAN_POLL_SECONDS: "0" },
                files: { "image.json": qaImage },
                scanType: "ENHANCED",
                ...options,
            });
        const filter = JSON.stringify({
            ecrImageHash: [{ comparison: "EQUALS", value: DIGEST }],
            ecrImageRepositoryName: [{ comparison: "EQUALS", value: "orders-api" }],
            findingStatus: [{ comparison: "EQUALS", value: "ACTIVE" }],
        });

        it("waits through a missing and a pending scan until ACTIVE, never calls the basic waiter, counts Inspector's findings", () => {
            const r = enhanced({
                scanStatuses: ["missing", "PENDING", "IN_PROGRESS", "ACTIVE"],
                inspectorSeverities: ["HIGH", "LOW", "MEDIUM", "LOW"],
            });
            expect(r.status, r.stderr).to.equal(0);
            expect(r.calls).to.deep.equal([
                "aws ecr get-registry-scanning-configuration --query scanningConfiguration.scanType --output text",
                scanStatusCall,
                scanStatusCall,
                scanStatusCall,
                scanStatusCall,
                `aws inspector2 list-findings --filter-criteria ${filter} --query findings[].severity --output json`,
            ]);
            expect(r.stdout).to.include('Findings by severity: {"HIGH":1,"LOW":2,"MEDIUM":1}');
            expect(r.stdout).to.include("CRITICAL 0 (allowed 0), HIGH 1 (allowed 1)");
        });

        it("fails when Inspector's findings exceed the thresholds", () => {
            const r = enhanced({ inspectorSeverities: ["HIGH", "HIGH"] });
            expect(r.status).not.to.equal(0);
            expect(r.stderr).to.include(`Image scan gate failed for ${registry(QA)}/orders-api@${DIGEST}`);
        });

        it("passes an image without findings", () => {
            const r = enhanced({ inspectorSeverities: [] });
            expect(r.status, r.stderr).to.equal(0);
            expect(r.stdout).to.include("Findings by severity: {}");
        });

        it("fails at once on an image Inspector cannot scan", () => {
            const r = enhanced({ scanStatuses: ["UNSUPPORTED_IMAGE"] });
            expect(r.status).not.to.equal(0);
            expect(r.stderr).to.include(`The ENHANCED scan does not support ${image} (UNSUPPORTED_IMAGE)`);
            expect(r.calls.some((c) => c.startsWith("aws inspector2"))).to.equal(false);
        });

        it("gives up after SCAN_WAIT_SECONDS while the scan stays pending", () => {
            const r = enhanced({
                scanStatuses: ["PENDING"],
                env: { ...qaEnv, SCAN_WAIT_SECONDS: "0", SCAN_POLL_SECONDS: "0" },
            });
            expect(r.status).not.to.equal(0);
            expect(r.stderr).to.include(`The ENHANCED scan of ${image} is still PENDING after 0s`);
        });
    });

    it("publish-release in dev publishes the SBOM of generate-sbom's artifact (its secondary input)", () => {
        const r = run("publishRelease", {
            env: {
                ...qaEnv,
                PIPELINE_EXECUTION_ID: "99999999-8888-7777-6666-555555555555",
                CODEBUILD_SRC_DIR_sbom: "sbom-artifact",
            },
            files: { "image.json": qaImage, "sbom-artifact/sbom.cdx.json": SBOM },
        });
        expect(r.status, r.stderr).to.equal(0);
        expect(r.s3Object(QA_BUCKET, SBOM_KEY)).to.equal(SBOM);
    });

    it("publish-release writes the manifest under releases/<service>/<commit>.json with the artifact key", () => {
        const r = run("publishRelease", {
            env: { ...qaEnv, PIPELINE_EXECUTION_ID: "99999999-8888-7777-6666-555555555555" },
            files: { "image.json": qaImage, "sbom.cdx.json": SBOM },
        });
        expect(r.status, r.stderr).to.equal(0);
        const key = `releases/orders-api/${COMMIT}.json`;
        // The SBOM first, beside the manifest and with the same key, so that a manifest never names a missing SBOM.
        expect(r.calls.filter((c) => c.startsWith("aws s3 cp"))).to.deep.equal([
            `aws s3 cp sbom.cdx.json s3://${QA_BUCKET}/${SBOM_KEY} --sse aws:kms --sse-kms-key-id ${QA_KEY} --content-type application/vnd.cyclonedx+json`,
            `aws s3 cp release.json s3://${QA_BUCKET}/${key} --sse aws:kms --sse-kms-key-id ${QA_KEY} --content-type application/json`,
        ]);
        expect(r.s3Object(QA_BUCKET, SBOM_KEY)).to.equal(SBOM);
        const manifest = JSON.parse(r.s3Object(QA_BUCKET, key)!);
        expect(manifest.publishedAt).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        expect(manifest).to.deep.equal({
            ...JSON.parse(qaImage),
            pipelineExecutionId: "99999999-8888-7777-6666-555555555555",
            publishedAt: manifest.publishedAt,
            sbom: JSON.parse(devRelease).sbom,
        });
    });

    it("publish-release refuses an input artifact without the SBOM", () => {
        const r = run("publishRelease", {
            env: { ...qaEnv, PIPELINE_EXECUTION_ID: "99999999-8888-7777-6666-555555555555" },
            files: { "image.json": qaImage },
        });
        expect(r.status).not.to.equal(0);
        expect(r.stderr).to.include(`The input artifact has no CycloneDX sbom.cdx.json for orders-api at ${COMMIT}`);
        expect(r.calls.filter((c) => c.startsWith("aws s3 cp"))).to.deep.equal([]);
    });

    it("promote-image refuses a release manifest that names no SBOM, and one whose SBOM does not match", () => {
        const { sbom: _sbom, ...unnamed } = JSON.parse(devRelease);
        const noSbom = run("promoteImage", {
            env: qaEnv,
            s3: { [DEV_BUCKET]: { [`releases/orders-api/${COMMIT}.json`]: JSON.stringify(unnamed) } },
            pushDigest: DIGEST,
        });
        expect(noSbom.status).not.to.equal(0);
        expect(noSbom.stderr).to.include("names no SBOM (sbom.key): dev must publish one");
        const altered = run("promoteImage", {
            env: qaEnv,
            s3: { [DEV_BUCKET]: { ...devReleaseObjects, [SBOM_KEY]: SBOM.replace("[]", '[{"name":"x"}]') } },
            pushDigest: DIGEST,
        });
        expect(altered.status).not.to.equal(0);
        expect(altered.stderr).to.include(
            `s3://${DEV_BUCKET}/${SBOM_KEY} does not match the sha256 its release manifest names`,
        );
    });

    it("publish-release fails without the pipeline execution id", () => {
        const r = run("publishRelease", { env: qaEnv, files: { "image.json": qaImage } });
        expect(r.status).not.to.equal(0);
        expect(r.stderr).to.include("PIPELINE_EXECUTION_ID is not set");
        expect(r.calls).to.deep.equal([]);
    });

    it("unit-tests fails when npm test writes no JUnit XML", () => {
        const ok = run("unitTests", { env: devEnv });
        expect(ok.status, ok.stderr).to.equal(0);
        expect(ok.calls).to.deep.equal(["npm ci", "npm test"]);
        const none = run("unitTests", { env: devEnv, npmTestWritesReport: false });
        expect(none.status).not.to.equal(0);
        expect(none.stderr).to.include("npm test wrote no JUnit XML under reports/");
    });
});
