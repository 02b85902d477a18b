import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { authorize } from "../rehearsal/authorizer";
import { accessDeniedMessage, awsRequests, dockerRequests, IamRequest, sessionArn } from "../rehearsal/iamRequests";
import { planStack, StackRun } from "./harness";
import { ACCOUNTS } from "./accounts";

const REGION = "us-gov-west-1";
const role = (account: string, name: string) => `arn:aws-us-gov:iam::${account}:role/${name}`;
const registry = (account: string) => `${account}.dkr.ecr.${REGION}.amazonaws.com`;
const DIGEST = `sha256:${"a".repeat(64)}`;

describe("rehearsal: every stand-in call is authorized with the project's registered role", function () {
    this.timeout(120000);
    let runs: StackRun[];
    let cwd: string;
    let state: string;
    before(async () => {
        runs = [await planStack("dev"), await planStack("qa")];
    });
    beforeEach(() => {
        cwd = fs.mkdtempSync(path.join(os.tmpdir(), "authz-cwd-"));
        state = fs.mkdtempSync(path.join(os.tmpdir(), "authz-state-"));
    });
    afterEach(() => {
        fs.rmSync(cwd, { recursive: true, force: true });
        fs.rmSync(state, { recursive: true, force: true });
    });

    const callOf = (args: string[], roleArn: string) => ({
        args,
        env: { AWS_REGION: REGION, REHEARSAL_ROLE_ARN: roleArn },
        cwd,
        state,
    });
    const decide = (roleArn: string, requests: IamRequest[]) => authorize(runs, { role: roleArn, requests });
    const registered = (stack: string, type: string, match: (r: StackRun["resources"][number]) => boolean) =>
        runs.find((r) => r.stack === stack)!.resources.find((r) => r.type === type && match(r))!;
    const keyOf = (stack: string) => registered(stack, "aws:kms/key:Key", () => true).state.arn as string;
    const bucketOf = (account: string) => `cicd-artifacts-${account}-${REGION}`;

    it("maps each call of the buildspecs to its IAM actions, resources and request context", () => {
        const gate = role(ACCOUNTS.dev, "cicd-dev-orders-api-image-scan-gate");
        expect(awsRequests(callOf(["ecr", "get-registry-scanning-configuration"], gate))).to.deep.equal([
            {
                operation: "GetRegistryScanningConfiguration",
                action: "ecr:GetRegistryScanningConfiguration",
                resource: "*",
            },
        ]);
        const deploy = role(ACCOUNTS.qa, "cicd-qa-orders-api-deploy");
        expect(
            awsRequests(
                callOf(
                    ["ecs", "update-service", "--cluster", "c1", "--service", "s1", "--task-definition", "td:4"],
                    deploy,
                ),
            ),
        ).to.deep.equal([
            {
                operation: "UpdateService",
                action: "ecs:UpdateService",
                resource: `arn:aws-us-gov:ecs:${REGION}:${ACCOUNTS.qa}:service/c1/s1`,
                context: {
                    "ecs:cluster": `arn:aws-us-gov:ecs:${REGION}:${ACCOUNTS.qa}:cluster/c1`,
                    "ecs:task-definition": "td:4",
                },
            },
        ]);
        const key = keyOf("qa");
        expect(
            awsRequests(
                callOf(
                    [
                        "s3",
                        "cp",
                        "release.json",
                        "s3://b1/releases/orders-api/c.json",
                        "--sse",
                        "aws:kms",
                        "--sse-kms-key-id",
                        key,
                    ],
                    deploy,
                ),
            ),
        ).to.deep.equal([
            {
                operation: "PutObject",
                action: "s3:PutObject",
                resource: "arn:aws-us-gov:s3:::b1/releases/orders-api/c.json",
                context: {
                    "s3:x-amz-server-side-encryption": "aws:kms",
                    "s3:x-amz-server-side-encryption-aws-kms-key-id": key,
                },
            },
            {
                operation: "PutObject",
                action: "kms:GenerateDataKey",
                resource: key,
                context: {
                    "kms:ViaService": `s3.${REGION}.amazonaws.com`,
                    "kms:EncryptionContext:aws:s3:arn": "arn:aws-us-gov:s3:::b1/releases/orders-api/c.json",
                },
            },
        ]);
        expect(
            dockerRequests(callOf(["push", `${registry(ACCOUNTS.dev)}/orders-api:t1`], gate)).map((r) => r.action),
        ).to.deep.equal([
            "ecr:BatchCheckLayerAvailability",
            "ecr:InitiateLayerUpload",
            "ecr:UploadLayerPart",
            "ecr:CompleteLayerUpload",
            "ecr:PutImage",
        ]);
        expect(dockerRequests(callOf(["build", "--tag", "x", "."], gate))).to.deep.equal([]);
        expect(() => awsRequests(callOf(["ecr", "delete-repository", "--repository-name", "r"], gate))).to.throw(
            "no IAM requests known for aws ecr delete-repository --repository-name r: add them to rehearsal/iamRequests.ts",
        );
    });

    it("allows what each step calls with its registered role: the gate's registry read, qa's pull from dev, the release put", async () => {
        const gate = role(ACCOUNTS.dev, "cicd-dev-orders-api-image-scan-gate");
        expect(
            await decide(gate, awsRequests(callOf(["ecr", "get-registry-scanning-configuration"], gate))),
        ).to.deep.equal({});
        const promote = role(ACCOUNTS.qa, "cicd-qa-orders-api-build");
        const pull = dockerRequests(callOf(["pull", `${registry(ACCOUNTS.dev)}/orders-api@${DIGEST}`], promote));
        expect(await decide(promote, pull)).to.deep.equal({});
        const publish = role(ACCOUNTS.qa, "cicd-qa-orders-api-publish-release");
        const key = keyOf("qa");
        const put = (extra: string[]) =>
            awsRequests(
                callOf(
                    ["s3", "cp", "release.json", `s3://${bucketOf(ACCOUNTS.qa)}/releases/orders-api/c.json`, ...extra],
                    publish,
                ),
            );
        expect(await decide(publish, put(["--sse", "aws:kms", "--sse-kms-key-id", key]))).to.deep.equal({});
        // Without SSE-KMS the bucket policy's Deny refuses it.
        expect(await decide(publish, put([]))).to.deep.equal({
            denied: { request: put([])[0], explicit: true },
        });
    });

    it("denies what a step's role does not grant, with AWS's message: unit tests pushing an image, a deploy passing another role", async () => {
        const unitTests = role(ACCOUNTS.dev, "cicd-dev-orders-api-unit-tests");
        const push = dockerRequests(callOf(["push", `${registry(ACCOUNTS.dev)}/orders-api:t1`], unitTests));
        const answer = await decide(unitTests, push);
        expect(answer).to.deep.equal({ denied: { request: push[0], explicit: false } });
        const session = sessionArn(unitTests, "orders-api-dev-unit-tests:0b6f2a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b");
        expect(accessDeniedMessage("docker", answer.denied!.request, session, false)).to.equal(
            `denied: User: arn:aws-us-gov:sts::${ACCOUNTS.dev}:assumed-role/cicd-dev-orders-api-unit-tests/AWSCodeBuild-0b6f2a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b ` +
                `is not authorized to perform: ecr:BatchCheckLayerAvailability on resource: arn:aws-us-gov:ecr:${REGION}:${ACCOUNTS.dev}:repository/orders-api ` +
                "because no identity-based policy allows the ecr:BatchCheckLayerAvailability action",
        );
        const deploy = role(ACCOUNTS.qa, "cicd-qa-orders-api-deploy");
        const task = registered("qa", "aws:ecs/taskDefinition:TaskDefinition", () => true).inputs;
        const input = {
            family: "orders-api",
            taskRoleArn: role(ACCOUNTS.qa, "cicd-qa-orders-api-deploy"),
            executionRoleArn: task.executionRoleArn,
            tags: [{ key: "Service", value: "orders-api" }],
        };
        fs.writeFileSync(path.join(cwd, "task-definition.json"), JSON.stringify(input));
        const register = awsRequests(
            callOf(["ecs", "register-task-definition", "--cli-input-json", "file://task-definition.json"], deploy),
        );
        const passed = register.find((r) => r.action === "iam:PassRole" && r.resource === input.taskRoleArn)!;
        expect((await decide(deploy, register)).denied).to.deep.equal({ request: passed, explicit: false });
        expect(accessDeniedMessage("aws", passed, sessionArn(deploy, "p:u1"), false)).to.equal(
            "An error occurred (AccessDeniedException) when calling the RegisterTaskDefinition operation: User: " +
                `arn:aws-us-gov:sts::${ACCOUNTS.qa}:assumed-role/cicd-qa-orders-api-deploy/AWSCodeBuild-u1 is not authorized to perform: ` +
                `iam:PassRole on resource: ${input.taskRoleArn} because no identity-based policy allows the iam:PassRole action`,
        );
    });

    it("a role no stack registers is an error, not a decision", async () => {
        const unknown = role(ACCOUNTS.dev, "cicd-dev-orders-api-unknown");
        let message = "";
        await decide(unknown, []).catch((err: Error) => (message = err.message));
        expect(message).to.equal(`no stack registers the role ${unknown}`);
    });
});
