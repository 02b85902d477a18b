/**
 * Stand-in for the `aws` resource provider plugin, for a credential-free `pulumi preview` with the real engine.
 * The engine starts one per provider instance, as it starts the real plugin, and talks the ResourceProvider
 * gRPC protocol to it (the SDK's generated stubs). At preview it behaves as the real provider does:
 * - CheckConfig/Configure take the provider's inputs (region, allowedAccountIds, defaultTags, profile) and refuse
 *   a config the real provider would refuse before calling AWS (no region, an account id that is not 12 digits);
 * - Check returns the inputs with the failures of the AWS constraint checker the offline plan runs too
 *   (awsFacts/constraints.ts: AWS's resource schema for the type, and the documented constraints it leaves out),
 *   each with its property path, as the real provider refuses a value; Diff compares old and new inputs and names
 *   the changed ones that replace the resource (AWS's create-only properties, the rules the offline diff uses);
 * - Create at preview returns the inputs and nothing else, so every output AWS computes (ids, ARNs) stays
 *   unknown, as in a real preview; Create, Update and Delete outside a preview are refused;
 * - Invoke answers the data sources in offline/runtime/awsAnswers.ts for the configured region and the pinned account
 *   (the first of allowedAccountIds) and fails for any other token. The account holds nothing unless
 *   STANDIN_AWS_WORLD_ENV names a JSON AwsWorld (what a test says was deployed before, e.g. SSM parameters).
 */
import { checkResource } from "../../awsFacts/constraints";
import { listInput, providerAccountRefusal } from "../../awsFacts/regions";
import { replacingProperties } from "../../offline/analysis/resourceRules";
import { answerInvoke, AwsPlacement, AwsWorld } from "../../offline/runtime/awsAnswers";
import { grpc, pluginInfo, protos, serve } from "./plugin";

const { provider: provproto, struct: structproto, empty: emptyproto } = protos;

/** Environment variable with a JSON AwsWorld: what the account holds before the preview. */
export const STANDIN_AWS_WORLD_ENV = "PULUMI_STANDIN_AWS_WORLD";
const world: AwsWorld = JSON.parse(process.env[STANDIN_AWS_WORLD_ENV] || "{}");

type Callback = (err: unknown, res?: unknown) => void;
type Call = { request: any };

/** The provider config's inputs: Configure's `args`, or its `variables` from older engines. */
function configInputs(req: any): Record<string, unknown> {
    const args = req.getArgs()?.toJavaScript();
    if (args && Object.keys(args).length > 0) return args;
    const out: Record<string, unknown> = {};
    req.getVariablesMap().forEach((value: string, key: string) => {
        const name = key.replace(/^aws:(config:)?/, "");
        try {
            out[name] = JSON.parse(value);
        } catch {
            out[name] = value;
        }
    });
    return out;
}

/** What the real provider refuses in its config before it calls AWS, keyed by property. */
export function configFailures(inputs: Record<string, unknown>): { property: string; reason: string }[] {
    const failures: { property: string; reason: string }[] = [];
    if (typeof inputs.region !== "string" || inputs.region === "") {
        failures.push({
            property: "region",
            reason: "Missing region: set aws:region in the stack file or the region of the explicit provider.",
        });
    }
    const accounts = listInput(inputs.allowedAccountIds);
    for (const account of accounts) {
        if (!/^\d{12}$/.test(account)) {
            failures.push({ property: "allowedAccountIds", reason: `"${account}" is not a 12-digit AWS account id` });
        }
    }
    return failures;
}

/** The placement a configured provider answers for. Without allowedAccountIds the account is unknowable. */
export function placementOf(inputs: Record<string, unknown>): AwsPlacement | undefined {
    const [account] = listInput(inputs.allowedAccountIds);
    return typeof inputs.region === "string" && account ? { region: inputs.region, account } : undefined;
}

function failuresList(failures: { property: string; reason: string }[]): any[] {
    return failures.map((f) => {
        const failure = new provproto.CheckFailure();
        failure.setProperty(f.property);
        failure.setReason(f.reason);
        return failure;
    });
}

function refuse(callback: Callback, message: string): void {
    callback({ code: grpc.status.FAILED_PRECONDITION, details: message });
}

let placement: AwsPlacement | undefined;
let region: string | undefined;

/** The resource type of a URN (`urn:pulumi:stack::project::parent$type::name`). */
export function typeOfUrn(urn: string): string {
    return urn.split("::")[2]?.split("$").pop() ?? "";
}

