import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "@tscni/bundle";
import type { Form } from "./binaries.js";

/**
 * What tscni installed into a bin dir, kept there as a hidden file (runtimes
 * exec only the names a config gives). uninstall removes exactly these names,
 * never a plugin of the same directory that another project put there.
 */
export const RECORD_NAME = ".tscni-installed.json";

export interface InstallRecord {
  plugins: string[];
  form: Form;
}

export async function readRecord(binDir: string): Promise<InstallRecord | undefined> {
  try {
    const doc = JSON.parse(await readFile(join(binDir, RECORD_NAME), "utf8")) as Partial<InstallRecord>;
    if (!Array.isArray(doc.plugins) || !doc.plugins.every((p) => typeof p === "string")) return undefined;
    return { plugins: doc.plugins, form: doc.form === "sea" ? "sea" : "bundle" };
  } catch {
    return undefined;
  }
}

/** Adds this install's plugins to the record (an earlier install's stay: they are still in the directory). */
export async function updateRecord(binDir: string, plugins: readonly string[], form: Form): Promise<void> {
  const before = await readRecord(binDir);
  await writeRecord(binDir, { plugins: [...new Set([...(before?.plugins ?? []), ...plugins])].sort(), form });
}

export async function writeRecord(binDir: string, record: InstallRecord): Promise<void> {
  const text = `${JSON.stringify(record)}\n`;
  if ((await readFile(join(binDir, RECORD_NAME), "utf8").catch(() => "")) === text) return;
  await writeFileAtomic(join(binDir, RECORD_NAME), text, 0o644);
}
