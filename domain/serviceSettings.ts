import { DEFAULT_DEPLOY_TARGET, DeployTargetName, ServiceEntry } from "./configSchema";
import { arnExample, arnPattern, ArnScope } from "./naming";

/**
 * The services and their settings in this account: `services` (Pulumi.yaml, every stack) names them and their
 * deploy target, `serviceSettings` (the stack file) gives each its secrets, their keys and its egress. The schema
 * (configSchema.ts) checks the shapes; this module the parts that depend on the stack (its services, account and
 * region), and the new form of the keys serviceSettings replaced.
 */

/** A Secrets Manager secret injected into a service's container as an environment variable. */
export interface ServiceSecret {
    readonly name: string;
    readonly valueFrom: string;
}

/** One outbound connection of a service's tasks: a TCP port to a CIDR or to a security group. */
export interface ServiceEgress {
    readonly port: number;
    /** An IPv4 CIDR, e.g. 10.0.0.0/16. */
    readonly cidr?: string;
    /** A security group id (sg-...) of the same VPC. */
    readonly securityGroupId?: string;
}

/** One service's entry of serviceSettings, as the schema accepted it. */
export interface ServiceSettings {
    /** Environment variable -> secret ARN. */
    readonly secrets?: Readonly<Record<string, string>>;
    /** Customer-managed KMS keys of those secrets. */
    readonly secretKeys?: readonly string[];
    readonly egress?: readonly ServiceEgress[];
}

/** serviceSettings: service name -> its settings. */
export type ServiceSettingsByName = Readonly<Record<string, ServiceSettings>>;

/** What a service's settings give it, in the order they are written. */
export interface ServiceSettingsOf {
    readonly target: DeployTargetName;
    readonly secrets: ServiceSecret[];
    readonly secretsKmsKeyArns: string[];
    readonly egress: ServiceEgress[];
}

/** A problem of a part of serviceSettings (`suffix`: `.orders-api.secrets.TOKEN`). */
export interface SettingsProblem {
    readonly suffix: string;
    readonly found: unknown;
    readonly expected: string;
}

/** A secret's ARN, optionally with the JSON key, version stage and version id ECS reads. */
export const SECRET_RESOURCE = "secret:[\\w/+=.@-]+-[A-Za-z0-9]{6}(:[^:]*:[^:]*:[^:]*)?";
/** A KMS key by id, single- or multi-Region (an alias does not work in an IAM policy's Resource). */
const KMS_KEY_RESOURCE = "key/(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})";

/** What an entry naming no service of the stack is expected to name. */
export function aServiceOf(services: readonly string[]): string {
    return `a service of this stack (${services.join(", ")})`;
}

/** The name and target of each entry of `services`. */
export function servicesOf(entries: readonly ServiceEntry[]): { name: string; target: DeployTargetName }[] {
    return entries.map((entry) =>
        typeof entry === "string"
            ? { name: entry, target: DEFAULT_DEPLOY_TARGET }
            : { name: entry.name, target: entry.target ?? DEFAULT_DEPLOY_TARGET },
    );
}

/**
 * The checks that depend on the stack: settings of a service of the stack, secrets and keys of this account and
 * region.
 */
export function serviceSettingsProblems(
    settings: ServiceSettingsByName,
    services: readonly string[],
    scope: ArnScope,
): SettingsProblem[] {
    const secretArn = arnPattern(scope, "secretsmanager", SECRET_RESOURCE);
    const keyArn = arnPattern(scope, "kms", KMS_KEY_RESOURCE);
    return Object.entries(settings).flatMap(([service, s]): SettingsProblem[] => {
        if (!services.includes(service)) {
            return [{ suffix: `.${service}`, found: s, expected: `settings of ${aServiceOf(services)}` }];
        }
        const secrets = Object.entries(s.secrets ?? {})
            .filter(([, arn]) => !secretArn.test(arn))
            .map(([variable, arn]) => ({
                suffix: `.${service}.secrets.${variable}`,
                found: arn,
                expected: `a Secrets Manager secret ARN of this account and region (${arnExample(scope, "secretsmanager", "secret:<name>-<6 characters>")}, optionally :<json-key>:<version-stage>:<version-id>)`,
            }));
        const keys = (s.secretKeys ?? []).flatMap((arn, i) =>
            keyArn.test(arn)
                ? []
                : [
                      {
                          suffix: `.${service}.secretKeys[${i}]`,
                          found: arn,
                          expected: `a KMS key ARN of this account and region (${arnExample(scope, "kms", "key/<key id>")}; an alias does not work in an IAM policy's Resource)`,
                      },
                  ],
        );
        return [...secrets, ...keys];
    });
}

/** What serviceSettings gives `service` (nothing when it has no entry). */
export function settingsOf(
    service: { name: string; target: DeployTargetName },
    settings: ServiceSettingsByName,
): ServiceSettingsOf {
    const s = Object.prototype.hasOwnProperty.call(settings, service.name) ? settings[service.name] : {};
    return {
        target: service.target,
        secrets: Object.entries(s.secrets ?? {}).map(([name, valueFrom]) => ({ name, valueFrom })),
        secretsKmsKeyArns: [...(s.secretKeys ?? [])],
        egress: (s.egress ?? []).map((e) => ({ ...e })),
    };
}

// ---- the keys serviceSettings replaced ----

/**
 * The keys serviceSettings replaced, each a list of strings in a small language of its own, and the
 * serviceSettings entry one of their entries becomes. They are refused, each entry with its new form.
 */
export const RETIRED_SERVICE_KEYS: Readonly<Record<string, (entry: string) => ServiceSettingsByName | undefined>> = {
    /** "<service>:<VARIABLE>=<secret ARN>[:json-key:version-stage:version-id]" */
    serviceSecrets: (entry) => {
        const m = /^([^:=]+):([^=]+)=(.+)$/.exec(entry);
        return m ? { [m[1]]: { secrets: { [m[2]]: m[3] } } } : undefined;
    },
    /** "<service>=<KMS key ARN>" */
    serviceSecretKeys: (entry) => {
        const m = /^([^:=]+)=(.+)$/.exec(entry);
        return m ? { [m[1]]: { secretKeys: [m[2]] } } : undefined;
    },
    /** "<service>:<port>=<IPv4 CIDR or security group id>" */
    serviceEgress: (entry) => {
        const m = /^([^:=]+):(\d+)=(.+)$/.exec(entry);
        if (!m) return undefined;
        const peer = m[3].startsWith("sg-") ? { securityGroupId: m[3] } : { cidr: m[3] };
        return { [m[1]]: { egress: [{ port: Number(m[2]), ...peer }] } };
    },
};

/**
 * Why a retired key is refused, for the whole key (`entries` not a list of strings, or empty) or for each entry
 * (with the serviceSettings entry that replaces it).
 */
export function retiredKeyProblems(key: string, entries: unknown): SettingsProblem[] {
    const newForm = RETIRED_SERVICE_KEYS[key];
    const replaced = `${key} is replaced by serviceSettings, see docs/configuration.md`;
    if (!Array.isArray(entries) || entries.length === 0 || entries.some((e) => typeof e !== "string")) {
        return [{ suffix: "", found: entries, expected: `nothing: ${replaced}` }];
    }
    return entries.map((entry: string, i) => {
        const settings = newForm(entry);
        return {
            suffix: `[${i}]`,
            found: entry,
            expected: settings
                ? `this entry as serviceSettings: ${JSON.stringify(settings)} (${replaced})`
                : `nothing: ${replaced}`,
        };
    });
}
