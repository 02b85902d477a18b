import { expect } from "chai";
import { peoplePolicies } from "../policies/people";
import { ACCOUNTS, check, res } from "./fixtures";

const PROD = ACCOUNTS.prod;
const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const boundary = `arn:aws-us-gov:iam::${PROD}:policy/cicd-permissions-boundary`;
const samlTrust = doc({
    Sid: "IdentityProvider",
    Effect: "Allow",
    Principal: { Federated: `arn:aws-us-gov:iam::${PROD}:saml-provider/OrganizationIdP` },
    Action: "sts:AssumeRoleWithSAML",
    Condition: { StringEquals: { "SAML:aud": "https://signin.amazonaws-us-gov.com/saml" } },
});
const breakGlassTrust = (condition: object) =>
    doc({
        Sid: "BreakGlassUsers",
        Effect: "Allow",
        Principal: { AWS: `arn:aws-us-gov:iam::${ACCOUNTS.tool}:root` },
        Action: "sts:AssumeRole",
        Condition: {
            ArnEquals: { "aws:PrincipalArn": `arn:aws-us-gov:iam::${ACCOUNTS.tool}:user/break-glass/alice` },
            ...condition,
        },
    });
const MFA = { Bool: { "aws:MultiFactorAuthPresent": "true" } };
const person = (name: string, role: string, inputs: Record<string, unknown> = {}) =>
    res("aws:iam/role:Role", name, {
        name: `cicd-prod-${role}`,
        assumeRolePolicy: role === "break-glass" ? breakGlassTrust(MFA) : samlTrust,
        maxSessionDuration: role === "break-glass" ? 3600 : 14400,
        permissionsBoundary: boundary,
        tags: { PersonRole: role },
        ...inputs,
    });
const inlinePolicy = (role: string, ...statements: object[]) =>
    res("aws:iam/rolePolicy:RolePolicy", `${role}-policy`, {
        role: `cicd-prod-${role}`,
        name: role,
        policy: doc(...statements),
    });
const reads = { Sid: "MetadataReads", Effect: "Allow", Action: ["ecs:DescribeServices"], Resource: "*" };
const admin = { Sid: "Everything", Effect: "Allow", Action: "*", Resource: "*" };

