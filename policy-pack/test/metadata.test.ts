import { expect } from "chai";
import { allPolicies, policyMetadata } from "../policies";

describe("policy metadata", () => {
    it("every policy has a unique name, metadata, a NIST control and its ids in the description", () => {
        const names = allPolicies.map((p) => p.name);
        expect(new Set(names).size).to.equal(names.length);
        expect(policyMetadata.map((m) => m.name)).to.deep.equal(names);
        for (const [i, p] of allPolicies.entries()) {
            const m = policyMetadata[i];
            expect(m.nist.length, p.name).to.be.greaterThan(0);
            expect(p.description).to.equal(
                `${m.summary} [severity: ${m.severity}; AWS FSBP: ${m.fsbp.length ? m.fsbp.join(", ") : "none"}; NIST SP 800-53: ${m.nist.join(", ")}]`,
            );
            expect(p.enforcementLevel).to.equal(m.enforcementLevel);
        }
    });

    it("security controls are mandatory by default; only the read-only root filesystem is advisory", () => {
        expect(policyMetadata.filter((m) => m.enforcementLevel !== "mandatory").map((m) => m.name)).to.deep.equal([
            "ecs-read-only-root-filesystem",
        ]);
    });

    it("maps the FSBP controls the issue names", () => {
        const fsbp = new Set(policyMetadata.flatMap((m) => m.fsbp));
        for (const id of [
            "S3.5",
            "S3.8",
            "KMS.4",
            "IAM.1",
            "CodeBuild.2",
            "CodeBuild.4",
            "CodeBuild.5",
            "ECR.1",
            "ECR.2",
            "ECR.3",
            "ECS.2",
            "ECS.4",
            "ECS.5",
            "ECS.8",
            "ECS.9",
            "SNS.1",
            "KMS.2",
            "CodeBuild.3",
            "CodeBuild.7",
            "CloudWatch.16",
            "ELB.1",
            "ELB.4",
            "ELB.6",
            "ELB.17",
            "EC2.18",
            "EC2.53",
            "ECS.12",
            "EC2.6",
            "CloudWatch.15",
            "ECS.10",
            "ELB.12",
            "Lambda.1",
            "Lambda.2",
            "Lambda.3",
            "Lambda.5",
        ]) {
            expect(fsbp.has(id), id).to.equal(true);
        }
        expect(policyMetadata.length).to.equal(103);
    });
});
