// Transpile-only TypeScript loader with an on-disk cache, for the plan and bench scripts: like
// ts-node/register/transpile-only (no type-checking; `npm test` type-checks), but a file whose source has not
// changed is never transpiled again, so a plan pays only for running the program.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const CACHE = path.join(__dirname, "..", "node_modules", ".cache", "offline-plan-ts");

// V8's code cache for every module loaded (the SDK and provider included), so a run after the first compiles
// nothing: Node 22+ has it built in (module.enableCompileCache); on Node 20, v8-compile-cache-lib does the same.
const CODE_CACHE = path.join(__dirname, "..", "node_modules", ".cache", "v8-code-cache");
const nodeModule = require("module");
if (typeof nodeModule.enableCompileCache === "function") {
    nodeModule.enableCompileCache(CODE_CACHE);
} else {
    try {
        require("v8-compile-cache-lib").install({ cacheDir: CODE_CACHE });
    } catch {
        // Without it a run only compiles what it loads, as plain Node does.
    }
}

let ts;
let compilerOptions;

function transpile(source, filename) {
    if (!ts) {
        ts = require("typescript");
        const config = ts.readConfigFile(path.join(__dirname, "..", "tsconfig.json"), ts.sys.readFile).config;
        compilerOptions = {
            ...ts.convertCompilerOptionsFromJson(config.compilerOptions, path.join(__dirname, "..")).options,
            sourceMap: false,
            inlineSourceMap: true,
            inlineSources: false,
        };
    }
    return ts.transpileModule(source, { compilerOptions, fileName: filename }).outputText;
}

require.extensions[".ts"] = function (module, filename) {
    const source = fs.readFileSync(filename, "utf8");
    const version = require("typescript/package.json").version;
    const key = crypto.createHash("sha256").update(`${version}\0${filename}\0${source}`).digest("hex");
    const cached = path.join(CACHE, `${key}.js`);
    let js;
    try {
        js = fs.readFileSync(cached, "utf8");
    } catch {
        js = transpile(source, filename);
        try {
            fs.mkdirSync(CACHE, { recursive: true });
            const tmp = `${cached}.${process.pid}.tmp`;
            fs.writeFileSync(tmp, js);
            fs.renameSync(tmp, cached);
        } catch {
            // A read-only node_modules only costs speed.
        }
    }
    module._compile(js, filename);
};
