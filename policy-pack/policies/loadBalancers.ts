import * as aws from "@pulumi/aws";
import { PolicyResource, validateResourceOfType } from "@pulumi/policy";
import {
    accountOfArn,
    contextOf,
    Deferred,
    dependenciesOf,
    isProtected,
    known,
    resourcePolicy,
    stackPolicy,
    stackProvider,
    UNKNOWN,
} from "./common";

const LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer";
const LISTENER = "aws:lb/listener:Listener";
const isApplication = (lb: PolicyResource) => (lb.props.loadBalancerType ?? "application") === "application";

/**
 * ELB.17's recommended policies: TLS 1.3 with 1.2 (FIPS and post-quantum variants included).
 * https://docs.aws.amazon.com/securityhub/latest/userguide/elb-controls.html
 */
export const RECOMMENDED_TLS_POLICY = /^ELBSecurityPolicy-TLS13-1-[23]-/;
/** The FIPS 140 policies federal workloads in GovCloud use (ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04, ...). */
export const FIPS_TLS_POLICY = /^ELBSecurityPolicy-TLS13-1-[23]-.*FIPS/;

/** The listeners of a load balancer: by dependency of their loadBalancerArn, or by its known ARN. */
function listenersOf(lb: PolicyResource, resources: PolicyResource[], deferred: Deferred): PolicyResource[] {
    const arn = deferred.read(() => lb.props.arn);
    return resources.filter(
        (r) =>
            r.type === LISTENER &&
            (dependenciesOf(r, "loadBalancerArn").some((d) => d.urn === lb.urn) ||
                (arn !== UNKNOWN && arn !== undefined && deferred.read(() => r.props.loadBalancerArn) === arn)),
    );
}

const redirectsToHttps = (listener: PolicyResource) =>
    ((listener.props.defaultActions ?? []) as any[]).some(
        (a) => a.type === "redirect" && String(a.redirect?.protocol ?? "").toUpperCase() === "HTTPS",
    );

export const elbHttpRedirect = stackPolicy(
    {
        name: "elb-http-redirects-to-https",
        summary:
            "HTTP listeners of an Application Load Balancer redirect to HTTPS when it serves HTTPS, and always in stage and prod.",
        severity: "high",
        fsbp: ["ELB.1"],
        nist: ["SC-8", "SC-23"],
    },
    (args, report) => {
        const lbs = args.resources.filter((r) => r.type === LOAD_BALANCER && isApplication(r));
        if (lbs.length === 0) args.notApplicable("no Application Load Balancer in the stack");
        const ctx = contextOf(stackProvider(args.resources));
        const deferred = new Deferred();
        for (const lb of lbs) {
            const listeners = listenersOf(lb, args.resources, deferred);
            const https = listeners.some((l) => l.props.protocol === "HTTPS");
            if (!https && !isProtected(ctx)) continue;
            for (const l of listeners.filter((x) => x.props.protocol === "HTTP" && !redirectsToHttps(x))) {
                report(
                    `Listener "${l.name}" of load balancer "${lb.name}" serves plain HTTP on port ${l.props.port} ` +
                        `${https ? "beside an HTTPS listener" : `in ${ctx.environment}`}; required: a redirect to HTTPS ` +
                        `(HTTP_301); fix: set defaultActions to [{ type: "redirect", redirect: { protocol: "HTTPS", ` +
                        `port: "443", statusCode: "HTTP_301" } }] (and a certificate in stage and prod).`,
                    l.urn,
                );
            }
        }
        deferred.finish();
    },
);

