import * as fs from "node:fs";
import * as path from "node:path";
import { load as loadYaml } from "js-yaml";
import { findProjectRoot } from "./common";

// A lease request filed through the issue form `.github/ISSUE_TEMPLATE/lease-request.yml`, turned
// into the options of `leasehold request`. GitHub renders a submitted form as one `### <label>`
// section per field, `_No response_` for an empty optional one.

/** Where the form lives, relative to the project root. */
export const ISSUE_FORM = path.join(".github", "ISSUE_TEMPLATE", "lease-request.yml");

/** Form field id -> `leasehold request` option. Every input of the form maps to exactly one. */
export const FIELD_OPTIONS: Readonly<Record<string, string>> = {
  tenant: "--tenant",
  gpus: "--gpus",
  "gpu-type": "--gpu-type",
  pool: "--pool",
  start: "--start",
  end: "--end",
  platform: "--platform",
  nodes: "--nodes",
  admins: "--admins",
  "notice-hours": "--notice-hours",
};

interface FormField {
  type: string;
  id?: string;
  attributes?: { label?: string };
  validations?: { required?: boolean };
}

/** The fields of an issue form (inputs, textareas, dropdowns), by label. */
export function formFields(formText: string): { id: string; label: string; required: boolean }[] {
  const form = loadYaml(formText) as { body?: FormField[] } | null;
  return (form?.body ?? [])
    .filter((f) => f.type !== "markdown" && f.id !== undefined)
    .map((f) => ({ id: f.id!, label: f.attributes?.label ?? f.id!, required: f.validations?.required ?? false }));
}

/**
 * The `leasehold request` arguments of an issue body written through the form, or the problems
 * with it (each naming the field by its label).
 */
export function requestArgsFromIssue(body: string, formText: string): { args: string[] } | { problems: string[] } {
  const fields = formFields(formText);
  const values = new Map<string, string>();
  const sections = body
    .replace(/\r\n/g, "\n")
    .split(/^### +/m)
    .slice(1);
  for (const section of sections) {
    const nl = section.indexOf("\n");
    const label = (nl < 0 ? section : section.slice(0, nl)).trim();
    const value = (nl < 0 ? "" : section.slice(nl + 1)).trim();
    values.set(label, value);
  }
  const problems: string[] = [];
  const args: string[] = [];
  for (const f of fields) {
    const option = FIELD_OPTIONS[f.id];
    if (!option) {
      problems.push(`the form's field ${f.id} maps to no option of leasehold request`);
      continue;
    }
    const raw = values.get(f.label);
    const value = raw === undefined || raw === "_No response_" ? "" : raw;
    if (value === "") {
      if (f.required) problems.push(`${f.label}: is required (${option})`);
      continue;
    }
    if (value.includes("\n")) {
      problems.push(`${f.label}: expected one line, got ${JSON.stringify(value)}`);
      continue;
    }
    // Lists may be written with spaces after the commas.
    args.push(
      option,
      f.id === "nodes" || f.id === "admins"
        ? value
            .split(",")
            .map((v) => v.trim())
            .filter(Boolean)
            .join(",")
        : value,
    );
  }
  return problems.length > 0 ? { problems } : { args };
}

/** Reads the form from the project root (the folder of the nearest Pulumi.yaml at or above `from`). */
export function readIssueForm(from: string, explicit?: string): { file: string; text: string } {
  const root = findProjectRoot(from);
  const file = explicit || (root === undefined ? ISSUE_FORM : path.join(root, ISSUE_FORM));
  return { file, text: fs.readFileSync(file, "utf8") };
}
