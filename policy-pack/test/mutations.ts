import type { RecordedResource, StackRun } from "../../offline/runtime/mockRuntime";
import { PIPELINE_STEP_TAG } from "../../domain/pipelineSteps";
import { DEPLOY_COMMAND } from "../policies/codepipeline";

// Security-relevant mutations of a recorded stack, one at a time: each returns a copy of the run with one
// resource changed, added or unprotected, as a careless or malicious change to the program would register it.
// The suite (mutations.test.ts) runs the pack on each and counts how many it blocks.

export interface Mutation {
    /** The class the issue names: iam-trust, iam-permissions, resource-policy, pipeline-gates, ... */
    readonly kind: string;
    readonly stack: string;
    /** What changed, on which resource. */
    readonly what: string;
    /** The type of the resource changed, removed or added. */
    readonly type: string;
    readonly run: StackRun;
}

/** An account that is none of the five. */
export const FOREIGN_ACCOUNT = "999999999999";
const PROTECTED = ["stage", "prod"];

type Doc = { Version?: string; Statement: Record<string, any>[] };
type Inputs = Record<string, any>;

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const parseDoc = (text: unknown): Doc | undefined => {
    if (typeof text !== "string") return undefined;
    try {
        const d = JSON.parse(text) as Doc;
        return { ...d, Statement: Array.isArray(d.Statement) ? d.Statement : [d.Statement] };
    } catch {
        return undefined;
    }
};
const partitionOf = (r: RecordedResource) =>
    JSON.stringify(r.inputs).includes("arn:aws-us-gov:") ? "aws-us-gov" : "aws";
const serviceOf = (action: unknown) => String(Array.isArray(action) ? action[0] : action).split(":")[0] || "s3";
const conditionKeys = (s: Record<string, any>) =>
    Object.values((s.Condition ?? {}) as Record<string, Record<string, unknown>>).flatMap((b) => Object.keys(b));
const CALLER_KEYS = ["aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalOrgID", "aws:SourceAccount"];

class Builder {
    readonly out: Mutation[] = [];
    constructor(
        readonly run: StackRun,
        readonly environment: string,
    ) {}

    get isProtected() {
        return PROTECTED.includes(this.environment);
    }

    of(type: string): RecordedResource[] {
        return this.run.resources.filter((r) => r.type === type);
    }

    /** A copy of the run with `target` replaced by what `change` makes of a clone of it. */
    change(kind: string, what: string, target: RecordedResource, change: (inputs: Inputs) => Inputs | void): void {
        const inputs = clone(target.inputs);
        const changed = change(inputs) ?? inputs;
        this.replace(kind, `${what} (${target.name})`, target, { ...target, inputs: changed, state: changed });
    }

    replace(kind: string, what: string, target: RecordedResource, next: RecordedResource): void {
        const resources = this.run.resources.map((r) => (r === target ? next : r));
        this.out.push({ kind, stack: this.run.stack, what, type: target.type, run: { ...this.run, resources } });
    }

    /** A copy of the run without `target`. */
    remove(kind: string, what: string, target: RecordedResource): void {
        const resources = this.run.resources.filter((r) => r !== target);
        this.out.push({
            kind,
            stack: this.run.stack,
            what: `${what} (${target.name})`,
            type: target.type,
            run: { ...this.run, resources },
        });
    }

    /** A copy of the run with a new resource of the stack's provider, depending on `on`. */
    add(kind: string, what: string, type: string, name: string, inputs: Inputs, on: RecordedResource[] = []): void {
        const provider = this.run.resources.find((r) => r.provider)?.provider;
        const added: RecordedResource = {
            urn: `urn:pulumi:${this.run.stack}::${this.run.project}::${type}::${name}`,
            type,
            name,
            custom: true,
            remote: false,
            inputs,
            state: inputs,
            provider,
            protect: false,
            retainOnDelete: false,
            ignoreChanges: [],
            dependencies: on.map((r) => r.urn),
        };
        this.out.push({
            kind,
            stack: this.run.stack,
            what,
            // An added resource attached to another mutates that one (an access key mutates its user).
            type: on[0]?.type ?? type,
            run: { ...this.run, resources: [...this.run.resources, added] },
        });
    }

    /** Mutations of a JSON policy document held in `property`, statement by statement. */
    document(
        kind: string,
        r: RecordedResource,
        property: string,
        edits: [string, (doc: Doc, s: Record<string, any>) => boolean | void][],
        pick: (s: Record<string, any>) => boolean = () => true,
    ): void {
        const doc = parseDoc(r.inputs[property]);
        if (!doc) return;
        doc.Statement.forEach((s, i) => {
            if (!pick(s)) return;
            for (const [what, edit] of edits) {
                const next = clone(doc);
                if (edit(next, next.Statement[i]) === false) continue;
                this.change(kind, `${what} in ${s.Sid ?? `statement ${i + 1}`}`, r, (inputs) => {
                    inputs[property] = JSON.stringify(next);
                });
            }
        });
    }
}

const isAllow = (s: Record<string, any>) => s.Effect === "Allow";
const foreignRoot = (r: RecordedResource) => `arn:${partitionOf(r)}:iam::${FOREIGN_ACCOUNT}:root`;
const awsPrincipals = (s: Record<string, any>): string[] =>
    typeof s.Principal === "object" && s.Principal?.AWS !== undefined ? [s.Principal.AWS].flat() : [];

