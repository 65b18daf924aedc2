import { constants } from "node:fs";
import { copyFile, lstat, open, rm, stat } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { checkWritableDirectory, replaceAtomically, writeFileAtomic } from "./atomic.js";
import { codeCachePathFor } from "./code-cache.js";
import { BundleError } from "./errors.js";
import { linkApplets } from "./links.js";
import { COMMONJS_MARKER, commonJsMarkerFor } from "./module-scope.js";
import { checkAppletNames } from "./multicall.js";

async function isScript(file: string): Promise<boolean> {
  const fh = await open(file, "r");
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer.toString("latin1") === "#!";
  } finally {
    await fh.close();
  }
}

/**
 * Everything install will replace is checked before the first rename, so a
 * refusal leaves the directory as it was: a directory where a file, its code
 * cache or a link goes cannot be renamed over (nor removed). Returns the
 * {"type": "commonjs"} markers script bundles need there (module-scope.ts).
 */
async function checkDestinations(sources: readonly string[], to: string, links: readonly string[]): Promise<string[]> {
  const markers = new Set<string>();
  const names = [...sources.flatMap((src) => [basename(src), basename(codeCachePathFor(src))]), ...links];
  for (const name of names) {
    const path = join(to, name);
    if ((await lstat(path).catch(() => undefined))?.isDirectory()) {
      throw new BundleError("DEST_IN_THE_WAY", `${path} is a directory, so nothing can be installed under that name; nothing was changed; remove or rename it first`);
    }
  }
  for (const src of sources) {
    if (!(await isScript(src))) continue;
    const marker = await commonJsMarkerFor(join(to, basename(src)));
    if (marker) markers.add(marker);
  }
  return [...markers];
}

export interface InstallOptions {
  /** Executables to install, each as `<to>/<its file name>`. */
  files: readonly string[];
  /** The plugin directory, e.g. /opt/cni/bin. */
  to: string;
  /** Applet names of a multi-call executable (exactly one file): `<to>/<name>` symlinks to it. */
  links?: readonly string[];
}

export interface Installed {
  files: string[];
  /** Code caches installed beside their executables. */
  codeCaches: string[];
  links: string[];
}

/**
 * Installs executables into a directory a runtime execs from while it runs.
 * Each file is copied to a temporary name in that directory, fsynced, then
 * renamed over the old one: every concurrent exec gets the complete old file or
 * the complete new one, never ETXTBSY, ENOENT or a partial file. Links are
 * replaced the same way.
 *
 * A file's code cache (`<file>.v8cache`, from a codeCache build) is installed
 * with it, before it: an exec sees the new executable only once its cache is in
 * place. Without one, an old cache at the destination is removed after the new
 * executable is in place (it would be refused by its hash anyway).
 */
export async function install(o: InstallOptions): Promise<Installed> {
  const to = resolve(o.to);
  if (o.files.length === 0) throw new BundleError("BAD_OPTION", "nothing to install: give at least one executable");
  if (o.links?.length) {
    if (o.files.length !== 1) throw new BundleError("BAD_OPTION", `links need exactly one (multi-call) executable, got ${o.files.length} files`);
    checkAppletNames(o.links);
  }
  const sources = o.files.map((f) => resolve(f));
  for (const src of sources) {
    const info = await stat(src).catch(() => undefined);
    if (!info?.isFile()) throw new BundleError("ENTRY_NOT_FOUND", `${src} does not exist or is not a file; build it first`);
  }
  await checkWritableDirectory(to);
  const markers = await checkDestinations(sources, to, o.links ?? []);
  for (const marker of markers) await writeFileAtomic(marker, COMMONJS_MARKER, 0o644);
  const files: string[] = [];
  const codeCaches: string[] = [];
  for (const src of sources) {
    const dest = join(to, basename(src));
    const cache = codeCachePathFor(src);
    const hasCache = await stat(cache).then((s) => s.isFile(), () => false);
    if (hasCache) {
      await replaceAtomically(codeCachePathFor(dest), (tmp) => copyFile(cache, tmp, constants.COPYFILE_EXCL), 0o644);
      codeCaches.push(codeCachePathFor(dest));
    }
    await replaceAtomically(dest, (tmp) => copyFile(src, tmp, constants.COPYFILE_EXCL), 0o755);
    if (!hasCache) await rm(codeCachePathFor(dest), { force: true });
    files.push(dest);
  }
  const links = o.links?.length ? await linkApplets(files[0] as string, o.links) : [];
  return { files, codeCaches, links };
}
