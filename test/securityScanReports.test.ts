import * as path from "path";
import { expect } from "chai";
import { BUILDSPEC_DIR } from "../components/buildProjects";
import { canRunBuildspecs, runBuildspec, ScannerStandIns } from "./buildspecRunner";

/**
 * The security scan's reports, through the buildspec runner with stand-ins for secretlint, ESLint and npm audit (the
 * real scanners and their SARIF formatters run in `npm run test:rehearsal`): each scanner's SARIF and JUnit are
 * written, also when its gate fails, and the gates are those of before.
 */
const SPEC = path.join(BUILDSPEC_DIR, "security-scan.yml");
const ENV = { NPM_AUDIT_REGISTRY: "https://registry.example.test/" };
const GHSA = "GHSA-35jh-r3h4-6jhm";
const ADVISORY_URL = `https://github.com/advisories/${GHSA}`;

const sarif = (tool: string, results: object[]) =>
    JSON.stringify({ version: "2.1.0", runs: [{ tool: { driver: { name: tool } }, results }] });
const NO_FINDINGS: ScannerStandIns = {
    secretlint: { sarif: sarif("secretlint", []), status: 0 },
    eslint: { sarif: sarif("ESLint", []), status: 0 },
    audit: JSON.stringify({ auditReportVersion: 2, vulnerabilities: {}, metadata: { dependencies: { prod: 3 } } }),
};
const PRIVATE_KEY = {
    level: "error",
    message: { text: "found private key: ****" },
    ruleId: "@secretlint/secretlint-rule-preset-recommend > @secretlint/secretlint-rule-privatekey",
    locations: [{ physicalLocation: { artifactLocation: { uri: "src/key.pem" }, region: { startLine: 1 } } }],
};
const ESLINT_WARNING = {
    level: "warning",
    message: { text: "eval with argument of type Identifier" },
    ruleId: "security/detect-eval-with-expression",
    locations: [
        { physicalLocation: { artifactLocation: { uri: "file://@CWD@/src/bad.js" }, region: { startLine: 3 } } },
    ],
};
const LODASH_AUDIT = JSON.stringify({
    auditReportVersion: 2,
    vulnerabilities: {
        lodash: {
            name: "lodash",
            severity: "high",
            via: [
                {
                    name: "lodash",
                    severity: "high",
                    title: "Command Injection in lodash",
                    url: ADVISORY_URL,
                    range: "<4.17.21",
                },
            ],
        },
    },
    metadata: { dependencies: { prod: 1 } },
});
const LOCKFILE = [
    "{",
    '    "packages": {',
    '        "node_modules/lodash": {',
    '            "version": "4.17.20"',
    "        }",
    "    }",
    "}",
    "",
].join("\n");

const junit = (name: string, counts: string, ...cases: string[]) =>
    [
        '<?xml version="1.0" encoding="UTF-8"?>',
        `<testsuites name="security-scan" ${counts}>`,
        `  <testsuite name="${name}" ${counts}>`,
        ...cases.map((c) => `    ${c}`),
        "  </testsuite>",
        "</testsuites>",
        "",
    ].join("\n");
const passing = (name: string) =>
    junit(
        name,
        'tests="1" failures="0" errors="0" skipped="0"',
        `<testcase classname="${name}" name="${name}: no findings"/>`,
    );

