#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { registerAnalyzeCommand } from './analyze-command.js';
import { ExitCode } from './exit-codes.js';
import { registerExplainCommand } from './explain-command.js';
import { registerFlowsCommand } from './flows-command.js';
import { inputErrorMessage } from './input-error-message.js';
import { registerRulesCommand } from './rules-command.js';
import { registerWatchCommand } from './watch-command.js';
import { VERSION } from './version.js';

const program = new Command();
program
  .name('flowaudit')
  .description('Audit network flows against a vendor connection matrix')
  .version(VERSION)
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(text) });
registerAnalyzeCommand(program);
registerFlowsCommand(program);
registerRulesCommand(program);
registerWatchCommand(program);
registerExplainCommand(program.commands.find((c) => c.name() === 'rules')!);

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
  const message = inputErrorMessage(err);
  if (message !== undefined) {
    process.stderr.write(`flowaudit: ${message}\n`);
    return ExitCode.UsageOrInput;
  }
  process.stderr.write(`flowaudit: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
  return 70;
}
