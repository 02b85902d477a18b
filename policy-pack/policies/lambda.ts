import * as aws from "@pulumi/aws";
import { PolicyResource, validateResourceOfType } from "@pulumi/policy";
import {
    contextOf,
    Deferred,
    isAllow,
    list,
    ownAccounts,
    resourcePolicy,
    Statement,
    stackPolicy,
    statementsOf,
    UNKNOWN,
} from "./common";

const FUNCTION = "aws:lambda/function:Function";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment";
/** What places resources in a VPC of the stack: a VPC, a security group, the program's network component. */
const VPC_TYPES = ["aws:ec2/vpc:Vpc", "awsx:ec2:Vpc", "aws:ec2/securityGroup:SecurityGroup"];

/**
 * Managed runtimes Lambda supports for new functions (Lambda developer guide, "Lambda runtimes": the supported
 * list; deprecated runtimes such as nodejs16.x and nodejs18.x are out). A container image function has no runtime:
 * its base image is the service's, scanned by the pipeline's image scan gate.
 */
export const SUPPORTED_LAMBDA_RUNTIMES = [
    "nodejs20.x",
    "nodejs22.x",
    "python3.10",
    "python3.11",
    "python3.12",
    "python3.13",
    "java11",
    "java17",
    "java21",
    "java8.al2",
    "dotnet8",
    "ruby3.3",
    "ruby3.4",
    "provided.al2",
    "provided.al2023",
];

/**
 * Actions an execution role may hold on Resource "*": those of a VPC placement, which Lambda performs with the
 * execution role and its managed policy AWSLambdaVPCAccessExecutionRole grants on "*" (Describe* supports no
 * resource-level permissions).
 */
export const UNSCOPED_EXECUTION_ACTIONS = [
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
];

/** Who a permission's principal is: anyone, an account, or a service (with or without a source condition). */
function permissionProblem(
    p: { principal?: string; sourceArn?: string; sourceAccount?: string },
    own: readonly string[],
): string | undefined {
    const principal = p.principal ?? "";
    if (principal === "*") return 'principal "*" (anyone)';
    const account = /^(\d{12})$|^arn:[\w-]+:iam::(\d{12}):/.exec(principal);
    if (account) {
        const id = account[1] ?? account[2];
        return own.includes(id) ? undefined : `principal ${principal}, another account`;
    }
    if (principal.endsWith(".amazonaws.com") && !p.sourceArn && !p.sourceAccount) {
        return `principal ${principal} without sourceArn or sourceAccount (any of that service's customers)`;
    }
    return undefined;
}

export const lambdaNoPublicAccess = resourcePolicy(
    {
        name: "lambda-no-public-access",
        summary:
            'Lambda permissions grant invocation to no one outside the stack\'s accounts: no principal "*", no other account, no service principal without sourceArn or sourceAccount.',
        severity: "critical",
        fsbp: ["Lambda.1"],
        nist: ["AC-3", "AC-21", "SC-7"],
    },
    validateResourceOfType(aws.lambda.Permission, (permission, args, report) => {
        const own = ownAccounts(contextOf(args.provider));
        // A source condition unknown at preview (the target group's ARN) is set all the same.
        const deferred = new Deferred();
        const set = (read: () => string | undefined) => {
            const value = deferred.peek(read);
            return value === UNKNOWN ? "(known after apply)" : value;
        };
        const problem = permissionProblem(
            {
                principal: set(() => permission.principal),
                sourceArn: set(() => permission.sourceArn),
                sourceAccount: set(() => permission.sourceAccount),
            },
            own,
        );
        if (problem) {
            report(
                `Lambda permission "${args.name}" grants ${permission.action} to ${problem}; required: a principal of ` +
                    `this stack's accounts, or a service narrowed by sourceArn; fix: set sourceArn to the invoking resource.`,
            );
        }
    }),
);

