// The Pulumi program (see programs/main.ts): the platform stack or a tenant stack, from the
// validated config of the running stack.
import { leaseholdProgram } from "./programs/main";

export = () => leaseholdProgram();
