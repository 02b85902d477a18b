/**
 * A task of the stand-in ECS: the container image (by digest, as the stand-in registry holds it) started with node
 * from what the image holds (dependencies installed as its Dockerfile's `npm ci --omit=dev` would), with the
 * container definition's environment over the image's ENV, which must answer the target group's health check on the
 * port of the service's load balancer entry with 200 within 15 seconds. The aws stand-in runs it when a service gets
 * tasks.
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

/** What a task is started from: its container definition and the service's load balancer entry. */
export interface TaskSpec {
    /** The container's image, `<registry>/<repository>@sha256:...`. */
    readonly image: string;
    /** The service's own registry: the only one the task pulls from. */
    readonly registry: string;
    /** The container definition's environment; it overrides the image's ENV (ECS passes it as `docker run --env`). */
    readonly environment: Readonly<Record<string, string>>;
    /** The container ports the task definition maps (portMappings). */
    readonly containerPorts: readonly number[];
    /** The port the load balancer checks: the containerPort of the service's load balancer entry. */
    readonly healthCheckPort: number;
    /** The target group's health check path (the stack's healthCheckPath). */
    readonly healthCheckPath: string;
}

/** The preload that gives the task its container ports (taskNetwork.js). */
const TASK_NETWORK = path.join(__dirname, "taskNetwork.js");

/**
 * Starts the task of `spec` in `taskDir` and calls its health check path until it answers 200 or `timeoutMs`
 * (default 15 s) pass; stops it and says how it went.
 */
export async function startTask(
    state: string,
    spec: TaskSpec,
    taskDir: string,
    timeoutMs = HEALTH_TIMEOUT_MS,
): Promise<{ ok: boolean; output: string }> {
    const match = /^([^/]+)\/([^@]+)@(sha256:[0-9a-f]{64})$/.exec(spec.image);
    if (!match || match[1] !== spec.registry) {
        return {
            ok: false,
            output: `CannotPullContainerError: ${spec.image} is not an image of ${spec.registry} by digest`,
        };
    }
    const contents = imageContents(state, match[3]);
    if (!fs.existsSync(contents)) return { ok: false, output: `CannotPullContainerError: ${spec.image} not found` };
    const facts = JSON.parse(fs.readFileSync(path.join(contents, ".dockerfile.json"), "utf8")) as DockerfileFacts;
    fs.rmSync(taskDir, { recursive: true, force: true });
    fs.cpSync(contents, taskDir, { recursive: true });
    const install = spawnSync("npm", ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund"], {
        cwd: taskDir,
        encoding: "utf8",
    });
    if (install.status !== 0) return { ok: false, output: `npm ci --omit=dev failed:\n${install.stderr}` };
    const command = facts.command ?? [];
    const hostPorts: Record<number, number> = {};
    for (const port of spec.containerPorts) hostPorts[port] = await freePort();
    const env = { ...facts.env, ...spec.environment };
    const program = command[0] === "node" ? process.execPath : command[0];
    const args = command[0] === "node" ? ["-r", TASK_NETWORK, ...command.slice(1)] : command.slice(1);
    const task = spawn(program, args, {
        cwd: taskDir,
        env: { PATH: process.env.PATH, HOME: "/nonexistent", ...env, REHEARSAL_TASK_PORTS: JSON.stringify(hostPorts) },
    });
    const mapped = Object.entries(hostPorts).map(([port, host]) => `${port} on 127.0.0.1:${host}`);
    let output = `${command.join(" ")} (PORT=${env.PORT ?? "unset"}; container port ${mapped.join(", ") || "none"})\n`;
    task.stdout.on("data", (d) => (output += d));
    task.stderr.on("data", (d) => (output += d));
    const target = `GET ${spec.healthCheckPath} on container port ${spec.healthCheckPort}`;
    const hostPort = hostPorts[spec.healthCheckPort];
    let status = 0;
    const deadline = Date.now() + timeoutMs;
    while (hostPort !== undefined && Date.now() < deadline && task.exitCode === null) {
        status = await get(hostPort, spec.healthCheckPath);
        if (status === 200) break;
        await new Promise((r) => setTimeout(r, 200));
    }
    task.kill("SIGTERM");
    const ok = status === 200;
    output += ok
        ? `${target}: 200\n`
        : `The task did not answer ${target} with 200 within ${timeoutMs / 1000} s (last status ${status}${task.exitCode !== null ? `, exited ${task.exitCode}` : ""})\n`;
    return { ok, output };
}