export const lambdaNoAnonymousUrl = resourcePolicy(
    {
        name: "lambda-function-url-iam-auth",
        summary: "Lambda function URLs require IAM authentication (authorizationType AWS_IAM, never NONE).",
        severity: "critical",
        fsbp: ["Lambda.1"],
        nist: ["AC-3", "IA-2", "SC-7"],
    },
    validateResourceOfType(aws.lambda.FunctionUrl, (url, args, report) => {
        if (url.authorizationType !== "AWS_IAM") {
            report(
                `Function URL "${args.name}" has authorizationType ${JSON.stringify(url.authorizationType ?? null)}; ` +
                    `required: AWS_IAM (an anonymous URL lets anyone invoke the function); fix: set authorizationType: ` +
                    `"AWS_IAM", or put the function behind a load balancer.`,
            );
        }
    }),
);

export const lambdaSupportedRuntime = resourcePolicy(
    {
        name: "lambda-supported-runtime",
        summary:
            "Lambda functions from a .zip package use a supported managed runtime (container images carry their own).",
        severity: "medium",
        fsbp: ["Lambda.2"],
        nist: ["SI-2", "SA-22"],
    },
    validateResourceOfType(aws.lambda.Function, (fn, args, report) => {
        if (fn.packageType === "Image") return;
        if (!SUPPORTED_LAMBDA_RUNTIMES.includes(fn.runtime ?? "")) {
            report(
                `Lambda function "${args.name}" has runtime ${JSON.stringify(fn.runtime ?? null)}; required: one of ` +
                    `${SUPPORTED_LAMBDA_RUNTIMES.join(", ")}; fix: move it to a supported runtime.`,
            );
        }
    }),
);

/** The function's subnets (each id, or its position while unknown); UNKNOWN while the list itself is unknown. */
function subnetsOf(fn: PolicyResource, deferred: Deferred): string[] | typeof UNKNOWN {
    const values = deferred.read(() => (fn.props.vpcConfig as { subnetIds?: unknown } | undefined)?.subnetIds);
    if (values === UNKNOWN) return UNKNOWN;
    if (!Array.isArray(values)) return [];
    // By index: mapping the array would read an unknown element outside peek.
    return Array.from({ length: values.length }, (_, i) => {
        const id = deferred.peek(() => String(values[i]));
        return id === UNKNOWN ? `#${i}` : id;
    });
}

/**
 * Whether the function has subnets and security groups: a list the preview does not know yet is set all the same
 * (the program passes the network's subnets and its own group).
 */
function placedInVpc(fn: PolicyResource, deferred: Deferred): { subnets: number; groups: number } | typeof UNKNOWN {
    const config = deferred.read(() => fn.props.vpcConfig as { subnetIds?: unknown; securityGroupIds?: unknown });
    if (config === UNKNOWN) return UNKNOWN;
    const count = (key: "subnetIds" | "securityGroupIds") => {
        const values = deferred.peek(() => config?.[key]);
        return values === UNKNOWN ? 1 : Array.isArray(values) ? values.length : 0;
    };
    return { subnets: count("subnetIds"), groups: count("securityGroupIds") };
}

export const lambdaInVpc = stackPolicy(
    {
        name: "lambda-in-vpc",
        summary: "In a stack with a VPC, every Lambda function is placed in it (subnets and a security group).",
        severity: "high",
        fsbp: ["Lambda.3"],
        nist: ["SC-7", "AC-4"],
    },
    (args, report) => {
        if (!args.resources.some((r) => VPC_TYPES.includes(r.type))) return;
        const deferred = new Deferred();
        for (const fn of args.resources.filter((r) => r.type === FUNCTION)) {
            const placement = placedInVpc(fn, deferred);
            if (placement === UNKNOWN) continue;
            if (placement.subnets === 0 || placement.groups === 0) {
                report(
                    `Lambda function "${fn.name}" has no VPC placement (subnets ${placement.subnets}, security ` +
                        `groups ${placement.groups}) in a stack with a VPC; required: vpcConfig with the private ` +
                        `subnets and a security group; fix: set vpcConfig.`,
                );
            }
        }
        deferred.finish();
    },
);

/** Subnets a VPC function needs: two, so that it runs in at least two Availability Zones. */
export const MIN_FUNCTION_SUBNETS = 2;

