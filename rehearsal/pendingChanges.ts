/**
 * Buildspec changes this rehearsal proposes and the buildspecs' owner applies: the audit that fails closed when
 * the registry serves no audit endpoint, and the SBOM of each release (generated with the image, published beside
 * the release manifest with the artifact key, named in it, carried forward by promotion). Until a change is in
 * buildspecs/, the rehearsal applies it to the text it runs, and says so; once applied, it is a no-op.
 */
export interface PendingChange {
    readonly file: string;
    readonly why: string;
    /** Exact text of the buildspec that the change replaces. */
    readonly find: string;
    /** The text that replaces it (contains `find`'s purpose and the new lines). */
    readonly replace: string;
}

/** Pinned SBOM generator (CycloneDX's own npm generator). */
export const CYCLONEDX_NPM_VERSION = "6.0.1";
/** File name of the SBOM in the image artifact, and suffix of its key beside the release manifest. */
export const SBOM_FILE = "sbom.cdx.json";

const I = "                "; // indentation of a command block's body in the buildspecs

function block(lines: string): string {
    return lines
        .trim()
        .split("\n")
        .map((l) => (l ? I + l : l))
        .join("\n");
}

const AUDIT_BEFORE = block(`
set -eo pipefail
echo "Dependency audit of the production tree (fails at high or critical)"
npm audit --omit=dev --audit-level=high
`);

const AUDIT_AFTER = block(`
set -eo pipefail
# npm audit posts the production tree to the registry's audit endpoint; a mirror that does not serve it, or a
# registry out of reach, must not pass the scan. Suppressions: audit-exceptions.json (advisory, reason, expires).
AUDIT_REGISTRY="\${NPM_AUDIT_REGISTRY:-$(npm config get registry)}"
echo "Dependency audit of the production tree against $AUDIT_REGISTRY (fails at high or critical)"
AUDIT="$SCANNERS_DIR/audit.json"
npm audit --omit=dev --json --registry "$AUDIT_REGISTRY" > "$AUDIT" 2> "$SCANNERS_DIR/audit.log" || true
if ! jq -e 'has("auditReportVersion")' "$AUDIT" > /dev/null 2>&1; then
  STATUS="$(jq -r '.statusCode // empty' "$AUDIT" 2> /dev/null || true)"
  CODE="$(jq -r '.error.code // empty' "$AUDIT" 2> /dev/null || true)"
  REASON="$(jq -r '.message // .error.summary // empty' "$AUDIT" 2> /dev/null || true)"
  if [[ -n "$STATUS" ]]; then
    echo "The registry $AUDIT_REGISTRY does not serve npm's audit endpoint (POST /-/npm/v1/security/advisories/bulk answered $STATUS)." >&2
  elif [[ "$CODE" == "ENOLOCK" ]]; then
    echo "npm audit needs the service's package-lock.json: commit it." >&2
  elif [[ "$REASON" == *"request to"* ]]; then
    echo "The audit registry $AUDIT_REGISTRY cannot be reached: $REASON" >&2
  else
    echo "npm audit gave no report: \${REASON:-$(cat "$SCANNERS_DIR/audit.log")}" >&2
  fi
  echo "No dependency was audited, so the security scan fails closed. Set NPM_AUDIT_REGISTRY (security-scan project environment) to a registry that serves npm's audit endpoint: https://registry.npmjs.org/ or a mirror that proxies it." >&2
  exit 1
fi
EXCEPTIONS="$SCANNERS_DIR/audit-exceptions.json"
if [[ -f audit-exceptions.json ]]; then cp audit-exceptions.json "$EXCEPTIONS"; else echo '[]' > "$EXCEPTIONS"; fi
INVALID="$(jq -r --arg today "$(date -u +%F)" '.[] | select((.advisory | type) != "string" or (.reason | type) != "string"
  or (.reason | length) < 10 or (.expires | type) != "string" or (.expires | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}$") | not)
  or .expires < $today) | "  - \\(.advisory // "(no advisory)"): expected an advisory, a reason and an expiry date (YYYY-MM-DD) not passed"' "$EXCEPTIONS")"
if [[ -n "$INVALID" ]]; then
  echo "audit-exceptions.json has entries that cannot suppress anything:" >&2
  echo "$INVALID" >&2
  exit 1
fi
ADVISORIES='[.vulnerabilities[].via[] | objects | select(.severity == "high" or .severity == "critical")] | unique_by(.url)'
SUPPRESSED="$(jq -r --slurpfile ex "$EXCEPTIONS" "$ADVISORIES"' | .[] | . as $a | $ex[0][] | . as $e | select($a.url | endswith($e.advisory))
  | "  - \\($a.name) \\($a.url) until \\(.expires): \\(.reason)"' "$AUDIT")"
FOUND="$(jq -r --slurpfile ex "$EXCEPTIONS" "$ADVISORIES"' | .[] | . as $a | select([$ex[0][] | . as $e | select($a.url | endswith($e.advisory))] | length == 0)
  | "  - \\(.severity) \\(.name) \\(.range): \\(.title) \\(.url)"' "$AUDIT")"
if [[ -n "$SUPPRESSED" ]]; then echo "Suppressed by audit-exceptions.json:"; echo "$SUPPRESSED"; fi
if [[ -n "$FOUND" ]]; then
  echo "Dependency audit failed: high or critical advisories in the production dependencies:" >&2
  echo "$FOUND" >&2
  echo "Upgrade the dependency (or pin a fixed version with package.json overrides), or suppress one advisory in audit-exceptions.json with a reason and an expiry date." >&2
  exit 1
fi
echo "No unsuppressed high or critical advisory in $(jq '.metadata.dependencies.prod' "$AUDIT") production dependencies"
`);

