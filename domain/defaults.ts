/**
 * Defaults stated once: the config schema (domain/configSchema.ts, and so the `default:`s of Pulumi.yaml and the
 * README's table) and the components' Args (when a field is left out) read them from here.
 */

/** Port the service container listens on (containerPort). */
export const DEFAULT_CONTAINER_PORT = 3000;
/** Fargate task CPU units (taskCpu). */
export const DEFAULT_CPU = 256;
/** Fargate task memory, MiB (taskMemory). */
export const DEFAULT_MEMORY = 512;
/** Running tasks per service once an image is deployed (desiredCount). */
export const DEFAULT_DESIRED_COUNT = 2;
/** Path of the load balancer and container health checks (healthCheckPath). */
export const DEFAULT_HEALTH_CHECK_PATH = "/health";
/** Retention of build and service logs, days (logRetentionDays). */
export const DEFAULT_LOG_RETENTION_DAYS = 365;
/** Shortest deletion window of a KMS key AWS allows, days. */
export const MIN_KEY_DELETION_WINDOW_DAYS = 7;
/** Longest deletion window of a KMS key AWS allows, days: the default, and the only one in stage and prod. */
export const MAX_KEY_DELETION_WINDOW_DAYS = 30;
/** Days before a deleted artifact key is destroyed (keyDeletionWindowDays): the longest AWS allows. */
export const DEFAULT_KEY_DELETION_WINDOW_DAYS = MAX_KEY_DELETION_WINDOW_DAYS;
/** CIDR of a created VPC (vpcCidr). */
export const DEFAULT_VPC_CIDR = "10.0.0.0/16";
/** CRITICAL image findings the scan gate allows (imageScanMaxCritical). */
export const DEFAULT_IMAGE_SCAN_MAX_CRITICAL = 0;
/** HIGH image findings the scan gate allows (imageScanMaxHigh). */
export const DEFAULT_IMAGE_SCAN_MAX_HIGH = 0;
/** Percentages of the budget at which subscribers are alerted (budgetThresholdsPercent). */
export const DEFAULT_BUDGET_THRESHOLDS_PERCENT: readonly number[] = [80, 100];
/** Where people sign in to the person roles (peopleIdentitySource): an IAM SAML provider of each account. */
export const DEFAULT_PEOPLE_IDENTITY_SOURCE = "saml";
/** How a new revision takes traffic (deploymentStrategy): ECS blue/green, shifted after a bake. */
export const DEFAULT_DEPLOYMENT_STRATEGY = "blueGreen";
/** Minutes the new revision serves all traffic, watched by the alarms, before the old one is stopped (bakeTimeMinutes). */
export const DEFAULT_BAKE_TIME_MINUTES = 10;
/** Share of requests answered 5xx, percent, that trips the service's error alarm (alarmErrorRatePercent). */
export const DEFAULT_ALARM_ERROR_RATE_PERCENT = 5;
/** p99 response time, milliseconds, that trips the service's latency alarm (alarmLatencyP99Ms). */
export const DEFAULT_ALARM_LATENCY_P99_MS = 1000;
/** Consecutive minutes a metric must breach before its alarm fires (alarmEvaluationMinutes). */
export const DEFAULT_ALARM_EVALUATION_MINUTES = 3;
