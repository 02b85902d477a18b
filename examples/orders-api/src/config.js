"use strict";
// What the service reads from its environment. The task definition sets PORT to the stack's containerPort
// (the image's ENV PORT is only the default for local runs); HEALTH_CHECK_PATH must match its healthCheckPath
// (default /health).

const DEFAULT_PORT = 3000;
const DEFAULT_HEALTH_CHECK_PATH = "/health";

/** The service's settings from `env`; throws one error naming every invalid variable. */
function readConfig(env) {
    const problems = [];
    const port = Number(env.PORT ?? DEFAULT_PORT);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
        problems.push(`PORT: found "${env.PORT}", expected a port number 1-65535`);
    }
    const healthCheckPath = env.HEALTH_CHECK_PATH ?? DEFAULT_HEALTH_CHECK_PATH;
    if (!/^\/[A-Za-z0-9/_.-]*$/.test(healthCheckPath)) {
        problems.push(`HEALTH_CHECK_PATH: found "${healthCheckPath}", expected a path such as /health`);
    }
    if (problems.length > 0) throw new Error(`Invalid service configuration:\n  - ${problems.join("\n  - ")}`);
    // ORDERS_API_TOKEN comes from Secrets Manager (stack config serviceSecrets); never from the repository.
    return { port, healthCheckPath, apiToken: env.ORDERS_API_TOKEN };
}

module.exports = { readConfig, DEFAULT_PORT, DEFAULT_HEALTH_CHECK_PATH };
