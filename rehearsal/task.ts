/**
 * A task of the stand-in ECS: the container image (by digest, as the stand-in registry holds it) started with node
 * from what the image holds (dependencies installed as its Dockerfile's `npm ci --omit=dev` would), which must answer
 * its health check path with 200 within 15 seconds. The aws stand-in runs it when a service gets tasks.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import { DockerfileFacts } from "./dockerfile";

const HEALTH_TIMEOUT_MS = 15000;

/** The directory holding what the stand-in image `digest` contains (its build context and Dockerfile facts). */
export function imageContents(state: string, digest: string): string {
    return path.join(state, "docker", "contexts", digest.replace(":", "-"));
}

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.listen(0, "127.0.0.1", () => {
            const port = (server.address() as net.AddressInfo).port;
            server.close(() => resolve(port));
        });
        server.on("error", reject);
    });
}

function get(port: number, urlPath: string): Promise<number> {
    return new Promise((resolve) => {
        const req = http.get({ host: "127.0.0.1", port, path: urlPath, timeout: 1000 }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
        });
        req.on("error", () => resolve(0));
        req.on("timeout", () => req.destroy());
    });
}

/**
 * Starts `imageUri` (which must be `<registry>/<repository>@sha256:...` of `registry`) in `taskDir` and calls its
 * health check path (the image's HEALTH_CHECK_PATH, else `healthCheckPath`); stops it and says how it went.
 */
export async function startTask(
    state: string,
    imageUri: string,
    registry: string,
    healthCheckPath: string,
    taskDir: string,
): Promise<{ ok: boolean; output: string }> {
    const match = /^([^/]+)\/([^@]+)@(sha256:[0-9a-f]{64})$/.exec(imageUri);
    if (!match || match[1] !== registry) {
        return { ok: false, output: `CannotPullContainerError: ${imageUri} is not an image of ${registry} by digest` };
    }
    const contents = imageContents(state, match[3]);
    if (!fs.existsSync(contents)) return { ok: false, output: `CannotPullContainerError: ${imageUri} not found` };
    const facts = JSON.parse(fs.readFileSync(path.join(contents, ".dockerfile.json"), "utf8")) as DockerfileFacts;
    fs.rmSync(taskDir, { recursive: true, force: true });
    fs.cpSync(contents, taskDir, { recursive: true });
    const install = spawnSync("npm", ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund"], {
        cwd: taskDir,
        encoding: "utf8",
    });
    if (install.status !== 0) return { ok: false, output: `npm ci --omit=dev failed:\n${install.stderr}` };
    const command = facts.command ?? [];
    const port = await freePort();
    const healthPath = facts.env.HEALTH_CHECK_PATH ?? healthCheckPath;
    const program = command[0] === "node" ? process.execPath : command[0];
    const task = spawn(program, command.slice(1), {
        cwd: taskDir,
        env: { PATH: process.env.PATH, ...facts.env, PORT: String(port), HOME: "/nonexistent" },
    });
    let output = `${command.join(" ")} (PORT=${port})\n`;
    task.stdout.on("data", (d) => (output += d));
    task.stderr.on("data", (d) => (output += d));
    let status = 0;
    const deadline = Date.now() + HEALTH_TIMEOUT_MS;
    while (Date.now() < deadline && task.exitCode === null) {
        status = await get(port, healthPath);
        if (status === 200) break;
        await new Promise((r) => setTimeout(r, 200));
    }
    task.kill("SIGTERM");
    const ok = status === 200;
    output += ok
        ? `GET ${healthPath}: 200\n`
        : `The task did not answer GET ${healthPath} with 200 within ${HEALTH_TIMEOUT_MS / 1000} s (last status ${status}${task.exitCode !== null ? `, exited ${task.exitCode}` : ""})\n`;
    return { ok, output };
}
