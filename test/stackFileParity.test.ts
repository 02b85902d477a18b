import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { NotPlainYaml, PulumiCliError, resolveStackConfig } from "../offline/runtime/stackFiles";

/**
 * resolveStackConfig against what the real Pulumi CLI v3.248.0 did with the same files: the config the program
 * received under `pulumi preview` (pulumi.runtime.allConfig()), or the message printed after `error: `. Files
 * that are not plain YAML are refused instead, naming file, key and what was found, and sending to the real CLI.
 * test/fixtures/cli-config/README.md lists each fixture and the CLI output observed.
 */
const FIXTURES = path.join(__dirname, "fixtures", "cli-config");

type Options = Parameters<typeof resolveStackConfig>[1];

function resolve(project: string, stack: string, options: Options = {}): Record<string, string> {
    return resolveStackConfig(stack, { root: path.join(FIXTURES, project), ...options });
}

/** The CLI's message for a stack (or project) it refuses. */
function refusal(project: string, stack: string, options: Options = {}): string {
    try {
        resolve(project, stack, options);
    } catch (e) {
        expect(e).to.be.instanceOf(PulumiCliError);
        return (e as Error).message;
    }
    throw new Error(`the CLI refuses ${project}/Pulumi.${stack}.yaml, resolveStackConfig did not`);
}

/** The offline reader's refusal of a file that is not plain YAML. */
function notPlain(project: string, stack: string, options: Options = {}): string {
    try {
        resolve(project, stack, options);
    } catch (e) {
        expect(e).to.be.instanceOf(NotPlainYaml);
        return (e as Error).message;
    }
    throw new Error(`${project}/Pulumi.${stack}.yaml is not plain YAML, resolveStackConfig read it`);
}

/** The refusal's text: the file, the key (or the document), what was found, and where to go instead. */
const refused = (file: string, key: string, found: string) =>
    `${file}: ${key}: found ${found}. The offline plan reads plain YAML only (maps, lists and plain values); ` +
    "run `npm run preview` (the real Pulumi CLI) for such files.";

const projectFile = (project: string) => path.join(FIXTURES, project, "Pulumi.yaml");

