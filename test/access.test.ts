import { expect } from "chai";
import { planStack, StackRun } from "./harness";
import { ACCOUNTS } from "./accounts";
import {
    Decision,
    evaluate,
    evaluateRegistered,
    PolicyDocument,
    RegisteredRole,
    registeredTargetPolicy,
} from "./iamEvaluator";
import { ENVIRONMENTS, Expected, Facts, factsOf, kindOf, Row, rowsOf, serviceRows } from "./accessTables";

const STACKS = ["tool", ...ENVIRONMENTS];

function matches(decision: Decision, expected: Expected): boolean {
    return expected === "Denied" ? decision !== "Allowed" : decision === expected;
}

/**
 * Evaluates every row of every role of `facts` (in parallel) and returns one line per row whose decision differs:
 * `<stack> <role> [<kind>]: <action> on <resource> <context> -> <decision>, expected <expected>`.
 */
async function mismatches(facts: Facts, only?: (role: RegisteredRole) => boolean): Promise<string[]> {
    const roles = [...facts.tool.roles, ...ENVIRONMENTS.flatMap((e) => facts.envs[e].roles)].filter(
        (r) => !only || only(r),
    );
    const lines = await Promise.all(
        roles.flatMap((role) => {
            const rows = rowsOf(facts, role);
            if (!rows) return [Promise.resolve(`${role.stack} ${role.name}: no access table for this role`)];
            return rows.map(async ([action, resource, context, expected]: Row) => {
                const decision = await evaluateRegistered(facts.runs, role, action, resource, context);
                if (matches(decision, expected)) return "";
                const ctx = context ? ` ${JSON.stringify(context)}` : "";
                return `${role.stack} ${role.name} [${kindOf(facts, role)}]: ${action} on ${resource}${ctx} -> ${decision}, expected ${expected}`;
            });
        }),
    );
    return lines.filter((l) => l !== "");
}

/**
 * The evaluator resolves variable condition keys written with a slash (aws:RequestTag/<key>) but drops KMS's colon
 * form (kms:EncryptionContext:<key>) as missing: both sides are renamed to a slash-form key of the same semantics
 * (one single-valued string from the request), as test/controlPlane.test.ts does.
 */
function encryptionContextStandIn<T>(x: T): T {
    return JSON.parse(
        JSON.stringify(x).replace(
            /kms:EncryptionContext:([A-Za-z0-9_:-]+)/g,
            (_, key: string) => `aws:RequestTag/kms-encryption-context-${key.replace(/:/g, "-")}`,
        ),
    );
}

/**
 * Evaluates every service principal's row of `envs` against the registered resource policies (the service holds no
 * identity policy) and returns one line per row whose decision differs: `<env> <service>: <action> on <resource>
 * <context> -> <decision>, expected <expected>`.
 */
async function serviceMismatches(facts: Facts, envs: readonly string[] = ENVIRONMENTS): Promise<string[]> {
    const lines = await Promise.all(
        ENVIRONMENTS.filter((env) => envs.includes(env)).flatMap((env) =>
            serviceRows(facts, facts.envs[env]).map(async ([service, action, resource, context, expected]) => {
                const target = registeredTargetPolicy(facts.runs, action, resource);
                const decision = await evaluate(service, [], {
                    action,
                    resource,
                    context: encryptionContextStandIn({
                        "aws:SecureTransport": "true",
                        ...(target.account ? { "aws:ResourceAccount": target.account } : {}),
                        ...context,
                    }),
                    ...(target.policy ? { resourcePolicy: encryptionContextStandIn(target.policy) } : {}),
                    resourceAccount: target.account || undefined,
                });
                if (matches(decision, expected)) return "";
                return `${env} ${service}: ${action} on ${resource} ${JSON.stringify(context ?? {})} -> ${decision}, expected ${expected}`;
            }),
        ),
    );
    return lines.filter((l) => l !== "");
}

/** The five real stacks, with `change` applied to a deep copy of one stack's registered resources. */
async function runsWith(change?: { stack: string; edit: (run: StackRun) => StackRun }): Promise<StackRun[]> {
    // One at a time: the mocked Pulumi runtime is global to the process.
    const runs: StackRun[] = [];
    for (const stack of STACKS) runs.push(await planStack(stack));
    if (!change) return runs;
    return runs.map((run) => (run.stack === change.stack ? change.edit(structuredClone(run)) : run));
}

