import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { Component, Connection, Matrix } from './matrix.js';
import { buildFile, type Located } from './matrix-build.js';
import { checkConflicts, checkDuplicateIds, checkEndpoints, mergeComponent } from './matrix-checks.js';
import { MatrixError } from './matrix-error.js';
import { matrixHash } from './matrix-hash.js';
import type { RawMatrixFile } from './matrix-raw.js';
import { InputFileError, INPUT_FILES } from '../input-file.js';
import { EXCERPT_CHARS, cut, excerpt } from '../source-position-error.js';
import { readSourceText } from '../source-text.js';
import { SHIPPED_RULES_DIR, isProfileName, shippedProfileNames } from './matrix-rules-dir.js';
import { schemaError } from './matrix-schema.js';
import { parseRulesYaml, type RulesDocument } from './matrix-yaml.js';

export interface LoadMatrixOptions {
  /** Where shipped profiles are looked up by name; defaults to the package's rules/. */
  readonly rulesDir?: string;
  /** Base for a relative root path and for the file names shown in errors; defaults to process.cwd(). */
  readonly cwd?: string;
}

/**
 * Loads a connection matrix: a rules file path, or a shipped profile name (no `/`, no `.yaml`).
 * Reads the file and its includes, validates each against rules/schema.json, merges, and checks
 * the whole. Returns a complete, frozen Matrix or throws a MatrixError (`FILE:LINE:COL: message`);
 * nothing is cached or half-applied.
 */
export function loadMatrix(ref: string, options: LoadMatrixOptions = {}): Matrix {
  const loader = new Loader(options.rulesDir ?? SHIPPED_RULES_DIR, options.cwd ?? process.cwd());
  return loader.loadRoot(ref);
}

interface LoadedFile {
  readonly doc: RulesDocument;
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

  constructor(
    private readonly rulesDir: string,
    private readonly cwd: string,
  ) {}

  loadRoot(ref: string): Matrix {
    const path = isProfileName(ref) ? join(this.rulesDir, `${ref}.yaml`) : resolve(this.cwd, ref);
    const root = this.loadFile(path, ref, null);
    checkDuplicateIds(this.connections);
    checkConflicts(this.connections);
    if (this.connections.length === 0) {
      const at = root.raw.connections !== undefined ? ['connections'] : [];
      throw root.doc.error(at, `matrix "${root.raw.metadata.name}" has no connections, counting its includes`);
    }
    const components = new Map<string, Component>([...this.components].map(([name, c]) => [name, c.value]));
    // Endpoints as the very strings that name the components: the judge compares them with each
    // flow's matches, and V8 compares two copies of a name (YAML gives each mention its own)
    // character by character, one and the same string at once.
    const named = (name: string): string => this.components.get(name)!.value.name;
    const connections = Object.freeze(this.connections.map(({ value: c }) => Object.freeze({ ...c, from: named(c.from), to: named(c.to) })));
    const unmatched = root.raw.unmatched ?? 'violation';
    const meta = root.raw.metadata;
    return Object.freeze({
      name: meta.name,
      title: meta.title,
      ...(meta.source !== undefined && { source: Object.freeze({ ...meta.source }) }),
      files: Object.freeze([...this.files]),
      includes: Object.freeze([...this.includes]),
      unmatched,
      components,
      connections,
      hash: matrixHash(meta.name, unmatched, components, connections),
    });
  }

  private loadFile(path: string, ref: string, site: IncludeSite | null): LoadedFile {
    const done = this.loaded.get(path);
    if (done !== undefined) return done; // included twice (a diamond): merged once
    const text = this.read(path, ref, site);
    const doc = parseRulesYaml(text, path, this.shown(path));
    const invalid = schemaError(doc);
    if (invalid !== null) throw invalid;
    const raw = doc.value as RawMatrixFile;
    if (site !== null) this.includes.push(raw.metadata.name);
    this.files.push(path);

    this.stack.push(path);
    const visible = new Set<string>();
    (raw.include ?? []).forEach((includeRef, index) => {
      const target = this.resolveInclude(doc, includeRef, index);
      const included = this.loadFile(target, includeRef, { doc, index });
      for (const name of included.visible) visible.add(name);
    });
    this.stack.pop();

    const built = buildFile(doc, raw);
    for (const c of built.components) {
      mergeComponent(this.components, c);
      visible.add(c.value.name);
    }
    checkEndpoints(built.connections, visible);
    this.connections.push(...built.connections);
    const file = { doc, raw, visible };
    this.loaded.set(path, file);
    return file;
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
