import { expect } from "chai";
import { evaluatePolicies } from "../offline/analysis/policyRunner";
import { RunOptions } from "../offline/runtime/mockRuntime";
import { asUserWould, planStack, RecordedResource, runProgram, StackRun } from "./harness";
import { ACCOUNTS } from "./accounts";

// A stack with one Fargate and one Lambda service (a fixture: the checked-in stacks deploy Fargate only).
const P = "aws-us-gov";
const REGION = "us-gov-west-1";
const RECORD = "/cicd/lambda/billing-fn/image";
const SERVICES = ["orders-api", { name: "billing-fn", target: "lambda" }];
const imageOf = (env: keyof typeof ACCOUNTS) =>
    `${ACCOUNTS[env]}.dkr.ecr.${REGION}.amazonaws.com/billing-fn@sha256:${"a".repeat(64)}`;

/** The fixture stack of `env`, with the deploy step's image record when `recorded`. */
function withLambda(env: keyof typeof ACCOUNTS, recorded: boolean): RunOptions {
    return {
        ...asUserWould({ services: SERVICES }),
        world: { ssmParameters: recorded ? { [RECORD]: imageOf(env) } : {} },
    };
}
const ofService = (run: StackRun) =>
    run.resources.filter((r) => r.custom && r.urn.includes("devsecops:service:LambdaService$"));
const one = (run: StackRun, type: string, name: string): RecordedResource => {
    const found = run.resources.filter((r) => r.type === type && r.name === name);
    expect(found, `${type} ${name}`).to.have.length(1);
    return found[0];
};

/** What the Lambda service registers before its function exists (type and name, sorted). */
const BEFORE_FUNCTION = [
    "aws:cloudwatch/logGroup:LogGroup dev-billing-fn-function-logs",
    "aws:cloudwatch/metricAlarm:MetricAlarm dev-billing-fn-function-alarm-duration",
    "aws:cloudwatch/metricAlarm:MetricAlarm dev-billing-fn-function-alarm-errors",
    "aws:cloudwatch/metricAlarm:MetricAlarm dev-billing-fn-function-alarm-throttles",
    "aws:codedeploy/application:Application dev-billing-fn-function-codedeploy",
    "aws:codedeploy/deploymentGroup:DeploymentGroup dev-billing-fn-function-deployment-group",
    "aws:ec2/securityGroup:SecurityGroup dev-billing-fn-function-alb-sg",
    "aws:ec2/securityGroup:SecurityGroup dev-billing-fn-function-function-sg",
    "aws:iam/role:Role dev-billing-fn-function-codedeploy-role",
    "aws:iam/role:Role dev-billing-fn-function-execution",
    "aws:iam/rolePolicy:RolePolicy dev-billing-fn-function-codedeploy-policy",
    "aws:iam/rolePolicy:RolePolicy dev-billing-fn-function-execution-policy",
    "aws:lb/listener:Listener dev-billing-fn-function-http",
    "aws:lb/loadBalancer:LoadBalancer dev-billing-fn-function-alb",
    "aws:lb/targetGroup:TargetGroup dev-billing-fn-function-tg",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule dev-billing-fn-function-function-out",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule dev-billing-fn-function-alb-in-80-0",
];

