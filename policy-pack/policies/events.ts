import * as aws from "@pulumi/aws";
import { validateResourceOfType } from "@pulumi/policy";
import {
    accountOfArn,
    contextOf,
    Deferred,
    ownAccounts,
    parseJsonish,
    programAccounts,
    resourcePolicy,
    UNKNOWN,
} from "./common";

// Event routing: which pushes reach a pipeline, and where events are delivered. A rule matches what its pattern
// does not exclude (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html): a CodeCommit
// pattern without `resources` matches every repository of the account, one without `detail.referenceName` every
// branch, and a content filter ({ prefix }, { wildcard }, { anything-but }, ...) many branches.

type Pattern = { source?: unknown; resources?: unknown; detail?: { referenceName?: unknown } };

/** Exact values of a pattern field: strings without wildcards; undefined when absent, [] when it holds filters. */
function exactValues(field: unknown): string[] | undefined {
    if (field === undefined) return undefined;
    const values = Array.isArray(field) ? field : [field];
    return values.every((v) => typeof v === "string" && !/[*?]/.test(v)) ? (values as string[]) : [];
}

export const eventsPushRuleFiltered = resourcePolicy(
    {
        name: "events-push-rule-filtered",
        summary:
            "EventBridge rules that match CodeCommit events (or any source) name exact repository ARNs in resources and exact branch names in detail.referenceName: no rule starts or forwards on every repository or branch.",
        severity: "high",
        nist: ["CM-3", "CM-5", "AC-4"],
    },
    validateResourceOfType(aws.cloudwatch.EventRule, (rule, args, report) => {
        const deferred = new Deferred();
        const text = deferred.read(() => rule.eventPattern);
        deferred.finish();
        if (text === UNKNOWN || text === undefined) return;
        const pattern = parseJsonish(text) as Pattern;
        if (typeof pattern !== "object" || pattern === null) return;
        const sources = exactValues(pattern.source);
        if (sources && sources.length > 0 && !sources.includes("aws.codecommit")) return;
        const problems = [
            !sources || sources.length === 0 ? "no exact source (it matches events of every service)" : undefined,
            !exactValues(pattern.resources)?.length ? "no exact repository ARNs in resources" : undefined,
            !exactValues(pattern.detail?.referenceName)?.length
                ? "no exact branch names in detail.referenceName"
                : undefined,
        ].filter((p): p is string => !!p);
        if (problems.length > 0) {
            report(
                `Event rule "${args.name}" matches pushes with ${problems.join(", ")}; required: source ` +
                    `["aws.codecommit"], resources with the repository ARNs and detail.referenceName with the branch ` +
                    `names (no prefix, wildcard or anything-but filters); fix: narrow the eventPattern.`,
            );
        }
    }),
);

export const eventsTargetsKnownAccounts = resourcePolicy(
    {
        name: "events-targets-own-accounts",
        summary:
            "EventBridge targets deliver to resources of this account and use a role of this account; only the tool stack forwards, and only to the default event bus of one of the program's environment accounts.",
        severity: "high",
        nist: ["AC-4", "SC-7"],
    },
    validateResourceOfType(aws.cloudwatch.EventTarget, (target, args, report) => {
        const ctx = contextOf(args.provider);
        const own = ownAccounts(ctx);
        const deferred = new Deferred();
        const arn = deferred.read(() => target.arn);
        const role = deferred.read(() => target.roleArn);
        deferred.finish();
        const accounts = programAccounts();
        const environmentAccounts = Object.entries(accounts)
            .filter(([env]) => env !== "tool")
            .map(([, id]) => id);
        const problems: string[] = [];
        if (arn !== UNKNOWN && arn) {
            const account = accountOfArn(arn);
            const forward = ctx.environment === "tool" && /:event-bus\/default$/.test(arn);
            const allowed = forward ? environmentAccounts : own;
            if (account && !allowed.includes(account)) problems.push(`target ${arn} is in account ${account}`);
        }
        if (role !== UNKNOWN && role) {
            const account = accountOfArn(role);
            if (account && !own.includes(account)) problems.push(`role ${role} is in account ${account}`);
        }
        if (problems.length > 0) {
            report(
                `Event target "${args.name}": ${problems.join("; ")}; required: targets and roles of this account ` +
                    `(${own.join(", ") || "unknown"})${ctx.environment === "tool" ? `, or the default event bus of an environment account (${environmentAccounts.join(", ")})` : ""}; ` +
                    `fix: point the target at this account's resource.`,
            );
        }
    }),
);

export const eventPolicies = [eventsPushRuleFiltered, eventsTargetsKnownAccounts];
