import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as aws from "@pulumi/aws";
import {
    Policy,
    ResourceValidationPolicy,
    StackValidationPolicy,
    validateRemediateResourceOfType,
    validateResourceOfType,
} from "@pulumi/policy";
import { evaluatePolicies, readPolicyPackConfig } from "../offline/analysis/policyRunner";
import { res, stackRun } from "../policy-pack/test/fixtures";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { unknown } = require("@pulumi/pulumi/output") as { unknown: unknown };

const topicKey: ResourceValidationPolicy = {
    name: "topic-needs-key",
    description: "Topics are encrypted.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: { properties: { keyPrefix: { type: "string", default: "alias/" } } },
    validateResource: validateResourceOfType(aws.sns.Topic, (topic, args, report) => {
        const { keyPrefix } = args.getConfig<{ keyPrefix: string }>();
        if (!topic.kmsMasterKeyId?.startsWith(keyPrefix)) report(`found ${topic.kmsMasterKeyId ?? "no key"}`);
    }),
};
const countTopics: StackValidationPolicy = {
    name: "one-topic",
    description: "At most one topic.",
    enforcementLevel: "advisory",
    validateStack: (args, report) => {
        const topics = args.resources.filter((r) => r.isType(aws.sns.Topic));
        if (topics.length === 0) args.notApplicable("no topics");
        if (topics.length > 1) report(`found ${topics.length} topics`, topics[1].urn);
    },
};
const policies: Policy[] = [topicKey, countTopics];
const topics = [res("aws:sns/topic:Topic", "a", {}), res("aws:sns/topic:Topic", "b", { kmsMasterKeyId: "alias/x" })];

describe("policy runner", () => {
    it("reports violations with the policy's level, severity and the resource", async () => {
        const verdict = await evaluatePolicies(stackRun(topics), { policies });
        expect(verdict).to.deep.equal({
            violations: [
                {
                    policyName: "topic-needs-key",
                    packName: "devsecops-pipelines",
                    enforcementLevel: "mandatory",
                    message: "found no key",
                    engineMessage: "Topics are encrypted.\nfound no key",
                    urn: "urn:pulumi:dev::devsecops-pipelines::aws:sns/topic:Topic::a",
                    resourceType: "aws:sns/topic:Topic",
                    resourceName: "a",
                    severity: "high",
                },
                {
                    policyName: "one-topic",
                    packName: "devsecops-pipelines",
                    enforcementLevel: "advisory",
                    message: "found 2 topics",
                    engineMessage: "At most one topic.\nfound 2 topics",
                    urn: "urn:pulumi:dev::devsecops-pipelines::aws:sns/topic:Topic::b",
                    resourceType: "aws:sns/topic:Topic",
                    resourceName: "b",
                },
            ],
            mandatory: 1,
            advisory: 1,
        });
    });

    it("config overrides the policy's level: by name, by object, through all, and disabled skips", async () => {
        const levels = async (config: any) =>
            (await evaluatePolicies(stackRun(topics), { policies, config })).violations.map(
                (v) => `${v.policyName}:${v.enforcementLevel}`,
            );
        expect(await levels({ "topic-needs-key": "advisory" })).to.deep.equal([
            "topic-needs-key:advisory",
            "one-topic:advisory",
        ]);
        expect(await levels({ all: "mandatory" })).to.deep.equal(["topic-needs-key:mandatory", "one-topic:mandatory"]);
        expect(await levels({ all: "advisory", "one-topic": { enforcementLevel: "mandatory" } })).to.deep.equal([
            "topic-needs-key:advisory",
            "one-topic:mandatory",
        ]);
        expect(await levels({ all: "disabled" })).to.deep.equal([]);
        expect(await levels({ "topic-needs-key": "disabled" })).to.deep.equal(["one-topic:advisory"]);
    });

    it("getConfig gives the schema defaults overridden by the config file", async () => {
        const config = { "topic-needs-key": { keyPrefix: "arn:" } };
        const verdict = await evaluatePolicies(stackRun(topics), { policies: [topicKey], config });
        expect(verdict.violations.map((v) => [v.resourceName, v.message])).to.deep.equal([
            ["a", "found no key"],
            ["b", "found alias/x"],
        ]);
    });

    it("notApplicable records nothing, and typed validations skip other types", async () => {
        let ran = 0;
        const probe: ResourceValidationPolicy = {
            name: "probe",
            description: "probe",
            validateResource: validateResourceOfType(aws.sns.Topic, () => {
                ran++;
            }),
        };
        const verdict = await evaluatePolicies(stackRun([res("aws:s3/bucket:Bucket", "b", {})]), {
            policies: [countTopics, probe],
        });
        expect([verdict, ran]).to.deep.equal([{ violations: [], mandatory: 0, advisory: 0 }, 0]);
    });

    it("gives resource policies the provider and stack policies the parent, dependencies and options", async () => {
        const seen: unknown[] = [];
        const parent = res("devsecops:index:Thing", "thing", {}, { custom: false });
        const topic = res("aws:sns/topic:Topic", "t", {}, { parent, dependsOn: [parent] });
        const policy: Policy[] = [
            {
                name: "provider",
                description: "d",
                validateResource: (args) => {
                    if (args.type === "aws:sns/topic:Topic") {
                        seen.push([args.provider?.type, args.provider?.name, args.provider?.props.region, args.opts]);
                    }
                },
            } as ResourceValidationPolicy,
            {
                name: "stack",
                description: "d",
                validateStack: (args) => {
                    const t = args.resources.find((r) => r.name === "t")!;
                    seen.push([t.parent?.name, t.dependencies.map((d) => d.name), args.stackTags.size]);
                    seen.push(args.resources.map((r) => r.type));
                },
            } as StackValidationPolicy,
        ];
        await evaluatePolicies(stackRun([parent, topic]), { policies: policy });
        expect(seen).to.deep.equal([
            [
                "pulumi:providers:aws",
                "aws",
                "us-gov-west-1",
                {
                    protect: false,
                    ignoreChanges: [],
                    aliases: [],
                    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
                    additionalSecretOutputs: [],
                    parent: "urn:pulumi:dev::devsecops-pipelines::devsecops:index:Thing::thing",
                },
            ],
            ["thing", ["thing"], 0],
            ["pulumi:providers:aws", "devsecops:index:Thing", "aws:sns/topic:Topic"],
        ]);
    });

    it("an unknown value makes the policy report an advisory 'can't run during preview', like the engine", async () => {
        const verdict = await evaluatePolicies(
            stackRun([res("aws:sns/topic:Topic", "u", { kmsMasterKeyId: unknown })]),
            {
                policies: [topicKey],
            },
        );
        expect(verdict.violations.map((v) => [v.enforcementLevel, v.message])).to.deep.equal([
            [
                "advisory",
                "can't run policy 'topic-needs-key' from policy pack 'devsecops-pipelines@v0.1.0' during preview: " +
                    "string value at .kmsMasterKeyId can't be known during preview",
            ],
        ]);
        expect([verdict.mandatory, verdict.advisory]).to.deep.equal([0, 1]);
    });

    it("remediation policies at level remediate change the props and are reported, not counted", async () => {
        const fix: ResourceValidationPolicy = {
            name: "fix-topic",
            description: "Topics get a key.",
            enforcementLevel: "remediate",
            ...validateRemediateResourceOfType(aws.sns.Topic, (topic, _args, report) => {
                if (!topic.kmsMasterKeyId) {
                    report("no key");
                    return { ...topic, kmsMasterKeyId: "alias/fixed" };
                }
                return undefined;
            }),
        };
        const verdict = await evaluatePolicies(stackRun([topics[0]]), { policies: [fix, topicKey] });
        expect(verdict).to.deep.equal({
            violations: [
                {
                    policyName: "fix-topic",
                    packName: "devsecops-pipelines",
                    enforcementLevel: "remediate",
                    message: 'remediated aws:sns/topic:Topic "a": Topics get a key.',
                    engineMessage: 'Topics get a key.\nremediated aws:sns/topic:Topic "a": Topics get a key.',
                    urn: "urn:pulumi:dev::devsecops-pipelines::aws:sns/topic:Topic::a",
                    resourceType: "aws:sns/topic:Topic",
                    resourceName: "a",
                },
            ],
            mandatory: 0,
            advisory: 0,
        });
    });

    it("an error inside a policy fails the evaluation, naming the policy", async () => {
        const broken: ResourceValidationPolicy = {
            name: "broken",
            description: "d",
            validateResource: () => {
                throw new Error("boom");
            },
        };
        let error: Error | undefined;
        await evaluatePolicies(stackRun([]), { policies: [broken] }).catch((e) => (error = e));
        expect(error?.message).to.equal(
            "Error validating resource with policy 'broken' from policy pack 'devsecops-pipelines@v0.1.0': boom",
        );
    });
});

