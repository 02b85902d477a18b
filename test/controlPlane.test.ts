// The control plane by evaluation: bootstrap/account.yaml (five accounts) and bootstrap/state.yaml (the tool account)
// resolved for example parameters in both partitions, and each CI role's calls evaluated against AWS's rules
// (test/iamEvaluator.ts: identity policies, the bucket's or key's resource policy across accounts, conditions).
// Each table lists what a workflow command needs (Allowed) and what must never be (Denied). The GitHub trust is
// judged by its conditions (the evaluator models no federated principal): the subject and audience must match.
import { expect } from "chai";
import { Decision, evaluate, PolicyDocument } from "./iamEvaluator";
import { readTemplate, resolveTemplate, Template } from "./cfnTemplate";
import { stackSecretsProvider } from "../deploy/stacks";
import { PERMISSIONS_BOUNDARY_NAME } from "../domain/naming";

const STACKS = ["tool", "dev", "qa", "stage", "prod"] as const;
type Stack = (typeof STACKS)[number];
const ACCOUNTS: Record<Stack, string> = {
    tool: "314159265358",
    dev: "271828182845",
    qa: "161803398874",
    stage: "141421356237",
    prod: "173205080756",
};
const PARTITIONS = [
    ["aws-us-gov", "us-gov-west-1"],
    ["aws", "us-east-1"],
] as const;
const REPO = "example-org/devsecops-pipelines";
const PROJECT = "devsecops-pipelines";
const KEY_IDS = { state: "11111111-2222-3333-4444-555555555555", secrets: "66666666-7777-8888-9999-000000000000" };

type Expected = "Allowed" | "Denied";
type Context = Record<string, string | string[]>;
type Row = readonly [action: string, resource: string, context: Context | undefined, expected: Expected];

interface Plane {
    readonly partition: string;
    readonly region: string;
    readonly bucket: string;
    readonly bucketArn: string;
    readonly stateKey: string;
    readonly secretsKey: string;
    readonly state: Template;
    readonly accounts: Record<Stack, Template>;
}

function planeOf(partition: string, region: string, edit?: (p: Plane) => void): Plane {
    const tool = ACCOUNTS.tool;
    const bucket = `pulumi-state-${tool}-${region}`;
    const stateKey = `arn:${partition}:kms:${region}:${tool}:key/${KEY_IDS.state}`;
    const secretsKey = `arn:${partition}:kms:${region}:${tool}:key/${KEY_IDS.secrets}`;
    const state = resolveTemplate(readTemplate("state.yaml"), {
        partition,
        region,
        account: tool,
        parameters: {
            ToolAccountId: ACCOUNTS.tool,
            DevAccountId: ACCOUNTS.dev,
            QaAccountId: ACCOUNTS.qa,
            StageAccountId: ACCOUNTS.stage,
            ProdAccountId: ACCOUNTS.prod,
        },
        attributes: {
            StateBucket: bucket,
            "StateBucket.Arn": `arn:${partition}:s3:::${bucket}`,
            StateKey: KEY_IDS.state,
            "StateKey.Arn": stateKey,
            SecretsKey: KEY_IDS.secrets,
            "SecretsKey.Arn": secretsKey,
        },
    });
    const template = readTemplate("account.yaml");
    const accounts = Object.fromEntries(
        STACKS.map((stack) => {
            const account = ACCOUNTS[stack];
            const policy = (name: string) => `arn:${partition}:iam::${account}:policy/${name}`;
            return [
                stack,
                resolveTemplate(template, {
                    partition,
                    region,
                    account,
                    parameters: {
                        GitHubRepository: REPO,
                        StackName: stack,
                        StateBucketName: bucket,
                        StateKeyArn: stateKey,
                        StackConfigKeyArn: secretsKey,
                    },
                    attributes: Object.fromEntries(
                        Object.entries(template.Resources)
                            .filter(([, r]: [string, any]) => r.Type === "AWS::IAM::ManagedPolicy")
                            .map(([name]) => [name, policy(name)]),
                    ),
                }),
            ];
        }),
    ) as Record<Stack, Template>;
    const plane = {
        partition,
        region,
        bucket,
        bucketArn: `arn:${partition}:s3:::${bucket}`,
        stateKey,
        secretsKey,
        state,
        accounts,
    };
    edit?.(plane);
    return plane;
}

