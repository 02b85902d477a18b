import { expect } from "chai";
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
