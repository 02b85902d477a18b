/**
 * Renders Mermaid diagrams as a reader sees them: the `mermaid` package in headless Chromium (driven by
 * playwright-core, which downloads no browser of its own), at the width of a pull-request comment.
 */
import * as fs from "fs";
import type { Browser } from "playwright-core";

/** Where a Chromium or Chrome is looked for: CHROMIUM_PATH first, then the usual install paths. */
export const BROWSER_PATHS = [
    process.env.CHROMIUM_PATH ?? "",
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
    "/usr/bin/google-chrome-stable",
].filter(Boolean);

export const browserPath = (): string | undefined => BROWSER_PATHS.find((p) => fs.existsSync(p));

/** What a diagram became: the SVG's own size (its viewBox), its nodes where they are drawn, its arrows and labels. */
export interface RenderedDiagram {
    readonly width: number;
    readonly height: number;
    readonly nodes: { label: string; x: number; y: number }[];
    readonly edges: number;
    readonly edgeLabels: string[];
    readonly png: Buffer;
}

export class MermaidBrowser {
    private constructor(private readonly browser: Browser) {}

    static async launch(executablePath: string): Promise<MermaidBrowser> {
        const { chromium } = await import("playwright-core");
        const browser = await chromium.launch({
            executablePath,
            headless: true,
            // This machine's network is closed: no background connections (they are refused, many at a time).
            args: [
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        });
        return new MermaidBrowser(browser);
    }

    /** Renders `text` with mermaid's defaults (as GitHub does) into a column `columnWidth` pixels wide. */
    async render(text: string, columnWidth: number): Promise<RenderedDiagram> {
        const page = await this.browser.newPage({ viewport: { width: columnWidth, height: 800 } });
        try {
            await page.setContent(`<!doctype html><html><body style="margin:0"><div id="out"></div></body></html>`);
            await page.addScriptTag({ path: require.resolve("mermaid/dist/mermaid.min.js") });
            const result = await page.evaluate(async (source) => {
                // In the page: the browser's own globals.
                const { mermaid, document } = globalThis as any;
                mermaid.initialize({ startOnLoad: false });
                const { svg } = await mermaid.render("diagram", source);
                const out = document.getElementById("out");
                out.innerHTML = svg;
                const el = out.querySelector("svg");
                const [, , width, height] = el.getAttribute("viewBox").split(/\s+/).map(Number);
                const box = (g: any) => g.getBoundingClientRect();
                return {
                    width,
                    height,
                    nodes: [...el.querySelectorAll("g.node")].map((g: any) => ({
                        label: g.textContent.trim(),
                        x: box(g).x,
                        y: box(g).y,
                    })),
                    edges: el.querySelectorAll("path.flowchart-link").length,
                    edgeLabels: [...el.querySelectorAll("g.edgeLabel")]
                        .map((g: any) => g.textContent.trim())
                        .filter(Boolean),
                };
            }, text);
            const png = await page.locator("#out svg").screenshot();
            return { ...result, png };
        } finally {
            await page.close();
        }
    }

    close(): Promise<void> {
        return this.browser.close();
    }
}
