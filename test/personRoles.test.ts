import { expect } from "chai";
import { asUserWould, planStack } from "./harness";
import { evaluateRegistered, RegisteredRole } from "./iamEvaluator";
import { ENVIRONMENTS, Facts, factsOf, kindOf, rowsOf } from "./accessTables";
import {
    breakGlassTrustPolicy,
    breakGlassUsePattern,
    permissionSetPolicy,
    personRoleName,
    personTrustPolicy,
} from "../components/personRoles";

const ACCOUNT = "161803398874";
const TOOL = "314159265358";

describe("person roles: trust, permission sets and the break-glass alarm", () => {
    for (const [partition, audience] of [
        ["aws-us-gov", "https://signin.amazonaws-us-gov.com/saml"],
        ["aws", "https://signin.aws.amazon.com/saml"],
    ]) {
        it(`${partition}: a SAML role trusts the account's provider for the partition's sign-in audience`, () => {
            const provider = `arn:${partition}:iam::${ACCOUNT}:saml-provider/OrganizationIdP`;
            expect(
                personTrustPolicy(partition, ACCOUNT, "operator", { kind: "saml", providerArn: provider }),
            ).to.deep.equal({
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "IdentityProvider",
                        Effect: "Allow",
                        Principal: { Federated: provider },
                        Action: "sts:AssumeRoleWithSAML",
                        Condition: { StringEquals: { "SAML:aud": audience } },
                    },
                ],
            });
        });

        it(`${partition}: an Identity Center role trusts only its permission set's session roles of the account`, () => {
            expect(personTrustPolicy(partition, ACCOUNT, "auditor", { kind: "identity-center" })).to.deep.equal({
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "IdentityCenterPermissionSet",
                        Effect: "Allow",
                        Principal: { AWS: `arn:${partition}:iam::${ACCOUNT}:root` },
                        Action: "sts:AssumeRole",
                        Condition: {
                            ArnLike: {
                                "aws:PrincipalArn": `arn:${partition}:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_cicd-auditor_*`,
                            },
                        },
                    },
                ],
            });
            expect(permissionSetPolicy(partition, ACCOUNT, "qa", "auditor")).to.deep.equal({
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "AssumeTheAccountsRole",
                        Effect: "Allow",
                        Action: "sts:AssumeRole",
                        Resource: `arn:${partition}:iam::${ACCOUNT}:role/cicd-qa-auditor`,
                    },
                ],
            });
        });
    }

    it("break-glass: named users through their account's root, MFA used within 15 minutes", () => {
        const users = [`arn:aws-us-gov:iam::${TOOL}:user/break-glass/alice`, `arn:aws-us-gov:iam::${ACCOUNT}:user/bob`];
        expect(breakGlassTrustPolicy("aws-us-gov", users)).to.deep.equal({
            Version: "2012-10-17",
            Statement: [TOOL, ACCOUNT].map((account, i) => ({
                Sid: `BreakGlassUsers${account}`,
                Effect: "Allow",
                Principal: { AWS: `arn:aws-us-gov:iam::${account}:root` },
                Action: "sts:AssumeRole",
                Condition: {
                    ArnEquals: { "aws:PrincipalArn": [users[i]] },
                    Bool: { "aws:MultiFactorAuthPresent": "true" },
                    NumericLessThan: { "aws:MultiFactorAuthAge": "900" },
                },
            })),
        });
    });

    it("break-glass use is CloudTrail's AssumeRole of exactly that role", () => {
        const role = `arn:aws-us-gov:iam::${ACCOUNT}:role/${personRoleName("prod", "break-glass")}`;
        expect(role).to.equal(`arn:aws-us-gov:iam::${ACCOUNT}:role/cicd-prod-break-glass`);
        expect(breakGlassUsePattern(role)).to.deep.equal({
            source: ["aws.sts"],
            "detail-type": ["AWS API Call via CloudTrail"],
            detail: {
                eventSource: ["sts.amazonaws.com"],
                eventName: ["AssumeRole"],
                requestParameters: { roleArn: [role] },
            },
        });
    });
});

/** A commercial organisation's own five accounts in us-east-1 (the policy pack's variants use the same). */
const COMMERCIAL: Record<string, string> = {
    tool: "111122223333",
    dev: "222233334444",
    qa: "333344445555",
    stage: "444455556666",
    prod: "555566667777",
};
const STACKS = ["tool", ...ENVIRONMENTS];

