import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";

/**
 * Runs a buildspec's phases the way CodeBuild does for version 0.2 (one shell, state kept between commands,
 * the first failing command ends the build) in a scratch directory, with fake `aws`, `docker` and `npm` on
 * the PATH. The fakes keep S3 objects and ECR tags as files under `state/`, and log every call.
 */
export interface BuildspecRun {
    readonly status: number;
    readonly stdout: string;
    readonly stderr: string;
    /** Calls made to the fakes, one `tool args...` line each. */
    readonly calls: string[];
    /** A file of the working directory after the build (the scratch directory itself is removed). */
    file(name: string): string;
    /** An object the fake S3 holds. */
    s3Object(bucket: string, key: string): string | undefined;
    /** The input of register-task-definition (--cli-input-json), when the build called it. */
    readonly registeredTaskDefinition?: Record<string, unknown>;
    /** The --load-balancers of update-service, when the build passed them. */
    readonly updatedLoadBalancers?: object[];
    /** SSM parameters after the build (put-parameter writes them). */
    readonly ssmParameters: Record<string, string>;
}

export interface BuildspecRunOptions {
    /** Project environment variables (override the buildspec's `env.variables`). */
    readonly env: Record<string, string>;
    /** Files of the source or input artifact, relative to the working directory. */
    readonly files?: Record<string, string>;
    /** S3 objects that exist before the build: bucket -> key -> content. */
    readonly s3?: Record<string, Record<string, string>>;
    /** ECR tags that exist before the build: repository name -> tag -> digest. */
    readonly ecrTags?: Record<string, Record<string, string>>;
    /** Digest the fake registry assigns to the next docker push. */
    readonly pushDigest?: string;
    /** Digest ECR then reports for the pushed tag, when it differs from the push (a tampered registry). */
    readonly registryDigest?: string;
    /** What describe-image-scan-findings reports as findingSeverityCounts (JSON); default: none. */
    readonly severityCounts?: string;
    /** The registry's scan type (get-registry-scanning-configuration). Default: BASIC. */
    readonly scanType?: "BASIC" | "ENHANCED";
    /**
     * The image's scan status on successive calls, the last repeating ("missing": ScanNotFoundException, "denied":
     * AccessDeniedException). Default: COMPLETE (basic) or ACTIVE (enhanced).
     */
    readonly scanStatuses?: readonly string[];
    /** Enhanced scanning: the severities of Inspector's active findings for the image. Default: none. */
    readonly inspectorSeverities?: readonly string[];
    /** SSM parameters (get-parameter answers Parameter.Value). Default: none. */
    readonly ssmParameters?: Record<string, string>;
    /** describe-task-definition answers (with tags) by task definition ARN. Default: none. */
    readonly taskDefinitions?: Record<string, object>;
    /** ARN register-task-definition answers. Default: none (the call fails). */
    readonly registeredArn?: string;
    /** describe-services answers on successive calls, the last repeating. Default: none. */
    readonly serviceStates?: readonly object[];
    /** Whether the fake `npm test` writes reports/junit.xml. Default: true. */
    readonly npmTestWritesReport?: boolean;
    /** Stand-ins for the security scan's scanners, installed by the fake `npm install --prefix`. Default: none. */
    readonly scanners?: ScannerStandIns;
}

/** What the security scan's scanners answer: SARIF and exit status; `@CWD@` in a SARIF becomes the build's directory. */
export interface ScannerStandIns {
    /** What `secretlint --format <sarif formatter>` prints, and its exit status. */
    readonly secretlint: { readonly sarif: string; readonly status: number };
    /** What `eslint --format <sarif formatter> --output-file FILE` writes to FILE, and its exit status. */
    readonly eslint: { readonly sarif: string; readonly status: number };
    /** What `npm audit --json` prints. */
    readonly audit: string;
}

const PHASES = ["install", "pre_build", "build", "post_build"];

