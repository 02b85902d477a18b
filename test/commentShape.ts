/** Reading a pull-request comment as a reviewer does: its sections in order, and any table without a row. */

/** The headings (`##`, `###`, `####`) and collapsed summaries, in order. */
export function sectionsOf(md: string): string[] {
    return md
        .split("\n")
        .map((l) => /^#{2,4} (.*)$/.exec(l)?.[1] ?? /^<details><summary>(.*)<\/summary>$/.exec(l)?.[1])
        .filter((s): s is string => s !== undefined);
}

/** The header line of every table with no row under it. */
export function emptyTables(md: string): string[] {
    const lines = md.split("\n");
    return lines.filter(
        (l, i) => l.startsWith("| ") && /^\| -+:? \|/.test(lines[i + 1] ?? "") && !(lines[i + 2] ?? "").startsWith("|"),
    );
}