/** A copy of `run` in which the inline policy of role `roleName` is rewritten by `edit`. */
function editPolicy(roleName: string, edit: (policy: PolicyDocument) => void) {
    return (run: StackRun): StackRun => {
        const policy = run.resources.find(
            (r) => r.type === "aws:iam/rolePolicy:RolePolicy" && r.inputs.role === roleName,
        );
        if (!policy) throw new Error(`${run.stack}: no policy of ${roleName}`);
        const document = JSON.parse(policy.inputs.policy) as PolicyDocument;
        edit(document);
        policy.inputs.policy = JSON.stringify(document);
        return run;
    };
}

describe("access by evaluation: every role's table against the registered policies", function () {
    this.timeout(120000);
    let facts: Facts;
    before(async () => {
        facts = factsOf(await runsWith());
    });

    it("every role the five stacks register has a table, and the tables cover all kinds", () => {
        const roles = [...facts.tool.roles, ...ENVIRONMENTS.flatMap((e) => facts.envs[e].roles)];
        const kinds = roles.map((r) => `${r.stack}:${kindOf(facts, r) ?? `none (${r.name})`}`);
        expect(roles.filter((r) => rowsOf(facts, r) === undefined).map((r) => `${r.stack} ${r.name}`)).to.deep.equal(
            [],
        );
        // dev has the SBOM step's role besides the steps of every environment; qa, stage and prod deploy
        // blue/green: one ECS infrastructure role each.
        expect(roles.length).to.equal(78);
        expect(kinds.filter((k) => k.startsWith("tool:")).sort()).to.deep.equal([
            ...Array(4).fill("tool:forwarder"),
            "tool:person:auditor",
            "tool:person:developer",
            "tool:person:operator",
            ...Array(4).fill("tool:source"),
        ]);
    });

    it("every row of every role is decided as its table says (allowed calls allowed, the rest denied)", async () => {
        expect(await mismatches(facts)).to.deep.equal([]);
    });

    it("a planted widening fails the table: ecr:PutImage added to dev's unit-tests role", async () => {
        const runs = await runsWith({
            stack: "dev",
            edit: editPolicy("cicd-dev-orders-api-unit-tests", (d) =>
                d.Statement.push({
                    Sid: "Planted",
                    Effect: "Allow",
                    Action: "ecr:PutImage",
                    Resource: `arn:aws-us-gov:ecr:us-gov-west-1:${ACCOUNTS.dev}:repository/orders-api`,
                }),
            ),
        });
        const widened = factsOf(runs);
        expect(await mismatches(widened, (r) => r.stack === "dev")).to.deep.equal([
            `dev cicd-dev-orders-api-unit-tests [unit-tests]: ecr:PutImage on arn:aws-us-gov:ecr:us-gov-west-1:${ACCOUNTS.dev}:repository/orders-api -> Allowed, expected Denied`,
        ]);
    });

    it("a planted over-narrow grant fails the table: qa's deploy role passes its roles to ecs.amazonaws.com", async () => {
        const runs = await runsWith({
            stack: "qa",
            edit: editPolicy("cicd-qa-orders-api-deploy", (d) => {
                const pass = d.Statement.find((s) => s.Sid === "PassTaskRoles")!;
                pass.Condition = { StringEquals: { "iam:PassedToService": "ecs.amazonaws.com" } };
            }),
        });
        const narrowed = await mismatches(factsOf(runs), (r) => r.stack === "qa");
        expect(narrowed).to.have.length(3);
        expect(narrowed.slice(0, 2)).to.deep.equal([
            `qa cicd-qa-orders-api-deploy [deploy]: iam:PassRole on arn:aws-us-gov:iam::${ACCOUNTS.qa}:role/qa-orders-api-service-task {"iam:PassedToService":"ecs-tasks.amazonaws.com"} -> ImplicitlyDenied, expected Allowed`,
            `qa cicd-qa-orders-api-deploy [deploy]: iam:PassRole on arn:aws-us-gov:iam::${ACCOUNTS.qa}:role/qa-orders-api-service-execution {"iam:PassedToService":"ecs-tasks.amazonaws.com"} -> ImplicitlyDenied, expected Allowed`,
        ]);
    });

    it("a planted escalation fails the table: dev's developer may iam:PutRolePolicy on the pipeline role", async () => {
        const pipelineRole = `arn:aws-us-gov:iam::${ACCOUNTS.dev}:role/cicd-dev-orders-api-pipeline`;
        const runs = await runsWith({
            stack: "dev",
            edit: editPolicy("cicd-dev-developer", (d) => {
                d.Statement = d.Statement.filter((s) => s.Sid !== "NoIdentityOrKeyChanges");
                d.Statement.push({
                    Sid: "Planted",
                    Effect: "Allow",
                    Action: "iam:PutRolePolicy",
                    Resource: pipelineRole,
                });
            }),
        });
        const escalated = await mismatches(factsOf(runs), (r) => r.name === "cicd-dev-developer");
        expect(escalated).to.include(
            `dev cicd-dev-developer [person:developer]: iam:PutRolePolicy on ${pipelineRole} -> ImplicitlyDenied, expected ExplicitlyDenied`,
        );
        expect(escalated.every((l) => l.includes("-> ImplicitlyDenied, expected ExplicitlyDenied"))).to.equal(true);
    });

    it("without its boundary, the planted escalation would be allowed: the boundary is the second wall", async () => {
        const runs = await runsWith({
            stack: "dev",
            edit: editPolicy("cicd-dev-developer", (d) => {
                d.Statement = d.Statement.filter((s) => s.Sid !== "NoIdentityOrKeyChanges");
                d.Statement.push({ Sid: "Planted", Effect: "Allow", Action: "iam:PutRolePolicy", Resource: "*" });
            }),
        });
        const developer = factsOf(runs).envs.dev.roles.find((r) => r.name === "cicd-dev-developer")!;
        const pipelineRole = `arn:aws-us-gov:iam::${ACCOUNTS.dev}:role/cicd-dev-orders-api-pipeline`;
        const decide = (role: RegisteredRole) => evaluateRegistered(runs, role, "iam:PutRolePolicy", pipelineRole);
        expect(await decide(developer)).to.equal("ImplicitlyDenied");
        expect(await decide({ ...developer, boundary: undefined })).to.equal("Allowed");
    });

    it("every service principal's row is decided by the resource policies as its table says", async () => {
        // 35 rows per environment and 3 per build project (dev 8, qa, stage and prod 7 each).
        expect(ENVIRONMENTS.flatMap((env) => serviceRows(facts, facts.envs[env]))).to.have.length(4 * 35 + 3 * 29);
        expect(await serviceMismatches(facts)).to.deep.equal([]);
    });

    it("a planted over-wide topic policy fails the service rows: EventBridge of any account may publish", async () => {
        const runs = await runsWith({
            stack: "qa",
            edit: (run) => {
                const policy = run.resources.find((r) => r.type === "aws:sns/topicPolicy:TopicPolicy")!;
                const document = JSON.parse(policy.inputs.policy) as PolicyDocument;
                delete document.Statement.find((statement) => statement.Sid === "ServicePublish")!.Condition;
                policy.inputs.policy = JSON.stringify(document);
                return run;
            },
        });
        const qa = factsOf(runs).envs.qa;
        expect(await serviceMismatches(factsOf(runs), ["qa"])).to.deep.equal([
            `qa events.amazonaws.com: sns:Publish on ${qa.topicArn} {"aws:SourceAccount":"${ACCOUNTS.dev}"} -> Allowed, expected Denied`,
        ]);
    });

    it("a registry-level action scoped to the repository is denied: the statement never matches", async () => {
        const principal = `arn:aws-us-gov:iam::${ACCOUNTS.qa}:role/cicd-qa-orders-api-image-scan-gate`;
        const repository = `arn:aws-us-gov:ecr:us-gov-west-1:${ACCOUNTS.qa}:repository/orders-api`;
        const scopedToRepository = {
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: "ecr:GetRegistryScanningConfiguration", Resource: repository }],
        };
        const call = { action: "ecr:GetRegistryScanningConfiguration", resource: "*" };
        expect(await evaluate(principal, [scopedToRepository], call)).to.equal("ImplicitlyDenied");
    });
});