const FAKE_AWS = `#!/usr/bin/env bash
echo "aws $*" >> "$FAKE_LOG"
arg() { local name="$1"; shift; while [[ $# -gt 0 ]]; do [[ "$1" == "$name" ]] && { echo "$2"; return; }; shift; done; }
case "$1 $2" in
  "ecr get-login-password") echo "fake-token" ;;
  "s3api get-object")
    src="$FAKE_STATE/s3/$(arg --bucket "$@")/$(arg --key "$@")"
    if [[ -f "$src" ]]; then cp "$src" "\${@: -1}"; echo '{}';
    else echo "An error occurred (AccessDenied) when calling the GetObject operation: Access Denied" >&2; exit 254; fi ;;
  "s3 cp")
    dst="$FAKE_STATE/s3/\${4#s3://}"; mkdir -p "$(dirname "$dst")"; cp "$3" "$dst" ;;
  "ecr describe-images")
    tag="$(arg --image-ids "$@")"; src="$FAKE_STATE/ecr/$(arg --repository-name "$@")/\${tag#imageTag=}"
    if [[ -f "$src" ]]; then cat "$src";
    else echo "An error occurred (ImageNotFoundException) when calling the DescribeImages operation" >&2; exit 254; fi ;;
  "ecr get-registry-scanning-configuration") cat "$FAKE_STATE/scan-type" ;;
  "ecr describe-image-scan-findings")
    if [[ "$*" == *imageScanStatus.status* ]]; then
      # One status per call, the last one repeating; "missing" is ECR's answer before a scan exists.
      status="$(head -n 1 "$FAKE_STATE/scan-statuses")"
      if [[ $(wc -l < "$FAKE_STATE/scan-statuses") -gt 1 ]]; then sed -i 1d "$FAKE_STATE/scan-statuses"; fi
      if [[ "$status" == missing ]]; then
        echo "An error occurred (ScanNotFoundException) when calling the DescribeImageScanFindings operation" >&2; exit 254
      fi
      if [[ "$status" == denied ]]; then
        echo "An error occurred (AccessDeniedException) when calling the DescribeImageScanFindings operation" >&2; exit 254
      fi
      echo "$status"
    else cat "$FAKE_STATE/severity-counts.json"; fi ;;
  "inspector2 list-findings") cat "$FAKE_STATE/inspector-severities.json" ;;
  "ssm get-parameter")
    value="$(jq -r --arg n "$(arg --name "$@")" '.[$n] // empty' "$FAKE_STATE/ssm.json")"
    if [[ -z "$value" ]]; then echo "An error occurred (ParameterNotFound) when calling the GetParameter operation" >&2; exit 254; fi
    echo "$value" ;;
  "ecs describe-task-definition")
    if ! jq -e --arg a "$(arg --task-definition "$@")" '.[$a]' "$FAKE_STATE/task-definitions.json"; then
      echo "An error occurred (ClientException) when calling the DescribeTaskDefinition operation: Unable to describe task definition." >&2; exit 254
    fi ;;
  "ecs register-task-definition")
    input="$(arg --cli-input-json "$@")"; cp "\${input#file://}" "$FAKE_STATE/registered.json"
    if [[ ! -s "$FAKE_STATE/registered-arn" ]]; then echo "An error occurred (AccessDeniedException)" >&2; exit 254; fi
    cat "$FAKE_STATE/registered-arn" ;;
  "ssm put-parameter")
    jq --arg n "$(arg --name "$@")" --arg v "$(arg --value "$@")" '.[$n] = $v' "$FAKE_STATE/ssm.json" > "$FAKE_STATE/ssm.next"
    mv "$FAKE_STATE/ssm.next" "$FAKE_STATE/ssm.json"; echo '{"Version":2,"Tier":"Standard"}' ;;
  "ecs update-service")
    balancers="$(arg --load-balancers "$@")"
    if [[ -n "$balancers" ]]; then cp "\${balancers#file://}" "$FAKE_STATE/load-balancers.json"; fi
    echo '{"service":{"deployments":[{"id":"ecs-svc/new","status":"PRIMARY"},{"id":"ecs-svc/old","status":"ACTIVE"}]}}' ;;
  "ecs describe-services")
    head -n 1 "$FAKE_STATE/service-states"
    if [[ $(wc -l < "$FAKE_STATE/service-states") -gt 1 ]]; then sed -i 1d "$FAKE_STATE/service-states"; fi ;;
  *) echo "fake aws: unexpected $*" >&2; exit 2 ;;
esac
`;