export const lambdaMultiAz = stackPolicy(
    {
        name: "lambda-multi-az",
        summary: "Lambda functions in a VPC have subnets in at least two Availability Zones.",
        severity: "medium",
        fsbp: ["Lambda.5"],
        nist: ["CP-10", "SC-5"],
    },
    (args, report) => {
        const deferred = new Deferred();
        const zoneOf = new Map(
            args.resources
                .filter((r) => r.type === "aws:ec2/subnet:Subnet")
                .map((s) => [deferred.peek(() => s.props.id as string), deferred.peek(() => s.props.availabilityZone)]),
        );
        for (const fn of args.resources.filter((r) => r.type === FUNCTION)) {
            const subnets = subnetsOf(fn, deferred);
            if (subnets === UNKNOWN || subnets.length === 0) continue;
            // A subnet of the stack counts by its zone; another (an existing VPC's) by itself.
            const zones = new Set(subnets.map((s) => zoneOf.get(s) ?? s));
            if (zones.size < MIN_FUNCTION_SUBNETS) {
                report(
                    `Lambda function "${fn.name}" has subnets in ${zones.size} Availability Zone; required: at least ` +
                        `${MIN_FUNCTION_SUBNETS}; fix: give vpcConfig.subnetIds subnets of two zones or more.`,
                );
            }
        }
        deferred.finish();
    },
);

/** What a statement of an execution role's policy grants too broadly, if anything. */
function wildcardOf(s: Statement): string[] {
    if (!isAllow(s)) return [];
    const problems: string[] = [];
    if (s.NotAction !== undefined) problems.push("NotAction");
    if (s.NotResource !== undefined) problems.push("NotResource");
    const actions = list(s.Action);
    problems.push(...actions.filter((a) => a.includes("*")).map((a) => `action ${a}`));
    if (list(s.Resource).includes("*")) {
        problems.push(
            ...actions
                .filter((a) => !a.includes("*") && !UNSCOPED_EXECUTION_ACTIONS.includes(a))
                .map((a) => `${a} on Resource "*"`),
        );
    }
    return problems;
}

export const lambdaExecutionRoleNoWildcard = stackPolicy(
    {
        name: "lambda-execution-role-no-wildcard",
        summary:
            "A Lambda function's execution role has exact actions: no wildcard action, NotAction or NotResource, Resource \"*\" only for the VPC placement's network interface actions, and no managed policy attached.",
        severity: "high",
        nist: ["AC-6", "AC-3"],
    },
    (args, report) => {
        const deferred = new Deferred();
        for (const fn of args.resources.filter((r) => r.type === FUNCTION)) {
            const roleArn = deferred.read(() => fn.props.role as string);
            if (roleArn === UNKNOWN) continue;
            const roleName = String(roleArn).split("/").pop();
            const ofRole = (type: string) =>
                args.resources.filter((r) => r.type === type && deferred.peek(() => r.props.role) === roleName);
            for (const policy of ofRole(ROLE_POLICY)) {
                const document = deferred.read(() => policy.props.policy);
                if (document === UNKNOWN) continue;
                const statements = statementsOf(document) ?? [];
                statements.forEach((s, i) => {
                    const problems = wildcardOf(s);
                    if (problems.length > 0) {
                        report(
                            `Execution role ${roleName} of Lambda function "${fn.name}": policy "${policy.name}" ` +
                                `statement ${s.Sid ?? i + 1} grants ${problems.join(", ")}; required: exact actions on ` +
                                `exact resources; fix: name the actions and the function's own resources.`,
                        );
                    }
                });
            }
            for (const attachment of ofRole(ROLE_POLICY_ATTACHMENT)) {
                report(
                    `Execution role ${roleName} of Lambda function "${fn.name}" has managed policy ` +
                        `${String(deferred.peek(() => attachment.props.policyArn))} attached ("${attachment.name}"); ` +
                        `required: only its own inline policy with exact actions; fix: replace the attachment.`,
                );
            }
        }
        deferred.finish();
    },
);

/** The Lambda policies, in the order the README lists them. */
export const lambdaPolicies = [
    lambdaNoPublicAccess,
    lambdaNoAnonymousUrl,
    lambdaSupportedRuntime,
    lambdaInVpc,
    lambdaMultiAz,
    lambdaExecutionRoleNoWildcard,
];