/** The identity policies of a role: its managed policies, resolved. */
function policiesOf(t: Template, role: "PreviewRole" | "DeployRole"): PolicyDocument[] {
    const byArn = new Map(
        Object.entries(t.Resources)
            .filter(([, r]: [string, any]) => r.Type === "AWS::IAM::ManagedPolicy")
            .map(([name, r]: [string, any]) => [r.Properties.ManagedPolicyName ?? name, r.Properties.PolicyDocument]),
    );
    return (t.Resources[role].Properties.ManagedPolicyArns as string[]).map((arn) => {
        const doc = byArn.get(arn.split("/").pop()!);
        if (!doc) throw new Error(`${role}: ${arn} is not a policy of the template (an AWS managed policy?)`);
        return doc;
    });
}

/** The resource policy AWS evaluates with a call on `resource`, and its owner. */
function targetOf(p: Plane, resource: string): { policy?: PolicyDocument; account?: string } {
    if (resource === p.bucketArn || resource.startsWith(`${p.bucketArn}/`))
        return { policy: p.state.Resources.StateBucketPolicy.Properties.PolicyDocument, account: ACCOUNTS.tool };
    if (resource === p.stateKey)
        return { policy: p.state.Resources.StateKey.Properties.KeyPolicy, account: ACCOUNTS.tool };
    if (resource === p.secretsKey)
        return { policy: p.state.Resources.SecretsKey.Properties.KeyPolicy, account: ACCOUNTS.tool };
    // A key of the program: its key policy lets its own account's IAM policies decide (the default key policy).
    const [, , service, , account, rest = ""] = resource.split(":");
    if (service === "kms" && rest.startsWith("key/"))
        return {
            policy: {
                Version: "2012-10-17",
                Statement: [
                    {
                        Effect: "Allow",
                        Principal: { AWS: `arn:${p.partition}:iam::${account}:root` },
                        Action: "kms:*",
                        Resource: "*",
                    },
                ],
            },
            account,
        };
    return {};
}

/**
 * The evaluator resolves variable condition keys written with a slash (aws:ResourceTag/<key>) but not KMS's
 * colon form (kms:EncryptionContext:<key>): both sides are renamed to a slash-form key of the same semantics
 * (one single-valued string from the request).
 */
const ENCRYPTION_CONTEXT = /kms:EncryptionContext:pulumi_stack/g;
const STAND_IN = "aws:RequestTag/pulumi_stack";
function standIn<T>(x: T): T {
    return JSON.parse(JSON.stringify(x).replace(ENCRYPTION_CONTEXT, STAND_IN));
}

async function decide(p: Plane, stack: Stack, role: "PreviewRole" | "DeployRole", row: Row): Promise<Decision> {
    const t = p.accounts[stack];
    const principal = `arn:${p.partition}:iam::${ACCOUNTS[stack]}:role/${t.Resources[role].Properties.RoleName}`;
    const [action, resource, context] = row;
    const target = targetOf(p, resource);
    return evaluate(principal, standIn(policiesOf(t, role)), {
        action,
        resource,
        context: standIn({ "aws:PrincipalAccount": ACCOUNTS[stack], "aws:SecureTransport": "true", ...context }),
        ...(target.policy ? { resourcePolicy: standIn(target.policy) } : {}),
        ...(target.account ? { resourceAccount: target.account } : {}),
    });
}

/** Whether a GitHub OIDC token with `claims` may assume `role` (its trust policy's conditions). */
function trustAllows(p: Plane, stack: Stack, role: "PreviewRole" | "DeployRole", claims: Record<string, string>) {
    const provider = `arn:${p.partition}:iam::${ACCOUNTS[stack]}:oidc-provider/token.actions.githubusercontent.com`;
    const like = (pattern: string, value: string) =>
        new RegExp(
            `^${pattern
                .replace(/[.+^${}()|[\]\\]/g, "\\$&")
                .replace(/\*/g, ".*")
                .replace(/\?/g, ".")}$`,
        ).test(value);
    return (p.accounts[stack].Resources[role].Properties.AssumeRolePolicyDocument.Statement as any[]).some(
        (s) =>
            s.Effect === "Allow" &&
            [s.Action].flat().includes("sts:AssumeRoleWithWebIdentity") &&
            s.Principal?.Federated === provider &&
            Object.entries(s.Condition ?? {}).every(([op, tests]) =>
                Object.entries(tests as Record<string, string | string[]>).every(([key, allowed]) => {
                    const value = claims[key.replace("token.actions.githubusercontent.com:", "")];
                    if (value === undefined) return false;
                    const list = [allowed].flat();
                    if (op === "StringEquals") return list.includes(value);
                    if (op === "StringLike") return list.some((a) => like(a, value));
                    throw new Error(`trust condition ${op} is not judged here`);
                }),
            ),
    );
}

