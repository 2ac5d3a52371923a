// How a failed zod parse is named to a person, in one place: a wire field as the protocol code
// writes it (`votes[1].participant`), a config or scenario file's issues as `path: message` lines
// with the dotted path of its keys (`validators.0.stake`).
import type { z } from "zod";

/** The first issue of a failed parse as a field name and message; the field is "(body)" at the root. */
export function zodField(error: z.ZodError): { field: string; message: string } {
  const issue = error.issues[0];
  if (!issue) return { field: "(body)", message: "invalid" };
  const field = fieldName(issue.path);
  return { field: field === "" ? "(body)" : field, message: issue.message };
}

/** A path as a field name: `validation.artifacts[1].vector_b64`. */
export function fieldName(path: readonly PropertyKey[]): string {
  let field = "";
  for (const key of path) {
    field += typeof key === "number" ? `[${key}]` : field === "" ? String(key) : `.${String(key)}`;
  }
  return field;
}

/** Every issue of a failed parse as `field: message` with wire field names (`txs[0].hash`), "(root)" at the root. */
export function zodFieldLines(error: z.ZodError): string[] {
  return error.issues.map((i) => `${fieldName(i.path) || "(root)"}: ${i.message}`);
}

/** Every issue of a failed parse as `path: message` (dotted path, "(root)" at the root), in order. */
export function zodIssueLines(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`);
}
