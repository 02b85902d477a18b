/**
 * Pulumi.yaml's `config:` block and the config table of docs/configuration.md come from the schema. With
 * UPDATE_CONFIG_DOCS=1 (`npm run config:docs`) this file rewrites them instead of failing.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { renderConfigTable, renderProjectConfig } from "../domain/configDocs";
import { CONFIG_KEYS } from "../domain/configSchema";
import { PROJECT_ROOT } from "../offline/runtime/stackFiles";

const UPDATE = process.env.UPDATE_CONFIG_DOCS === "1";
const PROJECT_FILE = path.join(PROJECT_ROOT, "Pulumi.yaml");
const CONFIG_DOC = path.join(PROJECT_ROOT, "docs", "configuration.md");
const TABLE_START = "<!-- config-table: generated from domain/configSchema.ts by npm run config:docs -->\n";
const TABLE_END = "<!-- /config-table -->";

/** The project values of Pulumi.yaml (the shared keys' `value:`), kept when the block is regenerated. */
function projectValues(text: string): Record<string, unknown> {
    const config = (YAML.parse(text).config ?? {}) as Record<string, { value?: unknown }>;
    return Object.fromEntries(
        Object.entries(config)
            .filter(([k, d]) => !k.includes(":") && d && typeof d === "object" && d.value !== undefined)
            .map(([k, d]) => [k, d.value]),
    );
}

describe("config docs generated from the schema", () => {
    it("Pulumi.yaml's config: block is the schema's", () => {
        const text = fs.readFileSync(PROJECT_FILE, "utf8");
        const at = text.indexOf("\nconfig:\n") + 1;
        expect(at, "Pulumi.yaml has a config: block").to.be.greaterThan(0);
        const expected = text.slice(0, at) + renderProjectConfig(projectValues(text));
        if (UPDATE) fs.writeFileSync(PROJECT_FILE, expected);
        else expect(text, "Pulumi.yaml drifted from the schema: run npm run config:docs").to.equal(expected);
    });

    it("the config table of docs/configuration.md is the schema's", () => {
        const text = fs.readFileSync(CONFIG_DOC, "utf8");
        const start = text.indexOf(TABLE_START);
        const end = text.indexOf(TABLE_END);
        expect(start, "docs/configuration.md has the config-table markers").to.be.greaterThan(0);
        expect(end).to.be.greaterThan(start);
        const expected = text.slice(0, start + TABLE_START.length) + renderConfigTable() + text.slice(end);
        if (UPDATE) fs.writeFileSync(CONFIG_DOC, expected);
        else
            expect(
                text,
                "docs/configuration.md's config table drifted from the schema: run npm run config:docs",
            ).to.equal(expected);
    });

    it("every key has a type, a scope and a description; typed ones appear in Pulumi.yaml as the CLI needs", () => {
        const project = YAML.parse(fs.readFileSync(PROJECT_FILE, "utf8"));
        for (const k of CONFIG_KEYS) {
            expect(k.description, k.key).to.match(/\S{3}/);
            const decl = project.config[k.key];
            if (k.key.includes(":")) expect(decl, `${k.key} may not be typed`).to.equal(undefined);
            else if (k.default !== undefined) expect(decl.default, k.key).to.deep.equal(k.default);
            else if (k.scope === "project" && k.required)
                expect(decl.value, `${k.key} stated once`).to.not.equal(undefined);
            else if (k.required) expect(decl, k.key).to.deep.include({ type: k.type });
            else expect(decl?.type, `${k.key}: optional without default, so untyped`).to.equal(undefined);
        }
    });
});
