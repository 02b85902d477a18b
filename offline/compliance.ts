/**
 * Compliance evidence (`npm run plan -- --all --compliance DIR`): every policy of the pack against every resource
 * it applies to, per stack, with pass / fail / waived / not-applicable / cannot-decide-at-preview, and a summary per
 * NIST SP 800-53 control and per AWS FSBP control. The records are the verdict other writers (SARIF) reuse.
 */

/** What one policy concluded about one resource (or the stack). */
export type ComplianceResult = "pass" | "fail" | "waived" | "not-applicable" | "cannot-decide";

/** The waiver that turned a failure into `waived`. */
export interface WaiverEvidence {
    readonly reason: string;
    readonly approvedBy: string;
    /** ISO date (YYYY-MM-DD), the last day the waiver applies. */
    readonly expires: string;
}

/** One row of the evidence: a policy against one resource of a stack (or the stack as a whole). */
export interface ComplianceRecord {
    readonly stack: string;
    readonly policy: string;
    readonly scope: "resource" | "stack";
    readonly severity: string;
    /** The level the stack's policy pack config gives the policy. */
    readonly enforcementLevel: string;
    /** The resource judged; absent for a stack policy's row about the whole stack and for not-applicable rows. */
    readonly urn?: string;
    readonly resourceName?: string;
    readonly resourceType?: string;
    readonly result: ComplianceResult;
    /** What the policy reported (fail, waived), why it could not decide, or why it does not apply; "" for pass. */
    readonly message: string;
    readonly waiver?: WaiverEvidence;
    readonly nist: readonly string[];
    readonly fsbp: readonly string[];
}
