import tseslint from "typescript-eslint";
import pulumi from "@pulumi/eslint-plugin";

export default tseslint.config(
    { ignores: ["node_modules/**", "bin/**", "**/*.js", "**/*.mjs"] },
    ...tseslint.configs.recommended,
    {
        rules: {
            "@typescript-eslint/no-explicit-any": "off",
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
            "@typescript-eslint/no-namespace": "off",
        },
    },
    {
        // Program code: the Pulumi rules need type information (is this value an Output?).
        files: [
            "index.ts",
            "stacks/**/*.ts",
            "domain/**/*.ts",
            "components/**/*.ts",
            "offline/**/*.ts",
            "policy-pack/**/*.ts",
            "scripts/**/*.ts",
        ],
        ignores: ["**/test/**"],
        languageOptions: {
            parserOptions: { project: ["./tsconfig.eslint.json"], tsconfigRootDir: import.meta.dirname },
        },
        plugins: { "@pulumi": pulumi },
        rules: {
            "@pulumi/no-output-in-template-literal": "error",
            "@pulumi/no-output-instance-in-template-literal": "error",
        },
    },
    // Dependencies point one way: stacks -> components -> domain; the tooling beside the program imports it,
    // never the reverse.
    ...layerRules(["index.ts", "stacks/**/*.ts"], ["offline", "engine", "deploy", "scripts", "rehearsal", "test"]),
    ...layerRules(["components/**/*.ts"], ["stacks", "offline", "engine", "deploy", "scripts", "rehearsal", "test"]),
    ...layerRules(
        ["domain/**/*.ts"],
        ["components", "stacks", "offline", "engine", "deploy", "scripts", "rehearsal", "test"],
    ),
    // The offline tooling by role: report -> analysis -> runtime.
    ...layerRules(["offline/runtime/**/*.ts"], ["analysis", "report"]),
    ...layerRules(["offline/analysis/**/*.ts"], ["report"]),
);

/** An ESLint block forbidding `files` to import from the project's top-level folders `forbidden`. */
function layerRules(files, forbidden) {
    const group = forbidden.flatMap((dir) => [`**/${dir}/*`, `**/${dir}`]);
    return [
        {
            files,
            rules: {
                "no-restricted-imports": [
                    "error",
                    { patterns: [{ group, message: `this layer may not import ${forbidden.join(", ")}` }] },
                ],
            },
        },
    ];
}
