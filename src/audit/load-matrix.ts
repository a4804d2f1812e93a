import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { InputFileError, INPUT_FILES } from '../input-file.js';
import { EXCERPT_CHARS, cut, excerpt } from '../source-position-error.js';
import { readSourceText } from '../source-text.js';
import type { Component, Connection, Matrix } from './matrix.js';
import { buildFile, type Located } from './matrix-build.js';
import { checkConflicts, checkDuplicateIds, checkEndpoints, checkExcept, mergeComponent } from './matrix-checks.js';
import { MatrixError, MatrixErrors } from './matrix-error.js';
import { matrixHash } from './matrix-hash.js';
import type { RawMatrixFile } from './matrix-raw.js';
import { SHIPPED_RULES_DIR, isProfileName, shippedProfileNames } from './matrix-rules-dir.js';
import { schemaErrors } from './matrix-schema.js';
import { resolveTlsFloor, withTlsFloor } from './matrix-tls-floor.js';
import { isPlainMap, parseRulesYaml, type RulesDocument } from './matrix-yaml.js';

export interface LoadMatrixOptions {
  /** Where shipped profiles are looked up by name; defaults to the package's rules/. */
  readonly rulesDir?: string;
  /** Base for a relative root path and for the file names shown in errors; defaults to process.cwd(). */
  readonly cwd?: string;
}

/**
 * Loads a connection matrix: a rules file path, or a shipped profile name (no `/`, no `.yaml`).
 * Reads the file and its includes, validates each against rules/schema.json, merges, and checks
 * the whole. Returns a complete, frozen Matrix or throws MatrixErrors: every error of the file and
 * its includes (`FILE:LINE:COL: message` each), itself the first of them; nothing is cached or
 * half-applied.
 */
export function loadMatrix(ref: string, options: LoadMatrixOptions = {}): Matrix {
  const loader = new Loader(options.rulesDir ?? SHIPPED_RULES_DIR, options.cwd ?? process.cwd());
  return loader.loadRoot(ref);
}

interface LoadedFile {
  readonly doc: RulesDocument;
  /** Schema-valid only when no error was found: read nothing of it before. */
  readonly raw: RawMatrixFile;
  /** Component names this file may use: its own and its includes', transitively. */
  readonly visible: ReadonlySet<string>;
}

/** Where an include was written, for errors about the included file. */
interface IncludeSite {
  readonly doc: RulesDocument;
  readonly index: number;
}

class Loader {
  private readonly loaded = new Map<string, LoadedFile>();
  private readonly stack: string[] = [];
  /** Pre-order: root first. */
  private readonly files: string[] = [];
  private readonly includes: string[] = [];
  /** Post-order: a file's includes before the file. */
  private readonly components = new Map<string, Located<Component>>();
  private readonly connections: Located<Connection>[] = [];
  /** Every error found, in the order met: loading goes on past each, so that all are reported. */
  private readonly errors: MatrixError[] = [];
  /** Includes that could not be loaded: reported once, however many files include them. */
  private readonly failed = new Set<string>();

  constructor(
    private readonly rulesDir: string,
    private readonly cwd: string,
  ) {}

  loadRoot(ref: string): Matrix {
    const path = isProfileName(ref) ? join(this.rulesDir, `${ref}.yaml`) : resolve(this.cwd, ref);
    const root = this.loadFile(path, ref, null);
    this.errors.push(...checkExcept(this.components));
    const tlsFloor = (root === null ? null : this.recorded(() => resolveTlsFloor(root, [...this.loaded.values()].filter((file) => file !== root)))) ?? undefined;
    // The floor is applied before the conflict check: two rules that disagree once it is are a conflict.
    const located = this.connections.map((c) => ({ ...c, value: withTlsFloor(c.value, tlsFloor) }));
    this.errors.push(...checkDuplicateIds(located), ...checkConflicts(located));
    if (this.errors.length > 0 || root === null) throw new MatrixErrors(this.errors);
    if (located.length === 0) {
      const at = root.raw.connections !== undefined ? ['connections'] : [];
      throw root.doc.error(at, `matrix "${root.raw.metadata.name}" has no connections, counting its includes`);
    }
    const components = new Map<string, Component>([...this.components].map(([name, c]) => [name, c.value]));
    // Endpoints as the very strings that name the components: the judge compares them with each
    // flow's matches, and V8 compares two copies of a name (YAML gives each mention its own)
    // character by character, one and the same string at once.
    const named = (name: string): string => this.components.get(name)!.value.name;
    const connections = Object.freeze(located.map(({ value: c }) => Object.freeze({ ...c, from: named(c.from), to: named(c.to) })));
    const unmatched = root.raw.unmatched ?? 'violation';
    const meta = root.raw.metadata;
    return Object.freeze({
      name: meta.name,
      title: meta.title,
      ...(meta.source !== undefined && { source: Object.freeze({ ...meta.source }) }),
      files: Object.freeze([...this.files]),
      includes: Object.freeze([...this.includes]),
      unmatched,
      ...(tlsFloor !== undefined && { tlsFloor }),
      components,
      connections,
      hash: matrixHash(meta.name, unmatched, components, connections),
    });
  }