describe("security scan reports (buildspec runner, scanner stand-ins)", function () {
    before(function () {
        if (!canRunBuildspecs()) this.skip();
    });

    const scan = (scanners: ScannerStandIns, files: Record<string, string> = {}) =>
        runBuildspec(SPEC, { env: ENV, scanners, files: { "package-lock.json": LOCKFILE, ...files } });

    it("clean: exit 0, each scanner's SARIF and a passing JUnit case in the report group's directory", () => {
        const run = scan(NO_FINDINGS);
        expect(run.status, run.stderr).to.equal(0);
        for (const name of ["secretlint", "npm-audit", "eslint"]) {
            expect(run.file(`reports/security/junit/${name}.xml`), name).to.equal(passing(name));
            expect(JSON.parse(run.file(`reports/security/sarif/${name}.sarif`)).version, name).to.equal("2.1.0");
        }
        expect(run.file("reports/security/junit/npm-audit.xml")).to.equal(passing("npm-audit"));
        // The scanners ran in the gates' order, with their SARIF formatters.
        const scanners = run.calls.filter((c) => /^(secretlint|eslint|npm (audit|ci))/.test(c));
        expect(scanners.map((c) => c.split(" ").slice(0, 2).join(" "))).to.deep.equal([
            "secretlint --secretlintrc",
            "npm audit",
            "npm ci",
            "eslint --config",
        ]);
        expect(scanners[1]).to.equal(`npm audit --omit=dev --json --registry ${ENV.NPM_AUDIT_REGISTRY}`);
        expect(run.calls.find((c) => c.startsWith("secretlint"))).to.match(
            /^secretlint --secretlintrc \S+\/\.secretlintrc\.json --format @secretlint\/secretlint-formatter-sarif \*\*\/\*$/,
        );
        expect(run.calls.find((c) => c.startsWith("eslint"))).to.match(
            /^eslint --config \S+\/eslint\.config\.mjs --max-warnings 0 --format \S+\/node_modules\/@microsoft\/eslint-formatter-sarif\/sarif\.js --output-file \S+\/eslint\.sarif \.$/,
        );
    });

    it("a secret fails the build at the secrets scan, as before, and its report is written", () => {
        const run = scan({ ...NO_FINDINGS, secretlint: { sarif: sarif("secretlint", [PRIVATE_KEY]), status: 1 } });
        expect(run.status).to.equal(1);
        expect(run.stderr).to.include(
            "Secrets scan failed (secretlint exit 1): remove the secret from the repository and rotate it.",
        );
        expect(run.stdout).to.include(
            "  - error @secretlint/secretlint-rule-preset-recommend > @secretlint/secretlint-rule-privatekey src/key.pem:1: found private key: ****\n",
        );
        expect(run.file("reports/security/junit/secretlint.xml")).to.equal(
            junit(
                "secretlint",
                'tests="1" failures="1" errors="0" skipped="0"',
                '<testcase classname="secretlint" name="@secretlint/secretlint-rule-preset-recommend &gt; @secretlint/secretlint-rule-privatekey src/key.pem:1">' +
                    '<failure type="error" message="found private key: ****">found private key: ****</failure></testcase>',
            ),
        );
        expect(JSON.parse(run.file("reports/security/sarif/secretlint.sarif")).runs[0].results).to.deep.equal([
            PRIVATE_KEY,
        ]);
        // The later gates did not run.
        expect(run.calls.some((c) => c.startsWith("npm audit") || c.startsWith("eslint"))).to.equal(false);
        expect(() => run.file("reports/security/junit/eslint.xml")).to.throw(
            "the build wrote no reports/security/junit/eslint.xml",
        );
    });

    it("a high advisory fails the build at the audit, as before: a failing case at its lockfile line; an exception makes it skipped", () => {
        const failing = scan({ ...NO_FINDINGS, audit: LODASH_AUDIT });
        expect(failing.status).to.equal(1);
        expect(failing.stderr).to.include(
            "Dependency audit failed: high or critical advisories in the production dependencies:\n",
        );
        const message = `high lodash &lt;4.17.21: Command Injection in lodash ${ADVISORY_URL}`;
        expect(failing.file("reports/security/junit/npm-audit.xml")).to.equal(
            junit(
                "npm-audit",
                'tests="1" failures="1" errors="0" skipped="0"',
                `<testcase classname="npm audit" name="${GHSA} package-lock.json:3"><failure type="error" message="${message}">${message}</failure></testcase>`,
            ),
        );
        const log = JSON.parse(failing.file("reports/security/sarif/npm-audit.sarif"));
        expect(
            log.runs[0].tool.driver.rules.map((r: { id: string; helpUri: string }) => [r.id, r.helpUri]),
        ).to.deep.equal([[GHSA, ADVISORY_URL]]);
        expect(log.runs[0].results[0].suppressions).to.equal(undefined);
        expect(failing.calls.some((c) => c.startsWith("eslint"))).to.equal(false);

        const exception = {
            advisory: GHSA,
            reason: "Not reachable: we never pass user input to template()",
            expires: "2999-12-31",
        };
        const passed = scan(
            { ...NO_FINDINGS, audit: LODASH_AUDIT },
            { "audit-exceptions.json": JSON.stringify([exception]) },
        );
        expect(passed.status, passed.stderr).to.equal(0);
        expect(passed.stdout).to.include(
            `Suppressed by audit-exceptions.json:\n  - lodash ${ADVISORY_URL} until 2999-12-31: ${exception.reason}\n`,
        );
        const justification = `suppressed: ${exception.reason} (until 2999-12-31)`;
        expect(passed.file("reports/security/junit/npm-audit.xml")).to.equal(
            junit(
                "npm-audit",
                'tests="2" failures="0" errors="0" skipped="1"',
                `<testcase classname="npm audit" name="${GHSA} package-lock.json:3"><skipped message="${justification}"/></testcase>`,
                '<testcase classname="npm-audit" name="npm-audit: no findings"/>',
            ),
        );
        expect(
            JSON.parse(passed.file("reports/security/sarif/npm-audit.sarif")).runs[0].results[0].suppressions,
        ).to.deep.equal([{ kind: "external", justification: `${exception.reason} (until 2999-12-31)` }]);
    });

    it("an exception names its advisory exactly: the GHSA id or npm audit's URL, never an empty or partial suffix", () => {
        const reason = "Not reachable: we never pass user input to template()";
        const withExceptions = (...advisories: unknown[]) =>
            scan(
                { ...NO_FINDINGS, audit: LODASH_AUDIT },
                {
                    "audit-exceptions.json": JSON.stringify(
                        advisories.map((advisory) => ({ advisory, reason, expires: "2999-12-31" })),
                    ),
                },
            );
        // The full URL suppresses, as the id does (previous test).
        const byUrl = withExceptions(ADVISORY_URL);
        expect(byUrl.status, byUrl.stderr).to.equal(0);
        expect(byUrl.stdout).to.include(
            `Suppressed by audit-exceptions.json:\n  - lodash ${ADVISORY_URL} until 2999-12-31: ${reason}\n`,
        );
        expect(
            JSON.parse(byUrl.file("reports/security/sarif/npm-audit.sarif")).runs[0].results[0].suppressions,
        ).to.deep.equal([{ kind: "external", justification: `${reason} (until 2999-12-31)` }]);

        // "" and a suffix used to match every advisory: now the gate refuses them, and the report suppresses nothing.
        const loose = withExceptions("", "6jhm", "ghsa-35jh-r3h4-6jhm/", 42);
        expect(loose.status).to.equal(1);
        const expected = (found: string) =>
            `  - ${found}: expected an advisory id GHSA-xxxx-xxxx-xxxx or its URL https://github.com/advisories/GHSA-xxxx-xxxx-xxxx, as npm audit reports it\n`;
        expect(loose.stderr).to.include(
            "audit-exceptions.json has entries that cannot suppress anything:\n" +
                expected('""') +
                expected('"6jhm"') +
                expected('"ghsa-35jh-r3h4-6jhm/"') +
                expected("42"),
        );
        expect(loose.stdout).not.to.include("Suppressed by audit-exceptions.json");
        expect(
            JSON.parse(loose.file("reports/security/sarif/npm-audit.sarif")).runs[0].results[0].suppressions,
        ).to.equal(undefined);
    });

    it("a malformed audit-exceptions.json fails the gate with what was found and what is expected", () => {
        const withFile = (text: string) =>
            scan({ ...NO_FINDINGS, audit: LODASH_AUDIT }, { "audit-exceptions.json": text });
        const cases: [string, string][] = [
            ['{"advisory": "GHSA-35jh-r3h4-6jhm"}', "object"],
            ["[{advisory: GHSA-35jh-r3h4-6jhm}]", "text that is not JSON"],
            ["", "an empty file"],
        ];
        for (const [text, found] of cases) {
            const run = withFile(text);
            expect(run.status, text).to.equal(1);
            expect(run.stderr, text).to.include(
                `audit-exceptions.json: found ${found}, expected a JSON array of { advisory, reason, expires }; nothing is suppressed.\n`,
            );
            expect(run.stderr, text).not.to.include("Dependency audit failed");
        }
        const entries = withFile(JSON.stringify(["GHSA-35jh-r3h4-6jhm", { advisory: GHSA, reason: "short" }]));
        expect(entries.status).to.equal(1);
        expect(entries.stderr).to.include(
            "audit-exceptions.json has entries that cannot suppress anything:\n" +
                '  - "GHSA-35jh-r3h4-6jhm": expected an object { advisory, reason, expires }\n' +
                `  - ${GHSA}: expected a reason and an expiry date (YYYY-MM-DD) not passed\n`,
        );
    });

    it("the report suppresses only what the gate's rule accepts: a reason of 10 UTF-16 units but 5 characters is refused by both", () => {
        const reason = "\u{1F512}".repeat(5);
        expect(reason.length).to.equal(10);
        const run = scan(
            { ...NO_FINDINGS, audit: LODASH_AUDIT },
            { "audit-exceptions.json": JSON.stringify([{ advisory: GHSA, reason, expires: "2999-12-31" }]) },
        );
        expect(run.status).to.equal(1);
        expect(run.stderr).to.include(
            "audit-exceptions.json has entries that cannot suppress anything:\n" +
                `  - ${GHSA}: expected a reason and an expiry date (YYYY-MM-DD) not passed\n`,
        );
        expect(JSON.parse(run.file("reports/security/sarif/npm-audit.sarif")).runs[0].results[0].suppressions).to.equal(
            undefined,
        );
        const message = `high lodash &lt;4.17.21: Command Injection in lodash ${ADVISORY_URL}`;
        expect(run.file("reports/security/junit/npm-audit.xml")).to.equal(
            junit(
                "npm-audit",
                'tests="1" failures="1" errors="0" skipped="0"',
                `<testcase classname="npm audit" name="${GHSA} package-lock.json:3"><failure type="error" message="${message}">${message}</failure></testcase>`,
            ),
        );
    });

    it("no audit report fails closed, as before, and the report group gets an error case", () => {
        const run = scan({ ...NO_FINDINGS, audit: JSON.stringify({ statusCode: 405 }) });
        expect(run.status).to.equal(1);
        expect(run.stderr).to.include("No dependency was audited, so the security scan fails closed.");
        const text = "npm audit gave no report: no dependency was audited, so the scan fails closed";
        expect(run.file("reports/security/junit/npm-audit.xml")).to.equal(
            junit(
                "npm-audit",
                'tests="1" failures="0" errors="1" skipped="0"',
                `<testcase classname="npm audit" name="npm audit did not complete"><error message="${text}">${text}</error></testcase>`,
            ),
        );
    });

    it("an ESLint warning fails the build at static analysis, as before; paths in the report are relative to the source", () => {
        const run = scan({ ...NO_FINDINGS, eslint: { sarif: sarif("ESLint", [ESLINT_WARNING]), status: 1 } });
        expect(run.status).to.equal(1);
        expect(run.stderr).to.include("Static analysis failed (eslint exit 1)");
        expect(run.stdout).to.include(
            "  - warning security/detect-eval-with-expression src/bad.js:3: eval with argument of type Identifier\n",
        );
        expect(run.file("reports/security/junit/eslint.xml")).to.equal(
            junit(
                "eslint",
                'tests="1" failures="1" errors="0" skipped="0"',
                '<testcase classname="ESLint" name="security/detect-eval-with-expression src/bad.js:3">' +
                    '<failure type="warning" message="eval with argument of type Identifier">eval with argument of type Identifier</failure></testcase>',
            ),
        );
        // The earlier scans passed and left their reports.
        expect(run.file("reports/security/junit/secretlint.xml")).to.equal(passing("secretlint"));
        expect(run.file("reports/security/junit/npm-audit.xml")).to.equal(passing("npm-audit"));
    });

    it("a scanner that crashes without SARIF fails the build with its own status and an error case", () => {
        const run = scan({ ...NO_FINDINGS, eslint: { sarif: "", status: 2 } });
        expect(run.status).to.equal(2);
        expect(run.file("reports/security/junit/eslint.xml")).to.equal(
            junit(
                "eslint",
                'tests="1" failures="0" errors="1" skipped="0"',
                '<testcase classname="eslint" name="eslint report"><error message="eslint left no SARIF report (Unexpected end of JSON input)">' +
                    "eslint left no SARIF report (Unexpected end of JSON input)</error></testcase>",
            ),
        );
    });
});
