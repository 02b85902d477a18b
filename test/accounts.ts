/** The account ids of the checked-in stack files; tests assert against these exact values. */
export const ACCOUNTS = {
    tool: "314159265358",
    dev: "271828182845",
    qa: "161803398874",
    stage: "141421356237",
    prod: "173205080756",
} as const;
