import { expect } from "chai";
import { lambdaPolicies } from "../policies/lambda";
import { ACCOUNTS, check, res } from "./fixtures";

const P = "arn:aws-us-gov";
const TG = `${P}:elasticloadbalancing:us-gov-west-1:${ACCOUNTS.dev}:targetgroup/billing-fn-073b5ac7/0123456789abcdef`;
const ROLE = "dev-billing-fn-function-execution";

const permission = (inputs: Record<string, any>, name = "invoke") =>
    res("aws:lambda/permission:Permission", name, {
        action: "lambda:InvokeFunction",
        function: "billing-fn",
        qualifier: "live",
        ...inputs,
    });
const fn = (inputs: Record<string, any> = {}) =>
    res("aws:lambda/function:Function", "billing-fn", {
        name: "billing-fn",
        packageType: "Image",
        imageUri: `${ACCOUNTS.dev}.dkr.ecr.us-gov-west-1.amazonaws.com/billing-fn@sha256:${"a".repeat(64)}`,
        role: `${P}:iam::${ACCOUNTS.dev}:role/${ROLE}`,
        vpcConfig: { subnetIds: ["subnet-a", "subnet-b"], securityGroupIds: ["sg-1"] },
        ...inputs,
    });
const sg = res("aws:ec2/securityGroup:SecurityGroup", "function-sg", { vpcId: "vpc-1" });
const rolePolicy = (statements: object[], name = "execution-policy") =>
    res("aws:iam/rolePolicy:RolePolicy", name, {
        role: ROLE,
        policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }),
    });
const LOGS = {
    Sid: "WriteLogs",
    Effect: "Allow",
    Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
    Resource: `${P}:logs:us-gov-west-1:${ACCOUNTS.dev}:log-group:/aws/lambda/billing-fn:log-stream:*`,
};
const ENIS = {
    Sid: "VpcNetworkInterfaces",
    Effect: "Allow",
    Action: ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface"],
    Resource: "*",
};