// ---- the tables ----

const accountOf = (p: Plane, stack: Stack) => ACCOUNTS[stack];
const arn = (p: Plane, stack: Stack, service: string, rest: string, region = p.region) =>
    `arn:${p.partition}:${service}:${service === "iam" || service === "s3" ? "" : region}:${service === "s3" ? "" : accountOf(p, stack)}:${rest}`;
const obj = (p: Plane, key: string) => `${p.bucketArn}/.pulumi/${key}`;
const checkpoint = (p: Plane, s: Stack) => obj(p, `stacks/${PROJECT}/${s}.json`);
const history = (p: Plane, s: Stack) => obj(p, `history/${PROJECT}/${s}/${s}-1767225600000000000.history.json`);
const backup = (p: Plane, s: Stack) => obj(p, `backups/${PROJECT}/${s}/${s}.1767225600000000000.json`);
const lock = (p: Plane, s: Stack) => obj(p, `locks/organization/${PROJECT}/${s}/0b6f3c9e.json`);
const viaS3 = (p: Plane): Context => ({ "kms:ViaService": `s3.${p.region}.amazonaws.com` });
const secretsOf = (s: Stack): Context => ({ "kms:EncryptionContext:pulumi_stack": s });
const other = (s: Stack): Stack => (s === "prod" ? "dev" : "prod");
const artifactBucket = (p: Plane, s: Stack) => `arn:${p.partition}:s3:::cicd-artifacts-${ACCOUNTS[s]}-${p.region}`;
const role = (p: Plane, s: Stack, name: string) => arn(p, s, "iam", `role/${name}`);
const boundary = (p: Plane, s: Stack) => arn(p, s, "iam", `policy/${PERMISSIONS_BOUNDARY_NAME}`);
const withBoundary = (p: Plane, s: Stack): Context => ({ "iam:PermissionsBoundary": boundary(p, s) });
const programKey = (p: Plane, s: Stack) => arn(p, s, "kms", "key/abcdef01-2345-6789-abcd-ef0123456789");
const tagged: Context = { "aws:ResourceTag/Project": PROJECT };
const passedTo = (service: string): Context => ({ "iam:PassedToService": `${service}.amazonaws.com` });
const logStream = (p: Plane, s: Stack) => arn(p, s, "logs", "log-group:/ecs/orders-api:log-stream:orders/1");

/** `pulumi login`, `pulumi stack select` and `pulumi preview` of its own stack; nothing of another stack's state. */
function stateRows(p: Plane, s: Stack, deploy: boolean): Row[] {
    const o = other(s);
    return [
        ["s3:ListBucket", p.bucketArn, undefined, "Allowed"],
        ["s3:GetObject", obj(p, "meta.yaml"), undefined, "Allowed"],
        ["s3:GetObject", checkpoint(p, s), undefined, "Allowed"],
        ["s3:PutObject", lock(p, s), undefined, "Allowed"],
        ["s3:DeleteObject", lock(p, s), undefined, "Allowed"],
        ["kms:Decrypt", p.stateKey, viaS3(p), "Allowed"],
        ["kms:GenerateDataKey", p.stateKey, viaS3(p), "Allowed"],
        ["kms:Decrypt", p.secretsKey, secretsOf(s), "Allowed"],
        // Another stack: its state, history, locks and secrets.
        ["s3:GetObject", checkpoint(p, o), undefined, "Denied"],
        ["s3:PutObject", checkpoint(p, o), undefined, "Denied"],
        ["s3:PutObject", history(p, o), undefined, "Denied"],
        ["s3:DeleteObject", history(p, o), undefined, "Denied"],
        ["s3:PutObject", lock(p, o), undefined, "Denied"],
        ["s3:DeleteObject", lock(p, o), undefined, "Denied"],
        ["kms:Decrypt", p.secretsKey, secretsOf(o), "Denied"],
        ["kms:Decrypt", p.secretsKey, undefined, "Denied"],
        // The bucket and the keys themselves.
        ["s3:PutBucketPolicy", p.bucketArn, undefined, "Denied"],
        ["s3:PutBucketVersioning", p.bucketArn, undefined, "Denied"],
        ["s3:DeleteObjectVersion", checkpoint(p, s), undefined, "Denied"],
        ["s3:PutLifecycleConfiguration", p.bucketArn, undefined, "Denied"],
        ["kms:PutKeyPolicy", p.stateKey, undefined, "Denied"],
        ["kms:PutKeyPolicy", p.secretsKey, undefined, "Denied"],
        ["kms:ScheduleKeyDeletion", p.secretsKey, undefined, "Denied"],
        ["kms:Decrypt", p.stateKey, undefined, "Denied"],
        ...(deploy
            ? ([
                  ["s3:PutObject", checkpoint(p, s), undefined, "Allowed"],
                  ["s3:PutObject", `${checkpoint(p, s)}.bak`, undefined, "Allowed"],
                  ["s3:PutObject", history(p, s), undefined, "Allowed"],
                  ["s3:PutObject", backup(p, s), undefined, "Allowed"],
                  ["s3:GetObject", history(p, s), undefined, "Allowed"],
                  ["kms:Encrypt", p.secretsKey, secretsOf(s), "Allowed"],
                  ["s3:DeleteObject", history(p, s), undefined, "Denied"],
                  ["s3:DeleteObject", backup(p, s), undefined, "Denied"],
                  ["kms:Encrypt", p.secretsKey, secretsOf(o), "Denied"],
              ] as Row[])
            : ([
                  ["s3:PutObject", checkpoint(p, s), undefined, "Denied"],
                  ["s3:DeleteObject", checkpoint(p, s), undefined, "Denied"],
                  ["kms:Encrypt", p.secretsKey, secretsOf(s), "Denied"],
              ] as Row[])),
    ];
}

