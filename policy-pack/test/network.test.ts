import { expect } from "chai";
import { auditPolicies } from "../policies/audit";
import { loadBalancerPolicies } from "../policies/loadBalancers";
import { networkPolicies } from "../policies/network";
import { protectionPolicies } from "../policies/protection";
import { check, res, Res } from "./fixtures";

const FIPS = "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04";
const TLS13 = "ELBSecurityPolicy-TLS13-1-2-2021-06";
const CERT = "arn:aws-us-gov:acm:us-gov-west-1:173205080756:certificate/abc";

const alb = (inputs: Record<string, any> = {}) =>
    res("aws:lb/loadBalancer:LoadBalancer", "alb", {
        loadBalancerType: "application",
        internal: false,
        dropInvalidHeaderFields: true,
        enableDeletionProtection: true,
        ...inputs,
    });
const listener = (lb: Res, name: string, inputs: Record<string, any>) =>
    res("aws:lb/listener:Listener", name, { loadBalancerArn: "unknown-arn", ...inputs }, { dependsOn: [lb] });
const redirect = { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } };
const forward = { type: "forward", targetGroupArn: "tg" };
const https = (lb: Res, sslPolicy?: string) =>
    listener(lb, "https", {
        protocol: "HTTPS",
        port: 443,
        certificateArn: CERT,
        defaultActions: [forward],
        ...(sslPolicy ? { sslPolicy } : {}),
    });
const http = (lb: Res, action: object) =>
    listener(lb, "http", { protocol: "HTTP", port: 80, defaultActions: [action] });

describe("load balancer policies (ELB.1, ELB.4, ELB.6, ELB.17, FIPS in GovCloud)", () => {
    it("an ALB that drops invalid headers, is deletion-protected and redirects HTTP to a FIPS HTTPS listener passes in prod", async () => {
        const lb = alb();
        expect(
            await check(loadBalancerPolicies, [lb, https(lb, FIPS), http(lb, redirect)], { stack: "prod" }),
        ).to.deep.equal([]);
    });

    it("plain HTTP passes in dev without HTTPS; deletion protection is not required in dev", async () => {
        const lb = alb({ enableDeletionProtection: false });
        expect(await check(loadBalancerPolicies, [lb, http(lb, forward)], { stack: "dev" })).to.deep.equal([]);
    });

    it("a careless ALB in prod reports every control", async () => {
        const lb = alb({ dropInvalidHeaderFields: false, enableDeletionProtection: undefined });
        const violations = await check(loadBalancerPolicies, [lb, https(lb), http(lb, forward)], { stack: "prod" });
        expect(violations).to.deep.equal([
            [
                "elb-drop-invalid-headers",
                "alb",
                'Load balancer "alb" has dropInvalidHeaderFields false; required: true; fix: set dropInvalidHeaderFields: true.',
            ],
            [
                "elb-deletion-protection",
                "alb",
                'Load balancer "alb" has enableDeletionProtection unset in prod; required: true; fix: set enableDeletionProtection: true.',
            ],
            [
                "elb-listener-tls-policy",
                "https",
                'Listener "https" (HTTPS) uses the default sslPolicy (ELBSecurityPolicy-2016-08, TLS 1.0); required: ELBSecurityPolicy-TLS13-1-2-2021-06 or another TLS13 policy; fix: set sslPolicy.',
            ],
            [
                "elb-listener-fips-tls-policy-govcloud",
                "https",
                'Listener "https" (HTTPS) uses the default sslPolicy (ELBSecurityPolicy-2016-08, TLS 1.0) in GovCloud; required: a FIPS policy such as ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04; fix: set sslPolicy.',
            ],
            [
                "elb-http-redirects-to-https",
                "http",
                'Listener "http" of load balancer "alb" serves plain HTTP on port 80 beside an HTTPS listener; required: a redirect to HTTPS (HTTP_301); fix: set defaultActions to [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }] (and a certificate in stage and prod).',
            ],
        ]);
    });

    it("plain HTTP without HTTPS fails in stage and prod (ELB.1)", async () => {
        const lb = alb();
        expect(await check(loadBalancerPolicies, [lb, http(lb, forward)], { stack: "stage" })).to.deep.equal([
            [
                "elb-http-redirects-to-https",
                "http",
                'Listener "http" of load balancer "alb" serves plain HTTP on port 80 in stage; required: a redirect to HTTPS (HTTP_301); fix: set defaultActions to [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }] (and a certificate in stage and prod).',
            ],
        ]);
    });

    it("a TLS 1.3 policy without FIPS passes in the commercial partition and fails in GovCloud only for FIPS", async () => {
        const lb = alb();
        const resources = [lb, https(lb, TLS13), http(lb, redirect)];
        expect(await check(loadBalancerPolicies, resources, { stack: "prod", region: "us-east-1" })).to.deep.equal([]);
        expect(await check(loadBalancerPolicies, resources, { stack: "prod" })).to.deep.equal([
            [
                "elb-listener-fips-tls-policy-govcloud",
                "https",
                `Listener "https" (HTTPS) uses sslPolicy ${TLS13} in GovCloud; required: a FIPS policy such as ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04; fix: set sslPolicy.`,
            ],
        ]);
        const old = [lb, https(lb, "ELBSecurityPolicy-TLS-1-2-2017-01"), http(lb, redirect)];
        expect(
            (await check(loadBalancerPolicies, old, { stack: "prod", region: "us-east-1" })).map((v) => v[2]),
        ).to.deep.equal([
            'Listener "https" (HTTPS) uses sslPolicy ELBSecurityPolicy-TLS-1-2-2017-01; required: ELBSecurityPolicy-TLS13-1-2-2021-06 or another TLS13 policy; fix: set sslPolicy.',
        ]);
    });

    it("network load balancers are not judged on HTTP headers", async () => {
        const nlb = alb({ loadBalancerType: "network", dropInvalidHeaderFields: undefined });
        expect(await check(loadBalancerPolicies, [nlb], { stack: "prod" })).to.deep.equal([]);
    });
});

