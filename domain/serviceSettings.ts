import { isIpv4Cidr } from "./ipv4";
import { arnExample, arnPattern, ArnScope } from "./naming";

/**
 * The per-service settings, each a list of strings in a small language of its own:
 * serviceSecrets `<service>:<VARIABLE>=<secret ARN>`, serviceSecretKeys `<service>=<KMS key ARN>` and serviceEgress
 * `<service>:<port>=<IPv4 CIDR or security group id>`. A parser per language splits an entry into its parts; a judge
 * per key decides each entry: the setting it gives its service, or what was expected instead.
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

/** One entry of a list, decided: the setting it gives `service`, or what was expected instead. */
export type Judged<T> = { readonly index: number; readonly entry: string } & (
    { readonly service: string; readonly setting: T; readonly expected?: undefined } | { readonly expected: string }
);

/** "<service>:<VARIABLE>=<secret ARN>[:json-key:version-stage:version-id]" */
export function parseServiceSecret(entry: string): { service: string; variable: string; arn: string } | undefined {
    const m = /^([^:]+):([^=]+)=(.*)$/.exec(entry);
    return m ? { service: m[1], variable: m[2], arn: m[3] } : undefined;
}

/** "<service>=<KMS key ARN>" */
export function parseServiceSecretKey(entry: string): { service: string; arn: string } | undefined {
    const m = /^([^=]+)=(.*)$/.exec(entry);
    return m ? { service: m[1], arn: m[2] } : undefined;
}

/** "<service>:<port>=<IPv4 CIDR or security group id>" */
export function parseServiceEgress(entry: string): { service: string; port: number; peer: string } | undefined {
    const m = /^([^:]+):(\d+)=(.*)$/.exec(entry);
    return m ? { service: m[1], port: Number(m[2]), peer: m[3] } : undefined;
}

/** A secret's ARN, optionally with the JSON key, version stage and version id ECS reads. */
const SECRET_RESOURCE = "secret:[\\w/+=.@-]+-[A-Za-z0-9]{6}(:[^:]*:[^:]*:[^:]*)?";
/** A KMS key by id, single- or multi-Region (an alias does not work in an IAM policy's Resource). */
const KMS_KEY_RESOURCE = "key/(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})";
const SECURITY_GROUP_ID = /^sg-[0-9a-f]{8,17}$/;

/** What an entry naming no service of the stack is expected to name. */
export function aServiceOf(services: readonly string[]): string {
    return `a service of this stack (${services.join(", ")})`;
}

/** serviceSecrets: a secret ARN of this account and region, a variable other than PORT, one secret per variable. */
export function judgeServiceSecrets(
    entries: readonly string[],
    services: readonly string[],
    scope: ArnScope,
): Judged<ServiceSecret>[] {
    const pattern = arnPattern(scope, "secretsmanager", SECRET_RESOURCE);
    const given: { service: string; variable: string }[] = [];
    return entries.map((entry, index) => {
        const parsed = parseServiceSecret(entry);
        if (!parsed || !services.includes(parsed.service)) return { index, entry, expected: aServiceOf(services) };
        const { service, variable, arn } = parsed;
        if (!pattern.test(arn)) {
            const example = arnExample(scope, "secretsmanager", "secret:<name>-<6 characters>");
            return {
                index,
                entry,
                expected: `a Secrets Manager secret ARN of this account and region (${example}, optionally :<json-key>:<version-stage>:<version-id>)`,
            };
        }
        if (variable === "PORT") {
            return {
                index,
                entry,
                expected: "a variable other than PORT (the task definition sets PORT to containerPort)",
            };
        }
        if (given.some((g) => g.service === service && g.variable === variable)) {
            return { index, entry, expected: `one secret per variable: ${service} already has ${variable}` };
        }
        given.push({ service, variable });
        return { index, entry, service, setting: { name: variable, valueFrom: arn } };
    });
}

/** serviceSecretKeys: a KMS key ARN of this account and region. */
export function judgeServiceSecretKeys(
    entries: readonly string[],
    services: readonly string[],
    scope: ArnScope,
): Judged<string>[] {
    const pattern = arnPattern(scope, "kms", KMS_KEY_RESOURCE);
    return entries.map((entry, index) => {
        const parsed = parseServiceSecretKey(entry);
        if (!parsed || !services.includes(parsed.service)) return { index, entry, expected: aServiceOf(services) };
        if (!pattern.test(parsed.arn)) {
            const example = arnExample(scope, "kms", "key/<key id>");
            return {
                index,
                entry,
                expected: `a KMS key ARN of this account and region (${example}; an alias does not work in an IAM policy's Resource)`,
            };
        }
        return { index, entry, service: parsed.service, setting: parsed.arn };
    });
}

/** serviceEgress: a TCP port, and an IPv4 CIDR (host bits 0) or a security group id. */
export function judgeServiceEgress(entries: readonly string[], services: readonly string[]): Judged<ServiceEgress>[] {
    return entries.map((entry, index) => {
        const parsed = parseServiceEgress(entry);
        if (!parsed || !services.includes(parsed.service)) return { index, entry, expected: aServiceOf(services) };
        const { service, port, peer } = parsed;
        if (!Number.isInteger(port) || port < 1 || port > 65535) {
            return { index, entry, expected: "a TCP port from 1 to 65535" };
        }
        if (SECURITY_GROUP_ID.test(peer)) return { index, entry, service, setting: { port, securityGroupId: peer } };
        if (isIpv4Cidr(peer)) return { index, entry, service, setting: { port, cidr: peer } };
        return {
            index,
            entry,
            expected: "an IPv4 CIDR (e.g. 10.0.0.0/16, host bits 0) or a security group id (sg-...) after the =",
        };
    });
}

/** The settings the accepted entries give `service`, in their order. */
export function settingsOf<T>(judged: readonly Judged<T>[], service: string): T[] {
    return judged.flatMap((j) => (j.expected === undefined && j.service === service ? [j.setting] : []));
}
