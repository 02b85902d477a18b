import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { StackConfigError } from "../domain/config";

const ROOT = path.resolve(__dirname, "..");
/** What scripts/register.js itself loads to transpile the modules. */
const LOADER = ["typescript", "v8-compile-cache-lib"];

describe("domain/", () => {
    it("loads without the Pulumi SDK or yaml: zod is its only package", () => {
        const modules = fs
            .readdirSync(path.join(ROOT, "domain"))
            .filter((f) => f.endsWith(".ts"))
            .map((f) => `./domain/${f}`);
        // A fresh process: this one has the SDK loaded already.
        const loaded: string[] = JSON.parse(
            execFileSync(
                process.execPath,
                [
                    "-r",
                    "./scripts/register.js",
                    "-e",
                    `for (const m of ${JSON.stringify(modules)}) require(m);` +
                        "console.log(JSON.stringify(Object.keys(require.cache)));",
                ],
                { cwd: ROOT, encoding: "utf8" },
            ),
        );
        const packages = [
            ...new Set(
                loaded
                    .map((file) => /node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(file)?.[1])
                    .filter((name): name is string => name !== undefined)
                    .filter((name) => !LOADER.includes(name))
                    .map((name) => name.replace(/\\/g, "/")),
            ),
        ].sort();
        expect(packages).to.deep.equal(["zod"]);
    });

    it("a config refusal is a RunError to the Pulumi language host: printed as its message alone", () => {
        expect(pulumi.RunError.isInstance(new StackConfigError("Pulumi.dev.yaml", ["a problem"]))).to.equal(true);
    });
});
