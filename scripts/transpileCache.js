// TypeScript transpiled without type-checking (`npm test` type-checks), cached on disk by source: a file whose source
// has not changed is never transpiled again. Used by the loader (register.js) and by the real-engine preview, which
// hands the policy pack to the engine as JavaScript. Loading this module changes nothing in the process.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const ROOT = path.join(__dirname, "..");
const CACHE = path.join(ROOT, "node_modules", ".cache", "offline-plan-ts");

let ts;
let compilerOptions;

function transpile(source, filename) {
    if (!ts) {
        ts = require("typescript");
        const config = ts.readConfigFile(path.join(ROOT, "tsconfig.json"), ts.sys.readFile).config;
        compilerOptions = {
            ...ts.convertCompilerOptionsFromJson(config.compilerOptions, ROOT).options,
            sourceMap: false,
            inlineSourceMap: true,
            inlineSources: false,
        };
    }
    return ts.transpileModule(source, { compilerOptions, fileName: filename }).outputText;
}

/** The JavaScript of a TypeScript file, from the cache when its source is unchanged. */
function compiledJs(filename) {
    const source = fs.readFileSync(filename, "utf8");
    const version = require("typescript/package.json").version;
    const key = crypto.createHash("sha256").update(`${version}\0${filename}\0${source}`).digest("hex");
    const cached = path.join(CACHE, `${key}.js`);
    try {
        return fs.readFileSync(cached, "utf8");
    } catch {
        const js = transpile(source, filename);
        try {
            fs.mkdirSync(CACHE, { recursive: true });
            const tmp = `${cached}.${process.pid}.tmp`;
            fs.writeFileSync(tmp, js);
            fs.renameSync(tmp, cached);
        } catch {
            // A read-only node_modules only costs speed.
        }
        return js;
    }
}

module.exports = { compiledJs };
