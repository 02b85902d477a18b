import { expect } from "chai";
import { iamPolicies, iamServiceTrustNarrowed } from "../policies/iam";
import { check, res } from "./fixtures";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { unknown } = require("@pulumi/pulumi/output") as { unknown: unknown };

const DEV = "271828182845";
const FOREIGN = "999999999999";
const POLICY = "iam-service-trust-narrowed-to-account";
const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const trust = (service: string | string[], Condition?: object, extra: object = {}) =>
    doc({
        Effect: "Allow",
        Principal: { Service: service },
        Action: "sts:AssumeRole",
        ...(Condition ? { Condition } : {}),
        ...extra,
    });
const role = (assumeRolePolicy: unknown, name = "role") => res("aws:iam/role:Role", name, { assumeRolePolicy });
const ownAccount = { StringEquals: { "aws:SourceAccount": DEV } };
const ecsArn = (account: string) => `arn:aws-us-gov:ecs:us-gov-west-1:${account}:*`;
const required =
    `required: StringEquals aws:SourceAccount with this account (${DEV}), or ArnEquals / ArnLike aws:SourceArn with ` +
    `resources of this account (${DEV}); fix: add the condition (serviceTrustPolicy(service, { sourceAccount }) does).`;
const violation = (why: string, service = "ecs-tasks.amazonaws.com", what = "statement 1", name = "role") => [
    POLICY,
    name,
    `Role "${name}": trust ${what} lets ${service} assume the role on behalf of any account: ${why}; ${required}`,
];

