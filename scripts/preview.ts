/**
 * `npm run preview -- --stack <name> | --all [--json DIR] [--build]`: the real Pulumi CLI's
 * `pulumi preview --policy-pack policy-pack --policy-pack-config policy-pack/config/<stack>.json` of each stack,
 * without credentials (stand-in providers, local file backend, throwaway passphrase). Exit 0 when every stack
 * previews clean, 1 when the CLI refused a stack (its own message is printed), 2 on bad arguments or when no CLI
 * can be found or built.
 */
import * as fs from "fs";
import * as path from "path";
import { ensureEngine } from "../engine/cli";
import { PreviewWorkspace, previewStacks, StackPreview } from "../engine/preview";
import { listStacks } from "../offline/runtime/stackFiles";
import { parseFlags } from "./flags";

export const USAGE = `usage: npm run preview -- (--stack NAME | --all) [options]
  --stack NAME   preview one stack (repeatable)
  --all          preview every stack that has a Pulumi.<stack>.yaml
  --json DIR     run \`pulumi preview --json\` instead of \`--diff\` and write each stack's engine events to
                 DIR/<stack>.jsonl
  --build        use the CLI built from engine/ even when a compatible \`pulumi\` is on PATH
exit: 0 clean, 1 a stack failed to preview (the CLI's message is printed), 2 bad arguments or no CLI`;

interface PreviewArgs {
    stacks: string[];
    all: boolean;
    json?: string;
    build: boolean;
}

function parseArgs(argv: readonly string[]): PreviewArgs {
    const flags = parseFlags(argv, { valued: ["--json"], switches: ["--build"] });
    return {
        stacks: flags.stacks,
        all: flags.all,
        json: flags.values.get("--json"),
        build: flags.switches.has("--build"),
    };
}

function report(preview: StackPreview, jsonDir?: string): void {
    const status = preview.code === 0 ? "clean" : `failed (exit ${preview.code})`;
    process.stdout.write(`\n=== ${preview.stack}: ${status} in ${preview.seconds.toFixed(1)} s\n`);
    if (jsonDir && preview.events) {
        fs.writeFileSync(
            path.join(jsonDir, `${preview.stack}.jsonl`),
            preview.events.map((e) => JSON.stringify(e)).join("\n") + "\n",
        );
        if (preview.output.trim()) process.stdout.write(preview.output);
    } else {
        process.stdout.write(preview.output);
    }
}

async function main(argv: readonly string[]): Promise<number> {
    let args: PreviewArgs;
    try {
        args = parseArgs(argv);
    } catch (e) {
        process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
        return 2;
    }
    const known = listStacks();
    const stacks = args.all ? known : args.stacks;
    const unknown = stacks.filter((s) => !known.includes(s));
    if (unknown.length > 0) {
        process.stderr.write(`no stack file for ${unknown.join(", ")}: stacks here are ${known.join(", ")}\n`);
        return 2;
    }
    let engine;
    try {
        engine = ensureEngine({ preferPath: !args.build });
    } catch (e) {
        process.stderr.write(`${(e as Error).message}\n`);
        return 2;
    }
    process.stderr.write(
        `[engine] pulumi v${engine.version} (${engine.origin === "path" ? "from PATH" : "built here"})\n`,
    );
    if (args.json) fs.mkdirSync(args.json, { recursive: true });

    const started = Date.now();
    const ws = PreviewWorkspace.create(engine);
    try {
        const results = await previewStacks(ws, stacks, {
            mode: args.json ? "json" : "diff",
            onDone: (p) => report(p, args.json),
        });
        const failed = results.filter((r) => r.code !== 0).map((r) => r.stack);
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        process.stdout.write(
            failed.length === 0
                ? `\npreview: ${stacks.length} stack(s) clean in ${seconds} s\n`
                : `\npreview: ${failed.join(", ")} failed (${seconds} s)\n`,
        );
        return failed.length === 0 ? 0 : 1;
    } finally {
        ws.dispose();
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (e) => {
            process.stderr.write(`${(e as Error).stack ?? e}\n`);
            process.exit(2);
        },
    );
}