function commercial(stack: string): Record<string, unknown> {
    const account = COMMERCIAL[stack];
    const arn = (service: string, resource: string, region = "us-east-1") =>
        `arn:aws:${service}:${region}:${account}:${resource}`;
    const overrides: Record<string, unknown> = {
        "aws:region": "us-east-1",
        partition: "aws",
        "aws:allowedAccountIds": [account],
        ...Object.fromEntries(STACKS.map((s) => [`${s}AccountId`, COMMERCIAL[s]])),
    };
    // As in the checked-in stacks: dev signs in through Identity Center, the others through their SAML provider.
    if (stack !== "dev") overrides.peopleSamlProviderArn = arn("iam", "saml-provider/OrganizationIdP", "");
    if (stack === "qa" || stack === "stage" || stack === "prod") {
        overrides.breakGlassUserArns = [`arn:aws:iam::${COMMERCIAL.tool}:user/break-glass/alice`];
    }
    if (stack === "stage" || stack === "prod") {
        overrides.certificateArn = arn("acm", "certificate/3f9c2a6e-8b1d-4e57-9a0c-2d6b7e1f4c85");
        overrides.keyAdministrators = [arn("iam", "role/KeyAdministrators", "")];
        overrides.serviceSettings = {
            "orders-api": { secrets: { DATABASE_URL: arn("secretsmanager", "secret:orders-api/database-url-Xy34Zw") } },
        };
    }
    return overrides;
}

/** One line per row of the person roles' tables whose decision differs from the table's. */
async function personMismatches(facts: Facts): Promise<string[]> {
    const roles: RegisteredRole[] = [...facts.tool.roles, ...ENVIRONMENTS.flatMap((e) => facts.envs[e].roles)].filter(
        (r) => kindOf(facts, r)?.startsWith("person:"),
    );
    const lines = await Promise.all(
        roles.flatMap((role) =>
            rowsOf(facts, role)!.map(async ([action, resource, context, expected]) => {
                const decision = await evaluateRegistered(facts.runs, role, action, resource, context);
                const ok = expected === "Denied" ? decision !== "Allowed" : decision === expected;
                return ok
                    ? ""
                    : `${role.stack} ${role.name}: ${action} on ${resource} -> ${decision}, expected ${expected}`;
            }),
        ),
    );
    return lines.filter((l) => l !== "");
}

describe("person roles' access tables in the commercial partition", function () {
    this.timeout(180000);
    let facts: Facts;
    before(async () => {
        const runs = [];
        // One at a time: the mocked Pulumi runtime is global to the process.
        for (const stack of STACKS) runs.push(await planStack(stack, asUserWould(commercial(stack))));
        facts = factsOf(runs);
    });

    it("every person role of the five stacks passes its table, with arn:aws ARNs throughout", async () => {
        const persons = [...facts.tool.roles, ...ENVIRONMENTS.flatMap((e) => facts.envs[e].roles)]
            .filter((r) => kindOf(facts, r)?.startsWith("person:"))
            .map((r) => r.arn)
            .sort();
        expect(persons).to.have.length(18);
        expect(persons.filter((arn) => !arn.startsWith("arn:aws:iam::"))).to.deep.equal([]);
        expect(persons).to.include(`arn:aws:iam::${COMMERCIAL.prod}:role/cicd-prod-break-glass`);
        expect(await personMismatches(facts)).to.deep.equal([]);
    });

    it("a planted escalation fails the table there too: the developer's iam:PutRolePolicy on the pipeline role", async () => {
        const developer = facts.envs.dev.roles.find((r) => kindOf(facts, r) === "person:developer")!;
        const pipelineRole = `arn:aws:iam::${COMMERCIAL.dev}:role/cicd-dev-orders-api-pipeline`;
        expect(rowsOf(facts, developer)).to.deep.include([
            "iam:PutRolePolicy",
            pipelineRole,
            undefined,
            "ExplicitlyDenied",
        ]);
        const planted: RegisteredRole = {
            ...developer,
            policies: developer.policies.map((d) => ({
                ...d,
                Statement: [
                    ...d.Statement.filter((st) => st.Sid !== "NoIdentityOrKeyChanges"),
                    { Sid: "Planted", Effect: "Allow", Action: "iam:PutRolePolicy", Resource: pipelineRole },
                ],
            })),
        };
        expect(await evaluateRegistered(facts.runs, developer, "iam:PutRolePolicy", pipelineRole)).to.equal(
            "ExplicitlyDenied",
        );
        // Only the boundary still stops it: no longer the explicit deny the table requires.
        expect(await evaluateRegistered(facts.runs, planted, "iam:PutRolePolicy", pipelineRole)).to.equal(
            "ImplicitlyDenied",
        );
    });
});
