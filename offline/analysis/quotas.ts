/**
 * Account quotas that a growing number of services reaches first: what one stack would use of each, against the
 * default quota. The counts are what the stack registers; other stacks or consoles in the same account add to them.
 */
import { isUnknown } from "../runtime/values";

export interface QuotaUsage {
    /** What is counted, e.g. "IAM roles per account". */
    readonly quota: string;
    /** The bus, bucket policy or account the count is for. */
    readonly scope: string;
    /** The count, or undefined when it cannot be told at preview (a size computed from unknown values). */
    readonly count?: number;
    readonly limit: number;
    readonly unit?: "bytes";
    /** `ok` under 80% of the quota, `near` from 80%, `over` above it, `unknown` when it cannot be told. */
    readonly status: "ok" | "near" | "over" | "unknown";
}

/** From this share of a quota on, the plan warns. */
export const NEAR_QUOTA = 0.8;

// Default quotas (AWS service quotas pages): Elastic Load Balancing "Application Load Balancers per Region" 50;
// EventBridge "Rules per event bus" 300; IAM "Roles in an AWS account" 1,000 (adjustable to 5,000);
// Amazon S3 "Bucket policies are limited to 20 KB in size".
export const QUOTAS = {
    loadBalancers: { quota: "load balancers per region", limit: 50 },
    eventRules: { quota: "rules per event bus", limit: 300 },
    roles: { quota: "IAM roles per account", limit: 1000 },
    bucketPolicy: { quota: "bucket policy size", limit: 20 * 1024 },
} as const;

const LOAD_BALANCER_TYPES = ["aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"];

interface ResourceLike {
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, any>;
}

function usage(quota: string, scope: string, count: number | undefined, limit: number, unit?: "bytes"): QuotaUsage {
    const status =
        count === undefined ? "unknown" : count > limit ? "over" : count >= limit * NEAR_QUOTA ? "near" : "ok";
    return { quota, scope, ...(count !== undefined ? { count } : {}), limit, ...(unit ? { unit } : {}), status };
}

/** The quota usage of one stack's resources in its account and region. */
export function quotaUsage(resources: readonly ResourceLike[], account: string, region: string): QuotaUsage[] {
    const of = (types: readonly string[]) => resources.filter((r) => types.includes(r.type));
    const out: QuotaUsage[] = [
        usage(
            QUOTAS.loadBalancers.quota,
            `${account} ${region}`,
            of(LOAD_BALANCER_TYPES).length,
            QUOTAS.loadBalancers.limit,
        ),
    ];
    const rulesByBus = new Map<string, number>();
    for (const rule of of(["aws:cloudwatch/eventRule:EventRule"])) {
        const bus = rule.inputs.eventBusName;
        const name = bus === undefined ? "default" : isUnknown(bus) ? "(known after deploy)" : String(bus);
        rulesByBus.set(name, (rulesByBus.get(name) ?? 0) + 1);
    }
    if (rulesByBus.size === 0) rulesByBus.set("default", 0);
    for (const [bus, n] of [...rulesByBus].sort(([a], [b]) => a.localeCompare(b))) {
        out.push(usage(QUOTAS.eventRules.quota, `event bus ${bus}`, n, QUOTAS.eventRules.limit));
    }
    out.push(usage(QUOTAS.roles.quota, account, of(["aws:iam/role:Role"]).length, QUOTAS.roles.limit));
    for (const policy of of(["aws:s3/bucketPolicy:BucketPolicy"])) {
        const doc = policy.inputs.policy;
        const size = typeof doc === "string" ? Buffer.byteLength(doc, "utf8") : undefined;
        out.push(usage(QUOTAS.bucketPolicy.quota, policy.name, size, QUOTAS.bucketPolicy.limit, "bytes"));
    }
    return out;
}