describe("Lambda policies (Lambda.1, Lambda.2, Lambda.3, Lambda.5, no anonymous URL, no wildcard in the execution role)", () => {
    it("the program's function passes: in the VPC in two subnets, invoked by its target group, an exact execution role", async () => {
        expect(
            await check(lambdaPolicies, [
                sg,
                fn(),
                permission({ principal: "elasticloadbalancing.amazonaws.com", sourceArn: TG }),
                permission({ principal: ACCOUNTS.dev }, "own-account"),
                rolePolicy([LOGS, ENIS]),
                res("aws:lambda/functionUrl:FunctionUrl", "url", {
                    functionName: "billing-fn",
                    authorizationType: "AWS_IAM",
                }),
                fn({ packageType: "Zip", runtime: "nodejs22.x", imageUri: undefined }),
            ]),
        ).to.deep.equal([]);
    });

    it("Lambda.1: anyone, another account, a service without a source condition", async () => {
        const violations = await check(lambdaPolicies, [
            permission({ principal: "*" }),
            permission({ principal: `${P}:iam::999999999999:root` }, "other-account"),
            permission({ principal: "elasticloadbalancing.amazonaws.com" }, "any-balancer"),
        ]);
        const end =
            "; required: a principal of this stack's accounts, or a service narrowed by sourceArn; fix: set sourceArn to the invoking resource.";
        expect(violations).to.deep.equal([
            [
                "lambda-no-public-access",
                "invoke",
                `Lambda permission "invoke" grants lambda:InvokeFunction to principal "*" (anyone)${end}`,
            ],
            [
                "lambda-no-public-access",
                "other-account",
                `Lambda permission "other-account" grants lambda:InvokeFunction to principal ${P}:iam::999999999999:root, another account${end}`,
            ],
            [
                "lambda-no-public-access",
                "any-balancer",
                `Lambda permission "any-balancer" grants lambda:InvokeFunction to principal elasticloadbalancing.amazonaws.com without sourceArn or sourceAccount (any of that service's customers)${end}`,
            ],
        ]);
    });

    it("no anonymous function URL", async () => {
        expect(
            await check(lambdaPolicies, [
                res("aws:lambda/functionUrl:FunctionUrl", "url", {
                    functionName: "billing-fn",
                    authorizationType: "NONE",
                }),
            ]),
        ).to.deep.equal([
            [
                "lambda-function-url-iam-auth",
                "url",
                'Function URL "url" has authorizationType "NONE"; required: AWS_IAM (an anonymous URL lets anyone invoke the function); fix: set authorizationType: "AWS_IAM", or put the function behind a load balancer.',
            ],
        ]);
    });

    it("Lambda.2: a .zip function on a deprecated runtime", async () => {
        const violations = await check(lambdaPolicies, [
            sg,
            fn({ packageType: "Zip", runtime: "nodejs16.x", imageUri: undefined }),
        ]);
        expect(violations).to.deep.equal([
            [
                "lambda-supported-runtime",
                "billing-fn",
                'Lambda function "billing-fn" has runtime "nodejs16.x"; required: one of nodejs20.x, nodejs22.x, python3.10, python3.11, python3.12, python3.13, java11, java17, java21, java8.al2, dotnet8, ruby3.3, ruby3.4, provided.al2, provided.al2023; fix: move it to a supported runtime.',
            ],
        ]);
    });

    it("Lambda.3 and Lambda.5: no VPC placement in a stack with a VPC; one subnet", async () => {
        expect(await check(lambdaPolicies, [sg, fn({ vpcConfig: undefined })])).to.deep.equal([
            [
                "lambda-in-vpc",
                undefined,
                'Lambda function "billing-fn" has no VPC placement (subnets 0, security groups 0) in a stack with a VPC; required: vpcConfig with the private subnets and a security group; fix: set vpcConfig.',
            ],
        ]);
        expect(
            await check(lambdaPolicies, [
                sg,
                fn({ vpcConfig: { subnetIds: ["subnet-a"], securityGroupIds: ["sg-1"] } }),
            ]),
        ).to.deep.equal([
            [
                "lambda-multi-az",
                undefined,
                'Lambda function "billing-fn" has subnets in 1 Availability Zone; required: at least 2; fix: give vpcConfig.subnetIds subnets of two zones or more.',
            ],
        ]);
        // Two subnets of the stack in one zone are one zone.
        const subnet = (id: string) =>
            res("aws:ec2/subnet:Subnet", id, { id, vpcId: "vpc-1", availabilityZone: "us-gov-west-1a" });
        expect(
            (await check(lambdaPolicies, [sg, subnet("subnet-a"), subnet("subnet-b"), fn()])).map((v) => v[0]),
        ).to.deep.equal(["lambda-multi-az"]);
        // Without a VPC in the stack, a function outside one passes Lambda.3.
        expect(await check(lambdaPolicies, [fn({ vpcConfig: undefined })])).to.deep.equal([]);
    });

    it('the execution role: wildcard actions, NotAction, Resource "*" beyond the network interfaces, a managed policy', async () => {
        const violations = await check(lambdaPolicies, [
            sg,
            fn(),
            rolePolicy([
                LOGS,
                { Sid: "All", Effect: "Allow", Action: "s3:*", Resource: `${P}:s3:::bucket/*` },
                {
                    Sid: "Unscoped",
                    Effect: "Allow",
                    Action: ["dynamodb:GetItem", "ec2:DescribeSubnets"],
                    Resource: "*",
                },
                { Effect: "Allow", NotAction: "iam:*", Resource: `${P}:s3:::bucket` },
                { Sid: "Denied", Effect: "Deny", Action: "*", Resource: "*" },
            ]),
            res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "basic", {
                role: ROLE,
                policyArn: `${P}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole`,
            }),
        ]);
        const end =
            "; required: exact actions on exact resources; fix: name the actions and the function's own resources.";
        const start = `Execution role ${ROLE} of Lambda function "billing-fn": policy "execution-policy" statement`;
        expect(violations).to.deep.equal([
            ["lambda-execution-role-no-wildcard", undefined, `${start} All grants action s3:*${end}`],
            [
                "lambda-execution-role-no-wildcard",
                undefined,
                `${start} Unscoped grants dynamodb:GetItem on Resource "*"${end}`,
            ],
            ["lambda-execution-role-no-wildcard", undefined, `${start} 4 grants NotAction${end}`],
            [
                "lambda-execution-role-no-wildcard",
                undefined,
                `Execution role ${ROLE} of Lambda function "billing-fn" has managed policy ${P}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole attached ("basic"); required: only its own inline policy with exact actions; fix: replace the attachment.`,
            ],
        ]);
    });
});