describe("stack files read as the Pulumi CLI reads them", () => {
    describe("values", () => {
        it("turns stack-file scalars into the strings the CLI passes (yaml.v3, not YAML 1.2 core)", () => {
            expect(resolve("values", "scalars-plain")).to.deep.equal({
                "aws:profile": "old-style-key",
                "aws:region": "us-gov-west-1",
                "cfg:accountQuoted": "012345678901",
                "cfg:bool1": "true",
                "cfg:bool2": "true",
                "cfg:enabled": "true",
                "cfg:float1": "2048",
                "cfg:float2": "2048.5",
                "cfg:float3": "0.5",
                "cfg:float4": "0",
                "cfg:float5": "1000",
                "cfg:float6": "1234567",
                "cfg:float7": "1e+21",
                "cfg:hex": "1024",
                "cfg:html": "x<y&z",
                "cfg:leadingZero1": "12345678901",
                "cfg:leadingZero2": "8",
                "cfg:list": '[1,2,"3",true,null]',
                "cfg:nested": '{"a":{"w":[16,1000,null,"yes"],"x":"\\u003cb\\u003e","y":2.5},"z":1}',
                "cfg:null1": "",
                "cfg:null2": "",
                "cfg:null3": "",
                "cfg:octal1": "15",
                "cfg:on": "on",
                "cfg:overridden": "1",
                "cfg:plus": "12",
                "cfg:port": "3000",
                "cfg:ratio": "2.5",
                "cfg:region": "eu-west-1",
                "cfg:sexagesimal": "1:30",
                "cfg:tags": '{"env":"\\u003cdev\\u003e","team":"a\\u0026b"}',
                "cfg:unqualified": "plain",
                "cfg:yes": "yes",
                "cfg:zones": '["a","b"]',
                "other:key": "another namespace",
                "pulumi:disable-default-providers": '["aws"]',
            });
        });

        it("lets stack values replace project defaults and values (objects whole, not merged)", () => {
            expect(resolve("values", "overrides")).to.deep.equal({
                "aws:region": "us-gov-east-1",
                "cfg:enabled": "true",
                "cfg:overridden": "2",
                "cfg:port": "8080",
                "cfg:ratio": "2.5",
                "cfg:region": "eu-west-1",
                "cfg:tags": '{"env":"prod"}',
                "cfg:zones": '["a","b"]',
                "pulumi:disable-default-providers": '["aws"]',
            });
        });

        it("reads multi-line strings as the CLI passes them", () => {
            expect(resolve("values", "multiline-plain")).to.include({
                "cfg:script": '#!/bin/sh\necho "hi"\n',
                "cfg:folded": "one two",
                "cfg:kept": "kept\n\n",
                "cfg:trailingSpace": "line \nnext",
                "cfg:tabs": "a\tb\nc",
            });
        });
    });

    describe("files that are not plain YAML: refused, for the real CLI to read", () => {
        it("refuses Pulumi.scalars.yaml at its first line that yaml.v3 reads by rules of its own", () => {
            expect(notPlain("values", "scalars")).to.equal(
                refused(
                    "Pulumi.scalars.yaml",
                    "config.cfg:octal2",
                    "017, a number with a leading zero, which yaml.v3 reads as octal",
                ),
            );
        });

        it("refuses Pulumi.multiline.yaml: yaml.v3 drops the leading line break of a multi-line string", () => {
            expect(notPlain("values", "multiline")).to.equal(
                refused(
                    "Pulumi.multiline.yaml",
                    "config.cfg:leadingBreak",
                    "a multi-line string starting with a line break",
                ),
            );
        });

        const cases: [string, string, string][] = [
            ["merge", "base", "an anchor (&base)"],
            ["number-key", "config", "a key that is not a string (1)"],
            ["duplicate", "config.cfg:a", "this key a second time"],
            ["config-list", "config", "a list where a map of config keys is expected"],
            ["config-string", "config", 'the string "cfg:a=1" where a map of config keys is expected'],
            ["document-list", "(the document)", "a list where a map is expected"],
            ["nan", "config.cfg:a", ".nan, a number with no JSON form"],
            ["nested-infinity", "config.cfg:a[1]", ".inf, a number with no JSON form"],
            ["bad-tag", "config.cfg:a", "a tag (!!bool)"],
            ["tab-block", "config.cfg:a", "a tab at the start of a block scalar's line"],
            ["tab-string", "config.cfg:b", "a multi-line string starting with a tab"],
        ];
        for (const [stack, key, found] of cases) {
            it(`refuses Pulumi.${stack}.yaml`, () => {
                expect(notPlain("keys", stack)).to.equal(refused(`Pulumi.${stack}.yaml`, key, found));
            });
        }

        describe("the other lines of Pulumi.scalars.yaml, each alone", () => {
            let dir: string;
            before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-files-"))));
            after(() => fs.rmSync(dir, { recursive: true, force: true }));
            const lines: [string, string, string][] = [
                [
                    "cfg:uint64: 18446744073709551615",
                    "cfg:uint64",
                    "18446744073709551615, an integer outside the signed 64-bit range",
                ],
                [
                    "cfg:beyondUint64: 18446744073709551616",
                    "cfg:beyondUint64",
                    "18446744073709551616, an integer outside the signed 64-bit range",
                ],
                ["cfg:date: 2001-12-14", "cfg:date", "2001-12-14, which yaml.v3 may read as a date or time"],
                [
                    "cfg:timestamp: 2001-12-14t21:59:43.10-05:00",
                    "cfg:timestamp",
                    "2001-12-14t21:59:43.10-05:00, which yaml.v3 may read as a date or time",
                ],
                ["cfg:notADate: 2001-02-30", "cfg:notADate", "2001-02-30, which yaml.v3 may read as a date or time"],
                ["cfg:octal2: 017", "cfg:octal2", "017, a number with a leading zero, which yaml.v3 reads as octal"],
                [
                    "cfg:binary: 0b101",
                    "cfg:binary",
                    "0b101, a number that yaml.v3 reads as an integer and YAML 1.2 as a string",
                ],
                [
                    "cfg:signedHex: -0x10",
                    "cfg:signedHex",
                    "-0x10, a number that yaml.v3 reads as an integer and YAML 1.2 as a string",
                ],
                [
                    "cfg:underscore: 1_000",
                    "cfg:underscore",
                    "1_000, a number with underscores, which yaml.v3 drops and YAML 1.2 keeps in a string",
                ],
                ["cfg:overflow: 1e400", "cfg:overflow", "1e400, a number beyond the 64-bit floating-point range"],
                ["cfg:strTag: !!str 0x400", "cfg:strTag", "a tag (!!str)"],
                ["cfg:floatTag: !!float 1", "cfg:floatTag", "a tag (!!float)"],
                ["cfg:alias: *base", "cfg:alias", "an alias (*base)"],
                ["cfg:a: 1\n---\nconfig:\n    cfg:b: 2", "(the document)", "a second document (`---`)"],
                ["<<: { cfg:a: 1 }", "config", "a merge key (<<)"],
                ["? [cfg:a]\n    : 1", "config", 'a key that is not a string (["cfg:a"])'],
            ];
            for (const [line, key, found] of lines) {
                it(`refuses ${line.split("\n")[0]}`, () => {
                    const stackFile = path.join(dir, "Pulumi.line.yaml");
                    fs.writeFileSync(stackFile, `config:\n    ${line}\n`);
                    const where =
                        key === "(the document)" ? key : `config.${key}`.replace(/^config\.config$/, "config");
                    expect(notPlain("values", "line", { stackFile })).to.equal(refused(stackFile, where, found));
                });
            }
        });

        it("reads a string that only looks like a number with underscores as the string it is", () => {
            const stackFile = path.join(os.tmpdir(), `Pulumi.underscore-${process.pid}.yaml`);
            fs.writeFileSync(stackFile, "config:\n    cfg:report: 2024_q1\n    cfg:name: a_1\n");
            try {
                expect(resolve("values", "line", { stackFile })).to.include({
                    "cfg:report": "2024_q1",
                    "cfg:name": "a_1",
                });
            } finally {
                fs.rmSync(stackFile);
            }
        });

        it("refuses a project declaration with an attribute the CLI's schema does not know", () => {
            expect(notPlain("project-unknown-attribute", "any")).to.equal(
                refused("Pulumi.yaml", "config.port", "an attribute a config declaration does not have (defualt)"),
            );
        });

        it("refuses overrides the CLI would change as it would the same stack file", () => {
            expect(notPlain("values", "overrides", { overrides: { script: "\nsecond line\nthird" } })).to.equal(
                refused(
                    "Pulumi.overrides.yaml",
                    "config.cfg:script (an override)",
                    "a multi-line string starting with a line break",
                ),
            );
        });
    });

    describe("typed project keys", () => {
        it("accepts what the CLI's type checks accept, as the stack file wrote it", () => {
            expect(resolve("types", "accepted")).to.deep.equal({
                "cfg:enabled": "true",
                "cfg:limits": '{"cpu":2}',
                "cfg:matrix": '[["a","1"],[]]',
                "cfg:name": "123",
                "cfg:port": "0042",
                "cfg:thresholds": '["80",90,95]',
            });
            expect(resolve("types", "port-whole-float")["cfg:port"]).to.equal("2048");
            expect(resolve("types", "enabled-capitalised")["cfg:enabled"]).to.equal("true");
            expect(resolve("types", "name-number")["cfg:name"]).to.equal("2048");
        });

        const wrongType: [string, string, string][] = [
            ["port-string", "port", "integer"],
            ["port-float", "port", "integer"],
            ["enabled-yes", "enabled", "boolean"],
            ["limits-list", "limits", "object"],
            ["thresholds-item", "thresholds", "array<integer>"],
            ["thresholds-fraction", "thresholds", "array<integer>"],
            ["thresholds-scalar", "thresholds", "array<integer>"],
            ["matrix-item", "matrix", "array<array<string>>"],
        ];
        for (const [stack, key, type] of wrongType) {
            it(`refuses Pulumi.${stack}.yaml: ${key} is not of type ${type}`, () => {
                expect(refusal("types", stack)).to.equal(
                    `validating stack config: Stack '${stack}' with configuration key '${key}' must be of type '${type}'`,
                );
            });
        }

        it("refuses a secret key given in plain text", () => {
            expect(refusal("secret", "plain")).to.equal(
                "validating stack config: Stack 'plain' with configuration key 'token' must be encrypted as it's secret",
            );
        });
    });

    describe("required project keys (no default, no value)", () => {
        it("resolves a stack file that sets them all, defaults added", () => {
            expect(resolve("required", "complete")).to.deep.equal({
                "cfg:accountId": "123456789012",
                "cfg:budget": "100",
                "cfg:note": "hello",
                "cfg:port": "3000",
                "cfg:vpcId": "vpc-0a1b2c3d",
                "cfg:zone": "a",
            });
        });

        it("refuses a typed key with no default missing from the stack file", () => {
            expect(refusal("required", "missing-vpc")).to.equal(
                "validating stack config: Stack 'missing-vpc' is missing configuration value 'vpcId'",
            );
        });

        it("names two missing keys with 'and', several with commas and 'and', sorted, untyped ones too", () => {
            expect(refusal("required", "missing-two")).to.equal(
                "validating stack config: Stack 'missing-two' is missing configuration values 'budget' and 'vpcId'",
            );
            expect(refusal("required", "missing-all")).to.equal(
                "validating stack config: Stack 'missing-all' is missing configuration values 'accountId', 'budget', 'cfg:zone', 'note' and 'vpcId'",
            );
        });

        it("counts a key written with no value as set, an empty string", () => {
            expect(resolve("required", "null-vpc")["cfg:vpcId"]).to.equal("");
        });

        it("names the stack it was asked for, as `pulumi preview --stack dev --config-file <file>` does", () => {
            const stackFile = path.join(FIXTURES, "required", "Pulumi.missing-vpc.yaml");
            expect(refusal("required", "dev", { stackFile })).to.equal(
                "validating stack config: Stack 'dev' is missing configuration value 'vpcId'",
            );
        });

        it("applies overrides as edits of the stack file, then validates", () => {
            expect(refusal("required", "complete", { overrides: { vpcId: undefined } })).to.equal(
                "validating stack config: Stack 'complete' is missing configuration value 'vpcId'",
            );
            expect(refusal("required", "complete", { overrides: { budget: 2048.5 } })).to.equal(
                "validating stack config: Stack 'complete' with configuration key 'budget' must be of type 'integer'",
            );
            expect(resolve("required", "complete", { overrides: { budget: "0100", "aws:region": "x" } })).to.include({
                "cfg:budget": "0100",
                "aws:region": "x",
            });
        });
    });

    describe("stack files the CLI cannot read", () => {
        const keyError = (key: string) =>
            `getting stack configuration: invalid YAML file: could not unmarshal map: could not parse ${key} as a configuration key (configuration keys should be of the form \`<namespace>:<name>\`)`;
        const cases: [string, string][] = [
            ["three-colons", keyError("cfg:a:b:c")],
            ["other-module", keyError("aws:other:region")],
        ];
        for (const [stack, message] of cases) {
            it(`refuses Pulumi.${stack}.yaml`, () => expect(refusal("keys", stack)).to.equal(message));
        }
    });

    describe("project files the CLI cannot read", () => {
        const cases: [string, (file: string) => string][] = [
            [
                "project-bad-default",
                (f) =>
                    `could not unmarshal '${f}': The default value specified for configuration key 'port' is not of the expected type 'integer'`,
            ],
            [
                "project-default-and-value",
                (f) =>
                    `could not unmarshal '${f}': project config 'region' cannot have both a 'default' and 'value' attribute`,
            ],
            [
                "project-array-no-items",
                (f) =>
                    `could not unmarshal '${f}': The configuration key 'zones' declares an array but does not specify the underlying type via the 'items' attribute`,
            ],
            [
                "project-namespaced-type",
                (f) =>
                    `could not unmarshal '${f}': Configuration key 'aws:region' is not namespaced by the project and should not define a type`,
            ],
            [
                "project-namespaced-no-value",
                (f) =>
                    `could not unmarshal '${f}': Configuration key 'aws:region' is namespaced and must provide an attribute 'value'`,
            ],
        ];
        for (const [project, message] of cases) {
            it(`refuses ${project}/Pulumi.yaml`, () => {
                expect(refusal(project, "any")).to.equal(message(projectFile(project)));
            });
        }
    });
});
