import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { shimScript } from "./standins";

/** Where the buildspecs are (the program's own folder). */
export const BUILDSPECS = path.join(__dirname, "..", "buildspecs");
const PHASES = ["install", "pre_build", "build", "post_build"] as const;

/** One buildspec run, as CodeBuild reports it. */
export interface BuildResult {
    readonly status: number;
    readonly output: string;
    /** The failing command: its phase and what it says it does (its first echo, or its first line). */
    readonly failedStep?: string;
}

/** A command's label: its first `echo "..."`, else its first line that is not `set ...`. */
export function stepLabel(command: string): string {
    const lines = command.split("\n").map((l) => l.trim());
    const echo = lines.find((l) => l.startsWith('echo "'));
    if (echo) return echo.replace(/^echo "/, "").replace(/".*$/, "");
    return lines.find((l) => l && !l.startsWith("set ") && !l.startsWith("#")) ?? command.trim();
}

/**
 * Runs buildspecs/`file` the way CodeBuild runs version 0.2 (one bash, state kept between commands, the first
 * failing command ends the build) in `workDir`, with the real tools of this machine and the aws and docker
 * stand-ins first on the PATH. Returns the result and leaves the build's files in `workDir`.
 */
export async function runBuildspec(
    file: string,
    workDir: string,
    env: Record<string, string>,
    state: string,
): Promise<BuildResult> {
    const spec = parse(fs.readFileSync(path.join(BUILDSPECS, file), "utf8"));
    const bin = path.join(state, "bin");
    for (const tool of ["aws", "docker"] as const) {
        fs.mkdirSync(bin, { recursive: true });
        fs.writeFileSync(path.join(bin, tool), shimScript(tool), { mode: 0o755 });
    }
    const steps = PHASES.flatMap((phase) =>
        ((spec.phases?.[phase]?.commands ?? []) as string[]).map((command) => ({ phase, command })),
    );
    const marker = path.join(state, "step");
    const script = steps
        .map(
            ({ command }, i) =>
                `echo ${i} > "${marker}"\n${command}\n__rc=$?; if [[ $__rc -ne 0 ]]; then exit $__rc; fi`,
        )
        .join("\n");
    // Asynchronous, so that servers of the calling process (a test's registry) keep answering during the build.
    const child = spawn("bash", ["-c", script], {
        cwd: workDir,
        env: {
            ...process.env,
            PATH: `${bin}:${process.env.PATH}`,
            REHEARSAL_STATE: state,
            CODEBUILD_SRC_DIR: workDir,
            ...(spec.env?.variables ?? {}),
            ...env,
        },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const status = await new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? 1)));
    let failedStep: string | undefined;
    if (status !== 0) {
        const i = Number(fs.readFileSync(marker, "utf8"));
        failedStep = `${steps[i].phase}: ${stepLabel(steps[i].command)}`;
    }
    fs.rmSync(marker, { force: true });
    return { status, output: stderr ? `${stdout}\n${stderr}` : stdout, failedStep };
}

/** The files a buildspec hands on as its output artifact (artifacts.files, plain names only). */
export function artifactFiles(file: string): string[] {
    return (parse(fs.readFileSync(path.join(BUILDSPECS, file), "utf8")).artifacts?.files ?? []) as string[];
}
