import * as aws from "@pulumi/aws";
import { validateResourceOfType } from "@pulumi/policy";
import {
    createdHere,
    Deferred,
    dependenciesOf,
    keyVerdict,
    known,
    NON_SECRET_SOURCES,
    resourcePolicy,
    stackPolicy,
    UNKNOWN,
} from "./common";
import { commandsOf, IMAGE_SCAN_COMMAND, SECURITY_SCAN_COMMAND, UNIT_TEST_COMMAND } from "./codepipeline";

/** Variable names that hold secrets. */
export const SECRET_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL)/i;
/** Values that look like credentials whatever their name: AWS access key ids, GitHub tokens, PEM keys. */
export const SECRET_VALUE =
    /(^|[^A-Z0-9])(AKIA|ASIA)[A-Z0-9]{16}|gh[pousr]_[A-Za-z0-9]{20,}|-----BEGIN [A-Z ]*PRIVATE KEY/;
/** A URL with a password in its user info (`postgres://user:pass@host`), or a token in its query string. */
export const URL_CREDENTIALS =
    /[a-z][a-z0-9+.-]*:\/\/[^/@\s:]*:[^/@\s]+@|[?&](access_token|token|password|api_key|secret)=/i;
/**
 * Commands that need the Docker daemon, the one reason for privileged mode in CodeBuild ("Enable this flag if you
 * want to build Docker images", CodeBuild API ProjectEnvironment.privilegedMode): build, pull, tag, push.
 */
export const DOCKER_COMMAND = /\bdocker\s+(buildx\s+)?(build|pull|push|tag|run|load|save)\b|\bbuildah\s+(bud|build)\b/;

/** What in a plaintext variable looks like a secret: its name, its value, a URL with credentials; else undefined. */
export function secretLooking(name: string, value: unknown): string | undefined {
    if (SECRET_NAME.test(name)) return "name";
    if (typeof value !== "string") return undefined;
    if (URL_CREDENTIALS.test(value)) return "value (a URL with credentials)";
    if (SECRET_VALUE.test(value)) return "value";
    return undefined;
}

export const codebuildEncryptionKey = stackPolicy(
    {
        name: "codebuild-project-encryption-key",
        summary:
            "CodeBuild projects encrypt their artifacts with a customer-managed KMS key (encryptionKey set, not an alias/aws/ key, artifact encryption not disabled).",
        severity: "high",
        nist: ["SC-28", "SC-12"],
    },
    (args, report) => {
        const projects = args.resources.filter((r) => r.isType(aws.codebuild.Project));
        if (projects.length === 0) args.notApplicable("no CodeBuild project in the stack");
        const deferred = new Deferred();
        for (const p of projects) {
            // Unknown during preview: a key of this stack when encryptionKey depends on one.
            const verdict = keyVerdict(() => p.props.encryptionKey, deferred, p, "encryptionKey");
            if (verdict.kind === "aws-managed" || verdict.kind === "missing") {
                report(
                    `CodeBuild project "${p.name}" has encryptionKey ${verdict.found} (the AWS-managed key); required: ` +
                        `the ARN of the pipeline's customer-managed key; fix: set encryptionKey to the key ARN.`,
                    p.urn,
                );
            }
            const artifacts = deferred.read(() => [
                p.props.artifacts,
                ...((p.props.secondaryArtifacts ?? []) as any[]),
            ]);
            if (artifacts === UNKNOWN) continue;
            if (artifacts.some((a) => a && deferred.read(() => a.encryptionDisabled) === true)) {
                report(
                    `CodeBuild project "${p.name}" sets artifacts encryptionDisabled true; required: encrypted ` +
                        `artifacts; fix: remove encryptionDisabled.`,
                    p.urn,
                );
            }
        }
        deferred.finish();
    },
);

export const codebuildS3LogsEncrypted = resourcePolicy(
    {
        name: "codebuild-s3-logs-encrypted",
        summary: "CodeBuild projects that write logs to S3 keep them encrypted (s3Logs.encryptionDisabled not true).",
        severity: "medium",
        fsbp: ["CodeBuild.3"],
        nist: ["SC-28"],
    },
    validateResourceOfType(aws.codebuild.Project, (project, args, report) => {
        const s3 = project.logsConfig?.s3Logs;
        if (s3?.status === "ENABLED" && s3.encryptionDisabled === true) {
            report(
                `CodeBuild project "${args.name}" writes S3 logs to ${s3.location ?? "(no location)"} with ` +
                    `encryptionDisabled true; required: encrypted S3 logs; fix: remove encryptionDisabled.`,
            );
        }
    }),
);