const sg = (ingress: object[]) => res("aws:ec2/securityGroup:SecurityGroup", "lb-sg", { vpcId: "vpc-1", ingress });
const tcp = (port: number, cidrBlocks: string[]) => ({ protocol: "tcp", fromPort: port, toPort: port, cidrBlocks });

describe("security group policies (EC2.18, EC2.53/54)", () => {
    it("HTTP and HTTPS from anywhere and the app port from a security group or a private CIDR pass", async () => {
        const resources = [
            sg([tcp(80, ["0.0.0.0/0"]), tcp(443, ["0.0.0.0/0"]), tcp(22, ["10.0.0.0/8"])]),
            res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "app-from-lb", {
                securityGroupId: "sg-task",
                ipProtocol: "tcp",
                fromPort: 3000,
                toPort: 3000,
                referencedSecurityGroupId: "sg-lb",
            }),
        ];
        expect(await check(networkPolicies, resources)).to.deep.equal([]);
    });

    it("SSH from anywhere, all traffic from ::/0 and an app port from anywhere fail", async () => {
        const resources = [
            sg([tcp(443, ["0.0.0.0/0"]), tcp(22, ["0.0.0.0/0"])]),
            res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "all-v6", {
                securityGroupId: "sg-task",
                ipProtocol: "-1",
                cidrIpv6: "::/0",
            }),
            res("aws:ec2/securityGroupRule:SecurityGroupRule", "app", {
                type: "ingress",
                securityGroupId: "sg-task",
                protocol: "tcp",
                fromPort: 3000,
                toPort: 3389,
                cidrBlocks: ["0.0.0.0/0"],
            }),
            res("aws:ec2/securityGroupRule:SecurityGroupRule", "egress", {
                type: "egress",
                securityGroupId: "sg-task",
                protocol: "-1",
                fromPort: 0,
                toPort: 0,
                cidrBlocks: ["0.0.0.0/0"],
            }),
        ];
        expect(await check(networkPolicies, resources)).to.deep.equal([
            [
                "ec2-security-group-public-ports-authorized",
                "lb-sg",
                'Security group "lb-sg" ingress 2 opens tcp port 22 to 0.0.0.0/0; required: only TCP 80 or 443 from anywhere; fix: restrict the source to a CIDR or security group you control.',
            ],
            [
                "ec2-security-group-public-ports-authorized",
                "all-v6",
                'Ingress rule "all-v6" opens all protocols ports 0-65535 to ::/0; required: only TCP 80 or 443 from anywhere; fix: restrict the source to a CIDR or security group you control.',
            ],
            [
                "ec2-security-group-public-ports-authorized",
                "app",
                'Security group rule "app" opens tcp ports 3000-3389 to 0.0.0.0/0; required: only TCP 80 or 443 from anywhere; fix: restrict the source to a CIDR or security group you control.',
            ],
            [
                "ec2-security-group-no-public-admin-ports",
                "lb-sg",
                'Security group "lb-sg" ingress 2 opens administration port 22 to 0.0.0.0/0; required: no SSH or RDP from anywhere; fix: remove the rule and use SSM Session Manager.',
            ],
            [
                "ec2-security-group-no-public-admin-ports",
                "all-v6",
                'Ingress rule "all-v6" opens administration port 22, 3389 to ::/0; required: no SSH or RDP from anywhere; fix: remove the rule and use SSM Session Manager.',
            ],
            [
                "ec2-security-group-no-public-admin-ports",
                "app",
                'Security group rule "app" opens administration port 3389 to 0.0.0.0/0; required: no SSH or RDP from anywhere; fix: remove the rule and use SSM Session Manager.',
            ],
        ]);
    });
});