const IMAGE_ARTIFACTS_BEFORE = `artifacts:
    files:
        - imagedefinitions.json
        - image.json`;
const IMAGE_ARTIFACTS_AFTER = `${IMAGE_ARTIFACTS_BEFORE}
        - ${SBOM_FILE}`;

const SBOM_GENERATE = block(`
set -eo pipefail
# CycloneDX SBOM of the production dependencies, read from the lockfile (nothing installed into the tree).
npm exec --yes --package "@cyclonedx/cyclonedx-npm@${CYCLONEDX_NPM_VERSION}" -- cyclonedx-npm --omit dev --package-lock-only \\
  --output-reproducible --spec-version 1.6 --mc-type application --output-format JSON --output-file ${SBOM_FILE}
jq -e '.bomFormat == "CycloneDX"' ${SBOM_FILE} > /dev/null
echo "SBOM: $(jq '.components | length' ${SBOM_FILE}) components"
`);

const PUBLISH_BEFORE = block(`
jq -n --arg service "$SERVICE_NAME" --arg commit "$COMMIT" --arg digest "$DIGEST" \\
  --arg uri "$(jq -r .imageUri image.json)" --arg env "$ENVIRONMENT" \\
  --arg execution "$PIPELINE_EXECUTION_ID" --arg at "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \\
  '{service: $service, commitId: $commit, imageDigest: $digest, imageUri: $uri, environment: $env,
    pipelineExecutionId: $execution, publishedAt: $at}' > release.json
`);

const PUBLISH_AFTER = block(`
# The SBOM goes first, beside the manifest and with the same key, so a manifest never names a missing SBOM.
if ! jq -e '.bomFormat == "CycloneDX"' ${SBOM_FILE} > /dev/null 2>&1; then
  echo "The input artifact has no CycloneDX ${SBOM_FILE} for $SERVICE_NAME at $COMMIT" >&2
  exit 1
fi
SBOM_KEY="releases/$SERVICE_NAME/$COMMIT.${SBOM_FILE}"
aws s3 cp ${SBOM_FILE} "s3://$RELEASE_BUCKET/$SBOM_KEY" \\
  --sse aws:kms --sse-kms-key-id "$ARTIFACT_KEY_ARN" --content-type application/vnd.cyclonedx+json
jq -n --arg service "$SERVICE_NAME" --arg commit "$COMMIT" --arg digest "$DIGEST" \\
  --arg uri "$(jq -r .imageUri image.json)" --arg env "$ENVIRONMENT" \\
  --arg execution "$PIPELINE_EXECUTION_ID" --arg at "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \\
  --arg sbom "$SBOM_KEY" --arg sbomSha256 "$(sha256sum ${SBOM_FILE} | cut -d ' ' -f 1)" \\
  '{service: $service, commitId: $commit, imageDigest: $digest, imageUri: $uri, environment: $env,
    pipelineExecutionId: $execution, publishedAt: $at,
    sbom: {key: $sbom, format: "CycloneDX", sha256: $sbomSha256}}' > release.json
`);

