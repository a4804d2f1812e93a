import { closeSync, constants, fstatSync, openSync, readSync, statfsSync, type Stats } from 'node:fs';
import { SourcePositionError } from './source-position-error.js';

/** An input file that cannot be read; `code` is the errno code when the system refused it (ENOENT). */
export class InputFileError extends SourcePositionError {
  constructor(
    file: string,
    detail: string,
    readonly code?: string,
  ) {
    super(file, 0, 0, detail);
  }
}

/** A kind of input file and the most bytes flowaudit reads of one (docs/limits.md says why each). */
export interface InputFileKind {
  /** What the file is, as errors name it: `a rules file`. */
  readonly what: string;
  readonly maxBytes: number;
}

const MiB = 1024 * 1024;

/** Every input file flowaudit reads besides captures, with its size limit. */
export const INPUT_FILES = {
  rules: { what: 'a rules file', maxBytes: 1 * MiB },
  inventory: { what: 'an inventory', maxBytes: 8 * MiB },
  kubernetesSnapshot: { what: 'a Kubernetes snapshot', maxBytes: 256 * MiB },
  webConfig: { what: 'a web config', maxBytes: 1 * MiB },
  kubeconfig: { what: 'a kubeconfig', maxBytes: 1 * MiB },
} as const satisfies Record<string, InputFileKind>;

/**
 * Kernel pseudo-filesystems (statfs f_type): their files say they are regular but report a size of
 * 0 or 4096 whatever they hold, and some (/proc/self/environ) hold secrets.
 */
const PSEUDO_FILESYSTEMS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, '/proc'],
  [0x62656572, '/sys'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
]);

/** First read; a file that grows past it (its size lied) is read in doubling steps. */
const FIRST_READ_BYTES = 64 * 1024;

/**
 * Reads a whole input file, at most `kind.maxBytes`. Only regular files are read: a device
 * (/dev/zero), FIFO, socket, directory or kernel pseudo-file is refused by its type before a byte
 * is read, a file larger than the limit by its size, and a file whose size lied by reading at most
 * the limit plus one byte. Throws an InputFileError (`FILE: message`) naming `shownAs`.
 */
export function readInputFile(path: string, kind: InputFileKind, shownAs: string = path): Buffer {
  const fail = (message: string): InputFileError => new InputFileError(shownAs, message);
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException)?.code;
    throw new InputFileError(shownAs, code === 'ENOENT' ? 'no such file' : `cannot read: ${systemFailure(err)}`, code);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw fail(`is ${fileType(stats)}, not a regular file: ${kind.what} must be a regular file`);
    const pseudo = pseudoFilesystem(path);
    if (pseudo !== undefined) throw fail(`is a ${pseudo} file, not a regular file: ${kind.what} must be a regular file`);
    if (stats.size > kind.maxBytes) throw fail(tooLarge(kind, `is ${stats.size} bytes`));
    return readAtMost(fd, stats.size, kind, fail);
  } catch (err) {
    if (err instanceof InputFileError) throw err;
    throw fail(`cannot read: ${systemFailure(err)}`); // EIO and the like, while reading
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads `fd` to its end, or fails once it holds more than `kind.maxBytes`, having read at most one
 * byte more: `statedSize` (fstat's) only sizes the first buffer, as a file may hold more than it says.
 */
export function readAtMost(fd: number, statedSize: number, kind: InputFileKind, fail: (message: string) => Error): Buffer {
  const cap = kind.maxBytes + 1;
  let buffer = Buffer.allocUnsafe(Math.min(cap, Math.max(statedSize + 1, FIRST_READ_BYTES)));
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      if (length === cap) throw fail(tooLarge(kind, `holds more than ${kind.maxBytes} bytes`));
      const grown = Buffer.allocUnsafe(Math.min(cap, buffer.length * 2));
      buffer.copy(grown, 0, 0, length);
      buffer = grown;
    }
    const n = readSync(fd, buffer, length, buffer.length - length, null);
    if (n === 0) return buffer.subarray(0, length);
    length += n;
  }
}

function tooLarge(kind: InputFileKind, found: string): string {
  return `${found}; the limit for ${kind.what} is ${kind.maxBytes} bytes (${kind.maxBytes / MiB} MiB)`;
}

function pseudoFilesystem(path: string): string | undefined {
  try {
    return PSEUDO_FILESYSTEMS.get(statfsSync(path).type);
  } catch {
    return undefined; // statfs failing says nothing about the file: the bounded read still holds
  }
}

function fileType(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isSocket()) return 'a socket';
  return 'a special file';
}

function systemFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'EACCES') return 'permission denied';
  if (code === 'ENAMETOOLONG') return 'file name too long';
  if (code === 'ELOOP') return 'too many symbolic links';
  if (code === 'ENXIO') return 'no such device (a socket or device without a reader)';
  return code ?? String((err as Error)?.message ?? err);
}