describe("stateful resources protected in stage and prod", () => {
    const logGroup = (protect: boolean) =>
        res("aws:cloudwatch/logGroup:LogGroup", "service-logs", { retentionInDays: 365 }, { protect });
    const stateful = (protect: boolean) => {
        const logs = logGroup(protect);
        return [
            res("aws:kms/key:Key", "key", {}, { protect }),
            res("aws:s3/bucket:Bucket", "artifacts", {}, { protect }),
            res("aws:ecr/repository:Repository", "repo", {}, { protect }),
            logs,
            res("aws:ecs/taskDefinition:TaskDefinition", "task", {}, { dependsOn: [logs] }),
            res("aws:cloudwatch/logGroup:LogGroup", "build-logs", {}),
        ];
    };

    it("protected keys, buckets, repositories and service log groups pass in prod; unprotected ones pass in dev", async () => {
        expect(await check(protectionPolicies, stateful(true), { stack: "prod" })).to.deep.equal([]);
        expect(await check(protectionPolicies, stateful(false), { stack: "dev" })).to.deep.equal([]);
    });

    it("each unprotected one fails in stage (a log group no task writes to is not required)", async () => {
        const message = (type: string, name: string) =>
            `${type} "${name}" is not protected in stage; required: the protect resource option, so that no update or destroy deletes it; fix: pass { protect: true } (the program's components do in stage and prod).`;
        expect(await check(protectionPolicies, stateful(false), { stack: "stage" })).to.deep.equal([
            ["stateful-resources-protected", "key", message("aws:kms/key:Key", "key")],
            ["stateful-resources-protected", "artifacts", message("aws:s3/bucket:Bucket", "artifacts")],
            ["stateful-resources-protected", "repo", message("aws:ecr/repository:Repository", "repo")],
            [
                "stateful-resources-protected",
                "service-logs",
                message("aws:cloudwatch/logGroup:LogGroup", "service-logs"),
            ],
        ]);
    });
});

describe("listener rules and dashboards stay in their account", () => {
    const PROD = {
        stack: "prod",
        stackConfig: { "devsecops-pipelines:environment": "prod", "devsecops-pipelines:prodAccountId": "173205080756" },
    };
    const TG =
        "arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:173205080756:targetgroup/orders-api-1a2b3c4d/0123456789abcdef";
    const rule = (actions: object[]) =>
        res("aws:lb/listenerRule:ListenerRule", "rule", { listenerArn: "unknown-arn", priority: 1, actions });
    const dashboard = (account: string) =>
        res("aws:cloudwatch/dashboard:Dashboard", "dashboard", {
            dashboardName: "cicd-prod-services",
            dashboardBody: JSON.stringify({
                widgets: [
                    {
                        type: "alarm",
                        properties: {
                            alarms: [`arn:aws-us-gov:cloudwatch:us-gov-west-1:${account}:alarm:orders-api-5xx`],
                        },
                    },
                ],
            }),
        });

    it("a rule forwarding to the service's groups, or redirecting to its own host, passes", async () => {
        const forwardBoth = {
            type: "forward",
            forward: {
                targetGroups: [
                    { arn: TG, weight: 100 },
                    { arn: "unknown-arn", weight: 0 },
                ],
            },
        };
        const sameHost = { type: "redirect", redirect: { host: "#{host}", protocol: "HTTPS", statusCode: "HTTP_301" } };
        expect(await check(loadBalancerPolicies, [rule([forwardBoth])], PROD)).to.deep.equal([]);
        expect(await check(loadBalancerPolicies, [rule([sameHost])], PROD)).to.deep.equal([]);
    });

    it("a rule redirecting to another host or forwarding to another account's group fails", async () => {
        const away = {
            type: "redirect",
            redirect: { host: "login.example.com", protocol: "HTTPS", statusCode: "HTTP_302" },
        };
        const foreign = { type: "forward", targetGroupArn: TG.replace("173205080756", "999999999999") };
        expect(await check(loadBalancerPolicies, [rule([away, foreign])], PROD)).to.deep.equal([
            [
                "elb-listener-rule-stays-in-service",
                "rule",
                'Listener rule "rule" redirects to host login.example.com: the service\'s traffic would leave it; required: the request\'s own host; fix: remove redirect.host or set it to "#{host}".',
            ],
            [
                "elb-listener-rule-stays-in-service",
                "rule",
                `Listener rule "rule" forwards to target group ${foreign.targetGroupArn} of account 999999999999; required: target groups of this account (173205080756); fix: forward to the service's own target groups.`,
            ],
        ]);
    });

    it("a dashboard of this account's alarms passes; one showing another account's fails", async () => {
        expect(await check(auditPolicies, [dashboard("173205080756")], PROD)).to.deep.equal([]);
        expect(await check(auditPolicies, [dashboard("999999999999")], PROD)).to.deep.equal([
            [
                "cloudwatch-dashboard-own-account",
                "dashboard",
                "Dashboard \"dashboard\" shows alarms or metrics of account 999999999999; required: only this account's (173205080756); fix: build the dashboard from this stack's alarms.",
            ],
        ]);
    });
});