const PROMOTE_ANCHOR = `
export REPOSITORY_NAME="\${REPOSITORY_URI#*/}"
export PREVIOUS_REGISTRY="\${PREVIOUS_REPOSITORY_URI%%/*}"
`;
const PROMOTE_BEFORE = block(PROMOTE_ANCHOR);

const PROMOTE_AFTER = block(`
# The SBOM the previous environment published with this release travels on unchanged (checked by its sha256).
SBOM_KEY="$(jq -r '.sbom.key // empty' previous-release.json)"
if [[ "$SBOM_KEY" != "releases/$SERVICE_NAME/$COMMIT.${SBOM_FILE}" ]]; then
  echo "Release manifest s3://$PREVIOUS_RELEASE_BUCKET/$RELEASE_KEY names no SBOM (sbom.key): $PREVIOUS_ENVIRONMENT must publish one" >&2
  exit 1
fi
aws s3api get-object --bucket "$PREVIOUS_RELEASE_BUCKET" --key "$SBOM_KEY" ${SBOM_FILE} > /dev/null
if [[ "$(sha256sum ${SBOM_FILE} | cut -d ' ' -f 1)" != "$(jq -r '.sbom.sha256' previous-release.json)" ]]; then
  echo "s3://$PREVIOUS_RELEASE_BUCKET/$SBOM_KEY does not match the sha256 its release manifest names" >&2
  exit 1
fi
${PROMOTE_ANCHOR.trim()}
`);

/** The changes, in the order the owner should apply them. */
export const PENDING_CHANGES: readonly PendingChange[] = [
    {
        file: "security-scan.yml",
        why: "the audit fails closed, saying why, when the registry serves no audit endpoint; reasoned suppressions",
        find: AUDIT_BEFORE,
        replace: AUDIT_AFTER,
    },
    {
        file: "build-image.yml",
        why: "generate the SBOM with the image",
        find: `${I}cat imagedefinitions.json image.json\n`,
        replace: `${I}cat imagedefinitions.json image.json\n            - |\n${SBOM_GENERATE}\n`,
    },
    { file: "build-image.yml", why: "hand the SBOM on", find: IMAGE_ARTIFACTS_BEFORE, replace: IMAGE_ARTIFACTS_AFTER },
    {
        file: "publish-release.yml",
        why: "publish the SBOM beside the manifest, encrypted with the artifact key, and name it in the manifest",
        find: PUBLISH_BEFORE,
        replace: PUBLISH_AFTER,
    },
    {
        file: "promote-image.yml",
        why: "carry the previous environment's SBOM forward",
        find: PROMOTE_BEFORE,
        replace: PROMOTE_AFTER,
    },
    {
        file: "promote-image.yml",
        why: "hand the SBOM on",
        find: IMAGE_ARTIFACTS_BEFORE,
        replace: IMAGE_ARTIFACTS_AFTER,
    },
];

/** What applying the pending changes to one buildspec did. */
export interface AppliedChanges {
    readonly text: string;
    /** Changes applied here (not yet in the file). */
    readonly applied: PendingChange[];
    /** Changes the file already holds. */
    readonly present: PendingChange[];
}

/** `text` of buildspecs/`file` with its pending changes applied; throws when one applies neither way. */
export function applyPendingChanges(file: string, text: string): AppliedChanges {
    const applied: PendingChange[] = [];
    const present: PendingChange[] = [];
    for (const change of PENDING_CHANGES.filter((c) => c.file === file)) {
        if (text.includes(change.replace)) {
            present.push(change);
        } else if (text.includes(change.find)) {
            text = text.replace(change.find, change.replace);
            applied.push(change);
        } else {
            throw new Error(
                `buildspecs/${file} holds neither the text the pending change "${change.why}" replaces nor its ` +
                    "result: the buildspec changed; update rehearsal/pendingChanges.ts",
            );
        }
    }
    return { text, applied, present };
}