/** Reads that return data, of this account: no CI role has them. */
function noDataRows(p: Plane, s: Stack): Row[] {
    return [
        ["s3:GetObject", `${artifactBucket(p, s)}/releases/orders-api/0123abcd.json`, undefined, "Denied"],
        ["s3:GetObjectVersion", `${artifactBucket(p, s)}/releases/orders-api/0123abcd.json`, undefined, "Denied"],
        ["logs:GetLogEvents", logStream(p, s), undefined, "Denied"],
        ["logs:FilterLogEvents", arn(p, s, "logs", "log-group:/ecs/orders-api"), undefined, "Denied"],
        ["logs:StartQuery", arn(p, s, "logs", "log-group:/ecs/orders-api"), undefined, "Denied"],
        ["ssm:GetParameter", arn(p, s, "ssm", "parameter/app/database-password"), undefined, "Denied"],
        [
            "secretsmanager:GetSecretValue",
            arn(p, s, "secretsmanager", "secret:orders-api/db-AbCdEf"),
            undefined,
            "Denied",
        ],
        ["ecr:BatchGetImage", arn(p, s, "ecr", "repository/orders-api"), undefined, "Denied"],
        ["ecr:GetDownloadUrlForLayer", arn(p, s, "ecr", "repository/orders-api"), undefined, "Denied"],
        ["codecommit:GetFile", arn(p, s, "codecommit", "orders-api"), undefined, "Denied"],
    ];
}

/** What `pulumi preview` reads of the program's types: metadata. */
function metadataRows(p: Plane, s: Stack): Row[] {
    return [
        ["sts:GetCallerIdentity", "*", undefined, "Allowed"],
        ["ecs:DescribeServices", arn(p, s, "ecs", "service/orders/orders-api"), undefined, "Allowed"],
        ["ec2:DescribeVpcs", "*", undefined, "Allowed"],
        ["s3:GetBucketPolicy", artifactBucket(p, s), undefined, "Allowed"],
        ["kms:GetKeyPolicy", programKey(p, s), undefined, "Allowed"],
        ["iam:GetRolePolicy", role(p, s, `cicd-${s}-orders-api-pipeline`), undefined, "Allowed"],
        ["logs:DescribeLogGroups", "*", undefined, "Allowed"],
        ["ssm:GetParametersByPath", arn(p, s, "ssm", "parameter/cicd/ecs"), undefined, "Allowed"],
    ];
}

function previewRows(p: Plane, s: Stack): Row[] {
    return [
        ...stateRows(p, s, false),
        ...metadataRows(p, s),
        ...noDataRows(p, s),
        ["ssm:GetParameter", arn(p, s, "ssm", "parameter/cicd/ecs/orders-api/container-port"), undefined, "Denied"],
        ["iam:CreateRole", role(p, s, `cicd-${s}-x`), withBoundary(p, s), "Denied"],
        ["ecs:UpdateService", arn(p, s, "ecs", "service/orders/orders-api"), undefined, "Denied"],
        ["iam:PassRole", role(p, s, `cicd-${s}-orders-api-deploy`), passedTo("codebuild"), "Denied"],
    ];
}

