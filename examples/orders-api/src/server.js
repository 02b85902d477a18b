"use strict";
// Entry point: `node src/server.js` (the image runs node directly: npm would write to a read-only filesystem).
const http = require("node:http");
const { createApp } = require("./app");
const { readConfig } = require("./config");

const config = readConfig(process.env);
const server = http.createServer(createApp(config));
server.listen(config.port, () => console.log(`orders-api listening on ${config.port}`));

// ECS stops a task with SIGTERM, then SIGKILL after the stop timeout: finish open requests first.
process.on("SIGTERM", () => server.close(() => process.exit(0)));
