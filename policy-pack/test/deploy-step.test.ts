import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import {
    codepipelinePolicies,
    commandsOf,
    DEPLOY_COMMAND,
    SECURITY_SCAN_COMMAND,
    UNIT_TEST_COMMAND,
} from "../policies/codepipeline";
import { iamPolicies } from "../policies/iam";
import { PIPELINE_STEP_TAG, pipelineStepRole } from "../../domain/pipelineSteps";
import { FARGATE_PIPELINE_STEPS } from "../../targets/fargate/deployStep";
import { check, res } from "./fixtures";

// The pipeline deploys with a CodeBuild project (buildspecs/deploy-task-definition.yml), not the ECS deploy action:
// the gates must see that project as a deploy by what its buildspec runs.

const BUILDSPECS = path.join(__dirname, "..", "..", "buildspecs");
const buildspec = (file: string) => fs.readFileSync(path.join(BUILDSPECS, file), "utf8");
const KEY = "arn:aws-us-gov:kms:us-gov-west-1:173205080756:key/1234";

/** A project of the Fargate pipeline's step with this suffix, marked as the program marks it. */
const project = (name: string, file: string) => {
    const step = Object.values(FARGATE_PIPELINE_STEPS).find((s) => s.suffix === name);
    if (!step) throw new Error(`no Fargate pipeline step ${name}`);
    return res("aws:codebuild/project:Project", name, {
        name: `orders-api-prod-${name}`,
        encryptionKey: KEY,
        tags: { [PIPELINE_STEP_TAG]: pipelineStepRole(step) },
        source: { type: "CODEPIPELINE", buildspec: buildspec(file) },
    });
};
const projects = [
    project("unit-tests", "unit-tests.yml"),
    project("security-scan", "security-scan.yml"),
    project("promote-image", "promote-image.yml"),
    project("deploy", "deploy-task-definition.yml"),
    project("publish-release", "publish-release.yml"),
];
const codeBuild = (name: string, projectName: string, runOrder = 1) => ({
    name,
    category: "Build",
    owner: "AWS",
    provider: "CodeBuild",
    version: "1",
    runOrder,
    configuration: { ProjectName: `orders-api-prod-${projectName}` },
});
const stages = {
    source: {
        name: "Source",
        actions: [
            {
                name: "Source",
                category: "Source",
                owner: "AWS",
                provider: "CodeCommit",
                version: "1",
                configuration: { RepositoryName: "orders-api", BranchName: "main", PollForSourceChanges: "false" },
            },
        ],
    },
    build: {
        name: "Build",
        actions: [
            codeBuild("UnitTests", "unit-tests", 1),
            codeBuild("SecurityScan", "security-scan", 2),
            codeBuild("PromoteImage", "promote-image", 3),
        ],
    },
    approval: {
        name: "Approval",
        actions: [{ name: "ApproveRelease", category: "Approval", owner: "AWS", provider: "Manual", version: "1" }],
    },
    deploy: { name: "Deploy", actions: [codeBuild("DeployToFargate", "deploy")] },
    release: { name: "Release", actions: [codeBuild("PublishRelease", "publish-release")] },
};
const pipeline = (...stageList: object[]) =>
    res("aws:codepipeline/pipeline:Pipeline", "pipeline", {
        artifactStores: [{ location: "artifacts-prod", type: "S3", encryptionKey: { id: KEY, type: "KMS" } }],
        stages: stageList,
    });

