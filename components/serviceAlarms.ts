/**
 * The alarms of a deployed service and the account's dashboard. A deploy target says what to watch (WatchedAlarm:
 * its metrics, a threshold, whether it rolls a deployment back); this component turns each into a CloudWatch alarm
 * routed to the environment's notification topic, and ServiceDashboard shows every service's alarms on one
 * dashboard per account. Target-agnostic: a Fargate service watches its load balancer and tasks, a Lambda function
 * its errors, throttles and duration.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AlarmThresholds } from "../domain/config";
import { formatArn, NAME_PREFIX } from "../domain/naming";

/** Every service alarm evaluates one-minute periods. */
export const ALARM_PERIOD_SECONDS = 60;
/** No data (no traffic, a service at 0 tasks) is no breach: an idle service is not failing. */
export const ALARM_MISSING_DATA = "notBreaching";

/** One metric of an alarm: a CloudWatch metric with its statistic (Sum, Maximum, p99...). */
export interface WatchedMetric {
    /** Its id in the alarm's metric math (lower case, e.g. `requests`). */
    readonly id: string;
    readonly namespace: string;
    readonly metricName: string;
    readonly dimensions: Readonly<Record<string, pulumi.Input<string>>>;
    readonly stat: string;
}

/** What a deploy target asks to be watched: one alarm, over one metric or an expression of several. */
export interface WatchedAlarm {
    /** The alarm is named `<prefix>-<env>-<service>-<suffix>` (serviceAlarmName). */
    readonly suffix: string;
    readonly description: string;
    readonly metrics: readonly WatchedMetric[];
    /** Metric math over the metrics' ids; absent: the alarm watches its one metric. */
    readonly expression?: string;
    readonly comparisonOperator: "GreaterThanThreshold" | "LessThanThreshold";
    readonly threshold: number;
    /** A breach while a deployment bakes rolls it back (the target lists the alarm in its deployment's alarms). */
    readonly rollsBack: boolean;
}

/** Name of a service's alarm: the pipeline's resource name (`<env>-<service>`) and what it watches. */
export function serviceAlarmName(pipeline: string, suffix: string): string {
    return `${NAME_PREFIX}-${pipeline}-${suffix}`;
}

/** ARN of an alarm named by the program (known at preview). */
export function alarmArn(partition: string, region: string, accountId: string, name: string): string {
    return formatArn({ partition, service: "cloudwatch", region, accountId, resource: `alarm:${name}` });
}

/** The names of the alarms that roll a deployment back. */
export function rollbackAlarmNames(pipeline: string, watched: readonly WatchedAlarm[]): string[] {
    return watched.filter((w) => w.rollsBack).map((w) => serviceAlarmName(pipeline, w.suffix));
}

/** The alarm's metric inputs: one metric, or metric math whose result (`alarm`) is compared. */
export function alarmMetricInputs(
    watched: WatchedAlarm,
): Pick<
    aws.cloudwatch.MetricAlarmArgs,
    "namespace" | "metricName" | "dimensions" | "statistic" | "extendedStatistic" | "period" | "metricQueries"
> {
    const [only] = watched.metrics;
    if (!watched.expression && watched.metrics.length === 1) {
        const percentile = /^p\d+(\.\d+)?$/.test(only.stat);
        return {
            namespace: only.namespace,
            metricName: only.metricName,
            dimensions: { ...only.dimensions },
            ...(percentile ? { extendedStatistic: only.stat } : { statistic: only.stat }),
            period: ALARM_PERIOD_SECONDS,
        };
    }
    return {
        metricQueries: [
            { id: "alarm", expression: watched.expression, label: watched.description, returnData: true },
            ...watched.metrics.map((m) => ({
                id: m.id,
                returnData: false,
                metric: {
                    namespace: m.namespace,
                    metricName: m.metricName,
                    dimensions: { ...m.dimensions },
                    stat: m.stat,
                    period: ALARM_PERIOD_SECONDS,
                },
            })),
        ],
    };
}

