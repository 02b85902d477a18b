import type { ResourceValidationArgs } from "@pulumi/policy";
import { Deferred, list, resourcePolicy, UNKNOWN } from "./common";

/** Ports open to the internet that EC2.18 authorizes here: the load balancers' HTTP and HTTPS. */
export const AUTHORIZED_PUBLIC_PORTS = [80, 443];
/** Remote administration ports (EC2.53 / EC2.54). */
export const ADMIN_PORTS = [22, 3389];
const ANYWHERE = ["0.0.0.0/0", "::/0"];

interface IngressRule {
    where: string;
    protocol: string;
    from: number;
    to: number;
    sources: string[];
}

/** Ingress rules of a security group (inline), a SecurityGroupIngressRule or an ingress SecurityGroupRule. */
function ingressRules(args: ResourceValidationArgs, deferred: Deferred): IngressRule[] {
    const p = args.props;
    const rule = (where: string, r: any, sources: unknown[]): IngressRule => {
        const all = String(r.ipProtocol ?? r.protocol) === "-1" || String(r.ipProtocol ?? r.protocol) === "all";
        return {
            where,
            protocol: String(r.ipProtocol ?? r.protocol),
            from: all ? 0 : Number(r.fromPort ?? 0),
            to: all ? 65535 : Number(r.toPort ?? r.fromPort ?? 65535),
            sources: sources.filter((s) => s !== UNKNOWN).map(String),
        };
    };
    switch (args.type) {
        case "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
            return [
                rule(`ingress rule "${args.name}"`, p, [
                    deferred.read(() => p.cidrIpv4),
                    deferred.read(() => p.cidrIpv6),
                ]),
            ];
        case "aws:ec2/securityGroupRule:SecurityGroupRule": {
            if (p.type !== "ingress") return [];
            const sources = deferred.read(() => [...list(p.cidrBlocks), ...list(p.ipv6CidrBlocks)]);
            return [rule(`security group rule "${args.name}"`, p, sources === UNKNOWN ? [] : sources)];
        }
        case "aws:ec2/securityGroup:SecurityGroup": {
            const ingress = deferred.read(() => (p.ingress ?? []) as any[]);
            if (ingress === UNKNOWN) return [];
            return ingress.map((r, i) => {
                const sources = deferred.read(() => [...list(r.cidrBlocks), ...list(r.ipv6CidrBlocks)]);
                return rule(`security group "${args.name}" ingress ${i + 1}`, r, sources === UNKNOWN ? [] : sources);
            });
        }
        default:
            return args.notApplicable("Policy only applies to security groups and their ingress rules");
    }
}

const sentence = (s: string) => s[0].toUpperCase() + s.slice(1);
const ports = (r: IngressRule) => (r.from === r.to ? `port ${r.from}` : `ports ${r.from}-${r.to}`);
const open = (r: IngressRule) => r.sources.filter((s) => ANYWHERE.includes(s));

export const sgOnlyAuthorizedPublicPorts = resourcePolicy(
    {
        name: "ec2-security-group-public-ports-authorized",
        summary: `Security groups open only ports ${AUTHORIZED_PUBLIC_PORTS.join(" and ")} (TCP) to 0.0.0.0/0 or ::/0.`,
        severity: "high",
        fsbp: ["EC2.18"],
        nist: ["SC-7", "AC-4"],
    },
    (args, report) => {
        const deferred = new Deferred();
        for (const r of ingressRules(args, deferred)) {
            const anywhere = open(r);
            const authorized = r.protocol === "tcp" && r.from === r.to && AUTHORIZED_PUBLIC_PORTS.includes(r.from);
            if (anywhere.length > 0 && !authorized) {
                report(
                    `${sentence(r.where)} opens ${r.protocol === "-1" ? "all protocols" : r.protocol} ${ports(r)} to ` +
                        `${anywhere.join(", ")}; required: only TCP ${AUTHORIZED_PUBLIC_PORTS.join(" or ")} from ` +
                        `anywhere; fix: restrict the source to a CIDR or security group you control.`,
                );
            }
        }
        deferred.finish();
    },
);

export const sgNoPublicAdminPorts = resourcePolicy(
    {
        name: "ec2-security-group-no-public-admin-ports",
        summary: `Security groups never open remote administration ports (${ADMIN_PORTS.join(", ")}) to 0.0.0.0/0 or ::/0.`,
        severity: "critical",
        fsbp: ["EC2.53", "EC2.54"],
        nist: ["SC-7", "AC-17"],
    },
    (args, report) => {
        const deferred = new Deferred();
        for (const r of ingressRules(args, deferred)) {
            const anywhere = open(r);
            const admin = ADMIN_PORTS.filter(
                (p) => (r.protocol === "tcp" || r.protocol === "-1") && r.from <= p && p <= r.to,
            );
            if (anywhere.length > 0 && admin.length > 0) {
                report(
                    `${sentence(r.where)} opens administration port ${admin.join(", ")} to ${anywhere.join(", ")}; ` +
                        `required: no SSH or RDP from anywhere; fix: remove the rule and use SSM Session Manager.`,
                );
            }
        }
        deferred.finish();
    },
);

/** Egress rules of a security group (inline), a SecurityGroupEgressRule or an egress SecurityGroupRule. */
function egressRules(args: ResourceValidationArgs, deferred: Deferred): { where: string; rule: any }[] {
    const p = args.props;
    switch (args.type) {
        case "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule":
            return [{ where: `egress rule "${args.name}"`, rule: p }];
        case "aws:ec2/securityGroupRule:SecurityGroupRule":
            return p.type === "egress" ? [{ where: `security group rule "${args.name}"`, rule: p }] : [];
        case "aws:ec2/securityGroup:SecurityGroup": {
            const egress = deferred.read(() => (p.egress ?? []) as any[]);
            if (egress === UNKNOWN) return [];
            return egress.map((rule, i) => ({ where: `security group "${args.name}" egress ${i + 1}`, rule }));
        }
        default:
            return args.notApplicable("Policy only applies to security groups and their egress rules");
    }
}

export const sgEgressOnePort = resourcePolicy(
    {
        name: "ec2-security-group-egress-scoped",
        summary:
            "Security group egress names a protocol (TCP or UDP) and one port per rule: no all-traffic (-1) egress and no port ranges, so a task reaches only the ports it was given.",
        severity: "high",
        nist: ["SC-7", "AC-4"],
    },
    (args, report) => {
        const deferred = new Deferred();
        for (const { where, rule } of egressRules(args, deferred)) {
            const protocol = String(deferred.peek(() => rule.ipProtocol ?? rule.protocol));
            const from = deferred.peek(() => rule.fromPort);
            const to = deferred.peek(() => rule.toPort);
            const all = protocol === "-1" || protocol === "all";
            if (all || from === undefined || from !== to) {
                const found = all ? "all protocols and ports" : `${protocol} ports ${from ?? "?"}-${to ?? "?"}`;
                report(
                    `${sentence(where)} allows ${found}; required: TCP or UDP on one port per rule; fix: one rule ` +
                        `per destination port (the egress entries of serviceSettings for the services' dependencies).`,
                );
            }
        }
        deferred.finish();
    },
);

export const networkPolicies = [sgOnlyAuthorizedPublicPorts, sgNoPublicAdminPorts];

/** Egress. */
export const egressPolicies = [sgEgressOnePort];
