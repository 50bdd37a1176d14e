import { program } from "./program";

// Pulumi calls a default-exported function and uses what it returns as the stack outputs.
export default program;
