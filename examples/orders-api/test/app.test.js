"use strict";
const assert = require("node:assert/strict");
const http = require("node:http");
const { after, before, describe, it } = require("node:test");
const { createApp } = require("../src/app");
const { readConfig } = require("../src/config");

function request(port, method, path, body, headers = {}) {
    return new Promise((resolve, reject) => {
        const req = http.request({ port, method, path, headers }, (res) => {
            const chunks = [];
            res.on("data", (c) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode, body: JSON.parse(Buffer.concat(chunks)) }));
        });
        req.on("error", reject);
        req.end(body === undefined ? undefined : JSON.stringify(body));
    });
}

describe("orders-api", () => {
    let server;
    let port;
    before(async () => {
        server = http.createServer(createApp(readConfig({ HEALTH_CHECK_PATH: "/health" })));
        await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
        port = server.address().port;
    });
    after(() => server.close());

    it("answers the health check path", async () => {
        assert.deepEqual(await request(port, "GET", "/health"), { status: 200, body: { status: "ok" } });
    });

    it("creates an order and reads it back", async () => {
        const created = await request(port, "POST", "/orders", {
            customerId: "c-1",
            items: [{ sku: "A-1", quantity: 2 }],
        });
        assert.equal(created.status, 201);
        assert.deepEqual(created.body.items, [{ sku: "A-1", quantity: 2 }]);
        const read = await request(port, "GET", `/orders/${created.body.id}`);
        assert.deepEqual(read, { status: 200, body: created.body });
    });

    it("refuses an invalid order, naming each field", async () => {
        const r = await request(port, "POST", "/orders", { customerId: "", items: [{ sku: "a b", quantity: 0 }] });
        assert.equal(r.status, 400);
        assert.deepEqual(r.body.problems, [
            "customerId: String must contain at least 1 character(s)",
            "items.0.sku: Invalid",
            "items.0.quantity: Number must be greater than or equal to 1",
        ]);
    });

    it("answers 404 for an unknown order", async () => {
        const r = await request(port, "GET", "/orders/00000000-0000-0000-0000-000000000000");
        assert.deepEqual(r, { status: 404, body: { error: "no such order" } });
    });

    it("requires the bearer token when ORDERS_API_TOKEN is set, but not on the health check", async () => {
        const guarded = http.createServer(createApp(readConfig({ ORDERS_API_TOKEN: "t0ken" })));
        await new Promise((resolve) => guarded.listen(0, "127.0.0.1", resolve));
        const p = guarded.address().port;
        try {
            assert.equal((await request(p, "GET", "/health")).status, 200);
            assert.equal((await request(p, "POST", "/orders", {})).status, 401);
            const ok = await request(p, "POST", "/orders", {}, { authorization: "Bearer t0ken" });
            assert.equal(ok.status, 400);
        } finally {
            guarded.close();
        }
    });

    it("refuses a bad PORT with the variable's name", () => {
        assert.throws(() => readConfig({ PORT: "http" }), {
            message: 'Invalid service configuration:\n  - PORT: found "http", expected a port number 1-65535',
        });
    });
});