function trusts(b: Builder): void {
    for (const role of b.of("aws:iam/role:Role")) {
        b.document("iam-trust", role, "assumeRolePolicy", [
            ["trust opened to Principal *", (_d, s) => void ((s.Principal = { AWS: "*" }), delete s.Condition)],
            [
                'trust to "*" with only aws:SecureTransport',
                (_d, s) => void ((s.Principal = "*"), (s.Condition = { Bool: { "aws:SecureTransport": "true" } })),
            ],
            [
                "foreign account trusted without narrowing",
                (d) =>
                    void d.Statement.push({
                        Effect: "Allow",
                        Principal: { AWS: foreignRoot(role) },
                        Action: "sts:AssumeRole",
                    }),
            ],
            ["NotPrincipal trust", (_d, s) => void ((s.NotPrincipal = { AWS: foreignRoot(role) }), delete s.Principal)],
        ]);
        // Cross-account trusts: drop the caller narrowing, or widen it.
        b.document(
            "iam-trust",
            role,
            "assumeRolePolicy",
            [
                ["aws:PrincipalArn condition removed", (_d, s) => void delete s.Condition],
                [
                    "aws:PrincipalArn widened to role/*",
                    (_d, s) => {
                        s.Condition = {
                            ArnLike: { "aws:PrincipalArn": awsPrincipals(s)[0].replace(/:root$/, ":role/*") },
                        };
                    },
                ],
                [
                    "aws:PrincipalArn of a foreign account",
                    (_d, s) => {
                        s.Condition = {
                            ArnEquals: {
                                "aws:PrincipalArn": `arn:${partitionOf(role)}:iam::${FOREIGN_ACCOUNT}:role/x`,
                            },
                        };
                    },
                ],
            ],
            (s) => awsPrincipals(s).some((p) => p.endsWith(":root")) && conditionKeys(s).includes("aws:PrincipalArn"),
        );
        // Service trusts (confused deputy): the aws:SourceAccount / aws:SourceArn narrowing removed or widened.
        const own = String(b.run.config[`${b.run.project}:${b.environment}AccountId`] ?? "");
        // The stack's partition (a role trusting a service by aws:SourceAccount alone holds no ARN to tell it).
        const partition = b.run.resources.some((r) => partitionOf(r) === "aws-us-gov") ? "aws-us-gov" : "aws";
        const source = (Condition: object) => (_d: Doc, s: Record<string, any>) => void (s.Condition = Condition);
        b.document(
            "iam-trust",
            role,
            "assumeRolePolicy",
            [
                ["source condition removed", (_d, s) => void delete s.Condition],
                [
                    "aws:SourceAccount of a foreign account",
                    source({ StringEquals: { "aws:SourceAccount": FOREIGN_ACCOUNT } }),
                ],
                ['aws:SourceAccount StringLike "*"', source({ StringLike: { "aws:SourceAccount": "*" } })],
                [
                    "aws:SourceArn with a wildcard account",
                    (_d, s) =>
                        void (s.Condition = {
                            ArnLike: { "aws:SourceArn": `arn:${partition}:${serviceName(s)}:*:*:*` },
                        }),
                ],
                [
                    "aws:SourceArn of a foreign account",
                    (_d, s) =>
                        void (s.Condition = {
                            ArnLike: {
                                "aws:SourceArn": `arn:${partition}:${serviceName(s)}:*:${FOREIGN_ACCOUNT}:*`,
                            },
                        }),
                ],
                ["aws:SourceAccount negated", source({ StringNotEquals: { "aws:SourceAccount": FOREIGN_ACCOUNT } })],
                ["aws:SourceAccount IfExists", source({ StringEqualsIfExists: { "aws:SourceAccount": own } })],
                ["aws:SourceAccount ForAnyValue", source({ "ForAnyValue:StringEquals": { "aws:SourceAccount": own } })],
            ],
            (s) =>
                isAllow(s) && servicePrincipals(s).length > 0 && conditionKeys(s).some((k) => SOURCE_KEYS.includes(k)),
        );
    }
}

const SOURCE_KEYS = ["aws:SourceAccount", "aws:SourceArn"];
const servicePrincipals = (s: Record<string, any>): string[] =>
    typeof s.Principal === "object" && s.Principal?.Service !== undefined ? [s.Principal.Service].flat() : [];
/** The ARN service of a statement's first service principal (ecs-tasks.amazonaws.com: ecs). */
const serviceName = (s: Record<string, any>) =>
    ({ "ecs-tasks": "ecs", "vpc-flow-logs": "ec2" })[servicePrincipals(s)[0].split(".")[0]] ??
    servicePrincipals(s)[0].split(".")[0];

function permissions(b: Builder): void {
    const documents: [RecordedResource, string][] = [
        ...b.of("aws:iam/rolePolicy:RolePolicy").map((r): [RecordedResource, string] => [r, "policy"]),
        ...b.of("aws:iam/userPolicy:UserPolicy").map((r): [RecordedResource, string] => [r, "policy"]),
        ...b.of("aws:iam/policy:Policy").map((r): [RecordedResource, string] => [r, "policy"]),
    ];
    for (const [r, property] of documents) {
        const doc = parseDoc(r.inputs[property]);
        const first = doc?.Statement.findIndex(isAllow) ?? -1;
        if (!doc || first < 0) continue;
        const edits: [string, (d: Doc, s: Record<string, any>) => void][] = [
            ["Action * on Resource *", (_d, s) => void ((s.Action = "*"), (s.Resource = "*"))],
            ["service:* on Resource *", (_d, s) => void ((s.Action = `${serviceOf(s.Action)}:*`), (s.Resource = "*"))],
            [
                "NotAction on Resource *",
                (_d, s) => void (delete s.Action, (s.NotAction = ["iam:*"]), (s.Resource = "*")),
            ],
            [
                "NotResource with its actions",
                (_d, s) => void (delete s.Resource, (s.NotResource = ["arn:x"]), (s.Action = "*")),
            ],
            [
                "iam:PassRole on * with PassedToService",
                (d) =>
                    void d.Statement.push({
                        Effect: "Allow",
                        Action: "iam:PassRole",
                        Resource: "*",
                        Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
                    }),
            ],
            [
                "kms:Decrypt on *",
                (d) => void d.Statement.push({ Effect: "Allow", Action: "kms:Decrypt", Resource: "*" }),
            ],
        ];
        for (const [what, edit] of edits) {
            const next = clone(doc);
            edit(next, next.Statement[first]);
            b.change("iam-permissions", what, r, (inputs) => {
                inputs[property] = JSON.stringify(next);
            });
        }
        // The deploy step's role: its PassRole widened to every role, or without the service condition.
        b.document(
            "iam-permissions",
            r,
            property,
            [
                [
                    "PassRole widened to role/*",
                    (_d, s) => void (s.Resource = String([s.Resource].flat()[0]).replace(/role\/.*$/, "role/*")),
                ],
                ["PassRole without iam:PassedToService", (_d, s) => void delete s.Condition],
            ],
            (s) => s.Sid === "PassTaskRoles",
        );
    }
}

function identities(b: Builder): void {
    const partition = partitionOf(b.run.resources.find((r) => r.type === "aws:iam/role:Role") ?? b.run.resources[0]);
    const managed = (name: string) => `arn:${partition}:iam::aws:policy/${name}`;
    for (const user of b.of("aws:iam/user:User")) {
        b.add(
            "iam-identities",
            `access key for ${user.name}`,
            "aws:iam/accessKey:AccessKey",
            "m-key",
            { user: user.inputs.name },
            [user],
        );
        b.add(
            "iam-identities",
            `login profile for ${user.name}`,
            "aws:iam/userLoginProfile:UserLoginProfile",
            "m-login",
            { user: user.inputs.name },
            [user],
        );
        b.add(
            "iam-identities",
            `AdministratorAccess on ${user.name}`,
            "aws:iam/userPolicyAttachment:UserPolicyAttachment",
            "m-admin",
            { user: user.inputs.name, policyArn: managed("AdministratorAccess") },
            [user],
        );
    }
    for (const role of b.of("aws:iam/role:Role").slice(0, 3)) {
        b.add(
            "iam-identities",
            `AdministratorAccess on ${role.name}`,
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            "m-admin",
            { role: "r", policyArn: managed("AdministratorAccess") },
            [role],
        );
        b.change(
            "iam-identities",
            "managedPolicyArns PowerUserAccess",
            role,
            (i) => void (i.managedPolicyArns = [managed("PowerUserAccess")]),
        );
    }
}

