/**
 * AWS's authorization, for the rehearsal's stand-ins: a local server that evaluates each IAM request of a stand-in
 * call (iamRequests.ts) with the calling project's role as the program registers it, the target's resource policy
 * and the request context, using the IAM evaluator of the tests (test/iamEvaluator.ts; the evaluator is AGPL and a
 * development dependency, so only the tests and the rehearsal load it). The stand-ins ask it before they answer.
 */
import * as http from "http";
import type { StackRun } from "../offline/runtime/mockRuntime";
import { evaluateRegistered, RegisteredRole, registeredRoles } from "../test/iamEvaluator";
import type { IamRequest } from "./iamRequests";

/** What the stand-in sends: the caller's role and the requests of its call. */
export interface AuthorizationAsk {
    readonly role: string;
    readonly requests: readonly IamRequest[];
}

/** The first request AWS would refuse, and whether a Deny statement refused it; nothing when all are allowed. */
export interface AuthorizationAnswer {
    readonly denied?: { readonly request: IamRequest; readonly explicit: boolean };
}

/** Decides `ask` against the registered roles and resource policies of `runs`. */
export async function authorize(runs: readonly StackRun[], ask: AuthorizationAsk): Promise<AuthorizationAnswer> {
    const role = runs.flatMap((run) => registeredRoles(run)).find((r: RegisteredRole) => r.arn === ask.role);
    if (!role) throw new Error(`no stack registers the role ${ask.role}`);
    for (const request of ask.requests) {
        const decision = await evaluateRegistered(runs, role, request.action, request.resource, request.context);
        if (decision !== "Allowed") return { denied: { request, explicit: decision === "ExplicitlyDenied" } };
    }
    return {};
}

export interface Authorizer {
    /** For the stand-ins: REHEARSAL_AUTHORIZER. */
    readonly url: string;
    close(): Promise<void>;
}

/** Serves `authorize` on 127.0.0.1; an error (an unregistered role or target) answers 500 with its message. */
export async function startAuthorizer(runs: readonly StackRun[]): Promise<Authorizer> {
    const server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (d) => (body += d));
        req.on("end", () => {
            authorize(runs, JSON.parse(body) as AuthorizationAsk).then(
                (answer) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer)),
                (err: Error) => res.writeHead(500).end(err.message),
            );
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    return {
        url: `http://127.0.0.1:${port}/`,
        close: () => new Promise((resolve) => server.close(() => resolve())),
    };
}
