// V8's code cache for Node versions without module.enableCompileCache (Node < 22.1): the compiled code of every
// CommonJS module a process loads (the SDK's, the provider's, the program's) is kept in one file per entry script, so
// a run after the first compiles next to nothing.
//
// Unlike v8-compile-cache-lib (which this replaces), a module whose cached code V8 accepted is neither serialized
// again nor written back: the file is rewritten only when a module was compiled afresh, and its code is taken at
// exit, after the run, so that the functions the run compiled lazily are in it too; or, for a process that may be
// killed rather than exit (the engine stops its plugins so), a second after the last module compiled afresh.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const Module = require("module");
const path = require("path");
const vm = require("vm");

let installed = false;

function install(directory) {
    // Once per process (register.js and NODE_OPTIONS may both ask).
    if (installed) return;
    installed = true;
    const entry = process.argv[1] ? path.resolve(process.argv[1]) : "[eval]";
    const tag = crypto
        .createHash("sha1")
        .update(`${process.version}\0${process.arch}\0${entry}`)
        .digest("hex")
        .slice(0, 16);
    // One file: a 4-byte length, the JSON map, then the code of every module (replaced whole, by a rename).
    const file = path.join(directory, `${tag}.bin`);

    /** filename -> [content hash, offset, length] into `blob`. */
    let map = {};
    let blob = Buffer.alloc(0);
    try {
        const whole = fs.readFileSync(file);
        const mapLength = whole.readUInt32LE(0);
        map = JSON.parse(whole.toString("utf8", 4, 4 + mapLength));
        blob = whole.subarray(4 + mapLength);
    } catch {
        map = {};
    }
    /** Modules compiled without usable cached code in this run: filename -> { hash, script }. */
    const fresh = new Map();

    const previousCompile = Module.prototype._compile;
    Module.prototype._compile = function (content, filename) {
        // Node strips a shebang line itself; vm.Script does not.
        if (content.charCodeAt(0) === 35 /* # */ && content.charCodeAt(1) === 33 /* ! */) {
            const eol = content.indexOf("\n");
            content = eol === -1 ? "" : content.slice(eol);
        }
        const hash = crypto.createHash("sha1").update(content).digest("base64");
        const known = map[filename];
        const cachedData = known && known[0] === hash ? blob.subarray(known[1], known[1] + known[2]) : undefined;
        let script;
        try {
            script = new vm.Script(Module.wrap(content), {
                filename,
                cachedData,
                // import() inside a module resolves as in a module Node compiled (where Node has the constant).
                ...(vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER
                    ? { importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER }
                    : {}),
            });
        } catch {
            // What vm.Script refuses (an ES module syntax error, say) Node reports better itself.
            return previousCompile.call(this, content, filename);
        }
        if (!cachedData || script.cachedDataRejected) {
            fresh.set(filename, { hash, script });
            clearTimeout(timer);
            timer = setTimeout(save, 1000);
            timer.unref();
        }
        return run(this, script.runInThisContext({ displayErrors: true }), filename);
    };

    let timer;
    process.once("exit", save);

    function save() {
        clearTimeout(timer);
        if (fresh.size === 0) return;
        try {
            const parts = [];
            const next = {};
            let offset = 0;
            const add = (filename, hash, data) => {
                parts.push(data);
                next[filename] = [hash, offset, data.length];
                offset += data.length;
            };
            for (const [filename, { hash, script }] of fresh) add(filename, hash, script.createCachedData());
            for (const [filename, [hash, start, length]] of Object.entries(map)) {
                if (!(filename in next)) add(filename, hash, blob.subarray(start, start + length));
            }
            const json = Buffer.from(JSON.stringify(next), "utf8");
            const length = Buffer.alloc(4);
            length.writeUInt32LE(json.length, 0);
            fs.mkdirSync(directory, { recursive: true });
            // Concurrent processes of the same entry: the last rename wins, and every reader sees one whole file.
            const tmp = `${file}.${process.pid}.tmp`;
            const body = Buffer.concat(parts);
            fs.writeFileSync(tmp, Buffer.concat([length, json, body]));
            fs.renameSync(tmp, file);
            // A later save (at exit, after more modules) starts from what this one wrote.
            map = next;
            blob = body;
            fresh.clear();
        } catch {
            // A read-only node_modules only costs speed.
        }
    }
}

/** Calls a compiled module wrapper as Node's own _compile does. */
function run(mod, wrapper, filename) {
    const require = makeRequire(mod);
    return wrapper.call(mod.exports, mod.exports, require, mod, filename, path.dirname(filename));
}

function makeRequire(mod) {
    const require = (id) => mod.require(id);
    require.resolve = (request, options) => Module._resolveFilename(request, mod, false, options);
    require.resolve.paths = (request) => Module._resolveLookupPaths(request, mod);
    require.main = process.mainModule;
    require.extensions = Module._extensions;
    require.cache = Module._cache;
    return require;
}

module.exports = { install };