describe("person role policies", () => {
    it("bounded person roles, an MFA break-glass of one hour and no admin pass in prod", async () => {
        const resources = [
            person("operator", "operator"),
            inlinePolicy("operator", reads),
            person("break-glass", "break-glass"),
            inlinePolicy("break-glass", reads),
        ];
        expect(await check(peoplePolicies, resources, { stack: "prod" })).to.deep.equal([]);
    });

    it("a person role without a boundary is refused; a role without the PersonRole tag is not a person's", async () => {
        const resources = [
            person("developer", "developer", { permissionsBoundary: undefined }),
            res("aws:iam/role:Role", "machine", { name: "cicd-prod-orders-api-build", assumeRolePolicy: samlTrust }),
        ];
        expect(await check(peoplePolicies, resources, { stack: "prod" })).to.deep.equal([
            [
                "iam-person-role-boundary",
                "developer",
                "Role \"developer\" (developer) has no permissions boundary; required: the account's boundary policy, so the role cannot exceed it; fix: set permissionsBoundary (the program's stack transformation sets it on every role it registers).",
            ],
        ]);
    });

    it("break-glass without MFA, or with sessions longer than an hour, is refused", async () => {
        const noMfa = person("break-glass", "break-glass", {
            assumeRolePolicy: breakGlassTrust({ NumericLessThan: { "aws:MultiFactorAuthAge": "900" } }),
            maxSessionDuration: 43200,
        });
        expect(await check(peoplePolicies, [noMfa], { stack: "qa" })).to.deep.equal([
            [
                "iam-break-glass-mfa",
                "break-glass",
                'Role "break-glass" (break-glass) can be assumed without MFA (BreakGlassUsers); required: Bool aws:MultiFactorAuthPresent "true" on every Allow of its trust; fix: add the condition (the program\'s breakGlassTrustPolicy does).',
            ],
            [
                "iam-break-glass-mfa",
                "break-glass",
                'Role "break-glass" (break-glass) allows sessions of 43200 seconds; required: at most 3600; fix: set maxSessionDuration: 3600.',
            ],
        ]);
    });

    it("admin for a person in prod is refused (inline or AdministratorAccess), not in dev", async () => {
        const resources = [
            person("break-glass", "break-glass"),
            inlinePolicy("break-glass", reads, admin),
            person("operator", "operator", {
                managedPolicyArns: ["arn:aws-us-gov:iam::aws:policy/AdministratorAccess"],
            }),
        ];
        const found = await check(peoplePolicies, resources, { stack: "prod" });
        expect(found).to.deep.equal([
            [
                "iam-person-role-no-admin-in-prod",
                "break-glass",
                'Role "break-glass" (break-glass) is an administrator in prod: statement "Everything" allows every action on every resource; required: named actions on named resources; fix: grant what the person\'s work needs (components/personRoles.ts) and keep repairs to break-glass\'s scoped statements.',
            ],
            [
                "iam-person-role-no-admin-in-prod",
                "operator",
                "Role \"operator\" (operator) is an administrator in prod: attached arn:aws-us-gov:iam::aws:policy/AdministratorAccess; required: named actions on named resources; fix: grant what the person's work needs (components/personRoles.ts) and keep repairs to break-glass's scoped statements.",
            ],
        ]);
        const inDev = await check(peoplePolicies, resources, { stack: "dev" });
        expect(inDev.filter(([p]) => p === "iam-person-role-no-admin-in-prod")).to.deep.equal([]);
    });

    it("a person role trusts only the identity source: Identity Center session roles of the account, or SAML with its audience", async () => {
        const sso = (condition?: object) =>
            doc({
                Sid: "IdentityCenterPermissionSet",
                Effect: "Allow",
                Principal: { AWS: `arn:aws-us-gov:iam::${PROD}:root` },
                Action: "sts:AssumeRole",
                ...(condition ? { Condition: condition } : {}),
            });
        const session = (account: string, set: string) => ({
            ArnLike: {
                "aws:PrincipalArn": `arn:aws-us-gov:iam::${account}:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_${set}_*`,
            },
        });
        const roles = [
            person("ok", "developer", { assumeRolePolicy: sso(session(PROD, "cicd-developer")) }),
            person("whole-account", "developer", { assumeRolePolicy: sso() }),
            person("any-role", "auditor", {
                assumeRolePolicy: sso({ ArnLike: { "aws:PrincipalArn": `arn:aws-us-gov:iam::${PROD}:role/*` } }),
            }),
            person("foreign", "operator", { assumeRolePolicy: sso(session("999999999999", "cicd-operator")) }),
            person("no-audience", "operator", {
                assumeRolePolicy: doc({ ...JSON.parse(samlTrust).Statement[0], Condition: undefined }),
            }),
        ];
        const required =
            "required: the SAML provider with SAML:aud, or this account's root narrowed by ArnLike aws:PrincipalArn to its AWSReservedSSO_ session roles; fix: use personTrustPolicy (components/personRoles.ts).";
        expect(await check(peoplePolicies, roles, { stack: "prod" })).to.deep.equal([
            [
                "iam-person-role-trust-narrowed",
                "whole-account",
                `Role "whole-account" (developer): trust statement "IdentityCenterPermissionSet" trusts the whole account (no aws:PrincipalArn condition); ${required}`,
            ],
            [
                "iam-person-role-trust-narrowed",
                "any-role",
                `Role "any-role" (auditor): trust statement "IdentityCenterPermissionSet" admits arn:aws-us-gov:iam::${PROD}:role/*; ${required}`,
            ],
            [
                "iam-person-role-trust-narrowed",
                "foreign",
                `Role "foreign" (operator): trust statement "IdentityCenterPermissionSet" admits arn:aws-us-gov:iam::999999999999:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_cicd-operator_*; ${required}`,
            ],
            [
                "iam-person-role-trust-narrowed",
                "no-audience",
                `Role "no-audience" (operator): trust statement "IdentityProvider" has no SAML:aud condition; ${required}`,
            ],
        ]);
    });
});
