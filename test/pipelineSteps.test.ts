import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import * as program from "../domain/pipelineSteps";
import * as pack from "../policy-pack/policies/pipelineSteps";

describe("pipeline step marks", () => {
    it("the policy pack reads the tag and roles the program writes", () => {
        expect([pack.PIPELINE_STEP_TAG, pack.PIPELINE_STEP_ROLES]).to.deep.equal([
            program.PIPELINE_STEP_TAG,
            program.PIPELINE_STEP_ROLES,
        ]);
    });

    it("the policy pack imports nothing from outside its folder (pulumi policy publish uploads the folder alone)", () => {
        const root = path.join(__dirname, "..", "policy-pack");
        const files = ["index.ts", ...fs.readdirSync(path.join(root, "policies")).map((f) => `policies/${f}`)];
        const outside = files.flatMap((file) =>
            [...fs.readFileSync(path.join(root, file), "utf8").matchAll(/from "(\.\.?\/[^"]+)"/g)]
                .map((m) => path.relative(root, path.resolve(path.dirname(path.join(root, file)), m[1])))
                .filter((target) => target.startsWith(".."))
                .map((target) => `${file} -> ${target}`),
        );
        expect(outside).to.deep.equal([]);
    });
});
