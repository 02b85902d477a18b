import { defineStack } from "./stacks/program";

// Pulumi runs this module per stack; the stack's outputs are what defineStack resolves to.
export = defineStack();
