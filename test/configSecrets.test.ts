/**
 * Issue 11: values set with `pulumi config set --secret` (kept secret where the schema allows it, refused where a
 * resource name, ARN or id would hold them), and shared values a stack file may not contradict; issue 10 item 10:
 * the GovCloud budget's provider for the paired standard account (a profile, or a commercial role assumed with a
 * web identity token or from commercial credentials). Every case through the program, as the CLI user runs it.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { StackConfigError } from "../domain/config";
import { secretAllowedKeys, UNDECRYPTED_SECRET } from "../domain/configSchema";
import { PlanReport } from "../offline/analysis/plan";
import { main as plan } from "../scripts/plan";
import { PROJECT_ROOT } from "../offline/runtime/stackFiles";
import { temporaryProject } from "../offline/runtime/temporaryProject";
import { RecordedResource, runProgram, StackRun } from "./harness";

const NS = "devsecops-pipelines";
const PAIRED = "602214076000";
const DEV = "271828182845";
const BILLING_ROLE = `arn:aws:iam::${PAIRED}:role/govcloud-budgets`;
const BILLING_PREVIEW_ROLE = `arn:aws:iam::${PAIRED}:role/govcloud-budgets-preview`;

/** A value as the mock runtime records a secret input. */
const secret = (value: unknown) => ({
    [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig,
    value,
});

/** The CLI's passphrase secrets provider: encryptionsalt and `secure:` values for one passphrase. */
class Passphrase {
    readonly phrase = "offline and engine agree";
    private readonly key: Buffer;
    readonly salt: string;

    constructor() {
        const salt = crypto.randomBytes(8);
        this.key = crypto.pbkdf2Sync(this.phrase, salt, 1_000_000, 32, "sha256");
        this.salt = `v1:${salt.toString("base64")}:${this.encrypt("pulumi")}`;
    }

    encrypt(plaintext: string): string {
        const nonce = crypto.randomBytes(12);
        const gcm = crypto.createCipheriv("aes-256-gcm", this.key, nonce);
        const data = Buffer.concat([gcm.update(plaintext, "utf8"), gcm.final(), gcm.getAuthTag()]);
        return `v1:${nonce.toString("base64")}:${data.toString("base64")}`;
    }
}

describe("config set --secret, shared values, the GovCloud budget's credentials", function () {
    this.timeout(20000);
    let passphrase: Passphrase;
    let dir: string;
    const saved = process.env.PULUMI_CONFIG_PASSPHRASE;

    before(() => {
        passphrase = new Passphrase();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "config-secrets-"));
        process.env.PULUMI_CONFIG_PASSPHRASE = passphrase.phrase;
    });
    after(() => {
        fs.rmSync(dir, { recursive: true, force: true });
        if (saved === undefined) delete process.env.PULUMI_CONFIG_PASSPHRASE;
        else process.env.PULUMI_CONFIG_PASSPHRASE = saved;
    });

    /**
     * Pulumi.<stack>.yaml with `secure` values, as `pulumi config set --secret` writes them (`changes`: key ->
     * value, a `{ secure: plaintext }` encrypted), plus plain changes.
     */
    function stackFile(stack: string, changes: Record<string, unknown>, provider?: string): string {
        const doc = YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`), "utf8"));
        if (provider) {
            // As `pulumi stack init --secrets-provider awskms://...` writes it: the data key encrypted by KMS.
            doc.secretsprovider = provider;
            doc.encryptedkey = crypto.randomBytes(48).toString("base64");
        } else doc.encryptionsalt = passphrase.salt;
        const encrypt = (v: any): unknown =>
            v !== null && typeof v === "object" && "secure" in v
                ? { secure: passphrase.encrypt(v.secure) }
                : Array.isArray(v)
                  ? v.map(encrypt)
                  : v;
        for (const [k, v] of Object.entries(changes)) doc.config[k.includes(":") ? k : `${NS}:${k}`] = encrypt(v);
        const file = path.join(dir, `Pulumi.${stack}-${crypto.randomBytes(4).toString("hex")}.yaml`);
        fs.writeFileSync(file, YAML.stringify(doc));
        return file;
    }

    async function refused(run: Promise<StackRun>): Promise<string[]> {
        const done = await run;
        expect(done.error, "the program should refuse this config").to.be.instanceOf(StackConfigError);
        expect(done.resources, "nothing registered").to.deep.equal([]);
        return [...(done.error as StackConfigError).problems];
    }

    const byType = (run: StackRun, type: string): RecordedResource[] => run.resources.filter((r) => r.type === type);

    describe("values set with --secret", () => {
        it("the keys that may be secret are the ones no name, ARN or id holds", () => {
            expect(secretAllowedKeys()).to.deep.equal(["notificationEmails", "budgetBillingExternalId"]);
        });

        it("secret notification emails: validated in plain text, subscribed as secrets under names by position", async () => {
            const file = stackFile("dev", {
                notificationEmails: [{ secure: "ops@example.gov" }, { secure: "oncall@example.gov" }],
            });
            const run = await runProgram("dev", { stackFile: file });
            if (run.error) throw run.error;
            const subscriptions = byType(run, "aws:sns/topicSubscription:TopicSubscription");
            expect(subscriptions.map((s) => s.name)).to.deep.equal([
                "dev-notifications-email-0",
                "dev-notifications-email-1",
            ]);
            expect(subscriptions.map((s) => s.inputs.endpoint)).to.deep.equal([
                secret("ops@example.gov"),
                secret("oncall@example.gov"),
            ]);
            expect(JSON.stringify(run.resources.map((r) => r.urn))).not.to.include("example.gov");
        });

        it("subscription names: by address when plain, by position when secret (README: what switching and removing do)", async () => {
            const names = (run: StackRun) =>
                byType(run, "aws:sns/topicSubscription:TopicSubscription").map((r) => [r.name, r.inputs.endpoint]);
            const plain = await runProgram("dev", {
                overrides: { notificationEmails: ["ops@example.gov", "oncall@example.gov"] },
            });
            expect(names(plain)).to.deep.equal([
                ["dev-notifications-email-ops@example.gov", "ops@example.gov"],
                ["dev-notifications-email-oncall@example.gov", "oncall@example.gov"],
            ]);
            // The same list set with --secret: other names, so every subscription is replaced.
            const all = ["ops@example.gov", "oncall@example.gov", "finops@example.gov"];
            const secretRun = (emails: string[]) =>
                runProgram("dev", {
                    stackFile: stackFile("dev", { notificationEmails: emails.map((e) => ({ secure: e })) }),
                });
            expect(names(await secretRun(all))).to.deep.equal([
                ["dev-notifications-email-0", secret("ops@example.gov")],
                ["dev-notifications-email-1", secret("oncall@example.gov")],
                ["dev-notifications-email-2", secret("finops@example.gov")],
            ]);
            // Removing the first address: positions 0 and 1 get new endpoints (replaced), position 2 goes.
            expect(names(await secretRun(all.slice(1)))).to.deep.equal([
                ["dev-notifications-email-0", secret("oncall@example.gov")],
                ["dev-notifications-email-1", secret("finops@example.gov")],
            ]);
        });

        it("a secret email is validated on its plaintext; the message names the item, never the value", async () => {
            const file = stackFile("dev", {
                notificationEmails: [{ secure: "ops@example.gov" }, { secure: "<oncall@example.gov>" }],
            });
            expect(await refused(runProgram("dev", { stackFile: file }))).to.deep.equal([
                `${NS}:notificationEmails[1]: found [secret], expected an email address such as team@example.gov (ASCII, no display name or angle brackets)`,
            ]);
        });

        it("a secret external id: checked, never shown", async () => {
            const file = stackFile("dev", {
                budgetMonthlyLimitUsd: 500,
                budgetBillingAccountId: PAIRED,
                "aws:profile": "govcloud-dev",
                budgetBillingRoleArn: BILLING_ROLE,
                budgetBillingExternalId: { secure: "budget 4100" },
                notificationEmails: [{ secure: "ops@example.gov" }],
            });
            expect(await refused(runProgram("dev", { stackFile: file }))).to.deep.equal([
                `${NS}:budgetBillingExternalId: found [secret], expected 2 to 1224 letters, digits or _ + = , . @ : / -`,
            ]);
        });

        it("a key that ends up in names or ARNs refuses --secret and says why", async () => {
            const file = stackFile("dev", { vpcCidr: { secure: "10.1.0.0/16" }, desiredCount: { secure: "2" } });
            const expected = (k: string) =>
                `${NS}:${k}: found a secret value, expected a plain value: this key ends up in resource names, ARNs, ids or policies, which Pulumi keeps in plain text in the state, so it cannot stay secret (set it without --secret; keys that may be secret: notificationEmails, budgetBillingExternalId)`;
            expect(await refused(runProgram("dev", { stackFile: file }))).to.deep.equal([
                expected("desiredCount"),
                expected("vpcCidr"),
            ]);
        });

        it("without the passphrase the plan runs: secret values unchecked, and it says so", async () => {
            const file = stackFile("dev", { notificationEmails: [{ secure: "not an address" }] });
            delete process.env.PULUMI_CONFIG_PASSPHRASE;
            try {
                const { code, out, report } = await planCli(file);
                expect(code).to.equal(0);
                expect(out).to.include(
                    `\n  Not decrypted offline (no passphrase or provider key), so not checked: ${NS}:notificationEmails (planned as secrets; pulumi preview checks them)\n`,
                );
                expect(report.stacks[0].undecryptedSecrets).to.deep.equal({ keys: [`${NS}:notificationEmails`] });
            } finally {
                process.env.PULUMI_CONFIG_PASSPHRASE = passphrase.phrase;
            }
        });
    });

    /** `npm run plan -- --stack dev --stack-file FILE --json ...`: exit code, text and JSON report. */
    async function planCli(file: string): Promise<{ code: number; out: string; report: PlanReport }> {
        const json = path.join(dir, `plan-${crypto.randomBytes(4).toString("hex")}.json`);
        const out: string[] = [];
        const io = { out: (s: string) => out.push(s), err: (s: string) => out.push(s) };
        const code = await plan(["--stack", "dev", "--stack-file", file, "--json", json], io);
        return { code, out: out.join(""), report: JSON.parse(fs.readFileSync(json, "utf8")) as PlanReport };
    }

    describe("a stack whose secrets provider needs cloud credentials (awskms://), planned offline in CI", () => {
        const KMS = "awskms://alias/pulumi-dev?region=us-gov-west-1";
        const NOTE =
            "  Not decrypted offline (secrets provider awskms://alias/pulumi-dev), so not checked: " +
            `${NS}:budgetBillingExternalId, ${NS}:notificationEmails ` +
            "(planned as secrets; pulumi preview checks them)";
        const budget = {
            budgetMonthlyLimitUsd: 500,
            budgetBillingAccountId: PAIRED,
            "aws:profile": "govcloud-dev",
            budgetBillingRoleArn: BILLING_ROLE,
        };

        it("secret list items (config set --secret --path 'notificationEmails[0]'): planned as secrets, noted", async () => {
            const file = stackFile(
                "dev",
                {
                    ...budget,
                    budgetBillingExternalId: { secure: "budget-4100" },
                    notificationEmails: [{ secure: "ops@example.gov" }, { secure: "oncall@example.gov" }],
                },
                KMS,
            );
            const { code, out, report } = await planCli(file);
            expect(code, out).to.equal(0);
            expect(out.split("\n").slice(0, 3)).to.deep.equal([
                `Stack dev (${path.basename(file)})`,
                `  dev account ${DEV}, aws-us-gov us-gov-west-1: ${report.stacks[0].resources.total} resources`,
                NOTE,
            ]);
            expect(report.stacks[0].undecryptedSecrets).to.deep.equal({
                keys: [`${NS}:budgetBillingExternalId`, `${NS}:notificationEmails`],
                secretsProvider: KMS,
            });
            const run = await runProgram("dev", { stackFile: file });
            if (run.error) throw run.error;
            const subscriptions = byType(run, "aws:sns/topicSubscription:TopicSubscription");
            expect(subscriptions.map((s) => [s.name, s.inputs.endpoint])).to.deep.equal([
                ["dev-notifications-email-0", secret(UNDECRYPTED_SECRET)],
                ["dev-notifications-email-1", secret(UNDECRYPTED_SECRET)],
            ]);
        });

        it("a whole secret list (config set --secret notificationEmails '[...]'): the CLI refuses it, as offline", async () => {
            // Pulumi.yaml types notificationEmails as a list; the CLI checks the decrypted text, never a list.
            const changes = { notificationEmails: { secure: JSON.stringify(["ops@example.gov"]) } };
            const message =
                "validating stack config: Stack 'dev' with configuration key 'notificationEmails' must be of type 'array<string>'";
            const kms = await planCli(stackFile("dev", changes, KMS));
            expect([kms.code, kms.report.stacks[0].error?.message]).to.deep.equal([2, message]);
            const decrypted = await planCli(stackFile("dev", changes));
            expect([decrypted.code, decrypted.report.stacks[0].error?.message]).to.deep.equal([2, message]);
        });

        it("a key that may not be secret is refused with the same message as a decrypted one, exit 2", async () => {
            const changes = { vpcCidr: { secure: "10.1.0.0/16" }, desiredCount: { secure: "20" } };
            const expected = (k: string) =>
                `${NS}:${k}: found a secret value, expected a plain value: this key ends up in resource names, ARNs, ids or policies, which Pulumi keeps in plain text in the state, so it cannot stay secret (set it without --secret; keys that may be secret: notificationEmails, budgetBillingExternalId)`;
            const kms = await planCli(stackFile("dev", changes, KMS));
            expect(kms.code).to.equal(2);
            expect(kms.report.stacks[0].error?.problems).to.deep.equal([expected("desiredCount"), expected("vpcCidr")]);
            expect(kms.out).not.to.include("10.1.0.0");
            const decrypted = await planCli(stackFile("dev", changes));
            expect(decrypted.report.stacks[0].error?.problems).to.deep.equal(kms.report.stacks[0].error?.problems);
        });
    });

    describe("values every stack shares (Pulumi.yaml) cannot be contradicted by a stack file", () => {
        it("a stack file with other services is refused, naming the key, both values and where each belongs", async () => {
            const run = runProgram("tool", { overrides: { services: ["orders-api", "billing-api"] } });
            const done = await run;
            expect(done.error?.message).to.equal(
                "Invalid stack configuration in Pulumi.tool.yaml (1 problem); nothing was deployed:\n" +
                    `  - ${NS}:services: found ["orders-api","billing-api"], expected ["orders-api"], the value Pulumi.yaml states for every stack (remove services from the stack file; change it in Pulumi.yaml, for all stacks)`,
            );
            expect(done.resources).to.deep.equal([]);
        });

        it("an account id and a branch: each contradiction once, not also as a format problem", async () => {
            expect(
                await refused(runProgram("qa", { overrides: { prodAccountId: "17320508075", qaBranch: "develop" } })),
            ).to.deep.equal([
                `${NS}:prodAccountId: found "17320508075", expected "173205080756", the value Pulumi.yaml states for every stack (remove prodAccountId from the stack file; change it in Pulumi.yaml, for all stacks)`,
                `${NS}:qaBranch: found "develop", expected "release/qa", the value Pulumi.yaml states for every stack (remove qaBranch from the stack file; change it in Pulumi.yaml, for all stacks)`,
            ]);
        });

        it("organizationId in one stack file only: it belongs in Pulumi.yaml", async () => {
            expect(await refused(runProgram("dev", { overrides: { organizationId: "o-abcde12345" } }))).to.deep.equal([
                `${NS}:organizationId: found "o-abcde12345", expected nothing in the stack file: organizationId is shared by every stack, so it is stated once, as a value in Pulumi.yaml's config`,
            ]);
        });

        it("a stack file restating the shared value does not contradict it", async () => {
            const run = await runProgram("dev", { overrides: { services: ["orders-api"], devBranch: "develop" } });
            if (run.error) throw run.error;
        });

        it("other services for every stack: a project with its own Pulumi.yaml", async () => {
            const root = temporaryProject({ services: ["orders-api", "billing-api"] });
            const project = YAML.parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8"));
            expect(project.config.services.value).to.deep.equal(["orders-api", "billing-api"]);
            expect(fs.realpathSync(path.join(root, "Pulumi.dev.yaml"))).to.equal(
                fs.realpathSync(path.join(PROJECT_ROOT, "Pulumi.dev.yaml")),
            );
            const run = await runProgram("dev", { projectValues: { services: ["orders-api", "billing-api"] } });
            if (run.error) throw run.error;
            expect(byType(run, "aws:codepipeline/pipeline:Pipeline").map((p) => p.inputs.name)).to.have.members([
                "orders-api-dev",
                "billing-api-dev",
            ]);
        });
    });

    describe("the GovCloud budget's credentials for the paired standard account", () => {
        const budget = { budgetMonthlyLimitUsd: 500, budgetBillingAccountId: PAIRED };
        const billingProvider = (run: StackRun) =>
            run.resources.find((r) => r.type === "pulumi:providers:aws" && r.name === "dev-budget-billing")!;

        it("CI: the role assumed with the web identity token the workflow writes", async () => {
            const run = await runProgram("dev", {
                overrides: {
                    ...budget,
                    budgetBillingRoleArn: BILLING_ROLE,
                    budgetBillingWebIdentityTokenFile: ".budget-billing/web-identity-token",
                },
            });
            if (run.error) throw run.error;
            const provider = billingProvider(run);
            expect(provider.inputs.region).to.equal("us-east-1");
            expect(JSON.parse(provider.inputs.allowedAccountIds)).to.deep.equal([PAIRED]);
            expect(JSON.parse(provider.inputs.assumeRoleWithWebIdentity)).to.deep.equal({
                roleArn: BILLING_ROLE,
                sessionName: "cicd-dev-budget",
                webIdentityTokenFile: ".budget-billing/web-identity-token",
            });
            expect(provider.inputs).not.to.have.any.keys("profile", "assumeRoles");
            const [budgetResource] = byType(run, "aws:budgets/budget:Budget");
            expect(budgetResource.provider?.startsWith(provider.urn + "::")).to.equal(true);
            expect(budgetResource.inputs.accountId).to.equal(PAIRED);
        });

        it("a workstation: AssumeRole from commercial default credentials, the stack's provider on aws:profile, a secret external id", async () => {
            const file = stackFile("dev", {
                ...budget,
                "aws:profile": "govcloud-dev",
                budgetBillingRoleArn: BILLING_ROLE,
                budgetBillingExternalId: { secure: "budget-4100" },
                budgetBillingSessionName: "alice-budget",
                notificationEmails: [{ secure: "finops@example.gov" }],
            });
            const run = await runProgram("dev", { stackFile: file });
            if (run.error) throw run.error;
            const provider = billingProvider(run);
            // A provider's nested settings reach it as JSON; one secret part makes the whole setting secret.
            expect(provider.inputs.assumeRoles).to.deep.equal(
                secret(
                    JSON.stringify([{ roleArn: BILLING_ROLE, sessionName: "alice-budget", externalId: "budget-4100" }]),
                ),
            );
            expect(provider.inputs).not.to.have.any.keys("profile", "assumeRoleWithWebIdentity");
            const [budgetResource] = byType(run, "aws:budgets/budget:Budget");
            // The SDK marks the whole list of notifications secret (a secret inside it).
            const notifications = budgetResource.inputs.notifications;
            expect(notifications[pulumi.runtime.specialSigKey]).to.equal(pulumi.runtime.specialSecretSig);
            expect(notifications.value.map((n: any) => n.subscriberEmailAddresses)).to.deep.equal(
                new Array(4).fill(["finops@example.gov"]),
            );
        });

        it("a profile, as before, and nothing else", async () => {
            const run = await runProgram("dev", { overrides: { ...budget, budgetBillingProfile: "dev-billing" } });
            if (run.error) throw run.error;
            const provider = billingProvider(run);
            expect(provider.inputs.profile).to.equal("dev-billing");
            expect(provider.inputs).not.to.have.any.keys("assumeRoles", "assumeRoleWithWebIdentity");
        });

        it("a pull-request preview: the read-only preview role, with the same token file and session name", async () => {
            const run = await runProgram("dev", {
                overrides: {
                    ...budget,
                    budgetBillingRoleArn: BILLING_ROLE,
                    budgetBillingPreviewRoleArn: BILLING_PREVIEW_ROLE,
                    budgetBillingWebIdentityTokenFile: ".budget-billing/web-identity-token",
                },
            });
            if (run.error) throw run.error;
            // The mock runtime runs the program as `pulumi preview` does (isDryRun); the update is accountBudget.test.ts.
            expect(JSON.parse(billingProvider(run).inputs.assumeRoleWithWebIdentity)).to.deep.equal({
                roleArn: BILLING_PREVIEW_ROLE,
                sessionName: "cicd-dev-budget",
                webIdentityTokenFile: ".budget-billing/web-identity-token",
            });
        });

        const cases: [string, Record<string, unknown>, string[]][] = [
            [
                "a preview role of the GovCloud partition",
                {
                    budgetBillingRoleArn: BILLING_ROLE,
                    budgetBillingWebIdentityTokenFile: "token",
                    budgetBillingPreviewRoleArn: `arn:aws-us-gov:iam::${PAIRED}:role/govcloud-budgets-preview`,
                },
                [
                    `${NS}:budgetBillingPreviewRoleArn: found "arn:aws-us-gov:iam::${PAIRED}:role/govcloud-budgets-preview", expected a role ARN of the standard partition, arn:aws:iam::${PAIRED}:role/<name>: AWS Budgets and the billing of a GovCloud account live there`,
                ],
            ],
            [
                "a preview role of another account",
                {
                    budgetBillingRoleArn: BILLING_ROLE,
                    budgetBillingWebIdentityTokenFile: "token",
                    budgetBillingPreviewRoleArn: `arn:aws:iam::${DEV}:role/govcloud-budgets-preview`,
                },
                [
                    `${NS}:budgetBillingPreviewRoleArn: found "arn:aws:iam::${DEV}:role/govcloud-budgets-preview", expected a role of budgetBillingAccountId ${PAIRED}, arn:aws:iam::${PAIRED}:role/<name> (the budget's provider is pinned to that account)`,
                ],
            ],
            [
                "a preview role without a web identity token file",
                {
                    budgetBillingRoleArn: BILLING_ROLE,
                    budgetBillingPreviewRoleArn: BILLING_PREVIEW_ROLE,
                    "aws:profile": "gov",
                },
                [
                    `${NS}:budgetBillingPreviewRoleArn: found "${BILLING_PREVIEW_ROLE}", expected nothing without budgetBillingWebIdentityTokenFile (pull-request previews assume it with the job's OIDC token)`,
                ],
            ],
            [
                "a preview role without a role",
                { budgetBillingProfile: "dev-billing", budgetBillingPreviewRoleArn: BILLING_PREVIEW_ROLE },
                [
                    `${NS}:budgetBillingPreviewRoleArn: found "${BILLING_PREVIEW_ROLE}", expected nothing without budgetBillingRoleArn (it is a setting of the role's assumption)`,
                ],
            ],
            [
                "a GovCloud role (IAM is separate per partition)",
                { budgetBillingRoleArn: `arn:aws-us-gov:iam::${PAIRED}:role/govcloud-budgets` },
                [
                    `${NS}:budgetBillingRoleArn: found "arn:aws-us-gov:iam::${PAIRED}:role/govcloud-budgets", expected a role ARN of the standard partition, arn:aws:iam::${PAIRED}:role/<name>: AWS Budgets and the billing of a GovCloud account live there`,
                ],
            ],
            [
                "a role of another account",
                {
                    budgetBillingRoleArn: `arn:aws:iam::${DEV}:role/govcloud-budgets`,
                    budgetBillingWebIdentityTokenFile: "token",
                },
                [
                    `${NS}:budgetBillingRoleArn: found "arn:aws:iam::${DEV}:role/govcloud-budgets", expected a role of budgetBillingAccountId ${PAIRED}, arn:aws:iam::${PAIRED}:role/<name> (the budget's provider is pinned to that account)`,
                ],
            ],
            [
                "a profile and a role",
                { budgetBillingProfile: "dev-billing", budgetBillingRoleArn: BILLING_ROLE },
                [
                    `${NS}:budgetBillingProfile: found "dev-billing", expected nothing when budgetBillingRoleArn is set: the budget's credentials come from one of them`,
                ],
            ],
            [
                "an external id with a web identity token",
                {
                    budgetBillingRoleArn: BILLING_ROLE,
                    budgetBillingWebIdentityTokenFile: "token",
                    budgetBillingExternalId: "budget-4100",
                },
                [
                    `${NS}:budgetBillingExternalId: found "budget-4100", expected nothing with budgetBillingWebIdentityTokenFile: AssumeRoleWithWebIdentity takes no external id`,
                ],
            ],
            [
                "AssumeRole that would start from the stack's own GovCloud credentials",
                { budgetBillingRoleArn: BILLING_ROLE },
                [
                    `${NS}:budgetBillingWebIdentityTokenFile: found nothing, expected a web identity token file (CI), or aws:profile for the stack's own provider: without either, the budget's AssumeRole would start from the stack's GovCloud credentials, which cannot reach a commercial role`,
                ],
            ],
            [
                "role settings with a profile",
                { budgetBillingProfile: "dev-billing", budgetBillingSessionName: "alice" },
                [
                    `${NS}:budgetBillingSessionName: found "alice", expected nothing without budgetBillingRoleArn (it is a setting of the role's assumption)`,
                ],
            ],
            [
                "a token file outside the project",
                { budgetBillingRoleArn: BILLING_ROLE, budgetBillingWebIdentityTokenFile: "../token" },
                [
                    `${NS}:budgetBillingWebIdentityTokenFile: found "../token", expected a path relative to the project root, without .., e.g. .budget-billing/web-identity-token`,
                ],
            ],
        ];
        for (const [what, changes, expected] of cases) {
            it(`refuses ${what}`, async () => {
                expect(await refused(runProgram("dev", { overrides: { ...budget, ...changes } }))).to.deep.equal(
                    expected,
                );
            });
        }

        it("refuses billing credentials without a billing account", async () => {
            expect(
                await refused(
                    runProgram("dev", {
                        overrides: { budgetMonthlyLimitUsd: 500, budgetBillingRoleArn: BILLING_ROLE },
                    }),
                ),
            ).to.deep.equal([
                `${NS}:budgetBillingRoleArn: found "${BILLING_ROLE}", expected nothing without budgetBillingAccountId (the paired standard account it reaches)`,
            ]);
        });
    });

    it("service names that differ within their first 23 characters are accepted", async () => {
        const services = ["customer-notification-a", "customer-notification-b"];
        const run = await runProgram("dev", { projectValues: { services } });
        if (run.error) throw run.error;
        const names = byType(run, "aws:lb/targetGroup:TargetGroup").map((t) => t.inputs.name as string);
        expect(names).to.have.length(2);
        expect(names.map((n) => n.slice(0, 24)).sort()).to.deep.equal([
            "customer-notification-a-",
            "customer-notification-b-",
        ]);
    });
});