export const codebuildReportExportEncrypted = resourcePolicy(
    {
        name: "codebuild-report-group-export-encrypted",
        summary: "CodeBuild report groups that export to S3 encrypt the export (encryptionDisabled not true).",
        severity: "medium",
        fsbp: ["CodeBuild.7"],
        nist: ["SC-28"],
    },
    validateResourceOfType(aws.codebuild.ReportGroup, (group, args, report) => {
        const s3 = group.exportConfig?.s3Destination;
        if (group.exportConfig?.type === "S3" && s3?.encryptionDisabled === true) {
            report(
                `CodeBuild report group "${args.name}" exports to S3 bucket ${s3.bucket} with encryptionDisabled true; ` +
                    `required: an encrypted export; fix: remove encryptionDisabled and set encryptionKey.`,
            );
        }
    }),
);

export const codebuildLogging = resourcePolicy(
    {
        name: "codebuild-project-logging",
        summary: "CodeBuild projects send build logs to CloudWatch Logs (cloudwatchLogs not DISABLED).",
        severity: "medium",
        fsbp: ["CodeBuild.4"],
        nist: ["AU-2", "AU-12"],
    },
    validateResourceOfType(aws.codebuild.Project, (project, args, report) => {
        const status = project.logsConfig?.cloudwatchLogs?.status;
        if (status === "DISABLED") {
            report(
                `CodeBuild project "${args.name}" has logsConfig.cloudwatchLogs.status DISABLED; required: ENABLED ` +
                    `(with a group name of an encrypted log group); fix: set status "ENABLED".`,
            );
        }
    }),
);

export const codebuildNoPlaintextSecrets = resourcePolicy(
    {
        name: "codebuild-no-plaintext-secrets",
        summary:
            "CodeBuild PLAINTEXT environment variables hold no secrets: no secret-like names, credential-like values or URLs with credentials (use SECRETS_MANAGER or PARAMETER_STORE).",
        severity: "critical",
        fsbp: ["CodeBuild.2"],
        nist: ["IA-5", "SC-28"],
    },
    (args, report) => {
        if (!args.isType(aws.codebuild.Project)) args.notApplicable("Policy only applies to aws.codebuild.Project");
        const deferred = new Deferred();
        const variables = deferred.read(() => (args.props.environment?.environmentVariables ?? []) as any[]);
        for (const v of variables === UNKNOWN ? [] : variables) {
            if ((v.type ?? "PLAINTEXT") !== "PLAINTEXT") continue;
            // Names decide now; a value unknown during preview is decided by the stack validation below.
            const what = secretLooking(
                v.name,
                deferred.peek(() => v.value),
            );
            if (what) {
                report(
                    `CodeBuild project "${args.name}": environment variable ${v.name} is PLAINTEXT and its ${what} ` +
                        `looks like a secret; required: type SECRETS_MANAGER or PARAMETER_STORE; fix: store the value ` +
                        `there and set value to the secret or parameter name.`,
                );
            }
        }
        deferred.finish();
    },
    undefined,
    (args) => {
        // A PLAINTEXT value unknown at preview is an output of what `environment` depends on: decided when that is
        // only resources whose outputs are never secrets (the artifact key's ARN); else left to `pulumi up`.
        const deferred = new Deferred();
        for (const project of args.resources.filter((r) => r.isType(aws.codebuild.Project))) {
            const variables = deferred.read(() => (project.props.environment?.environmentVariables ?? []) as any[]);
            if (variables === UNKNOWN) continue;
            const unknown = variables.filter(
                (v) => (v.type ?? "PLAINTEXT") === "PLAINTEXT" && deferred.peek(() => v.value) === UNKNOWN,
            );
            if (unknown.length === 0 || createdHere(project, "environment", NON_SECRET_SOURCES)) continue;
            for (const v of unknown) deferred.read(() => v.value);
        }
        deferred.finish();
    },
);

