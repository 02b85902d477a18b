/**
 * Local registries for testing the audit step: one that answers npm's bulk advisory endpoint from a list of
 * advisories the test supplies (records copied from the GitHub Advisory Database), one that refuses it the way a
 * mirror without audit support does (405, as this workplace's npm registry answers). Both on 127.0.0.1 only.
 */
import * as http from "http";
import * as zlib from "zlib";

/** An advisory as npm's bulk endpoint returns it. */
export interface BulkAdvisory {
    readonly id: number;
    readonly url: string;
    readonly title: string;
    readonly severity: "low" | "moderate" | "high" | "critical";
    readonly vulnerable_versions: string;
    readonly cwe: string[];
    readonly cvss: { score: number; vectorString: string };
}

/**
 * GHSA-35jh-r3h4-6jhm, "Command Injection in lodash" (template), high, lodash < 4.17.21 (CVE-2021-23337), as the
 * GitHub Advisory Database publishes it.
 */
export const LODASH_COMMAND_INJECTION: { name: string; advisory: BulkAdvisory } = {
    name: "lodash",
    advisory: {
        id: 1106913,
        url: "https://github.com/advisories/GHSA-35jh-r3h4-6jhm",
        title: "Command Injection in lodash",
        severity: "high",
        vulnerable_versions: "<4.17.21",
        cwe: ["CWE-77", "CWE-94"],
        cvss: { score: 7.2, vectorString: "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H" },
    },
};

export interface LocalRegistry {
    readonly url: string;
    close(): Promise<void>;
}

function listen(handler: http.RequestListener): Promise<LocalRegistry> {
    const server = http.createServer(handler);
    return new Promise((resolve) =>
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as { port: number };
            resolve({ url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => server.close(() => r())) });
        }),
    );
}

/** Serves POST /-/npm/v1/security/advisories/bulk with `advisories` (by package name); 404 for anything else. */
export function advisoryRegistry(advisories: Record<string, BulkAdvisory[]>): Promise<LocalRegistry> {
    return listen((req, res) => {
        if (req.method !== "POST" || req.url !== "/-/npm/v1/security/advisories/bulk") {
            res.writeHead(404).end();
            return;
        }
        const chunks: Buffer[] = [];
        req.on("data", (c) => chunks.push(c));
        req.on("end", () => {
            const raw = Buffer.concat(chunks);
            const body = req.headers["content-encoding"] === "gzip" ? zlib.gunzipSync(raw) : raw;
            const asked = JSON.parse(body.toString("utf8")) as Record<string, string[]>;
            const answer = Object.fromEntries(
                Object.keys(asked)
                    .filter((name) => name in advisories)
                    .map((name) => [name, advisories[name]]),
            );
            res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer));
        });
    });
}

/** Answers every POST with 405 Method Not Allowed (GET and HEAD only), like a mirror without the audit endpoint. */
export function refusingRegistry(): Promise<LocalRegistry> {
    return listen((req, res) => {
        res.writeHead(req.method === "POST" ? 405 : 404, { allow: "GET,HEAD" }).end();
    });
}
