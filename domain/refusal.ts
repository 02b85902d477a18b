/**
 * The program refusing bad input before anything is registered. A Pulumi RunError: the CLI prints its message
 * alone, as `error: <message>`, not as an unhandled exception with a JavaScript stack trace, which says nothing
 * about a stack file. The language host recognises a RunError by its `__pulumiRunError` member
 * (`RunError.isInstance`, made to work across copies of the SDK), so this module needs no SDK: domain/ stays
 * importable without it. Its stack is its first line only, because the Node.js language host still formats it with
 * `util.inspect(err, { colors: true })`, and on Node.js versions without nodejs/node#64022 that loops until the heap
 * is exhausted on a stack frame whose `node_modules` path has no separator after the package name, as Pulumi's
 * source-mapped frames (`.../node_modules/@pulumi/resource.ts`) have when the error is thrown after an await
 * (nodejs/node#64011).
 */
export class InputRefusal extends Error {
    /** What `pulumi.RunError.isInstance` checks. */
    readonly __pulumiRunError = true;

    constructor(name: string, message: string) {
        super(message);
        this.name = name;
        this.stack = `${name}: ${message}`;
    }
}
