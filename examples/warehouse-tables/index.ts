import * as pulumi from "@pulumi/pulumi";
import { program } from "./program";

// The program lives in program.ts so the repository's tests can also run it inline; a Pulumi program's stack
// outputs are its module's exports.
const outputs = pulumi.output(program());
export const tableId = outputs.apply((o) => o.tableId);
export const joinId = outputs.apply((o) => o.joinId);
export const view = outputs.apply((o) => o.view);
