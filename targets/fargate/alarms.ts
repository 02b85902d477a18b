/**
 * What a Fargate service's alarms watch: its load balancer (5xx rate, p99 latency), its target groups (unhealthy
 * targets) and its tasks (running against desired, from Container Insights, which its cluster enables). The 5xx
 * rate and the latency roll a deployment back while it bakes; the other two notify only (failing tasks are the
 * deployment circuit breaker's).
 */
import * as pulumi from "@pulumi/pulumi";
import { AlarmThresholds } from "../../domain/config";
import { WatchedAlarm, WatchedMetric } from "../../components/serviceAlarms";

/** CloudWatch namespaces of an ALB's metrics and of Container Insights' ECS service metrics. */
export const ALB_NAMESPACE = "AWS/ApplicationELB";
export const CONTAINER_INSIGHTS_NAMESPACE = "ECS/ContainerInsights";

/** What the alarms of one Fargate service look at (ALB metrics take the `app/...` and `targetgroup/...` suffixes). */
export interface FargateWatchedParts {
    readonly loadBalancerArnSuffix: pulumi.Input<string>;
    readonly targetGroupArnSuffixes: readonly pulumi.Input<string>[];
    readonly clusterName: pulumi.Input<string>;
    readonly serviceName: string;
}

/** The four alarms of a Fargate service, with the thresholds of the environment's config. */
export function fargateWatchedAlarms(parts: FargateWatchedParts, thresholds: AlarmThresholds): WatchedAlarm[] {
    const lb = { LoadBalancer: parts.loadBalancerArnSuffix };
    const alb = (id: string, metricName: string, stat: string, dims: WatchedMetric["dimensions"] = lb) => ({
        id,
        namespace: ALB_NAMESPACE,
        metricName,
        dimensions: dims,
        stat,
    });
    const tasks = (id: string, metricName: string): WatchedMetric => ({
        id,
        namespace: CONTAINER_INSIGHTS_NAMESPACE,
        metricName,
        dimensions: { ClusterName: parts.clusterName, ServiceName: parts.serviceName },
        stat: "Average",
    });
    const groups = parts.targetGroupArnSuffixes.map((tg, i) =>
        alb(`unhealthy${i}`, "UnHealthyHostCount", "Maximum", { ...lb, TargetGroup: tg }),
    );
    return [
        {
            suffix: "5xx-rate",
            description: `${parts.serviceName}: share of requests answered 5xx (target and load balancer), percent`,
            metrics: [
                alb("requests", "RequestCount", "Sum"),
                alb("target5xx", "HTTPCode_Target_5XX_Count", "Sum"),
                alb("elb5xx", "HTTPCode_ELB_5XX_Count", "Sum"),
            ],
            expression: "IF(requests > 0, 100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests, 0)",
            comparisonOperator: "GreaterThanThreshold",
            threshold: thresholds.errorRatePercent,
            rollsBack: true,
        },
        {
            suffix: "latency-p99",
            description: `${parts.serviceName}: p99 response time of its targets, seconds`,
            metrics: [alb("latency", "TargetResponseTime", "p99")],
            comparisonOperator: "GreaterThanThreshold",
            threshold: thresholds.latencyP99Ms / 1000,
            rollsBack: true,
        },
        {
            suffix: "unhealthy-targets",
            description: `${parts.serviceName}: targets failing the load balancer's health check`,
            metrics: groups,
            expression: groups.length > 1 ? `MAX([${groups.map((g) => g.id).join(", ")}])` : undefined,
            comparisonOperator: "GreaterThanThreshold",
            threshold: 0,
            rollsBack: false,
        },
        {
            suffix: "running-tasks",
            description: `${parts.serviceName}: tasks running fewer than desired`,
            metrics: [tasks("desired", "DesiredTaskCount"), tasks("running", "RunningTaskCount")],
            expression: "FILL(desired, 0) - FILL(running, 0)",
            comparisonOperator: "GreaterThanThreshold",
            threshold: 0,
            rollsBack: false,
        },
    ];
}