export interface ServiceAlarmsArgs {
    /** The pipeline's resource name, `<env>-<service>`: the alarms are named from it. Required. */
    readonly pipeline: string;
    /** What the deploy target watches. Required. */
    readonly watched: readonly WatchedAlarm[];
    /** The environment's notification topic: each alarm notifies it on alarm and on recovery. Required. */
    readonly notificationTopicArn: string;
    /** Consecutive one-minute breaches before an alarm fires. Required. */
    readonly thresholds: Pick<AlarmThresholds, "evaluationMinutes">;
}

/** A service's alarms, each routed to the environment's notification topic. */
export class ServiceAlarms extends pulumi.ComponentResource {
    public readonly alarmNames: string[];

    constructor(name: string, args: ServiceAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:service:ServiceAlarms", name, {}, opts);
        const minutes = args.thresholds.evaluationMinutes;
        this.alarmNames = args.watched.map((watched) => {
            const alarmName = serviceAlarmName(args.pipeline, watched.suffix);
            new aws.cloudwatch.MetricAlarm(
                `${name}-${watched.suffix}`,
                {
                    name: alarmName,
                    alarmDescription: watched.description,
                    ...alarmMetricInputs(watched),
                    comparisonOperator: watched.comparisonOperator,
                    threshold: watched.threshold,
                    evaluationPeriods: minutes,
                    datapointsToAlarm: minutes,
                    treatMissingData: ALARM_MISSING_DATA,
                    alarmActions: [args.notificationTopicArn],
                    okActions: [args.notificationTopicArn],
                },
                { parent: this },
            );
            return alarmName;
        });
        this.registerOutputs({ alarmNames: this.alarmNames });
    }
}

/** Name of an account's dashboard: one per environment account. */
export function dashboardName(env: string): string {
    return `${NAME_PREFIX}-${env}-services`;
}

/** Dashboard widgets are laid out on a grid 24 units wide. */
const GRID_WIDTH = 24;
const WIDGET_HEIGHT = 6;
const HEADER_HEIGHT = 1;

/**
 * The dashboard's body: one row per service, a title line then one graph per alarm (its metric and threshold line,
 * red while it is in alarm). Built from alarm ARNs only, so it is known at preview.
 */
export function dashboardBody(
    region: string,
    services: readonly { readonly name: string; readonly alarmArns: readonly string[] }[],
): object {
    const widgets: object[] = [];
    let y = 0;
    for (const service of services) {
        widgets.push({
            type: "text",
            x: 0,
            y,
            width: GRID_WIDTH,
            height: HEADER_HEIGHT,
            properties: { markdown: `## ${service.name}` },
        });
        y += HEADER_HEIGHT;
        const width = Math.max(Math.floor(GRID_WIDTH / Math.max(service.alarmArns.length, 1)), 6);
        service.alarmArns.forEach((arn, i) => {
            widgets.push({
                type: "metric",
                x: (i * width) % GRID_WIDTH,
                y: y + Math.floor((i * width) / GRID_WIDTH) * WIDGET_HEIGHT,
                width,
                height: WIDGET_HEIGHT,
                properties: {
                    title: arn.split(":alarm:")[1],
                    region,
                    annotations: { alarms: [arn] },
                    view: "timeSeries",
                },
            });
        });
        y += Math.ceil((service.alarmArns.length * width) / GRID_WIDTH) * WIDGET_HEIGHT;
    }
    return { widgets };
}

export interface ServiceDashboardArgs {
    readonly env: string;
    readonly region: string;
    readonly services: readonly { readonly name: string; readonly alarmArns: readonly string[] }[];
}

/** The account's one CloudWatch dashboard: every service's alarms. */
export class ServiceDashboard extends pulumi.ComponentResource {
    public readonly dashboardName: string;

    constructor(name: string, args: ServiceDashboardArgs, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:service:ServiceDashboard", name, {}, opts);
        this.dashboardName = dashboardName(args.env);
        new aws.cloudwatch.Dashboard(
            `${name}-dashboard`,
            {
                dashboardName: this.dashboardName,
                dashboardBody: JSON.stringify(dashboardBody(args.region, args.services)),
            },
            { parent: this },
        );
        this.registerOutputs({ dashboardName: this.dashboardName });
    }
}
