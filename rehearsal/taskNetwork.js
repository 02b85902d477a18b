// Preloaded into a rehearsal task (node -r, by task.ts): stands in for the task's own network interface. On Fargate
// (awsvpc) each task has its own ENI, so the service listens on its container port itself. Here many tasks share one
// host, so a listen on a container port the task definition maps goes to the host port task.ts gave it (as
// `docker run -p` would), and a listen on any other port goes to a port nobody is told of (nothing reaches it). The
// service still sees its own port and the task definition's environment, nothing of this.
"use strict";
const net = require("net");

const PORTS_VARIABLE = "REHEARSAL_TASK_PORTS";
const hostPorts = JSON.parse(process.env[PORTS_VARIABLE] || "{}");
delete process.env[PORTS_VARIABLE];

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
    const first = args[0];
    const callback = typeof args[args.length - 1] === "function" ? args[args.length - 1] : undefined;
    let port;
    if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) port = Number(first);
    else if (first && typeof first === "object" && first.port !== undefined) port = Number(first.port);
    // A pipe, a handle or no port at all: not a TCP port of the task.
    if (port === undefined) return listen.apply(this, args);
    const options = { ...(typeof first === "object" ? first : {}), port: hostPorts[port] ?? 0, host: "127.0.0.1" };
    return callback ? listen.call(this, options, callback) : listen.call(this, options);
};
