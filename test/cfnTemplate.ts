// The bootstrap templates as CloudFormation would deploy them: parameters, pseudo parameters and the intrinsic
// functions the templates use (Ref, Fn::Sub, Fn::GetAtt, Fn::FindInMap, Fn::If, Fn::Equals, Fn::Join) resolved
// for example values, so that test/controlPlane.test.ts can evaluate the resulting policies.
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { PROJECT_ROOT } from "../offline/runtime/stackFiles";

export type Template = { Parameters?: Record<string, any>; Mappings?: any; Conditions?: any; Resources: any };

export function readTemplate(file: string): Template {
    return YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, "bootstrap", file), "utf8"));
}

/** Where and with what a template is deployed; `attributes` stands in for Fn::GetAtt and a resource's Ref. */
export interface Deployment {
    readonly partition: string;
    readonly region: string;
    readonly account: string;
    readonly parameters: Record<string, string>;
    readonly attributes?: Record<string, string>;
}

/** The template with every intrinsic function resolved (conditions decided, resources of false conditions removed). */
export function resolveTemplate(t: Template, d: Deployment): Template {
    const values: Record<string, string> = {
        "AWS::Partition": d.partition,
        "AWS::Region": d.region,
        "AWS::AccountId": d.account,
        "AWS::StackId": `arn:${d.partition}:cloudformation:${d.region}:${d.account}:stack/bootstrap/0f1e2d3c`,
        "AWS::URLSuffix": "amazonaws.com",
    };
    for (const [name, p] of Object.entries(t.Parameters ?? {})) {
        const value = d.parameters[name] ?? p.Default;
        if (value === undefined) throw new Error(`parameter ${name} has no value`);
        values[name] = String(value);
    }
    for (const [k, v] of Object.entries(d.attributes ?? {})) values[k] = v;
    const conditions: Record<string, boolean> = {};
    const lookup = (name: string) => {
        if (!(name in values)) throw new Error(`no value for ${name}`);
        return values[name];
    };
    const resolve = (node: any): any => {
        if (Array.isArray(node)) return node.map(resolve);
        if (node === null || typeof node !== "object") return node;
        const keys = Object.keys(node);
        if (keys.length === 1) {
            const [key] = keys;
            const arg = node[key];
            if (key === "Ref") return lookup(arg);
            if (key === "Fn::GetAtt") return lookup((Array.isArray(arg) ? arg : arg.split(".")).join("."));
            if (key === "Fn::Sub") {
                const [text, vars] = Array.isArray(arg) ? [arg[0], resolve(arg[1])] : [arg, {}];
                return (text as string).replace(/\$\{([^}!]+)\}/g, (_, n: string) => vars[n] ?? lookup(n));
            }
            if (key === "Fn::FindInMap") {
                const [map, top, second] = resolve(arg);
                return t.Mappings[map][top][second];
            }
            if (key === "Fn::Equals") {
                const [a, b] = resolve(arg);
                return String(a) === String(b);
            }
            if (key === "Fn::If") return resolve(conditions[arg[0]] ? arg[1] : arg[2]);
            if (key === "Fn::Join") return (resolve(arg[1]) as string[]).join(arg[0]);
            if (key === "Condition" && typeof arg === "string") return conditions[arg];
        }
        return Object.fromEntries(keys.map((k) => [k, resolve(node[k])]));
    };
    for (const [name, c] of Object.entries(t.Conditions ?? {})) conditions[name] = resolve(c) === true;
    const resources = Object.fromEntries(
        Object.entries(t.Resources)
            .filter(([, r]: [string, any]) => !r.Condition || conditions[r.Condition])
            .map(([name, r]) => [name, resolve(r)]),
    );
    return { ...t, Resources: resources };
}