describe("the Lambda deploy target (a stack with one Fargate and one Lambda service)", () => {
    for (const env of ["dev", "qa", "stage", "prod"] as const) {
        for (const recorded of [false, true]) {
            it(`${env}, ${recorded ? "with" : "before"} the deploy step's image record: no policy finding, 0 undecided`, async () => {
                const run = await planStack(env, withLambda(env, recorded));
                const verdict = await evaluatePolicies(run);
                expect(verdict.violations.map((v) => `${v.policyName}: ${v.message}`)).to.deep.equal([]);
                expect(ofService(run).some((r) => r.type === "aws:lambda/function:Function")).to.equal(recorded);
            });
        }
    }

    it("before the record: everything but the function, its alias, the load balancer's permission and attachment", async () => {
        const run = await planStack("dev", withLambda("dev", false));
        expect(
            ofService(run)
                .map((r) => `${r.type} ${r.name}`)
                .sort(),
        ).to.deep.equal(BEFORE_FUNCTION);
    });

    it("with the record: the function from the recorded image, its alias live, invocable by its target group alone", async () => {
        const run = await planStack("dev", withLambda("dev", true));
        expect(
            ofService(run)
                .map((r) => `${r.type} ${r.name}`)
                .filter((r) => !BEFORE_FUNCTION.includes(r))
                .sort(),
        ).to.deep.equal([
            "aws:lambda/alias:Alias dev-billing-fn-function-alias",
            "aws:lambda/function:Function dev-billing-fn-function-function",
            "aws:lambda/permission:Permission dev-billing-fn-function-alb-invoke",
            "aws:lb/targetGroupAttachment:TargetGroupAttachment dev-billing-fn-function-alb-target",
        ]);
        const fn = one(run, "aws:lambda/function:Function", "dev-billing-fn-function-function");
        expect(fn.inputs).to.deep.include({
            name: "billing-fn",
            packageType: "Image",
            imageUri: imageOf("dev"),
            role: `arn:${P}:iam::${ACCOUNTS.dev}:role/dev-billing-fn-function-execution`,
            timeout: 30,
            reservedConcurrentExecutions: 50,
            publish: true,
            environment: { variables: { AWS_LWA_READINESS_CHECK_PATH: "/health", PORT: "3000" } },
            loggingConfig: { logFormat: "Text", logGroup: "/aws/lambda/billing-fn" },
        });
        expect(fn.inputs.vpcConfig.subnetIds).to.have.length(2);
        expect(fn.ignoreChanges).to.deep.equal(["imageUri", "publish"]);
        const alias = one(run, "aws:lambda/alias:Alias", "dev-billing-fn-function-alias");
        expect(alias.inputs.name).to.equal("live");
        expect(alias.ignoreChanges).to.deep.equal(["functionVersion", "routingConfig"]);
        const permission = one(run, "aws:lambda/permission:Permission", "dev-billing-fn-function-alb-invoke");
        expect(permission.inputs).to.deep.equal({
            action: "lambda:InvokeFunction",
            function: "billing-fn",
            qualifier: "live",
            principal: "elasticloadbalancing.amazonaws.com",
            sourceArn: one(run, "aws:lb/listener:Listener", "dev-billing-fn-function-http").inputs.defaultActions[0]
                .targetGroupArn,
        });
    });

    it("the execution role: its own log group, VPC interfaces, no wildcard action; trusted by Lambda", async () => {
        const run = await planStack("dev", withLambda("dev", true));
        const role = one(run, "aws:iam/role:Role", "dev-billing-fn-function-execution");
        expect(JSON.parse(role.inputs.assumeRolePolicy).Statement).to.deep.equal([
            {
                Effect: "Allow",
                Principal: { Service: "lambda.amazonaws.com" },
                Action: "sts:AssumeRole",
            },
        ]);
        const policy = one(run, "aws:iam/rolePolicy:RolePolicy", "dev-billing-fn-function-execution-policy");
        expect(policy.inputs.role).to.equal("dev-billing-fn-function-execution");
        expect(JSON.parse(policy.inputs.policy).Statement).to.deep.equal([
            {
                Sid: "WriteLogs",
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                Resource: `arn:${P}:logs:${REGION}:${ACCOUNTS.dev}:log-group:/aws/lambda/billing-fn:log-stream:*`,
            },
            {
                Sid: "VpcNetworkInterfaces",
                Effect: "Allow",
                Action: [
                    "ec2:CreateNetworkInterface",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DescribeSubnets",
                    "ec2:DeleteNetworkInterface",
                    "ec2:AssignPrivateIpAddresses",
                    "ec2:UnassignPrivateIpAddresses",
                ],
                Resource: "*",
            },
        ]);
    });

    it("CodeDeploy: canary 10 % for 5 minutes, rolled back on failure or on the errors, throttles and duration alarms", async () => {
        const run = await planStack("dev", withLambda("dev", true));
        const group = one(
            run,
            "aws:codedeploy/deploymentGroup:DeploymentGroup",
            "dev-billing-fn-function-deployment-group",
        );
        expect(group.inputs).to.deep.equal({
            appName: "dev-billing-fn-function",
            deploymentGroupName: "dev-billing-fn-function",
            serviceRoleArn: `arn:${P}:iam::${ACCOUNTS.dev}:role/dev-billing-fn-function-codedeploy`,
            deploymentConfigName: "CodeDeployDefault.LambdaCanary10Percent5Minutes",
            deploymentStyle: { deploymentOption: "WITH_TRAFFIC_CONTROL", deploymentType: "BLUE_GREEN" },
            autoRollbackConfiguration: { enabled: true, events: ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"] },
            alarmConfiguration: {
                enabled: true,
                alarms: ["billing-fn-lambda-errors", "billing-fn-lambda-throttles", "billing-fn-lambda-duration"],
            },
        });
        const duration = one(run, "aws:cloudwatch/metricAlarm:MetricAlarm", "dev-billing-fn-function-alarm-duration");
        expect(duration.inputs).to.deep.include({
            metricName: "Duration",
            statistic: "Maximum",
            threshold: 24000,
            comparisonOperator: "GreaterThanThreshold",
            dimensions: { FunctionName: "billing-fn", Resource: "billing-fn:live" },
            alarmActions: [`arn:${P}:sns:${REGION}:${ACCOUNTS.dev}:cicd-dev-notifications`],
        });
        const policy = one(run, "aws:iam/rolePolicy:RolePolicy", "dev-billing-fn-function-codedeploy-policy");
        const fn = `arn:${P}:lambda:${REGION}:${ACCOUNTS.dev}:function:billing-fn`;
        expect(JSON.parse(policy.inputs.policy).Statement[0]).to.deep.equal({
            Sid: "ShiftAlias",
            Effect: "Allow",
            Action: ["lambda:GetAlias", "lambda:UpdateAlias", "lambda:GetProvisionedConcurrencyConfig"],
            Resource: [fn, `${fn}:*`],
        });
    });

    it("the pipeline deploys with DeployToLambda after the scan gate and the approval; its role has the step's statements", async () => {
        const run = await planStack("prod", withLambda("prod", true));
        const pipeline = one(run, "aws:codepipeline/pipeline:Pipeline", "prod-billing-fn-pipeline");
        expect(
            pipeline.inputs.stages.map((s: any) => `${s.name}: ${s.actions.map((a: any) => a.name).join(", ")}`),
        ).to.deep.equal([
            "Source: Source",
            "Build: UnitTests, SecurityScan, PromoteImage, ImageScanGate",
            "Approval: ApproveRelease",
            "Deploy: DeployToLambda",
            "Release: PublishRelease",
        ]);
        const project = one(run, "aws:codebuild/project:Project", "prod-billing-fn-builds-deploy");
        expect(project.inputs.tags.PipelineStep).to.equal("deploy");
        expect(project.inputs.buildTimeout).to.equal(45);
        const statements = JSON.parse(
            one(run, "aws:iam/rolePolicy:RolePolicy", "prod-billing-fn-builds-deploy-policy").inputs.policy,
        ).Statement;
        const fn = `arn:${P}:lambda:${REGION}:${ACCOUNTS.prod}:function:billing-fn`;
        const codedeploy = `arn:${P}:codedeploy:${REGION}:${ACCOUNTS.prod}`;
        expect(statements.slice(-7)).to.deep.equal([
            {
                Sid: "PublishFunctionVersions",
                Effect: "Allow",
                Action: ["lambda:GetFunction", "lambda:UpdateFunctionCode", "lambda:PublishVersion"],
                Resource: fn,
            },
            {
                Sid: "ReadFunctionVersions",
                Effect: "Allow",
                Action: ["lambda:GetFunction", "lambda:GetFunctionConfiguration", "lambda:GetAlias"],
                Resource: `${fn}:*`,
            },
            {
                Sid: "ReadImage",
                Effect: "Allow",
                Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                Resource: `arn:${P}:ecr:${REGION}:${ACCOUNTS.prod}:repository/billing-fn`,
            },
            {
                Sid: "DeployAlias",
                Effect: "Allow",
                Action: ["codedeploy:CreateDeployment", "codedeploy:GetDeployment"],
                Resource: `${codedeploy}:deploymentgroup:prod-billing-fn-function/prod-billing-fn-function`,
            },
            {
                Sid: "RegisterRevisions",
                Effect: "Allow",
                Action: ["codedeploy:GetApplicationRevision", "codedeploy:RegisterApplicationRevision"],
                Resource: `${codedeploy}:application:prod-billing-fn-function`,
            },
            {
                Sid: "ReadDeploymentConfig",
                Effect: "Allow",
                Action: "codedeploy:GetDeploymentConfig",
                Resource: `${codedeploy}:deploymentconfig:CodeDeployDefault.LambdaCanary10Percent5Minutes`,
            },
            {
                Sid: "RecordDeployedImage",
                Effect: "Allow",
                Action: ["ssm:GetParameter", "ssm:PutParameter"],
                Resource: `arn:${P}:ssm:${REGION}:${ACCOUNTS.prod}:parameter/cicd/lambda/billing-fn/image`,
            },
        ]);
    });

    it("reads the Lambda records only in a stack with a Lambda service, in one more call", async () => {
        const run = await planStack("qa", withLambda("qa", false));
        expect(run.calls.filter((c) => c.token.startsWith("aws:ssm/")).map((c) => c.inputs.path)).to.deep.equal([
            "/cicd/ecs",
            "/cicd/lambda",
        ]);
    });

    it("a record that is no image of the service's repository by digest stops the program before anything is registered", async () => {
        for (const value of ["x", imageOf("qa"), `${imageOf("dev")}0`]) {
            const run = await runProgram("dev", {
                ...asUserWould({ services: SERVICES }),
                world: { ssmParameters: { [RECORD]: value } },
            });
            expect(run.error?.message, value).to.equal(
                "Invalid deploy record in SSM Parameter Store; nothing was deployed:\n" +
                    `  - ${RECORD} holds ${JSON.stringify(value)}, expected the image of billing-fn's repository in this account by digest ` +
                    `(${ACCOUNTS.dev}.dkr.ecr.${REGION}.amazonaws.com/billing-fn@sha256:<64 hex>), as its deploy step records it: delete the parameter and run the pipeline`,
            );
            expect(run.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"))).to.deep.equal([]);
        }
    });
});