describe("the deploy step (deploy-task-definition.yml) under the pipeline gates", () => {
    it("its buildspec deploys (update-service) and is neither a test nor a scan; the release and image steps do not deploy", () => {
        const commands = commandsOf(buildspec("deploy-task-definition.yml"));
        expect(DEPLOY_COMMAND.test(commands)).to.equal(true);
        expect(UNIT_TEST_COMMAND.test(commands)).to.equal(false);
        expect(SECURITY_SCAN_COMMAND.test(commands)).to.equal(false);
        for (const file of [
            "promote-image.yml",
            "build-image.yml",
            "generate-sbom.yml",
            "publish-release.yml",
            "image-scan-gate.yml",
        ]) {
            expect(DEPLOY_COMMAND.test(commandsOf(buildspec(file))), file).to.equal(false);
        }
    });

    it("the Fargate pipeline's steps are marked by their rows: deploy and scale-up deploy, the checks are tests", () => {
        expect(
            Object.fromEntries(Object.values(FARGATE_PIPELINE_STEPS).map((s) => [s.suffix, pipelineStepRole(s)])),
        ).to.deep.equal({
            "unit-tests": "test",
            "security-scan": "test",
            "build-image": "build",
            sbom: "build",
            "promote-image": "build",
            "image-scan-gate": "test",
            deploy: "deploy",
            "scale-up": "deploy",
            "publish-release": "build",
        });
    });

    it("prod: approval, then the deploy project passes; without the approval the deploy project is reported", async () => {
        const { source, build, approval, deploy, release } = stages;
        expect(
            await check(codepipelinePolicies, [...projects, pipeline(source, build, approval, deploy, release)], {
                stack: "prod",
            }),
        ).to.deep.equal([]);
        expect(
            await check(codepipelinePolicies, [...projects, pipeline(source, build, deploy, approval, release)], {
                stack: "prod",
            }),
        ).to.deep.equal([
            [
                "codepipeline-approval-before-deploy",
                "pipeline",
                'Pipeline "pipeline" deploys at "Deploy/DeployToFargate" (project "deploy" is marked PipelineStep "deploy") in prod without a Manual approval before it; required: an Approval/Manual action before the first deploying action; fix: add an approval stage before "Deploy".',
            ],
        ]);
    });

    it("the unit tests and the security scan must come before the deploy project", async () => {
        const { source, deploy, release } = stages;
        const late = {
            name: "Verify",
            actions: [codeBuild("UnitTests", "unit-tests"), codeBuild("Scan", "security-scan", 2)],
        };
        const verdict = await check(codepipelinePolicies, [...projects, pipeline(source, deploy, late, release)], {
            stack: "dev",
        });
        expect(verdict.map((v) => v[0])).to.deep.equal(["codepipeline-tests-and-scans-before-deploy"]);
        expect(verdict[0][2]).to.contain(
            'Pipeline "pipeline" deploys at "Deploy/DeployToFargate" (project "deploy" is marked PipelineStep "deploy") without an action whose CodeBuild project runs the unit tests',
        );
    });
});

describe("the deploy role's PassRole under iam-passrole-scoped", () => {
    const rolePolicy = (resource: string | string[], condition?: object) =>
        res("aws:iam/rolePolicy:RolePolicy", "deploy-policy", {
            role: "cicd-prod-orders-api-deploy",
            policy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "PassTaskRoles",
                        Effect: "Allow",
                        Action: "iam:PassRole",
                        Resource: resource,
                        ...(condition ? { Condition: condition } : {}),
                    },
                ],
            }),
        });
    const toEcsTasks = { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } };
    const roles = ["task", "execution"].map((r) => `arn:aws-us-gov:iam::173205080756:role/orders-api-${r}`);

    it("the two named roles with the ECS tasks condition pass; role/* or no condition are reported", async () => {
        expect(await check(iamPolicies, [rolePolicy(roles, toEcsTasks)], { stack: "prod" })).to.deep.equal([]);
        const wildcard = await check(iamPolicies, [rolePolicy("arn:aws-us-gov:iam::173205080756:role/*", toEcsTasks)], {
            stack: "prod",
        });
        expect(wildcard.map((v) => v[0])).to.deep.equal(["iam-passrole-scoped"]);
        expect(wildcard[0][2]).to.contain(
            'allows iam:PassRole on a wildcard of roles "arn:aws-us-gov:iam::173205080756:role/*"; required: the ARNs of the roles passed in Resource',
        );
        const unconditioned = await check(iamPolicies, [rolePolicy(roles)], { stack: "prod" });
        expect(unconditioned.map((v) => v[0])).to.deep.equal(["iam-passrole-scoped"]);
        expect(unconditioned[0][2]).to.contain("allows iam:PassRole without an iam:PassedToService condition");
    });
});