export const codebuildPrivilegedMode = resourcePolicy(
    {
        name: "codebuild-privileged-mode-docker-only",
        summary:
            "Privileged mode only on projects whose inline buildspec uses the Docker daemon (docker build, pull, tag, push); tags cannot grant it.",
        severity: "high",
        fsbp: ["CodeBuild.5"],
        nist: ["AC-6", "CM-7"],
    },
    validateResourceOfType(aws.codebuild.Project, (project, args, report) => {
        if (project.environment?.privilegedMode !== true) return;
        const deferred = new Deferred();
        const spec = deferred.read(() => project.source?.buildspec);
        deferred.finish();
        const builds = typeof spec === "string" && DOCKER_COMMAND.test(commandsOf(spec));
        if (!builds) {
            report(
                `CodeBuild project "${args.name}" sets privilegedMode true but its ${typeof spec === "string" ? "inline buildspec" : "buildspec (not inline, so unreadable here)"} ` +
                    `runs no Docker command (${DOCKER_COMMAND.source}); required: privileged mode only where the ` +
                    `buildspec uses the Docker daemon; fix: turn privilegedMode off.`,
            );
        }
    }),
);

const mask = (url: string) =>
    url.replace(/\/\/[^@/]*@/, "//***@").replace(/([?&](access_token|token|password|api_key|secret)=)[^&]*/gi, "$1***");

export const codebuildSourceNoCredentials = resourcePolicy(
    {
        name: "codebuild-source-no-credentials",
        summary: "CodeBuild source locations hold no credentials or tokens.",
        severity: "critical",
        fsbp: ["CodeBuild.1"],
        nist: ["IA-5", "SC-28"],
    },
    validateResourceOfType(aws.codebuild.Project, (project, args, report) => {
        const sources = [project.source, ...(project.secondarySources ?? [])];
        for (const s of sources) {
            if (s?.location && URL_CREDENTIALS.test(s.location)) {
                report(
                    `CodeBuild project "${args.name}": source location ${mask(s.location)} ` +
                        `holds credentials; required: a location without user info or tokens; fix: use CodeCommit / ` +
                        `CODEPIPELINE sources or a CodeConnections connection.`,
                );
            }
        }
    }),
);

/** The logical lines of a buildspec's commands: comments removed, backslash continuations joined. */
const logicalLines = (spec: string) =>
    commandsOf(spec)
        .replace(/\\\n\s*/g, " ")
        .split("\n");

/** A command's exit status thrown away: `|| true`, `|| :`, `|| exit 0`, `; exit 0`, `; true` at its end. */
const MASKED = /\|\|\s*(true|:|exit\s+0)\s*(;|$)|;\s*(true|exit\s+0)\s*$/;
/** Settings that keep a build going past a failed command. */
const NEVER_FAILS = /(^\s*(-\s+)?|[;&|]\s*)set\s+\+e\b|\bon-failure\s*:\s*CONTINUE\b/im;
const GATES: [string, RegExp][] = [
    ["unit tests", UNIT_TEST_COMMAND],
    ["security scan", SECURITY_SCAN_COMMAND],
    ["image scan", IMAGE_SCAN_COMMAND],
];
/** Within a gate's buildspec, a linter run as a scanner (its security rules live in its config file). */
const LINTER = /\beslint\b/;

/**
 * Why a buildspec's tests or scans can no longer fail the build, or undefined. A masked gate command is accepted
 * only when it writes a JSON report to a file (`--json ... > FILE`) that a later line reads (the verdict is taken
 * from the report, as the security scan's npm audit does).
 */
