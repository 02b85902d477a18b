import * as aws from "@pulumi/aws";
import { validateResourceOfType } from "@pulumi/policy";
import {
    accountOfArn,
    contextOf,
    Deferred,
    createdHere,
    known,
    NON_SECRET_SOURCES,
    ownAccounts,
    resourcePolicy,
    stackPolicy,
    stackProvider,
    UNKNOWN,
} from "./common";
import { secretLooking } from "./codebuild";

// The audit trail: what the network did (flow logs), who hears of a failed release (alarm actions, subscriptions),
// and secrets kept where an audit expects them (SecureString parameters).

/** VPCs the stack creates: the provider's resource, or awsx's component (its VPC is created inside). */
const VPC_TYPES = ["aws:ec2/vpc:Vpc", "awsx:ec2:Vpc"];
const FLOW_LOG = "aws:ec2/flowLog:FlowLog";

/** The resource types whose ARN a flow log's property names: one of them created by this stack is of this account. */
const OWN_ARN_SOURCES: Record<string, readonly string[]> = {
    logDestination: ["aws:cloudwatch/logGroup:LogGroup", "aws:s3/bucket:Bucket"],
    iamRoleArn: ["aws:iam/role:Role"],
    deliverCrossAccountRole: [],
};

export const vpcFlowLogsAllTraffic = stackPolicy(
    {
        name: "vpc-flow-logs-all-traffic",
        summary:
            "Every VPC the stack creates has a flow log of ALL traffic (accepted and rejected), delivered to a destination of this account by a role of this account.",
        severity: "medium",
        fsbp: ["EC2.6"],
        nist: ["AU-2", "AU-12", "SI-4"],
    },
    (args, report) => {
        const vpcs = args.resources.filter((r) => VPC_TYPES.includes(r.type));
        const logs = args.resources.filter((r) => r.type === FLOW_LOG);
        if (vpcs.length === 0 && logs.length === 0) args.notApplicable("the stack creates no VPC");
        const own = ownAccounts(contextOf(stackProvider(args.resources)));
        const deferred = new Deferred();
        for (const vpc of vpcs) {
            const id = known(() => vpc.props.vpcId ?? vpc.props.id);
            const attached = logs.filter(
                (l) =>
                    l.dependencies.some((d) => d.urn === vpc.urn) ||
                    (id !== undefined && known(() => l.props.vpcId) === id),
            );
            if (attached.length === 0) {
                report(
                    `VPC "${vpc.name}" has no flow log; required: an aws.ec2.FlowLog of the VPC with trafficType ` +
                        `"ALL"; fix: create it (the network component does with flowLogs settings).`,
                    vpc.urn,
                );
            }
        }
        for (const log of logs) {
            const traffic = deferred.read(() => log.props.trafficType);
            const problems: string[] = [];
            if (traffic !== UNKNOWN && traffic !== "ALL") problems.push(`trafficType ${JSON.stringify(traffic)}`);
            for (const property of ["logDestination", "iamRoleArn", "deliverCrossAccountRole"]) {
                const value = deferred.peek(() => log.props[property] as string | undefined);
                // Unknown at preview: decided when the value comes from a resource this stack creates of the type
                // the property names (its provider's account is this account); else it waits for `pulumi up`.
                if (value === UNKNOWN) {
                    if (!createdHere(log, property, OWN_ARN_SOURCES[property]))
                        deferred.read(() => log.props[property]);
                    continue;
                }
                if (!value) continue;
                const account = accountOfArn(value);
                if (property === "deliverCrossAccountRole" || (account && !own.includes(account)))
                    problems.push(`${property} ${value} of account ${account ?? "(unknown)"}`);
            }
            if (problems.length > 0) {
                report(
                    `Flow log "${log.name}" has ${problems.join(", ")}; required: trafficType "ALL" delivered to a ` +
                        `log group of this account (${own.join(", ") || "unknown"}) by a role of this account; fix: ` +
                        `set trafficType "ALL" and this account's log group and role.`,
                    log.urn,
                );
            }
        }
        deferred.finish();
    },
);

export const alarmHasActions = resourcePolicy(
    {
        name: "cloudwatch-alarm-actions",
        summary:
            "CloudWatch alarms have actions enabled and at least one alarm action, every one a resource of this account (someone hears of a failed release).",
        severity: "medium",
        fsbp: ["CloudWatch.15"],
        nist: ["AU-5", "SI-4", "IR-6"],
    },
    validateResourceOfType(aws.cloudwatch.MetricAlarm, (alarm, args, report) => {
        const own = ownAccounts(contextOf(args.provider));
        const deferred = new Deferred();
        const actions = deferred.read(() => (alarm.alarmActions ?? []) as string[]);
        const enabled = deferred.read(() => alarm.actionsEnabled);
        deferred.finish();
        const problems: string[] = [];
        if (enabled === false) problems.push("actionsEnabled false");
        if (actions !== UNKNOWN) {
            if (actions.length === 0) problems.push("no alarmActions");
            for (const a of actions) {
                const account = typeof a === "string" ? accountOfArn(a) : undefined;
                if (account && !own.includes(account)) problems.push(`alarm action ${a} of account ${account}`);
            }
        }
        if (problems.length > 0) {
            report(
                `Alarm "${args.name}" has ${problems.join(", ")}; required: actions enabled and alarmActions naming ` +
                    `this account's notification topic; fix: set alarmActions to the topic's ARN.`,
            );
        }
    }),
);

