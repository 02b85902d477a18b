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

/** The rows of the README's "Layout" table: a path, and what is there. */
function layoutRows(): [string, string][] {
    const section = README.slice(README.indexOf("## Layout"), README.indexOf("## Changing it"));
    return section
        .split("\n")
        .filter((l) => l.startsWith("| `"))
        .map((l) => l.split("|").map((c) => c.trim()))
        .map((cells) => [cells[1].replace(/`/g, ""), cells[2]]);
}

/** Files under a directory, recursively, as paths relative to it. */
function filesUnder(dir: string): string[] {
    return fs
        .readdirSync(path.join(ROOT, dir), { recursive: true, encoding: "utf8" })
        .filter((f) => fs.statSync(path.join(ROOT, dir, f)).isFile());
}

/** Rooms whose every code file the layout names: where a newcomer looks first. */
const FULLY_LISTED = ["stacks/", "domain/", "deploy/", "scripts/", "awsFacts/", "targets/"];
const CODE_FILE = /\.(ts|js|sh)$/;

describe("README", () => {
    it("'Layout' lists every top-level folder, and each row names files and classes that exist", () => {
        const rows = layoutRows();
        const listed = rows.map(([where]) => where.split("/")[0] + (where.includes("/") ? "/" : ""));
        const folders = fs
            .readdirSync(ROOT, { withFileTypes: true })
            .filter((e) => e.isDirectory() && !["node_modules", "reports", "docs", ".git", ".ci"].includes(e.name))
            .map((e) => `${e.name}/`);
        expect(folders.filter((f) => !listed.includes(f))).to.deep.equal([]);
        for (const [where, what] of rows) {
            if (!where.includes("<")) expect(fs.existsSync(path.join(ROOT, where)), where).to.equal(true);
            if (!where.endsWith("/")) continue;
            const files = filesUnder(where);
            // A file it names is in the folder (at any depth); a class it names is a component defined there.
            for (const [, name] of what.matchAll(/`([\w.-]+\.(?:ts|js|sh|json))`/g)) {
                const found = files.some((f) => path.basename(f) === name) || fs.existsSync(path.join(ROOT, name));
                expect(found, `${where}: ${name}`).to.equal(true);
            }
            for (const [, name] of what.matchAll(/`([A-Z]\w+)`/g)) {
                const defined = files.some((f) =>
                    fs.readFileSync(path.join(ROOT, where, f), "utf8").includes(`export class ${name} `),
                );
                if (where === "components/" || where === "targets/")
                    expect(defined, `${where}: ${name}`).to.equal(true);
            }
            if (FULLY_LISTED.includes(where)) {
                const unnamed = files.filter((f) => CODE_FILE.test(f) && !what.includes(`\`${path.basename(f)}\``));
                expect(unnamed, `${where}: files the layout does not name`).to.deep.equal([]);
            }
        }
        // Every component class is named in the components' or the targets' row.
        const componentRows = rows.filter(([where]) => where === "components/" || where === "targets/");
        for (const dir of ["components/", "targets/"]) {
            for (const f of filesUnder(dir).filter((x) => x.endsWith(".ts"))) {
                const text = fs.readFileSync(path.join(ROOT, dir, f), "utf8");
                for (const [, name] of text.matchAll(/export class (\w+) extends pulumi\.ComponentResource/g)) {
                    expect(
                        componentRows.some(([, what]) => what.includes(`\`${name}\``)),
                        name,
                    ).to.equal(true);
                }
            }
        }
    });

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
