import { expect } from "chai";
import * as path from "path";
import { runStack } from "../../offline/runtime/mockRuntime";
import { evaluatePolicies, readPolicyPackConfig } from "../../offline/analysis/policyRunner";
import { defineStack } from "../../stacks/program";
import { asUserWould } from "../../test/harness";

// Legitimate variants of the checked-in stacks, run through the real program under the mock runtime (as the
// engine's preview sees them, and with deployed outputs so every document is known) and the pack with each
// stack's policy config: none may raise a mandatory violation. Shared keys (account ids, services) change in
// Pulumi.yaml, for every stack, as a user changes them (a stack file may not contradict them).

const STACKS = ["tool", "dev", "qa", "stage", "prod"];
/** A commercial organisation's own five accounts. */
const COMMERCIAL: Record<string, string> = {
    tool: "111122223333",
    dev: "222233334444",
    qa: "333344445555",
    stage: "444455556666",
    prod: "555566667777",
};
const GOV = { dev: "271828182845" };

function commercial(stack: string): Record<string, unknown> {
    const account = COMMERCIAL[stack];
    const arn = (service: string, resource: string, global = false) =>
        `arn:aws:${service}:${global ? "" : "us-east-1"}:${account}:${resource}`;
    const overrides: Record<string, unknown> = {
        "aws:region": "us-east-1",
        partition: "aws",
        "aws:allowedAccountIds": [account],
        ...Object.fromEntries(STACKS.map((s) => [`${s}AccountId`, COMMERCIAL[s]])),
    };
    // People sign in through the account's own SAML provider; break-glass users live in the tool account.
    if (stack !== "dev") overrides.peopleSamlProviderArn = arn("iam", "saml-provider/OrganizationIdP", true);
    if (stack === "qa" || stack === "stage" || stack === "prod") {
        overrides.breakGlassUserArns = [`arn:aws:iam::${COMMERCIAL.tool}:user/break-glass/alice`];
    }
    if (stack === "stage" || stack === "prod") {
        overrides.certificateArn = arn("acm", "certificate/3f9c2a6e-8b1d-4e57-9a0c-2d6b7e1f4c85");
        overrides.keyAdministrators = [arn("iam", "role/KeyAdministrators", true)];
        overrides.serviceSettings = {
            "orders-api": { secrets: { DATABASE_URL: arn("secretsmanager", "secret:orders-api/database-url-Xy34Zw") } },
        };
    }
    return overrides;
}

const existingVpc = {
    vpcId: "vpc-0a1b2c3d4e5f60718",
    privateSubnetIds: ["subnet-0a1b2c3d", "subnet-0a1b2c3e"],
    publicSubnetIds: ["subnet-1a1b2c3d", "subnet-1a1b2c3e"],
};

const VARIANTS: [string, string[], (stack: string) => Record<string, unknown>][] = [
    ["commercial region with its own accounts", STACKS, commercial],
    ["an existing VPC", ["dev", "qa", "stage", "prod"], () => existingVpc],
    ["three services", STACKS, () => ({ services: ["orders-api", "payments-api", "web-frontend"] })],
    [
        "HTTPS and approval in dev",
        ["dev"],
        () => ({
            requireApproval: true,
            certificateArn: `arn:aws-us-gov:acm:us-gov-west-1:${GOV.dev}:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789`,
        }),
    ],
    [
        "a key administrator role instead of a user",
        ["dev"],
        () => ({
            createKeyAdminUser: false,
            keyAdministrators: [`arn:aws-us-gov:iam::${GOV.dev}:role/KeyAdministrators`],
        }),
    ],
    [
        "a paired billing account",
        ["dev", "prod"],
        () => ({ budgetBillingAccountId: "602214076000", budgetBillingProfile: "billing" }),
    ],
];

describe("legitimate variants pass the pack with zero mandatory violations", function () {
    this.timeout(120000);
    for (const [variant, stacks, overridesOf] of VARIANTS) {
        it(variant, async () => {
            for (const stack of stacks) {
                const config = readPolicyPackConfig(path.join(__dirname, "..", "config", `${stack}.json`));
                for (const outputs of ["preview", "deployed"] as const) {
                    const run = await runStack(stack, defineStack, { ...asUserWould(overridesOf(stack)), outputs });
                    if (run.error)
                        throw new Error(`${variant}, ${stack}: the program refused it: ${run.error.message}`);
                    const verdict = await evaluatePolicies(run, { config });
                    const mandatory = verdict.violations
                        .filter((v) => v.enforcementLevel === "mandatory")
                        .map((v) => `${v.policyName} on ${v.resourceName ?? "stack"}: ${v.message}`);
                    expect(mandatory, `${variant}: ${stack} (${outputs})`).to.deep.equal([]);
                    expect(run.resources.length, `${variant}: ${stack}`).to.be.greaterThan(10);
                }
            }
        });
    }
});

describe("what the preview of a variant leaves undecided: only the artifact bucket policy (its key's ARN)", function () {
    this.timeout(120000);
    const bucketPolicyReports = (stack: string) =>
        stack === "tool"
            ? []
            : [
                  `resource-policy-cross-account-narrowed on ${stack}-artifacts-policy`,
                  `resource-policy-no-public-access on ${stack}-artifacts-policy`,
                  "s3-bucket-tls-only on stack",
                  "s3-bucket-uploads-require-stack-key on stack",
              ];
    for (const [variant, stacks, overridesOf] of VARIANTS.filter(
        ([v]) => v === "an existing VPC" || v === "three services",
    )) {
        it(variant, async () => {
            for (const stack of stacks) {
                const config = readPolicyPackConfig(path.join(__dirname, "..", "config", `${stack}.json`));
                const run = await runStack(stack, defineStack, {
                    ...asUserWould(overridesOf(stack)),
                    outputs: "preview",
                });
                expect(run.error, `${variant}: ${stack}`).to.equal(undefined);
                const verdict = await evaluatePolicies(run, { config });
                const undecided = verdict.violations
                    .filter((v) => v.message.startsWith("can't run "))
                    .map((v) => `${v.policyName} on ${v.resourceName ?? "stack"}`)
                    .sort();
                expect(undecided, `${variant}: ${stack}`).to.deep.equal(bucketPolicyReports(stack));
            }
        });
    }
});
