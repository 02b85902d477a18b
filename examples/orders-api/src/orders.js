"use strict";
// Orders kept in memory: the sample has no database. Input is validated with zod before it is stored.
const { randomUUID } = require("node:crypto");
const { z } = require("zod");

const OrderInput = z
    .object({
        customerId: z.string().min(1).max(64),
        items: z
            .array(
                z
                    .object({
                        sku: z.string().regex(/^[A-Z0-9-]{1,32}$/),
                        quantity: z.number().int().min(1).max(1000),
                    })
                    .strict(),
            )
            .min(1)
            .max(100),
    })
    .strict();

/** An in-memory order store. */
function createOrderStore() {
    const orders = new Map();
    return {
        /** Validates `input`; returns `{ order }` or `{ problems }` (one message per invalid field). */
        create(input) {
            const parsed = OrderInput.safeParse(input);
            if (!parsed.success) {
                return { problems: parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`) };
            }
            const order = { id: randomUUID(), ...parsed.data, createdAt: new Date().toISOString() };
            orders.set(order.id, order);
            return { order };
        },
        get(id) {
            return orders.get(id);
        },
    };
}

module.exports = { createOrderStore };
