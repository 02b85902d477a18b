import { expect } from "chai";
import { planStack } from "./harness";
import { ACCOUNTS } from "./accounts";
import { Call, Decision, evaluate, registeredRole } from "./iamEvaluator";

const ENVS = ["dev", "qa", "stage", "prod"] as const;
const P = "aws-us-gov";
const REGION = "us-gov-west-1";

/** Each call evaluated against the role exactly as the stack registers it. */
async function decisions(env: string, roleName: string, calls: readonly Call[]): Promise<string[]> {
    const role = registeredRole(await planStack(env), roleName);
    const out: string[] = [];
    for (const call of calls) {
        const decision: Decision = await evaluate(role.arn, role.policies, call);
        out.push(`${decision} ${call.action} ${call.resource}`);
    }
    return out;
}

describe("access by evaluation: the image scan gate", () => {
    for (const env of ENVS) {
        it(`${env}: every call of image-scan-gate.yml is allowed; pushing, releasing, starting or assuming is denied`, async () => {
            const account = ACCOUNTS[env];
            const repository = `arn:${P}:ecr:${REGION}:${account}:repository/orders-api`;
            const allowed: Call[] = [
                { action: "ecr:GetRegistryScanningConfiguration", resource: "*" },
                { action: "ecr:DescribeImageScanFindings", resource: repository },
                { action: "ecr:DescribeImages", resource: repository },
                { action: "inspector2:ListFindings", resource: "*" },
            ];
            const denied: Call[] = [
                { action: "ecr:PutImage", resource: repository },
                { action: "ecr:InitiateLayerUpload", resource: repository },
                { action: "ecr:PutRegistryScanningConfiguration", resource: "*" },
                {
                    action: "s3:PutObject",
                    resource: `arn:${P}:s3:::cicd-artifacts-${account}-${REGION}/releases/orders-api/abc.json`,
                },
                {
                    action: "codepipeline:StartPipelineExecution",
                    resource: `arn:${P}:codepipeline:${REGION}:${account}:orders-api-${env}`,
                },
                { action: "sts:AssumeRole", resource: `arn:${P}:iam::${ACCOUNTS.tool}:role/cicd-source-${env}` },
            ];
            const role = `cicd-${env}-orders-api-image-scan-gate`;
            expect(await decisions(env, role, [...allowed, ...denied])).to.deep.equal([
                ...allowed.map((c) => `Allowed ${c.action} ${c.resource}`),
                ...denied.map((c) => `ImplicitlyDenied ${c.action} ${c.resource}`),
            ]);
        });
    }

    it("a registry-level action scoped to the repository is denied: the statement never matches", async () => {
        const principal = `arn:${P}:iam::${ACCOUNTS.qa}:role/cicd-qa-orders-api-image-scan-gate`;
        const repository = `arn:${P}:ecr:${REGION}:${ACCOUNTS.qa}:repository/orders-api`;
        const scopedToRepository = {
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: "ecr:GetRegistryScanningConfiguration", Resource: repository }],
        };
        const call = { action: "ecr:GetRegistryScanningConfiguration", resource: "*" };
        expect(await evaluate(principal, [scopedToRepository], call)).to.equal("ImplicitlyDenied");
    });
});