function deployRows(p: Plane, s: Stack): Row[] {
    const env = s === "tool" ? "dev" : s;
    const own = (n: string) => role(p, s, n);
    return [
        ...stateRows(p, s, true),
        ...metadataRows(p, s),
        ...noDataRows(p, s),
        // `pulumi up`: the program's roles, with the boundary, under its names.
        ["iam:CreateRole", own(`cicd-${s}-orders-api-pipeline`), withBoundary(p, s), "Allowed"],
        ["iam:CreateRole", own(`${s}-orders-api-service-task-bd2024c`), withBoundary(p, s), "Allowed"],
        ["iam:PutRolePolicy", own(`cicd-${s}-orders-api-pipeline`), withBoundary(p, s), "Allowed"],
        ["iam:UpdateAssumeRolePolicy", own(`cicd-${s}-orders-api-pipeline`), undefined, "Allowed"],
        ["iam:DeleteRole", own(`cicd-${s}-orders-api-pipeline`), undefined, "Allowed"],
        ["iam:CreateUser", arn(p, s, "iam", `user/cicd-${s}-key-administrator`), withBoundary(p, s), "Allowed"],
        ["iam:PassRole", own(`cicd-${s}-orders-api-deploy`), passedTo("codebuild"), "Allowed"],
        ["iam:PassRole", own(`cicd-${s}-orders-api-pipeline`), passedTo("codepipeline"), "Allowed"],
        ["iam:PassRole", own(`${s}-orders-api-service-task-bd2024c`), passedTo("ecs-tasks"), "Allowed"],
        ["iam:PassRole", own(`${s}-orders-api-service-execution-fb522c5`), passedTo("ecs-tasks"), "Allowed"],
        ["iam:PassRole", own(`cicd-${s}-orders-api-start`), passedTo("events"), "Allowed"],
        ["iam:PassRole", own(`cicd-${env}-orders-api-events`), passedTo("events"), "Allowed"],
        ["iam:PassRole", own(`${s}-network-flow-logs-role-6e72284`), passedTo("vpc-flow-logs"), "Allowed"],
        ["s3:CreateBucket", artifactBucket(p, s), undefined, "Allowed"],
        ["s3:PutBucketPolicy", artifactBucket(p, s), undefined, "Allowed"],
        // A destroy with forceDestroy empties the versioned bucket: every version, by its id.
        ["s3:ListBucketVersions", artifactBucket(p, s), undefined, "Allowed"],
        ["s3:DeleteObjectVersion", `${artifactBucket(p, s)}/releases/orders-api/x.json`, undefined, "Allowed"],
        ["kms:CreateKey", "*", { "aws:RequestTag/Project": PROJECT, "aws:TagKeys": ["Project"] }, "Allowed"],
        ["kms:PutKeyPolicy", programKey(p, s), tagged, "Allowed"],
        ["kms:EnableKeyRotation", programKey(p, s), tagged, "Allowed"],
        ["kms:CreateAlias", arn(p, s, "kms", `alias/cicd-${s}-artifacts`), undefined, "Allowed"],
        ["kms:CreateAlias", programKey(p, s), tagged, "Allowed"],
        ["ssm:PutParameter", arn(p, s, "ssm", "parameter/cicd/ecs/orders-api/task-definition"), undefined, "Allowed"],
        ["ecs:UpdateService", arn(p, s, "ecs", "service/orders/orders-api"), undefined, "Allowed"],
        [
            "iam:CreateServiceLinkedRole",
            own("aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"),
            { "iam:AWSServiceName": "ecs.amazonaws.com" },
            "Allowed",
        ],
        // Escalation: admin policies, unbounded or foreign roles, its own role, the OIDC provider, the bootstrap.
        [
            "iam:AttachRolePolicy",
            own(`cicd-${s}-orders-api-pipeline`),
            { "iam:PolicyARN": `arn:${p.partition}:iam::aws:policy/AdministratorAccess`, ...withBoundary(p, s) },
            "Denied",
        ],
        [
            "iam:AttachUserPolicy",
            arn(p, s, "iam", `user/cicd-${s}-key-administrator`),
            { "iam:PolicyARN": `arn:${p.partition}:iam::aws:policy/AdministratorAccess` },
            "Denied",
        ],
        ["iam:CreateRole", own(`cicd-${s}-escalate`), undefined, "Denied"],
        [
            "iam:CreateRole",
            own(`cicd-${s}-escalate`),
            { "iam:PermissionsBoundary": `arn:${p.partition}:iam::aws:policy/AdministratorAccess` },
            "Denied",
        ],
        ["iam:CreateRole", own("Admin"), withBoundary(p, s), "Denied"],
        ["iam:PutRolePolicy", own(`cicd-${s}-orders-api-pipeline`), undefined, "Denied"],
        ["iam:PutRolePolicy", own("OrganizationAccountAccessRole"), withBoundary(p, s), "Denied"],
        ["iam:UpdateAssumeRolePolicy", own("OrganizationAccountAccessRole"), undefined, "Denied"],
        ["iam:DeleteRolePermissionsBoundary", own(`cicd-${s}-orders-api-pipeline`), withBoundary(p, s), "Denied"],
        [
            "iam:PutRolePermissionsBoundary",
            own(`cicd-${s}-orders-api-pipeline`),
            { "iam:PermissionsBoundary": `arn:${p.partition}:iam::aws:policy/AdministratorAccess` },
            "Denied",
        ],
        ["iam:CreateUser", arn(p, s, "iam", `user/cicd-${s}-x`), undefined, "Denied"],
        ["iam:CreateAccessKey", arn(p, s, "iam", `user/cicd-${s}-key-administrator`), undefined, "Denied"],
        ["iam:UpdateAssumeRolePolicy", own("github-pulumi-deploy"), undefined, "Denied"],
        ["iam:PutRolePolicy", own("github-pulumi-deploy"), withBoundary(p, s), "Denied"],
        [
            "iam:AttachRolePolicy",
            own("github-pulumi-deploy"),
            { "iam:PolicyARN": `arn:${p.partition}:iam::aws:policy/AdministratorAccess` },
            "Denied",
        ],
        ["iam:UpdateAssumeRolePolicy", own("github-pulumi-preview"), undefined, "Denied"],
        ["iam:CreatePolicyVersion", boundary(p, s), undefined, "Denied"],
        ["iam:DeletePolicy", boundary(p, s), undefined, "Denied"],
        [
            "iam:UpdateOpenIDConnectProviderThumbprint",
            arn(p, s, "iam", "oidc-provider/token.actions.githubusercontent.com"),
            undefined,
            "Denied",
        ],
        [
            "iam:AddClientIDToOpenIDConnectProvider",
            arn(p, s, "iam", "oidc-provider/token.actions.githubusercontent.com"),
            undefined,
            "Denied",
        ],
        [
            "cloudformation:DeleteStack",
            arn(p, s, "cloudformation", "stack/pulumi-bootstrap/0f1e2d3c"),
            undefined,
            "Denied",
        ],
        [
            "cloudformation:UpdateStack",
            arn(p, s, "cloudformation", "stack/pulumi-bootstrap/0f1e2d3c"),
            undefined,
            "Denied",
        ],
        // Role passing: only the program's roles, each to its own service.
        ["iam:PassRole", own(`${s}-orders-api-service-task-bd2024c`), passedTo("codebuild"), "Denied"],
        ["iam:PassRole", own(`cicd-${s}-orders-api-deploy`), passedTo("ecs-tasks"), "Denied"],
        ["iam:PassRole", own("Admin"), passedTo("ecs-tasks"), "Denied"],
        ["iam:PassRole", own("github-pulumi-deploy"), passedTo("codebuild"), "Denied"],
        ["iam:PassRole", own(`cicd-${s}-orders-api-pipeline`), passedTo("lambda"), "Denied"],
        // Bucket and key policies: only the program's.
        ["s3:PutBucketPolicy", `arn:${p.partition}:s3:::other-team-data`, undefined, "Denied"],
        ["s3:DeleteBucket", `arn:${p.partition}:s3:::other-team-data`, undefined, "Denied"],
        ["s3:DeleteObjectVersion", `arn:${p.partition}:s3:::other-team-data/x`, undefined, "Denied"],
        ["s3:ListBucketVersions", `arn:${p.partition}:s3:::other-team-data`, undefined, "Denied"],
        ["kms:PutKeyPolicy", arn(p, s, "kms", "key/0fedcba9-8765-4321-0fed-cba987654321"), undefined, "Denied"],
        [
            "kms:PutKeyPolicy",
            arn(p, s, "kms", "key/0fedcba9-8765-4321-0fed-cba987654321"),
            { "aws:ResourceTag/Project": "other" },
            "Denied",
        ],
        [
            "kms:TagResource",
            arn(p, s, "kms", "key/0fedcba9-8765-4321-0fed-cba987654321"),
            { "aws:RequestTag/Project": PROJECT },
            "Denied",
        ],
        ["kms:CreateKey", "*", undefined, "Denied"],
        ["kms:CreateAlias", arn(p, s, "kms", "key/0fedcba9-8765-4321-0fed-cba987654321"), undefined, "Denied"],
        ["ssm:PutParameter", arn(p, s, "ssm", "parameter/app/database-password"), undefined, "Denied"],
    ];
}

