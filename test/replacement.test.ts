import { expect } from "chai";
import { createOnlyInputs } from "../awsFacts/replacement";
import { RESOURCE_MAP } from "../awsFacts/resourceMap";
import { changedInputs } from "../engine/providers/aws";
import { replacingInputs, replacingProperties, UPDATED_IN_PLACE } from "../offline/analysis/resourceRules";

describe("replacements from AWS's create-only properties, shared by the offline diff and the stand-in provider", () => {
    it("maps the schema's create-only properties to the provider's inputs", () => {
        expect(createOnlyInputs("aws:lb/loadBalancer:LoadBalancer")).to.deep.equal([
            "internal",
            "loadBalancerType",
            "name",
        ]);
        expect(createOnlyInputs("aws:ecs/service:Service")).to.deep.equal(["cluster", "name"]);
        // A create-only field inside a property (EncryptionConfiguration.KmsKey) replaces through that property.
        expect(createOnlyInputs("aws:ecr/repository:Repository")).to.deep.equal(["encryptionConfigurations", "name"]);
        expect(createOnlyInputs("aws:ec2/subnet:Subnet")).to.deep.equal(["availabilityZone", "cidrBlock", "vpcId"]);
        // A block of another resource replaces only when it moves to another one.
        expect(createOnlyInputs("aws:s3/bucketPolicy:BucketPolicy")).to.deep.equal(["bucket"]);
        expect(createOnlyInputs("aws:kms/key:Key")).to.deep.equal([]);
        expect(createOnlyInputs("aws:example/unmapped:Unmapped")).to.equal(undefined);
    });

    it("adds the provider's documented replacements and leaves out what it updates in place", () => {
        expect(replacingInputs("aws:lb/loadBalancer:LoadBalancer")).to.deep.equal([
            "internal",
            "loadBalancerType",
            "name",
            "namePrefix",
        ]);
        expect(replacingInputs("aws:ecs/service:Service")).to.deep.equal(["cluster", "name", "schedulingStrategy"]);
        expect(replacingInputs("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")).to.deep.equal([
            "securityGroupId",
        ]);
        expect(replacingInputs("aws:iam/user:User")).to.deep.equal([]);
        expect(replacingInputs("aws:budgets/budget:Budget")).to.deep.equal(["accountId", "name", "namePrefix"]);
        expect(replacingInputs("aws:ecs/taskDefinition:TaskDefinition")).to.equal(undefined);
        expect(replacingProperties("aws:ecs/taskDefinition:TaskDefinition", ["cpu", "tags"])).to.deep.equal(["cpu"]);
        expect(replacingProperties("aws:ec2/subnet:Subnet", ["cidrBlock", "tags"])).to.deep.equal(["cidrBlock"]);
    });

    it("lists as updated in place only properties the schema marks create-only", () => {
        for (const [type, properties] of Object.entries(UPDATED_IN_PLACE)) {
            expect(RESOURCE_MAP[type], type).to.not.equal(undefined);
            for (const p of properties) expect(createOnlyInputs(type), `${type} ${p}`).to.include(p);
        }
    });

    it("the stand-in's Diff names the changed top-level inputs, never the provider's own keys", () => {
        expect(
            changedInputs(
                { name: "a", tags: { x: "1" }, port: 80, __defaults: [] },
                { name: "b", tags: { x: "1" }, idleTimeout: 60, __defaults: ["name"] },
            ),
        ).to.deep.equal(["idleTimeout", "name", "port"]);
        expect(changedInputs({ name: "a" }, { name: "a" })).to.deep.equal([]);
    });
});
