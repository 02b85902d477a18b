import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { allPolicies } from "../policies";
import { coverage } from "./fixtures";

/** Suites of whole stacks rather than policy cases; `npm run test:slow` runs them. */
const WHOLE_STACK_SUITES = ["mutations.test.ts", "variants.test.ts"];

// The other policy test files register their suites first (mocha's own later load of them is a cached no-op), so
// this suite runs after them whether mocha runs the whole directory or this file alone.
for (const file of fs.readdirSync(__dirname).sort()) {
    const own = file === path.basename(__filename) || WHOLE_STACK_SUITES.includes(file);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    if (file.endsWith(".test.ts") && !own) require(path.join(__dirname, file));
}

describe("policy test coverage", () => {
    it("every policy of the pack has at least one compliant and one non-compliant case (by policy name)", () => {
        const missing = allPolicies.flatMap((p) => {
            const c = coverage.get(p.name) ?? { compliant: 0, nonCompliant: 0 };
            return [
                ...(c.compliant === 0 ? [`${p.name}: no compliant case`] : []),
                ...(c.nonCompliant === 0 ? [`${p.name}: no non-compliant case`] : []),
            ];
        });
        expect(missing).to.deep.equal([]);
    });
});