const FAKE_DOCKER = `#!/usr/bin/env bash
echo "docker $*" >> "$FAKE_LOG"
case "$1" in
  login) cat > /dev/null ;;
  build|pull|tag) ;;
  push)
    ref="\${2#*/}"; dst="$FAKE_STATE/ecr/\${ref%%:*}/\${ref##*:}"
    if [[ -f "$dst" ]]; then echo "tag invalid: the image tag already exists and the repository is immutable" >&2; exit 1; fi
    mkdir -p "$(dirname "$dst")"; cp "$FAKE_STATE/registry-digest" "$dst" ;;
  inspect) ref="\${@: -1}"; echo "\${ref%:*}@$(cat "$FAKE_STATE/push-digest")" ;;
  *) echo "fake docker: unexpected $*" >&2; exit 2 ;;
esac
`;

const FAKE_NPM = `#!/usr/bin/env bash
echo "npm $*" >> "$FAKE_LOG"
if [[ "$1" == "test" && -f "$FAKE_STATE/npm-test-writes-report" ]]; then
  mkdir -p reports; echo '<testsuites/>' > reports/junit.xml
fi
# The SBOM generator's install (npm ci of its lockfile): a stand-in cyclonedx-npm in ./node_modules/.bin that logs
# its arguments and writes a CycloneDX document with no components to --output-file.
if [[ "$1" == "ci" ]] && grep -q '"node_modules/@cyclonedx/cyclonedx-npm"' package-lock.json 2> /dev/null; then
  mkdir -p node_modules/.bin
  cat > node_modules/.bin/cyclonedx-npm <<'SH'
#!/usr/bin/env bash
echo "cyclonedx-npm $*" >> "$FAKE_LOG"
out=""; while [[ $# -gt 0 ]]; do [[ "$1" == "--output-file" ]] && out="$2"; shift; done
echo '{"bomFormat":"CycloneDX","specVersion":"1.6","components":[]}' > "$out"
SH
  chmod +x node_modules/.bin/cyclonedx-npm
fi
if [[ "$1" == "audit" && -f "$FAKE_STATE/audit.json" ]]; then cat "$FAKE_STATE/audit.json"; fi
# The security scan's scanners (npm install --prefix DIR ...): the stand-ins into DIR/node_modules/.bin.
if [[ "$1" == "install" && -d "$FAKE_STATE/scanners" ]]; then
  prefix=""; while [[ $# -gt 0 ]]; do [[ "$1" == "--prefix" ]] && prefix="$2"; shift; done
  mkdir -p "$prefix/node_modules/.bin"; cp "$FAKE_STATE/scanners/"* "$prefix/node_modules/.bin/"
fi
`;

const FAKE_SECRETLINT = `#!/usr/bin/env bash
echo "secretlint $*" >> "$FAKE_LOG"
sed "s#@CWD@#$PWD#g" "$FAKE_STATE/secretlint.sarif"
exit "$(cat "$FAKE_STATE/secretlint.status")"
`;

const FAKE_ESLINT = `#!/usr/bin/env bash
echo "eslint $*" >> "$FAKE_LOG"
out=""; while [[ $# -gt 0 ]]; do [[ "$1" == "--output-file" ]] && out="$2"; shift; done
sed "s#@CWD@#$PWD#g" "$FAKE_STATE/eslint.sarif" > "$out"
exit "$(cat "$FAKE_STATE/eslint.status")"
`;

function write(file: string, content: string, mode?: number): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content, { mode });
}