function keys(b: Builder): void {
    for (const key of b.of("aws:kms/key:Key")) {
        b.document(
            "kms",
            key,
            "policy",
            [
                [
                    "Principal * may decrypt",
                    (d) =>
                        void d.Statement.push({
                            Effect: "Allow",
                            Principal: "*",
                            Action: "kms:Decrypt",
                            Resource: "*",
                        }),
                ],
                [
                    "foreign account may use the key",
                    (d) =>
                        void d.Statement.push({
                            Effect: "Allow",
                            Principal: { AWS: foreignRoot(key) },
                            Action: "kms:Decrypt",
                            Resource: "*",
                        }),
                ],
            ],
            (s) =>
                s === parseDoc(key.inputs.policy)?.Statement[0] ||
                s.Sid === parseDoc(key.inputs.policy)?.Statement[0].Sid,
        );
        // Cross-account use statements: widen them.
        b.document(
            "kms",
            key,
            "policy",
            [
                [
                    "kms:ViaService removed",
                    (_d, s) => {
                        for (const block of Object.values(s.Condition ?? {}) as Record<string, unknown>[])
                            delete block["kms:ViaService"];
                    },
                ],
                ["kms:* for the other account", (_d, s) => void (s.Action = "kms:*")],
                [
                    "aws:PrincipalArn removed",
                    (_d, s) => {
                        for (const block of Object.values(s.Condition ?? {}) as Record<string, unknown>[])
                            delete block["aws:PrincipalArn"];
                    },
                ],
            ],
            (s) =>
                isAllow(s) &&
                awsPrincipals(s).some(
                    (p) => !p.includes(`::${b.run.config[`${b.run.project}:${b.environment}AccountId`]}:`),
                ) &&
                conditionKeys(s).includes("kms:ViaService"),
        );
        b.change("kms", "rotation off", key, (i) => void (i.enableKeyRotation = false));
        if (b.isProtected) b.change("kms", "deletion window 7 days", key, (i) => void (i.deletionWindowInDays = 7));
    }
}

const RESOURCE_POLICIES = [
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:ecr/repositoryPolicy:RepositoryPolicy",
    "aws:sns/topicPolicy:TopicPolicy",
    "aws:cloudwatch/eventBusPolicy:EventBusPolicy",
];

function resourcePolicies(b: Builder): void {
    for (const r of RESOURCE_POLICIES.flatMap((t) => b.of(t))) {
        const doc = parseDoc(r.inputs.policy);
        if (!doc) continue;
        const push = (what: string, s: Record<string, any>) => {
            const next = clone(doc);
            next.Statement.push(s);
            b.change("resource-policy", what, r, (i) => void (i.policy = JSON.stringify(next)));
        };
        push("public read", { Effect: "Allow", Principal: "*", Action: "*", Resource: "*" });
        push("public with only aws:SecureTransport", {
            Effect: "Allow",
            Principal: { AWS: "*" },
            Action: "*",
            Resource: "*",
            Condition: { Bool: { "aws:SecureTransport": "true" } },
        });
        push("foreign account without narrowing", {
            Effect: "Allow",
            Principal: { AWS: foreignRoot(r) },
            Action: "*",
            Resource: "*",
        });
        b.document(
            "resource-policy",
            r,
            "policy",
            [
                [
                    "aws:PrincipalArn replaced by aws:SecureTransport",
                    (_d, s) => void (s.Condition = { Bool: { "aws:SecureTransport": "true" } }),
                ],
                ["caller condition removed", (_d, s) => void delete s.Condition],
            ],
            (s) => isAllow(s) && conditionKeys(s).some((k) => CALLER_KEYS.includes(k)),
        );
        if (r.type === "aws:s3/bucketPolicy:BucketPolicy") {
            b.document(
                "s3",
                r,
                "policy",
                [["TLS deny removed", (d, s) => void d.Statement.splice(d.Statement.indexOf(s), 1)]],
                (s) => s.Effect === "Deny" && /SecureTransport|TlsVersion/.test(JSON.stringify(s.Condition)),
            );
        }
    }
}

function buckets(b: Builder): void {
    for (const pab of b.of("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")) {
        for (const flag of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]) {
            b.change("s3", `${flag} false`, pab, (i) => void (i[flag] = false));
        }
    }
    for (const v of b.of("aws:s3/bucketVersioning:BucketVersioning")) {
        b.change("s3", "versioning Suspended", v, (i) => void (i.versioningConfiguration = { status: "Suspended" }));
    }
    for (const sse of b.of("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")) {
        b.change(
            "s3",
            "SSE with alias/aws/s3",
            sse,
            (i) => void (i.rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId = "alias/aws/s3"),
        );
        b.change(
            "s3",
            "SSE-S3 (AES256)",
            sse,
            (i) => void (i.rules[0].applyServerSideEncryptionByDefault = { sseAlgorithm: "AES256" }),
        );
    }
    for (const o of b.of("aws:s3/bucketOwnershipControls:BucketOwnershipControls")) {
        b.change("s3", "ACLs re-enabled (ObjectWriter)", o, (i) => void (i.rule = { objectOwnership: "ObjectWriter" }));
    }
    for (const bucket of b.of("aws:s3/bucket:Bucket")) {
        b.add(
            "s3",
            "public-read ACL",
            "aws:s3/bucketAcl:BucketAcl",
            "m-acl",
            { bucket: bucket.inputs.bucket, acl: "public-read" },
            [bucket],
        );
        if (b.isProtected)
            b.change("s3", "forceDestroy in a protected environment", bucket, (i) => void (i.forceDestroy = true));
    }
}

type Action = Record<string, any>;
type Stage = { name: string; actions: Action[] };

function pipelines(b: Builder): void {
    const projects = b.of("aws:codebuild/project:Project");
    const projectOf = (a: Action) =>
        a.provider === "CodeBuild" ? projects.find((p) => p.inputs.name === a.configuration?.ProjectName) : undefined;
    const runs = (a: Action, pattern: RegExp) => pattern.test(String(projectOf(a)?.inputs.source?.buildspec ?? ""));
    for (const p of b.of("aws:codepipeline/pipeline:Pipeline")) {
        const stages = p.inputs.stages as Stage[];
        // A deploy is a Deploy action or a CodeBuild action whose project is marked deploying or runs a deploy command.
        const deploys = (a: Action) =>
            a.category === "Deploy" ||
            projectOf(a)?.inputs.tags?.[PIPELINE_STEP_TAG] === "deploy" ||
            runs(a, DEPLOY_COMMAND);
        const deployStage = stages.findIndex((s) => s.actions.some(deploys));
        const edit = (what: string, fn: (stages: Stage[]) => void) =>
            b.change("pipeline-gates", what, p, (i) => {
                fn(i.stages);
                i.stages = (i.stages as Stage[]).filter((s) => s.actions.length > 0);
            });
        const remove = (pred: (a: Action) => boolean) => (ss: Stage[]) => {
            for (const s of ss) s.actions = s.actions.filter((a) => !pred(a));
        };
        const moveAfterDeploy = (pred: (a: Action) => boolean) => (ss: Stage[]) => {
            const moved = ss.flatMap((s) => s.actions.filter(pred));
            remove(pred)(ss);
            ss.push({ name: "After", actions: moved.map((a) => ({ ...a, runOrder: 1 })) });
        };
        const scan = (a: Action) => runs(a, /npm audit|semgrep|secretlint|gitleaks|trivy fs|osv-scanner/);
        const tests = (a: Action) => runs(a, /npm (run )?test|npx (jest|mocha)/);
        const approval = (a: Action) => a.category === "Approval";
        if (deployStage < 0) continue;
        if (stages.some((s) => s.actions.some(scan))) {
            edit("security scan action removed", remove(scan));
            edit("security scan moved after deploy", moveAfterDeploy(scan));
            edit("security scan renamed Test and pointed at the unit-test project", (ss) => {
                const testProject = ss.flatMap((s) => s.actions).find(tests)?.configuration?.ProjectName;
                for (const s of ss)
                    for (const a of s.actions.filter(scan))
                        a.configuration = { ...a.configuration, ProjectName: testProject };
                remove(tests)(ss);
            });
        }
        if (stages.some((s) => s.actions.some(tests))) {
            edit("unit tests removed", remove(tests));
            edit("unit tests moved after deploy", moveAfterDeploy(tests));
            // An unmarked project counts as deploying: the unit tests then deploy before any test ran.
            const testProject = projectOf(stages.flatMap((s) => s.actions).find(tests)!);
            if (testProject) {
                b.change(
                    "pipeline-gates",
                    "step mark removed from the unit-test project",
                    testProject,
                    (i) => void delete i.tags?.[PIPELINE_STEP_TAG],
                );
            }
        }
        if (b.isProtected && stages.some((s) => s.actions.some(approval))) {
            edit("approval removed", remove(approval));
            edit("approval moved after deploy", moveAfterDeploy(approval));
            edit("an action running a project outside the stack added before the approval", (ss) => {
                const outside = { ...ss[1].actions.find((a) => a.provider === "CodeBuild")! };
                ss[1].actions.push({
                    ...outside,
                    name: "Outside",
                    runOrder: 9,
                    configuration: { ...outside.configuration, ProjectName: "not-of-this-stack" },
                });
            });
            edit("deploy project moved into the Build stage, before the approval", (ss) => {
                const moved = ss.flatMap((s) => s.actions.filter(deploys));
                remove(deploys)(ss);
                ss[1].actions.push(...moved.map((a) => ({ ...a, runOrder: 9 })));
            });
        }
        b.change(
            "pipeline-gates",
            "artifact store key alias/aws/s3",
            p,
            (i) => void (i.artifactStores[0].encryptionKey = { id: "alias/aws/s3", type: "KMS" }),
        );
        b.change(
            "pipeline-gates",
            "artifact store without key",
            p,
            (i) => void delete i.artifactStores[0].encryptionKey,
        );
    }
}