/** The GitHub subjects each role trusts: [subject, trusted?]. */
function trustRows(s: Stack, role: "PreviewRole" | "DeployRole"): [string, boolean][] {
    const o = other(s);
    const deploy = role === "DeployRole";
    return [
        [`repo:${REPO}:pull_request`, !deploy],
        [`repo:${REPO}:ref:refs/heads/main`, !deploy],
        [`repo:${REPO}:environment:${s}`, deploy],
        [`repo:${REPO}:environment:${o}`, false],
        [`repo:${REPO}:ref:refs/heads/feature/x`, false],
        [`repo:${REPO}:ref:refs/tags/v1.0.0`, false],
        [`repo:example-org/fork:pull_request`, false],
        [`repo:example-org/other:environment:${s}`, false],
    ];
}

/** Every row of every role in `plane` whose decision differs from its table. */
async function mismatches(p: Plane): Promise<string[]> {
    const found: string[] = [];
    const jobs: Promise<void>[] = [];
    for (const s of STACKS) {
        for (const [role, rows] of [
            ["PreviewRole", previewRows(p, s)],
            ["DeployRole", deployRows(p, s)],
        ] as const) {
            for (const row of rows)
                jobs.push(
                    decide(p, s, role, row).then((d) => {
                        if ((d === "Allowed") !== (row[3] === "Allowed"))
                            found.push(
                                `${p.partition} ${s} ${role}: ${row[0]} on ${row[1]} ${JSON.stringify(row[2] ?? {})} -> ${d}, expected ${row[3]}`,
                            );
                    }),
                );
            for (const [sub, trusted] of trustRows(s, role)) {
                const audience = { sub, aud: "sts.amazonaws.com" };
                if (trustAllows(p, s, role, audience) !== trusted)
                    found.push(`${p.partition} ${s} ${role}: assumed by ${sub} -> ${!trusted}, expected ${trusted}`);
            }
            if (trustAllows(p, s, role, { sub: `repo:${REPO}:environment:${s}`, aud: "example.com" }))
                found.push(`${p.partition} ${s} ${role}: assumed with another audience`);
        }
    }
    await Promise.all(jobs);
    return found.sort();
}

