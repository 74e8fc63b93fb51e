import * as fs from "node:fs";
import { stackFile } from "../lease/load";
import { refusal, UsageError, type Io } from "./common";
import { readIssueForm, requestArgsFromIssue } from "./issue-form";

/** Options of `leasehold request-from-issue`. */
export interface RequestFromIssueOptions {
  /** The issue's body as GitHub renders the form; `-` for standard input. */
  body: string;
  /** The issue form. @default .github/ISSUE_TEMPLATE/lease-request.yml of the project */
  form?: string;
  /** Print the resulting stack file instead of writing it. */
  dryRun?: boolean;
  /** Print machine-readable results (as `leasehold request --json`) on stdout. */
  json?: boolean;
  /** The stacks folder. */
  stacks: string;
}

/**
 * `leasehold request-from-issue`: the options of `leasehold request`, read from a lease request
 * filed through the issue form, then `request` itself (run through `runRequest`, the CLI's own
 * parsing, so an issue is held to exactly the rules of a typed command). Anyone who can open an
 * issue can file one: it may add a lease, never change an existing tenant's access. Returns the
 * exit code; an unreadable body or form is a UsageError.
 */
export async function requestFromIssue(
  o: RequestFromIssueOptions,
  io: Io,
  runRequest: (argv: string[]) => Promise<number>,
): Promise<number> {
  const read = (file: string, what: string) => {
    try {
      return fs.readFileSync(file === "-" ? 0 : file, "utf8");
    } catch (e) {
      throw new UsageError(`${what}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
  const body = read(o.body, "--body");
  let form: { file: string; text: string };
  try {
    form = readIssueForm(o.stacks, o.form);
  } catch (e) {
    throw new UsageError(`--form: cannot read the issue form: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const mapped = requestArgsFromIssue(body, form.text);
  const refuse = refusal(io, o.json, "request");
  const inIssue = (message: string) => ({ file: o.body, path: "", message });
  if ("problems" in mapped) return refuse(mapped.problems.map(inIssue), "the issue does not say enough");
  // An access grant to an existing tenant's namespace is an edit of the tenant's stack file,
  // reviewed as such, never a lease request.
  const tenant = mapped.args[mapped.args.indexOf("--tenant") + 1]!;
  const existing = stackFile(o.stacks, `tenant-${tenant}`);
  if (mapped.args.includes("--admins") && fs.existsSync(existing)) {
    const message = `Admin groups: tenant ${tenant} exists already (${existing}); a lease request names admin groups only for a new tenant: change an existing tenant's access in a pull request that edits leasehold:tenant.access`;
    return refuse([inIssue(message)], "access changes are not lease requests");
  }
  return runRequest(["request", ...mapped.args, "--stacks", o.stacks, ...(o.dryRun ? ["--dry-run"] : []), ...(o.json ? ["--json"] : [])]);
}