describe("iam-service-trust-narrowed-to-account", () => {
    it("the program's services narrowed by aws:SourceAccount or aws:SourceArn of this account pass", async () => {
        const services = [
            "codebuild.amazonaws.com",
            "codepipeline.amazonaws.com",
            "events.amazonaws.com",
            "ecs-tasks.amazonaws.com",
            "vpc-flow-logs.amazonaws.com",
        ];
        const roles = [
            ...services.map((s, i) => role(trust(s, ownAccount), `account-${i}`)),
            // serviceTrustPolicy with sourceArn (ArnLike for a pattern) and sourceAccount, as the task roles use it.
            role(
                trust("ecs-tasks.amazonaws.com", { ArnLike: { "aws:SourceArn": ecsArn(DEV) }, ...ownAccount }),
                "task",
            ),
            role(
                trust("events.amazonaws.com", {
                    ArnEquals: { "aws:SourceArn": `arn:aws-us-gov:events:us-gov-west-1:${DEV}:rule/dev-push` },
                }),
                "rule-only",
            ),
            // Condition keys are case-insensitive; a wildcard region or resource is fine when the account is exact.
            role(trust("codebuild.amazonaws.com", { StringLike: { "AWS:sourceaccount": DEV } }), "case"),
            role(
                trust("codebuild.amazonaws.com", { ArnLike: { "aws:SourceArn": `arn:*:codebuild:*:${DEV}:*` } }),
                "arn",
            ),
            // Blocks are ANDed: a wide aws:SourceAccount beside an exact aws:SourceArn still narrows to this account.
            role(
                trust("ecs-tasks.amazonaws.com", {
                    StringLike: { "aws:SourceAccount": "*" },
                    ArnLike: { "aws:SourceArn": ecsArn(DEV) },
                }),
                "anded",
            ),
        ];
        expect(await check([iamServiceTrustNarrowed], roles)).to.deep.equal([]);
    });

    it("services that set no source keys, Deny statements and other principals are not judged", async () => {
        const roles = [
            role(trust("ec2.amazonaws.com"), "instance"),
            role(trust("lambda.amazonaws.com"), "function"),
            role(trust("ssm.amazonaws.com", { StringEquals: { "aws:SourceAccount": FOREIGN } }), "ssm"),
            role(
                doc(
                    {
                        Effect: "Allow",
                        Principal: { AWS: `arn:aws-us-gov:iam::${DEV}:root` },
                        Action: "sts:AssumeRole",
                    },
                    { Effect: "Deny", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" },
                ),
                "own",
            ),
        ];
        expect(await check(iamPolicies, roles)).to.deep.equal([]);
    });

    it("a removed condition fails, naming only the services that support it", async () => {
        const mixed = role(trust(["ec2.amazonaws.com", "ecs-tasks.amazonaws.com", "codebuild.amazonaws.com"]));
        expect(await check(iamPolicies, [mixed])).to.deep.equal([
            violation(
                "no aws:SourceAccount or aws:SourceArn condition",
                "ecs-tasks.amazonaws.com, codebuild.amazonaws.com",
            ),
        ]);
        const how = role(trust("ecs-tasks.amazonaws.com", { Bool: { "aws:SecureTransport": "true" } }, { Sid: "Ecs" }));
        expect(await check(iamPolicies, [how])).to.deep.equal([
            violation("no aws:SourceAccount or aws:SourceArn condition", undefined, 'statement "Ecs"'),
        ]);
    });

    it("another account, a wildcard account, negated, IfExists and set operators do not count", async () => {
        const cases: [object, string][] = [
            [
                { StringEquals: { "aws:SourceAccount": FOREIGN } },
                `StringEquals aws:SourceAccount "${FOREIGN}" names account ${FOREIGN}, not this one`,
            ],
            [
                { StringEquals: { "aws:SourceAccount": [DEV, FOREIGN] } },
                `StringEquals aws:SourceAccount "${FOREIGN}" names account ${FOREIGN}, not this one`,
            ],
            [{ StringLike: { "aws:SourceAccount": "*" } }, 'StringLike aws:SourceAccount "*" has a wildcard account'],
            [
                { StringLike: { "aws:SourceAccount": "2718*" } },
                'StringLike aws:SourceAccount "2718*" has a wildcard account',
            ],
            [
                { ArnLike: { "aws:SourceArn": "arn:aws-us-gov:ecs:us-gov-west-1:*:*" } },
                'ArnLike aws:SourceArn "arn:aws-us-gov:ecs:us-gov-west-1:*:*" has a wildcard account',
            ],
            [
                { ArnEquals: { "aws:SourceArn": ecsArn(FOREIGN) } },
                `ArnEquals aws:SourceArn "${ecsArn(FOREIGN)}" names account ${FOREIGN}, not this one`,
            ],
            [
                { StringNotEquals: { "aws:SourceAccount": FOREIGN } },
                "StringNotEquals aws:SourceAccount does not require the key (negated, IfExists or set operator)",
            ],
            [
                { ArnNotLike: { "aws:SourceArn": ecsArn(FOREIGN) } },
                "ArnNotLike aws:SourceArn does not require the key (negated, IfExists or set operator)",
            ],
            [
                { StringEqualsIfExists: { "aws:SourceAccount": DEV } },
                "StringEqualsIfExists aws:SourceAccount does not require the key (negated, IfExists or set operator)",
            ],
            [
                { ArnLikeIfExists: { "aws:SourceArn": ecsArn(DEV) } },
                "ArnLikeIfExists aws:SourceArn does not require the key (negated, IfExists or set operator)",
            ],
            [
                { "ForAnyValue:StringEquals": { "aws:SourceAccount": DEV } },
                "ForAnyValue:StringEquals aws:SourceAccount does not require the key (negated, IfExists or set operator)",
            ],
            [
                { "ForAllValues:StringEquals": { "aws:SourceAccount": DEV } },
                "ForAllValues:StringEquals aws:SourceAccount does not require the key (negated, IfExists or set operator)",
            ],
            [
                { StringEqualsIgnoreCase: { "aws:SourceAccount": DEV } },
                "StringEqualsIgnoreCase aws:SourceAccount does not require the key (negated, IfExists or set operator)",
            ],
            [
                {
                    StringLike: { "aws:SourceAccount": "*" },
                    ArnLike: { "aws:SourceArn": ecsArn(FOREIGN) },
                },
                'StringLike aws:SourceAccount "*" has a wildcard account; ' +
                    `ArnLike aws:SourceArn "${ecsArn(FOREIGN)}" names account ${FOREIGN}, not this one`,
            ],
        ];
        for (const [condition, why] of cases) {
            expect(
                await check(iamPolicies, [role(trust("ecs-tasks.amazonaws.com", condition))]),
                JSON.stringify(condition),
            ).to.deep.equal([violation(why)]);
        }
    });

    it("each program service fails without the condition", async () => {
        for (const service of [
            "codebuild.amazonaws.com",
            "codepipeline.amazonaws.com",
            "events.amazonaws.com",
            "vpc-flow-logs.amazonaws.com",
        ]) {
            expect(await check([iamServiceTrustNarrowed], [role(trust(service))]), service).to.deep.equal([
                violation("no aws:SourceAccount or aws:SourceArn condition", service),
            ]);
        }
    });

    it("the stack's configured account is this account; a trust unknown at preview is decided at pulumi up", async () => {
        const config = {
            stackConfig: { "devsecops-pipelines:environment": "prod", "devsecops-pipelines:prodAccountId": FOREIGN },
        };
        expect(
            await check([iamServiceTrustNarrowed], [role(trust("codebuild.amazonaws.com", ownAccount))], {
                stack: "prod",
                ...config,
            }),
        ).to.deep.equal([
            [
                POLICY,
                "role",
                `Role "role": trust statement 1 lets codebuild.amazonaws.com assume the role on behalf of any account: ` +
                    `StringEquals aws:SourceAccount "${DEV}" names account ${DEV}, not this one; required: ` +
                    `StringEquals aws:SourceAccount with this account (${FOREIGN}), or ArnEquals / ArnLike ` +
                    `aws:SourceArn with resources of this account (${FOREIGN}); fix: add the condition ` +
                    `(serviceTrustPolicy(service, { sourceAccount }) does).`,
            ],
        ]);
        expect(await check([iamServiceTrustNarrowed], [role(unknown)])).to.deep.equal([
            [
                POLICY,
                "role",
                `can't run policy '${POLICY}' from policy pack 'devsecops-pipelines@v0.1.0' during preview: ` +
                    "string value at .assumeRolePolicy can't be known during preview",
            ],
        ]);
    });
});
