import { expect } from "chai";
import { differences, fromEngineEvents, StackSnapshot } from "../engine/parity";

const NS = "devsecops-pipelines";
const REPO = `urn:pulumi:tool::${NS}::aws:codecommit/repository:Repository::orders-api`;
const TOPIC = `urn:pulumi:tool::${NS}::aws:sns/topic:Topic::alerts`;

const pre = (urn: string, type: string, extra: Record<string, unknown> = {}) => ({
    resourcePreEvent: { metadata: { new: { urn, type, inputs: { a: 1 }, ...extra } } },
});

describe("engine parity compares resource options, not only names and inputs", () => {
    const engine = fromEngineEvents("tool", [
        pre(REPO, "aws:codecommit/repository:Repository", { protect: true, retainOnDelete: true }),
        pre(TOPIC, "aws:sns/topic:Topic"),
    ]);

    it("reads protect and retainOnDelete from the engine's step events, and nothing when unset", () => {
        expect(engine.resources.map((r) => [r.name, r.options])).to.deep.equal([
            ["orders-api", { protect: true, retainOnDelete: true }],
            ["alerts", undefined],
        ]);
    });

    it("reports an option the plan and the engine disagree on", () => {
        const plan: StackSnapshot = {
            ...engine,
            resources: engine.resources.map((r) => (r.urn === REPO ? { ...r, options: { protect: true } } : r)),
        };
        expect(differences(engine, engine)).to.deep.equal([]);
        expect(differences(engine, plan)).to.deep.equal([
            `${REPO}: options {"protect":true,"retainOnDelete":true} (engine) vs {"protect":true} (plan)`,
        ]);
    });
});
