// The CLI loads the Pulumi programs with require() only when a command needs them (so that
// validate and check start without the Pulumi runtime); let Node's require compile TypeScript
// in tests as the `leasehold` bin does.
import "tsx/cjs";
