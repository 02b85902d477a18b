"use strict";
// The HTTP handler: GET <health path>, POST /orders, GET /orders/<id>. JSON in, JSON out, no framework.
const { createOrderStore } = require("./orders");

const MAX_BODY_BYTES = 64 * 1024;
const ORDER_PATH = /^\/orders\/([0-9a-f-]{36})$/;

function send(res, status, body) {
    res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
    res.end(JSON.stringify(body));
}

function readJson(req) {
    return new Promise((resolve, reject) => {
        let size = 0;
        const chunks = [];
        req.on("data", (chunk) => {
            size += chunk.length;
            if (size > MAX_BODY_BYTES) {
                reject(Object.assign(new Error("body too large"), { status: 413 }));
                req.destroy();
                return;
            }
            chunks.push(chunk);
        });
        req.on("end", () => {
            try {
                resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
            } catch {
                reject(Object.assign(new Error("body is not JSON"), { status: 400 }));
            }
        });
        req.on("error", reject);
    });
}

/** A request handler for `http.createServer`; `config` as returned by readConfig. */
function createApp(config) {
    const store = createOrderStore();
    return async function handle(req, res) {
        const url = new URL(req.url, "http://localhost");
        try {
            if (req.method === "GET" && url.pathname === config.healthCheckPath) {
                return send(res, 200, { status: "ok" });
            }
            if (config.apiToken && req.headers.authorization !== `Bearer ${config.apiToken}`) {
                return send(res, 401, { error: "missing or wrong bearer token" });
            }
            if (req.method === "POST" && url.pathname === "/orders") {
                const result = store.create(await readJson(req));
                return result.order ? send(res, 201, result.order) : send(res, 400, { problems: result.problems });
            }
            const match = ORDER_PATH.exec(url.pathname);
            if (req.method === "GET" && match) {
                const order = store.get(match[1]);
                return order ? send(res, 200, order) : send(res, 404, { error: "no such order" });
            }
            return send(res, 404, { error: "not found" });
        } catch (err) {
            return send(res, err.status ?? 500, { error: err.status ? err.message : "internal error" });
        }
    };
}

module.exports = { createApp };