export const elbDropInvalidHeaders = resourcePolicy(
    {
        name: "elb-drop-invalid-headers",
        summary: "Application Load Balancers drop invalid HTTP header fields.",
        severity: "medium",
        fsbp: ["ELB.4"],
        nist: ["SC-8", "SI-10"],
    },
    validateResourceOfType(aws.lb.LoadBalancer, (lb, args, report) => {
        if ((lb.loadBalancerType ?? "application") !== "application") return;
        if (lb.dropInvalidHeaderFields !== true) {
            report(
                `Load balancer "${args.name}" has dropInvalidHeaderFields ${lb.dropInvalidHeaderFields ?? "unset"}; ` +
                    `required: true; fix: set dropInvalidHeaderFields: true.`,
            );
        }
    }),
);

export const elbDeletionProtection = resourcePolicy(
    {
        name: "elb-deletion-protection",
        summary: "Load balancers in stage and prod have deletion protection on.",
        severity: "medium",
        fsbp: ["ELB.6"],
        nist: ["CP-10", "CM-3"],
    },
    validateResourceOfType(aws.lb.LoadBalancer, (lb, args, report) => {
        const ctx = contextOf(args.provider);
        if (!isProtected(ctx)) args.notApplicable(`${ctx.environment} may delete its load balancers`);
        if (lb.enableDeletionProtection !== true) {
            report(
                `Load balancer "${args.name}" has enableDeletionProtection ${lb.enableDeletionProtection ?? "unset"} ` +
                    `in ${ctx.environment}; required: true; fix: set enableDeletionProtection: true.`,
            );
        }
    }),
);

const secureListener = (protocol: unknown) => protocol === "HTTPS" || protocol === "TLS";
const DEFAULT_POLICY = "the default sslPolicy (ELBSecurityPolicy-2016-08, TLS 1.0)";

export const elbTlsPolicy = resourcePolicy(
    {
        name: "elb-listener-tls-policy",
        summary:
            "HTTPS and TLS listeners use a recommended TLS 1.3/1.2 security policy (ELBSecurityPolicy-TLS13-1-2-* or -1-3-*).",
        severity: "high",
        fsbp: ["ELB.17"],
        nist: ["SC-8", "SC-13"],
    },
    validateResourceOfType(aws.lb.Listener, (listener, args, report) => {
        if (!secureListener(listener.protocol)) return;
        const policy = listener.sslPolicy;
        if (!policy || !RECOMMENDED_TLS_POLICY.test(policy)) {
            report(
                `Listener "${args.name}" (${listener.protocol}) uses ${policy ? `sslPolicy ${policy}` : DEFAULT_POLICY}; ` +
                    `required: ELBSecurityPolicy-TLS13-1-2-2021-06 or another TLS13 policy; fix: set sslPolicy.`,
            );
        }
    }),
);

export const elbFipsTlsPolicy = resourcePolicy(
    {
        name: "elb-listener-fips-tls-policy-govcloud",
        summary:
            "In GovCloud (aws-us-gov), HTTPS and TLS listeners use a FIPS 140 TLS policy (ELBSecurityPolicy-TLS13-*-FIPS-*).",
        severity: "high",
        nist: ["SC-13", "SC-8"],
    },
    validateResourceOfType(aws.lb.Listener, (listener, args, report) => {
        const ctx = contextOf(args.provider);
        if (ctx.partition !== "aws-us-gov") args.notApplicable(`partition ${ctx.partition ?? "unknown"}`);
        if (!secureListener(listener.protocol)) return;
        const policy = listener.sslPolicy;
        if (!policy || !FIPS_TLS_POLICY.test(policy)) {
            report(
                `Listener "${args.name}" (${listener.protocol}) uses ${policy ? `sslPolicy ${policy}` : DEFAULT_POLICY} ` +
                    `in GovCloud; required: a FIPS policy such as ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04; fix: set sslPolicy.`,
            );
        }
    }),
);