  /**
   * Loads one file and its includes, recording their errors and checking what is left of them;
   * null when the file is not a map. A file that cannot be read, or is not YAML, throws.
   */
  private loadFile(path: string, ref: string, site: IncludeSite | null): LoadedFile | null {
    const done = this.loaded.get(path);
    if (done !== undefined) return done; // included twice (a diamond): merged once
    const text = this.read(path, ref, site);
    const doc = parseRulesYaml(text, path, this.shown(path));
    const invalid = schemaErrors(doc);
    this.errors.push(...invalid.map((e) => e.error));
    if (!isPlainMap(doc.value)) return null;
    const raw = doc.value as unknown as RawMatrixFile;
    if (site !== null) this.includes.push(raw.metadata?.name);
    this.files.push(path);

    this.stack.push(path);
    const visible = new Set<string>();
    let includesLoaded = true;
    (Array.isArray(raw.include) ? raw.include : []).forEach((includeRef, index) => {
      const named = typeof includeRef === 'string' && includeRef !== ''; // else a schema error, reported
      const target = named ? this.recorded(() => this.resolveInclude(doc, includeRef, index)) : null;
      const included = target === null || this.failed.has(target) ? null : this.recorded(() => this.loadFile(target, includeRef, { doc, index }));
      if (included === null) {
        includesLoaded = false;
        if (target !== null) this.failed.add(target);
      } else {
        for (const name of included.visible) visible.add(name);
      }
    });
    this.stack.pop();

    const built = buildFile(doc, invalid);
    this.errors.push(...built.errors);
    for (const name of built.componentNames) visible.add(name);
    for (const c of built.components) {
      const conflict = mergeComponent(this.components, c);
      if (conflict !== null) this.errors.push(conflict);
    }
    // Without an include, the components it defines are unknown: each use would be reported as undefined.
    if (includesLoaded) this.errors.push(...checkEndpoints(built.connections, visible));
    this.connections.push(...built.connections);
    const file = { doc, raw, visible };
    this.loaded.set(path, file);
    return file;
  }

  /** What `load` returns, or null when it throws MatrixError(s), which are recorded. */
  private recorded<T>(load: () => T): T | null {
    try {
      return load();
    } catch (err) {
      if (err instanceof MatrixErrors) this.errors.push(...err.errors);
      else if (err instanceof MatrixError) this.errors.push(err);
      else throw err;
      return null;
    }
  }

  /**
   * An include by shipped name (from rulesDir) or a path ending in .yaml or .yml, relative to the
   * including file: never a file that is not meant as rules (/etc/passwd, /proc/self/environ).
   */
  private resolveInclude(doc: RulesDocument, ref: string, index: number): string {
    if (!isProfileName(ref) && !/\.ya?ml$/i.test(ref)) {
      throw doc.error(['include', index], `include ${excerpt(ref)}: not a shipped profile name (no '/') nor a path ending in .yaml or .yml`);
    }
    const target = isProfileName(ref) ? join(this.rulesDir, `${ref}.yaml`) : resolve(dirname(doc.file), ref);
    const cycleStart = this.stack.indexOf(target);
    if (cycleStart >= 0) {
      const chain = [...this.stack.slice(cycleStart), target].map((f) => cut(this.shown(f), 2 * EXCERPT_CHARS)).join(' -> ');
      throw doc.error(['include', index], `include cycle: ${chain}`);
    }
    return target;
  }

  /** The file's text, read within the rules size limit; its errors at the include that named it. */
  private read(path: string, ref: string, site: IncludeSite | null): string {
    try {
      return readSourceText(path, INPUT_FILES.rules, this.shown(path));
    } catch (err) {
      if (!(err instanceof InputFileError)) throw err;
      const named = isProfileName(ref);
      const why = err.code === 'ENOENT' && named ? `no shipped profile ${excerpt(ref)} (shipped: ${this.shippedNames()})` : err.detail;
      if (site === null) throw new MatrixError(named ? ref : this.shown(path), 0, 0, why);
      const target = named ? '' : ` (${cut(this.shown(path), 2 * EXCERPT_CHARS)})`;
      throw site.doc.error(['include', site.index], `include ${excerpt(ref)}${target}: ${why}`);
    }
  }

  private shippedNames(): string {
    try {
      return shippedProfileNames(this.rulesDir).join(', ');
    } catch {
      return 'none';
    }
  }

  /** A path relative to cwd when it lies below it, else absolute. */
  private shown(path: string): string {
    const rel = relative(this.cwd, path);
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
  }
}