/** Runs `buildspecPath` under the fakes and returns what happened. */
export function runBuildspec(buildspecPath: string, options: BuildspecRunOptions): BuildspecRun {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "buildspec-"));
    const dir = path.join(root, "src");
    const state = path.join(root, "state");
    const bin = path.join(root, "bin");
    const log = path.join(root, "calls.log");
    fs.mkdirSync(dir, { recursive: true });
    write(path.join(bin, "aws"), FAKE_AWS, 0o755);
    write(path.join(bin, "docker"), FAKE_DOCKER, 0o755);
    write(path.join(bin, "npm"), FAKE_NPM, 0o755);
    write(log, "");
    write(path.join(state, "push-digest"), options.pushDigest ?? "");
    write(path.join(state, "registry-digest"), options.registryDigest ?? options.pushDigest ?? "");
    write(path.join(state, "severity-counts.json"), options.severityCounts ?? "null");
    write(path.join(state, "scan-type"), `${options.scanType ?? "BASIC"}\n`);
    const scanned = options.scanType === "ENHANCED" ? "ACTIVE" : "COMPLETE";
    write(path.join(state, "scan-statuses"), `${(options.scanStatuses ?? [scanned]).join("\n")}\n`);
    write(path.join(state, "inspector-severities.json"), JSON.stringify(options.inspectorSeverities ?? []));
    write(path.join(state, "ssm.json"), JSON.stringify(options.ssmParameters ?? {}));
    write(path.join(state, "task-definitions.json"), JSON.stringify(options.taskDefinitions ?? {}));
    write(path.join(state, "registered-arn"), options.registeredArn ?? "");
    write(
        path.join(state, "service-states"),
        (options.serviceStates ?? []).map((s) => `${JSON.stringify(s)}\n`).join(""),
    );
    if (options.npmTestWritesReport ?? true) write(path.join(state, "npm-test-writes-report"), "");
    if (options.scanners) {
        const { secretlint, eslint, audit } = options.scanners;
        write(path.join(state, "scanners", "secretlint"), FAKE_SECRETLINT, 0o755);
        write(path.join(state, "scanners", "eslint"), FAKE_ESLINT, 0o755);
        write(path.join(state, "secretlint.sarif"), secretlint.sarif);
        write(path.join(state, "secretlint.status"), String(secretlint.status));
        write(path.join(state, "eslint.sarif"), eslint.sarif);
        write(path.join(state, "eslint.status"), String(eslint.status));
        write(path.join(state, "audit.json"), audit);
    }
    for (const [name, content] of Object.entries(options.files ?? {})) write(path.join(dir, name), content);
    for (const [bucket, objects] of Object.entries(options.s3 ?? {})) {
        for (const [key, content] of Object.entries(objects)) write(path.join(state, "s3", bucket, key), content);
    }
    for (const [repository, tags] of Object.entries(options.ecrTags ?? {})) {
        for (const [tag, digest] of Object.entries(tags)) write(path.join(state, "ecr", repository, tag), digest);
    }

    const spec = parse(fs.readFileSync(buildspecPath, "utf8"));
    const commands: string[] = PHASES.flatMap((phase) => spec.phases[phase]?.commands ?? []);
    // Each command runs in the same shell; a failing command ends the build with its status.
    const script = commands.map((c) => `${c}\n__rc=$?; if [[ $__rc -ne 0 ]]; then exit $__rc; fi`).join("\n");
    const result = spawnSync("bash", ["-c", script], {
        cwd: dir,
        encoding: "utf8",
        env: {
            PATH: `${bin}:${process.env.PATH}`,
            HOME: root,
            FAKE_STATE: state,
            FAKE_LOG: log,
            ...(spec.env?.variables ?? {}),
            ...options.env,
        },
    });
    // Keep what the build wrote, then remove the scratch directory.
    const calls = fs.readFileSync(log, "utf8").split("\n").filter(Boolean);
    const written = snapshot(dir);
    const s3 = snapshot(path.join(state, "s3"));
    const registered = fs.existsSync(path.join(state, "registered.json"))
        ? fs.readFileSync(path.join(state, "registered.json"), "utf8")
        : undefined;
    const stateFile = (name: string) =>
        fs.existsSync(path.join(state, name)) ? JSON.parse(fs.readFileSync(path.join(state, name), "utf8")) : undefined;
    const updatedLoadBalancers = stateFile("load-balancers.json");
    const ssmParameters = stateFile("ssm.json");
    fs.rmSync(root, { recursive: true, force: true });
    return {
        updatedLoadBalancers,
        ssmParameters,
        status: result.status ?? -1,
        stdout: result.stdout,
        stderr: result.stderr,
        calls,
        file: (name) => {
            if (!(name in written)) throw new Error(`the build wrote no ${name}`);
            return written[name];
        },
        s3Object: (bucket, key) => s3[`${bucket}/${key}`],
        registeredTaskDefinition: registered === undefined ? undefined : JSON.parse(registered),
    };
}

/** Every file under `dir`, by path relative to it. */
function snapshot(dir: string): Record<string, string> {
    if (!fs.existsSync(dir)) return {};
    const files: Record<string, string> = {};
    for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const file = path.join(entry.parentPath, entry.name);
        files[path.relative(dir, file)] = fs.readFileSync(file, "utf8");
    }
    return files;
}

/** Whether the tools the buildspecs rely on (bash, jq) exist here. */
export function canRunBuildspecs(): boolean {
    return ["bash", "jq"].every((tool) => spawnSync(tool, ["--version"]).status === 0);
}