function builds(b: Builder): void {
    for (const p of b.of("aws:codebuild/project:Project")) {
        const docker = /docker\s+(build|push|pull|tag)/.test(String(p.inputs.source?.buildspec ?? ""));
        if (!docker)
            b.change(
                "codebuild",
                "privileged mode without Docker",
                p,
                (i) => void (i.environment.privilegedMode = true),
            );
        b.change("codebuild", "plaintext database URL with password", p, (i) => {
            i.environment.environmentVariables = [
                ...(i.environment.environmentVariables ?? []),
                { name: "DB", type: "PLAINTEXT", value: "postgres://app:hunter2@db.internal:5432/orders" },
            ];
        });
        b.change("codebuild", "plaintext NPM_TOKEN", p, (i) => {
            i.environment.environmentVariables = [
                ...(i.environment.environmentVariables ?? []),
                { name: "NPM_TOKEN", type: "PLAINTEXT", value: "x" },
            ];
        });
        b.change("codebuild", "encryptionKey alias/aws/s3", p, (i) => void (i.encryptionKey = "alias/aws/s3"));
        b.change(
            "codebuild",
            "CloudWatch logs disabled",
            p,
            (i) => void (i.logsConfig = { cloudwatchLogs: { status: "DISABLED" } }),
        );
        b.change(
            "codebuild",
            "S3 logs unencrypted",
            p,
            (i) =>
                void (i.logsConfig = {
                    ...i.logsConfig,
                    s3Logs: { status: "ENABLED", location: "b/logs", encryptionDisabled: true },
                }),
        );
        b.change(
            "codebuild",
            "artifacts unencrypted",
            p,
            (i) => void (i.artifacts = { ...i.artifacts, encryptionDisabled: true }),
        );
        b.change(
            "codebuild",
            "source URL with a token",
            p,
            (i) =>
                void (i.source = {
                    type: "GITHUB",
                    location: "https://x-access-token:ghs_abc@github.com/org/repo.git",
                }),
        );
    }
    for (const g of b.of("aws:codebuild/reportGroup:ReportGroup")) {
        b.change(
            "codebuild",
            "report export unencrypted",
            g,
            (i) =>
                void (i.exportConfig = {
                    type: "S3",
                    s3Destination: { bucket: "b", encryptionDisabled: true, packaging: "NONE" },
                }),
        );
    }
}

function containers(b: Builder): void {
    for (const td of b.of("aws:ecs/taskDefinition:TaskDefinition")) {
        const edit = (what: string, fn: (c: Record<string, any>) => void) =>
            b.change("ecs", what, td, (i) => {
                const cs = JSON.parse(i.containerDefinitions) as Record<string, any>[];
                fn(cs[0]);
                i.containerDefinitions = JSON.stringify(cs);
            });
        edit("privileged container", (c) => void (c.privileged = true));
        edit("runs as root", (c) => void (c.user = "0"));
        edit("no user", (c) => void delete c.user);
        edit(
            "database URL with password in environment",
            (c) =>
                void (c.environment = [
                    ...(c.environment ?? []),
                    { name: "DB", value: "postgres://app:hunter2@db:5432/o" },
                ]),
        );
        edit(
            "API_KEY in environment",
            (c) => void (c.environment = [...(c.environment ?? []), { name: "API_KEY", value: "k" }]),
        );
        edit("no log configuration", (c) => void delete c.logConfiguration);
        edit("public image", (c) => void (c.image = "public.ecr.aws/docker/library/node:22"));
        edit("latest tag", (c) => void (c.image = String(c.image).replace(/[:@].*$/, ":latest")));
        if (b.environment === "prod")
            edit("writable root filesystem in prod", (c) => void (c.readonlyRootFilesystem = false));
    }
    for (const s of b.of("aws:ecs/service:Service")) {
        b.change("ecs", "public IP", s, (i) => void (i.networkConfiguration.assignPublicIp = true));
        b.change("ecs", "ECS Exec on", s, (i) => void (i.enableExecuteCommand = true));
        b.change(
            "ecs",
            "circuit breaker off",
            s,
            (i) => void (i.deploymentCircuitBreaker = { enable: false, rollback: false }),
        );
    }
    for (const c of b.of("aws:ecs/cluster:Cluster")) {
        b.change(
            "ecs",
            "Container Insights off",
            c,
            (i) => void (i.settings = [{ name: "containerInsights", value: "disabled" }]),
        );
    }
    for (const r of b.of("aws:ecr/repository:Repository")) {
        b.change("ecr", "mutable tags", r, (i) => void (i.imageTagMutability = "MUTABLE"));
        b.change("ecr", "no scan on push", r, (i) => void (i.imageScanningConfiguration = { scanOnPush: false }));
        b.change(
            "ecr",
            "AES256 encryption",
            r,
            (i) => void (i.encryptionConfigurations = [{ encryptionType: "AES256" }]),
        );
        b.change(
            "ecr",
            "key alias/aws/ecr",
            r,
            (i) => void (i.encryptionConfigurations = [{ encryptionType: "KMS", kmsKey: "alias/aws/ecr" }]),
        );
    }
}