describe("policy pack config files", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-config-"));
    const write = (name: string, text: string) => {
        const file = path.join(dir, name);
        fs.writeFileSync(file, text);
        return file;
    };
    const errorOf = (file: string) => {
        try {
            readPolicyPackConfig(file, policies);
        } catch (e) {
            return (e as Error).message;
        }
        return undefined;
    };
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("reads levels and properties", () => {
        const file = write(
            "ok.json",
            '{ "all": "advisory", "topic-needs-key": { "enforcementLevel": "mandatory", "keyPrefix": "a" } }',
        );
        expect(readPolicyPackConfig(file, policies)).to.deep.equal({
            all: "advisory",
            "topic-needs-key": { enforcementLevel: "mandatory", keyPrefix: "a" },
        });
    });

    it("rejects bad JSON and a non-object", () => {
        expect(errorOf(write("bad.json", "{ all: advisory"))).to.match(
            /^Policy pack config bad\.json is not valid JSON: /,
        );
        expect(errorOf(write("list.json", "[]"))).to.equal(
            'Policy pack config list.json: found [], expected a JSON object mapping policy names (or "all") to an ' +
                'enforcement level or { "enforcementLevel": ..., <properties> }',
        );
    });

    it("lists every unknown policy, bad level and bad property at once", () => {
        const file = write(
            "problems.json",
            JSON.stringify({
                "no-such-policy": "advisory",
                "one-topic": "warn",
                "topic-needs-key": { enforcementLevel: "block", keyPrefix: 3, color: "red" },
                all: { enforcementLevel: "advisory", keyPrefix: "x" },
            }),
        );
        expect(errorOf(file)).to.equal(
            "Invalid policy pack config problems.json (6 problems):\n" +
                "  - no-such-policy: no such policy in devsecops-pipelines (the policies are listed in policy-pack/README.md)\n" +
                '  - one-topic: found "warn", expected one of "advisory", "mandatory", "remediate", "disabled"\n' +
                '  - topic-needs-key.enforcementLevel: found "block", expected one of "advisory", "mandatory", "remediate", "disabled"\n' +
                "  - topic-needs-key.keyPrefix: found 3, expected string\n" +
                "  - topic-needs-key.color: not a property of this policy (it has keyPrefix)\n" +
                "  - all: found properties keyPrefix, expected only enforcementLevel",
        );
    });
});