const handlers = {
    getPluginInfo: pluginInfo,
    getSchema(_call: Call, callback: Callback) {
        const res = new provproto.GetSchemaResponse();
        res.setSchema("{}");
        callback(null, res);
    },
    checkConfig(call: Call, callback: Callback) {
        const res = new provproto.CheckResponse();
        res.setInputs(call.request.getNews());
        res.setFailuresList(failuresList(configFailures(call.request.getNews()?.toJavaScript() ?? {})));
        callback(null, res);
    },
    diffConfig(call: Call, callback: Callback) {
        callback(null, diffResponse(inputDiff(call.request)));
    },
    configure(call: Call, callback: Callback) {
        const inputs = configInputs(call.request);
        placement = placementOf(inputs);
        // The account check the real provider makes once it knows the caller (here: the account the test's world
        // names, else the pinned one); the offline plan makes the same check.
        const refusal = providerAccountRefusal(inputs, world.callerAccount);
        if (refusal) {
            refuse(callback, refusal);
            return;
        }
        region = typeof inputs.region === "string" ? inputs.region : undefined;
        const res = new provproto.ConfigureResponse();
        res.setAcceptsecrets(true);
        res.setAcceptresources(true);
        res.setAcceptoutputs(true);
        res.setSupportspreview(true);
        callback(null, res);
    },
    check(call: Call, callback: Callback) {
        const res = new provproto.CheckResponse();
        const news = call.request.getNews();
        res.setInputs(news);
        const type = typeOfUrn(call.request.getUrn());
        res.setFailuresList(failuresList(checkResource(type, news?.toJavaScript() ?? {}, region).failures));
        callback(null, res);
    },
    diff(call: Call, callback: Callback) {
        const diff = inputDiff(call.request);
        callback(
            null,
            diffResponse({ ...diff, replaces: replacingProperties(typeOfUrn(call.request.getUrn()), diff.changed) }),
        );
    },
    create(call: Call, callback: Callback) {
        if (!call.request.getPreview()) {
            refuse(callback, `stand-in aws provider: cannot create ${call.request.getUrn()} (no AWS here)`);
            return;
        }
        const res = new provproto.CreateResponse();
        res.setProperties(call.request.getProperties());
        callback(null, res);
    },
    update(call: Call, callback: Callback) {
        if (!call.request.getPreview()) {
            refuse(callback, `stand-in aws provider: cannot update ${call.request.getUrn()} (no AWS here)`);
            return;
        }
        const res = new provproto.UpdateResponse();
        res.setProperties(call.request.getNews());
        callback(null, res);
    },
    delete(call: Call, callback: Callback) {
        refuse(callback, `stand-in aws provider: cannot delete ${call.request.getUrn()} (no AWS here)`);
    },
    read(call: Call, callback: Callback) {
        refuse(callback, `stand-in aws provider: cannot read ${call.request.getUrn()} (no AWS here)`);
    },
    invoke(call: Call, callback: Callback) {
        const token: string = call.request.getTok();
        if (!placement) {
            refuse(callback, `stand-in aws provider: ${token} needs a region and allowedAccountIds in the provider`);
            return;
        }
        const args = call.request.getArgs()?.toJavaScript() ?? {};
        const answer = answerInvoke(token, placement, args, world);
        if (answer === undefined) {
            refuse(callback, `stand-in aws provider: no offline answer for ${token}`);
            return;
        }
        const res = new provproto.InvokeResponse();
        res.setReturn(structproto.Struct.fromJavaScript(answer));
        callback(null, res);
    },
    cancel(_call: Call, callback: Callback) {
        callback(null, new emptyproto.Empty());
    },
};

/** The top-level input keys that differ between old and new inputs (the provider's own `__`-keys aside). */
export function changedInputs(olds: Record<string, unknown>, news: Record<string, unknown>): string[] {
    const keys = [...new Set([...Object.keys(olds), ...Object.keys(news)])].filter((k) => !k.startsWith("__"));
    return keys.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k])).sort();
}

function inputDiff(req: any): { changed: string[]; replaces: string[] } {
    const olds: Record<string, unknown> = req.getOlds()?.toJavaScript() ?? {};
    const news: Record<string, unknown> = req.getNews()?.toJavaScript() ?? {};
    return { changed: changedInputs(olds, news), replaces: [] };
}

/** DIFF_SOME with the keys that differ and those that replace (created before the old one is deleted), or DIFF_NONE. */
function diffResponse({ changed, replaces }: { changed: string[]; replaces: string[] }): any {
    const res = new provproto.DiffResponse();
    res.setChanges(
        changed.length > 0
            ? provproto.DiffResponse.DiffChanges.DIFF_SOME
            : provproto.DiffResponse.DiffChanges.DIFF_NONE,
    );
    res.setDiffsList(changed);
    res.setReplacesList(replaces);
    res.setDeletebeforereplace(false);
    return res;
}

if (require.main === module) serve(handlers);