export function gateCannotFail(spec: string): string | undefined {
    const lines = logicalLines(spec);
    const gates = GATES.filter(([, pattern]) => lines.some((l) => pattern.test(l)));
    if (gates.length === 0) return undefined;
    const never = NEVER_FAILS.exec(commandsOf(spec));
    if (never) return `it runs ${gates.map(([g]) => g).join(", ")} under "${never[0].trim().replace(/^-\s+/, "")}"`;
    for (const [i, line] of lines.entries()) {
        const gate = gates.find(([, pattern]) => pattern.test(line)) ?? (LINTER.test(line) ? ["lint"] : undefined);
        if (!gate || !MASKED.test(line)) continue;
        const report = /--json\b.*?>\s*("[^"]+"|\S+)/.exec(line)?.[1];
        const judged =
            report && report !== "/dev/null" && lines.slice(i + 1).some((l) => l.includes(report.replace(/"/g, "")));
        if (!judged)
            return `its ${gate[0]} command ignores its exit status: ${line.trim().replace(/^-\s+/, "").replace(/\s+/g, " ").slice(0, 160)}`;
    }
    return undefined;
}

export const codebuildGatesCanFail = resourcePolicy(
    {
        name: "codebuild-gates-can-fail",
        summary:
            "A project whose buildspec runs unit tests or a security or image scan can still fail on them: no `|| true`, `|| :`, `; exit 0`, `set +e` or on-failure CONTINUE around the gate commands.",
        severity: "high",
        nist: ["SA-11", "RA-5", "SI-2"],
    },
    validateResourceOfType(aws.codebuild.Project, (project, args, report) => {
        const deferred = new Deferred();
        const spec = deferred.read(() => project.source?.buildspec);
        deferred.finish();
        if (typeof spec !== "string") return;
        const why = gateCannotFail(spec);
        if (why) {
            report(
                `CodeBuild project "${args.name}" cannot fail on its gate: ${why}; required: the build fails when ` +
                    `the tests or scans fail; fix: remove the masking, or keep the report and fail on its findings.`,
            );
        }
    }),
);

/** Commands or settings that fetch code or packages without verifying TLS certificates. */
const TLS_UNVERIFIED =
    /\bcurl\b[^\n]*\s(-k|--insecure)\b|\bwget\b[^\n]*--no-check-certificate|NODE_TLS_REJECT_UNAUTHORIZED\s*=\s*["']?0|strict-ssl[\s=]+false|http\.sslVerify[\s=]+false|GIT_SSL_NO_VERIFY|--trusted-host\b|--no-verify-ssl\b/i;

export const codebuildTlsVerified = resourcePolicy(
    {
        name: "codebuild-source-tls-verified",
        summary:
            "CodeBuild fetches sources and packages with TLS verification: no insecureSsl source and no buildspec command that turns certificate checks off (curl -k, strict-ssl false, NODE_TLS_REJECT_UNAUTHORIZED=0, ...).",
        severity: "high",
        nist: ["SC-8", "SI-7"],
    },
    validateResourceOfType(aws.codebuild.Project, (project, args, report) => {
        const deferred = new Deferred();
        const sources = deferred.read(() => [project.source, ...(project.secondarySources ?? [])]);
        deferred.finish();
        if (sources === UNKNOWN) return;
        const problems: string[] = [];
        for (const s of sources) {
            if (s?.insecureSsl === true) problems.push(`source ${s.type} sets insecureSsl true`);
            const spec = known(() => s?.buildspec);
            const found = typeof spec === "string" ? TLS_UNVERIFIED.exec(commandsOf(spec)) : null;
            if (found) problems.push(`its buildspec runs ${JSON.stringify(found[0].trim())}`);
        }
        if (problems.length > 0) {
            report(
                `CodeBuild project "${args.name}" fetches without TLS verification: ${problems.join("; ")}; required: ` +
                    `verified TLS; fix: remove insecureSsl and the flag (trust a private CA with its certificate).`,
            );
        }
    }),
);

const ROLE = "aws:iam/role:Role";

export const codebuildOwnStepRole = stackPolicy(
    {
        name: "codebuild-project-own-role",
        summary:
            "Every CodeBuild project runs under a service role of its own: no project runs under another step's role (a test step with the deploy role could deploy).",
        severity: "high",
        nist: ["AC-6", "AC-5"],
    },
    (args, report) => {
        const projects = args.resources.filter((r) => r.isType(aws.codebuild.Project));
        if (projects.length < 2) args.notApplicable("fewer than two CodeBuild projects");
        const byRole = new Map<string, string[]>();
        for (const p of projects) {
            const role =
                known(() => p.props.serviceRole as string | undefined) ??
                dependenciesOf(p, "serviceRole").find((d) => d.type === ROLE)?.urn;
            if (role) byRole.set(role, [...(byRole.get(role) ?? []), p.name]);
        }
        for (const [role, names] of byRole) {
            if (names.length < 2) continue;
            const shown = role.startsWith("urn:") ? `role "${role.split("::").pop()}"` : role;
            for (const name of names.slice(1)) {
                report(
                    `CodeBuild project "${name}" runs under ${shown}, the role of project "${names[0]}"; required: one ` +
                        `role per project (each step's role holds only that step's permissions); fix: give the project ` +
                        `its own role.`,
                    projects.find((p) => p.name === name)!.urn,
                );
            }
        }
    },
);

export const codebuildPolicies = [
    codebuildEncryptionKey,
    codebuildS3LogsEncrypted,
    codebuildReportExportEncrypted,
    codebuildLogging,
    codebuildNoPlaintextSecrets,
    codebuildPrivilegedMode,
    codebuildSourceNoCredentials,
];

/** What a project's commands can still fail on, how it fetches, which role it runs under. */
export const codebuildBehaviourPolicies = [codebuildGatesCanFail, codebuildTlsVerified, codebuildOwnStepRole];
