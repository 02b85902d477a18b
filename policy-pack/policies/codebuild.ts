import * as aws from "@pulumi/aws";
import { validateResourceOfType } from "@pulumi/policy";
import { resourcePolicy } from "./common";

/** The tag that declares why a project needs privileged mode (Docker image builds). */
export const PRIVILEGED_TAG = { key: "PrivilegedMode", value: "image-build" };
/** Variable names that hold secrets. */
export const SECRET_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL)/i;
/** Values that look like credentials whatever their name: AWS access key ids, GitHub tokens, PEM keys. */
export const SECRET_VALUE =
    /(^|[^A-Z0-9])(AKIA|ASIA)[A-Z0-9]{16}|gh[pousr]_[A-Za-z0-9]{20,}|-----BEGIN [A-Z ]*PRIVATE KEY/;

export const codebuildEncryptionKey = resourcePolicy(
    {
        name: "codebuild-project-encryption-key",
        summary: "CodeBuild projects encrypt artifacts and logs with a customer-managed KMS key (encryptionKey).",
        severity: "high",
        fsbp: ["CodeBuild.3", "CodeBuild.7"],
        nist: ["SC-28", "SC-12"],
    },
    validateResourceOfType(aws.codebuild.Project, (project, args, report) => {
        if (!project.encryptionKey) {
            report(
                `CodeBuild project "${args.name}" has no encryptionKey, so it uses the AWS-managed key; required: the ` +
                    `ARN of the pipeline's customer-managed key; fix: set encryptionKey to the key ARN.`,
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
        summary: "CodeBuild environment variables with secret names or values use SECRETS_MANAGER or PARAMETER_STORE.",
        severity: "critical",
        fsbp: ["CodeBuild.2"],
        nist: ["IA-5", "SC-28"],
    },
    validateResourceOfType(aws.codebuild.Project, (project, args, report) => {
        for (const v of project.environment?.environmentVariables ?? []) {
            const type = v.type ?? "PLAINTEXT";
            if (type !== "PLAINTEXT") continue;
            const byName = SECRET_NAME.test(v.name);
            if (byName || SECRET_VALUE.test(v.value ?? "")) {
                report(
                    `CodeBuild project "${args.name}": environment variable ${v.name} is PLAINTEXT and its ` +
                        `${byName ? "name" : "value"} looks like a secret; required: type SECRETS_MANAGER or ` +
                        `PARAMETER_STORE; fix: store the value there and set value to the secret or parameter name.`,
                );
            }
        }
    }),
);

export const codebuildPrivilegedMode = resourcePolicy(
    {
        name: "codebuild-privileged-mode-declared",
        summary: `Privileged mode only on projects tagged ${PRIVILEGED_TAG.key}=${PRIVILEGED_TAG.value} (Docker image builds).`,
        severity: "high",
        fsbp: ["CodeBuild.5"],
        nist: ["AC-6", "CM-7"],
    },
    validateResourceOfType(aws.codebuild.Project, (project, args, report) => {
        const tag = (project.tags as Record<string, string> | undefined)?.[PRIVILEGED_TAG.key];
        if (project.environment?.privilegedMode === true && tag !== PRIVILEGED_TAG.value) {
            report(
                `CodeBuild project "${args.name}" sets privilegedMode true without the tag ` +
                    `${PRIVILEGED_TAG.key}=${PRIVILEGED_TAG.value}; required: privileged mode only for image builds; ` +
                    `fix: turn privilegedMode off, or tag the image-build project ${PRIVILEGED_TAG.key}: "${PRIVILEGED_TAG.value}".`,
            );
        }
    }),
);

/** `https://user:password@host`, or a token in the query string. */
const URL_CREDENTIALS = /^[a-z][a-z0-9+.-]*:\/\/[^/@\s]+@|[?&](access_token|token|password)=/i;

const mask = (url: string) =>
    url.replace(/\/\/[^@/]*@/, "//***@").replace(/([?&](access_token|token|password)=)[^&]*/gi, "$1***");

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

export const codebuildPolicies = [
    codebuildEncryptionKey,
    codebuildLogging,
    codebuildNoPlaintextSecrets,
    codebuildPrivilegedMode,
    codebuildSourceNoCredentials,
];
