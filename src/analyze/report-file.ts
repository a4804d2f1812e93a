import { closeSync, existsSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from '../usage-error.js';

/**
 * Checks, before any packet is read, that a report can go to `path`: its directory exists and the
 * path is not a directory. Reports are written once the whole capture is read: a typo found only
 * then would cost the run.
 * @param option the option that named it (`--output`, `--metrics-file`), for the message
 */
export function checkReportPath(option: string, path: string): void {
  const directory = dirname(path);
  if (!isDirectory(directory)) {
    throw new UsageError(`${option} ${path}: ${existsSync(directory) ? `${directory} is not a directory` : `directory ${directory} does not exist`}`);
  }
  if (isDirectory(path)) throw new UsageError(`${option} ${path}: is a directory`);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    // Missing, or under a file (ENOTDIR), or not searchable: not a directory a report can go to.
    return false;
  }
}

/**
 * Writes a whole report, part after part as its format makes them (DocumentFormat.render), so
 * its whole text is never held at once: under a temporary name, renamed once the last part is
 * in, so a failure leaves no half report. A failure to open or write is one line naming the
 * option and the path, not a raw system error.
 */
export function writeReport(option: string, path: string, parts: Iterable<string>): void {
  const partial = `${path}.partial-${process.pid}`;
  let fd: number;
  try {
    fd = openSync(partial, 'w');
  } catch (err) {
    throw cannotWrite(option, path, err);
  }
  try {
    try {
      for (const part of parts) writePart(option, path, fd, Buffer.from(part));
    } finally {
      closeSync(fd);
    }
    renameOrExplain(option, partial, path);
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  }
}

function renameOrExplain(option: string, partial: string, path: string): void {
  try {
    renameSync(partial, path);
  } catch (err) {
    throw cannotWrite(option, path, err);
  }
}

function writePart(option: string, path: string, fd: number, bytes: Buffer): void {
  try {
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
  } catch (err) {
    throw cannotWrite(option, path, err);
  }
}

/** The one-line error for a report that cannot be written at `path`. */
export function cannotWrite(option: string, path: string, err: unknown): UsageError {
  const code = (err as NodeJS.ErrnoException).code;
  const reason = code === 'ENOENT' ? `directory ${dirname(path)} does not exist` : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
  return new UsageError(`${option} ${path}: cannot write: ${reason}`);
}