export const elbTargetGroupHealthCheck = resourcePolicy(
    {
        name: "elb-target-group-health-check",
        summary:
            "Target groups keep their health check on (healthCheck.enabled not false): unhealthy tasks leave the load balancer and a failed deploy rolls back.",
        severity: "medium",
        nist: ["CP-10", "SI-4"],
    },
    validateResourceOfType(aws.lb.TargetGroup, (tg, args, report) => {
        if (tg.targetType === "lambda") return;
        if (tg.healthCheck?.enabled === false) {
            report(
                `Target group "${args.name}" has healthCheck.enabled false; required: a health check; fix: remove ` +
                    `enabled: false and set the service's health path.`,
            );
        }
    }),
);

/** Desync mitigation modes that block ambiguous requests (FSBP ELB.12); "monitor" only logs them. */
export const DESYNC_MODES = ["defensive", "strictest"];

export const elbDesyncMitigation = resourcePolicy(
    {
        name: "elb-desync-mitigation",
        summary: `Application Load Balancers use desync mitigation mode ${DESYNC_MODES.join(" or ")} (the default is defensive; monitor lets HTTP desync requests through).`,
        severity: "medium",
        fsbp: ["ELB.12"],
        nist: ["SI-10", "CM-6"],
    },
    validateResourceOfType(aws.lb.LoadBalancer, (lb, args, report) => {
        if ((lb.loadBalancerType ?? "application") !== "application") return;
        const mode = lb.desyncMitigationMode ?? "defensive";
        if (!DESYNC_MODES.includes(mode)) {
            report(
                `Load balancer "${args.name}" has desyncMitigationMode ${JSON.stringify(mode)}; required: ` +
                    `${DESYNC_MODES.join(" or ")}; fix: remove desyncMitigationMode (defensive) or set "strictest".`,
            );
        }
    }),
);

/**
 * The target group ARNs a listener rule's action forwards to (targetGroupArn, or forward.targetGroups[].arn).
 * Undefined while unknown: at preview only an output of a resource of this stack is unknown (the ARN its own
 * target group gets), never a value of another account.
 */
const forwardedGroups = (action: any): unknown[] => [
    known(() => action.targetGroupArn),
    ...((known(() => action.forward?.targetGroups) ?? []) as any[]).map((g) => known(() => g.arn)),
];
/** A redirect that keeps the request's host: unset, or the `#{host}` placeholder. */
const keepsHost = (host: unknown) => host === undefined || host === null || host === "#{host}";

export const elbListenerRuleStaysInService = resourcePolicy(
    {
        name: "elb-listener-rule-stays-in-service",
        summary:
            "Listener rules forward only to target groups of the stack's own account and redirect only to the request's own host.",
        severity: "high",
        nist: ["SC-7", "AC-4"],
    },
    validateResourceOfType(aws.lb.ListenerRule, (rule, args, report) => {
        const ctx = contextOf(args.provider);
        for (const action of (rule.actions ?? []) as any[]) {
            if (action.type === "redirect" && !keepsHost(action.redirect?.host)) {
                report(
                    `Listener rule "${args.name}" redirects to host ${action.redirect.host}: the service's traffic ` +
                        `would leave it; required: the request's own host; fix: remove redirect.host or set it to "#{host}".`,
                );
            }
            for (const arn of action.type === "forward" ? forwardedGroups(action) : []) {
                const account = typeof arn === "string" ? accountOfArn(arn) : undefined;
                if (account !== undefined && ctx.account !== undefined && account !== ctx.account) {
                    report(
                        `Listener rule "${args.name}" forwards to target group ${arn} of account ${account}; required: ` +
                            `target groups of this account (${ctx.account}); fix: forward to the service's own target groups.`,
                    );
                }
            }
        }
    }),
);

export const loadBalancerPolicies = [
    elbHttpRedirect,
    elbDropInvalidHeaders,
    elbDeletionProtection,
    elbTlsPolicy,
    elbFipsTlsPolicy,
    elbListenerRuleStaysInService,
];

/** Health checks and HTTP desync mitigation. */
export const loadBalancerBehaviourPolicies = [elbTargetGroupHealthCheck, elbDesyncMitigation];
