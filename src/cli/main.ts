#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { CaptureFormatError } from '../capture/capture-error.js';
import { LiveCaptureError } from '../capture/live-capture.js';
import { SourcePositionError } from '../source-position-error.js';
import { registerAnalyzeCommand } from './analyze-command.js';
import { UsageError } from '../usage-error.js';
import { ExitCode } from './exit-codes.js';
import { registerExplainCommand } from './explain-command.js';
import { registerFlowsCommand } from './flows-command.js';
import { nameTheRightOption } from './option-errors.js';
import { registerRulesCommand } from './rules-command.js';
import { registerWatchCommand } from './watch-command.js';
import { VERSION } from './version.js';

const program = new Command();
program
  .name('flowaudit')
  .description('Audit network flows against a vendor connection matrix')
  .version(VERSION)
  .exitOverride()
  // Errors are one line: commander puts its "(Did you mean --rules?)" on a line of its own.
  .configureOutput({ outputError: (text, write) => write(text.replace('\n(Did you mean', ' (Did you mean')) });
// A reader that stops early (`flowaudit flows ... | head`) closes the pipe: end quietly with the
// exit code the run has so far, as Unix tools do, rather than report a failed write as a bug.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit();
});
registerAnalyzeCommand(program);
registerFlowsCommand(program);
registerRulesCommand(program);
registerWatchCommand(program);
registerExplainCommand(program.commands.find((c) => c.name() === 'rules')!);
nameTheRightOption(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = exitCodeFor(err);
}

/** One line on stderr and a documented exit code: never a stack trace for bad input. */
function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    // --help and --version end here too, successfully.
    return err.exitCode === 0 ? ExitCode.Ok : ExitCode.UsageOrInput;
  }
  // Input errors already carry the file and offset or line:column in one line.
  if (err instanceof CaptureFormatError || err instanceof SourcePositionError || err instanceof UsageError || err instanceof LiveCaptureError) {
    process.stderr.write(`flowaudit: ${err.message}\n`);
    return ExitCode.UsageOrInput;
  }
  const sys = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (sys?.syscall === 'listen') {
    process.stderr.write(`flowaudit: --listen ${sys.address ?? ''}:${sys.port ?? ''}: ${sys.code === 'EADDRINUSE' ? 'address already in use' : sys.message}\n`);
    return ExitCode.UsageOrInput;
  }
  if (typeof sys?.code === 'string' && typeof sys.path === 'string') {
    process.stderr.write(`flowaudit: ${sys.path}: ${sys.code === 'ENOENT' ? 'no such file' : sys.message}\n`);
    return ExitCode.UsageOrInput;
  }
  process.stderr.write(`flowaudit: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
  return 70;
}
