// V8's code cache for every module a Node.js process loads, kept under node_modules/.cache/v8-code-cache, so a run
// after the first compiles next to nothing: Node 22+ has it built in (module.enableCompileCache); older Node gets
// ./codeCache.js. Loaded by register.js, and by the processes of the real-engine preview through NODE_OPTIONS.
"use strict";
const path = require("path");
const nodeModule = require("module");

const CODE_CACHE = path.join(__dirname, "..", "node_modules", ".cache", "v8-code-cache");
// npm and npx (started by a workflow step under the preview's NODE_OPTIONS) exit 1 without a word under the older-Node
// module wrapper of ./codeCache.js, and a cache gains them nothing: they are left alone.
const isNpm = /(^|[\\/])np[mx](-cli\.js)?$/.test(process.argv[1] || "");
if (typeof nodeModule.enableCompileCache === "function") {
    nodeModule.enableCompileCache(CODE_CACHE);
} else if (!isNpm) {
    require("./codeCache").install(CODE_CACHE);
}
