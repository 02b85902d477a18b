/**
 * Existing CodeCommit repositories (issue 10, item 13): a service listed in existingRepositories is referred to
 * by name in the tool stack, which creates no repository for it; roles and forwarders name the same ARN.
 */
import { expect } from "chai";
import { StackConfigError } from "../domain/config";
import { ACCOUNTS } from "./accounts";
import { planStack, runProgram, StackRun } from "./harness";

const P = "aws-us-gov";
const REGION = "us-gov-west-1";
const ENVS = ["dev", "qa", "stage", "prod"] as const;
const repoArn = (name: string) => `arn:${P}:codecommit:${REGION}:${ACCOUNTS.tool}:${name}`;
const of = (run: StackRun, type: string) => run.resources.filter((r) => r.type === type);

/** Repository ARN each source role reads and each forward rule matches, per service. */
function referencedRepositories(run: StackRun): Record<string, string[]> {
    const found: Record<string, string[]> = {};
    for (const policy of of(run, "aws:iam/rolePolicy:RolePolicy").filter((p) => p.name.endsWith("-source-access"))) {
        const statement = JSON.parse(policy.inputs.policy).Statement.find((s: any) => s.Sid === "ReadRepository");
        // `<env>-<service>-source-source-access`
        (found[policy.name.split("-").slice(1, -3).join("-")] ??= []).push(statement.Resource);
    }
    for (const rule of of(run, "aws:cloudwatch/eventRule:EventRule")) {
        (found[rule.name.split("-").slice(1, -2).join("-")] ??= []).push(
            ...JSON.parse(rule.inputs.eventPattern).resources,
        );
    }
    return found;
}

describe("existing CodeCommit repositories (existingRepositories)", () => {
    it("by default the tool stack creates, protects and retains each service's repository", async () => {
        const run = await planStack("tool");
        const repositories = of(run, "aws:codecommit/repository:Repository");
        expect(repositories.map((r) => [r.name, r.inputs.repositoryName, r.protect])).to.deep.equal([
            ["orders-api-repository", "orders-api", true],
        ]);
    });

    it("an existing repository is referred to by name: none is created, roles and forwarders name its ARN", async () => {
        const services = ["orders-api", "billing-api"];
        const run = await planStack("tool", {
            projectValues: { services },
            overrides: { existingRepositories: ["orders-api"] },
        });
        expect(run.error).to.equal(undefined);
        expect(of(run, "aws:codecommit/repository:Repository").map((r) => r.inputs.repositoryName)).to.deep.equal([
            "billing-api",
        ]);
        const referenced = referencedRepositories(run);
        expect(Object.keys(referenced).sort()).to.deep.equal(["billing-api", "orders-api"]);
        expect(referenced["orders-api"]).to.deep.equal(Array(8).fill(repoArn("orders-api")));
        expect(referenced["billing-api"]).to.deep.equal(Array(8).fill(repoArn("billing-api")));
        expect(run.outputs!.repositories).to.deep.equal({
            "orders-api": `https://git-codecommit.${REGION}.amazonaws.com/v1/repos/orders-api`,
            "billing-api": run.resources.find((r) => r.name === "billing-api-repository")!.state.cloneUrlHttp,
        });
    });

    it("with every repository existing, the tool stack registers no repository at all", async () => {
        const run = await planStack("tool", { overrides: { existingRepositories: ["orders-api"] } });
        expect(of(run, "aws:codecommit/repository:Repository")).to.deep.equal([]);
        expect(of(run, "devsecops:security:PipelineRoleTrust")).to.have.length(ENVS.length);
        expect(of(run, "devsecops:events:PushEventRule")).to.have.length(ENVS.length);
    });

    it("rejects a name that is not a service of the stack, before anything is registered", async () => {
        const run = await runProgram("tool", { overrides: { existingRepositories: ["orders-api", "billing-api"] } });
        expect(run.error).to.be.instanceOf(StackConfigError);
        expect(run.resources).to.deep.equal([]);
        expect((run.error as StackConfigError).problems).to.deep.equal([
            'devsecops-pipelines:existingRepositories[1]: found "billing-api", expected a service of this stack (orders-api)',
        ]);
        expect((run.error as StackConfigError).message).to.contain("Invalid stack configuration in Pulumi.tool.yaml");
    });
});
