import { expect } from "chai";
import { APPROVAL_REQUIRED, PROTECTED_ENVIRONMENTS } from "../domain/configSchema";
import {
    ENVIRONMENT_TRAITS,
    ENVIRONMENTS,
    environmentsWhere,
    hasTrait,
    nextEnvironment,
    previousEnvironment,
} from "../domain/environments";
import { GATED_ENVIRONMENTS } from "../offline/analysis/diff";
import { PROTECTED_ENVIRONMENTS as PACK_PROTECTED_ENVIRONMENTS } from "../policy-pack/policies/common";

describe("environment traits", () => {
    it("states each environment's traits in one row, in promotion order", () => {
        expect(ENVIRONMENTS).to.deep.equal(["dev", "qa", "stage", "prod"]);
        expect(ENVIRONMENT_TRAITS).to.deep.equal({
            dev: {
                image: "building",
                approvalRequired: false,
                protectedData: false,
                gatedChanges: false,
                natGateways: "Single",
                developerOwned: true,
            },
            qa: {
                image: "promoting",
                approvalRequired: false,
                protectedData: false,
                gatedChanges: false,
                natGateways: "Single",
                developerOwned: false,
            },
            stage: {
                image: "promoting",
                approvalRequired: true,
                protectedData: true,
                gatedChanges: true,
                natGateways: "OnePerAz",
                developerOwned: false,
            },
            prod: {
                image: "promoting",
                approvalRequired: true,
                protectedData: true,
                gatedChanges: true,
                natGateways: "OnePerAz",
                developerOwned: false,
            },
        });
    });

    it("derives the lists the config, the diff and the pack read from the table", () => {
        expect(APPROVAL_REQUIRED).to.deep.equal(["stage", "prod"]);
        expect(PROTECTED_ENVIRONMENTS).to.deep.equal(["stage", "prod"]);
        expect(GATED_ENVIRONMENTS).to.deep.equal(["stage", "prod"]);
        // The pack is self-contained (it runs without the program), so it states its list; it must agree.
        expect(PACK_PROTECTED_ENVIRONMENTS).to.deep.equal(environmentsWhere((t) => t.protectedData));
    });

    it("answers traits for stack roles, the tool account having none", () => {
        expect(hasTrait("dev", (t) => t.developerOwned)).to.equal(true);
        expect(hasTrait("prod", (t) => t.developerOwned)).to.equal(false);
        expect(hasTrait("tool", (t) => t.developerOwned)).to.equal(false);
        expect(hasTrait(undefined, (t) => t.protectedData)).to.equal(false);
    });

    it("promotes dev -> qa -> stage -> prod", () => {
        expect(ENVIRONMENTS.map(previousEnvironment)).to.deep.equal([undefined, "dev", "qa", "stage"]);
        expect(ENVIRONMENTS.map(nextEnvironment)).to.deep.equal(["qa", "stage", "prod", undefined]);
    });
});
