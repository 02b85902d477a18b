import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { defaultEventBusArn, eventRuleArn, roleArn } from "../domain/naming";
import { CrossAccountPrincipals, narrowedAccountPrincipal, serviceTrustPolicy } from "./policyDocuments";

export const EVENTS_SERVICE = "events.amazonaws.com";

/** The EventBridge pattern of a push (branch created or updated) to one branch of one repository. */
export function pushEventPattern(repositoryArn: string, branch: string): Record<string, unknown> {
    return {
        source: ["aws.codecommit"],
        "detail-type": ["CodeCommit Repository State Change"],
        resources: [repositoryArn],
        detail: {
            event: ["referenceCreated", "referenceUpdated"],
            referenceType: ["branch"],
            referenceName: [branch],
        },
    };
}

/** Event bus policy of an environment account: the tool account's forwarder roles may put events, no one else. */
export function eventBusPolicy(
    partition: string,
    region: string,
    accountId: string,
    forwarders: CrossAccountPrincipals,
): aws.iam.PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: `PushEventsFrom${forwarders.accountId}`,
                Effect: "Allow",
                ...narrowedAccountPrincipal(partition, forwarders),
                Action: "events:PutEvents",
                Resource: defaultEventBusArn(partition, region, accountId),
            },
        ],
    };
}

export interface EventRoleRuleArgs {
    /** Partition of the stack. Required. */
    readonly partition: string;
    /** Region of the rule. Required. */
    readonly region: string;
    /** Account of the rule (and of the role EventBridge uses). Required. */
    readonly accountId: string;
    /** Deterministic rule name; the role's trust is limited to this rule. Required. */
    readonly ruleName: string;
    /** Description of the rule and the role. Required. */
    readonly description: string;
    /** The repository whose pushes match. Required. */
    readonly repositoryArn: string;
    /** The branch whose pushes match. Required. */
    readonly branch: string;
    /** ARN the matched events go to (an event bus or a pipeline). Required. */
    readonly targetArn: pulumi.Input<string>;
    /** Resources the target waits for (the target itself, when its ARN is built from a name). Default: none. */
    readonly targetDependsOn?: pulumi.Resource[];
    /** Name of the role EventBridge assumes to reach the target. Required. */
    readonly roleName: string;
    /** The only permission of that role (e.g. events:PutEvents on one bus). Required. */
    readonly targetPolicy: pulumi.Input<aws.iam.PolicyDocument>;
}

/**
 * A rule on the default bus matching pushes to one branch, with a target reached through a role that trusts
 * EventBridge only for this rule (`aws:SourceArn`) and may do only what `targetPolicy` allows.
 */
export class PushEventRule extends pulumi.ComponentResource {
    public readonly ruleArn: pulumi.Output<string>;
    public readonly roleArn: pulumi.Output<string>;

    constructor(name: string, args: EventRoleRuleArgs, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:events:PushEventRule", name, {}, opts);
        const role = new aws.iam.Role(
            `${name}-role`,
            {
                name: args.roleName,
                description: args.description,
                assumeRolePolicy: pulumi.jsonStringify(
                    serviceTrustPolicy(EVENTS_SERVICE, {
                        sourceArn: eventRuleArn(args.partition, args.region, args.accountId, args.ruleName),
                        sourceAccount: args.accountId,
                    }),
                ),
            },
            { parent: this },
        );
        const policy = new aws.iam.RolePolicy(
            `${name}-policy`,
            { role: role.name, name: "target", policy: pulumi.jsonStringify(args.targetPolicy) },
            { parent: this },
        );
        const rule = new aws.cloudwatch.EventRule(
            `${name}-rule`,
            {
                name: args.ruleName,
                description: args.description,
                eventBusName: "default",
                eventPattern: JSON.stringify(pushEventPattern(args.repositoryArn, args.branch)),
                state: "ENABLED",
            },
            { parent: this },
        );
        new aws.cloudwatch.EventTarget(
            `${name}-target`,
            {
                rule: rule.name,
                eventBusName: "default",
                targetId: "target",
                arn: args.targetArn,
                // Known at preview: the role's ARN from its name (the target waits for the role's policy).
                roleArn: roleArn(args.partition, args.accountId, args.roleName),
            },
            { parent: this, dependsOn: [role, policy, ...(args.targetDependsOn ?? [])] },
        );
        this.ruleArn = rule.arn;
        this.roleArn = role.arn;
        this.registerOutputs({ ruleArn: this.ruleArn, roleArn: this.roleArn });
    }
}