function logs(b: Builder): void {
    for (const g of b.of("aws:cloudwatch/logGroup:LogGroup")) {
        b.change("logs", "retention 1 day", g, (i) => void (i.retentionInDays = 1));
        if (b.isProtected || b.environment === "tool")
            b.change("logs", "retention 30 days", g, (i) => void (i.retentionInDays = 30));
        b.change("logs", "no KMS key", g, (i) => void delete i.kmsKeyId);
    }
    for (const t of b.of("aws:sns/topic:Topic")) {
        b.change("logs", "topic with alias/aws/sns", t, (i) => void (i.kmsMasterKeyId = "alias/aws/sns"));
        b.change("logs", "topic unencrypted", t, (i) => void delete i.kmsMasterKeyId);
    }
}

function network(b: Builder): void {
    for (const rule of b.of("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")) {
        const open = (what: string, patch: Inputs) =>
            b.change("network", what, rule, (i) => {
                delete i.referencedSecurityGroupId;
                Object.assign(i, { cidrIpv4: "0.0.0.0/0" }, patch);
            });
        open("SSH from 0.0.0.0/0", { ipProtocol: "tcp", fromPort: 22, toPort: 22 });
        open("RDP from 0.0.0.0/0", { ipProtocol: "tcp", fromPort: 3389, toPort: 3389 });
        open("app port from 0.0.0.0/0", { ipProtocol: "tcp", fromPort: 3000, toPort: 3000 });
        open("all traffic from 0.0.0.0/0", { ipProtocol: "-1", fromPort: undefined, toPort: undefined });
    }
    for (const sg of b.of("aws:ec2/securityGroup:SecurityGroup").slice(0, 1)) {
        b.change(
            "network",
            "inline SSH from ::/0",
            sg,
            (i) => void (i.ingress = [{ protocol: "tcp", fromPort: 22, toPort: 22, ipv6CidrBlocks: ["::/0"] }]),
        );
    }
    for (const lb of b.of("aws:lb/loadBalancer:LoadBalancer")) {
        b.change("elb", "invalid headers kept", lb, (i) => void (i.dropInvalidHeaderFields = false));
        if (b.isProtected)
            b.change("elb", "deletion protection off", lb, (i) => void (i.enableDeletionProtection = false));
    }
    for (const l of b.of("aws:lb/listener:Listener")) {
        if (l.inputs.protocol === "HTTPS") {
            b.change("elb", "TLS 1.0 policy", l, (i) => void (i.sslPolicy = "ELBSecurityPolicy-2016-08"));
            b.change("elb", "default TLS policy", l, (i) => void delete i.sslPolicy);
            if (partitionOf(l) === "aws-us-gov")
                b.change(
                    "elb",
                    "non-FIPS TLS 1.3 policy in GovCloud",
                    l,
                    (i) => void (i.sslPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06"),
                );
        }
        const https = b.of("aws:lb/listener:Listener").some((x) => x.inputs.protocol === "HTTPS");
        if (l.inputs.protocol === "HTTP" && (https || b.isProtected)) {
            b.change(
                "elb",
                "HTTP forwarded instead of redirected",
                l,
                (i) => void (i.defaultActions = [{ type: "forward", targetGroupArn: "tg" }]),
            );
        }
    }
}

function rulesAndDashboards(b: Builder): void {
    for (const rule of b.of("aws:lb/listenerRule:ListenerRule")) {
        b.change(
            "elb",
            "listener rule redirects the service's traffic to another host",
            rule,
            (i) =>
                void (i.actions = [
                    {
                        type: "redirect",
                        redirect: { host: "login.example.com", protocol: "HTTPS", statusCode: "HTTP_302" },
                    },
                ]),
        );
        b.change(
            "elb",
            "listener rule forwards to a target group of another account",
            rule,
            (i) =>
                void (i.actions = [
                    {
                        type: "forward",
                        targetGroupArn: `arn:${partitionOf(rule)}:elasticloadbalancing:us-east-1:${FOREIGN_ACCOUNT}:targetgroup/x/0123456789abcdef`,
                    },
                ]),
        );
    }
    for (const dashboard of b.of("aws:cloudwatch/dashboard:Dashboard")) {
        b.change(
            "audit",
            "dashboard shows alarms of another account",
            dashboard,
            (i) =>
                void (i.dashboardBody = String(i.dashboardBody).replace(
                    /(:cloudwatch:[^:"]*:)\d{12}:/g,
                    `$1${FOREIGN_ACCOUNT}:`,
                )),
        );
    }
}

function protection(b: Builder): void {
    if (!b.isProtected) return;
    for (const r of b.run.resources.filter((x) => x.protect)) {
        b.replace("protect", `protect dropped (${r.name})`, r, { ...r, protect: false });
    }
}

function providers(b: Builder): void {
    for (const p of b.of("pulumi:providers:aws")) {
        const set = (what: string, fn: (i: Inputs) => void) => b.change("provider", what, p, fn);
        set(
            "allowedAccountIds of another account",
            (i) => void (i.allowedAccountIds = JSON.stringify([FOREIGN_ACCOUNT])),
        );
        set("allowedAccountIds removed", (i) => void delete i.allowedAccountIds);
        set(
            "a role in another account assumed",
            (i) =>
                void (i.assumeRoles = JSON.stringify([
                    { roleArn: `arn:${partitionOf(p)}:iam::${FOREIGN_ACCOUNT}:role/deploy` },
                ])),
        );
    }
}

function partitions(b: Builder): void {
    if (!JSON.stringify(b.run.resources.map((r) => r.inputs)).includes("arn:aws-us-gov:")) return;
    for (const r of b.of("aws:iam/rolePolicy:RolePolicy").slice(0, 3)) {
        b.change(
            "partition",
            "commercial ARN in GovCloud",
            r,
            (i) => void (i.policy = String(i.policy).split("arn:aws-us-gov:").join(["arn", "aws", ""].join(":"))),
        );
    }
}

/** The stack's config value of a program key (`devBranch`, `toolAccountId`, ...). */
const configOf = (b: Builder, key: string) => String(b.run.config[`${b.run.project}:${key}`] ?? "");
const withPattern = (fn: (p: Record<string, any>) => void) => (i: Inputs) => {
    const p = JSON.parse(i.eventPattern);
    fn(p);
    i.eventPattern = JSON.stringify(p);
};

function eventRouting(b: Builder): void {
    for (const rule of b.of("aws:cloudwatch/eventRule:EventRule")) {
        if (!String(rule.inputs.eventPattern ?? "").includes("aws.codecommit")) continue;
        b.change(
            "events",
            "branch filter removed (every branch)",
            rule,
            withPattern((p) => delete p.detail),
        );
        b.change(
            "events",
            "repository filter removed (every repository)",
            rule,
            withPattern((p) => delete p.resources),
        );
        b.change(
            "events",
            "branch filter widened to a prefix",
            rule,
            withPattern((p) => void (p.detail.referenceName = [{ prefix: "" }])),
        );
        b.change(
            "events",
            "branch filter turned into anything-but",
            rule,
            withPattern((p) => void (p.detail.referenceName = [{ "anything-but": ["main"] }])),
        );
        b.change(
            "events",
            "source filter removed",
            rule,
            withPattern((p) => void (delete p.source, delete p.resources)),
        );
    }
    for (const t of b.of("aws:cloudwatch/eventTarget:EventTarget")) {
        const partition = partitionOf(t);
        b.change(
            "events",
            "target bus of a foreign account",
            t,
            (i) => void (i.arn = `arn:${partition}:events:us-gov-west-1:${FOREIGN_ACCOUNT}:event-bus/default`),
        );
        if (t.inputs.roleArn)
            b.change(
                "events",
                "target role of a foreign account",
                t,
                (i) => void (i.roleArn = `arn:${partition}:iam::${FOREIGN_ACCOUNT}:role/events`),
            );
    }
    for (const r of b.of("aws:iam/rolePolicy:RolePolicy")) {
        b.document(
            "events",
            r,
            "policy",
            [
                [
                    "start or forward role widened to every pipeline or bus",
                    (_d, s) => void (s.Resource = String(s.Resource).replace(/[^:/]+$/, "*")),
                ],
                ["start or forward role on Resource *", (_d, s) => void (s.Resource = "*")],
                [
                    "start or forward role given codepipeline:* and events:*",
                    (_d, s) => void ((s.Action = ["codepipeline:*", "events:*"]), (s.Resource = "*")),
                ],
            ],
            (s) => /StartPipelineExecution|PutEvents/.test(JSON.stringify(s.Action)),
        );
    }
}

function auditTrail(b: Builder): void {
    for (const log of b.of("aws:ec2/flowLog:FlowLog")) {
        b.remove("audit", "flow log removed", log);
        b.change("audit", "flow log narrowed to ACCEPT", log, (i) => void (i.trafficType = "ACCEPT"));
        b.change("audit", "flow log narrowed to REJECT", log, (i) => void (i.trafficType = "REJECT"));
        b.change(
            "audit",
            "flow log sent to another account",
            log,
            (i) => void (i.logDestination = String(i.logDestination).replace(/:\d{12}:/, `:${FOREIGN_ACCOUNT}:`)),
        );
        b.change(
            "audit",
            "flow log delivered by a role of another account",
            log,
            (i) => void (i.iamRoleArn = String(i.iamRoleArn).replace(/::\d{12}:/, `::${FOREIGN_ACCOUNT}:`)),
        );
    }
    for (const vpc of b.of("awsx:ec2:Vpc")) {
        b.add("audit", "a second VPC without a flow log", vpc.type, "m-vpc", clone(vpc.inputs));
    }
    for (const alarm of b.of("aws:cloudwatch/metricAlarm:MetricAlarm")) {
        b.change("audit", "failure alarm without action", alarm, (i) => void delete i.alarmActions);
        b.change("audit", "failure alarm actions disabled", alarm, (i) => void (i.actionsEnabled = false));
        b.change(
            "audit",
            "failure alarm notifies a topic of another account",
            alarm,
            (i) => void (i.alarmActions = [String(i.alarmActions[0]).replace(/:\d{12}:/, `:${FOREIGN_ACCOUNT}:`)]),
        );
    }
    for (const sub of b.of("aws:sns/topicSubscription:TopicSubscription")) {
        b.change(
            "audit",
            "subscription over plain HTTP to an outside endpoint",
            sub,
            (i) => void Object.assign(i, { protocol: "http", endpoint: "http://hooks.example.com/release" }),
        );
        b.change(
            "audit",
            "subscription to a queue of another account",
            sub,
            (i) =>
                void Object.assign(i, {
                    protocol: "sqs",
                    endpoint: `arn:${partitionOf(sub)}:sqs:us-gov-west-1:${FOREIGN_ACCOUNT}:copy`,
                }),
        );
    }
    for (const param of b.of("aws:ssm/parameter:Parameter")) {
        b.change(
            "audit",
            "plaintext parameter named as a secret",
            param,
            (i) => void Object.assign(i, { name: "/cicd/orders-api/db-password", insecureValue: "hunter2" }),
        );
        b.change(
            "audit",
            "plaintext parameter holding a database URL with password",
            param,
            (i) => void (i.insecureValue = "postgres://app:hunter2@db.internal:5432/orders"),
        );
    }
}

function escalation(b: Builder): void {
    const partition = partitionOf(b.run.resources.find((r) => r.type === "aws:iam/role:Role") ?? b.run.resources[0]);
    const own = configOf(b, `${b.environment}AccountId`);
    const grant = (Action: string | string[], Resource: string) => (d: Doc) =>
        void d.Statement.push({ Effect: "Allow", Action, Resource });
    for (const r of b.of("aws:iam/rolePolicy:RolePolicy")) {
        const doc = parseDoc(r.inputs.policy);
        if (!doc) continue;
        const edits: [string, (d: Doc) => void][] = [
            ["iam:PutRolePolicy on role/*", grant("iam:PutRolePolicy", `arn:${partition}:iam::${own}:role/*`)],
            ["iam:AttachRolePolicy on role/*", grant("iam:AttachRolePolicy", `arn:${partition}:iam::${own}:role/*`)],
            [
                "iam:CreatePolicyVersion on policy/*",
                grant("iam:CreatePolicyVersion", `arn:${partition}:iam::${own}:policy/*`),
            ],
            ["iam:Put* on *", grant("iam:Put*", "*")],
            ["iam:*Policy* on role/cicd-*", grant("iam:*Policy*", `arn:${partition}:iam::${own}:role/cicd-*`)],
            [
                "iam:UpdateAssumeRolePolicy on role/*",
                grant("iam:UpdateAssumeRolePolicy", `arn:${partition}:iam::${own}:role/*`),
            ],
        ];
        for (const [what, edit] of edits) {
            const next = clone(doc);
            edit(next);
            b.change("escalation", what, r, (i) => void (i.policy = JSON.stringify(next)));
        }
    }
    for (const role of b.of("aws:iam/role:Role")) {
        b.change("escalation", "12-hour sessions", role, (i) => void (i.maxSessionDuration = 43200));
        b.change("escalation", "2-hour sessions", role, (i) => void (i.maxSessionDuration = 7200));
    }
}

/** The roles people sign in to (tagged PersonRole): boundary, break-glass MFA, admin in prod. */
function people(b: Builder): void {
    for (const role of b.of("aws:iam/role:Role").filter((r) => r.inputs.tags?.PersonRole)) {
        b.change(
            "people",
            "person role without its permissions boundary",
            role,
            (i) => void delete i.permissionsBoundary,
        );
        if (role.inputs.tags.PersonRole !== "break-glass") continue;
        const trust = parseDoc(role.inputs.assumeRolePolicy);
        if (!trust) continue;
        const withoutMfa = clone(trust);
        for (const st of withoutMfa.Statement) delete st.Condition;
        b.change(
            "people",
            "break-glass trust without MFA",
            role,
            (i) => void (i.assumeRolePolicy = JSON.stringify(withoutMfa)),
        );
    }
    if (b.environment !== "prod") return;
    for (const r of b.of("aws:iam/rolePolicy:RolePolicy").filter((p) => /-people-/.test(p.name))) {
        const doc = parseDoc(r.inputs.policy);
        if (!doc) continue;
        const admin = clone(doc);
        admin.Statement.push({ Effect: "Allow", Action: "*", Resource: "*" });
        b.change("people", "person role with admin in prod", r, (i) => void (i.policy = JSON.stringify(admin)));
    }
}

function containersAndBalancers(b: Builder): void {
    for (const td of b.of("aws:ecs/taskDefinition:TaskDefinition")) {
        const edit = (what: string, fn: (c: Record<string, any>) => void) =>
            b.change("containers", what, td, (i) => {
                const cs = JSON.parse(i.containerDefinitions) as Record<string, any>[];
                fn(cs[0]);
                i.containerDefinitions = JSON.stringify(cs);
            });
        edit("SYS_ADMIN added", (c) => void (c.linuxParameters.capabilities.add = ["SYS_ADMIN"]));
        edit("SYS_PTRACE added", (c) => void (c.linuxParameters.capabilities.add = ["SYS_PTRACE"]));
        edit("drop-all removed", (c) => void delete c.linuxParameters.capabilities.drop);
        edit("linuxParameters removed", (c) => void delete c.linuxParameters);
    }
    for (const s of b.of("aws:ecs/service:Service")) {
        b.change("containers", "Fargate platform 1.3.0", s, (i) => void (i.platformVersion = "1.3.0"));
        b.change("containers", "Fargate platform 1.2.0", s, (i) => void (i.platformVersion = "1.2.0"));
    }
    for (const tg of b.of("aws:lb/targetGroup:TargetGroup")) {
        b.change("containers", "health check disabled", tg, (i) => void (i.healthCheck = { enabled: false }));
    }
    for (const lb of b.of("aws:lb/loadBalancer:LoadBalancer")) {
        b.change("containers", "desync mitigation monitor", lb, (i) => void (i.desyncMitigationMode = "monitor"));
    }
    for (const rule of b.of("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")) {
        b.change(
            "containers",
            "egress widened to all traffic",
            rule,
            (i) => void (Object.assign(i, { ipProtocol: "-1" }), delete i.fromPort, delete i.toPort),
        );
        b.change(
            "containers",
            "egress widened to all TCP ports",
            rule,
            (i) => void Object.assign(i, { fromPort: 0, toPort: 65535 }),
        );
    }
    for (const sg of b.of("aws:ec2/securityGroup:SecurityGroup").slice(0, 1)) {
        b.change(
            "containers",
            "inline all-traffic egress",
            sg,
            (i) => void (i.egress = [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }]),
        );
    }
}

function keysAndBuckets(b: Builder): void {
    for (const key of b.of("aws:kms/key:Key")) {
        b.change("keys-buckets", "lockout safety check bypassed", key, (i) => {
            i.bypassPolicyLockoutSafetyCheck = true;
        });
        b.document(
            "keys-buckets",
            key,
            "policy",
            [
                ["service statement without aws:SourceAccount", (_d, s) => void delete s.Condition],
                [
                    "service statement for another account",
                    (_d, s) => void (s.Condition = { StringEquals: { "aws:SourceAccount": FOREIGN_ACCOUNT } }),
                ],
            ],
            (s) => isAllow(s) && servicePrincipals(s).length > 0 && conditionKeys(s).length > 0,
        );
        b.document(
            "keys-buckets",
            key,
            "policy",
            [
                ["unconditioned service statement given kms:*", (_d, s) => void (s.Action = "kms:*")],
                [
                    "unconditioned service statement given kms:CreateGrant",
                    (_d, s) => void (s.Action = [s.Action, "kms:CreateGrant"].flat()),
                ],
            ],
            (s) => isAllow(s) && servicePrincipals(s).length > 0 && conditionKeys(s).length === 0,
        );
    }
    for (const alias of b.of("aws:kms/alias:Alias")) {
        b.change(
            "keys-buckets",
            "alias pointed at a key of another account",
            alias,
            (i) => void (i.targetKeyId = `arn:${partitionOf(alias)}:kms:us-gov-west-1:${FOREIGN_ACCOUNT}:key/0a1b2c3d`),
        );
    }
    for (const bp of b.of("aws:s3/bucketPolicy:BucketPolicy")) {
        b.document(
            "keys-buckets",
            bp,
            "policy",
            [["upload encryption deny removed", (d, s) => void d.Statement.splice(d.Statement.indexOf(s), 1)]],
            (s) => s.Effect === "Deny" && /x-amz-server-side-encryption/.test(JSON.stringify(s.Condition)),
        );
        b.document(
            "keys-buckets",
            bp,
            "policy",
            [
                [
                    "upload key deny names a key of another account",
                    (_d, s) => {
                        const block = s.Condition.StringNotEqualsIfExists;
                        const k = "s3:x-amz-server-side-encryption-aws-kms-key-id";
                        block[k] = String(block[k]).replace(/:\d{12}:/, `:${FOREIGN_ACCOUNT}:`);
                    },
                ],
                ["upload key deny narrowed to GetObject", (_d, s) => void (s.Action = "s3:GetObject")],
            ],
            (s) => s.Effect === "Deny" && /aws-kms-key-id/.test(JSON.stringify(s.Condition)),
        );
    }
    for (const lc of b.of("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")) {
        if (!b.isProtected) continue;
        b.change("keys-buckets", "current versions of every object expire", lc, (i) => {
            i.rules = [...i.rules, { id: "expire-all", status: "Enabled", filter: {}, expiration: { days: 30 } }];
        });
        b.change("keys-buckets", "release manifests expire", lc, (i) => {
            i.rules = [
                ...i.rules,
                { id: "expire-releases", status: "Enabled", filter: { prefix: "releases/" }, expiration: { days: 7 } },
            ];
        });
    }
    for (const repo of b.of("aws:ecr/repository:Repository")) {
        if (b.isProtected) b.change("keys-buckets", "forceDelete on", repo, (i) => void (i.forceDelete = true));
    }
    for (const lp of b.of("aws:ecr/lifecyclePolicy:LifecyclePolicy")) {
        b.remove("keys-buckets", "ECR lifecycle policy removed", lp);
    }
    for (const repo of b.of("aws:codecommit/repository:Repository")) {
        b.replace("keys-buckets", `protect dropped (${repo.name})`, repo, { ...repo, protect: false });
    }
}

/** `spec` with what `pattern` matches replaced. */
const respec = (spec: string, pattern: RegExp, replace: (found: string) => string) => spec.replace(pattern, replace);

function pipelineBehaviour(b: Builder): void {
    const projects = b.of("aws:codebuild/project:Project");
    const deployRole = projects.find((p) => p.inputs.tags?.[PIPELINE_STEP_TAG] === "deploy")?.inputs.serviceRole;
    for (const p of projects) {
        const spec = String(p.inputs.source?.buildspec ?? "");
        const set = (what: string, next: string) => {
            if (next !== spec)
                b.change("pipelines", what, p, (i) => void (i.source = { ...i.source, buildspec: next }));
        };
        if (deployRole && p.inputs.serviceRole !== deployRole && p.inputs.tags?.[PIPELINE_STEP_TAG] !== "deploy")
            b.change("pipelines", "project under the deploy step's role", p, (i) => void (i.serviceRole = deployRole));
        b.change("pipelines", "source without TLS verification", p, (i) => void (i.source.insecureSsl = true));
        set(
            "buildspec fetches with curl -k",
            spec.replace(/(\n\s+commands:\n)(\s+)/, "$1$2- curl -k -o tool.sh https://tools.example.com/tool.sh\n$2"),
        );
        set(
            "buildspec turns npm strict-ssl off",
            spec.replace(/(\n\s+commands:\n)(\s+)/, "$1$2- npm config set strict-ssl false\n$2"),
        );
        set(
            "unit tests || true",
            respec(spec, /^(\s+- npm test)$/m, (l) => `${l} || true`),
        );
        set(
            "unit tests ; exit 0",
            respec(spec, /^(\s+- npm test)$/m, (l) => `${l}; exit 0`),
        );
        set(
            "secrets scan || true",
            respec(spec, /\|\| SECRETS=\$\?/, () => "|| true"),
        );
        set(
            "static analysis || :",
            respec(spec, /\|\| LINT=\$\?/, () => "|| :"),
        );
        set(
            "scan under set +e",
            /secretlint|describe-image-scan-findings/.test(spec)
                ? spec.replace(/(\n\s+commands:\n)(\s+)/, "$1$2- set +e\n$2")
                : spec,
        );
        set(
            "gate phase on-failure CONTINUE",
            /describe-image-scan-findings|npm test/.test(spec)
                ? spec.replace(/(\n(\s+)build:\n)/, "$1$2    on-failure: CONTINUE\n")
                : spec,
        );
    }
    const tool = configOf(b, "toolAccountId");
    for (const pl of b.of("aws:codepipeline/pipeline:Pipeline")) {
        const partition = partitionOf(pl);
        b.change(
            "pipelines",
            "artifact store key of another account",
            pl,
            (i) =>
                void (i.artifactStores[0].encryptionKey.id = String(i.artifactStores[0].encryptionKey.id).replace(
                    /:\d{12}:/,
                    `:${FOREIGN_ACCOUNT}:`,
                )),
        );
        b.change(
            "pipelines",
            "pipeline role of another account",
            pl,
            (i) => void (i.roleArn = String(i.roleArn).replace(/::\d{12}:/, `::${FOREIGN_ACCOUNT}:`)),
        );
        b.change("pipelines", "source role of another account", pl, (i) => {
            i.stages[0].actions[0].roleArn = `arn:${partition}:iam::${FOREIGN_ACCOUNT}:role/source`;
        });
        if (tool)
            b.change("pipelines", "build action role in the tool account", pl, (i) => {
                i.stages[1].actions[0].roleArn = `arn:${partition}:iam::${tool}:role/build`;
            });
        if (b.isProtected) {
            b.change("pipelines", "follows the dev branch", pl, (i) => {
                i.stages[0].actions[0].configuration.BranchName = configOf(b, "devBranch");
            });
            b.change("pipelines", "follows a feature branch", pl, (i) => {
                i.stages[0].actions[0].configuration.BranchName = "feature/unreviewed";
            });
        }
        const gate = (a: Action) =>
            /describe-image-scan-findings/.test(
                String(projects.find((p) => p.inputs.name === a.configuration?.ProjectName)?.inputs.source?.buildspec),
            );
        b.change("pipelines", "image scan gate moved after deploy", pl, (i) => {
            const ss = i.stages as Stage[];
            const moved = ss.flatMap((s) => s.actions.filter(gate));
            for (const s of ss) s.actions = s.actions.filter((a) => !gate(a));
            ss.push({ name: "After", actions: moved.map((a) => ({ ...a, runOrder: 1 })) });
        });
        b.change("pipelines", "image scan gate removed", pl, (i) => {
            for (const s of i.stages as Stage[]) s.actions = s.actions.filter((a) => !gate(a));
        });
    }
}

/** A mutation's family: what it changes, without the resource and statement it changes it on. */
export const familyOf = (m: Mutation) => `${m.kind}: ${m.what.replace(/ \(.*\)$/, "").replace(/ in [^ ]+$/, "")}`;

/** The Lambda target's resources: who may invoke the function, where it runs, what its execution role holds. */
function lambdaFunctions(b: Builder): void {
    const functions = b.of("aws:lambda/function:Function");
    for (const permission of b.of("aws:lambda/permission:Permission")) {
        b.change("lambda", "invocation granted to anyone", permission, (i) => ({ ...i, principal: "*" }));
        b.change("lambda", "invocation granted to a foreign account", permission, (i) => ({
            ...i,
            principal: FOREIGN_ACCOUNT,
        }));
        b.change("lambda", "service invocation without sourceArn", permission, (i) => {
            delete i.sourceArn;
        });
    }
    for (const fn of functions) {
        b.change("lambda", "function outside the VPC", fn, (i) => {
            delete i.vpcConfig;
        });
        b.change("lambda", "function in one subnet", fn, (i) => ({
            ...i,
            vpcConfig: { ...i.vpcConfig, subnetIds: [i.vpcConfig.subnetIds[0]] },
        }));
        b.change("lambda", "function from a .zip on a deprecated runtime", fn, (i) => ({
            ...i,
            packageType: "Zip",
            runtime: "nodejs16.x",
            imageUri: undefined,
        }));
        b.add(
            "lambda",
            `anonymous function URL (${fn.name})`,
            "aws:lambda/functionUrl:FunctionUrl",
            `${fn.name}-url`,
            {
                functionName: fn.inputs.name,
                authorizationType: "NONE",
            },
            [fn],
        );
        const roleName = String(fn.inputs.role).split("/").pop();
        const role = b.of("aws:iam/role:Role").find((r) => r.inputs.name === roleName);
        if (role) {
            b.add(
                "lambda",
                `managed policy on the execution role (${role.name})`,
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                `${role.name}-admin`,
                {
                    role: roleName,
                    policyArn: `arn:${partitionOf(role)}:iam::aws:policy/AdministratorAccess`,
                },
                [role],
            );
        }
        for (const policy of b.of("aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.role === roleName)) {
            b.document(
                "lambda",
                policy,
                "policy",
                [
                    ["wildcard action in the execution role", (_d, s) => void (s.Action = `${serviceOf(s.Action)}:*`)],
                    ["execution role statement on every resource", (_d, s) => void (s.Resource = "*")],
                ],
                (s) => isAllow(s) && s.Resource !== "*",
            );
        }
    }
    for (const alarm of b
        .of("aws:cloudwatch/metricAlarm:MetricAlarm")
        .filter((a) => a.inputs.namespace === "AWS/Lambda")) {
        b.change("lambda", "rollback alarm notifying no one", alarm, (i) => {
            delete i.alarmActions;
        });
    }
}

/**
 * The mutations of one recorded stack (of `environment`): of each family, the first and the last (on different
 * resources or statements), so that the suite stays fast while every family is tried on every stack.
 */
export function mutationsOf(run: StackRun, environment: string): Mutation[] {
    const all = allMutationsOf(run, environment);
    const byFamily = new Map<string, Mutation[]>();
    for (const m of all) byFamily.set(familyOf(m), [...(byFamily.get(familyOf(m)) ?? []), m]);
    return [...byFamily.values()].flatMap((ms) => (ms.length > 1 ? [ms[0], ms[ms.length - 1]] : ms));
}

/** Every mutation of one recorded stack (of `environment`). */
export function allMutationsOf(run: StackRun, environment: string): Mutation[] {
    const b = new Builder(run, environment);
    for (const add of [
        trusts,
        permissions,
        identities,
        keys,
        resourcePolicies,
        buckets,
        pipelines,
        builds,
        containers,
        logs,
        network,
        rulesAndDashboards,
        protection,
        providers,
        partitions,
        eventRouting,
        auditTrail,
        escalation,
        people,
        containersAndBalancers,
        keysAndBuckets,
        pipelineBehaviour,
        lambdaFunctions,
    ])
        add(b);
    return b.out;
}
