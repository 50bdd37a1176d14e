// This module's exports object is the provider: see ../../resource/program-side.ts for why.
import { providerFor } from "../runtime";
export = providerFor("WarehouseTable");
