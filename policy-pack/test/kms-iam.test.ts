import { expect } from "chai";
import { iamPolicies } from "../policies/iam";
import { kmsPolicies } from "../policies/kms";
import { check, res } from "./fixtures";

const DEV = "271828182845";
const TOOL = "314159265358";
const root = (account: string) => `arn:aws-us-gov:iam::${account}:root`;
const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const PROD = "173205080756";
const adminOf = (account: string) => ({
    Sid: "Admin",
    Effect: "Allow",
    Principal: { AWS: root(account) },
    Action: "kms:*",
    Resource: "*",
});
const adminStatement = adminOf(DEV);
const useStatement = {
    Sid: "ToolUse",
    Effect: "Allow",
    Principal: { AWS: root(TOOL) },
    Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
    Resource: "*",
    Condition: {
        ArnEquals: { "aws:PrincipalArn": `arn:aws-us-gov:iam::${TOOL}:role/source` },
        StringEquals: { "kms:ViaService": "s3.us-gov-west-1.amazonaws.com" },
    },
};
const key = (inputs: Record<string, any>) =>
    res("aws:kms/key:Key", "key", {
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: doc(adminStatement, useStatement),
        ...inputs,
    });

describe("KMS policies", () => {
    it("a rotating key with a 30-day window and a use-only cross-account grant passes in prod", async () => {
        const prodKey = key({ policy: doc(adminOf(PROD), useStatement) });
        expect(await check(kmsPolicies, [prodKey], { stack: "prod" })).to.deep.equal([]);
        // The same policy in another account's stack grants kms:* to a foreign account.
        expect((await check(kmsPolicies, [prodKey], { stack: "dev" })).map((v) => v[0])).to.deep.equal([
            "kms-key-policy-cross-account-use-only",
        ]);
    });

    it("rotation off and a short deletion window fail (14 days is fine in dev and qa, not in stage or prod)", async () => {
        const k = key({ enableKeyRotation: false, deletionWindowInDays: 14 });
        expect(await check(kmsPolicies, [k], { stack: "dev" })).to.deep.equal([
            [
                "kms-key-rotation",
                "key",
                'KMS key "key" has enableKeyRotation false; required: true; fix: set enableKeyRotation: true.',
            ],
        ]);
        expect((await check(kmsPolicies, [k], { stack: "prod" }))[1]).to.deep.equal([
            "kms-key-deletion-window",
            "key",
            'KMS key "key" has deletionWindowInDays 14 in prod; required: at least 30; fix: set deletionWindowInDays: 30.',
        ]);
        expect((await check(kmsPolicies, [k], { stack: "stage" }))[1]).to.deep.equal([
            "kms-key-deletion-window",
            "key",
            'KMS key "key" has deletionWindowInDays 14 in stage; required: at least 30; fix: set deletionWindowInDays: 30.',
        ]);
    });

    it("a public principal without conditions and kms:* for another account fail, on Key and KeyPolicy", async () => {
        const bad = doc(
            adminStatement,
            { Sid: "Anyone", Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*" },
            { Sid: "ToolAll", Effect: "Allow", Principal: { AWS: [root(TOOL)] }, Action: ["kms:*"], Resource: "*" },
        );
        const expected = (name: string) => [
            [
                "kms-key-policy-no-public-principal",
                name,
                `Key policy of "${name}": statement "Anyone" allows Principal "*" without conditions; required: named principals or a condition on the caller (aws:PrincipalArn, kms:CallerAccount); fix: name the account root and add aws:PrincipalArn.`,
            ],
            [
                "kms-key-policy-cross-account-use-only",
                name,
                `Key policy of "${name}": statement "ToolAll" for account ${TOOL} has actions ["kms:*"]; lets account ${TOOL} in without an aws:PrincipalArn condition naming its callers; no kms:ViaService condition; required: only kms:Encrypt, kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey*, kms:DescribeKey, ArnEquals aws:PrincipalArn with exact roles of that account and StringEquals kms:ViaService; fix: narrow the statement (administration stays with the owning account).`,
            ],
        ];
        expect(await check(kmsPolicies, [key({ policy: bad })])).to.deep.equal(expected("key"));
        const keyPolicy = res("aws:kms/keyPolicy:KeyPolicy", "key-policy", { keyId: "k", policy: bad });
        expect(await check(kmsPolicies, [keyPolicy])).to.deep.equal(expected("key-policy"));
    });
});

const role = (assumeRolePolicy: string, inlinePolicies: object[] = []) =>
    res("aws:iam/role:Role", "role", { assumeRolePolicy, inlinePolicies });
const serviceTrust = doc({
    Effect: "Allow",
    Principal: { Service: "codebuild.amazonaws.com" },
    Action: "sts:AssumeRole",
    Condition: { StringEquals: { "aws:SourceAccount": DEV } },
});

describe("IAM policies", () => {
    it("scoped roles, policies and a narrowed cross-account trust pass", async () => {
        const crossTrust = doc({
            Effect: "Allow",
            Principal: { AWS: root(TOOL) },
            Action: "sts:AssumeRole",
            Condition: { ArnEquals: { "aws:PrincipalArn": `arn:aws-us-gov:iam::${TOOL}:role/pipeline` } },
        });
        const pass = doc({
            Effect: "Allow",
            Action: "iam:PassRole",
            Resource: `arn:aws-us-gov:iam::${DEV}:role/task`,
            Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
        });
        const resources = [
            role(crossTrust, [{ name: "pass", policy: pass }]),
            res("aws:iam/rolePolicy:RolePolicy", "rp", {
                role: "role",
                policy: doc({ Effect: "Allow", Action: "s3:*", Resource: "arn:aws-us-gov:s3:::artifacts/*" }),
            }),
            res("aws:iam/policy:Policy", "p", {
                policy: doc({ Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" }),
            }),
        ];
        expect(await check(iamPolicies, resources)).to.deep.equal([]);
    });

    it("wildcard actions on *, an unscoped PassRole, a public or unconditioned cross-account trust fail", async () => {
        const trust = doc(
            { Sid: "Public", Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRole" },
            { Sid: "Tool", Effect: "Allow", Principal: { AWS: TOOL }, Action: "sts:AssumeRole" },
        );
        const resources = [
            role(trust, [{ name: "admin", policy: doc({ Effect: "Allow", Action: "*", Resource: "*" }) }]),
            res("aws:iam/rolePolicy:RolePolicy", "rp", {
                role: "role",
                policy: doc({ Sid: "Pass", Effect: "Allow", Action: ["iam:Pass*", "s3:*"], Resource: ["*"] }),
            }),
            res("aws:iam/accessKey:AccessKey", "ci-key", { user: "ci" }),
        ];
        expect(await check(iamPolicies, resources)).to.deep.equal([
            [
                "iam-no-wildcard-actions-on-all-resources",
                "role",
                'IAM role "role" inline policy "admin": statement 1 allows ["*"] on Resource "*"; required: named actions or named resources; fix: list the actions the role needs and scope Resource to the ARNs it uses.',
            ],
            [
                "iam-no-wildcard-actions-on-all-resources",
                "rp",
                'IAM role policy "rp": statement "Pass" allows ["s3:*"] on Resource "*"; required: named actions or named resources; fix: list the actions the role needs and scope Resource to the ARNs it uses.',
            ],
            [
                "iam-passrole-scoped",
                "role",
                'IAM role "role" inline policy "admin": statement 1 allows iam:PassRole on Resource "*" and without an iam:PassedToService condition; required: the ARNs of the roles passed in Resource and StringEquals iam:PassedToService (e.g. ecs-tasks.amazonaws.com); fix: name the roles and add the condition.',
            ],
            [
                "iam-passrole-scoped",
                "rp",
                'IAM role policy "rp": statement "Pass" allows iam:PassRole on Resource "*" and without an iam:PassedToService condition; required: the ARNs of the roles passed in Resource and StringEquals iam:PassedToService (e.g. ecs-tasks.amazonaws.com); fix: name the roles and add the condition.',
            ],
            [
                "iam-kms-decrypt-scoped",
                "role",
                'IAM role "role" inline policy "admin": statement 1 allows kms:Decrypt, kms:ReEncryptFrom on every key ("*"); required: the key ARNs it decrypts, or key/* with a kms:ResourceAliases condition; fix: scope Resource to those keys.',
            ],
            [
                "iam-trust-policy-not-public",
                "role",
                'Role "role": trust statement "Public" allows Principal "*" without conditions; required: a named service, account or role; fix: name the principal that assumes this role.',
            ],
            [
                "iam-cross-account-trust-narrowed",
                "role",
                `Role "role": trust statement "Tool" lets account ${TOOL} in without an aws:PrincipalArn condition naming its callers; required: ArnEquals aws:PrincipalArn with the exact caller roles of that account; fix: add the condition (a condition such as aws:SecureTransport or sts:ExternalId does not say who the caller is).`,
            ],
            [
                "iam-no-access-keys",
                "ci-key",
                'Access key "ci-key" for user "ci" creates a long-lived credential; required: no aws.iam.AccessKey; fix: remove it and let the workload assume a role.',
            ],
        ]);
    });

    it("the stack's own account may be trusted without a condition", async () => {
        const own = doc({ Effect: "Allow", Principal: { AWS: root(DEV) }, Action: "sts:AssumeRole" });
        expect(await check(iamPolicies, [role(own)])).to.deep.equal([]);
    });

    it("commercial ARNs fail in GovCloud and pass in the commercial partition", async () => {
        const commercial = ["arn", "aws", "iam::aws:policy/ReadOnlyAccess"].join(":");
        const attachment = res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "ro", {
            role: "role",
            policyArn: commercial,
        });
        expect(await check(iamPolicies, [role(serviceTrust), attachment])).to.deep.equal([
            [
                "arns-match-stack-partition",
                "ro",
                'aws:iam/rolePolicyAttachment:RolePolicyAttachment "ro" holds arn:aws: ARNs at policyArn in partition aws-us-gov; required: ARNs of the stack\'s partition; fix: build ARNs from aws.getPartition() (arn:${partition}:...).',
            ],
        ]);
        expect(await check(iamPolicies, [role(serviceTrust), attachment], { region: "us-east-1" })).to.deep.equal([]);
    });
});
