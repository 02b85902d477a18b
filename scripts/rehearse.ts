// npm run rehearse -- --service examples/orders-api [--work DIR] [--audit-registry URL] [--image-findings JSON]
// Rehearses the service's pipeline locally (dev, then a promotion to qa): exit 0 when it passes, 1 when a gate
// stops it (the failing action's output is printed), 2 on bad arguments.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { rehearse } from "../rehearsal/pipeline";

const USAGE =
    "usage: npm run rehearse -- --service DIR [--work DIR] [--audit-registry URL] [--image-findings '{\"HIGH\":1}']";

function parseArgs(argv: string[]): Record<string, string> {
    const args: Record<string, string> = {};
    for (let i = 0; i < argv.length; i += 2) {
        const name = argv[i];
        if (
            !["--service", "--work", "--audit-registry", "--image-findings"].includes(name) ||
            argv[i + 1] === undefined
        ) {
            throw new Error(`unexpected argument "${name}"\n${USAGE}`);
        }
        args[name.slice(2)] = argv[i + 1];
    }
    if (!args.service) throw new Error(`--service is required\n${USAGE}`);
    if (!fs.existsSync(path.join(args.service, "package.json"))) {
        throw new Error(`--service ${args.service}: no package.json there; expected a NodeJS service's directory`);
    }
    return args;
}

async function main(): Promise<number> {
    let args: Record<string, string>;
    let findings: Record<string, number> | undefined;
    try {
        args = parseArgs(process.argv.slice(2));
        findings = args["image-findings"] ? JSON.parse(args["image-findings"]) : undefined;
    } catch (err) {
        console.error((err as Error).message);
        return 2;
    }
    const work = args.work ?? fs.mkdtempSync(path.join(os.tmpdir(), "rehearsal-"));
    const result = await rehearse({
        serviceDir: args.service,
        workDir: work,
        auditRegistry: args["audit-registry"],
        imageFindings: findings,
        log: (line) => console.log(line),
    });
    if (result.ok) {
        console.log(`Rehearsal passed: commit ${result.commit} built in dev and promoted to qa (work: ${work})`);
        return 0;
    }
    const { env, stage, actions } = result.stoppedAt!;
    console.error(`\nThe pipeline stopped in ${env} at ${stage}: ${actions.join(", ")} failed.`);
    for (const a of result.actions.filter((x) => !x.ok)) {
        console.error(`\n--- ${a.env} ${a.stage}/${a.action} (${a.failedStep}) ---\n${a.output.trim()}`);
    }
    return 1;
}

main().then((code) => process.exit(code));