/** Protocols whose endpoint is a resource ARN (checked for its account); http is never accepted, https and email are. */
const ARN_PROTOCOLS = ["sqs", "lambda", "firehose", "application"];

export const snsSubscriptionSecure = resourcePolicy(
    {
        name: "sns-subscription-secure-endpoint",
        summary:
            "SNS subscriptions never deliver over plain HTTP, and a queue, function or stream endpoint is a resource of this account.",
        severity: "high",
        nist: ["SC-8", "AC-4"],
    },
    validateResourceOfType(aws.sns.TopicSubscription, (sub, args, report) => {
        const own = ownAccounts(contextOf(args.provider));
        const deferred = new Deferred();
        const protocol = deferred.read(() => sub.protocol);
        const endpoint = deferred.read(() => sub.endpoint);
        deferred.finish();
        if (protocol === UNKNOWN) return;
        if (protocol === "http") {
            report(
                `Subscription "${args.name}" delivers over plain HTTP to ${endpoint === UNKNOWN ? "(unknown)" : endpoint}; ` +
                    `required: https (or email, or a resource of this account); fix: use protocol "https".`,
            );
            return;
        }
        if (ARN_PROTOCOLS.includes(protocol) && endpoint !== UNKNOWN) {
            const account = accountOfArn(String(endpoint));
            if (account && !own.includes(account)) {
                report(
                    `Subscription "${args.name}" delivers to ${endpoint} of account ${account}; required: an endpoint ` +
                        `of this account (${own.join(", ") || "unknown"}); fix: subscribe a resource of this account.`,
                );
            }
        }
    }),
);

export const ssmSecretsSecureString = resourcePolicy(
    {
        name: "ssm-parameter-secrets-secure-string",
        summary:
            "SSM parameters whose name or value looks like a secret (password, token, key, credentials in a URL) are SecureString, never String or StringList.",
        severity: "critical",
        nist: ["IA-5", "SC-28"],
    },
    validateResourceOfType(aws.ssm.Parameter, (parameter, args, report) => {
        const deferred = new Deferred();
        const type = deferred.read(() => parameter.type);
        const name = deferred.read(() => parameter.name ?? args.name);
        // A value unknown at preview is decided by the stack validation below.
        const value = deferred.peek(() => parameter.insecureValue ?? parameter.value);
        deferred.finish();
        if (type === UNKNOWN || type === "SecureString") return;
        const why =
            (name !== UNKNOWN ? secretLooking(String(name).split("/").pop() ?? "", undefined) : undefined) ??
            (value !== UNKNOWN ? secretLooking("", value) : undefined);
        if (why) {
            report(
                `SSM parameter "${args.name}" is a ${type} whose ${why} looks like a secret; required: type ` +
                    `SecureString with a customer-managed key (or Secrets Manager); fix: set type "SecureString" and keyId.`,
            );
        }
    }),
    undefined,
    (args) => {
        // A value unknown at preview is an output of what it depends on: decided when that is only resources whose
        // outputs are never secrets (a task definition's ARN); else left to `pulumi up`.
        const deferred = new Deferred();
        for (const parameter of args.resources.filter((r) => r.isType(aws.ssm.Parameter))) {
            if (deferred.peek(() => parameter.props.type) === "SecureString") continue;
            for (const property of ["insecureValue", "value"]) {
                if (deferred.peek(() => parameter.props[property]) !== UNKNOWN) continue;
                if (!createdHere(parameter, property, NON_SECRET_SOURCES))
                    deferred.read(() => parameter.props[property]);
            }
        }
        deferred.finish();
    },
);

/** The accounts a dashboard body names: of its alarm ARNs and of its metrics' `accountId`. */
function dashboardAccounts(body: string): string[] {
    const alarms = [...body.matchAll(/arn:[^:"]+:cloudwatch:[^:"]*:(\d{12}):alarm:/g)].map((m) => m[1]);
    const metrics = [...body.matchAll(/"accountId"\s*:\s*"(\d{12})"/g)].map((m) => m[1]);
    return [...new Set([...alarms, ...metrics])];
}

export const dashboardOwnAccount = resourcePolicy(
    {
        name: "cloudwatch-dashboard-own-account",
        summary: "A dashboard shows only its own account's alarms and metrics: each account watches itself.",
        severity: "medium",
        nist: ["AC-4", "SI-4"],
    },
    validateResourceOfType(aws.cloudwatch.Dashboard, (dashboard, args, report) => {
        const ctx = contextOf(args.provider);
        if (typeof dashboard.dashboardBody !== "string" || ctx.account === undefined) return;
        const foreign = dashboardAccounts(dashboard.dashboardBody).filter((a) => a !== ctx.account);
        if (foreign.length > 0) {
            report(
                `Dashboard "${args.name}" shows alarms or metrics of account ${foreign.join(", ")}; required: only ` +
                    `this account's (${ctx.account}); fix: build the dashboard from this stack's alarms.`,
            );
        }
    }),
);

export const auditPolicies = [
    vpcFlowLogsAllTraffic,
    alarmHasActions,
    snsSubscriptionSecure,
    ssmSecretsSecureString,
    dashboardOwnAccount,
];
