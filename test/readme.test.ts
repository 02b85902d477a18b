import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";

const ROOT = path.join(__dirname, "..");
const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

/** The rows of the README's "Changing it" table: what to add, and the cell that says where. */
function changeRows(): [string, string][] {
    const section = README.slice(README.indexOf("## Changing it"), README.indexOf("## Documentation"));
    return section
        .split("\n")
        .filter((l) => l.startsWith("| a "))
        .map((l) => l.split("|").map((c) => c.trim()))
        .map((cells) => [cells[1], cells[2]]);
}

describe("README", () => {
    it("'Changing it' names files that exist and the symbols they hold", () => {
        const rows = changeRows();
        expect(rows.map(([what]) => what)).to.deep.equal(["a build step", "a config rule", "a deploy target"]);
        for (const [what, where] of rows) {
            // `SYMBOL` of/in `FILE`: the file exists and defines the symbol.
            for (const [, symbol, file] of where.matchAll(/`(\w+)`(?: \w+)? (?:of|in) `([\w./-]+\.ts)`/g)) {
                const text = fs.readFileSync(path.join(ROOT, file), "utf8");
                expect(text, `${what}: ${symbol} in ${file}`).to.match(
                    new RegExp(`export (const|function|interface|type) ${symbol}\\b`),
                );
            }
            for (const [, file] of where.matchAll(/`([\w./-]+\.(?:ts|yml))`/g)) {
                expect(fs.existsSync(path.join(ROOT, file)), `${what}: ${file}`).to.equal(true);
            }
            for (const [, dir] of where.matchAll(/`([\w-]+\/)(?:<\w+>\/)?`/g)) {
                expect(fs.existsSync(path.join(ROOT, dir)), `${what}: ${dir}`).to.equal(true);
            }
        }
    });

    it("every linked doc exists, and no doc refers to internal issue or item numbers", () => {
        const docs = [...README.matchAll(/\]\(((?:docs|policy-pack)\/[\w./-]+\.md)/g)].map((m) => m[1]);
        expect(docs).to.have.length.greaterThan(8);
        for (const doc of docs) expect(fs.existsSync(path.join(ROOT, doc)), doc).to.equal(true);
        for (const file of ["README.md", ...fs.readdirSync(path.join(ROOT, "docs")).map((f) => `docs/${f}`)]) {
            const text = fs.readFileSync(path.join(ROOT, file), "utf8");
            expect(text, file).not.to.match(/\((issue|item) \d+\)|\b(issue|item) \d+\b/);
        }
    });
});