export const COUNTS = () => {
    const p = planeOf("aws", "us-east-1");
    const rows = STACKS.flatMap((s) => [...previewRows(p, s), ...deployRows(p, s)]);
    const trust = STACKS.flatMap((s) => [...trustRows(s, "PreviewRole"), ...trustRows(s, "DeployRole")]);
    return {
        allowed: rows.filter((r) => r[3] === "Allowed").length + trust.filter((t) => t[1]).length,
        denied: rows.filter((r) => r[3] === "Denied").length + trust.filter((t) => !t[1]).length + 2 * STACKS.length,
    };
};

/** A policy statement of a resolved template, by resource and Sid. */
function statement(t: Template, resource: string, sid: string): any {
    const r = t.Resources[resource].Properties;
    const doc = r.PolicyDocument ?? r.KeyPolicy ?? r.AssumeRolePolicyDocument;
    const found = doc.Statement.find((s: any) => s.Sid === sid);
    if (!found) throw new Error(`${resource} has no statement ${sid}`);
    return found;
}

describe("control plane by evaluation: the bootstrap roles, state and trust in both partitions", function () {
    this.timeout(120000);

    for (const [partition, region] of PARTITIONS) {
        it(`${partition}: every row of the preview and deploy roles of the five accounts is decided as its table says`, async () => {
            expect(await mismatches(planeOf(partition, region))).to.deep.equal([]);
        });
    }

    it("stacks are created with their KMS encryption context (what the secrets key's policy requires)", () => {
        const url = "awskms:///arn:aws-us-gov:kms:us-gov-west-1:314159265358:key/k?region=us-gov-west-1";
        expect(stackSecretsProvider(url, "prod")).to.equal(`${url}&context_pulumi_stack=prod`);
        expect(stackSecretsProvider(`${url}&context_pulumi_stack=prod`, "prod")).to.equal(
            `${url}&context_pulumi_stack=prod`,
        );
        expect(stackSecretsProvider("awskms://alias/x", "dev")).to.equal("awskms://alias/x?context_pulumi_stack=dev");
        expect(stackSecretsProvider("passphrase", "dev")).to.equal("passphrase");
    });

    it("the tables are not empty: both decisions, every role", () => {
        const counts = COUNTS();
        expect(counts.allowed).to.be.above(150);
        expect(counts.denied).to.be.above(400);
    });

    it("no role carries an AWS managed policy (ReadOnlyAccess reads data)", () => {
        for (const s of STACKS) {
            const t = planeOf("aws", "us-east-1").accounts[s];
            for (const role of ["PreviewRole", "DeployRole"] as const)
                expect(() => policiesOf(t, role), `${s} ${role}`).not.to.throw();
        }
    });

    // Each planted widening must turn at least one row: the tables see it.
    const widenings: [string, (p: Plane) => void][] = [
        [
            "the preview role reads every object (ReadOnlyAccess's s3:GetObject)",
            (p) =>
                statement(p.accounts.prod, "ProgramMetadataReads", "DescribeProgramTypes").Action.push("s3:GetObject"),
        ],
        [
            "the preview role reads log events",
            (p) =>
                statement(p.accounts.prod, "ProgramMetadataReads", "DescribeProgramTypes").Action.push(
                    "logs:GetLogEvents",
                ),
        ],
        [
            "the deploy role creates roles without the boundary",
            (p) => delete statement(p.accounts.dev, "DeployIdentityPolicy", "BoundedRoles").Condition,
        ],
        [
            "the deploy role creates roles under any name",
            (p) => (statement(p.accounts.dev, "DeployIdentityPolicy", "BoundedRoles").Resource = "*"),
        ],
        [
            "the deploy role passes any role",
            (p) => (statement(p.accounts.qa, "DeployIdentityPolicy", "PassToEcsTasks").Resource = "*"),
        ],
        [
            "the deploy role writes any bucket's policy",
            (p) => (statement(p.accounts.stage, "DeployIdentityPolicy", "ProgramBuckets").Resource = "*"),
        ],
        [
            "the deploy role may drop the boundary",
            (p) => (statement(p.accounts.dev, "DeployIdentityPolicy", "BoundaryStays").Effect = "Allow"),
        ],
        [
            "the deploy role's own role is no longer denied to it",
            (p) => {
                const s = statement(p.accounts.dev, "DeployIdentityPolicy", "NotTheBootstrapIdentities");
                s.Resource = s.Resource.slice(2);
                statement(p.accounts.dev, "DeployIdentityPolicy", "ProgramRoles").Resource = "*";
            },
        ],
        [
            "the dev deploy role writes every stack's state (role and bucket policy)",
            (p) => {
                statement(p.accounts.dev, "DeployStatePolicy", "WriteThisStack").Resource = `${p.bucketArn}/*`;
                statement(p.state, "StateBucketPolicy", "DevWrite").Resource = `${p.bucketArn}/*`;
            },
        ],
        [
            "the tool deploy role writes every stack's state (same account as the bucket: its own policy alone)",
            (p) => (statement(p.accounts.tool, "DeployStatePolicy", "WriteThisStack").Resource = `${p.bucketArn}/*`),
        ],
        [
            "every preview decrypts every stack's secrets",
            (p) => {
                for (const a of ["Tool", "Dev", "Qa", "Stage", "Prod"])
                    delete statement(p.state, "SecretsKey", `${a}Decrypt`).Condition.StringEquals;
                for (const s of STACKS)
                    delete statement(p.accounts[s], "PreviewStatePolicy", "ThisStackSecrets").Condition;
            },
        ],
        [
            "a pull request assumes the prod deploy role",
            (p) =>
                (statement(p.accounts.prod, "DeployRole", "GitHubEnvironmentOfThisStack").Condition.StringEquals[
                    "token.actions.githubusercontent.com:sub"
                ] = [`repo:${REPO}:environment:prod`, `repo:${REPO}:pull_request`]),
        ],
        [
            "the dev deploy role trusts any subject of the repository",
            (p) => {
                const c = statement(p.accounts.dev, "DeployRole", "GitHubEnvironmentOfThisStack").Condition;
                c.StringLike = { "token.actions.githubusercontent.com:sub": `repo:${REPO}:*` };
                delete c.StringEquals["token.actions.githubusercontent.com:sub"];
            },
        ],
    ];
    for (const [name, widen] of widenings) {
        it(`a planted widening fails the tables: ${name}`, async () => {
            const [partition, region] = PARTITIONS[0];
            expect(await mismatches(planeOf(partition, region, widen))).not.to.deep.equal([]);
        });
    }
});
