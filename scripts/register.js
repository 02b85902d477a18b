// Transpile-only TypeScript loader with an on-disk cache, for the plan and bench scripts: like
// ts-node/register/transpile-only (no type-checking; `npm test` type-checks), but a file whose source has not
// changed is never transpiled again (./transpileCache.js), and V8's code cache serves every module loaded
// (./compileCache.js), so a plan pays only for running the program.
"use strict";
require("./compileCache");
const { compiledJs } = require("./transpileCache");

require.extensions[".ts"] = function (module, filename) {
    module._compile(compiledJs(filename), filename);
};
